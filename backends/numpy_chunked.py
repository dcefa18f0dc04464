"""Elementwise NumPy kernels run in cache-sized pieces on all cores: optimizer updates and
dropout's keep mask.

An optimizer update is a dozen passes over a weight and its state; over a 1.2 M-entry
Dense kernel each pass streams 5 MB through memory. Split into pieces of `PIECE` entries,
all passes of a piece run while it stays in the core's cache, and the pieces are shared
among `ChunkPool`'s workers. The update of each entry is the generic one
(optimizer_kernels.py), so results are identical. Where numba serves, Adam and Adadelta
take one compiled pass instead (numba_updates.py; the same bits), by one range per worker.
The keep mask's Philox blocks are counter-based: each worker generates its own range of
blocks, giving the same bits as one pass.
"""
from __future__ import annotations

import numpy

from . import philox
from .numba_recurrent import COMPILED_DTYPES, kernels
from .numpy_threads import split_evenly

# Entries per piece: four float32 arrays of 32 K entries (512 KiB) stay in a core's L2 cache.
PIECE = 32768
# Weights from this many entries get Adam's compiled pass on all workers.
_SPLIT_UPDATE_MIN = 2 * PIECE
# Outputs from this many entries get their bias and activation on all workers.
BIAS_ROWS_MIN = 16 * PIECE


def _pieces(n: int, size: int) -> list:
    return [(s, min(s + size, n)) for s in range(0, n, size)]


