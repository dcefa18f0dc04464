"""BLAS level-1 `axpy` (y += a*x in one pass) and `scal` from the OpenBLAS NumPy loaded.

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


class Level1:
    """axpy (y += a*x) and scal (x *= a) of one dtype, on raw pointers with unit strides."""

    def __init__(self, axpy, scal):
        self._axpy, self._scal = axpy, scal

    def axpy(self, n: int, alpha: float, x: int, y: int) -> None:
        self._axpy(n, alpha, x, 1, y, 1)

    def scal(self, n: int, alpha: float, x: int) -> None:
        self._scal(n, alpha, x, 1)


def find_axpy() -> "dict | None":
    """{dtype: Level1} for float32 and float64, or None (no bundled OpenBLAS, or MULTINN_BLAS_AXPY=0)."""
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
            axpy = getattr(lib, pattern.format(letter), None)
            scal = getattr(lib, pattern.replace("axpy", "scal").format(letter), None)
            if axpy is None or scal is None:
                break
            axpy.argtypes = [int_type, real, ctypes.c_void_p, int_type, ctypes.c_void_p, int_type]
            scal.argtypes = [int_type, real, ctypes.c_void_p, int_type]
            axpy.restype = scal.restype = None
            found[dtype] = Level1(axpy, scal)
        if len(found) == 2:
            return found
    return None


class SerialBlas:
    """A context that runs the bundled OpenBLAS on one thread, then restores its count.

    OpenBLAS's thread count is process-wide: other Python threads' products inside the
    context run on one thread too (they stay correct, only not parallel).
    """

    def __init__(self, get_threads, set_threads):
        self._get, self._set = get_threads, set_threads
        self._saved = []

    def __enter__(self) -> "SerialBlas":
        count = self._get()
        self._saved.append(count)
        if count != 1:
            self._set(1)
        return self

    def __exit__(self, *exc) -> None:
        count = self._saved.pop()
        if count != 1:
            self._set(count)


def find_serial_blas() -> "SerialBlas | None":
    """A SerialBlas for NumPy's bundled OpenBLAS, or None (no such library, or MULTINN_SERIAL_BLAS=0)."""
    if os.environ.get("MULTINN_SERIAL_BLAS", "1") == "0":
        return None
    try:
        lib = _bundled_openblas()
    except Exception:  # a broken install must not stop the backend from loading
        return None
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            get = getattr(lib, f"{prefix}get_num_threads{suffix}", None) if lib is not None else None
            put = getattr(lib, f"{prefix}set_num_threads{suffix}", None) if lib is not None else None
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return SerialBlas(get, put)
    return None
