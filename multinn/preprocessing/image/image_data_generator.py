"""`ImageDataGenerator`: real-time augmentation and normalization of image batches (Keras 2.3.1)."""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable, Sequence

from multinn import backend as K
from multinn.backends import host_image as host

from ._arrays import host_array
from .affine_transformations import apply_affine_transform
from .dataframe_iterator import DataFrameIterator
from .directory_iterator import DirectoryIterator
from .numpy_array_iterator import NumpyArrayIterator
from .utils import check_data_format

_NOT_FIT = ("This ImageDataGenerator specifies `{}`, but it hasn't been fit on any training data. "
            "Fit it first by calling `.fit(numpy_data)`.")


def _draw_shift(shift_range: Any, size: int) -> float:
    """A shift in pixels (Keras 2's rules): an int n draws from {-(n-1), ..., n-1}, a list draws one of
    its values with a random sign, a float draws from U[-r, r); ranges below 1 are fractions of `size`."""
    if isinstance(shift_range, numbers.Integral) or not isinstance(shift_range, numbers.Real):
        shift = host.choice(shift_range) * host.choice([-1, 1])
        largest = shift_range if isinstance(shift_range, numbers.Integral) else max(shift_range)
    else:
        shift = host.uniform(-shift_range, shift_range)
        largest = shift_range
    return shift * size if largest < 1 else shift


