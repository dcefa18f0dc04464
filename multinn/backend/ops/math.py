"""Elementwise math, comparisons, reductions and matrix products (Keras 2 names)."""
from __future__ import annotations

import builtins
from typing import Any

from .. import config
from ..tensor import Tensor
from .core import Primitive, backend_of, deferred_on_graph, recording, to_tensor
from .sparse import SparseTensor, sparse_dot

__all__ = [
    "add", "subtract", "multiply", "divide", "negative", "square", "abs", "sqrt", "exp", "log",
    "round", "sign", "pow", "clip", "sin", "cos", "tanh", "sigmoid", "maximum", "minimum",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_not", "where", "erf",
    "sum", "mean", "max", "min", "prod", "var", "std", "any", "all", "argmax", "argmin",
    "logsumexp", "cumsum", "cumprod", "dot", "matmul", "batch_dot", "zeros_like", "ones_like",
    "sum_to_shape", "broadcast_to", "reshape", "transpose", "expand_dims", "squeeze",
]


# ------------------------------------------------------------------ shape helpers used by gradients
def _reshape_fwd(b, x, shape):
    try:
        return x.reshape(shape)
    except ValueError:
        raise ValueError(
            f"K.reshape cannot fit a tensor of shape {tuple(x.shape)} ({x.size} entries) into shape {shape} "
            "(one dimension may be -1, the others non-negative). "
            f"Received: x.shape={tuple(x.shape)}, shape={shape}"
        ) from None


_reshape = Primitive("reshape", _reshape_fwd, lambda dy, y, x, shape: (reshape(dy, x.shape),))


def reshape(x: Any, shape: Any) -> Tensor:
    """Reshapes `x`; one dimension may be -1.

    Example:
        >>> from multinn import backend as K
        >>> K.reshape(K.arange(6), (2, 3)).shape
        (2, 3)
    """
    if isinstance(shape, Tensor):
        shape = tuple(int(s) for s in shape.numpy().tolist())
    elif isinstance(shape, int):
        shape = (shape,)
    else:
        # None (an unknown size, from a K.placeholder's shape) is resolved when the graph is replayed.
        shape = tuple(None if s is None else int(s) for s in shape)
    if builtins.any(s is not None and s < -1 for s in shape):  # NumPy would take any negative size as -1
        raise ValueError(
            f"K.reshape takes sizes of 0 or more, and -1 for one size inferred from the others. "
            f"Received: x.shape={tuple(getattr(x, 'shape', ()))}, shape={shape}"
        )
    return _reshape(x, shape=shape)


def _transpose_grad(dy, y, x, axes):
    if axes is None:
        return (transpose(dy),)
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return (transpose(dy, tuple(inverse)),)


_transpose = Primitive("transpose", lambda b, x, axes: b.xp.transpose(x, axes), _transpose_grad)


def transpose(x: Any, axes: Any = None) -> Tensor:
    """Reverses the axes of `x` (or permutes them by `axes`).

    Example:
        >>> from multinn import backend as K
        >>> K.transpose(K.zeros((2, 3))).shape
        (3, 2)
    """
    if axes is not None:
        axes = tuple(int(a) for a in axes)
    return _transpose(x, axes=axes)


