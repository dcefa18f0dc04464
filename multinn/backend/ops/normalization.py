"""Batch normalization: Keras 2's normalize_batch_in_training (fused) and batch_normalization."""
from __future__ import annotations

from typing import Any, Sequence

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .math import broadcast_to, mean, reshape, sqrt, square, sum
from .softmax import normalize_axis

__all__ = ["normalize_batch_in_training", "batch_normalization"]


def _count(shape, axes) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


# ------------------------------------------------------------------ training: one fused primitive
def _bn_fwd(b, x, gamma, beta, axes, epsilon, stash):
    xp = b.xp
    mu = x.mean(axis=axes, keepdims=True)
    xhat = x - mu
    v = xp.square(xhat).mean(axis=axes, keepdims=True)
    inv = 1.0 / xp.sqrt(v + epsilon)
    xhat *= inv
    out = xhat * gamma if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta
    stash.update(mean=mu, var=v, xhat=xhat, inv=inv)
    return out


def _bn_backward_fwd(b, dy, xhat, inv, gamma, dbeta, dgamma, n):
    # d loss / d x = inv * gamma * (dy - mean(dy) - xhat * mean(dy * xhat)), reusing the two sums
    scale = inv * gamma if gamma is not None else inv
    dx = dy - dbeta * (1.0 / n)
    dx -= xhat * (dgamma * (1.0 / n))
    dx *= scale
    return dx


_bn_backward = Primitive("batch_norm_backward", _bn_backward_fwd)


def _bn_grad_composite(dy, x, gamma, axes, epsilon):
    mu = mean(x, axis=axes, keepdims=True)
    centered = x - mu
    inv = 1.0 / sqrt(mean(square(centered), axis=axes, keepdims=True) + epsilon)
    xhat = centered * inv
    g = dy * gamma if gamma is not None else dy
    dx = inv * (g - mean(g, axis=axes, keepdims=True) - xhat * mean(g * xhat, axis=axes, keepdims=True))
    return dx, sum(dy * xhat, axis=axes, keepdims=True)


def _bn_grad(dy, y, x, gamma, beta, axes, epsilon, stash):
    dbeta = sum(dy, axis=axes, keepdims=True)
    if recording.get():  # create_graph: the backward from K ops, differentiable again
        dx, dgamma = _bn_grad_composite(dy, x, gamma, axes, epsilon)
    else:
        xhat = Tensor(stash["xhat"], x.backend)
        dgamma = sum(dy * xhat, axis=axes, keepdims=True)
        dx = _bn_backward(dy, xhat, Tensor(stash["inv"], x.backend), gamma, dbeta, dgamma, n=_count(x.shape, axes))
    return dx, (dgamma if gamma is not None else None), (dbeta if beta is not None else None)


_batch_norm = Primitive("batch_norm_train", _bn_fwd, _bn_grad)


def _stat_fwd(b, x, normed, which, axes, kept, stash):
    if stash is not None and which in stash:  # filled by the batch-norm forward that produced `normed`
        return stash[which].reshape(kept)
    v = x.var(axis=axes) if which == "var" else x.mean(axis=axes)
    return v.reshape(kept)


def _stat_grad(dy, y, x, normed, which, axes, kept, stash):
    bshape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    n = _count(x.shape, axes)
    dy = reshape(dy, bshape)
    if which == "mean":
        return broadcast_to(dy * (1.0 / n), x.shape), None
    return dy * (2.0 / n) * (x - mean(x, axis=axes, keepdims=True)), None


_batch_stat = Primitive("batch_moment", _stat_fwd, _stat_grad)


def _as_broadcast(p: Any, x, bshape: tuple, kept: tuple, name: str):
    if p is None:
        return None
    p = to_tensor(p, x.backend)
    if tuple(p.shape) == bshape:
        return p
    if tuple(p.shape) == kept or p.size == _count(kept, range(len(kept))):
        return reshape(p, bshape)
    raise ValueError(
        f"K.normalize_batch_in_training: `{name}` must hold one value per normalized feature {kept}. "
        f"Received: {name}.shape={tuple(p.shape)}"
    )


@deferred_on_graph
def normalize_batch_in_training(
    x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int], epsilon: float = 1e-3
) -> tuple:
    """Normalizes `x` with the mean and variance over `reduction_axes`, then scales and shifts.

    One fused primitive computes the statistics and the output in one go, and its
    backward reuses them.

    Args:
        x: input tensor.
        gamma, beta: scale and shift with one value per kept feature (or None).
        reduction_axes: the axes to average over, e.g. [0] for (batch, features) or
            [0, 1, 2] for channels_last images.
        epsilon: added to the variance.

    Returns:
        (normalized x, mean, variance); mean and variance have the kept axes' shape.

    Example:
        >>> from multinn import backend as K
        >>> x = K.constant([[1.0, 2.0], [3.0, 6.0]])
        >>> y, m, v = K.normalize_batch_in_training(x, None, None, [0])
        >>> m.numpy().tolist(), v.numpy().tolist()
        ([2.0, 4.0], [1.0, 4.0])
    """
    x = to_tensor(x)
    ndim = len(x.shape)
    axes = tuple(sorted({normalize_axis(a, ndim, "K.normalize_batch_in_training") for a in reduction_axes}))
    bshape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    kept = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    gamma = _as_broadcast(gamma, x, bshape, kept, "gamma")
    beta = _as_broadcast(beta, x, bshape, kept, "beta")
    stash: dict = {}
    normed = _batch_norm(x, gamma, beta, axes=axes, epsilon=float(epsilon), stash=stash)
    # The statistics come from the forward's stash; `normed` is an input so that a replay of
    # recorded tensors (K.function) recomputes it, and refills the stash, first.
    mu = _batch_stat(x, normed, which="mean", axes=axes, kept=kept, stash=stash)
    v = _batch_stat(x, normed, which="var", axes=axes, kept=kept, stash=stash)
    return normed, mu, v


# ------------------------------------------------------------------ inference
@deferred_on_graph
def batch_normalization(
    x: Any, mean: Any, var: Any, beta: Any, gamma: Any, axis: int = -1, epsilon: float = 1e-3
) -> Tensor:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, with the statistics given.

    Statistics of one value per feature along `axis` are aligned with it; others must
    broadcast against `x`. `beta` and `gamma` may be None.

    Example:
        >>> from multinn import backend as K
        >>> y = K.batch_normalization(K.constant([[1.0, 4.0]]), K.constant([1.0, 2.0]),
        ...                           K.constant([4.0, 1.0]), None, None, epsilon=0.0)
        >>> y.numpy().tolist()
        [[0.0, 2.0]]
    """
    x = to_tensor(x)
    ndim = len(x.shape)
    ax = normalize_axis(axis, ndim, "K.batch_normalization")

    def align(t):
        if t is None:
            return None
        t = to_tensor(t, x.backend)
        if len(t.shape) == 1 and ndim > 1 and ax != ndim - 1 and t.shape[0] == x.shape[ax]:
            return reshape(t, tuple(x.shape[i] if i == ax else 1 for i in range(ndim)))
        return t

    mean, var, beta, gamma = align(mean), align(var), align(beta), align(gamma)
    # fold the statistics into one scale and one shift (small tensors): two passes over x
    scale = 1.0 / sqrt(var + float(epsilon))
    if gamma is not None:
        scale = scale * gamma
    shift = -(mean * scale) if beta is None else beta - mean * scale
    return x * scale + shift
