"""LeakyReLU: a small slope for negative inputs."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number


class LeakyReLU(Layer):
    """`x` for x >= 0, `alpha * x` otherwise (Keras 2 default alpha=0.3).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LeakyReLU
        >>> LeakyReLU(alpha=0.5)(K.constant([[-1.0, 2.0]])).numpy().tolist()
        [[-0.5, 2.0]]
    """

    def __init__(self, alpha: float = 0.3, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha = check_number(alpha, "alpha")

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}