class ImageDataGenerator:
    """Generates batches of image data with real-time data augmentation, looping over the data.

    Augmentation runs on the host (NumPy, SciPy for the geometric transforms, Pillow for files and
    brightness) and the batches are NumPy arrays, which a model on either backend consumes.

    Args:
        featurewise_center: subtract the data set's per-channel mean (computed by `fit`).
        samplewise_center: subtract each image's own mean.
        featurewise_std_normalization: divide by the data set's per-channel std (computed by `fit`).
        samplewise_std_normalization: divide each image by its own std.
        zca_whitening: apply ZCA whitening (computed by `fit`; needs SciPy).
        zca_epsilon: the epsilon added to the eigenvalues for ZCA whitening.
        rotation_range: degrees; rotations are drawn from U[-rotation_range, rotation_range).
        width_shift_range, height_shift_range: a float (a fraction of the width/height if below 1,
            else pixels; drawn from U[-r, r)), an int n (whole pixels from -(n-1) to n-1) or a list
            of values (one drawn, with a random sign).
        brightness_range: (low, high): brightness factors are drawn from U[low, high) (needs Pillow).
        shear_range: degrees of counter-clockwise shear, drawn from U[-shear_range, shear_range).
        zoom_range: a float z for [1 - z, 1 + z], or [low, high]; zoom factors for rows and columns
            are drawn independently.
        channel_shift_range: intensities added to every pixel are drawn from U[-r, r).
        fill_mode: 'constant', 'nearest', 'reflect' or 'wrap': how points outside an image are filled.
        cval: the value outside the image for fill_mode='constant'.
        horizontal_flip, vertical_flip: flip half the images at random.
        rescale: a factor the data is multiplied by (after the augmentation), None or 0 for none.
        preprocessing_function: a function of one image (a rank-3 NumPy array) returning one of the
            same shape, run on every image after augmentation, before the other normalizations.
        data_format: 'channels_last' or 'channels_first' (K's `image_data_format()` when None).
        validation_split: the fraction of the data held out as the 'validation' subset of `flow*`.
        dtype: the dtype of the generated arrays (K's `floatx()` when None).
        interpolation_order: the spline order of the geometric transforms (1: bilinear).

    Example:
        >>> import numpy as np
        >>> x = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
        >>> gen = ImageDataGenerator(featurewise_center=True, horizontal_flip=True)
        >>> gen.fit(x)
        >>> float(gen.mean.squeeze())
        15.5
        >>> batch = next(gen.flow(x, batch_size=2, shuffle=False))
        >>> batch.shape, round(float(batch.mean()), 6)
        ((2, 4, 4, 1), 0.0)
    """

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False, samplewise_std_normalization: bool = False,
                 zca_whitening: bool = False, zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Any = 0., height_shift_range: Any = 0.,
                 brightness_range: "Sequence[float] | None" = None, shear_range: float = 0.,
                 zoom_range: Any = 0., channel_shift_range: float = 0., fill_mode: str = "nearest",
                 cval: float = 0., horizontal_flip: bool = False, vertical_flip: bool = False,
                 rescale: "float | None" = None, preprocessing_function: "Callable | None" = None,
                 data_format: "str | None" = None, validation_split: float = 0.0, dtype: "str | None" = None,
                 interpolation_order: int = 1):
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError('fill_mode must be one of "constant", "nearest", "reflect" or "wrap". '
                             f"Received: fill_mode={fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or K.floatx()
        self.interpolation_order = interpolation_order
        self.data_format = check_data_format(data_format, "ImageDataGenerator")
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1. "
                             f"Received: validation_split={validation_split}")
        self._validation_split = validation_split
        self.mean = None
        self.std = None
        self.principal_components = None
        if isinstance(zoom_range, numbers.Real):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"`zoom_range` should be a float or a tuple or list of two floats. "
                             f"Received: zoom_range={zoom_range}")
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.", stacklevel=2)
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of "
                              "`featurewise_std_normalization`.", stacklevel=2)
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.", stacklevel=2)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError("`brightness_range should be tuple or list of two floats. "
                             f"Received: brightness_range={brightness_range}")
        self.brightness_range = brightness_range

    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True, sample_weight: Any = None,
             seed: "int | None" = None, save_to_dir: "str | None" = None, save_prefix: str = "",
             save_format: str = "png", subset: "str | None" = None) -> NumpyArrayIterator:
        """Batches of augmented data from an array of images (and labels), looping forever.

        Args:
            x: rank-4 images, or a tuple (images, extra array or list of arrays) passed through.
            y: labels (None: the batches are images only).
            batch_size, shuffle, seed: the batching; see `NumpyArrayIterator`.
            sample_weight: per-sample weights (batches become (x, y, weights)).
            save_to_dir, save_prefix, save_format: save the yielded images to look at them.
            subset: 'training' or 'validation' with `validation_split`.

        Returns:
            A `NumpyArrayIterator` of (x, y) batches.

        Example:
            >>> import numpy as np
            >>> x, y = next(ImageDataGenerator().flow(np.zeros((3, 2, 2, 1)), [0, 1, 2], batch_size=2))
            >>> x.shape, len(y)
            ((2, 2, 2, 1), 2)
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory: str, target_size: Sequence[int] = (256, 256), color_mode: str = "rgb",
                            classes: "list | None" = None, class_mode: "str | None" = "categorical",
                            batch_size: int = 32, shuffle: bool = True, seed: "int | None" = None,
                            save_to_dir: "str | None" = None, save_prefix: str = "", save_format: str = "png",
                            follow_links: bool = False, subset: "str | None" = None,
                            interpolation: str = "nearest") -> DirectoryIterator:
        """Batches of augmented images read from `directory`, one subfolder per class (needs Pillow).

        See `DirectoryIterator` for the arguments.

        Example:
            >>> import os, tempfile
            >>> from PIL import Image
            >>> with tempfile.TemporaryDirectory() as d:
            ...     os.makedirs(os.path.join(d, "a"))
            ...     Image.new("RGB", (5, 5)).save(os.path.join(d, "a", "0.png"))
            ...     x, y = next(ImageDataGenerator(rescale=1 / 255).flow_from_directory(d, target_size=(3, 3)))
            Found 1 images belonging to 1 classes.
            >>> x.shape, y.shape
            ((1, 3, 3, 3), (1, 1))
        """
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe: Any, directory: "str | None" = None, x_col: str = "filename",
                            y_col: "str | list" = "class", weight_col: "str | None" = None,
                            target_size: Sequence[int] = (256, 256), color_mode: str = "rgb",
                            classes: "list | None" = None, class_mode: "str | None" = "categorical",
                            batch_size: int = 32, shuffle: bool = True, seed: "int | None" = None,
                            save_to_dir: "str | None" = None, save_prefix: str = "", save_format: str = "png",
                            subset: "str | None" = None, interpolation: str = "nearest",
                            validate_filenames: bool = True, **kwargs: Any) -> DataFrameIterator:
        """Batches of augmented images named in a pandas DataFrame (or a dict of columns) (needs Pillow).

        See `DataFrameIterator` for the arguments. Keras 2's deprecated keywords `has_ext`, `sort` and
        `drop_duplicates` are accepted with a warning and ignored; class_mode='other' means 'raw'.

        Example:
            >>> import os, tempfile
            >>> from PIL import Image
            >>> with tempfile.TemporaryDirectory() as d:
            ...     Image.new("RGB", (5, 5)).save(os.path.join(d, "0.png"))
            ...     table = {"filename": ["0.png"], "score": [0.5]}
            ...     x, y = next(ImageDataGenerator().flow_from_dataframe(table, d, y_col="score", class_mode="raw",
            ...                                                          target_size=(3, 3)))
            Found 1 validated image filenames.
            >>> x.shape, y.tolist()
            ((1, 3, 3, 3), [0.5])
        """
        for name, why in (("has_ext", "filenames in the dataframe have to match the exact filenames in disk"),
                          ("sort", "batches are made in the order of the filenames when shuffle=False"),
                          ("drop_duplicates", "drop them with DataFrame.drop_duplicates")):
            if name in kwargs:
                warnings.warn(f"{name} is deprecated: {why}.", DeprecationWarning, stacklevel=2)
                kwargs.pop(name)
        if kwargs:
            raise TypeError(f"flow_from_dataframe() got unexpected keyword argument(s) {sorted(kwargs)}")
        if class_mode == "other":
            warnings.warn('`class_mode` "other" is deprecated, please use `class_mode` "raw".', DeprecationWarning,
                          stacklevel=2)
            class_mode = "raw"
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset, interpolation=interpolation,
                                 dtype=self.dtype, validate_filenames=validate_filenames)

    def standardize(self, x: Any) -> Any:
        """Applies the normalization to an image or a batch, in this order: `preprocessing_function`,
        `rescale`, samplewise centre and std, featurewise centre and std, ZCA. A float NumPy array is
        changed in place (copy it first to keep it), as in Keras 2.

        Example:
            >>> import numpy as np
            >>> ImageDataGenerator(rescale=2.0, samplewise_center=True).standardize(np.array([[[1.0], [3.0]]])).tolist()
            [[[-2.0], [2.0]]]
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        mean, std, components = self.mean, self.std, self.principal_components
        for wanted, value, name in ((self.featurewise_center, mean, "featurewise_center"),
                                    (self.featurewise_std_normalization, std, "featurewise_std_normalization"),
                                    (self.zca_whitening, components, "zca_whitening")):
            if wanted and value is None:
                warnings.warn(_NOT_FIT.format(name), stacklevel=2)
        return host.normalize(host_array(x), self.rescale, self.samplewise_center, self.samplewise_std_normalization,
                              mean if self.featurewise_center else None,
                              std if self.featurewise_std_normalization else None,
                              components if self.zca_whitening else None)

    def get_random_transform(self, img_shape: Sequence[int], seed: "int | None" = None) -> dict:
        """Draws the parameters of one random transformation of an image of shape `img_shape`
        (theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical, channel_shift_intensity,
        brightness), in Keras 2's order of draws from NumPy's global generator (reseeded by `seed`).

        Example:
            >>> params = ImageDataGenerator(rotation_range=10).get_random_transform((8, 8, 3), seed=1)
            >>> sorted(params), -10 <= params["theta"] < 10, params["zx"]
            (['brightness', 'channel_shift_intensity', 'flip_horizontal', 'flip_vertical', 'shear', 'theta', 'tx', 'ty', 'zx', 'zy'], True, 1)
        """
        if seed is not None:
            host.seed(seed)
        theta = host.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _draw_shift(self.height_shift_range, img_shape[self.row_axis - 1]) if self.height_shift_range else 0
        ty = _draw_shift(self.width_shift_range, img_shape[self.col_axis - 1]) if self.width_shift_range else 0
        shear = host.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = host.uniform(self.zoom_range[0], self.zoom_range[1], 2).tolist()
        flip_horizontal = (host.random() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = (host.random() < 0.5) and bool(self.vertical_flip)
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = host.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = host.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def apply_transform(self, x: Any, transform_parameters: dict) -> Any:
        """Applies the transformation `transform_parameters` (as `get_random_transform` returns;
        missing keys mean no change) to one 3-D image: the affine part, then the channel shift, the
        flips and the brightness (Pillow's, on the image's 8-bit pixels).

        Example:
            >>> import numpy as np
            >>> x = np.arange(4.0).reshape(2, 2, 1)
            >>> ImageDataGenerator().apply_transform(x, {"flip_horizontal": True})[..., 0].tolist()
            [[1.0, 0.0], [3.0, 2.0]]
        """
        row_axis, col_axis, channel_axis = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        get = transform_parameters.get
        x = apply_affine_transform(x, get("theta", 0), get("tx", 0), get("ty", 0), get("shear", 0), get("zx", 1),
                                   get("zy", 1), row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                   fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if get("channel_shift_intensity") is not None:
            x = host.channel_shift(x, get("channel_shift_intensity"), channel_axis)
        if get("flip_horizontal", False):
            x = host.flip(x, col_axis)
        if get("flip_vertical", False):
            x = host.flip(x, row_axis)
        if get("brightness") is not None:
            # Unscaled, as keras-preprocessing 1.1.2: an image in [0, 255] keeps its range.
            x = host.brightness(x, get("brightness"), channel_axis, False)
        return x

    def random_transform(self, x: Any, seed: "int | None" = None) -> Any:
        """One image, randomly transformed (`get_random_transform` then `apply_transform`).

        Example:
            >>> import numpy as np
            >>> ImageDataGenerator(rotation_range=90, zoom_range=0.2).random_transform(np.ones((6, 6, 3)), seed=0).shape
            (6, 6, 3)
        """
        x = host_array(x)
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: "int | None" = None) -> None:
        """Computes the statistics that featurewise_center, featurewise_std_normalization and
        zca_whitening use (`mean`, `std`, `principal_components`) from sample images, after `rescale`
        (as keras-preprocessing 1.1.2, which Keras 2.3.1 installs).

        Args:
            x: images, rank 4 (1, 3 or 4 channels).
            augment: fit on randomly augmented copies of `x` instead.
            rounds: how many augmented copies of `x` to fit on when `augment`.
            seed: reseeds the augmentation.

        Example:
            >>> import numpy as np
            >>> gen = ImageDataGenerator(featurewise_std_normalization=True)
            >>> gen.fit(np.array([1.0, 3.0, 5.0, 7.0]).reshape(4, 1, 1, 1))
            >>> gen.mean.tolist(), gen.std.tolist()
            ([[[4.0]]], [[[2.2360680103302]]])
        """
        x = host_array(x, self.dtype)
        if len(x.shape) != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: {tuple(x.shape)}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f'Expected input to be images (as Numpy array) following the data format convention '
                          f'"{self.data_format}" (channels on axis {self.channel_axis}), i.e. expected either 1, 3 '
                          f"or 4 channels on axis {self.channel_axis}. However, it was passed an array with shape "
                          f"{tuple(x.shape)} ({x.shape[self.channel_axis]} channels).", stacklevel=2)
        if seed is not None:
            host.seed(seed)
        x = host.copy(x)
        if self.rescale:
            # The statistics are those of the data as `standardize` sees it, after rescaling.
            x *= self.rescale
        if augment:
            augmented = host.zeros((rounds * x.shape[0],) + tuple(x.shape[1:]), self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    augmented[i + r * x.shape[0]] = self.random_transform(x[i])
            x = augmented
        if self.zca_whitening:
            host.require("scipy.linalg", "ZCA whitening (zca_whitening=True)")
        self.mean, self.std, self.principal_components = host.fit_statistics(
            x, self.channel_axis, self.featurewise_center, self.featurewise_std_normalization,
            self.zca_epsilon if self.zca_whitening else None)
