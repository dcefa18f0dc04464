"""The `cupy` namespace of the stand-in: ufuncs, array functions and dtypes, each with CuPy's
argument rules (see core.py). A NumPy function CuPy lacks is simply absent (AttributeError)."""
from __future__ import annotations

import numpy as _np

from .core import _wrap_indices, check_dtype, check_sort_kind, loose, ndarray, operand, out_arg, wrap, _ufunc_call
from .reads import reads

# Scatter ufuncs: the only ones with `ufunc.at` in CuPy.
_AT_OK = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}
_AT_DTYPES = {
    "add": {_np.dtype(c) for c in "iILQefd"} | {_np.dtype("complex64"), _np.dtype("complex128")},
    "other": {_np.dtype(c) for c in "iILQfd"},
}


class ufunc:
    """A CuPy ufunc: operands are stand-in arrays or scalars; `out` a stand-in array."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, out=None, dtype=None, **kwargs):
        if len(args) > self.nin:  # outputs given positionally
            out = args[self.nin:] if len(args) - self.nin > 1 else args[self.nin]
            args = args[: self.nin]
        return _ufunc_call(self._u, args, out=out, dtype=dtype, **kwargs)

    def at(self, a, indices, b=None):
        if self.name not in _AT_OK:
            raise NotImplementedError(f"`{self.name}.at` is not supported by CuPy")
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        # CUDA's atomics: add has no int64 (or 8/16-bit) overload, max/min no float16 either.
        allowed = _AT_DTYPES["add" if self.name in ("add", "subtract") else "other"]
        if a.dtype not in allowed:
            raise TypeError(f"`{self.name}.at` is not supported for dtype {a.dtype} by CuPy (atomic operations)")
        args = () if b is None else (operand(b),)
        self._u.at(a._a, _wrap_indices(a.shape, indices), *args)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        return wrap(self._u.reduce(operand(array), axis=axis, dtype=dtype, out=out_arg(out), keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return wrap(self._u.accumulate(operand(array), axis=axis, dtype=dtype, out=out_arg(out)))

    def outer(self, A, B, **kwargs):
        return wrap(self._u.outer(operand(A), operand(B), **kwargs))


UFUNCS = (
    "add subtract multiply divide true_divide floor_divide negative positive power float_power remainder mod fmod "
    "absolute fabs rint sign heaviside conj conjugate exp exp2 log log2 log10 expm1 log1p sqrt square cbrt "
    "reciprocal gcd lcm sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh "
    "degrees radians deg2rad rad2deg bitwise_and bitwise_or bitwise_xor invert left_shift right_shift greater "
    "greater_equal less less_equal not_equal equal logical_and logical_or logical_xor logical_not maximum minimum "
    "fmax fmin isfinite isinf isnan signbit copysign nextafter ldexp frexp modf floor ceil trunc logaddexp "
    "logaddexp2 divmod matmul"
).split()

# Functions whose first argument must be a stand-in array (CuPy calls its methods or kernels on it).
ARRAY_FIRST = (
    "sum prod mean var std max amax min amin argmax argmin any all cumsum cumprod nansum nanmax nanmin nanmean "
    "nanargmax nanargmin clip round around transpose reshape ravel squeeze expand_dims swapaxes moveaxis rollaxis "
    "broadcast_to flip fliplr flipud roll tile repeat take_along_axis diagonal diag diagflat trace tril triu "
    "nonzero flatnonzero argwhere count_nonzero diff pad atleast_1d atleast_2d atleast_3d dot vdot inner outer "
    "tensordot kron copy ascontiguousarray asfortranarray empty_like zeros_like ones_like full_like unique "
    "searchsorted isclose allclose array_equal nan_to_num split array_split cross real imag angle median "
    "percentile quantile average ptp bincount cov corrcoef histogram sort_complex packbits unpackbits "
    "count_nonzero squeeze shape ndim size isreal iscomplex"
).split()
# Functions taking a sequence of stand-in arrays first.
SEQUENCE_FIRST = "concatenate stack vstack hstack dstack column_stack".split()
# Shape-only creators (no array argument).
CREATORS = "zeros ones empty full arange linspace logspace eye identity tri indices".split()
PASSTHROUGH = (
    "dtype iinfo finfo result_type can_cast promote_types issubdtype min_scalar_type isscalar ndindex "
    "inf nan pi e euler_gamma newaxis float16 float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64 "
    "intp uintp bool_ bool complex64 complex128 integer floating number signedinteger unsignedinteger inexact "
    "complexfloating generic"
).split()


def _dtype_of(value):
    return value.dtype if type(value) is ndarray else value


def result_type(*arrays_and_dtypes):
    return _np.result_type(*[_dtype_of(v) for v in arrays_and_dtypes])


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(_dtype_of(from_), to, casting)


def _array_first(name):
    fn = getattr(_np, name)

    def call(a, *args, **kwargs):
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        if "out" in kwargs:
            kwargs["out"] = out_arg(kwargs["out"])
        return wrap(fn(a._a, *loose(list(args)), **{k: loose(v) for k, v in kwargs.items()}))

    call.__name__ = name
    return call


def _sequence_first(name):
    fn = getattr(_np, name)

    def call(arrays, *args, **kwargs):
        for a in arrays:
            if type(a) is not ndarray:
                raise TypeError(f"Unsupported type {type(a)}")
        if "out" in kwargs:
            kwargs["out"] = out_arg(kwargs["out"])
        if "dtype" in kwargs and kwargs["dtype"] is not None:
            check_dtype(kwargs["dtype"])
        return wrap(fn([a._a for a in arrays], *args, **kwargs))

    call.__name__ = name
    return call


def _creator(name):
    fn = getattr(_np, name)

    def call(*args, **kwargs):
        if kwargs.get("dtype") is not None:
            kwargs["dtype"] = check_dtype(kwargs["dtype"])
        for a in args:
            if type(a) is _np.ndarray:
                raise TypeError(f"Unsupported type {type(a)}")
        if name == "full" and len(args) > 1 and type(args[1]) is ndarray:
            args = (args[0], args[1]._a) + tuple(args[2:])  # a device fill value stays on the device
        # A device array given as a shape or bound is read to the host (NumPy asks for its __index__).
        return wrap(fn(*args, **kwargs))

    call.__name__ = name
    return call


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """Host data (NumPy arrays, lists, scalars) or stand-in arrays -> a new stand-in array."""
    dt = None if dtype is None else check_dtype(dtype)
    host = _np.array(_host_tree(obj), dtype=dt, copy=True, order=order, ndmin=ndmin)
    return wrap(host)


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Like `array` without a copy when `a` is already a stand-in array of that dtype."""
    if type(a) is ndarray:
        return a if dtype is None or check_dtype(dtype) == a.dtype else a.astype(dtype)
    dt = None if dtype is None else check_dtype(dtype)
    return wrap(_np.asarray(_host_tree(a), dtype=dt, order=order))


