"""Layer normalization as one fused primitive: statistics, output and a hand-written backward.

A Transformer normalizes every residual stream with it, twice per block, so it is one
forward pass over x and one backward pass over dy, instead of a dozen recorded K ops.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .math import mean, reshape, sqrt, square, sum
from .normalization import _bn_fwd, _bn_grad_composite
from .softmax import normalize_axis

__all__ = ["layer_normalization"]


def _ln_backward_fwd(b, dy, xhat, inv, gamma, axes):
    # d loss / d x = inv * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma, means over `axes`
    g = dy * gamma if gamma is not None else dy.copy()
    m1 = g.mean(axis=axes, keepdims=True)
    m2 = (g * xhat).mean(axis=axes, keepdims=True)
    g -= m1
    g -= xhat * m2
    g *= inv
    return g


_ln_backward = Primitive("layer_norm_backward", _ln_backward_fwd)


def _ln_dx_composite(dy, x, gamma, axes, epsilon):
    # The same expression as batch normalization's over its reduced axes (gamma broadcasts either way).
    dx, _ = _bn_grad_composite(dy, x, gamma, axes, epsilon)
    centered = x - mean(x, axis=axes, keepdims=True)
    return dx, centered / sqrt(mean(square(centered), axis=axes, keepdims=True) + epsilon)


def _ln_grad(dy, y, x, gamma, beta, axes, epsilon, stash):
    if recording.get():  # create_graph: the backward from K ops, differentiable again
        dx, xhat = _ln_dx_composite(dy, x, gamma, axes, epsilon)
    else:
        xhat = Tensor(stash["xhat"], x.backend)
        dx = _ln_backward(dy, xhat, Tensor(stash["inv"], x.backend), gamma, axes=axes)
    # gamma and beta broadcast over the axes that are not normalized: their gradients sum there
    others = tuple(i for i in range(x.ndim) if i not in axes)
    dgamma = dbeta = None
    if gamma is not None and gamma.needs_grad:
        dgamma = sum(dy * xhat, axis=others, keepdims=True) if others else dy * xhat
    if beta is not None and beta.needs_grad:
        dbeta = sum(dy, axis=others, keepdims=True) if others else dy
    return (dx if x.needs_grad else None), dgamma, dbeta


# The forward is batch normalization's: statistics over `axes`, gamma and beta broadcast
# (here over the kept axes); it leaves xhat and 1/std in the stash for the backward.
_layer_norm = Primitive("layer_norm", _bn_fwd, _ln_grad)


def _param(p: Any, x: Tensor, axes: tuple, name: str) -> "Tensor | None":
    if p is None:
        return None
    p = to_tensor(p, x.backend)
    bshape = tuple(d if i in axes else 1 for i, d in enumerate(x.shape))
    kept = tuple(x.shape[i] for i in axes)
    if tuple(p.shape) == bshape:
        return p
    if tuple(p.shape) == kept:
        return reshape(p, bshape)
    raise ValueError(
        f"K.layer_normalization: `{name}` must have the shape of the normalized axes {kept} (or {bshape}). "
        f"Received: {name}.shape={tuple(p.shape)}"
    )


@deferred_on_graph
def layer_normalization(
    x: Any, gamma: Any = None, beta: Any = None, axis: "int | Sequence[int]" = -1, epsilon: float = 1e-3
) -> Tensor:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, with mean and var over `axis` of each sample.

    One fused primitive: the forward keeps the normalized input, and the backward is one
    pass, `inv_std * (g - mean(g) - xhat * mean(g * xhat))` with `g = dy * gamma`.

    Args:
        x: input tensor.
        gamma, beta: scale and shift shaped like the normalized axes (or None).
        axis: the axis, or list of axes, to normalize over (tf.keras's LayerNormalization `axis`).
        epsilon: added to the variance.

    Example:
        >>> from multinn import backend as K
        >>> y = K.layer_normalization(K.constant([[1.0, 3.0], [2.0, 6.0]]), epsilon=0.0)
        >>> y.numpy().tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """
    x = to_tensor(x)
    ndim = len(x.shape)
    listed = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not listed:
        raise ValueError(f"K.layer_normalization needs at least one axis. Received: axis={axis!r}")
    axes = tuple(sorted({normalize_axis(a, ndim, "K.layer_normalization") for a in listed}))
    gamma = _param(gamma, x, axes, "gamma")
    beta = _param(beta, x, axes, "beta")
    return _layer_norm(x, gamma, beta, axes=axes, epsilon=float(epsilon), stash={})
