"""Gradient checking by central differences in float64, for tests and for users' own ops."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from .autodiff import gradients, no_grad
from .ops.core import backend_of, to_array_on
from .tensor import Tensor, Variable


def _projection(out: Tensor) -> Tensor:
    """Fixed, non-uniform weights so every output element's gradient is checked."""
    xp = out.backend.xp
    n = xp.arange(out.size, dtype="float64").reshape(out.shape) if out.ndim else xp.asarray(0.0)
    return Tensor(1.0 + 0.5 * xp.sin(n + 0.3), out.backend)


def _scalar(f, xs, weights):
    out = f(*xs)
    return (out * weights).data.sum() if isinstance(out, Tensor) else out


def numerical_gradient(f: Callable, inputs: Sequence[Any], eps: float = 1e-6) -> list:
    """Central-difference gradients of sum(f(*inputs) * w) for fixed weights w.

    Returns one backend array per input, float64.
    """
    backend = backend_of(inputs)
    xs = [Tensor(to_array_on(x, backend, "float64").copy(), backend) for x in inputs]
    with no_grad():
        weights = _projection(f(*xs))
    grads = []
    for x in xs:
        flat = x.data.reshape(-1)
        g = backend.xp.zeros(flat.shape, dtype="float64")
        for i in range(flat.size):
            keep = flat[i].item()
            flat[i] = keep + eps
            with no_grad():
                up = float(_scalar(f, xs, weights))
            flat[i] = keep - eps
            with no_grad():
                down = float(_scalar(f, xs, weights))
            flat[i] = keep
            g[i] = (up - down) / (2 * eps)
        grads.append(g.reshape(x.shape))
    return grads


def check_gradients(
    f: Callable, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5
) -> None:
    """Asserts that K's gradients of `f` agree with central differences (float64).

    Args:
        f: a function of tensors returning a tensor, written with K functions.
        inputs: the points to check at (converted to float64).

    Raises:
        AssertionError: naming the input and the largest disagreement.

    Example:
        >>> from multinn import backend as K
        >>> K.check_gradients(lambda x: K.exp(x) * K.sin(x), [[0.1, 0.7, -1.3]])
    """
    backend = backend_of(inputs)
    xs = [Variable(to_array_on(x, backend, "float64").copy(), backend) for x in inputs]
    out = f(*xs)
    weights = _projection(out)
    analytic = gradients(out * weights, xs)
    numeric = numerical_gradient(f, [x.data for x in xs], eps=eps)
    xp = backend.xp
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = xp.zeros_like(n) if a is None else a.data
        if a.shape != n.shape:
            raise AssertionError(f"gradient of input {i} has shape {a.shape}, expected {n.shape}")
        err = xp.abs(a - n)
        bound = atol + rtol * xp.abs(n)
        if bool(xp.any(err > bound)):
            worst = int(xp.argmax(err - bound))
            raise AssertionError(
                f"gradient of input {i} disagrees with central differences: at flat index {worst}, "
                f"autodiff {a.reshape(-1)[worst].item()!r} vs numeric {n.reshape(-1)[worst].item()!r}"
                f" (max abs error {float(err.max())})"
            )
