"""The stand-in's array: a class of its own around a NumPy array, with CuPy's rules.

Where CuPy differs from NumPy this keeps CuPy's behaviour (CuPy 13/14 documentation,
"Differences between CuPy and NumPy" and the API reference):
- no implicit conversion to NumPy: `__array__`, NumPy ufuncs and NumPy functions on it raise
  TypeError (CuPy would dispatch NumPy ufuncs to itself, but in this project that would mean
  host code touching device data, so the stand-in refuses it);
- NumPy arrays and lists are refused as operands of operators and ufuncs;
- reductions and integer indexing give 0-d arrays, never NumPy scalars;
- out-of-range integer-array indices wrap around instead of raising IndexError;
- only bool/int/uint/float/complex dtypes of at most 128 bits;
- sorts accept kind None or 'stable' only; `ufunc.at` only for the scatter ufuncs.
Every read of a value into the host is counted in `reads`.
"""
from __future__ import annotations

import numpy as _np

from .reads import reads

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
)
_SCALARS = (bool, int, float, complex, _np.generic)


def check_dtype(dtype):
    """The NumPy dtype for `dtype`, or CuPy's TypeError for one CuPy has no kernels for."""
    dt = _np.dtype(dtype) if dtype is not None else _np.dtype(float)
    if dt.kind not in "biufc" or dt.char in "gG":
        raise TypeError(f"Unsupported dtype {dt}")
    return dt


def wrap(value):
    """A NumPy result as stand-in arrays: arrays and NumPy scalars become `ndarray` (0-d for scalars)."""
    if type(value) is _np.ndarray:
        if value.dtype.kind not in "biufc" or value.dtype.char in "gG":
            raise TypeError(f"Unsupported dtype {value.dtype}")
        out = object.__new__(ndarray)
        out._a = value
        return out
    if isinstance(value, _np.generic):
        return wrap(_np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, list) and value and type(value[0]) is _np.ndarray:
        return [wrap(v) for v in value]
    return value


def operand(value):
    """An operand of a ufunc or operator: a stand-in array or a scalar, as CuPy accepts."""
    if type(value) is ndarray:
        return value._a
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(f"Unsupported type {type(value)}")


def loose(value):
    """An argument of a non-ufunc function: stand-in arrays unwrapped (also inside tuples and
    lists, e.g. a sequence to concatenate); NumPy arrays refused; other values (axes, shapes,
    dtypes, strings) passed on."""
    t = type(value)
    if t is ndarray:
        return value._a
    if t is _np.ndarray:
        raise TypeError(f"Unsupported type {t}")
    if t is tuple or t is list:
        return t(loose(v) for v in value)
    return value


def out_arg(out):
    if out is None:
        return None
    if type(out) is tuple:
        return tuple(out_arg(o) for o in out)
    if type(out) is not ndarray:
        raise TypeError(f"Output array must be a cupy.ndarray. Received: {type(out)}")
    return out._a


def _wrap_indices(a_shape, key):
    """The index `key` with NumPy arrays/lists allowed (as CuPy allows them as indices) and every
    integer-array component taken modulo its axis length: CuPy wraps out-of-range indices."""
    if type(key) is not tuple:
        key = (key,)
    parts = []
    for k in key:
        if type(k) is ndarray:
            k = k._a
        elif type(k) is list:
            k = _np.asarray(k)
        parts.append(k)
    consumed = sum(
        (k.ndim if k.dtype == bool else 1) if type(k) is _np.ndarray else (0 if (k is None or k is Ellipsis) else 1)
        for k in parts
    )
    axis = 0
    out = []
    for k in parts:
        if k is None:
            out.append(k)
        elif k is Ellipsis:
            axis += len(a_shape) - consumed
            out.append(k)
        elif type(k) is _np.ndarray and k.dtype == bool:
            axis += k.ndim
            out.append(k)
        elif type(k) is _np.ndarray and k.dtype.kind in "iu" and k.ndim > 0:
            n = a_shape[axis] if axis < len(a_shape) else 0
            out.append(_np.mod(k, n) if n > 0 and k.size else k)
            axis += 1
        else:
            out.append(k)
            axis += 1
    return tuple(out)


