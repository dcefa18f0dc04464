"""BLAS level-1 `axpy` (y += a*x in one pass) from the OpenBLAS that NumPy itself loaded.

NumPy has no fused multiply-add for arrays: `p -= lr * g` writes `lr * g` to a temporary
and reads it back, about three times the memory traffic of BLAS's axpy, which also runs on
BLAS's threads. NumPy's Linux/Windows wheels bundle OpenBLAS (64-bit integers, symbols
prefixed `scipy_`); when no such library is found (another NumPy build), `find_axpy`
returns None and callers keep the plain NumPy expression.
"""
from __future__ import annotations

import ctypes
import glob
import os

import numpy

# (symbol, integer type) pairs tried in order: NumPy 2 wheels, then older wheels.
_CANDIDATES = (("scipy_cblas_{}axpy64_", ctypes.c_int64), ("cblas_{}axpy64_", ctypes.c_int64),
               ("cblas_{}axpy", ctypes.c_int))


def _bundled_openblas() -> "ctypes.CDLL | None":
    here = os.path.dirname(numpy.__file__)
    for folder in (os.path.join(here, "..", "numpy.libs"), os.path.join(here, ".libs")):
        for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


def find_axpy() -> "dict | None":
    """{dtype: axpy(n, alpha, x_pointer, y_pointer)} for float32 and float64, or None."""
    if os.environ.get("MULTINN_BLAS_AXPY", "1") == "0":
        return None
    try:
        lib = _bundled_openblas()
    except Exception:  # a broken install must not stop the backend from loading
        return None
    if lib is None:
        return None
    for pattern, int_type in _CANDIDATES:
        found = {}
        for letter, dtype, real in (("s", numpy.dtype("float32"), ctypes.c_float), ("d", numpy.dtype("float64"), ctypes.c_double)):
            fn = getattr(lib, pattern.format(letter), None)
            if fn is None:
                break
            fn.argtypes = [int_type, real, ctypes.c_void_p, int_type, ctypes.c_void_p, int_type]
            fn.restype = None
            found[dtype] = (lambda f: lambda n, alpha, x, y: f(n, alpha, x, 1, y, 1))(fn)
        if len(found) == 2:
            return found
    return None
