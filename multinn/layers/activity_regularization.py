"""ActivityRegularization: adds an L1/L2 penalty on its input to the model's loss."""
from __future__ import annotations

from typing import Any

from multinn import regularizers
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number


class ActivityRegularization(Layer):
    """Passes inputs through and adds `l1 * sum(|x|) + l2 * sum(x**2)` to `layer.losses`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ActivityRegularization
        >>> layer = ActivityRegularization(l1=0.1)
        >>> _ = layer(K.constant([[1.0, -2.0]]))
        >>> round(float(layer.losses[0]), 4)
        0.3
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.l1 = check_number(l1, "l1")
        self.l2 = check_number(l2, "l2")
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
