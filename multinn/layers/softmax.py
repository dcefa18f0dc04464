"""Softmax: the softmax activation as a layer."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_int


class Softmax(Layer):
    """Softmax along `axis`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Softmax
        >>> Softmax()(K.constant([[1.0, 1.0]])).numpy().tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = check_int(axis, "axis", minimum=None)

    def call(self, inputs: Any) -> Any:
        return K.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
