"""Neural-network K functions: activations, bias_add, dropout, l2_normalize, in_top_k.

Cross-entropies live in crossentropy.py and batch normalization in normalization.py;
this module re-exports them, as Keras 2 keeps them all in its backend namespace.
The hot ops (relu, bias_add, softmax) are primitives with one-pass forwards and
backwards, so an MLP step costs about what the same network in plain NumPy does.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import config
from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, to_tensor
from .crossentropy import binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy
from .math import (
    broadcast_to, clip, float_tensor, floating, greater, less, less_equal, maximum, reshape, sqrt, square, sum, where,
)
from .normalization import batch_normalization, normalize_batch_in_training
from .random import draw_sequence, uniform_blocks
from .softmax import softmax

__all__ = [
    "relu", "elu", "selu", "softmax", "softplus", "softsign", "hard_sigmoid", "dropout", "l2_normalize",
    "in_top_k", "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "normalize_batch_in_training", "batch_normalization", "bias_add",
]


# ------------------------------------------------------------------ relu
def _relu_backward_fwd(b, dy, y):
    return dy * (y > 0)


# d/d(dy) of dy * (y > 0) is the same mask; y only enters through a step function.
_relu_backward = Primitive("relu_backward", _relu_backward_fwd, lambda g, out, dy, y: (_relu_backward(g, y), None))
_relu_plain = Primitive("relu", lambda b, x: b.xp.maximum(x, 0), lambda dy, y, x: (_relu_backward(dy, y),))


def _relu_general_fwd(b, x, alpha, max_value, threshold):
    xp = b.xp
    y = xp.where(x > threshold, x, 0) if threshold != 0 else xp.maximum(x, 0)
    if max_value is not None:
        y = xp.clip(y, 0, max_value)
    if alpha != 0:
        y = y - alpha * xp.maximum(threshold - x, 0)
    return y.astype(x.dtype, copy=False)


def _relu_general_grad(dy, y, x, alpha, max_value, threshold):
    # TensorFlow's gradients of the ops Keras 2 builds relu from: slope 1 where x passes the
    # threshold and, when capped, lies in (0, max_value] (clip_by_value passes its bound; relu6,
    # used for max_value 6 without threshold, does not); slope alpha below the threshold, and
    # at 0 too for plain leaky_relu (no cap, no threshold).
    active = greater(x, threshold)
    if max_value is not None:
        below_cap = less(x, max_value) if max_value == 6 and threshold == 0 else less_equal(x, max_value)
        active = active & greater(x, 0) & below_cap
    g = where(active, dy, 0.0)
    if alpha != 0:
        leaky = max_value is None and threshold == 0
        g = g + where(less_equal(x, 0) if leaky else less(x, threshold), dy * alpha, 0.0)
    return (g,)


_relu_general = Primitive("relu_general", _relu_general_fwd, _relu_general_grad)


def relu(x: Any, alpha: float = 0.0, max_value: "float | None" = None, threshold: float = 0.0) -> Tensor:
    """Rectified linear unit, Keras 2's general form.

    With the defaults, max(x, 0). Otherwise `max_value` where x >= max_value, x where
    threshold <= x < max_value, and alpha * (x - threshold) below the threshold.

    Example:
        >>> from multinn import backend as K
        >>> K.relu(K.constant([-2.0, 0.5, 3.0])).numpy().tolist()
        [0.0, 0.5, 3.0]
        >>> K.relu(K.constant([-2.0, 0.5, 3.0]), alpha=0.5, max_value=2.0).numpy().tolist()
        [-1.0, 0.5, 2.0]
    """
    if alpha == 0 and max_value is None and threshold == 0:
        return _relu_plain(x)
    return _relu_general(x, alpha=float(alpha), max_value=None if max_value is None else float(max_value),
                         threshold=float(threshold))


# ------------------------------------------------------------------ elu, selu, softplus, softsign, hard_sigmoid
def _elu_fwd(b, x, alpha):
    xp = b.xp
    x = floating(x)
    # expm1 of the negative part only: no overflow warnings for large positive x
    neg = xp.expm1(xp.minimum(x, 0))
    if alpha != 1:
        neg = neg * alpha
    return xp.where(x > 0, x, neg).astype(x.dtype, copy=False)


_elu = Primitive("elu", _elu_fwd, lambda dy, y, x, alpha: (where(greater(x, 0), dy, dy * (y + alpha)),))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in K.elu(K.constant([-1.0, 2.0])).numpy().tolist()]
        [-0.6321, 2.0]
    """
    return _elu(x, alpha=float(alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu_fwd(b, x):
    xp = b.xp
    x = floating(x)
    # scale*alpha as one constant times exp(x) - 1, as TensorFlow's kernel computes it (Keras 2.3.1's
    # tests compare to the last float32 bit); the negative part only, so large x cannot overflow
    scale_alpha = x.dtype.type(_SELU_SCALE * _SELU_ALPHA)
    neg = scale_alpha * (xp.exp(xp.minimum(x, 0)) - 1)
    return xp.where(x > 0, x * x.dtype.type(_SELU_SCALE), neg).astype(x.dtype, copy=False)


_selu = Primitive(
    "selu", _selu_fwd, lambda dy, y, x: (where(greater(x, 0), dy * _SELU_SCALE, dy * (y + _SELU_SCALE * _SELU_ALPHA)),)
)


def selu(x: Any) -> Tensor:
    """Scaled exponential linear unit (Klambauer et al., 2017): scale * elu(x, alpha), Keras's constants.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in K.selu(K.constant([-1.0, 1.0])).numpy().tolist()]
        [-1.1113, 1.0507]
    """
    return _selu(x)


def _softplus_grad(dy, y, x):
    from .math import sigmoid

    return (dy * sigmoid(x),)


# logaddexp(0, x) = log(1 + exp(x)) without overflow for large x
def _softplus_fwd(b, x):
    x = floating(x)
    return b.xp.logaddexp(x.dtype.type(0), x)


_softplus = Primitive("softplus", _softplus_fwd, _softplus_grad)


def softplus(x: Any) -> Tensor:
    """log(exp(x) + 1), computed without overflow.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in K.softplus(K.constant([0.0, 100.0])).numpy().tolist()]
        [0.6931, 100.0]
    """
    return _softplus(x)


def softsign(x: Any) -> Tensor:
    """x / (|x| + 1).

    Example:
        >>> from multinn import backend as K
        >>> K.softsign(K.constant([-3.0, 1.0])).numpy().tolist()
        [-0.75, 0.5]
    """
    from .math import abs

    x = float_tensor(to_tensor(x))
    return x / (abs(x) + 1.0)


def hard_sigmoid(x: Any) -> Tensor:
    """Keras 2's piecewise-linear sigmoid: clip(0.2 * x + 0.5, 0, 1).

    Example:
        >>> from multinn import backend as K
        >>> K.hard_sigmoid(K.constant([-3.0, 0.0, 1.0, 3.0])).numpy().tolist()
        [0.0, 0.5, 0.699999988079071, 1.0]
    """
    x = float_tensor(to_tensor(x))
    return clip(x * 0.2 + 0.5, 0.0, 1.0)


# ------------------------------------------------------------------ bias_add
def _bias_add_fwd(b, x, bias, shape):
    return x + bias.reshape(shape)


def _bias_sum_fwd(b, dy, axes, shape):
    return dy.sum(axis=axes).reshape(shape)


def _bias_sum_grad(g, out, dy, axes, shape):
    keep = tuple(1 if i in axes else d for i, d in enumerate(dy.shape))
    return (broadcast_to(reshape(g, keep), dy.shape),)


# The bias gradient in one reduction (one primitive call per layer per step).
_bias_sum = Primitive("bias_add_backward", _bias_sum_fwd, _bias_sum_grad)


def _bias_add_grad(dy, y, x, bias, shape):
    lead = dy.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1)
    return dy, _bias_sum(dy, axes=axes, shape=tuple(bias.shape))


_bias_add = Primitive("bias_add", _bias_add_fwd, _bias_add_grad)


def bias_add(x: Any, bias: Any, data_format: "str | None" = None) -> Tensor:
    """Adds a bias to `x` along its channel axis (last, or second with channels_first).

    `bias` is a vector of one value per channel, or has ndim(x) - 1 dimensions laid out
    channels-last (Keras 2 reshapes, not transposes, those for channels_first).

    Example:
        >>> from multinn import backend as K
        >>> K.bias_add(K.zeros((2, 3)), K.constant([1.0, 2.0, 3.0])).numpy().tolist()
        [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
        >>> K.bias_add(K.zeros((1, 2, 4, 4)), K.constant([1.0, 2.0]), "channels_first").shape
        (1, 2, 4, 4)
    """
    data_format = config.normalize_data_format(data_format)
    x = to_tensor(x)
    bias = to_tensor(bias)
    bshape = tuple(bias.shape)
    ndim = len(x.shape)
    if len(bshape) != 1 and len(bshape) != ndim - 1:
        raise ValueError(
            f"K.bias_add: unexpected bias dimensions {len(bshape)}, expected 1 or {ndim - 1} for an input of "
            f"{ndim} dimensions. Received: bias.shape={bshape}"
        )
    channels_first = data_format == "channels_first" and 3 <= ndim <= 5
    if len(bshape) == 1:
        shape = (1, bshape[0]) + (1,) * (ndim - 2) if channels_first else (1,) * (ndim - 1) + bshape
    else:
        shape = (1, bshape[-1]) + bshape[:-1] if channels_first else (1,) + bshape
    return _bias_add(x, bias, shape=shape)


# ------------------------------------------------------------------ dropout
def _dropout_fwd(b, x, level, noise_shape, seed, stash):
    shape = tuple(x.shape) if noise_shape is None else tuple(
        x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape)
    )
    xp = b.xp
    count = 1
    for d in shape:
        count *= d
    f32 = xp.dtype("float32")
    # A unit is kept where its float32 uniform draw is >= level; inverted dropout scales the kept
    # units by 1 / (1 - level) so the expectation is unchanged.
    mask = draw_sequence(
        seed, "K.dropout",
        lambda key, start: (b.dropout_mask(shape, level, key, start, x.dtype), uniform_blocks(count, f32)),
    )
    stash["mask"] = mask
    return x * mask


