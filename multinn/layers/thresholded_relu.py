"""ThresholdedReLU: passes values above a threshold."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number


class ThresholdedReLU(Layer):
    """`x` for x > theta, 0 otherwise.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ThresholdedReLU
        >>> ThresholdedReLU(theta=1.0)(K.constant([[0.5, 2.0]])).numpy().tolist()
        [[0.0, 2.0]]
    """

    def __init__(self, theta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.theta = check_number(theta, "theta")

    def call(self, inputs: Any) -> Any:
        return inputs * K.cast(K.greater(inputs, self.theta), K.dtype(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "theta": self.theta}
