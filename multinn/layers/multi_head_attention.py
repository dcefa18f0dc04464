"""MultiHeadAttention (tf.keras 2): scaled dot-product attention in several heads, from EinsumDense projections."""
from __future__ import annotations

import math
import string
from typing import Any

from multinn import backend as K, constraints, initializers, regularizers
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_int

from .base_dense_attention import call_noting_scores, padding_bias
from .einsum_dense import EinsumDense

__all__ = ["MultiHeadAttention"]

_LETTERS = string.ascii_lowercase


def projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple:
    """(einsum equation, bias axes, output rank) of a projection keeping `free_dims` input axes,
    contracting `bound_dims` and creating `output_dims` (tf.keras's lettering, so kernels match).

    Example:
        >>> projection_equation(2, 1, 2)
        ('abc,cde->abde', 'de', 4)
    """
    free = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims:free_dims + bound_dims]
    out = _LETTERS[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def attention_equations(rank: int, attn_axes: tuple) -> tuple:
    """(scores equation, combine equation, scores rank) for projected tensors of `rank`
    attending over `attn_axes` (tf.keras's lettering).

    Example:
        >>> attention_equations(4, (1,))
        ('aecd,abcd->acbe', 'acbe,aecd->abcd', 4)
    """
    target = _LETTERS[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source = ""
    offset = rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes] + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class MultiHeadAttention(Layer):
    """Multi-head attention (tf.keras 2's `MultiHeadAttention`, "Attention Is All You Need").

    The query, key and value are projected to `num_heads` heads by EinsumDense layers named
    `query`, `key` and `value`; each head's scores `q . k / sqrt(key_dim)` are masked and
    turned into a distribution by softmax over the attention axes, dropped out while
    training, and average the value heads; an EinsumDense `attention_output` projects the
    heads back. The weights are, in tf.keras's order, the kernel and bias of query, key,
    value and attention_output, with tf.keras's shapes, so `set_weights(tf_layer.get_weights())`
    gives tf.keras's outputs.

    Called as `layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)`: query (batch, T, dim), value (batch, S, dim),
    key (batch, S, dim) (the value when absent), attention_mask boolean (batch, T, S) with
    True where a query step may attend. Masks of the inputs (mask propagation, e.g.
    `Embedding(mask_zero=True)`) are combined with it as tf.keras does; the output's mask
    is the query's.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default key_dim).
        dropout: dropout rate on the attention scores.
        use_bias: whether the projections have biases.
        output_shape: the output's last dimension(s) (default: the query's last dimension).
        attention_axes: the axes attention runs over (default: all but batch, heads and features).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        softmax_robust_masking: mask by replacing the scores (True) rather than adding a
            large negative number (False, tf.keras's default).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import MultiHeadAttention
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = K.ones((3, 5, 8))
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
        >>> [w.shape for w in mha.get_weights()][:2]
        [(8, 2, 4), (2, 4)]
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: "int | None" = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        softmax_robust_masking: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = check_int(num_heads, "num_heads")
        self._key_dim = check_int(key_dim, "key_dim")
        self._value_dim = check_int(value_dim, "value_dim") if value_dim else self._key_dim
        rate = float(dropout)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"MultiHeadAttention `dropout` must be a fraction in [0, 1). Received: dropout={dropout!r}")
        self._dropout = rate
        self._use_bias = bool(use_bias)
        if output_shape is not None and not isinstance(output_shape, int):
            output_shape = [int(d) for d in output_shape]
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._softmax_robust_masking = bool(softmax_robust_masking)
        if attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            attention_axes = (attention_axes,)
        self._attention_axes = None if attention_axes is None else tuple(int(a) for a in attention_axes)
        self._query_shape = self._key_shape = self._value_shape = None

    # tf.keras exposes these read-only
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    # ------------------------------------------------------------------ calling convention
    def __call__(self, query: Any, value: Any = None, key: Any = None, attention_mask: Any = None, **kwargs: Any) -> Any:
        """Calls the layer on query, value (and key, attention_mask), as tf.keras does.

        The tensors travel as one input list `[query, value, key]` (+ `attention_mask`), the
        value standing in for an absent key, so a model graph records and replays them all.
        """
        if value is None:
            if isinstance(query, (list, tuple)) and len(query) in (3, 4):
                packed = list(query)  # a replay of a recorded call
            else:
                raise ValueError(
                    "MultiHeadAttention is called as layer(query, value, key=None, attention_mask=None). "
                    f"Received: value=None")
        else:
            packed = [query, value, value if key is None else key]
            if attention_mask is not None:
                packed.append(attention_mask)
        return call_noting_scores(self, super().__call__, packed, kwargs)

    # ------------------------------------------------------------------ building
    def _common_kwargs(self) -> dict:
        return dict(
            kernel_initializer=initializers.get(initializers.serialize(self._kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self._bias_initializer)),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype,
        )

    def _projection(self, rank: int, bound: int, last: list, name: str, input_shape: tuple) -> EinsumDense:
        equation, bias_axes, out_rank = projection_equation(rank - bound, bound, len(last))
        layer = EinsumDense(
            equation,
            output_shape=[None] * (out_rank - 1 - len(last)) + list(last),
            bias_axes=bias_axes if self._use_bias else None,
            name=name,
            **self._common_kwargs(),
        )
        layer.build(input_shape)
        layer.built = True
        return layer

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"MultiHeadAttention needs the shapes of [query, value, key]. Received: input_shape={input_shape}")
        q_shape, v_shape = tuple(input_shape[0]), tuple(input_shape[1])
        k_shape = tuple(input_shape[2]) if len(input_shape) > 2 and input_shape[2] is not None else v_shape
        self._query_shape, self._value_shape, self._key_shape = q_shape, v_shape, k_shape
        rank = len(q_shape)
        heads = [self._num_heads, self._key_dim]
        self._query_dense = self._projection(rank, 1, heads, "query", q_shape)
        self._key_dense = self._projection(len(k_shape), 1, heads, "key", k_shape)
        self._value_dense = self._projection(len(v_shape), 1, [self._num_heads, self._value_dim], "value", v_shape)
        projected = rank + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, projected - 2))
        self._attention_axes = tuple(a % projected for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = attention_equations(projected, self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        if self._output_shape:
            last = [self._output_shape] if isinstance(self._output_shape, int) else list(self._output_shape)
        else:
            last = [q_shape[-1]]
        heads_shape = q_shape[:-1] + (self._num_heads, self._value_dim)
        self._output_dense = self._projection(projected, 2, last, "attention_output", heads_shape)
        self.built = True

    # ------------------------------------------------------------------ computing
    def _causal_mask(self, query: Any, value: Any) -> Any:
        """(1, T, S) booleans, True where query step i may attend value step j <= i."""
        def steps(x):
            return K.cumsum(K.ones_like(x[(slice(0, 1), slice(None)) + (0,) * (x.ndim - 2)]), axis=1)

        return K.greater_equal(K.expand_dims(steps(query), -1), K.expand_dims(steps(value), 1))

    def _attention_mask(self, query, value, key, masks, attention_mask, use_causal_mask):
        q_mask, v_mask, k_mask = (list(masks) + [None, None, None])[:3] if masks else (None, None, None)
        auto = None
        if q_mask is not None:
            auto = K.expand_dims(K.cast(q_mask, "bool"), -1)  # (B, T, 1)
        for m in (v_mask, k_mask):
            if m is not None:
                m = K.expand_dims(K.cast(m, "bool"), 1)  # (B, 1, S)
                auto = m if auto is None else K.logical_and(auto, m)
        if use_causal_mask:
            causal = self._causal_mask(query, value)
            auto = causal if auto is None else K.logical_and(auto, causal)
        if auto is not None:
            attention_mask = auto if attention_mask is None else K.logical_and(K.cast(attention_mask, "bool"), auto)
        return attention_mask

    def _masked_softmax(self, scores: Any, attention_mask: Any = None) -> Any:
        if attention_mask is not None:
            # expand from the heads axis: (<batch dims>, heads, <query axes>, <key axes>)
            axis = -len(self._attention_axes) * 2 - 1
            for _ in range(scores.ndim - attention_mask.ndim):
                attention_mask = K.expand_dims(attention_mask, axis)
            if self._softmax_robust_masking:
                keep = K.broadcast_to(K.cast(attention_mask, "bool"), scores.shape)
                scores = K.where(keep, scores, K.zeros_like(scores) - 1e9)
            else:
                scores = scores + padding_bias(attention_mask, K.dtype(scores))
        if len(self._norm_axes) == 1:
            return K.softmax(scores, axis=self._norm_axes[0])
        return K.exp(scores - K.logsumexp(scores, axis=self._norm_axes, keepdims=True))

    def _compute_attention(self, query: Any, key: Any, value: Any, attention_mask: Any = None, training: Any = None) -> tuple:
        query = query * (1.0 / math.sqrt(float(self._key_dim)))
        scores = K.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = scores
        if self._dropout > 0:
            dropped = K.in_train_phase(lambda: K.dropout(scores, self._dropout), scores, training=training)
        return K.einsum(self._combine_equation, dropped, value), scores

    def call(self, inputs: Any, mask: Any = None, return_attention_scores: bool = False, training: Any = None,
             use_causal_mask: bool = False) -> Any:
        query, value, key = inputs[0], inputs[1], inputs[2]
        attention_mask = inputs[3] if len(inputs) > 3 else None
        attention_mask = self._attention_mask(query, value, key, mask, attention_mask, use_causal_mask)
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        out, scores = self._compute_attention(q, k, v, attention_mask, training)
        out = self._output_dense(out)
        if return_attention_scores:
            return [out, scores]
        return out

    # ------------------------------------------------------------------ shapes, masks, config
    def compute_output_shape(self, input_shape: Any) -> Any:
        q_shape = tuple(input_shape[0])
        k_shape = tuple(input_shape[2]) if len(input_shape) > 2 else tuple(input_shape[1])
        if self._output_shape:
            last = (self._output_shape,) if isinstance(self._output_shape, int) else tuple(self._output_shape)
        else:
            last = q_shape[-1:]
        out = q_shape[:-1] + last
        if not self.__dict__.get("_returns_scores"):
            return out
        rank = len(q_shape) + 1
        axes = self._attention_axes if self._attention_axes is not None else tuple(range(1, rank - 2))
        axes = tuple(a % rank for a in axes)
        pq = q_shape[:-1] + (self._num_heads, self._key_dim)
        pk = k_shape[:-1] + (self._num_heads, self._key_dim)
        batch_dims = [i for i in range(rank) if i not in axes and i != rank - 1]
        return [out, tuple(pq[i] for i in batch_dims) + tuple(pq[i] for i in axes) + tuple(pk[i] for i in axes)]

    def _produces_mask(self) -> bool:
        return False  # the query's mask passes on; the layer makes none of its own

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        q_mask = mask[0] if isinstance(mask, (list, tuple)) and mask else None
        if self.__dict__.get("_returns_scores"):
            return [q_mask, None]
        return q_mask

    def get_config(self) -> dict:
        config = {
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": list(self._attention_axes) if self._attention_axes is not None else None,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "query_shape": list(self._query_shape) if self._query_shape is not None else None,
            "key_shape": list(self._key_shape) if self._key_shape is not None else None,
            "value_shape": list(self._value_shape) if self._value_shape is not None else None,
            "softmax_robust_masking": self._softmax_robust_masking,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict) -> "MultiHeadAttention":
        """The layer a `get_config` dict describes; built when the dict holds the input shapes (tf.keras)."""
        config = dict(config)
        shapes = [config.pop(name, None) for name in ("query_shape", "value_shape", "key_shape")]
        layer = cls(**config)
        if all(s is not None for s in shapes):
            layer._maybe_build([tuple(s) for s in shapes])
        return layer
