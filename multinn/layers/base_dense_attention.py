"""BaseDenseAttention: what Attention and AdditiveAttention share (tf.keras 2).

Scores between a query and a key, masked, turned into a distribution by softmax over the
value steps, optionally dropped out, and used to average the value. Subclasses say how
scores are computed (`_calculate_scores`).
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.engine.keras_tensor import is_symbolic

__all__ = ["BaseDenseAttention", "causal_mask_like", "padding_bias", "call_noting_scores"]


def call_noting_scores(layer: Any, call: Any, inputs: Any, kwargs: dict) -> Any:
    """`call(inputs, **kwargs)` with `layer._returns_scores` telling whether this call returns
    the attention scores too: the output structure depends on that call argument, and
    compute_output_shape / compute_mask read it from there during the call.

    Example:
        >>> from multinn.layers import Attention
        >>> layer = Attention()
        >>> call_noting_scores(layer, lambda x, **kw: layer._returns_scores, None, {"return_attention_scores": True})
        True
    """
    previous = layer.__dict__.get("_returns_scores", False)
    object.__setattr__(layer, "_returns_scores", bool(kwargs.get("return_attention_scores", False)))
    try:
        return call(inputs, **kwargs)
    finally:
        object.__setattr__(layer, "_returns_scores", previous)


def causal_mask_like(scores: Any) -> Any:
    """A boolean (1, ..., Tq, Tv) mask, True where the query step i may see value step j (j <= i).

    Built from `scores` itself so that it lives on the scores' backend.

    Example:
        >>> from multinn import backend as K
        >>> causal_mask_like(K.zeros((2, 3, 3))).numpy().astype(int).tolist()
        [[[1, 0, 0], [1, 1, 0], [1, 1, 1]]]
    """
    ones = K.ones_like(scores[tuple([slice(0, 1)] * (scores.ndim - 2))])
    return K.greater_equal(K.cumsum(ones, axis=-2), K.cumsum(ones, axis=-1))


def padding_bias(mask: Any, dtype: str) -> Any:
    """What is added to the scores where `mask` is False: a large negative number (tf.keras's).

    Example:
        >>> from multinn import backend as K
        >>> padding_bias(K.constant([True, False]), "float32").numpy().tolist()
        [-0.0, -1000000000.0]
    """
    big = 65504.0 if dtype == "float16" else 1.0e9
    return K.cast(K.logical_not(K.cast(mask, "bool")), dtype) * (-big)


class BaseDenseAttention(Layer):
    """Dot-product style attention over `[query, value]` or `[query, value, key]` inputs.

    Inputs: query (batch, Tq, dim), value (batch, Tv, dim), optional key (batch, Tv, dim)
    (the value when absent). Call arguments: `mask=[query_mask, value_mask]` (booleans of
    shape (batch, Tq) and (batch, Tv); in a model they come from mask propagation, e.g.
    `Embedding(mask_zero=True)`), `training`, `return_attention_scores`, `use_causal_mask`.
    The output is (batch, Tq, dim); its mask is the query's.

    Args:
        dropout: fraction of the attention scores to drop while training.

    Example:
        >>> from multinn import backend as K
        >>> class Plain(BaseDenseAttention):
        ...     def _calculate_scores(self, query, key):
        ...         return K.einsum("bik,bjk->bij", query, key)
        >>> Plain()([K.ones((1, 2, 3)), K.ones((1, 4, 3))]).shape
        (1, 2, 3)
    """

    def __init__(self, dropout: float = 0.0, **kwargs: Any):
        causal = kwargs.pop("causal", False)  # tf.keras's deprecated spelling of use_causal_mask=True
        super().__init__(**kwargs)
        rate = float(dropout)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"{type(self).__name__} `dropout` must be a fraction in [0, 1). Received: dropout={dropout!r}")
        self.dropout = rate
        self.causal = bool(causal)
        self.supports_masking = True

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if is_symbolic(kwargs.get("mask")):
            # A model graph records tensors only among a layer's inputs, not in its keyword arguments.
            raise ValueError(
                f"{type(self).__name__}: in a model, the query and value masks come from mask propagation "
                "(an Embedding(mask_zero=True) or Masking layer before this one); `mask=` takes real tensors "
                f"(an eager call). Received: mask={kwargs['mask']!r}")
        return call_noting_scores(self, super().__call__, inputs, kwargs)

    def _produces_mask(self) -> bool:
        return False  # it passes the query's mask on and makes none of its own

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        raise NotImplementedError

    def _apply_scores(self, scores: Any, value: Any, scores_mask: Any = None, training: Any = None) -> tuple:
        if scores_mask is not None:
            scores = scores + padding_bias(scores_mask, K.dtype(scores))
        weights = K.softmax(scores, axis=-1)
        if self.dropout > 0:
            weights = K.in_train_phase(lambda: K.dropout(weights, self.dropout), weights, training=training)
        return K.matmul(weights, value), weights

    def call(self, inputs: Any, mask: Any = None, training: Any = None, return_attention_scores: bool = False,
             use_causal_mask: bool = False) -> Any:
        self._validate_call_args(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(q, k)
        scores_mask = None
        if v_mask is not None:
            scores_mask = K.expand_dims(K.cast(v_mask, "bool"), -2)  # (batch, 1, Tv)
        if self.causal or use_causal_mask:
            causal = causal_mask_like(scores)
            scores_mask = causal if scores_mask is None else K.logical_and(scores_mask, causal)
        result, weights = self._apply_scores(scores, v, scores_mask, training)
        if q_mask is not None:
            result = result * K.expand_dims(K.cast(q_mask, K.dtype(result)), -1)
        if return_attention_scores:
            return [result, weights]
        return result

    def _validate_call_args(self, inputs: Any, mask: Any) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or [query, value, key]. "
                f"Received: inputs={inputs!r}")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
                f"Received length: {len(inputs)}.")
        if mask:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. Received: mask={mask!r}")
            if not 2 <= len(mask) <= len(inputs):
                raise ValueError(
                    f"{name} layer mask must be a list of length 2, namely [query_mask, value_mask]. "
                    f"Received length: {len(mask)}.")

    # ------------------------------------------------------------------ shapes, masks, config
    def compute_output_shape(self, input_shape: Any) -> Any:
        q, v = tuple(input_shape[0]), tuple(input_shape[1])
        out = q[:-1] + v[-1:]
        if self.__dict__.get("_returns_scores"):
            return [out, q[:-1] + v[1:-1]]
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        q_mask = mask[0] if mask else None
        if self.__dict__.get("_returns_scores"):
            return [q_mask, None]
        return q_mask

    def get_config(self) -> dict:
        return {**super().get_config(), "dropout": self.dropout}
