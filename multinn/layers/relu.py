"""ReLU: rectified linear unit with optional cap, slope and threshold."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer


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
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be negative. Received: max_value={max_value!r}")
        if negative_slope < 0.0:
            raise ValueError(f"negative_slope of a ReLU layer cannot be negative. Received: negative_slope={negative_slope!r}")
        self.supports_masking = True
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs: Any) -> Any:
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold}
        return {**super().get_config(), **config}
