"""Attention (tf.keras 2): Luong-style dot-product attention."""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from .base_dense_attention import BaseDenseAttention

__all__ = ["Attention"]


class Attention(BaseDenseAttention):
    """Dot-product attention: `softmax(query . key^T) . value` (tf.keras 2's `Attention`).

    Called on `[query, value]` or `[query, value, key]`; see BaseDenseAttention for the
    call arguments (`mask`, `training`, `return_attention_scores`, `use_causal_mask`).

    Args:
        use_scale: learn a scalar `scale` multiplying the scores (initialized to 1).
        score_mode: `'dot'` (query . key) or `'concat'`
            (`concat_score_weight * sum(tanh(scale * (query + key)))`).
        dropout: fraction of the attention scores to drop while training.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Attention
        >>> q = K.constant([[[1.0, 0.0]]])
        >>> v = K.constant([[[1.0, 0.0], [0.0, 1.0]]])
        >>> out, scores = Attention()([q, v], return_attention_scores=True)
        >>> scores.numpy().astype('float64').round(4).tolist()
        [[[0.7311, 0.2689]]]
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", **kwargs: Any):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Received: score_mode={score_mode!r}. Acceptable values are: ['dot', 'concat']")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode

    def build(self, input_shape: Any) -> None:
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = (
            self.add_weight(name="concat_score_weight", shape=(), initializer="ones") if self.score_mode == "concat" else None
        )
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        if self.score_mode == "dot":
            scores = K.einsum("...ij,...kj->...ik", query, key)
            return scores * self.scale if self.scale is not None else scores
        summed = K.expand_dims(query, -2) + K.expand_dims(key, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            summed = summed * self.scale
        return self.concat_score_weight * K.sum(K.tanh(summed), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode}
