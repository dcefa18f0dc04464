"""The softmax primitive, shared by nn.py and the fused cross-entropies that recognise it."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .core import Primitive, recording, to_tensor
from .math import floating, sum

__all__: list = []


def _softmax_fwd(b, x, axis):
    xp = b.xp
    x = floating(x)
    e = x - x.max(axis=axis, keepdims=True)  # the largest exponent is 0: no overflow
    xp.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _softmax_backward_fwd(b, dy, y, axis):
    g = dy * y
    s = g.sum(axis=axis, keepdims=True)
    g -= y * s
    return g


# One pass per term on raw arrays; used when the backward itself is not being recorded.
softmax_backward = Primitive("softmax_backward", _softmax_backward_fwd)


def _softmax_grad(dy, y, x, axis):
    if recording.get():  # create_graph: build the backward from K ops so it can be differentiated again
        return (y * (dy - sum(dy * y, axis=axis, keepdims=True)),)
    return (softmax_backward(dy, y, axis=axis),)


softmax_primitive = Primitive("softmax", _softmax_fwd, _softmax_grad)


def normalize_axis(axis: Any, ndim: int, caller: str) -> int:
    """`axis` as a non-negative int, or a ValueError naming it."""
    try:
        a = int(axis)
    except (TypeError, ValueError):
        a = None
    if a is None or not -max(ndim, 1) <= a < max(ndim, 1):
        raise ValueError(f"{caller}: axis {axis!r} is out of range for a tensor of {ndim} dimensions. Received: axis={axis!r}")
    return a % max(ndim, 1)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along `axis` (default the last), computed stably.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in K.softmax(K.constant([[1.0, 2.0, 3.0]])).numpy()[0].tolist()]
        [0.09, 0.2447, 0.6652]
    """
    x = to_tensor(x)
    return softmax_primitive(x, axis=normalize_axis(axis, len(x.shape), "K.softmax"))
