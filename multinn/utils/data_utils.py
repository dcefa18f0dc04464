"""`Sequence`: a dataset of batches indexed by position (Keras 2's `keras.utils.Sequence`), and
`get_file` (defined in downloads.py) under Keras 2's import path `keras.utils.data_utils`."""
from __future__ import annotations

from typing import Any, Iterator

from .downloads import get_file, validate_file  # noqa: F401  (Keras 2 import path)
from .downloads import hash_file as _hash_file  # noqa: F401  (Keras 2.3.1's name, used by its tests)
from .enqueuers import GeneratorEnqueuer, OrderedEnqueuer, SequenceEnqueuer  # noqa: F401
from .progbar import Progbar  # noqa: F401


class Sequence:
    """Base class for batch datasets fed to `fit_generator` / `evaluate_generator` / `predict_generator`.

    Implement `__getitem__` (the batch at an index, e.g. `(x, y)`) and `__len__` (the
    number of batches); `on_epoch_end` runs after every epoch (to reshuffle, say). Unlike a
    generator, a Sequence can be read in any order: `fit_generator(shuffle=True)` shuffles
    the batch order each epoch.

    Example:
        >>> from multinn.utils import Sequence
        >>> class Batches(Sequence):
        ...     def __init__(self, x, batch_size):
        ...         self.x, self.batch_size = x, batch_size
        ...     def __len__(self):
        ...         return (len(self.x) + self.batch_size - 1) // self.batch_size
        ...     def __getitem__(self, index):
        ...         return self.x[index * self.batch_size:(index + 1) * self.batch_size]
        >>> len(Batches(list(range(5)), 2)), list(Batches(list(range(5)), 2))
        (3, [[0, 1], [2, 3], [4]])
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("A Sequence must implement __getitem__ (the batch at `index`).")

    def __len__(self) -> int:
        raise NotImplementedError("A Sequence must implement __len__ (the number of batches).")

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]
