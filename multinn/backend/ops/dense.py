"""K.dense: a fully connected layer's product, bias and activation as one fused primitive.

Keras 2 writes Dense as K.dot, then K.bias_add, then the activation: three recorded
ops, three output arrays and three backward steps. Here the common case (2-D input,
one floating dtype, a linear, relu or tanh activation) is one primitive whose forward
and backward are backend kernels (`dense_forward` / `dense_backward`); every other case
is that same composition of K functions, so results never depend on which path ran.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .math import dot, matmul, sum, tanh, transpose
from .nn import _relu_backward, bias_add, relu

__all__ = ["dense"]

_ACTIVATIONS = {None: "linear", "linear": "linear", "relu": "relu", "tanh": "tanh"}


def _needs(t: Any) -> bool:
    return isinstance(t, Tensor) and t.needs_grad


def _dense_fwd(b, x, kernel, bias, activation):
    return b.dense_forward(x, kernel, bias, activation)


def _activation_grad(dy: Tensor, y: Tensor, activation: str) -> Tensor:
    """The pre-activation gradient built from K functions (differentiable again)."""
    if activation == "relu":
        return _relu_backward(dy, y)
    if activation == "tanh":
        return dy * (1 - y * y)
    return dy


def _dense_grad(dy, y, x, kernel, bias, activation):
    need_x, need_kernel, need_bias = _needs(x), _needs(kernel), _needs(bias)
    if not recording.get():  # a plain backward pass: the backend's fused kernel on raw arrays
        b = dy.backend
        gx, gk, gb = b.dense_backward(dy.data, y.data, x.data, kernel.data, activation, need_x, need_kernel, need_bias)
        return (None if gx is None else Tensor(gx, b), None if gk is None else Tensor(gk, b),
                None if gb is None else Tensor(gb, b))
    g = _activation_grad(dy, y, activation)  # create_graph: the backward as K ops
    gx = matmul(g, transpose(kernel)) if need_x else None
    gk = matmul(transpose(x), g) if need_kernel else None
    gb = sum(g, axis=0) if need_bias else None
    return gx, gk, gb


_dense = Primitive("dense", _dense_fwd, _dense_grad)


def _composed(x: Tensor, kernel: Tensor, bias: Any, activation: str) -> Tensor:
    out = dot(x, kernel)
    if bias is not None:
        out = bias_add(out, bias, data_format="channels_last")
    if activation == "relu":
        return relu(out)
    if activation == "tanh":
        return tanh(out)
    return out


@deferred_on_graph
def dense(x: Any, kernel: Any, bias: Any = None, activation: "str | None" = None) -> Tensor:
    """`activation(K.dot(x, kernel) + bias)`, fused into one op where it can be.

    Args:
        x: inputs, (..., input_dim).
        kernel: weights, (input_dim, units).
        bias: None, or a vector of `units` values.
        activation: None or "linear" (the identity), "relu" (max(x, 0)) or "tanh".

    Returns:
        The outputs, (..., units). Gradients flow to x, kernel and bias.

    Example:
        >>> from multinn import backend as K
        >>> y = K.dense(K.constant([[1.0, -2.0]]), K.constant([[1.0], [1.0]]), K.constant([0.5]), activation="relu")
        >>> y.numpy().tolist()
        [[0.0]]
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"K.dense fuses only the activations {sorted(a for a in _ACTIVATIONS if a)} (or None); apply any "
            f"other to its result. Received: activation={activation!r}"
        )
    name = _ACTIVATIONS[activation]
    if not (isinstance(x, Tensor) and isinstance(kernel, Tensor)):
        x = to_tensor(x)
        kernel = to_tensor(kernel, x.backend)
    if bias is not None and not isinstance(bias, Tensor):
        bias = to_tensor(bias, x.backend)
    xd, kd = x.data, kernel.data
    dt = xd.dtype
    fusable = (
        xd.ndim == 2 and kd.ndim == 2 and dt.kind == "f" and kd.dtype == dt and xd.shape[1] == kd.shape[0]
        and (bias is None or (bias.data.ndim == 1 and bias.data.dtype == dt and bias.data.shape[0] == kd.shape[1]))
    )
    if not fusable:  # shapes or dtypes the fused kernel does not cover; also where dot/bias_add must raise
        return _composed(x, kernel, bias, name)
    return _dense(x, kernel, bias, activation=name)
