"""Rescaling (tf.keras 2): `inputs * scale + offset`."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number

__all__ = ["Rescaling"]


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset` (`[0, 255]` pixels to `[0, 1]` with
    `scale=1/255`, to `[-1, 1]` with `scale=1/127.5, offset=-1`).

    Args:
        scale: the factor (a number).
        offset: the value added after scaling (default 0).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Rescaling
        >>> Rescaling(1 / 127.5, offset=-1)(K.constant([[0.0, 255.0]])).numpy().tolist()
        [[-1.0, 1.0]]
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = check_number(scale, "scale")
        self.offset = check_number(offset, "offset")

    def call(self, inputs: Any) -> Any:
        dtype = self.dtype if self.dtype.startswith("float") else K.floatx()
        return K.cast(inputs, dtype) * self.scale + self.offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