def sum_to_shape(g: Tensor, shape: tuple) -> Tensor:
    """Sums a broadcast gradient back to `shape` (the reverse of broadcasting)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and g.shape[i + lead] != 1)
    out = sum(g, axis=axes, keepdims=True) if axes else g
    return reshape(out, shape)


_broadcast_to = Primitive(
    "broadcast_to",
    lambda b, x, shape: b.xp.broadcast_to(x, shape),
    lambda dy, y, x, shape: (sum_to_shape(dy, x.shape),),
)


def broadcast_to(x: Any, shape: tuple) -> Tensor:
    """Broadcasts `x` to `shape` (a read-only view where the backend allows)."""
    return _broadcast_to(x, shape=tuple(None if s is None else int(s) for s in shape))


def expand_dims(x: Any, axis: int = -1) -> Tensor:
    """Adds a 1-sized dimension at index `axis` (Keras 2 default -1), in [-ndim - 1, ndim].

    Example:
        >>> from multinn import backend as K
        >>> K.expand_dims(K.zeros((2, 3)), 1).shape
        (2, 1, 3)
    """
    x = to_tensor(x)
    a = int(axis)
    if not -x.ndim - 1 <= a <= x.ndim:
        raise ValueError(
            f"K.expand_dims inserts an axis in [{-x.ndim - 1}, {x.ndim}] of a tensor of shape {tuple(x.shape)}. "
            f"Received: axis={axis!r}"
        )
    axis = a + x.ndim + 1 if a < 0 else a
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x: Any, axis: int) -> Tensor:
    """Removes the 1-sized dimension at index `axis`."""
    x = to_tensor(x)
    axis = axis_index(axis, x.ndim, "K.squeeze")
    if x.shape[axis] != 1:
        raise ValueError(f"K.squeeze: dimension {axis} of a tensor of shape {x.shape} is not 1. Received: axis={axis}")
    return reshape(x, x.shape[:axis] + x.shape[axis + 1:])


# ------------------------------------------------------------------ creation helpers used by gradients
@deferred_on_graph
def zeros_like(x: Any, dtype: Any = None, name: Any = None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `x`."""
    x = to_tensor(x)
    return Tensor(x.backend.xp.zeros(x.shape, dtype=dtype or x.dtype), x.backend)


