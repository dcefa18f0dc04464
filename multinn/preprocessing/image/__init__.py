"""Keras 2.3.1's `keras.preprocessing.image`: real-time augmentation of image data.

`ImageDataGenerator` with its `flow` / `flow_from_directory` / `flow_from_dataframe` iterators
(`keras.utils.Sequence`s for `fit_generator`), the single-image transforms (`apply_affine_transform`,
`random_rotation`, ...), and image files (`load_img`, `img_to_array`, `array_to_img`, `save_img`).

Augmentation runs on the host and yields NumPy batches, which a model on either backend trains on.
Pillow (image files, brightness) and SciPy (rotations, shifts, shears, zooms, ZCA whitening) are
optional: `pip install 'multinn[image]'`; a missing one is named when first needed.

Example:
    >>> import numpy as np
    >>> from multinn.preprocessing.image import ImageDataGenerator
    >>> gen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1, horizontal_flip=True, rescale=1 / 255)
    >>> x, y = next(gen.flow(np.zeros((8, 6, 6, 3), "uint8"), np.arange(8), batch_size=4, seed=0))
    >>> x.shape, x.dtype.name, y.shape
    ((4, 6, 6, 3), 'float32', (4,))
"""
from .affine_transformations import (apply_affine_transform, apply_brightness_shift, apply_channel_shift, flip_axis,
                                     random_brightness, random_channel_shift, random_rotation, random_shear,
                                     random_shift, random_zoom, transform_matrix_offset_center)
from .batch_from_files import BatchFromFilesMixin
from .dataframe_iterator import DataFrameIterator
from .directory_iterator import DirectoryIterator
from .image_data_generator import ImageDataGenerator
from .iterator import Iterator
from .numpy_array_iterator import NumpyArrayIterator
from .utils import array_to_img, img_to_array, list_pictures, load_img, save_img

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
           "BatchFromFilesMixin", "load_img", "img_to_array", "array_to_img", "save_img", "list_pictures",
           "apply_affine_transform", "apply_brightness_shift", "apply_channel_shift", "random_rotation",
           "random_shift", "random_shear", "random_zoom", "random_channel_shift", "random_brightness", "flip_axis",
           "transform_matrix_offset_center"]
