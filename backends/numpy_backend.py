"""The NumPy (CPU) backend."""
from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy

from .base import ArrayBackend
from .numba_recurrent import COMPILED_DTYPES, CompiledRecurrent, kernels
from .numpy_blas import find_axpy, find_serial_blas, find_thread_limit
from .numpy_chunked import NumpyChunkedKernels
from .numpy_conv import NumpyConvKernels
from .numpy_blas_spin import shorten_spin
from .numpy_threads import ChunkPool, Scratch

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


_tuned = False


def _keep_freed_memory_for_reuse() -> None:
    """Asks glibc's malloc to keep freed arrays of up to 32 MiB in the heap.

    A training step frees its whole graph; with glibc's default (adaptive) thresholds
    that memory is often returned to the system and faulted back in at the next step,
    which cost ~1,500 page faults per MLP batch (2x the epoch time). Fixed thresholds
    (the adaptive maximum, 32 MiB, for mmap; 64 MiB for trimming) keep it for reuse.
    These settings hold for the whole process (every library's allocations), so the
    backend applies them only when training starts (`prepare_for_training`), not on
    import or first use. Skipped off glibc, or when MULTINN_MALLOC_TUNING=0.
    """
    global _tuned
    if _tuned or os.environ.get("MULTINN_MALLOC_TUNING", "1") == "0":
        return
    _tuned = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
    mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)


# Below this many elements a NumPy expression costs less than the ctypes call into BLAS.
_AXPY_MIN_SIZE = 4096

# A product with fewer output elements than this (and more multiply-adds than OpenBLAS's own
# single-thread threshold) runs on one BLAS thread: e.g. the kernel gradient of a first conv
# layer, (9, 86528) @ (86528, 32). Splitting so small an output gains nothing measurable,
# while on a loaded machine waiting for a descheduled BLAS worker stalled such calls for up
# to 1.5 s (hundreds of times their 1.3 ms).
_SINGLE_THREAD_MAX_OUTPUT = 4096
_OPENBLAS_SINGLE_MNK = 65536 * 4



class NumpyBackend(CompiledRecurrent, NumpyConvKernels, NumpyChunkedKernels, ArrayBackend):
    """CPU arrays through NumPy; BLAS does the matrix products (and plain SGD's update);
    convolutions, pooling, optimizer updates and dropout masks run in cache-sized chunks on
    all cores (numpy_conv.py, numpy_chunked.py); float32 LSTM and GRU steps run compiled
    (numba_recurrent.py)."""

    name = "numpy"
    xp = numpy
    array_type = numpy.ndarray
    # 16,384 blocks: six uint64 buffers of 128 KiB, which stay in a core's L2 cache (2-3x faster
    # than one pass over a dropout mask of a million words).
    philox_chunk = 16384

    def __init__(self):
        self._axpy = find_axpy()
        self._serial_blas = find_serial_blas()
        self._threads = find_thread_limit()
        self.chunk_pool = ChunkPool(find_thread_limit("MULTINN_CHUNK_THREADS"), on_start=shorten_spin)
        self.scratch = Scratch()

    def serial_blas(self):
        """One BLAS thread for a recurrent loop's small products (ArrayBackend.serial_blas)."""
        return self._serial_blas if self._serial_blas is not None else super().serial_blas()

    def prepare_for_training(self) -> None:
        """Tunes glibc's malloc for training's allocation pattern, once per process (see
        `_keep_freed_memory_for_reuse`; MULTINN_MALLOC_TUNING=0 keeps glibc's defaults)."""
        _keep_freed_memory_for_reuse()

    def matmul(self, a, b):
        """NumPy's matmul; a 1-D or 2-D product with a small output runs on one BLAS thread (see above)."""
        limit = self._threads
        if limit is None or a.ndim > 2 or b.ndim > 2 or a.ndim == 0 or b.ndim == 0:
            return numpy.matmul(a, b)
        rows = a.shape[0] if a.ndim == 2 else 1
        cols = b.shape[-1] if b.ndim == 2 else 1
        out = rows * cols
        if out >= _SINGLE_THREAD_MAX_OUTPUT or out * a.shape[-1] <= _OPENBLAS_SINGLE_MNK:
            return numpy.matmul(a, b)
        previous = limit.single()
        try:
            return numpy.matmul(a, b)
        finally:
            limit.restore(previous)

    def add_at(self, out, index, values) -> None:
        """ArrayBackend.add_at. Rows picked by one integer array (an embedding's gradient) are
        added by a compiled loop (numba_steps.add_rows) where numba serves, else through
        NumPy's one-dimensional add.at, which is several times faster than its row-by-row loop
        (each row index expands to the flat indices of its elements). Either way the additions
        happen in the same order, so the sums are the same to the bit."""
        if (isinstance(index, numpy.ndarray) and index.dtype.kind in "iu" and out.ndim > 1 and index.size
                and out.flags.c_contiguous and values.dtype == out.dtype
                and values.shape == index.shape + out.shape[1:]):
            rows = index.reshape(-1).astype(numpy.intp)
            rows = numpy.where(rows < 0, rows + out.shape[0], rows)  # as the row loop reads negatives
            if rows.min() >= 0 and rows.max() < out.shape[0]:  # else the row loop raises its IndexError
                width = out[0].size
                flat_out, flat_values = out.reshape(-1, width), numpy.ascontiguousarray(values).reshape(-1, width)
                compiled = kernels()
                if compiled is not None and out.dtype in COMPILED_DTYPES:
                    compiled.add_rows(flat_out, rows, flat_values)
                    return
                flat = (rows[:, None] * width + numpy.arange(width)).reshape(-1)
                numpy.add.at(flat_out.reshape(-1), flat, flat_values.reshape(-1))
                return
        numpy.add.at(out, index, values)

    def sgd_update(self, p, g, lr: float, momentum: float = 0.0, nesterov: bool = False, m=None) -> None:
        """SGD as BLAS axpy/scal passes where they apply (no temporaries, a third of the memory
        traffic, on BLAS's threads); otherwise the generic update. Same formulas as Keras 2."""
        blas = self._blas_for(p, g, m)
        if blas is None:
            super().sgd_update(p, g, lr, momentum, nesterov, m)
            return
        n, gp, pp = p.size, g.ctypes.data, p.ctypes.data
        if m is None:
            blas.axpy(n, -lr, gp, pp)  # p -= lr * g
            return
        mp = m.ctypes.data
        blas.scal(n, momentum, mp)  # m = momentum * m - lr * g
        blas.axpy(n, -lr, gp, mp)
        if nesterov:
            blas.axpy(n, momentum, mp, pp)  # p += momentum * m - lr * g
            blas.axpy(n, -lr, gp, pp)
        else:
            blas.axpy(n, 1.0, mp, pp)  # p += m

    def _blas_for(self, p, g, m):
        """The BLAS routines for an update of `p` by `g` (and velocity `m`), or None where they
        do not apply: small or differently typed arrays, views, overlapping memory, no BLAS."""
        blas = self._axpy
        if blas is None or p.size < _AXPY_MIN_SIZE or p.dtype != g.dtype or p.shape != g.shape:
            return None
        arrays = (p, g) if m is None else (p, g, m)
        for a in arrays:
            if not (a.flags.c_contiguous and a.dtype == p.dtype and a.shape == p.shape):
                return None
        if not p.flags.writeable or numpy.may_share_memory(p, g) or (
            m is not None and (not m.flags.writeable or numpy.may_share_memory(m, p) or numpy.may_share_memory(m, g))
        ):
            return None
        return blas.get(p.dtype)