def _dropout_grad(dy, y, x, level, noise_shape, seed, stash):
    return (dy * Tensor(stash["mask"], dy.backend),)


_dropout = Primitive("dropout", _dropout_fwd, _dropout_grad)


def dropout(x: Any, level: float, noise_shape: "Sequence[int] | None" = None, seed: "int | None" = None) -> Tensor:
    """Zeroes a fraction `level` of the entries at random and scales the rest by 1 / (1 - level).

    The keep/drop mask comes from the Philox stream: the global one (see `set_seed`), or
    with `seed`, a stream of that seed that moves on at every call (a reproducible
    sequence of masks, as Keras 2's graph-mode dropout with a seed gives).

    Args:
        x: the tensor.
        level: fraction of entries to drop, in [0, 1).
        noise_shape: shape of the mask, broadcast against x (e.g. (batch, 1, features)
            drops whole features for every timestep); None entries take x's size.
        seed: optional integer seed.

    Example:
        >>> from multinn import backend as K
        >>> y = K.dropout(K.ones((2, 1000)), 0.5, seed=1).numpy()
        >>> sorted(set(y.ravel().tolist()))
        [0.0, 2.0]
    """
    if not 0.0 <= float(level) < 1.0:
        raise ValueError(f"K.dropout: `level` must be a fraction in [0, 1). Received: level={level!r}")
    x = to_tensor(x)
    if float(level) == 0.0:
        return x
    if noise_shape is not None:
        noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        full = tuple(x.shape)
        if len(noise_shape) != len(full) or any(
            d is not None and d != 1 and full[i] is not None and d != full[i] for i, d in enumerate(noise_shape)
        ):
            raise ValueError(
                f"K.dropout: `noise_shape` must broadcast to the input shape {full}. Received: noise_shape={noise_shape}"
            )
    return _dropout(x, level=float(level), noise_shape=noise_shape, seed=seed, stash={})


