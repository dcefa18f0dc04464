"""Flatten: collapses all but the batch dimension."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    Args:
        data_format: 'channels_first' inputs are moved to channels_last order first, so the
            flattened order is the same for both formats (Keras 2).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Flatten
        >>> Flatten()(K.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format: "str | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=3)
        self.data_format = K.normalize_data_format(data_format)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if not all(input_shape[1:]):
            raise ValueError(
                f'The shape of the input to "Flatten" is not fully defined (got {tuple(input_shape[1:])}). Make sure to '
                'pass a complete "input_shape" or "batch_input_shape" argument to the first layer in your model.'
            )
        size = 1
        for d in input_shape[1:]:
            size *= int(d)
        return (input_shape[0], size)

    def call(self, inputs: Any) -> Any:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = K.permute_dimensions(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return K.batch_flatten(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
