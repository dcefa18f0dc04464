"""Convolution layers (Keras 2's `keras.layers.convolutional`): Conv1D/2D/3D, their
transposes, the separable and depthwise convolutions.

Written only against K: the layers create their weights with `add_weight` and call
K.conv*, K.bias_add and the activation.
"""
from __future__ import annotations

from typing import Any

from multinn import activations, backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.legacy import legacy_support
from multinn.utils import conv_utils
from multinn.utils.argument_validation import check_int, forwarded_arguments, int_tuple

from .kernel_bias import KernelBiasLayer
from .legacy_interfaces import CONV1D, CONV2D, CONV2D_TRANSPOSE, CONV3D, SEPARABLE_CONV2D

# Activations K.conv_nd applies in the convolution's own pass (forward and backward).
_FUSED_ACTIVATIONS = {activations.relu: "relu", activations.tanh: "tanh"}

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
    "Convolution3DTranspose",
    "SeparableConvolution1D", "SeparableConvolution2D", "Deconvolution2D", "Deconvolution3D", "Deconv2D", "Deconv3D",
]


def channel_axis(data_format: str) -> int:
    return 1 if data_format == "channels_first" else -1


def spatial_dims(input_shape: tuple, data_format: str) -> tuple:
    """The spatial sizes of a (batch, ..., channels) or (batch, channels, ...) shape."""
    return tuple(input_shape[2:]) if data_format == "channels_first" else tuple(input_shape[1:-1])


def with_spatial(input_shape: tuple, spatial: tuple, channels: Any, data_format: str) -> tuple:
    if data_format == "channels_first":
        return (input_shape[0], channels) + tuple(spatial)
    return (input_shape[0],) + tuple(spatial) + (channels,)


