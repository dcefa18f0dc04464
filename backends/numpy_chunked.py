"""Elementwise NumPy kernels run in cache-sized pieces on all cores: optimizer updates and
dropout's keep mask.

An optimizer update is a dozen passes over a weight and its state; over a 1.2 M-entry
Dense kernel each pass streams 5 MB through memory. Split into pieces of `PIECE` entries,
all passes of a piece run while it stays in the core's cache, and the pieces are shared
among `ChunkPool`'s workers. The update of each entry is the generic one (optimizer_kernels.py),
so results are identical. The keep mask's Philox blocks are counter-based: each worker
generates its own range of blocks, giving the same bits as one pass.
"""
from __future__ import annotations

import numpy

from . import philox

# Entries per piece: four float32 arrays of 32 K entries (512 KiB) stay in a core's L2 cache.
PIECE = 32768


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
        """OptimizerKernels.adadelta_update, piece by piece (see the module's docstring)."""
        generic = super().adadelta_update
        if not self._piecewise(generic, (p, g, a, d), lr, rho, epsilon):
            generic(p, g, a, d, lr, rho, epsilon)

    def adam_update(self, p, g, m, v, lr_t: float, beta_1: float, beta_2: float, epsilon: float, vhat=None,
                    decay: float = 0.0) -> None:
        """OptimizerKernels.adam_update, piece by piece (see the module's docstring)."""
        generic = super().adam_update
        if vhat is None:
            done = self._piecewise(lambda p, g, m, v: generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, None, decay),
                                   (p, g, m, v))
        else:
            done = self._piecewise(lambda p, g, m, v, h: generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, h, decay),
                                   (p, g, m, v, vhat))
        if not done:
            generic(p, g, m, v, lr_t, beta_1, beta_2, epsilon, vhat, decay)

    def random_keep_mask(self, shape: tuple, level: float, key: int, start: int):
        """ArrayBackend.random_keep_mask with the Philox blocks generated in ranges on all workers."""
        count = 1
        for dim in shape:
            count *= int(dim)
        chunk = self.philox_chunk or PIECE
        threshold = self.keep_threshold(level)
        if threshold is None or count < 8 * chunk:
            return super().random_keep_mask(shape, level, key, start)
        blocks = philox.blocks_for(count)
        keep = numpy.empty(4 * blocks, dtype=bool)
        limit = numpy.uint32(threshold)

        def run(span):
            s, e = span
            words = philox.philox_words(numpy, key, start + s, e - s, chunk).reshape(-1)
            numpy.greater_equal(words, limit, out=keep[4 * s:4 * e])

        self.chunk_pool.map(run, _pieces(blocks, 2 * chunk))
        return keep[:count].reshape(shape)
