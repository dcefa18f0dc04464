"""Cross-entropies with Keras 2's formulas, fused with the softmax/sigmoid that produced their input.

Keras 2 clips probabilities to [epsilon, 1 - epsilon] before taking logs. When `output`
was computed by K.softmax (or K.sigmoid) while gradients were being recorded, the loss is
computed from the logits instead (what Keras-TF does through `_keras_logits`): one fused
primitive whose gradient is (softmax(logits) - target) * dy, exact and without the
clipping's dead zone.
"""
from __future__ import annotations

from typing import Any

from .. import config
from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .math import _sigmoid_fwd, clip, expand_dims, log, logsumexp, reshape, sigmoid, sum, sum_to_shape, transpose
from .softmax import _softmax_fwd, normalize_axis, softmax, softmax_primitive
from .state import cast

__all__ = ["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"]


# The fused primitives take the softmax/sigmoid output as a third input (None when there is
# none) that they read in the backward and pass no gradient to; as an input rather than a
# parameter it is recomputed with the logits when K.function replays the graph.
def _produced_by(output: Any, primitive: Primitive) -> bool:
    node = getattr(output, "node", None) if isinstance(output, Tensor) else None
    return node is not None and node[0] is primitive


# ------------------------------------------------------------------ dense targets
def _xent_fwd(b, logits, target, probs, axis):
    xp = b.xp
    z = logits - logits.max(axis=axis, keepdims=True)
    lse = xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    # -sum(t * log_softmax(logits)), with log_softmax = z - lse
    z -= lse
    z *= target
    return -z.sum(axis=axis)


def _xent_backward_fwd(b, dy, source, target, axis, from_probs):
    p = source if from_probs else _softmax_fwd(b, source, axis)
    g = p * target.sum(axis=axis, keepdims=True)
    g -= target
    g *= dy.reshape(dy.shape[:axis] + (1,) + dy.shape[axis:])  # dy gains the class axis back
    return g


def _xent_grad(dy, y, logits, target, probs, axis):
    g_target = None
    if isinstance(target, Tensor) and target.needs_grad:
        g_target = -expand_dims(dy, axis) * (logits - logsumexp(logits, axis=axis, keepdims=True))
    if recording.get():  # create_graph: the backward from K ops, differentiable again
        p = probs if probs is not None else softmax(logits, axis=axis)
        g = (p * sum(target, axis=axis, keepdims=True) - target) * expand_dims(dy, axis)
    else:
        # A plain backward: the fused formula on the raw arrays, no graph to record.
        source = probs if probs is not None else logits
        b = dy.backend
        g = Tensor(_xent_backward_fwd(b, dy.data, source.data, target.data, axis, probs is not None), b)
    return g, g_target, None


_softmax_xent = Primitive("softmax_cross_entropy", _xent_fwd, _xent_grad)


def _check_channels(output, axis, caller) -> int:
    ndim = len(output.shape)
    try:
        return normalize_axis(axis, ndim, caller)
    except ValueError:
        raise ValueError(
            f"{caller}: unexpected channels axis {axis}. Expected -1 or one of the axes of `output`, "
            f"which has {ndim} dimensions. Received: axis={axis!r}"
        ) from None


