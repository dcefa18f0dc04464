"""The NumPy backend's convolution: the batch in cache-sized chunks, the chunks on all cores.

The generic kernels (base.py) build the whole batch's patch matrix, which for a 3x3 layer
on 128 images of 26x26x32 is 85 MB: written once, read twice, and faulted in afresh at
every step. Here each chunk of images gets its patches in a per-thread scratch buffer of
about `CHUNK_BYTES`, used while still in cache, and the chunks run on `ChunkPool`'s workers
(every copy, mask and scatter then runs on every core, not only the products):

    forward    patches -> one product -> bias and relu in place, into the chunk's rows of y
    backward   relu's mask on dy -> kernel gradient (patches recomputed: cheaper than keeping
               them) -> bias gradient -> input gradient as one product per kernel tap
               (contiguous (rows, C_in) blocks), each added into its window of the chunk

Partial kernel and bias gradients are summed in chunk order, so results do not depend on
which worker ran which chunk. Grouped and depthwise convolutions, mixed dtypes and empty
batches take the generic kernels.
"""
from __future__ import annotations

import numpy


# Patch bytes per chunk: a few MiB keep a chunk's patches, product and scatter in cache.
CHUNK_BYTES = 4 << 20
# Below this many patch bytes in the whole batch, one chunk on the calling thread.
INLINE_BYTES = 256 << 10
# A batch is split into at least this many chunks, so that every worker gets some.
MIN_CHUNKS = 8


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _taps(ksize):
    import itertools

    return list(itertools.product(*(range(int(k)) for k in ksize)))


def _window(kpos, out, strides, dilation):
    """The cells of a (padded) input that kernel tap `kpos` meets, one per output position."""
    return (slice(None),) + tuple(
        slice(k * d, k * d + (o - 1) * s + 1, s) for k, o, s, d in zip(kpos, out, strides, dilation)
    ) + (slice(None),)