def input_channels(layer: Layer, input_shape: tuple) -> int:
    dim = input_shape[channel_axis(layer.data_format)]
    if dim is None:
        raise ValueError(
            f"Layer {layer.name}: the channel dimension of the inputs should be defined. Found `None`. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    return int(dim)


def steps_input_kwargs(kwargs: dict) -> dict:
    """Keras 2's 1-D spellings: `input_dim` (with an optional `input_length`) become
    `input_shape=(input_length, input_dim)`.

    Example:
        >>> steps_input_kwargs({"input_dim": 4, "input_length": 7})
        {'input_shape': (7, 4)}
    """
    if "input_dim" in kwargs:
        kwargs = dict(kwargs)
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
    return kwargs


class _Conv(KernelBiasLayer):
    """The shared machinery of the N-D convolution layers (Keras 2's `_Conv`).

    Args:
        rank: 1, 2 or 3 spatial dimensions.
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a tuple of `rank` ints.
        padding: 'valid' or 'same' ('causal' for Conv1D).
        data_format: 'channels_last' or 'channels_first'; None means K.image_data_format().
        activation, use_bias, kernel_/bias_initializer, kernel_/bias_/activity_regularizer,
        kernel_/bias_constraint: as in Keras 2.
        groups: tf.keras 2's grouped convolution (Conv1D/2D/3D only): input and output
            channels split into `groups` blocks, output block g computed from input block g
            alone; kernel (*kernel_size, in_channels // groups, filters).
    """

    _filters_from_input = False  # DepthwiseConv2D: its output channels follow from the input's
    _grouped = False  # Conv1D/2D/3D: `groups` is one of their options (and in their config)

    def __init__(self, rank: int, filters: "int | None", kernel_size: Any, *, strides: Any = 1,
                 padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 groups: int = 1, **kwargs: Any):
        if not self._grouped and groups != 1:
            kwargs["groups"] = groups  # not this layer's option: the Layer base refuses it by name
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = None if self._filters_from_input else check_int(filters, "filters")
        self.groups = check_int(groups, "groups")
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}")
        self.kernel_size = int_tuple(kernel_size, rank, "kernel_size")
        self.strides = int_tuple(strides, rank, "strides")
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = conv_utils.normalize_padding(padding, allowed)
        self.data_format = K.normalize_data_format(data_format)
        self.dilation_rate = int_tuple(dilation_rate, rank, "dilation_rate")
        self._set_kernel_bias_options(activation=activation, use_bias=use_bias,
                                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                                      activity_regularizer=activity_regularizer,
                                      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: tuple) -> None:
        cin = input_channels(self, input_shape)
        if cin % self.groups:
            raise ValueError(
                f"Layer {self.name}: the number of input channels must be evenly divisible by the number of groups. "
                f"Received: groups={self.groups}, but the input has {cin} channels "
                f"(full input shape is {tuple(input_shape)})"
            )
        self.kernel = self._add_kernel(self._kernel_shape(cin))
        self.bias = self._make_bias((self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): cin})
        self.built = True

    def _kernel_shape(self, cin: int) -> tuple:
        return self.kernel_size + (cin // self.groups, self.filters)

    def _convolve(self, inputs, activation=None):
        """The convolution with its bias and, when given, one of K.conv_nd's activations, all in one pass."""
        return K.conv_nd(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                         data_format=self.data_format, dilation_rate=self.dilation_rate, groups=self.groups,
                         activation=activation)

    def call(self, inputs):
        fused = _FUSED_ACTIVATIONS.get(self.activation)
        if fused is not None and type(self)._convolve is _Conv._convolve:
            return self._convolve(inputs, fused)
        return self.activation(self._convolve(inputs))

    def _add_bias(self, outputs):
        return K.bias_add(outputs, self.bias, data_format=self.data_format) if self.use_bias else outputs

    def _output_channels(self, input_shape: tuple) -> int:
        return self.filters

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = tuple(
            conv_utils.conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(spatial_dims(input_shape, self.data_format), self.kernel_size, self.strides,
                                  self.dilation_rate)
        )
        return with_spatial(input_shape, spatial, self._output_channels(input_shape), self.data_format)

    def get_config(self) -> dict:
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **({"groups": self.groups} if self._grouped else {}),
            **self._kernel_bias_config(),
        }
        return {**super().get_config(), **config}


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); padding may be 'causal'.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv1D
        >>> Conv1D(4, 3, padding="causal")(K.ones((2, 10, 3))).shape
        (2, 10, 4)
    """

    _grouped = True

    @legacy_support(CONV1D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, groups: int = 1, **kwargs: Any):
        super().__init__(1, **steps_input_kwargs(forwarded_arguments(locals())))


class Conv2D(_Conv):
    """2-D convolution over images.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv2D
        >>> Conv2D(8, (3, 3), padding="same", activation="relu")(K.ones((1, 6, 6, 2))).shape
        (1, 6, 6, 8)
        >>> grouped = Conv2D(6, 3, groups=2)
        >>> grouped(K.ones((1, 5, 5, 4))).shape, grouped.kernel.shape
        ((1, 3, 3, 6), (3, 3, 2, 6))
    """

    _grouped = True

    @legacy_support(CONV2D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1), activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, groups: int = 1, **kwargs: Any):
        super().__init__(2, **forwarded_arguments(locals()))


class Conv3D(_Conv):
    """3-D convolution over volumes.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv3D
        >>> Conv3D(2, 2)(K.ones((1, 4, 4, 4, 1))).shape
        (1, 3, 3, 3, 2)
    """

    _grouped = True

    @legacy_support(CONV3D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1), activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, groups: int = 1, **kwargs: Any):
        super().__init__(3, **forwarded_arguments(locals()))


# ---------------------------------------------------------------------- transposed convolutions
class _ConvTranspose(_Conv):
    """Transposed convolutions: kernel (*kernel_size, filters, input_channels)."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, *, output_padding: Any = None, **options: Any):
        super().__init__(rank, filters, kernel_size, **options)
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} takes padding 'valid' or 'same'. Received: padding={self.padding!r}")
        self.output_padding = output_padding
        if output_padding is not None:
            self.output_padding = int_tuple(output_padding, rank, "output_padding", minimum=0)
            for stride, pad in zip(self.strides, self.output_padding):
                if pad >= stride:
                    raise ValueError(
                        f"Strides {self.strides} must be greater than output padding {self.output_padding}. "
                        f"Received: output_padding={output_padding!r}"
                    )

    def _kernel_shape(self, cin: int) -> tuple:
        return self.kernel_size + (self.filters, cin)

    def _spatial_out(self, spatial: tuple) -> tuple:
        pads = self.output_padding or (None,) * self.rank
        return tuple(
            conv_utils.deconv_length(n, s, k, self.padding, p, d)
            for n, s, k, p, d in zip(spatial, self.strides, self.kernel_size, pads, self.dilation_rate)
        )

    def _convolve(self, inputs):
        shape = tuple(inputs.shape)
        out_shape = with_spatial(shape, self._spatial_out(spatial_dims(shape, self.data_format)), self.filters,
                                 self.data_format)
        fn = (K.conv1d_transpose, K.conv2d_transpose, K.conv3d_transpose)[self.rank - 1]
        return self._add_bias(fn(inputs, self.kernel, out_shape, strides=self.strides, padding=self.padding,
                                 data_format=self.data_format, dilation_rate=self.dilation_rate))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = self._spatial_out(spatial_dims(input_shape, self.data_format))
        return with_spatial(input_shape, spatial, self.filters, self.data_format)

    def get_config(self) -> dict:
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv1DTranspose
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(K.ones((2, 5, 3))).shape
        (2, 10, 4)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str = "channels_last", dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(1, **forwarded_arguments(locals()))


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution ("deconvolution").

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv2DTranspose
        >>> Conv2DTranspose(3, (3, 3), strides=(2, 2))(K.ones((1, 4, 4, 2))).shape
        (1, 9, 9, 3)
    """

    @legacy_support(CONV2D_TRANSPOSE)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 output_padding: Any = None, data_format: "str | None" = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(2, **forwarded_arguments(locals()))


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Conv3DTranspose
        >>> Conv3DTranspose(2, 2, strides=2)(K.ones((1, 2, 2, 2, 3))).shape
        (1, 4, 4, 4, 2)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 output_padding: Any = None, data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(3, **forwarded_arguments(locals()))


# ---------------------------------------------------------------------- depthwise and separable
class _Multiplied(_Conv):
    """The convolutions with a depthwise step: `depth_multiplier` filters per input channel,
    and an initializer, regularizer and constraint per kernel (`_parts`) in place of the
    `kernel_*` options."""

    _parts = ("depthwise",)

    def __init__(self, rank: int, filters: "int | None", kernel_size: Any, *, depth_multiplier: int = 1,
                 **options: Any):
        parts = {part: [options.pop(f"{part}_{kind}") for kind in ("initializer", "regularizer", "constraint")]
                 for part in self._parts}
        super().__init__(rank, filters, kernel_size, **options)
        self.depth_multiplier = check_int(depth_multiplier, "depth_multiplier")
        for part, (initializer, regularizer, constraint) in parts.items():
            self._set_part_options(part, initializer, regularizer, constraint)

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        if self._filters_from_input:
            config.pop("filters")
        config["depth_multiplier"] = self.depth_multiplier
        for part in self._parts:
            config.update(self._part_config(part))
        return config


class _DepthwiseConv(_Multiplied):
    """Depthwise convolution of any rank: `depth_multiplier` filters per input channel, output
    channel c * depth_multiplier + m from input channel c and filter m (Keras's order);
    depthwise_kernel (*kernel_size, in_channels, depth_multiplier)."""

    _filters_from_input = True

    def build(self, input_shape: tuple) -> None:
        cin = input_channels(self, input_shape)
        self.depthwise_kernel = self._add_kernel(self.kernel_size + (cin, self.depth_multiplier), "depthwise")
        self.bias = self._make_bias((cin * self.depth_multiplier,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): cin})
        self.built = True

    def _convolve(self, inputs):
        # A depthwise kernel is a grouped one with a single input channel per group, so the
        # grouped convolution (with its fused bias) computes it.
        cin, mult = self.depthwise_kernel.shape[-2:]
        grouped = K.reshape(self.depthwise_kernel, self.kernel_size + (1, cin * mult))
        return K.conv_nd(inputs, grouped, self.bias, strides=self.strides, padding=self.padding,
                         data_format=self.data_format, dilation_rate=self.dilation_rate, groups=cin)

    def _output_channels(self, input_shape: tuple) -> Any:
        cin = input_shape[channel_axis(self.data_format)]
        return None if cin is None else cin * self.depth_multiplier


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution (tf.keras 2): `depth_multiplier` filters per input channel,
    no mixing across channels; padding 'valid' or 'same'.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import DepthwiseConv1D
        >>> layer = DepthwiseConv1D(3, depth_multiplier=2, padding="same")
        >>> layer(K.ones((2, 7, 4))).shape, layer.depthwise_kernel.shape
        ((2, 7, 8), (3, 4, 2))
    """

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: "str | None" = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(1, None, **forwarded_arguments(locals()))
        if self.padding == "causal":  # tf.keras's DepthwiseConv1D refuses it too
            raise ValueError(f"DepthwiseConv1D takes padding 'valid' or 'same'. Received: padding={padding!r}")


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution: `depth_multiplier` filters per input channel.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import DepthwiseConv2D
        >>> DepthwiseConv2D(3, depth_multiplier=2)(K.ones((1, 5, 5, 4))).shape
        (1, 3, 3, 8)
    """

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", depth_multiplier: int = 1,
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1), activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(2, None, **forwarded_arguments(locals()))


class _SeparableConv(_Multiplied):
    """A depthwise convolution followed by a pointwise (1x1) one mixing the channels."""

    _parts = ("depthwise", "pointwise")

    def build(self, input_shape: tuple) -> None:
        cin = input_channels(self, input_shape)
        self.depthwise_kernel = self._add_kernel(self.kernel_size + (cin, self.depth_multiplier), "depthwise")
        self.pointwise_kernel = self._add_kernel((1,) * self.rank + (cin * self.depth_multiplier, self.filters),
                                                 "pointwise")
        self.bias = self._make_bias((self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): cin})
        self.built = True

    def _convolve(self, inputs):
        fn = K.separable_conv1d if self.rank == 1 else K.separable_conv2d
        return self._add_bias(fn(inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
                                 padding=self.padding, data_format=self.data_format,
                                 dilation_rate=self.dilation_rate))


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SeparableConv1D
        >>> SeparableConv1D(4, 3, depth_multiplier=2)(K.ones((2, 8, 3))).shape
        (2, 6, 4)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(1, **forwarded_arguments(locals()))


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SeparableConv2D
        >>> SeparableConv2D(8, 3, padding="same")(K.ones((1, 6, 6, 3))).shape
        (1, 6, 6, 8)
    """

    @legacy_support(SEPARABLE_CONV2D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(2, **forwarded_arguments(locals()))


# Keras 2 aliases
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose  # tf.keras 2
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D


# Keras 2.3.1's `keras.layers.convolutional` also exposes the pooling, padding, cropping and
# upsampling layers and the atrous convolutions; those modules import this one, so these
# names are looked up on first use.
_ELSEWHERE = {
    **{name: "pooling" for name in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
                                    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D")},
    **{name: "spatial" for name in ("Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
                                    "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")},
    "AtrousConvolution1D": "legacy_interfaces", "AtrousConvolution2D": "legacy_interfaces",
}
_RENAMED = {"AtrousConv1D": "AtrousConvolution1D", "AtrousConv2D": "AtrousConvolution2D"}


def __getattr__(name: str) -> Any:
    import importlib

    target = _RENAMED.get(name, name)
    if target in _ELSEWHERE:
        return getattr(importlib.import_module(f"{__package__}.{_ELSEWHERE[target]}"), target)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
