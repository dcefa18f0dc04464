"""`NumpyArrayIterator`: augmented batches of an in-memory array of images (`ImageDataGenerator.flow`)."""
from __future__ import annotations

import os
import warnings
from typing import Any

from multinn import backend as K
from multinn.backends import host_image as host

from ._arrays import host_array
from .iterator import Iterator
from .utils import array_to_img, check_data_format

_SUBSETS = ("training", "validation")


def split_subset(subset: "str | None", validation_split: float, n: int) -> slice:
    """The samples of `subset` out of `n` when `validation_split` of them are held out: 'validation'
    is the first int(n * validation_split), 'training' the rest, None all of them.

    Example:
        >>> split_subset("validation", 0.25, 10), split_subset("training", 0.25, 10), split_subset(None, 0.25, 10)
        (slice(0, 2, None), slice(2, 10, None), slice(0, 10, None))
    """
    if subset is None:
        return slice(0, n)
    if subset not in _SUBSETS:
        raise ValueError(f'Invalid subset name: {subset!r}; expected "training" or "validation". Received: subset={subset!r}')
    split = int(n * validation_split)
    return slice(0, split) if subset == "validation" else slice(split, n)


class NumpyArrayIterator(Iterator):
    """Batches of images from an array, each randomly transformed and standardized by an `ImageDataGenerator`.

    Args:
        x: images, a rank-4 array (samples first); or a tuple (images, extra) where `extra` (an
            array or a list of arrays, one row per sample) is passed through untouched beside the
            images (the batch's inputs are then the list [images, *extra]).
        y: targets, one per sample, or None to yield the images alone.
        image_data_generator: the `ImageDataGenerator` that transforms and standardizes each image.
        batch_size: images per batch.
        shuffle: whether to visit the samples in a new random order every epoch.
        sample_weight: one weight per sample, yielded as the batch's third element.
        seed: reseeds the shuffles and augmentations.
        data_format: 'channels_last' or 'channels_first' (K's `image_data_format()` when None).
        save_to_dir: a folder to write every yielded image to, as `save_format` files (to look at
            the augmentation).
        save_prefix: the file names' prefix.
        save_format: 'png' or 'jpeg'.
        subset: 'training' or 'validation' with the generator's `validation_split`.
        dtype: the dtype of the image batches (K's `floatx()` when None).

    Example:
        >>> import numpy as np
        >>> from multinn.preprocessing.image import ImageDataGenerator
        >>> it = NumpyArrayIterator(np.ones((5, 2, 2, 1)), np.arange(5), ImageDataGenerator(rescale=0.5), batch_size=2)
        >>> x, y = it[2]
        >>> x.shape, float(x.max()), y.tolist()
        ((1, 2, 2, 1), 0.5, [4])
    """

    def __init__(self, x: Any, y: Any, image_data_generator: Any, batch_size: int = 32, shuffle: bool = False,
                 sample_weight: Any = None, seed: "int | None" = None, data_format: "str | None" = None,
                 save_to_dir: "str | None" = None, save_prefix: str = "", save_format: str = "png",
                 subset: "str | None" = None, dtype: "str | None" = None):
        self.dtype = dtype or K.floatx()
        self.data_format = check_data_format(data_format, "NumpyArrayIterator")
        if isinstance(x, (tuple, list)):
            extra = x[1] if isinstance(x[1], list) else [x[1]]
            x_misc = [host_array(item) for item in extra]
            x = x[0]
            for item in x_misc:
                if len(x) != len(item):
                    raise ValueError("All of the arrays in `x` should have the same length. Found a pair with: "
                                     f"len(x[0]) = {len(x)}, len(x[?]) = {len(item)}")
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same length. "
                             f"Found: x.shape = {tuple(host_array(x).shape)}, y.shape = {tuple(host_array(y).shape)}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same length. Found: "
                             f"x.shape = {tuple(host_array(x).shape)}, "
                             f"sample_weight.shape = {tuple(host_array(sample_weight).shape)}")
        y = None if y is None else host_array(y)
        sample_weight = None if sample_weight is None else host_array(sample_weight)
        if subset is not None:
            part = split_subset(subset, image_data_generator._validation_split, len(x))
            held_out = int(len(x) * image_data_generator._validation_split)
            if y is not None and not host.same_values(y[:held_out], y[held_out:]):
                raise ValueError("Training and validation subsets have different number of classes after the "
                                 "split. If your numpy arrays are sorted by the label, you might want to shuffle "
                                 "them.")
            x = host_array(x)[part]
            x_misc = [item[part] for item in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = host_array(x, self.dtype)
        self.x_misc = x_misc
        if len(self.x.shape) != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. "
                             f"You passed an array with shape {tuple(self.x.shape)}")
        channels_axis = 3 if self.data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f'NumpyArrayIterator is set to use the data format convention "{self.data_format}" '
                          f"(channels on axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis "
                          f"{channels_axis}. However, it was passed an array with shape {tuple(self.x.shape)} "
                          f"({self.x.shape[channels_axis]} channels).", stacklevel=2)
        self.y = y
        self.sample_weight = sample_weight
        self.image_data_generator = image_data_generator
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: Any) -> Any:
        batch_x = host.zeros((len(index_array),) + tuple(self.x.shape[1:]), self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            image = self.x[j]
            params = generator.get_random_transform(image.shape)
            image = generator.apply_transform(host.copy(image, self.dtype), params)
            batch_x[i] = generator.standardize(image)
        if self.save_to_dir:
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                name = f"{self.save_prefix}_{j}_{host.randint(10 ** 4)}.{self.save_format}"
                img.save(os.path.join(self.save_to_dir, name))
        inputs = batch_x if not self.x_misc else [batch_x] + [item[index_array] for item in self.x_misc]
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]
