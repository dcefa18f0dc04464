"""AdditiveAttention (tf.keras 2): Bahdanau-style attention."""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from .base_dense_attention import BaseDenseAttention

__all__ = ["AdditiveAttention"]


class AdditiveAttention(BaseDenseAttention):
    """Additive attention: scores `sum(scale * tanh(query + key), axis=-1)` (tf.keras 2).

    Called on `[query, value]` or `[query, value, key]`; see BaseDenseAttention for the
    call arguments (`mask`, `training`, `return_attention_scores`, `use_causal_mask`).

    Args:
        use_scale: learn a `scale` vector of the feature size (glorot-uniform initialized);
            without it the scale is 1.
        dropout: fraction of the attention scores to drop while training.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import AdditiveAttention
        >>> q, v = K.ones((2, 3, 4)), K.ones((2, 5, 4))
        >>> AdditiveAttention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)

    def build(self, input_shape: Any) -> None:
        dim = input_shape[1][-1]
        if self.use_scale and dim is None:
            raise ValueError(f"AdditiveAttention needs the value's last dimension. Received: input_shape={input_shape}")
        self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform") if self.use_scale else None
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        t = K.tanh(K.expand_dims(query, -2) + K.expand_dims(key, -3))  # (batch, Tq, Tv, dim)
        return K.sum(t * self.scale if self.scale is not None else t, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale}
