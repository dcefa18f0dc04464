"""ELU: exponential linear unit."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number


class ELU(Layer):
    """`x` for x > 0, `alpha * (exp(x) - 1)` otherwise.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ELU
        >>> ELU()(K.constant([[0.0, 2.0]])).numpy().tolist()
        [[0.0, 2.0]]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha = check_number(alpha, "alpha")

    def call(self, inputs: Any) -> Any:
        return K.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}
