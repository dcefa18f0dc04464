"""`Iterator`: the batch-index machinery shared by the image iterators, as a `keras.utils.Sequence`."""
from __future__ import annotations

import threading
from typing import Any

from multinn.backends import host_image as host
from multinn.utils.data_utils import Sequence

from .utils import IMAGE_EXTENSIONS


class Iterator(Sequence):
    """Yields batches of sample indices over `n` samples, forever when iterated, or by position when
    indexed (then it is a `Sequence` for `fit_generator`, reshuffled by `on_epoch_end`).

    Subclasses implement `_get_batches_of_transformed_samples(index_array)`. With `seed`, NumPy's
    global generator is reseeded with `seed + total_batches_seen` before every batch, so shuffles and
    augmentations repeat run after run (Keras 2).

    Args:
        n: the number of samples.
        batch_size: samples per batch (the last batch of an epoch may be smaller).
        shuffle: whether to visit the samples in a new random order every epoch.
        seed: reseeds the shuffles and augmentations (None: leaves NumPy's generator alone).

    Example:
        >>> class Indices(Iterator):
        ...     def _get_batches_of_transformed_samples(self, index_array):
        ...         return index_array.tolist()
        >>> it = Indices(5, 2, shuffle=False, seed=None)
        >>> len(it), it[2], next(it), next(it), next(it), next(it)
        (3, [4], [0, 1], [2, 3], [4], [0, 1])
    """

    white_list_formats = IMAGE_EXTENSIONS

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: "int | None"):
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self) -> None:
        self.index_array = host.permutation(self.n) if self.shuffle else host.arange(self.n)

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        if self.seed is not None:
            host.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        """Draws a new visiting order (when shuffling) for the next epoch."""
        self._set_index_array()

    def reset(self) -> None:
        """Makes the next `next()` start a new epoch."""
        self.batch_index = 0

    def _flow_index(self) -> Any:
        self.reset()
        while True:
            if self.seed is not None:
                host.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > current + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size]

    def __iter__(self) -> "Iterator":
        return self

    def __next__(self) -> Any:
        with self.lock:  # one thread at a time advances the index generator
            index_array = next(self.index_generator)
        # The transformations run outside the lock, so threads load and augment in parallel.
        return self._get_batches_of_transformed_samples(index_array)

    def next(self) -> Any:
        """The next batch (Python 2's iterator spelling, kept by Keras 2).

        Example:
            >>> class Indices(Iterator):
            ...     def _get_batches_of_transformed_samples(self, index_array):
            ...         return index_array.tolist()
            >>> Indices(3, 2, shuffle=False, seed=None).next()
            [0, 1]
        """
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array: Any) -> Any:
        """The batch of the samples at `index_array`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _get_batches_of_transformed_samples")
