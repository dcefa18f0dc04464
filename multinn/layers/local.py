"""Locally connected layers (Keras 2's `keras.layers.local`): convolutions whose weights
are not shared, one kernel per output position.

Keras 2 offers three `implementation` modes that compute the same function with different
speed and memory trade-offs (1: one small product per position; 2: a dense, mostly-zero
kernel and one large product; 3: a sparse kernel). multinn accepts all three, keeps the
value in the config, and computes every mode with its one implementation (mode 1's
kernel layout, one batched product over the positions), so the three give identical
results and interchangeable weights.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec
from multinn.engine.legacy import legacy_support
from multinn.utils import conv_utils
from multinn.utils.argument_validation import check_choice, check_int, forwarded_arguments, int_tuple

from .convolutional import channel_axis, input_channels, spatial_dims, steps_input_kwargs, with_spatial
from .kernel_bias import KernelBiasLayer
from .legacy_interfaces import LOCALLY_CONNECTED1D, LOCALLY_CONNECTED2D

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]


class _LocallyConnected(KernelBiasLayer):
    """Shared machinery; only 'valid' padding, as in Keras 2."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, *, strides: Any = 1, padding: str = "valid",
                 data_format: "str | None" = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, implementation: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self.implementation = check_choice(implementation, "implementation", (1, 2, 3))
        self.rank = rank
        self.filters = check_int(filters, "filters")
        self.kernel_size = int_tuple(kernel_size, rank, "kernel_size")
        self.strides = int_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        if self.padding != "valid":
            raise ValueError(f"Invalid border mode for {type(self).__name__} (only 'valid' is supported). "
                             f"Received: padding={padding!r}")
        self.data_format = K.normalize_data_format(data_format)
        self._set_kernel_bias_options(activation=activation, use_bias=use_bias,
                                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                                      activity_regularizer=activity_regularizer,
                                      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _out_spatial(self, input_shape: tuple) -> tuple:
        return tuple(
            conv_utils.conv_output_length(n, k, "valid", s)
            for n, k, s in zip(spatial_dims(input_shape, self.data_format), self.kernel_size, self.strides)
        )

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        cin = input_channels(self, input_shape)
        spatial = spatial_dims(input_shape, self.data_format)
        if any(n is None for n in spatial):
            raise ValueError(
                f"Layer {self.name}: the spatial dimensions of the inputs to {type(self).__name__} must be "
                f"fully defined. Received: input_shape={input_shape}"
            )
        out = self._out_spatial(input_shape)
        self.output_spatial = out
        positions = 1
        for o in out:
            positions *= o
        taps = 1
        for k in self.kernel_size:
            taps *= k
        self.kernel = self._add_kernel((positions, taps * cin, self.filters))
        self.bias = self._make_bias(out + (self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): cin})
        self.built = True

    def call(self, inputs):
        if self.rank == 1:
            outputs = K.local_conv1d(inputs, self.kernel, self.kernel_size, self.strides, self.data_format)
        else:
            outputs = K.local_conv2d(inputs, self.kernel, self.kernel_size, self.strides, self.output_spatial,
                                     self.data_format)
        if self.use_bias:
            outputs = K.bias_add(outputs, self.bias, data_format=self.data_format)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        return with_spatial(input_shape, self._out_spatial(input_shape), self.filters, self.data_format)

    def get_config(self) -> dict:
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            **self._kernel_bias_config(),
            "implementation": self.implementation,
        }
        return {**super().get_config(), **config}


class LocallyConnected1D(_LocallyConnected):
    """1-D locally connected layer: kernel (output_length, kernel_size * input_dim, filters).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LocallyConnected1D
        >>> LocallyConnected1D(4, 3)(K.ones((2, 10, 3))).shape
        (2, 8, 4)
    """

    @legacy_support(LOCALLY_CONNECTED1D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: "str | None" = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, implementation: int = 1,
                 **kwargs: Any):
        super().__init__(1, **steps_input_kwargs(forwarded_arguments(locals())))


class LocallyConnected2D(_LocallyConnected):
    """2-D locally connected layer: kernel (rows * cols, kh * kw * input_channels, filters).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LocallyConnected2D
        >>> LocallyConnected2D(4, (3, 3))(K.ones((2, 5, 5, 2))).shape
        (2, 3, 3, 4)
    """

    @legacy_support(LOCALLY_CONNECTED2D)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: "str | None" = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, implementation: int = 1,
                 **kwargs: Any):
        super().__init__(2, **forwarded_arguments(locals()))
