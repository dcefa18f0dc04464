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
import threading

import numpy

# (symbol, integer type) pairs tried in order: NumPy 2 wheels, then older wheels.
_CANDIDATES = (("scipy_cblas_{}axpy64_", ctypes.c_int64), ("cblas_{}axpy64_", ctypes.c_int64),
               ("cblas_{}axpy", ctypes.c_int))


def _openblas_unless(env: str) -> "ctypes.CDLL | None":
    """The bundled OpenBLAS, or None where it is missing, fails to load, or `env` is set to 0."""
    if os.environ.get(env, "1") == "0":
        return None
    try:
        return _bundled_openblas()
    except Exception:  # a broken install must not stop the backend from loading
        return None


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


class ThreadLimit:
    """OpenBLAS's thread count through `openblas_set_num_threads_local` (OpenBLAS >= 0.3.27).

    `single()` makes this thread's next BLAS calls run on one thread and returns the
    previous setting for `restore`. Despite its name, in the pthreads builds NumPy's wheels
    ship, the setting holds for the whole process: a thread that went single leaves every
    thread's products on one thread until someone restores the count (so ChunkPool sets it
    around each map rather than in its workers).
    """

    def __init__(self, set_local):
        self._set_local = set_local

    def single(self) -> int:
        return self._set_local(1)

    def restore(self, previous: int) -> None:
        self._set_local(previous)


def _local_thread_setter(lib: "ctypes.CDLL"):
    set_local = getattr(lib, "openblas_set_num_threads_local", None)
    if set_local is not None:
        set_local.argtypes = [ctypes.c_int]
        set_local.restype = ctypes.c_int
    return set_local


def find_thread_limit(switch: str = "MULTINN_BLAS_SMALL_SINGLE") -> "ThreadLimit | None":
    """The bundled OpenBLAS's thread-count control, or None (no such library or symbol,
    or the environment variable `switch` set to 0)."""
    lib = _openblas_unless(switch)
    set_local = _local_thread_setter(lib) if lib is not None else None
    return None if set_local is None else ThreadLimit(set_local)


def find_axpy() -> "dict | None":
    """{dtype: Level1} for float32 and float64, or None (no bundled OpenBLAS, or MULTINN_BLAS_AXPY=0)."""
    lib = _openblas_unless("MULTINN_BLAS_AXPY")
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


class _SerialStretch:
    """The one stretch of time, for the whole process, in which BLAS runs on one thread.

    The count is the process's (see ThreadLimit), so every holder shares it: the first to
    enter saves the count and sets one, the last to leave restores it. Holders nest and
    overlap across threads (a pool map, its workers' loops, a user's own threads) without
    one of them restoring the count while another still needs it serial, or leaving it at
    one for good.
    """

    def __init__(self):
        self._forget()
        os.register_at_fork(after_in_child=self._forget)  # only the forking thread lives on

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._depth, self._saved, self._restore = 0, None, None

    def enter(self, single, restore) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved, self._restore = single(), restore
            self._depth += 1

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._restore(self._saved)


SERIAL_STRETCH = _SerialStretch()


class SerialBlas:
    """A context that runs the bundled OpenBLAS on one thread, then restores its count.

    The count is the process's (see ThreadLimit): other threads' products inside the context
    run on one thread too, which is still correct, only not parallel. All contexts, and the
    chunk pool's maps, share one `SERIAL_STRETCH`.
    """

    def __init__(self, single, restore):
        self._single, self._restore = single, restore

    def __enter__(self) -> "SerialBlas":
        SERIAL_STRETCH.enter(self._single, self._restore)
        return self

    def __exit__(self, *exc) -> None:
        SERIAL_STRETCH.leave()


def find_serial_blas() -> "SerialBlas | None":
    """A SerialBlas for NumPy's bundled OpenBLAS, or None (no such library, or MULTINN_SERIAL_BLAS=0)."""
    lib = _openblas_unless("MULTINN_SERIAL_BLAS")
    if lib is None:
        return None
    local = _local_thread_setter(lib)
    if local is not None:
        limit = ThreadLimit(local)
        return SerialBlas(limit.single, limit.restore)
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]

                def single(get=get, put=put) -> int:
                    count = get()
                    if count != 1:
                        put(1)
                    return count

                def restore(count: int, put=put) -> None:
                    if count != 1:
                        put(count)

                return SerialBlas(single, restore)
    return None