# ------------------------------------------------------------------ l2_normalize, in_top_k
def l2_normalize(x: Any, axis: Any = None) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), 1e-12)), as TensorFlow's l2_normalize.

    Example:
        >>> from multinn import backend as K
        >>> K.l2_normalize(K.constant([[3.0, 4.0]]), axis=1).numpy().tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    x = float_tensor(to_tensor(x))
    return x / sqrt(maximum(sum(square(x), axis=axis, keepdims=True), 1e-12))


def _in_top_k_fwd(b, predictions, targets, k):
    xp = b.xp
    n, classes = predictions.shape
    valid = (targets >= 0) & (targets < classes)
    rows = xp.arange(n)
    target_score = predictions[rows, xp.where(valid, targets, 0)]
    # as TensorFlow: ties at the boundary count as in the top k; non-finite scores never do
    better = (predictions > target_score[:, None]).sum(axis=1)
    finite = xp.isfinite(predictions).all(axis=1)
    return valid & finite & (better < k)


_in_top_k = Primitive("in_top_k", _in_top_k_fwd)


@deferred_on_graph
def in_top_k(predictions: Any, targets: Any, k: int) -> Tensor:
    """Whether each target class is among the `k` highest predictions of its row (a bool vector).

    Args:
        predictions: (batch, classes) scores.
        targets: (batch,) integer class indices.
        k: how many top entries count.

    Example:
        >>> from multinn import backend as K
        >>> p = K.constant([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3]])
        >>> K.in_top_k(p, K.constant([1, 2], dtype="int32"), 1).numpy().tolist()
        [True, False]
    """
    predictions = to_tensor(predictions)
    targets = to_tensor(targets, predictions.backend)
    if predictions.ndim != 2:
        raise ValueError(f"K.in_top_k expects predictions of shape (batch, classes). Received: predictions.shape={predictions.shape}")
    if targets.dtype.kind not in "iu":
        raise TypeError(f"K.in_top_k expects integer targets. Received: targets.dtype={targets.dtype}")
    if targets.ndim != 1:
        targets = reshape(targets, (-1,))
    if targets.shape[0] != predictions.shape[0]:
        raise ValueError(
            f"K.in_top_k: targets must have one entry per row of predictions {predictions.shape}. "
            f"Received: targets.shape={targets.shape}"
        )
    return _in_top_k(predictions, targets, k=int(k))