class NumpyConvKernels:
    """Mixin of NumpyBackend (which provides `chunk_pool` and `scratch`): chunked, multi-threaded
    conv_forward and conv_backward."""

    def _conv_chunking(self):
        return self.chunk_pool, self.scratch

    @staticmethod
    def _chunkable(x, w, groups, *others) -> bool:
        return (groups == 1 and x.shape[0] > 0 and x.dtype.kind == "f" and w.dtype == x.dtype
                and all(o is None or o.dtype == x.dtype for o in others))

    @staticmethod
    def _spans(n: int, per_image: int) -> list:
        """(start, stop) image ranges of about CHUNK_BYTES of patches each, and at least MIN_CHUNKS of
        them (work for every worker); they do not depend on the number of workers, nor do results."""
        if n * per_image <= INLINE_BYTES:
            return [(0, n)]
        size = max(1, min(CHUNK_BYTES // max(per_image, 1), -(-n // MIN_CHUNKS)))
        return [(s, min(s + size, n)) for s in range(0, n, size)]

    def _patches_into(self, scratch, x, ksize, strides, dilation, pad_lo, out):
        """im2col of the chunk x into this thread's scratch buffer: (n, *out, *ksize, C)."""
        x = self.conv_pad(x, pad_lo, out, ksize, strides, dilation)
        nd = len(out)
        n, c = x.shape[0], x.shape[-1]
        cols = scratch.take("cols", (n,) + tuple(out) + tuple(ksize) + (c,), x.dtype)
        if c >= 16:  # wide rows: one strided copy
            st = x.strides
            view = numpy.lib.stride_tricks.as_strided(
                x, cols.shape,
                (st[0],) + tuple(st[1 + i] * strides[i] for i in range(nd))
                + tuple(st[1 + i] * dilation[i] for i in range(nd)) + (st[-1],),
                writeable=False,
            )
            numpy.copyto(cols, view)
            return cols
        lead = (slice(None),) * (1 + nd)  # narrow rows: one slab per kernel tap
        for kpos in _taps(ksize):
            cols[lead + kpos] = x[_window(kpos, out, strides, dilation)]
        return cols

    def conv_forward(self, x, w, strides, dilation, pad_lo, out, groups=1, stash=None, bias=None,
                     activation="linear"):
        """As ArrayBackend.conv_forward, chunked over the batch (no patches are stashed: the
        backward recomputes them chunk by chunk)."""
        if not self._chunkable(x, w, groups, bias):
            return super().conv_forward(x, w, strides, dilation, pad_lo, out, groups, stash, bias, activation)
        pool, scratch = self._conv_chunking()
        nd = len(out)
        ksize, cout = w.shape[:nd], w.shape[-1]
        positions = _size(out)
        n = x.shape[0]
        y = numpy.empty((n,) + tuple(out) + (cout,), dtype=x.dtype)
        rows = y.reshape(n * positions, cout)
        kernel = w.reshape(-1, cout)

        def run(span):
            s, e = span
            cols = self._patches_into(scratch, x[s:e], ksize, strides, dilation, pad_lo, out)
            part = rows[s * positions:e * positions]
            numpy.matmul(cols.reshape(part.shape[0], -1), kernel, out=part)
            self.bias_activation_in_place(part, bias, activation)

        per_image = positions * kernel.shape[0] * x.dtype.itemsize
        pool.map(run, self._spans(n, per_image))
        return y

    def conv_backward(self, dy, y, x, w, activation, need_x, need_w, need_b, strides, dilation, pad_lo,
                      groups=1, stash=None):
        """As ArrayBackend.conv_backward, chunked over the batch."""
        if not self._chunkable(x, w, groups, dy, y):
            return super().conv_backward(dy, y, x, w, activation, need_x, need_w, need_b, strides, dilation,
                                         pad_lo, groups, stash)
        if stash:
            stash.pop("cols", None)
        pool, scratch = self._conv_chunking()
        nd = x.ndim - 2
        ksize, cin, cout = w.shape[:nd], w.shape[-2], w.shape[-1]
        in_spatial, out = x.shape[1:-1], dy.shape[1:-1]
        positions = _size(out)
        n = x.shape[0]
        grads = numpy.ascontiguousarray(dy).reshape(n * positions, cout)
        outputs = None if activation == "linear" else numpy.ascontiguousarray(y).reshape(n * positions, cout)
        taps = _taps(ksize)
        kernel = w.reshape(-1, cout)
        by_tap = numpy.ascontiguousarray(w.reshape(len(taps), cin, cout).transpose(0, 2, 1)) if need_x else None
        dx = numpy.empty(x.shape, dtype=x.dtype) if need_x else None
        padded = tuple(
            max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1)
            for i in range(nd)
        )
        direct = padded == tuple(in_spatial) and not any(pad_lo)

        def run(span):
            s, e = span
            m = e - s
            g = grads[s * positions:e * positions]
            if outputs is not None:
                g = self.dense_activation_backward(g, outputs[s * positions:e * positions], activation,
                                                   out=scratch.take("g", g.shape, g.dtype))
            gw = gb = None
            if need_w:
                cols = self._patches_into(scratch, x[s:e], ksize, strides, dilation, pad_lo, out)
                gw = numpy.matmul(cols.reshape(g.shape[0], -1).T, g)
            if need_b:
                gb = numpy.matmul(numpy.ones(g.shape[0], g.dtype), g)
            if need_x:
                parts = scratch.take("parts", (len(taps), g.shape[0], cin), g.dtype)
                numpy.matmul(g[None], by_tap, out=parts)
                parts = parts.reshape((len(taps), m) + tuple(out) + (cin,))
                target = dx[s:e] if direct else scratch.take("dx", (m,) + padded + (cin,), g.dtype)
                target[...] = 0
                for k, kpos in enumerate(taps):
                    target[_window(kpos, out, strides, dilation)] += parts[k]
                if not direct:
                    crop = (slice(None),) + tuple(slice(lo, lo + d) for lo, d in zip(pad_lo, in_spatial))
                    dx[s:e] = target[crop]
            return gw, gb

        per_image = positions * kernel.shape[0] * x.dtype.itemsize
        results = pool.map(run, self._spans(n, per_image))
        gw = gb = None
        if need_w:
            gw = results[0][0]
            for part, _ in results[1:]:
                gw += part
            gw = gw.reshape(w.shape)
        if need_b:
            gb = results[0][1]
            for _, part in results[1:]:
                gb += part
        return dx, gw, gb

    def max_pool_with_argmax(self, x, pool_size, strides, pad_lo, out):
        """ArrayBackend.max_pool_with_argmax on chunks of the batch, on all workers."""
        spans = self._spans(x.shape[0], x[:1].nbytes)
        generic = super().max_pool_with_argmax
        if len(spans) < 2:
            return generic(x, pool_size, strides, pad_lo, out)
        y, arg = generic(x[:0], pool_size, strides, pad_lo, out)  # the result types, for an empty batch
        y = numpy.empty((x.shape[0],) + y.shape[1:], dtype=y.dtype)
        arg = numpy.empty(y.shape, dtype=arg.dtype)

        def run(span):
            s, e = span
            generic(x[s:e], pool_size, strides, pad_lo, out, into=(y[s:e], arg[s:e]))

        self.chunk_pool.map(run, spans)
        return y, arg

    def max_pool_backprop(self, arg, dy, in_spatial, pool_size, strides, pad_lo):
        """ArrayBackend.max_pool_backprop on chunks of the batch, on all workers."""
        n = dy.shape[0]
        spans = self._spans(n, _size(in_spatial) * dy.shape[-1] * dy.itemsize)
        generic = super().max_pool_backprop
        if len(spans) < 2:
            return generic(arg, dy, in_spatial, pool_size, strides, pad_lo)
        dx = numpy.empty((n,) + tuple(in_spatial) + (dy.shape[-1],), dtype=dy.dtype)

        def run(span):
            s, e = span
            generic(arg[s:e], dy[s:e], in_spatial, pool_size, strides, pad_lo, into=dx[s:e])

        self.chunk_pool.map(run, spans)
        return dx