class NumpyChunkedKernels:
    """Mixin of NumpyBackend (which provides `chunk_pool`): piecewise updates and keep masks."""

    def _piecewise(self, update, arrays, *scalars, **options) -> bool:
        """Runs update(*pieces, *scalars, **options) piece by piece over same-shaped C-contiguous
        arrays; False (nothing done) where that does not apply: small, 0-d or other arrays."""
        first = arrays[0]
        if first.ndim == 0 or first.size < 2 * PIECE:
            return False
        for a in arrays:
            if a.shape != first.shape or a.dtype != first.dtype or not a.flags.c_contiguous:
                return False
        flat = [a.reshape(-1) for a in arrays]

        def run(span):
            s, e = span
            update(*(f[s:e] for f in flat), *scalars, **options)

        self.chunk_pool.map(run, _pieces(first.size, PIECE))
        return True

    def adadelta_update(self, p, g, a, d, lr: float, rho: float, epsilon: float) -> None:
        """OptimizerKernels.adadelta_update: one compiled pass where numba serves (as adam_update);
        else piece by piece (see the module's docstring)."""
        t = p.dtype.type
        if self._compiled_pass("adadelta_pass", (p, g, a, d), t(lr), t(rho), t(1.0 - rho), t(epsilon), lr != 1.0):
            return
        generic = super().adadelta_update
        if not self._piecewise(generic, (p, g, a, d), lr, rho, epsilon):
            generic(p, g, a, d, lr, rho, epsilon)

    def adam_update(self, p, g, m, v, lr_t: float, beta_1: float, beta_2: float, epsilon: float, vhat=None,
                    decay: float = 0.0) -> None:
        """OptimizerKernels.adam_update: one compiled pass where numba serves (numba_updates.py;
        the same results to the bit), by one range per worker on large weights; else piece by
        piece (see the module's docstring)."""
        if self._compiled_adam(p, g, m, v, vhat, lr_t, beta_1, beta_2, epsilon, decay):
            return
        generic = super().adam_update
        if vhat is None:
            done = self._piecewise(lambda p, g, m, v: generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, None, decay),
                                   (p, g, m, v))
        else:
            done = self._piecewise(lambda p, g, m, v, h: generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, h, decay),
                                   (p, g, m, v, vhat))
        if not done:
            generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, vhat, decay)

    def _compiled_adam(self, p, g, m, v, vhat, lr_t, beta_1, beta_2, epsilon, decay) -> bool:
        t = p.dtype.type
        scalars = (t(lr_t), t(1.0 - beta_1), t(beta_1), t(1.0 - beta_2), t(beta_2), t(epsilon), t(1.0 - decay),
                   vhat is not None, bool(decay))
        arrays = (p, g, m, v) if vhat is None else (p, g, m, v, vhat)
        return self._compiled_pass("adam_pass", arrays, *scalars, optional=vhat is None)

    def _compiled_pass(self, name: str, arrays: tuple, *scalars, optional: bool = False) -> bool:
        """Runs the compiled update `name` (numba_updates.py) over same-shaped, C-contiguous,
        writable float32 or float64 arrays, by one range per worker on large weights; False
        (nothing done) where it does not apply. `optional`: the kernel's last array argument is
        absent (an empty array stands in)."""
        compiled = kernels()
        p = arrays[0]
        if compiled is None or p.dtype not in COMPILED_DTYPES or p.ndim == 0:
            return False
        for a in arrays:
            if a.shape != p.shape or a.dtype != p.dtype or not a.flags.c_contiguous or not a.flags.writeable:
                return False
        flat = [a.reshape(-1) for a in arrays]
        kernel = getattr(compiled, name)
        parts = self.chunk_pool.workers if p.size >= _SPLIT_UPDATE_MIN else 1

        def run(span):
            ranges = [f[span[0]:span[1]] for f in flat]
            if optional:
                ranges.append(flat[0][:0])
            kernel(*ranges, *scalars)

        self.chunk_pool.map(run, split_evenly(p.size, parts))
        return True

    def bias_activation_in_place(self, y, bias, activation: str) -> None:
        """DenseKernels.bias_activation_in_place, by row ranges on the workers for outputs of at
        least `BIAS_ROWS_MIN` entries (an LSTM's input projection over every step: 5 MB); the
        hand-off costs more than a second core gains on smaller ones."""
        generic = super().bias_activation_in_place
        nothing = bias is None and activation == "linear"
        if nothing or y.ndim < 2 or y.size < BIAS_ROWS_MIN or not y.flags.c_contiguous:
            generic(y, bias, activation)
            return
        rows = y.reshape(-1, y.shape[-1])
        # one range per worker: a single pass gains nothing from cache-sized pieces, and each
        # piece handed over costs some 10 µs
        self.chunk_pool.map(lambda span: generic(rows[span[0]:span[1]], bias, activation),
                            split_evenly(rows.shape[0], self.chunk_pool.workers))

    def random_keep_mask(self, shape: tuple, level: float, key: int, start: int):
        """ArrayBackend.random_keep_mask with the Philox blocks generated in ranges on all workers."""
        keep = self._keep_ranges(shape, level, key, start, None)
        return super().random_keep_mask(shape, level, key, start) if keep is None else keep

    def dropout_mask(self, shape: tuple, level: float, key: int, start: int, dtype):
        """ArrayBackend.dropout_mask made range by range on all workers (no whole-size boolean mask)."""
        mask = self._keep_ranges(shape, level, key, start, numpy.dtype(dtype))
        return super().dropout_mask(shape, level, key, start, dtype) if mask is None else mask

    def _keep_ranges(self, shape, level, key, start, dtype):
        """The keep mask (dtype None) or dropout multiplier (dtype) of `shape`, from ranges of Philox
        blocks on the workers; None where one pass is as good (small masks, nothing kept)."""
        count = 1
        for dim in shape:
            count *= int(dim)
        chunk = self.philox_chunk or PIECE
        threshold = self.keep_threshold(level)
        if threshold is None or count < 8 * chunk:
            return None
        blocks = philox.blocks_for(count)
        out = numpy.empty(4 * blocks, dtype=bool if dtype is None else dtype)
        limit = numpy.uint32(threshold)
        scale = None if dtype is None else dtype.type(1.0 / (1.0 - level))

        def run(span):
            s, e = span
            words = philox.philox_words(numpy, key, start + s, e - s, chunk).reshape(-1)
            if scale is None:
                numpy.greater_equal(words, limit, out=out[4 * s:4 * e])
            else:
                numpy.multiply(words >= limit, scale, out=out[4 * s:4 * e])

        self.chunk_pool.map(run, _pieces(blocks, 2 * chunk))
        return out[:count].reshape(shape)
