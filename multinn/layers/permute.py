"""Permute: reorders the non-batch dimensions."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.utils.argument_validation import check_axis_list


class Permute(Layer):
    """Permutes the dimensions of each sample; `dims` counts from 1 (the batch axis stays).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Permute
        >>> Permute((2, 1))(K.ones((5, 3, 4))).shape
        (5, 4, 3)
    """

    def __init__(self, dims: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(check_axis_list(dims, "dims") or ())
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Invalid permutation `dims` for a Permute layer: it must be a permutation of 1..{len(self.dims)} "
                f"(the batch axis is not included). Received: dims={dims!r}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs: Any) -> Any:
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}
