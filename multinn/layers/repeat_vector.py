"""RepeatVector: repeats a vector n times."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.utils.argument_validation import check_int


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RepeatVector
        >>> RepeatVector(3)(K.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.n = check_int(n, "n")
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs: Any) -> Any:
        return K.repeat(inputs, self.n)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