@deferred_on_graph
def ones_like(x: Any, dtype: Any = None, name: Any = None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `x`."""
    x = to_tensor(x)
    return Tensor(x.backend.xp.ones(x.shape, dtype=dtype or x.dtype), x.backend)


# ------------------------------------------------------------------ elementwise binary
def _shape(v):
    return v.shape if isinstance(v, Tensor) else ()


def _unb(g, v):
    return sum_to_shape(g, v.shape) if isinstance(v, Tensor) else None


def _needs(v) -> bool:
    """Whether input v takes a gradient: gradients of the others are not computed at all."""
    return isinstance(v, Tensor) and v.needs_grad


_add = Primitive(
    "add",
    lambda b, x, y: x + y,
    lambda dy, z, x, y: (_unb(dy, x) if _needs(x) else None, _unb(dy, y) if _needs(y) else None),
)
_subtract = Primitive(
    "subtract",
    lambda b, x, y: x - y,
    lambda dy, z, x, y: (_unb(dy, x) if _needs(x) else None, _unb(-dy, y) if _needs(y) else None),
)
_multiply = Primitive(
    "multiply",
    lambda b, x, y: x * y,
    lambda dy, z, x, y: (_unb(dy * y, x) if _needs(x) else None, _unb(dy * x, y) if _needs(y) else None),
)
_divide = Primitive(
    "divide",
    lambda b, x, y: x / y,
    lambda dy, z, x, y: (_unb(dy / y, x) if _needs(x) else None, _unb(-dy * z / y, y) if _needs(y) else None),
)


def _pow_grad(dy, z, x, a):
    gx = _unb(dy * a * pow(x, a - 1), x)
    ga = None
    if isinstance(a, Tensor):
        ga = _unb(dy * z * log(where(greater(x, 0), x, ones_like(x))), a)
    return gx, ga


_pow = Primitive("pow", lambda b, x, a: b.xp.power(x, a), _pow_grad)


def add(x: Any, y: Any) -> Tensor:
    """x + y with broadcasting."""
    return _add(x, y)


def subtract(x: Any, y: Any) -> Tensor:
    """x - y with broadcasting."""
    return _subtract(x, y)


def multiply(x: Any, y: Any) -> Tensor:
    """x * y with broadcasting."""
    return _multiply(x, y)


def divide(x: Any, y: Any) -> Tensor:
    """x / y with broadcasting."""
    return _divide(x, y)


def pow(x: Any, a: Any) -> Tensor:
    """Elementwise x ** a.

    Example:
        >>> from multinn import backend as K
        >>> K.pow(K.constant([2.0, 3.0]), 2).numpy().tolist()
        [4.0, 9.0]
    """
    return _pow(x, a)


def _select(cond, a, b):
    return where(cond, a, zeros_like(a)) if b is None else where(cond, a, b)


_maximum = Primitive(
    "maximum",
    lambda b, x, y: b.xp.maximum(x, y),
    lambda dy, z, x, y: (_unb(_select(greater_equal(x, y), dy, None), x), _unb(_select(less(x, y), dy, None), y)),
)
_minimum = Primitive(
    "minimum",
    lambda b, x, y: b.xp.minimum(x, y),
    lambda dy, z, x, y: (_unb(_select(less_equal(x, y), dy, None), x), _unb(_select(greater(x, y), dy, None), y)),
)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum (the gradient goes to x on ties)."""
    return _maximum(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum (the gradient goes to x on ties)."""
    return _minimum(x, y)


def _where_grad(dy, z, c, x, y):
    zero = zeros_like(dy)
    gx = _unb(where(c, dy, zero), x) if isinstance(x, Tensor) else None
    gy = _unb(where(c, zero, dy), y) if isinstance(y, Tensor) else None
    return None, gx, gy


# asarray: a Python-scalar condition beside tensors reaches here raw, and CuPy's where
# calls condition.astype (a Python bool has none); free for an array already on the backend.
_where = Primitive("where", lambda b, c, x, y: b.xp.where(b.xp.asarray(c), x, y), _where_grad)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Picks x where `condition` is true, else y (broadcasting all three)."""
    return _where(condition, x, y)


# ------------------------------------------------------------------ comparisons (not differentiable)
def _compare(name, fn):
    prim = Primitive(name, fn)

    def compare(x: Any, y: Any) -> Tensor:
        return prim(x, y)

    compare.__name__ = name
    compare.__doc__ = f"Elementwise `{name}` of x and y, as a boolean tensor."
    return compare


equal = _compare("equal", lambda b, x, y: x == y)
not_equal = _compare("not_equal", lambda b, x, y: x != y)
greater = _compare("greater", lambda b, x, y: x > y)
greater_equal = _compare("greater_equal", lambda b, x, y: x >= y)
less = _compare("less", lambda b, x, y: x < y)
less_equal = _compare("less_equal", lambda b, x, y: x <= y)
logical_and = _compare("logical_and", lambda b, x, y: b.xp.logical_and(x, y))
logical_or = _compare("logical_or", lambda b, x, y: b.xp.logical_or(x, y))
_logical_not = Primitive("logical_not", lambda b, x: b.xp.logical_not(x))


def logical_not(x: Any) -> Tensor:
    """Elementwise logical not, as a boolean tensor."""
    return _logical_not(x)


# ------------------------------------------------------------------ elementwise unary
def _unary(name, fn, grad=None, doc=""):
    prim = Primitive(name, fn, grad)

    def op(x: Any) -> Tensor:
        return prim(x)

    op.__name__ = name
    op.__doc__ = doc or f"Elementwise {name}."
    op.primitive = prim
    return op


def floating(x):
    """`x`, or for an integer or boolean array `x` in floatx: the input of a function that only
    makes sense on floats (TensorFlow refuses integers there; NumPy would compute in float64)."""
    return x if x.dtype.kind == "f" else x.astype(config.floatx())


def float_tensor(x: Tensor) -> Tensor:
    """The tensor `x`, or for integer or boolean `x` its values in floatx (see `floating`)."""
    if x.dtype.kind == "f":
        return x
    from .state import cast  # a cast also records itself on a K.placeholder graph

    return cast(x, config.floatx())


negative = _unary("negative", lambda b, x: -x, lambda dy, y, x: (-dy,))
square = _unary("square", lambda b, x: x * x, lambda dy, y, x: (dy * 2 * x,), "Elementwise x ** 2.")
abs = _unary("abs", lambda b, x: b.xp.abs(x), lambda dy, y, x: (dy * sign(x),), "Elementwise absolute value.")


def _sqrt_fwd(b, x):
    # Keras 2 clips at zero first: the root of a negative number is 0, not NaN.
    x = floating(x)
    return b.xp.sqrt(b.xp.maximum(x, 0))


def _sqrt_grad(dy, y, x):
    # The clip passes no gradient below zero; at zero the root's own slope (inf) shows, as in TensorFlow.
    return (where(less(x, 0), zeros_like(y), dy / (2 * y)),)


sqrt = _unary(
    "sqrt",
    _sqrt_fwd,
    _sqrt_grad,
    "Elementwise square root of max(x, 0) (Keras 2 clips negatives to 0).\n\n"
    "    Example:\n"
    "        >>> from multinn import backend as K\n"
    "        >>> K.sqrt(K.constant([4.0, -1.0])).numpy().tolist()\n"
    "        [2.0, 0.0]\n",
)
exp = _unary("exp", lambda b, x: b.xp.exp(floating(x)), lambda dy, y, x: (dy * y,), "Elementwise exponential.")
log = _unary("log", lambda b, x: b.xp.log(floating(x)), lambda dy, y, x: (dy / x,), "Elementwise natural logarithm.")
sin = _unary("sin", lambda b, x: b.xp.sin(floating(x)), lambda dy, y, x: (dy * cos(x),))
cos = _unary("cos", lambda b, x: b.xp.cos(floating(x)), lambda dy, y, x: (-dy * sin(x),))
tanh = _unary("tanh", lambda b, x: b.xp.tanh(floating(x)), lambda dy, y, x: (dy * (1 - y * y),), "Elementwise hyperbolic tangent.")


def _sigmoid_fwd(b, x):
    # exp of a non-positive number only: no overflow for large |x|.
    xp = b.xp
    x = floating(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary("sigmoid", _sigmoid_fwd, lambda dy, y, x: (dy * y * (1 - y),), "Elementwise logistic sigmoid.")
erf = _unary(
    "erf",
    lambda b, x: b.erf(floating(x)),
    lambda dy, y, x: (dy * 1.1283791670955126 * exp(-square(x)),),  # d/dx erf = 2 / sqrt(pi) * exp(-x**2)
    "Elementwise error function (for the exact GELU).",
)
sign = _unary("sign", lambda b, x: b.xp.sign(x), lambda dy, y, x: (zeros_like(x),), "Elementwise sign (-1, 0, 1).")
round = _unary(
    "round", lambda b, x: b.xp.round(x), lambda dy, y, x: (zeros_like(x),), "Elementwise rounding, halves to even."
)


def clip(x: Any, min_value: Any = None, max_value: Any = None) -> Tensor:
    """Clips values to [min_value, max_value] (Keras 2: a max below the min is raised to it).

    Example:
        >>> from multinn import backend as K
        >>> K.clip(K.constant([-2.0, 0.5, 2.0]), 0.0, 1.0).numpy().tolist()
        [0.0, 0.5, 1.0]
    """
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    out = to_tensor(x)
    if min_value is not None:
        out = maximum(out, min_value)
    if max_value is not None:
        out = minimum(out, max_value)
    return out


# ------------------------------------------------------------------ reductions
def axis_index(axis: Any, ndim: int, caller: str = "K") -> int:
    """`axis` as an index in [0, ndim): negative axes count from the end, and an axis outside
    [-ndim, ndim) is an error (a modulo would silently pick another axis)."""
    a = int(axis)
    if -ndim <= a < ndim:
        return a + ndim if a < 0 else a
    raise ValueError(f"{caller}: axis {a} is out of range for a tensor of {ndim} dimensions. Received: axis={axis!r}")


def _axes(axis, ndim, caller="K"):
    if axis is None:
        return None
    if ndim == 0:
        # A scalar reduces over nothing along axis 0 or -1, as NumPy's sum allows (shape inference
        # calls Lambda functions with mask=None, and `K.any(mask, axis=-1)` must survive that).
        for a in axis if isinstance(axis, (list, tuple)) else (axis,):
            if int(a) not in (0, -1):
                raise ValueError(f"{caller}: a scalar has only axis 0 (or -1) to reduce. Received: axis={axis!r}")
        return ()
    if isinstance(axis, (list, tuple)):
        axes = tuple(sorted(axis_index(a, ndim, caller) for a in axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{caller}: each axis may be named once. Received: axis={axis!r}")
        return axes
    return (axis_index(axis, ndim, caller),)


def _keep_shape(shape, axes):
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _expand_back(dy, x, axes, keepdims):
    return dy if keepdims else reshape(dy, _keep_shape(x.shape, axes))


def _sum_grad(dy, y, x, axis, keepdims):
    return (broadcast_to(_expand_back(dy, x, axis, keepdims), x.shape),)


def _int_kept(x):
    """The accumulator dtype of a sum or product: an integer input keeps its dtype (int32 stays
    int32, as in TensorFlow; NumPy would widen it to int64), everything else NumPy's default."""
    return x.dtype if x.dtype.kind in "iu" else None


_sum = Primitive(
    "sum", lambda b, x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims, dtype=_int_kept(x)), _sum_grad
)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over `axis` (an int, a list of ints, or None for all).

    Example:
        >>> from multinn import backend as K
        >>> K.sum(K.ones((2, 3)), axis=1).numpy().tolist()
        [3.0, 3.0]
    """
    x = to_tensor(x)
    return _sum(x, axis=_axes(axis, x.ndim, "K.sum"), keepdims=bool(keepdims))


def _count(x, axes):
    n = 1
    for i, d in enumerate(x.shape):
        if axes is None or i in axes:
            n *= d
    return n


def _mean_fwd(b, x, axis, keepdims, scale):
    return x.sum(axis=axis, keepdims=keepdims) * scale  # the method skips xp.sum's Python wrapper


def _mean_grad(dy, y, x, axis, keepdims, scale):
    if not recording.get():  # every step's loss goes through here: raw arrays, no graph
        g = dy.data * scale
        if not keepdims:
            g = g.reshape(_keep_shape(x.shape, axis))
        # Filled by broadcasting assignment: a fraction of the cost of xp.broadcast_to on small arrays.
        out = dy.backend.xp.empty(x.shape, dtype=g.dtype)
        out[...] = g
        return (Tensor(out, dy.backend),)
    return (broadcast_to(_expand_back(dy, x, axis, keepdims) * scale, x.shape),)


# sum(x) * (1 / count) as one op, so a loss's mean costs one node forward and backward.
_mean = Primitive("mean", _mean_fwd, _mean_grad)


@deferred_on_graph
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis`. Boolean input gives floatx; integer input stays integer, the sum divided
    by the count rounding toward zero (Keras 2 / TensorFlow's reduce_mean).

    Example:
        >>> from multinn import backend as K
        >>> K.mean(K.constant([1, 2, 4], dtype="int32")).numpy().tolist()
        2
    """
    x = to_tensor(x)
    if x.dtype.kind == "b":
        x = to_tensor(x.data.astype(config.floatx()), x.backend)
    axes = _axes(axis, x.ndim, "K.mean")
    n = builtins_max(_count(x, axes), 1)
    if x.dtype.kind in "iu":  # not differentiable: computed on the arrays directly
        xp = x.backend.xp
        total = xp.sum(x.data, axis=axes, keepdims=bool(keepdims), dtype=x.dtype)
        return Tensor(xp.asarray(xp.abs(total) // n * xp.sign(total), dtype=x.dtype), x.backend)
    return _mean(x, axis=axes, keepdims=bool(keepdims), scale=1.0 / n)


def builtins_max(a, b):
    return a if a > b else b


def _extreme_grad(dy, y, x, axis, keepdims, _fn=None):
    y_full = _expand_back(y, x, axis, keepdims)
    mask = equal(x, y_full)
    share = mask.data.astype(x.dtype)
    share = Tensor(share / share.sum(axis=axis, keepdims=True), x.backend)
    return (_expand_back(dy, x, axis, keepdims) * share,)


_max = Primitive("max", lambda b, x, axis, keepdims: b.xp.max(x, axis=axis, keepdims=keepdims), _extreme_grad)
_min = Primitive("min", lambda b, x, axis, keepdims: b.xp.min(x, axis=axis, keepdims=keepdims), _extreme_grad)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis`; ties share the gradient equally."""
    x = to_tensor(x)
    return _max(x, axis=_axes(axis, x.ndim, "K.max"), keepdims=bool(keepdims))


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over `axis`; ties share the gradient equally."""
    x = to_tensor(x)
    return _min(x, axis=_axes(axis, x.ndim, "K.min"), keepdims=bool(keepdims))


def _prod_grad(dy, y, x, axis, keepdims):
    # d prod / d x_i = prod of the others; computed without dividing, so zeros are handled.
    axes = tuple(range(x.ndim)) if axis is None else axis
    moved = transpose(x, tuple(a for a in range(x.ndim) if a not in axes) + axes)
    kept_shape = moved.shape[: x.ndim - len(axes)]
    flat = reshape(moved, kept_shape + (-1,))
    n = flat.shape[-1]
    ones = ones_like(flat[..., :1])
    left = cumprod(concat_last([ones, flat[..., :-1]]), axis=-1) if n > 1 else ones
    rev = flat[..., ::-1]
    right = cumprod(concat_last([ones, rev[..., :-1]]), axis=-1)[..., ::-1] if n > 1 else ones
    others = reshape(left * right, moved.shape)
    inverse = [0] * x.ndim
    for i, a in enumerate(tuple(a for a in range(x.ndim) if a not in axes) + axes):
        inverse[a] = i
    others = transpose(others, tuple(inverse))
    return (_expand_back(dy, x, axis, keepdims) * others,)


def concat_last(tensors):
    from .indexing import concatenate

    return concatenate(tensors, axis=-1)


_prod = Primitive(
    "prod", lambda b, x, axis, keepdims: b.xp.prod(x, axis=axis, keepdims=keepdims, dtype=_int_kept(x)), _prod_grad
)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over `axis`."""
    x = to_tensor(x)
    return _prod(x, axis=_axes(axis, x.ndim, "K.prod"), keepdims=bool(keepdims))


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance over `axis` (divides by N, as Keras does); integer and boolean input gives floatx."""
    x = float_tensor(to_tensor(x))
    centered = x - mean(x, axis=axis, keepdims=True)
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over `axis`."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


_any = Primitive("any", lambda b, x, axis, keepdims: b.xp.any(x, axis=axis, keepdims=keepdims))
_all = Primitive("all", lambda b, x, axis, keepdims: b.xp.all(x, axis=axis, keepdims=keepdims))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Logical or over `axis` (a boolean tensor)."""
    x = to_tensor(x)
    return _any(x, axis=_axes(axis, x.ndim, "K.any"), keepdims=bool(keepdims))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Logical and over `axis` (a boolean tensor)."""
    x = to_tensor(x)
    return _all(x, axis=_axes(axis, x.ndim, "K.all"), keepdims=bool(keepdims))


_argmax = Primitive("argmax", lambda b, x, axis: b.xp.argmax(x, axis=axis))
_argmin = Primitive("argmin", lambda b, x, axis: b.xp.argmin(x, axis=axis))


def argmax(x: Any, axis: int = -1) -> Tensor:
    """Index of the largest value along `axis` (Keras 2 default -1)."""
    return _argmax(x, axis=axis)


def argmin(x: Any, axis: int = -1) -> Tensor:
    """Index of the smallest value along `axis` (Keras 2 default -1)."""
    return _argmin(x, axis=axis)


@deferred_on_graph
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) computed stably (the maximum is subtracted first)."""
    x = to_tensor(x)
    x = float_tensor(x)
    m = stop_max(x, axis)
    out = log(sum(exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    axes = _axes(axis, x.ndim, "K.logsumexp")
    return reshape(out, tuple(d for i, d in enumerate(x.shape) if axes is not None and i not in axes))


def stop_max(x: Tensor, axis) -> Tensor:
    """max(x) over axis with keepdims, as a constant (for numerical stabilisation)."""
    m = x.backend.xp.max(x.data, axis=_axes(axis, x.ndim, "K.logsumexp"), keepdims=True)
    m = x.backend.xp.where(x.backend.xp.isfinite(m), m, 0)
    return Tensor(x.backend.asarray(m).astype(x.dtype, copy=False), x.backend)


def _cumsum_grad(dy, y, x, axis):
    return (reverse_along(_cumsum(reverse_along(dy, axis), axis=axis), axis),)


def reverse_along(x: Tensor, axis: int) -> Tensor:
    index = [slice(None)] * x.ndim
    index[axis] = slice(None, None, -1)
    return x[tuple(index)]


_cumsum = Primitive("cumsum", lambda b, x, axis: b.xp.cumsum(x, axis=axis, dtype=_int_kept(x)), _cumsum_grad)


def cumsum(x: Any, axis: int = 0) -> Tensor:
    """Cumulative sum along `axis` (Keras 2 default 0)."""
    x = to_tensor(x)
    return _cumsum(x, axis=axis_index(axis, x.ndim, "K.cumsum"))


def _cumprod_grad(dy, y, x, axis):
    # Exact for nonzero x: d y_j / d x_i = y_j / x_i for j >= i.
    return (reverse_along(_cumsum(reverse_along(dy * y, axis), axis=axis), axis) / x,)


_cumprod = Primitive("cumprod", lambda b, x, axis: b.xp.cumprod(x, axis=axis, dtype=_int_kept(x)), _cumprod_grad)


def cumprod(x: Any, axis: int = 0) -> Tensor:
    """Cumulative product along `axis` (Keras 2 default 0)."""
    x = to_tensor(x)
    return _cumprod(x, axis=axis_index(axis, x.ndim, "K.cumprod"))


# ------------------------------------------------------------------ matrix products
def _matmul_grad(dy, z, x, y):
    # Skip the product for an input that takes no gradient (a model's data batch): it is
    # the largest matmul of a first layer's backward pass.
    if not recording.get() and x.ndim == 2 and y.ndim == 2:
        # The hot path of training (a backward pass nobody differentiates): two BLAS calls on
        # transposed views, without building transpose/matmul tensors for a graph.
        b = dy.backend
        gx = Tensor(b.matmul(dy.data, y.data.T), b) if x.needs_grad else None
        gy = Tensor(b.matmul(x.data.T, dy.data), b) if y.needs_grad else None
        return gx, gy
    gx = sum_to_shape(matmul(dy, swap_last(y)), x.shape) if x.needs_grad else None
    gy = sum_to_shape(matmul(swap_last(x), dy), y.shape) if y.needs_grad else None
    return gx, gy


def swap_last(x: Tensor) -> Tensor:
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, axes)


_matmul = Primitive("matmul", lambda b, x, y: b.matmul(x, y), _matmul_grad)


def matmul(x: Any, y: Any) -> Tensor:
    """Batched matrix product of tensors with at least two dimensions (NumPy's matmul)."""
    return _matmul(x, y)


@deferred_on_graph
def dot(x: Any, y: Any) -> Tensor:
    """Keras 2's dot: sums the last axis of x against the second-to-last of y (or y's only axis).

    Operands of two dtypes are cast to the float one (float32 with int32 gives float32, not
    NumPy's float64; TensorFlow refuses the mix), the rule of K.concatenate.

    Example:
        >>> from multinn import backend as K
        >>> K.dot(K.ones((2, 3)), K.ones((3, 4))).shape
        (2, 4)
        >>> K.dot(K.ones((32, 28, 3)), K.ones((3, 4))).shape
        (32, 28, 4)
    """
    if isinstance(x, SparseTensor):
        return sparse_dot(x, y)
    x = to_tensor(x)
    y = to_tensor(y, x.backend)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    inner_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if x.shape[-1] != inner_y:
        raise ValueError(
            f"K.dot sums the last axis of x against the {'only' if y.ndim == 1 else 'second-to-last'} axis of y, "
            f"whose sizes {x.shape[-1]} and {inner_y} differ. Received: x.shape={tuple(x.shape)}, "
            f"y.shape={tuple(y.shape)}"
        )
    x, y = common_dtype([x, y])
    # Sizes are spelled out below, never -1: a -1 beside a 0-sized axis is ambiguous.
    if y.ndim == 1:
        return reshape(_dot2(x, reshape(y, (y.shape[0], 1))), x.shape[:-1])
    if x.ndim == 1:
        return reshape(_dot2(reshape(x, (1, x.shape[0])), y), y.shape[:-2] + y.shape[-1:]) if y.ndim == 2 else dot(
            reshape(x, (1, x.shape[0])), y
        ).__getitem__(0)
    if y.ndim == 2:
        return _dot2(x, y)
    # General case: move y's contracted axis first, flatten the rest, one product.
    n = y.shape[-2]
    order = (y.ndim - 2,) + tuple(range(y.ndim - 2)) + (y.ndim - 1,)
    y2 = reshape(transpose(y, order), (n, _size(y.shape) // n if n else _size(y.shape[:-2] + y.shape[-1:])))
    out = _dot2(x, y2)
    return reshape(out, x.shape[:-1] + y.shape[:-2] + y.shape[-1:])


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def common_dtype(tensors: list) -> list:
    """Tensors of mixed dtypes take the float dtype among them (NumPy would make float32 and
    int32 float64); integers and booleans alone take their common type."""
    if not builtins.all(isinstance(t, Tensor) for t in tensors):
        return tensors
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    from .state import cast

    xp = tensors[0].backend.xp
    floats = [d for d in dtypes if d.kind == "f"]
    target = xp.result_type(*(floats or dtypes))
    return [cast(t, target) for t in tensors]


def _dot2(x: Tensor, y: Tensor) -> Tensor:
    if x.ndim == 2:
        return _matmul(x, y)
    lead = x.shape[:-1]
    out = _matmul(reshape(x, (_size(lead), x.shape[-1])), y)
    return reshape(out, lead + (y.shape[-1],))


@deferred_on_graph
def batch_dot(x: Any, y: Any, axes: Any = None) -> Tensor:
    """Keras 2's batch_dot: a dot product per sample over `axes`.

    With x (batch, ..., n) and y (batch, ..., n, ...), `axes` names the contracted
    axis of each (default: the last of x and the second-to-last of y, or the last of
    y when y is 2-D). 2-D by 2-D inputs give shape (batch, 1), as in Keras 2.

    Example:
        >>> from multinn import backend as K
        >>> K.batch_dot(K.ones((32, 20, 1)), K.ones((32, 30, 20)), axes=(1, 2)).shape
        (32, 1, 30)
    """
    x = to_tensor(x)
    y = to_tensor(y, x.backend)
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    if x.ndim < 2 or y.ndim < 2 or x.shape[0] != y.shape[0]:
        raise ValueError(
            "K.batch_dot needs two tensors of rank 2 or more with one batch size (their first axis). "
            f"Received: x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )
    try:
        axes = tuple(int(a) for a in axes)
    except (TypeError, ValueError):
        axes = ()
    if len(axes) != 2:
        raise ValueError(f"K.batch_dot takes one axis or a pair of axes (one of x, one of y). Received: axes={axes}")
    ax, ay = axis_index(axes[0], x.ndim, "K.batch_dot"), axis_index(axes[1], y.ndim, "K.batch_dot")
    if ax == 0 or ay == 0:
        raise ValueError(f"K.batch_dot cannot contract the batch axis. Received: axes={axes}")
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(
            f"K.batch_dot: dimension {ax} of x (shape {x.shape}) and dimension {ay} of y (shape {y.shape}) "
            f"differ. Received: axes={axes}"
        )
    x, y = common_dtype([x, y])
    x_rest = [a for a in range(1, x.ndim) if a != ax]
    y_rest = [a for a in range(1, y.ndim) if a != ay]
    xm = transpose(x, (0,) + tuple(x_rest) + (ax,))
    ym = transpose(y, (0, ay) + tuple(y_rest))
    b, n = x.shape[0], x.shape[ax]
    x_shape = tuple(x.shape[a] for a in x_rest)
    y_shape = tuple(y.shape[a] for a in y_rest)
    out = matmul(reshape(xm, (b, _size(x_shape), n)), reshape(ym, (b, n, _size(y_shape))))
    out = reshape(out, (b,) + x_shape + y_shape)
    if out.ndim == 1:
        out = reshape(out, (b, 1))
    return out
