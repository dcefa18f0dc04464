"""ReLU: rectified linear unit with optional cap, slope and threshold."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number


class ReLU(Layer):
    """`min(x, max_value)` for x >= threshold, `negative_slope * (x - threshold)` otherwise.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ReLU
        >>> ReLU(max_value=1.0)(K.constant([[-1.0, 0.5, 3.0]])).numpy().tolist()
        [[0.0, 0.5, 1.0]]
    """

    def __init__(self, max_value: "float | None" = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.max_value = None if max_value is None else check_number(max_value, "max_value", minimum=0)
        self.negative_slope = check_number(negative_slope, "negative_slope", minimum=0)
        self.threshold = check_number(threshold, "threshold")

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold}
        return {**super().get_config(), **config}
