"""The NumPy (CPU) backend."""
from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy

from .base import ArrayBackend
from .numpy_blas import find_axpy

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _keep_freed_memory_for_reuse() -> None:
    """Asks glibc's malloc to keep freed arrays of up to 32 MiB in the heap.

    A training step frees its whole graph; with glibc's default (adaptive) thresholds
    that memory is often returned to the system and faulted back in at the next step,
    which cost ~1,500 page faults per MLP batch (2x the epoch time). Fixed thresholds
    (the adaptive maximum, 32 MiB, for mmap; 64 MiB for trimming) keep it for reuse.
    Skipped off glibc, or when MULTINN_MALLOC_TUNING=0.
    """
    if os.environ.get("MULTINN_MALLOC_TUNING", "1") == "0":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
    mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)


# Below this many elements a NumPy expression costs less than the ctypes call into BLAS.
_AXPY_MIN_SIZE = 4096


class NumpyBackend(ArrayBackend):
    """CPU arrays through NumPy; BLAS does the matrix products (and plain SGD's update)."""

    name = "numpy"
    xp = numpy
    array_type = numpy.ndarray

    def __init__(self):
        _keep_freed_memory_for_reuse()
        self._axpy = find_axpy()

    def sgd_update(self, p, g, lr: float, momentum: float = 0.0, nesterov: bool = False, m=None) -> None:
        """Plain SGD's `p -= lr * g` as one BLAS axpy where it applies (a third of the memory
        traffic, on BLAS's threads); otherwise, and with momentum, the generic update."""
        axpy = self._axpy
        if (m is None and axpy is not None and p.size >= _AXPY_MIN_SIZE and p.dtype == g.dtype
                and p.shape == g.shape and p.dtype in axpy and p.flags.c_contiguous and p.flags.writeable
                and g.flags.c_contiguous and not numpy.may_share_memory(p, g)):
            axpy[p.dtype](p.size, -lr, g.ctypes.data, p.ctypes.data)
            return
        super().sgd_update(p, g, lr, momentum, nesterov, m)

    def asarray(self, value, dtype=None):
        if hasattr(value, "__cuda_array_interface__") and hasattr(value, "get"):
            value = value.get()
        return numpy.asarray(value, dtype=dtype)

    def to_numpy(self, array):
        return numpy.asarray(array)
