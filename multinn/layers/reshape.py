"""Reshape: gives the samples a new shape."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.generic_utils import as_int


def _target_shape(value: Any) -> tuple:
    """`target_shape` as a tuple of positive ints, one of which may be -1 (inferred)."""
    try:
        sizes = None if isinstance(value, str) else tuple(as_int(d) for d in value)
    except TypeError:
        sizes = None
    if sizes is None or any(d is None or (d < 1 and d != -1) for d in sizes) or sizes.count(-1) > 1:
        raise ValueError(
            "The `target_shape` argument must be a tuple of positive ints with at most one unknown dimension "
            "(-1, inferred from the input). "
            f"Received: target_shape={value!r}"
        )
    return sizes


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1: inferred).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Reshape
        >>> Reshape((3, -1))(K.ones((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.target_shape = _target_shape(target_shape)

    def _fix_unknown_dimension(self, input_shape: tuple, output_shape: tuple) -> tuple:
        output_shape = list(output_shape)
        known, unknown = 1, None
        for i, d in enumerate(output_shape):  # __init__ let through at most one -1
            if d == -1:
                unknown = i
            else:
                known *= d
        original = 1
        for d in input_shape:
            original *= d
        message = (
            f"Reshape {self.name!r}: total size of new array must be unchanged. Received: input shape {tuple(input_shape)}, "
            f"target_shape={self.target_shape}"
        )
        if unknown is not None:
            if known == 0 or original % known != 0:
                raise ValueError(message)
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(message)
        return tuple(output_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if None in input_shape[1:]:
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._fix_unknown_dimension(input_shape[1:], self.target_shape)

    def call(self, inputs: Any) -> Any:
        return K.reshape(inputs, (inputs.shape[0],) + self._fix_unknown_dimension(inputs.shape[1:], self.target_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}
