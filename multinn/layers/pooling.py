"""Pooling layers (Keras 2's `keras.layers.pooling`): max and average pooling in 1, 2 and
3 dimensions, and their global forms.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.legacy import legacy_support
from multinn.utils import conv_utils
from multinn.utils.argument_validation import int_tuple

from .convolutional import spatial_dims, with_spatial
from .legacy_interfaces import GLOBAL_POOLING, POOLING, POOLING1D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
]


class _Pooling(Layer):
    """Windows of `pool_size` moved by `strides` (default: pool_size), reduced by max or mean."""

    _mode = "max"

    def __init__(self, rank: int, pool_size: Any, strides: Any, padding: str, data_format: "str | None",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = int_tuple(pool_size, rank, "pool_size")
        self.strides = self.pool_size if strides is None else int_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        fn = (K.pool1d, K.pool2d, K.pool3d)[self.rank - 1]
        return fn(inputs, self.pool_size, strides=self.strides, padding=self.padding, data_format=self.data_format,
                  pool_mode=self._mode)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = tuple(
            conv_utils.conv_output_length(n, p, self.padding, s)
            for n, p, s in zip(spatial_dims(input_shape, self.data_format), self.pool_size, self.strides)
        )
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        return with_spatial(input_shape, spatial, channels, self.data_format)

    def get_config(self) -> dict:
        config = {"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                  "data_format": self.data_format}
        return {**super().get_config(), **config}


class _Pooling1D(_Pooling):
    @legacy_support(POOLING1D)
    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any):
        super().__init__(1, pool_size, strides, padding, data_format, **kwargs)


class _Pooling2D(_Pooling):
    @legacy_support(POOLING)
    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: "str | None" = None, **kwargs: Any):
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)


class _Pooling3D(_Pooling):
    @legacy_support(POOLING)
    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: "str | None" = None, **kwargs: Any):
        super().__init__(3, pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling1D):
    """Max pooling over steps (default pool_size 2, strides = pool_size).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import MaxPooling1D
        >>> MaxPooling1D()(K.ones((2, 9, 3))).shape
        (2, 4, 3)
    """


class AveragePooling1D(_Pooling1D):
    """Average pooling over steps.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import AveragePooling1D
        >>> AveragePooling1D(3, padding="same")(K.ones((2, 7, 3))).shape
        (2, 3, 3)
    """

    _mode = "avg"


class MaxPooling2D(_Pooling2D):
    """Max pooling over rows and columns.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import MaxPooling2D
        >>> MaxPooling2D()(K.ones((1, 6, 5, 2))).shape
        (1, 3, 2, 2)
    """


class AveragePooling2D(_Pooling2D):
    """Average pooling over rows and columns ('same' counts only real cells).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import AveragePooling2D
        >>> AveragePooling2D(padding="same")(K.ones((1, 5, 5, 2))).shape
        (1, 3, 3, 2)
    """

    _mode = "avg"


class MaxPooling3D(_Pooling3D):
    """Max pooling over volumes.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import MaxPooling3D
        >>> MaxPooling3D()(K.ones((1, 4, 4, 4, 1))).shape
        (1, 2, 2, 2, 1)
    """


class AveragePooling3D(_Pooling3D):
    """Average pooling over volumes.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import AveragePooling3D
        >>> AveragePooling3D()(K.ones((1, 4, 4, 4, 1))).shape
        (1, 2, 2, 2, 1)
    """

    _mode = "avg"


# ---------------------------------------------------------------------- global pooling
class _GlobalPooling(Layer):
    """Reduces every spatial dimension away: (batch, ..., channels) -> (batch, channels)."""

    _reduce = staticmethod(K.max)

    def __init__(self, rank: int, data_format: "str | None", **kwargs: Any):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = K.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _axes(self) -> list:
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._axes())

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        return (input_shape[0], channels)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over steps of each channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalMaxPooling1D
        >>> GlobalMaxPooling1D()(K.ones((2, 5, 3))).shape
        (2, 3)
    """

    def __init__(self, data_format: str = "channels_last", **kwargs: Any):
        super().__init__(1, data_format, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over steps of each channel; with a mask, the mean over unmasked steps.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalAveragePooling1D
        >>> GlobalAveragePooling1D()(K.ones((2, 5, 3))).numpy().tolist()[0]
        [1.0, 1.0, 1.0]
    """

    _reduce = staticmethod(K.mean)

    def __init__(self, data_format: str = "channels_last", **kwargs: Any):
        super().__init__(1, data_format, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return K.mean(inputs, axis=self._axes())
        steps_axis = self._axes()[0]
        weights = K.cast(mask, K.dtype(inputs))
        weights = K.expand_dims(weights, 2 if steps_axis == 1 else 1)
        return K.sum(inputs * weights, axis=steps_axis) / K.sum(weights, axis=steps_axis)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over rows and columns of each channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalMaxPooling2D
        >>> GlobalMaxPooling2D()(K.ones((2, 4, 4, 3))).shape
        (2, 3)
    """

    @legacy_support(GLOBAL_POOLING)
    def __init__(self, data_format: "str | None" = None, **kwargs: Any):
        super().__init__(2, data_format, **kwargs)


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over rows and columns of each channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalAveragePooling2D
        >>> GlobalAveragePooling2D(data_format="channels_first")(K.ones((2, 3, 4, 4))).shape
        (2, 3)
    """

    _reduce = staticmethod(K.mean)

    @legacy_support(GLOBAL_POOLING)
    def __init__(self, data_format: "str | None" = None, **kwargs: Any):
        super().__init__(2, data_format, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over a volume of each channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalMaxPooling3D
        >>> GlobalMaxPooling3D()(K.ones((2, 2, 2, 2, 3))).shape
        (2, 3)
    """

    @legacy_support(GLOBAL_POOLING)
    def __init__(self, data_format: "str | None" = None, **kwargs: Any):
        super().__init__(3, data_format, **kwargs)


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over a volume of each channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GlobalAveragePooling3D
        >>> GlobalAveragePooling3D()(K.ones((2, 2, 2, 2, 3))).shape
        (2, 3)
    """

    _reduce = staticmethod(K.mean)

    @legacy_support(GLOBAL_POOLING)
    def __init__(self, data_format: "str | None" = None, **kwargs: Any):
        super().__init__(3, data_format, **kwargs)


# Keras 2 aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
