"""Dense: the fully connected layer."""
from __future__ import annotations

from typing import Any

from multinn import activations, backend as K
from multinn.engine.base_layer import InputSpec
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_int

from .kernel_bias import KernelBiasLayer
from .legacy_interfaces import DENSE


# Activations K.dense fuses with the product and bias (one op forward and backward).
_FUSED_ACTIVATIONS = {activations.linear: "linear", activations.relu: "relu", activations.tanh: "tanh"}


class Dense(KernelBiasLayer):
    """`output = activation(dot(input, kernel) + bias)` (Keras 2).

    Args:
        units: output dimension.
        activation: activation function (name or callable); None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: 'glorot_uniform' and 'zeros' by default.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional constraints.

    Inputs of shape (batch, ..., input_dim) give outputs of shape (batch, ..., units).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Dense
        >>> Dense(3)(K.ones((2, 4))).shape
        (2, 3)
    """

    @legacy_support(DENSE)
    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.units = check_int(units, "units")
        self._set_kernel_bias_options(activation=activation, use_bias=use_bias,
                                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                                      activity_regularizer=activity_regularizer,
                                      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to Dense {self.name!r} must be known. Received: input_shape={input_shape}")
        self.kernel = self._add_kernel((input_dim, self.units))
        self.bias = self._make_bias((self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs: Any) -> Any:
        fused = _FUSED_ACTIVATIONS.get(self.activation)
        output = K.dense(inputs, self.kernel, self.bias, activation=fused)
        return output if fused is not None else self.activation(output)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, **self._kernel_bias_config()}
