"""CategoryEncoding (tf.keras 2): integer categories as one-hot, multi-hot or count vectors."""
from __future__ import annotations

from typing import Any

from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int

from .encoding import OUTPUT_MODES, encode, encoded_shape

__all__ = ["CategoryEncoding"]


class CategoryEncoding(Layer):
    """Encodes integer features in [0, num_tokens) as dense vectors of `num_tokens` entries.

    Args:
        num_tokens: how many categories (indices outside [0, num_tokens) encode as zeros; tf.keras
            raises on them at run time, which would cost a device-to-host read per batch here).
        output_mode: 'multi_hot' (default: 1 where an index occurs in the sample), 'one_hot'
            (one vector per index) or 'count' (how often each index occurs).
        sparse: only False (dense outputs).

    Call with `count_weights=` (the inputs' shape) to weigh each index in 'count' mode.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import CategoryEncoding
        >>> x = K.constant([[0, 1], [0, 0], [1, 2], [3, 1]], dtype="int64")
        >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")(x).numpy().tolist()
        [[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """

    def __init__(self, num_tokens: "int | None" = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if num_tokens is None:
            raise ValueError("CategoryEncoding: `num_tokens` must be set. Received: num_tokens=None")
        self.num_tokens = check_int(num_tokens, "num_tokens")
        self.output_mode = check_choice(output_mode, "output_mode", OUTPUT_MODES)
        if sparse:
            raise NotImplementedError(f"CategoryEncoding: only dense outputs are supported. Received: sparse={sparse!r}")
        self.sparse = False

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("CategoryEncoding: `count_weights` applies only to output_mode='count'. "
                             f"Received: output_mode={self.output_mode!r}")
        return encode(inputs, self.num_tokens, self.output_mode, self.dtype, count_weights)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return encoded_shape(tuple(input_shape), self.num_tokens, self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}