def _check_shapes(target: Any, output: Any, caller: str, broadcast: bool) -> None:
    """ValueError naming `caller` and both shapes when target cannot stand beside output: equal
    shapes (unknown sizes match anything), or with `broadcast` shapes that broadcast together."""
    ts, os_ = tuple(target.shape), tuple(output.shape)
    if broadcast:
        pairs = list(zip(reversed(ts), reversed(os_)))
        fits = all(a is None or b is None or a == b or a == 1 or b == 1 for a, b in pairs)
    else:
        fits = len(ts) == len(os_) and all(a is None or b is None or a == b for a, b in zip(ts, os_))
    if not fits:
        rule = "shapes that broadcast together" if broadcast else "the same shape"
        raise ValueError(
            f"{caller} needs a target and an output of {rule}. Received: target.shape={ts}, output.shape={os_}"
        )


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Cross-entropy between one-hot (or soft) targets and predicted probabilities (or logits).

    Args:
        target: same shape as `output`.
        output: probabilities along `axis` (a softmax's output), or logits with `from_logits`.
        from_logits: whether `output` holds logits.
        axis: the channels axis (-1, or 1 for channels_first).

    Returns:
        The per-sample loss: `output` without `axis`.

    Example:
        >>> from multinn import backend as K
        >>> t = K.constant([[0.0, 1.0], [1.0, 0.0]])
        >>> p = K.constant([[0.2, 0.8], [0.6, 0.4]])
        >>> [round(v, 4) for v in K.categorical_crossentropy(t, p).numpy().tolist()]
        [0.2231, 0.5108]
    """
    caller = "K.categorical_crossentropy"
    output = to_tensor(output)
    ax = _check_channels(output, axis, caller)
    target = cast(to_tensor(target, output.backend), output.dtype)
    _check_shapes(target, output, caller, broadcast=False)
    if not from_logits and _produced_by(output, softmax_primitive) and output.node[2]["axis"] == ax:
        return _softmax_xent(output.node[1][0], target, output, axis=ax)
    if from_logits:
        return _softmax_xent(output, target, None, axis=ax)
    eps = config.epsilon()
    output = output / sum(output, axis=ax, keepdims=True)  # each sample's probabilities sum to 1
    output = clip(output, eps, 1.0 - eps)
    return -sum(target * log(output), axis=ax)


# ------------------------------------------------------------------ integer targets
def _check_targets(b, targets, classes):
    # One bool() (one device sync on CuPy, which would otherwise wrap bad indices silently)
    # instead of one per bound.
    if targets.size and bool((targets.min() < 0) | (targets.max() >= classes)):
        raise ValueError(
            f"K.sparse_categorical_crossentropy: target classes must lie in [0, {classes}). "
            f"Received: targets from {int(targets.min())} to {int(targets.max())}"
        )


def _sparse_fwd(b, logits, targets, probs):
    xp = b.xp
    _check_targets(b, targets, logits.shape[1])
    z = logits - logits.max(axis=1, keepdims=True)
    lse = xp.log(xp.exp(z).sum(axis=1))
    return lse - z[xp.arange(z.shape[0]), targets]


def _sparse_backward_fwd(b, dy, source, targets, from_probs):
    p = source.copy() if from_probs else _softmax_fwd(b, source, 1)
    p[b.xp.arange(p.shape[0]), targets] -= 1
    p *= dy[:, None]
    return p


_sparse_backward = Primitive("sparse_softmax_xent_backward", _sparse_backward_fwd)


def _one_hot_like(p: Tensor, targets: Tensor) -> Tensor:
    xp = p.backend.xp
    out = xp.zeros(p.shape, dtype=p.dtype)
    out[xp.arange(p.shape[0]), targets.data] = 1
    return Tensor(out, p.backend)


def _sparse_grad(dy, y, logits, targets, probs):
    if recording.get():  # create_graph: the backward from K ops, differentiable again
        p = probs if probs is not None else softmax(logits, axis=1)
        return (p - _one_hot_like(p, targets)) * expand_dims(dy, 1), None, None
    source = probs if probs is not None else logits
    return _sparse_backward(dy, source, targets, from_probs=probs is not None), None, None


_sparse_softmax_xent = Primitive("sparse_softmax_cross_entropy", _sparse_fwd, _sparse_grad)


@deferred_on_graph
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Categorical cross-entropy with integer class targets.

    Args:
        target: integer classes, one per sample (any shape holding output's size / classes).
        output: probabilities along `axis`, or logits with `from_logits`.
        from_logits: whether `output` holds logits.
        axis: the channels axis.

    Returns:
        The per-sample loss: shape (N,) for 2-D output, else output's shape without `axis`.

    Example:
        >>> from multinn import backend as K
        >>> p = K.constant([[0.2, 0.8], [0.6, 0.4]])
        >>> [round(v, 4) for v in K.sparse_categorical_crossentropy(K.constant([1, 0], dtype="int32"), p).numpy().tolist()]
        [0.2231, 0.5108]
    """
    caller = "K.sparse_categorical_crossentropy"
    output = to_tensor(output)
    ndim = len(output.shape)
    ax = _check_channels(output, axis, caller)
    probs = None
    if not from_logits and _produced_by(output, softmax_primitive) and output.node[2]["axis"] == ax:
        logits, probs = output.node[1][0], output
    elif from_logits:
        logits = output
    else:
        eps = config.epsilon()
        logits = log(clip(output, eps, 1.0 - eps))  # softmax(log p) renormalises p, as Keras 2 does
    if ax != ndim - 1:  # channels last, as the flat (N, classes) kernel expects
        order = tuple(i for i in range(ndim) if i != ax) + (ax,)
        logits = transpose(logits, order)
        probs = None if probs is None else transpose(probs, order)
    lead = tuple(logits.shape[:-1])
    classes = logits.shape[-1]
    given = to_tensor(target, output.backend)
    targets = reshape(cast(given, "int64") if given.dtype.kind != "i" else given, (-1,))
    rows = 1
    for d in lead:
        rows *= d
    if targets.shape[0] != rows:
        raise ValueError(
            f"{caller}: expected {rows} target classes for an output of shape {tuple(output.shape)}. "
            f"Received: target.shape={tuple(to_tensor(target, output.backend).shape)}"
        )
    try:
        res = _sparse_softmax_xent(
            reshape(logits, (-1, classes)), targets, None if probs is None else reshape(probs, (-1, classes))
        )
    except ValueError:
        # NaN and infinity cast to integers become arbitrary classes: name the cause instead
        # (checked only on this error path, so a valid step reads nothing more).
        if given.dtype.kind == "f" and not bool(given.backend.xp.isfinite(given.data).all()):
            raise ValueError(
                f"{caller}: target classes must be finite integers. Received: targets holding NaN or infinity "
                f"(dtype {given.dtype})"
            ) from None
        raise
    return reshape(res, lead) if ndim >= 3 else res


# ------------------------------------------------------------------ binary
def _sigmoid_xent_fwd(b, x, t, probs):
    xp = b.xp
    # max(x, 0) - x t + log(1 + exp(-|x|)): no overflow for large |x|
    return xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))


