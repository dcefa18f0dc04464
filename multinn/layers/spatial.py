"""Spatial reshaping layers of Keras 2's convolutional family: UpSampling, ZeroPadding,
Cropping (1-D, 2-D, 3-D) and SpatialDropout (whole feature maps dropped at once).
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_choice, check_int, int_tuple
from multinn.utils.generic_utils import as_int

from .convolutional import spatial_dims, with_spatial
from .dropout import Dropout
from .legacy_interfaces import DIM_ORDERING, SPATIAL_DROPOUT, SPATIAL_DROPOUT1D, UPSAMPLING1D, ZERO_PADDING2D

__all__ = [
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
]


def _channels(input_shape: tuple, data_format: str) -> Any:
    return input_shape[1] if data_format == "channels_first" else input_shape[-1]


def _pairs(value: Any, rank: int, name: str) -> tuple:
    """An int, `rank` ints (symmetric) or `rank` (before, after) pairs as `rank` pairs of
    non-negative ints (a 1-D layer takes one pair as its two ints)."""
    if as_int(value) is not None:
        size = check_int(value, name, minimum=0)
        return ((size, size),) * rank
    try:
        items = () if isinstance(value, str) else tuple(value)
    except TypeError:
        items = ()
    flat = None not in [as_int(v) for v in items]  # ints, not pairs
    try:
        if flat and rank == 1 and len(items) == 2:
            return (int_tuple(items, 2, name, minimum=0),)
        if flat and len(items) == rank:
            return tuple((v, v) for v in int_tuple(items, rank, name, minimum=0))
        if len(items) == rank and all(isinstance(v, (list, tuple)) for v in items):
            return tuple(int_tuple(v, 2, name, minimum=0) for v in items)
    except ValueError:
        pass  # the message below names the whole argument, not one pair of it
    raise ValueError(
        f"`{name}` should be a non-negative int, a tuple of {rank if rank > 1 else 2} of them, or a tuple of {rank} "
        f"tuples of 2 of them. Received: {name}={value!r}"
    )


# ---------------------------------------------------------------------- upsampling
class UpSampling1D(Layer):
    """Repeats each step `size` times.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import UpSampling1D
        >>> UpSampling1D(3)(K.ones((2, 4, 5))).shape
        (2, 12, 5)
    """

    @legacy_support(UPSAMPLING1D)
    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = check_int(size, "size")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return K.repeat_elements(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        steps = None if input_shape[1] is None else self.size * input_shape[1]
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Repeats rows and columns (interpolation 'nearest' or 'bilinear').

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import UpSampling2D
        >>> UpSampling2D((2, 3))(K.ones((1, 2, 2, 1))).shape
        (1, 4, 6, 1)
    """

    @legacy_support(DIM_ORDERING)
    def __init__(self, size: Any = (2, 2), data_format: "str | None" = None, interpolation: str = "nearest",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = K.normalize_data_format(data_format)
        self.size = int_tuple(size, 2, "size")
        self.interpolation = check_choice(interpolation, "interpolation", ("nearest", "bilinear"))
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return K.resize_images(inputs, self.size[0], self.size[1], self.data_format, interpolation=self.interpolation)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _scaled(tuple(input_shape), self.size, self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(Layer):
    """Repeats depth, rows and columns.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import UpSampling3D
        >>> UpSampling3D()(K.ones((1, 2, 2, 2, 3))).shape
        (1, 4, 4, 4, 3)
    """

    @legacy_support(DIM_ORDERING)
    def __init__(self, size: Any = (2, 2, 2), data_format: "str | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = K.normalize_data_format(data_format)
        self.size = int_tuple(size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        return K.resize_volumes(inputs, self.size[0], self.size[1], self.size[2], self.data_format)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _scaled(tuple(input_shape), self.size, self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


def _scaled(input_shape: tuple, size: tuple, data_format: str) -> tuple:
    spatial = tuple(None if n is None else n * s for n, s in zip(spatial_dims(input_shape, data_format), size))
    return with_spatial(input_shape, spatial, _channels(input_shape, data_format), data_format)


# ---------------------------------------------------------------------- zero padding
class _SpatialEdges(Layer):
    """ZeroPadding and Cropping: `rank` (before, after) pairs, stored under the option's
    name (`_option`), that each spatial size gains (`_sign` 1) or loses (`_sign` -1)."""

    _option = ""
    _sign = 1

    def __init__(self, rank: int, edges: Any, data_format: "str | None", **kwargs: Any):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        setattr(self, self._option, _pairs(edges, rank, self._option))
        self.input_spec = InputSpec(ndim=rank + 2)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        edges = getattr(self, self._option)
        spatial = tuple(None if n is None else n + self._sign * (lo + hi)
                        for n, (lo, hi) in zip(spatial_dims(input_shape, self.data_format), edges))
        return with_spatial(input_shape, spatial, _channels(input_shape, self.data_format), self.data_format)

    def get_config(self) -> dict:
        edges = getattr(self, self._option)
        config = {**super().get_config(), self._option: edges[0] if self.rank == 1 else edges}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class _ZeroPadding(_SpatialEdges):
    _option = "padding"

    def call(self, inputs):
        if self.rank == 1:
            return K.temporal_padding(inputs, self.padding[0])
        fn = K.spatial_2d_padding if self.rank == 2 else K.spatial_3d_padding
        return fn(inputs, self.padding, self.data_format)


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros before and after the steps axis.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ZeroPadding1D
        >>> ZeroPadding1D((1, 2))(K.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    def __init__(self, padding: Any = 1, **kwargs: Any):
        super().__init__(1, padding, "channels_last", **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around an image.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ZeroPadding2D
        >>> ZeroPadding2D(((1, 0), (2, 3)))(K.ones((1, 4, 4, 2))).shape
        (1, 5, 9, 2)
    """

    @legacy_support(ZERO_PADDING2D)
    def __init__(self, padding: Any = (1, 1), data_format: "str | None" = None, **kwargs: Any):
        super().__init__(2, padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around a volume.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ZeroPadding3D
        >>> ZeroPadding3D()(K.ones((1, 2, 2, 2, 1))).shape
        (1, 4, 4, 4, 1)
    """

    @legacy_support(DIM_ORDERING)
    def __init__(self, padding: Any = (1, 1, 1), data_format: "str | None" = None, **kwargs: Any):
        super().__init__(3, padding, data_format, **kwargs)


# ---------------------------------------------------------------------- cropping
class _Cropping(_SpatialEdges):
    _option = "cropping"
    _sign = -1

    def call(self, inputs):
        spatial = spatial_dims(tuple(inputs.shape), self.data_format)
        for n, (lo, hi) in zip(spatial, self.cropping):
            if lo + hi > n:  # cropping all of it is allowed: an empty output, as Keras 2.3.1
                raise ValueError(f"Layer {self.name}: cropping {self.cropping} is more than an input of "
                                 f"spatial shape {spatial} holds.")
        index = tuple(slice(lo, n - hi) for n, (lo, hi) in zip(spatial, self.cropping))
        if self.data_format == "channels_first":
            return inputs[(slice(None), slice(None)) + index]
        return inputs[(slice(None),) + index + (slice(None),)]


class Cropping1D(_Cropping):
    """Removes steps from the start and end of a sequence.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Cropping1D
        >>> Cropping1D((1, 2))(K.ones((2, 6, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(1, cropping, "channels_last", **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges of an image.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Cropping2D
        >>> Cropping2D(((1, 0), (2, 1)))(K.ones((1, 5, 6, 2))).shape
        (1, 4, 3, 2)
    """

    @legacy_support(DIM_ORDERING)
    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: "str | None" = None, **kwargs: Any):
        super().__init__(2, cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes slices at the edges of a volume.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Cropping3D
        >>> Cropping3D()(K.ones((1, 4, 4, 4, 1))).shape
        (1, 2, 2, 2, 1)
    """

    @legacy_support(DIM_ORDERING)
    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: "str | None" = None, **kwargs: Any):
        super().__init__(3, cropping, data_format, **kwargs)


# ---------------------------------------------------------------------- spatial dropout
class _SpatialDropout(Dropout):
    """Dropout of whole channels (feature maps) in training; the identity at test time."""

    def __init__(self, rank: int, rate: float, data_format: "str | None", seed: "int | None" = None,
                 **kwargs: Any):
        kwargs.pop("noise_shape", None)  # fixed by the data format (and present in configs)
        super().__init__(rate, noise_shape=None, seed=seed, **kwargs)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _get_noise_shape(self, inputs) -> tuple:
        n, ones = inputs.shape[0], (1,) * self.rank
        if self.data_format == "channels_first":
            return (n, inputs.shape[1]) + ones
        return (n,) + ones + (inputs.shape[-1],)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops entire channels of a (batch, steps, channels) input with probability `rate`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SpatialDropout1D
        >>> y = SpatialDropout1D(0.5, seed=1)(K.ones((2, 4, 6)), training=True).numpy()
        >>> bool(((y == 0).all(axis=1) | (y == 2).all(axis=1)).all())
        True
    """

    @legacy_support(SPATIAL_DROPOUT1D)
    def __init__(self, rate: float, seed: "int | None" = None, **kwargs: Any):
        super().__init__(1, rate, "channels_last", seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2-D feature maps with probability `rate`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SpatialDropout2D
        >>> SpatialDropout2D(0.5)(K.ones((2, 3, 3, 4))).shape
        (2, 3, 3, 4)
    """

    @legacy_support(SPATIAL_DROPOUT)
    def __init__(self, rate: float, data_format: "str | None" = None, seed: "int | None" = None, **kwargs: Any):
        super().__init__(2, rate, data_format, seed=seed, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3-D feature maps with probability `rate`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SpatialDropout3D
        >>> SpatialDropout3D(0.5, data_format="channels_first")(K.ones((2, 3, 2, 2, 2))).shape
        (2, 3, 2, 2, 2)
    """

    @legacy_support(SPATIAL_DROPOUT)
    def __init__(self, rate: float, data_format: "str | None" = None, seed: "int | None" = None, **kwargs: Any):
        super().__init__(3, rate, data_format, seed=seed, **kwargs)
