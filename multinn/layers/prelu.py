"""PReLU: a leaky ReLU whose negative slope is learned."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn import constraints, initializers, regularizers
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_axis_list

from .legacy_interfaces import PRELU


class PReLU(Layer):
    """`x` for x >= 0, `alpha * x` otherwise, with `alpha` a weight of the input's shape.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the slopes.
        shared_axes: axes (counted from 1) along which one slope is shared, e.g. [1, 2] for
            one slope per channel of (batch, height, width, channels) images.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import PReLU
        >>> PReLU(alpha_initializer="ones")(K.constant([[-1.0, 2.0]])).numpy().tolist()
        [[-1.0, 2.0]]
    """

    @legacy_support(PRELU)
    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = check_axis_list(shared_axes, "shared_axes", minimum=1)  # axis 0 is the batch

    def build(self, input_shape: tuple) -> None:
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU {self.name!r} needs known sizes for the axes it does not share. Received: input_shape={input_shape}, "
                f"shared_axes={self.shared_axes}"
            )
        self.alpha = self.add_weight(
            shape=tuple(param_shape), name="alpha", initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or [])
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs) - self.alpha * K.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
        return {**super().get_config(), **config}