def _host_tree(obj):
    if type(obj) is ndarray:
        return obj._a
    if type(obj) in (list, tuple):
        return type(obj)(_host_tree(v) for v in obj)
    return obj


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """Device -> host copy (counted); NumPy input is returned as it is."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    import sys

    return sys.modules["cupy"] if any(type(a) is ndarray for a in args) else _np


def where(condition, x=None, y=None):
    # CuPy calls condition.astype(bool): a Python bool or a NumPy array is not a condition.
    if type(condition) is not ndarray:
        raise AttributeError(f"'{type(condition).__name__}' object has no attribute 'astype'")
    if x is None and y is None:
        return wrap(_np.nonzero(condition._a))
    if x is None or y is None:
        raise ValueError("Must provide both 'x' and 'y' or neither.")
    return wrap(_np.where(condition._a, operand(x), operand(y)))


def sort(a, axis=-1, kind=None):
    check_sort_kind(kind)
    if type(a) is not ndarray:
        raise TypeError(f"Unsupported type {type(a)}")
    return wrap(_np.sort(a._a, axis=axis, kind="stable"))


def argsort(a, axis=-1, kind=None):
    check_sort_kind(kind)
    if type(a) is not ndarray:
        raise TypeError(f"Unsupported type {type(a)}")
    return wrap(_np.argsort(a._a, axis=axis, kind="stable"))


def take(a, indices, axis=None, out=None):
    if type(a) is not ndarray:
        raise TypeError(f"Unsupported type {type(a)}")
    return a.take(indices, axis=axis, out=out)


def einsum(*operands, **kwargs):
    if not isinstance(operands[0], str):
        raise TypeError("CuPy's einsum takes a subscripts string first")
    for a in operands[1:]:
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
    kwargs.pop("optimize", None)
    return wrap(_np.einsum(operands[0], *[a._a for a in operands[1:]], **kwargs))


def broadcast_arrays(*args):
    for a in args:
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
    return [wrap(v) for v in _np.broadcast_arrays(*[a._a for a in args])]


def meshgrid(*xi, **kwargs):
    for a in xi:
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
    return [wrap(v) for v in _np.meshgrid(*[a._a for a in xi], **kwargs)]


def abs(x, out=None, dtype=None):  # noqa: A001 - CuPy's name
    return _UF["absolute"](x, out=out, dtype=dtype)


_UF = {name: ufunc(getattr(_np, name)) for name in UFUNCS if hasattr(_np, name)}


def namespace() -> dict:
    """Every public name of the stand-in's `cupy` module (bar the sub-modules)."""
    ns = dict(_UF)
    for name in ARRAY_FIRST:
        if hasattr(_np, name):
            ns[name] = _array_first(name)
    for name in SEQUENCE_FIRST:
        ns[name] = _sequence_first(name)
    for name in CREATORS:
        ns[name] = _creator(name)
    for name in PASSTHROUGH:
        if hasattr(_np, name):
            ns[name] = getattr(_np, name)
    ns.update(
        ndarray=ndarray, ufunc=ufunc, array=array, asarray=asarray, asanyarray=asarray, asnumpy=asnumpy,
        get_array_module=get_array_module, where=where, sort=sort, argsort=argsort, take=take, einsum=einsum,
        broadcast_arrays=broadcast_arrays, meshgrid=meshgrid, abs=abs, absolute=_UF["absolute"],
        result_type=result_type, can_cast=can_cast,
    )
    return ns


__all__ = ["ufunc", "namespace", "reads"]