def check_sort_kind(kind):
    if kind is not None and kind != "stable":
        raise NotImplementedError(f"CuPy sorts support kind=None or 'stable' only. Received: kind={kind!r}")


class ndarray:
    """Multi-dimensional array "on the device" (NumPy underneath). Not a NumPy subclass."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = _np.empty(shape, check_dtype(dtype), order=order)

    # -------------------------------------------------------------- NumPy interop: refused
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `numpy.float32(2) * x` reaches here through the NumPy scalar's operator; CuPy computes
        # it on the device, so this does too. Any other NumPy ufunc on a device array is refused.
        if method == "__call__" and not kwargs and any(isinstance(v, _np.generic) for v in inputs):
            if all(type(v) is ndarray or isinstance(v, _SCALARS) for v in inputs):
                return _ufunc_call(ufunc, inputs)
        raise TypeError(f"NumPy ufunc {ufunc.__name__} on a cupy.ndarray: {_IMPLICIT}")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"NumPy function {func.__name__} on a cupy.ndarray: {_IMPLICIT}")

    # -------------------------------------------------------------- device -> host (counted)
    def get(self, stream=None, order="C", out=None, blocking=True):
        reads.note("get")
        if out is not None:
            out[...] = self._a
            return out
        return _np.array(self._a, order=order)

    def item(self, *args):
        reads.note("item")
        return self._a.item(*args)

    def tolist(self):
        reads.note("tolist")
        return self._a.tolist()

    def __float__(self):
        reads.note("float")
        return float(self._a)

    def __int__(self):
        reads.note("int")
        return int(self._a)

    def __complex__(self):
        reads.note("complex")
        return complex(self._a)

    def __bool__(self):
        reads.note("bool")
        return bool(self._a)

    def __index__(self):
        if self._a.dtype.kind not in "iub" or self._a.ndim != 0:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        reads.note("index")
        return self._a.__index__()

    def __format__(self, spec):
        if self._a.ndim == 0 and spec:
            reads.note("format")
            return format(self._a.item(), spec)
        return format(repr(self), spec)

    def __reduce__(self):
        reads.note("pickle")
        return (_rebuild, (_np.array(self._a),))

    def set(self, arr, stream=None):
        """Host -> device copy (no sync needed)."""
        if type(arr) is not _np.ndarray:
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray. Received: {type(arr)}")
        self._a[...] = arr

    # -------------------------------------------------------------- plain attributes
    shape = property(lambda self: self._a.shape, lambda self, s: setattr(self._a, "shape", s))
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: wrap(self._a.T))
    mT = property(lambda self: wrap(_np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: wrap(self._a.real))
    imag = property(lambda self: wrap(self._a.imag))

    @property
    def base(self):
        return None if self._a.base is None else wrap(self._a.base) if type(self._a.base) is _np.ndarray else None

    @property
    def data(self):
        return _MemoryPointer(self._a)

    @property
    def device(self):
        from .cuda import Device

        return Device(0)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __copy__(self):
        return wrap(self._a.copy())

    def __deepcopy__(self, memo):
        return wrap(self._a.copy())

    # -------------------------------------------------------------- indexing
    def __getitem__(self, key):
        return wrap(self._a[_wrap_indices(self._a.shape, key)])

    def __setitem__(self, key, value):
        self._a[_wrap_indices(self._a.shape, key)] = operand(value)

    # -------------------------------------------------------------- methods
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return wrap(self._a.astype(check_dtype(dtype), order=order, copy=copy))

    def fill(self, value):
        self._a.fill(value._a if type(value) is ndarray else operand(value))

    def sort(self, axis=-1, kind=None):
        check_sort_kind(kind)
        self._a.sort(axis=axis, kind="stable")

    def argsort(self, axis=-1, kind=None):
        check_sort_kind(kind)
        return wrap(self._a.argsort(axis=axis, kind="stable"))

    def take(self, indices, axis=None, out=None):
        idx = loose(indices)
        n = self._a.size if axis is None else self._a.shape[axis]
        return wrap(_np.take(self._a, idx, axis=axis, mode="wrap" if n else "raise", out=out_arg(out)))

    def view(self, dtype=None):
        return wrap(self._a.view() if dtype is None else self._a.view(check_dtype(dtype)))

    def __matmul__(self, other):
        return _ufunc_call(_np.matmul, (self, other))

    def __rmatmul__(self, other):
        return _ufunc_call(_np.matmul, (other, self))


def _rebuild(host):
    return wrap(host)


class _MemoryPointer:
    """`ndarray.data`: only the device address is ever looked at."""

    def __init__(self, a):
        self.ptr = a.__array_interface__["data"][0]
        self.mem = self


def _ufunc_call(np_ufunc, args, out=None, dtype=None, **kwargs):
    vals = [operand(a) for a in args]
    for key in kwargs:
        if key not in ("casting",):
            raise TypeError(f"Wrong arguments {kwargs}")
    with _np.errstate(all="ignore"):  # GPU kernels do not warn on overflow or division by zero
        if out is not None:
            np_ufunc(*vals, out=out_arg(out), dtype=dtype, **kwargs)
            return out
        return wrap(np_ufunc(*vals, dtype=dtype, **kwargs) if dtype is not None else np_ufunc(*vals, **kwargs))


_METHODS = (
    "reshape transpose ravel flatten squeeze swapaxes copy repeat sum mean var std max min argmax argmin prod "
    "any all cumsum cumprod clip round dot conj conjugate nonzero diagonal trace"
).split()


def _method(name):
    np_method = getattr(_np.ndarray, name)

    def method(self, *args, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = out_arg(kwargs["out"])
        return wrap(np_method(self._a, *loose(list(args)), **{k: loose(v) for k, v in kwargs.items()}))

    method.__name__ = name
    return method


for _name in _METHODS:
    setattr(ndarray, _name, _method(_name))

_OPERATORS = {
    "add": _np.add, "sub": _np.subtract, "mul": _np.multiply, "truediv": _np.true_divide,
    "floordiv": _np.floor_divide, "mod": _np.remainder, "pow": _np.power, "and": _np.bitwise_and,
    "or": _np.bitwise_or, "xor": _np.bitwise_xor, "lshift": _np.left_shift, "rshift": _np.right_shift,
}


def _binary(np_ufunc, reflected=False, inplace=False):
    if inplace:
        def op(self, other):
            _ufunc_call(np_ufunc, (self, other), out=self)
            return self
    elif reflected:
        def op(self, other):
            return _ufunc_call(np_ufunc, (other, self))
    else:
        def op(self, other):
            return _ufunc_call(np_ufunc, (self, other))
    return op


for _name, _uf in _OPERATORS.items():
    setattr(ndarray, f"__{_name}__", _binary(_uf))
    setattr(ndarray, f"__r{_name}__", _binary(_uf, reflected=True))
    setattr(ndarray, f"__i{_name}__", _binary(_uf, inplace=True))

for _name, _uf in {"lt": _np.less, "le": _np.less_equal, "gt": _np.greater, "ge": _np.greater_equal,
                   "eq": _np.equal, "ne": _np.not_equal}.items():
    setattr(ndarray, f"__{_name}__", _binary(_uf))

ndarray.__neg__ = lambda self: wrap(-self._a)
ndarray.__pos__ = lambda self: wrap(+self._a)
ndarray.__abs__ = lambda self: wrap(abs(self._a))
ndarray.__invert__ = lambda self: wrap(~self._a)

ndarray.__module__ = "cupy"