def _sigmoid_backward_fwd(b, dy, source, t, from_probs):
    p = source if from_probs else _sigmoid_fwd(b, source)
    return (p - t) * dy


_sigmoid_backward = Primitive("sigmoid_xent_backward", _sigmoid_backward_fwd)


def _sigmoid_xent_grad(dy, y, x, t, probs):
    g_t = None
    if isinstance(t, Tensor) and t.needs_grad:
        g_t = sum_to_shape(-x * dy, t.shape)
    if recording.get():  # create_graph: the backward from K ops, differentiable again
        p = probs if probs is not None else sigmoid(x)
        g = (p - t) * dy
    else:
        g = _sigmoid_backward(dy, probs if probs is not None else x, t, from_probs=probs is not None)
    return sum_to_shape(g, x.shape), g_t, None


_sigmoid_xent = Primitive("sigmoid_cross_entropy", _sigmoid_xent_fwd, _sigmoid_xent_grad)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Elementwise binary cross-entropy between targets in [0, 1] and probabilities (or logits).

    Keras 2's formula: probabilities are clipped to [epsilon, 1 - epsilon], turned back
    into logits, and the loss is max(x, 0) - x * t + log(1 + exp(-|x|)).

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in K.binary_crossentropy(K.constant([1.0, 0.0]), K.constant([0.9, 0.2])).numpy().tolist()]
        [0.1054, 0.2231]
    """
    output = to_tensor(output)
    target = cast(to_tensor(target, output.backend), output.dtype)
    _check_shapes(target, output, "K.binary_crossentropy", broadcast=True)
    if from_logits:
        return _sigmoid_xent(output, target, None)
    if _produced_by(output, sigmoid.primitive):
        return _sigmoid_xent(output.node[1][0], target, output)
    eps = config.epsilon()
    p = clip(output, eps, 1.0 - eps)
    return _sigmoid_xent(log(p / (1.0 - p)), target, None)
