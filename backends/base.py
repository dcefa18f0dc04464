"""ArrayBackend: the kernel interface K is written against.

Generic kernels are written once against `self.xp` (NumPy's API, which CuPy
mirrors); subclasses override only where the libraries differ or a faster
kernel pays for itself.
"""
from __future__ import annotations

import math
from typing import Any

from . import philox
from .dense_kernels import DenseKernels
from .optimizer_kernels import OptimizerKernels
from .recurrent_kernels import RecurrentKernels


class ArrayBackend(DenseKernels, OptimizerKernels, RecurrentKernels):
    """One array library seen through the interface K needs.

    Subclasses set `name`, `xp` (the array module) and `array_type`.
    """

    name: str = "base"
    xp: Any = None
    array_type: type = object
    # Philox blocks generated per pass (see philox.philox_words); None: all in one pass.
    philox_chunk: "int | None" = None

    def __reduce__(self):
        """Pickles as the backend's name; unpickling gets this process's instance of that backend.

        A backend holds process-local handles (BLAS function pointers, device streams, memory
        pools) that mean nothing in another process, so a pickled tensor, model or optimizer
        carries only which backend its arrays belong to.

        Example:
            >>> import pickle
            >>> import multinn.backends as backends
            >>> pickle.loads(pickle.dumps(backends.get("numpy"))) is backends.get("numpy")
            True
        """
        return (_backend_named, (self.name,))

    # ----------------------------------------------------------- arrays
    def owns(self, value: Any) -> bool:
        """True when `value` is an array that lives on this backend's device only.

        Host data (NumPy arrays, lists, scalars) is accepted by every backend, so a
        backend whose arrays are host arrays claims nothing here.
        """
        return False

    def is_array(self, value: Any) -> bool:
        return isinstance(value, self.array_type)

    def asarray(self, value: Any, dtype: Any = None):
        """Converts host data or this backend's arrays to an array of this backend."""
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, array: Any):
        """Returns a NumPy array with the same values (a copy off the device)."""
        return array

    def python_scalar(self, value: Any):
        """The Python number behind a NumPy scalar (np.float64(2.0) -> 2.0); None for anything else.

        K keeps Python numbers beside tensors weakly typed (float32 * 2.0 is float32). NumPy 2
        types its own scalars strongly and CuPy 13 weakly, so K turns them into Python numbers
        first and both backends give float32.
        """
        import numpy

        return value.item() if isinstance(value, numpy.generic) else None

    def index_bounds(self, indices: Any) -> tuple:
        """`indices` as an array of this backend, with its smallest and largest entries.

        The bounds are Python ints, or (None, None) when there are no entries or they are not
        integers. Host data (lists, NumPy arrays) is measured on the host before it is copied
        over, so only indices already on a device cost a read: one, of the two bounds together.

        Example:
            >>> import multinn.backends as backends
            >>> _, low, high = backends.get("numpy").index_bounds([[2, 0], [5, 1]])
            >>> low, high
            (0, 5)
        """
        import numpy

        if self.is_array(indices):
            array = indices
            if array.size == 0 or array.dtype.kind not in "iu":
                return array, None, None
            low, high = self.to_numpy(self.xp.stack([array.min(), array.max()])).tolist()
            return array, int(low), int(high)
        host = numpy.asarray(indices)
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype("int64")  # NumPy types an empty list float64
        if host.size == 0 or host.dtype.kind not in "iu":
            return self.asarray(host), None, None
        return self.asarray(host), int(host.min()), int(host.max())

    def dtype(self, name: Any):
        return self.xp.dtype(name)

    def is_floating(self, dtype: Any) -> bool:
        return self.xp.dtype(dtype).kind == "f"

    def synchronize(self) -> None:
        """Waits until queued device work is finished (a no-op on the host)."""

    def free_memory(self) -> None:
        """Returns cached device memory to the device (a no-op on the host)."""

    def use_local_device(self, local_rank: int) -> None:
        """Makes this process work on the device a data-parallel run gives local rank
        `local_rank` (one device per process); nothing to choose on the host.

        Example:
            >>> import multinn.backends as backends
            >>> backends.get("numpy").use_local_device(0)
        """

    def collectives(self, group: Any):
        """The transport that combines this backend's arrays across the ranks of `group` (a
        process group from `backends/process_group.py`): the identity for a group of one, else
        MPI buffers, staged through host memory where the arrays live on a device.

        Example:
            >>> import multinn.backends as backends
            >>> from multinn.backends.process_group import LocalGroup
            >>> backends.get("numpy").collectives(LocalGroup()).name
            'local'
        """
        from .collectives import LocalCollectives
        from .mpi_collectives import MpiCollectives

        if group.size == 1:
            return LocalCollectives(self, group)
        return MpiCollectives(self, group, staged=self.owns(self.xp.empty(0)))

    def prepare_for_training(self) -> None:
        """Called when a model (an optimizer) starts training variables of this backend; a backend
        may tune process settings for training here (the NumPy backend's malloc thresholds).
        Nothing by default; may be called more than once."""

    # ----------------------------------------------------------- random
    def random_uniform(self, shape: tuple, minval: float, maxval: float, dtype: Any, key: int, start: int):
        """Uniform draws in [minval, maxval) from Philox stream `key` at block `start`."""
        xp = self.xp
        count = _size(shape)
        u = philox.uniform01(xp, key, start, count, dtype, self.philox_chunk)
        dtype = xp.dtype(dtype)
        lo = dtype.type(minval)
        span = dtype.type(maxval) - lo
        return (u * span + lo).astype(dtype).reshape(shape)

    def random_keep_mask(self, shape: tuple, level: float, key: int, start: int):
        """Dropout's keep decisions: exactly `random_uniform(shape, 0, 1, float32, ...) >= level`
        (the same stream blocks), compared on the raw Philox words, with no float arrays made.

        A float32 uniform is (word >> 8) * 2**-24, so u >= level holds exactly when
        word >= ceil(level * 2**24) << 8, with level rounded to float32 first.
        """
        xp = self.xp
        threshold = self.keep_threshold(level)
        if threshold is None:
            return xp.zeros(shape, dtype=bool)
        words = philox.random_words(xp, key, start, _size(shape), self.philox_chunk).reshape(shape)
        return words >= xp.uint32(threshold)

    def dropout_mask(self, shape: tuple, level: float, key: int, start: int, dtype: Any):
        """Inverted dropout's multiplier: 1 / (1 - level) where random_keep_mask keeps, else 0, in `dtype`."""
        xp = self.xp
        dtype = xp.dtype(dtype)
        return xp.where(self.random_keep_mask(shape, level, key, start), dtype.type(1.0 / (1.0 - level)),
                        dtype.type(0))

    def keep_threshold(self, level: float) -> "int | None":
        """The smallest Philox word whose float32 uniform is >= level; None when none is (see random_keep_mask)."""
        steps = math.ceil(float(self.xp.float32(level)) * (1 << 24))
        if steps >= 1 << 24:  # level rounds up to 1.0 in float32: no uniform reaches it
            return None
        return max(steps, 0) << 8

    def random_normal(self, shape: tuple, mean: float, stddev: float, dtype: Any, key: int, start: int):
        xp = self.xp
        z = philox.standard_normal(xp, key, start, _size(shape), self.philox_chunk)
        return (z * stddev + mean).astype(dtype).reshape(shape)

    def random_permutation(self, n: int, key: int, start: int):
        """A permutation of range(n) (int64): a stable argsort of 64-bit Philox keys.

        The keys are the same bits on every backend and a stable sort breaks ties by index,
        so every backend gives the same permutation. Consumes blocks_for(2 * n) blocks.
        """
        xp = self.xp
        words = philox.random_words(xp, key, start, 2 * n, self.philox_chunk).astype(xp.uint64).reshape(n, 2)
        keys = (words[:, 0] << xp.uint64(32)) | words[:, 1]
        return xp.argsort(keys, kind="stable").astype(xp.int64)

    def random_truncated_normal(self, shape: tuple, mean: float, stddev: float, dtype: Any, key: int, start: int):
        """Normal draws, redrawing those more than two standard deviations from the mean.

        Rounds use consecutive counter ranges, so every backend accepts and rejects the
        same candidates. Returns the array and the number of blocks consumed.
        """
        xp = self.xp
        count = _size(shape)
        kept = []
        have = 0
        used = 0
        while have < count:
            want = max(2 * (count - have), 16)
            z = philox.standard_normal(xp, key, start + used, want, self.philox_chunk)
            used += philox.blocks_for(4 * want)
            z = z[xp.abs(z) <= 2.0]
            kept.append(z)
            have += int(z.shape[0])
        z = xp.concatenate(kept)[:count]
        return (z * stddev + mean).astype(dtype).reshape(shape), used

    # ----------------------------------------------------------- serialization
    def to_bytes(self, array) -> bytes:
        """The values as little-endian bytes in C order (a portable file format)."""
        import numpy

        host = numpy.ascontiguousarray(self.to_numpy(array))
        return host.astype(host.dtype.newbyteorder("<"), copy=False).tobytes()

    def from_bytes(self, data: bytes, dtype: str, shape: tuple):
        """An array of this backend from `to_bytes` output, its dtype name and shape."""
        import numpy

        little = numpy.dtype(dtype).newbyteorder("<")
        host = numpy.frombuffer(data, dtype=little).reshape(tuple(shape)).astype(numpy.dtype(dtype))
        return self.asarray(host)

    # ----------------------------------------------------------- kernels
    def matmul(self, a, b):
        return self.xp.matmul(a, b)

    def add_at(self, out, index, values) -> None:
        """out[index] += values, with repeated indices accumulating (an embedding's gradient)."""
        self.xp.add.at(out, index, values)

    def erf(self, x):
        """The error function, elementwise, in x's dtype (NumPy has none of its own).

        Computed in float64 to about 1e-15: the Maclaurin series below |x| = 2, the
        Laplace continued fraction of erfc above (both converge fast there).
        """
        xp = self.xp
        z = x.astype("float64")
        a = xp.abs(z)
        s = xp.minimum(a, 2.0)
        s2 = s * s
        term = s
        total = s
        for n in range(1, 30):
            term = term * (-s2) / n
            total = total + term / (2 * n + 1)
        series = total * 1.1283791670955126  # 2 / sqrt(pi)
        b = xp.maximum(a, 2.0)
        fraction = b
        for k in range(40, 0, -1):
            fraction = b + (0.5 * k) / fraction
        tail = 1.0 - xp.exp(-b * b) / (1.7724538509055159 * fraction)  # sqrt(pi)
        return (xp.sign(z) * xp.where(a < 2.0, series, tail)).astype(x.dtype, copy=False)

    # ----------------------------------------------------------- convolution and pooling (ops/conv.py)
    # Layout: channels_last, x (N, *spatial, C), kernels (*k, C_in/groups, C_out).
    # `pad_lo` is the padding before each spatial dim; the padding after is whatever
    # the given output size needs, so 'same', 'valid', 'causal' and transposed-conv
    # output sizes are all decided in K and reach the kernels the same way.
    def conv_pad(self, x, pad_lo, out, ksize, strides, dilation, value=0):
        """x padded so that `out` windows fit along each spatial dim (x itself when none is needed)."""
        nd = len(out)
        pads = []
        for i in range(nd):
            need = (out[i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1
            pads.append((pad_lo[i], max(0, need - pad_lo[i] - x.shape[1 + i])))
        if not any(lo or hi for lo, hi in pads):
            return x
        shape = (x.shape[0],) + tuple(x.shape[1 + i] + lo + hi for i, (lo, hi) in enumerate(pads)) + (x.shape[-1],)
        padded = self.xp.full(shape, value, dtype=x.dtype)
        inner = (slice(None),) + tuple(slice(lo, lo + x.shape[1 + i]) for i, (lo, _) in enumerate(pads))
        inner += (slice(None),)
        padded[inner] = x
        return padded

    def conv_window_slices(self, kpos, out, strides, dilation):
        """Index of the input elements that kernel tap `kpos` sees, one per output position."""
        return (slice(None),) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s) for k, o, s, d in zip(kpos, out, strides, dilation)
        ) + (slice(None),)

    def im2col(self, x, ksize, strides, dilation, pad_lo, out):
        """Patches (N, *out, *ksize, C) as a contiguous array: one row per output position."""
        xp = self.xp
        x = self.conv_pad(x, pad_lo, out, ksize, strides, dilation)
        nd = len(out)
        n, c = x.shape[0], x.shape[-1]
        if c >= 16:
            # Wide rows: one strided copy is fastest.
            st = x.strides
            view = xp.lib.stride_tricks.as_strided(
                x,
                (n,) + tuple(out) + tuple(ksize) + (c,),
                (st[0],) + tuple(st[1 + i] * strides[i] for i in range(nd))
                + tuple(st[1 + i] * dilation[i] for i in range(nd)) + (st[-1],),
            )
            return xp.ascontiguousarray(view)
        # Narrow rows (e.g. a first layer on images): one slab copy per kernel tap.
        cols = xp.empty((n,) + tuple(out) + tuple(ksize) + (c,), dtype=x.dtype)
        lead = (slice(None),) * (1 + nd)
        for kpos in _ndindex(ksize):
            cols[lead + kpos] = x[self.conv_window_slices(kpos, out, strides, dilation)]
        return cols

    def col2im(self, cols, in_spatial, strides, dilation, pad_lo):
        """The adjoint of im2col: adds every patch back where it came from."""
        xp = self.xp
        nd = len(in_spatial)
        n, c = cols.shape[0], cols.shape[-1]
        out = cols.shape[1:1 + nd]
        ksize = cols.shape[1 + nd:1 + 2 * nd]
        padded = tuple(
            max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1)
            for i in range(nd)
        )
        buf = xp.zeros((n,) + padded + (c,), dtype=cols.dtype)
        lead = (slice(None),) * (1 + nd)
        for kpos in _ndindex(ksize):
            buf[self.conv_window_slices(kpos, out, strides, dilation)] += cols[lead + kpos]
        if padded == tuple(in_spatial) and not any(pad_lo):
            return buf
        inner = (slice(None),) + tuple(slice(lo, lo + s) for lo, s in zip(pad_lo, in_spatial)) + (slice(None),)
        return xp.ascontiguousarray(buf[inner])

    def conv_forward(self, x, w, strides, dilation, pad_lo, out, groups=1, stash=None, bias=None,
                     activation="linear"):
        """N-D convolution (cross-correlation, as in Keras): im2col then one GEMM (one per group).

        With a `stash` dict, the patches are kept in it for conv_backprop_filter; a
        `bias` (one value per output channel) is added in place to the GEMM's output, then
        the `activation` ("linear", "relu" or "tanh", as dense_forward's) is applied in place.
        Depthwise kernels (one input channel per group) take an elementwise path instead.
        """
        y = self._conv_linear(x, w, strides, dilation, pad_lo, out, groups, stash)
        self.bias_activation_in_place(y, bias, activation)
        return y

    def conv_backward(self, dy, y, x, w, activation, need_x, need_w, need_b, strides, dilation, pad_lo,
                      groups=1, stash=None):
        """Gradients (x, kernel, bias) of conv_forward from its output's gradient `dy` and its
        output `y` (which the activation's derivative is read from); None where not asked for."""
        nd = x.ndim - 2
        g = self.dense_activation_backward(dy, y, activation)
        gx = self.conv_backprop_input(g, w, x.shape[1:-1], strides, dilation, pad_lo, groups) if need_x else None
        gw = self.conv_backprop_filter(x, g, w.shape[:nd], strides, dilation, pad_lo, groups, stash) if need_w else None
        gb = self.channel_sum(g) if need_b else None
        return gx, gw, gb

    def _conv_linear(self, x, w, strides, dilation, pad_lo, out, groups, stash):
        xp = self.xp
        nd = len(out)
        ksize = w.shape[:nd]
        if groups > 1 and w.shape[-2] == 1:
            return self.depthwise_forward(x, w, strides, dilation, pad_lo, out)
        cols = self.im2col(x, ksize, strides, dilation, pad_lo, out)
        if stash is not None:
            stash["cols"] = cols
        rows = cols.shape[0] * _size(out)
        cout = w.shape[-1]
        if groups == 1:
            y = self.matmul(cols.reshape(rows, -1), w.reshape(-1, cout))
        else:
            y = self.matmul(_group_cols(xp, cols, rows, groups), _group_kernel(xp, w, nd, groups))
            y = y.transpose(1, 0, 2).reshape(rows, cout)
        return y.reshape((x.shape[0],) + tuple(out) + (cout,))

    def channel_sum(self, dy):
        """Sum over every axis but the last (a bias gradient), as one matrix-vector product."""
        rows = dy.reshape(-1, dy.shape[-1])
        return self.matmul(self.xp.ones(rows.shape[0], dtype=dy.dtype), rows)

    def conv_backprop_input(self, dy, w, in_spatial, strides, dilation, pad_lo, groups=1):
        """Gradient of conv_forward with respect to x: a transposed convolution.

        Without groups: one GEMM per kernel tap, each added straight into its window
        positions (no patch matrix); with groups: one batched GEMM, then col2im.
        """
        xp = self.xp
        nd = len(in_spatial)
        ksize = w.shape[:nd]
        out = dy.shape[1:1 + nd]
        rows = dy.shape[0] * _size(out)
        cout = w.shape[-1]
        if groups == 1:
            cin = w.shape[-2]
            padded = tuple(
                max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1)
                for i in range(nd)
            )
            buf = xp.zeros((dy.shape[0],) + padded + (cin,), dtype=dy.dtype)
            dy2 = dy.reshape(rows, cout)
            # (taps, cout, cin), contiguous: NumPy's matmul with `out` is slow on transposed operands.
            taps = xp.ascontiguousarray(w.reshape(-1, cin, cout).transpose(0, 2, 1))
            part = xp.empty((rows, cin), dtype=dy.dtype)
            shape = (dy.shape[0],) + tuple(out) + (cin,)
            for k, kpos in enumerate(_ndindex(ksize)):
                xp.matmul(dy2, taps[k], out=part)
                buf[self.conv_window_slices(kpos, out, strides, dilation)] += part.reshape(shape)
            return self._crop(buf, pad_lo, in_spatial)
        if w.shape[-2] == 1:
            return self.depthwise_backprop_input(dy, w, in_spatial, strides, dilation, pad_lo, groups)
        og = cout // groups
        cg = w.shape[-2]
        dyg = dy.reshape(rows, groups, og).transpose(1, 0, 2)
        cols = self.matmul(dyg, _group_kernel(xp, w, nd, groups).transpose(0, 2, 1))  # (G, rows, K*Cg)
        cols = cols.reshape(groups, rows, -1, cg).transpose(1, 2, 0, 3)
        cols = cols.reshape((dy.shape[0],) + tuple(out) + tuple(ksize) + (groups * cg,))
        return self.col2im(cols, in_spatial, strides, dilation, pad_lo)

    def conv_backprop_filter(self, x, dy, ksize, strides, dilation, pad_lo, groups=1, stash=None):
        """Gradient of conv_forward with respect to the kernel: im2col (or the forward's, stashed) then one GEMM."""
        xp = self.xp
        nd = len(ksize)
        out = dy.shape[1:1 + nd]
        if groups > 1 and x.shape[-1] == groups:
            return self.depthwise_backprop_filter(x, dy, ksize, strides, dilation, pad_lo)
        cols = stash.pop("cols", None) if stash else None
        if cols is None:
            cols = self.im2col(x, ksize, strides, dilation, pad_lo, out)
        rows = dy.shape[0] * _size(out)
        cout = dy.shape[-1]
        cin = x.shape[-1]
        if groups == 1:
            dw = self.matmul(cols.reshape(rows, -1).T, dy.reshape(rows, cout))
            return dw.reshape(tuple(ksize) + (cin, cout))
        og = cout // groups
        cg = cin // groups
        dyg = dy.reshape(rows, groups, og).transpose(1, 0, 2)
        dw = self.matmul(_group_cols(xp, cols, rows, groups).transpose(0, 2, 1), dyg)  # (G, K*Cg, Og)
        dw = dw.reshape(groups, -1, cg, og).transpose(1, 2, 0, 3)
        return xp.ascontiguousarray(dw).reshape(tuple(ksize) + (cg, cout))

    # Depthwise convolutions (C groups of one input channel, M = C_out / C filters each):
    # a GEMM per group would be tiny, so these run elementwise, one pass per kernel tap.
    def depthwise_forward(self, x, w, strides, dilation, pad_lo, out):
        """Depthwise convolution; kernel (*k, 1, C * M), output channel c * M + m."""
        xp = self.xp
        nd = len(out)
        ksize = w.shape[:nd]
        c = x.shape[-1]
        taps = w.reshape(-1, c, w.shape[-1] // c)
        xpad = self.conv_pad(x, pad_lo, out, ksize, strides, dilation)
        y = None
        for k, kpos in enumerate(_ndindex(ksize)):
            piece = xpad[self.conv_window_slices(kpos, out, strides, dilation)][..., None] * taps[k]
            if y is None:
                y = piece
            else:
                y += piece
        return y.reshape(y.shape[:-2] + (-1,))

    def depthwise_backprop_input(self, dy, w, in_spatial, strides, dilation, pad_lo, groups):
        xp = self.xp
        nd = len(in_spatial)
        ksize = w.shape[:nd]
        out = dy.shape[1:1 + nd]
        c = groups
        m = w.shape[-1] // c
        taps = w.reshape(-1, c, m)
        dy4 = dy.reshape(dy.shape[:-1] + (c, m))
        padded = tuple(
            max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1)
            for i in range(nd)
        )
        buf = xp.zeros((dy.shape[0],) + padded + (c,), dtype=dy.dtype)
        for k, kpos in enumerate(_ndindex(ksize)):
            part = dy4[..., 0] * taps[k, :, 0] if m == 1 else (dy4 * taps[k]).sum(axis=-1)
            buf[self.conv_window_slices(kpos, out, strides, dilation)] += part
        return self._crop(buf, pad_lo, in_spatial)

    def depthwise_backprop_filter(self, x, dy, ksize, strides, dilation, pad_lo):
        xp = self.xp
        nd = len(ksize)
        out = dy.shape[1:1 + nd]
        c = x.shape[-1]
        m = dy.shape[-1] // c
        rows = dy.shape[0] * _size(out)
        dy3 = dy.reshape(rows, c, m)
        xpad = self.conv_pad(x, pad_lo, out, ksize, strides, dilation)
        ones = xp.ones(rows, dtype=dy.dtype)
        dw = xp.empty((_size(ksize), c * m), dtype=dy.dtype)
        for k, kpos in enumerate(_ndindex(ksize)):
            piece = xpad[self.conv_window_slices(kpos, out, strides, dilation)].reshape(rows, c, 1)
            # the sum over rows as one matrix-vector product
            dw[k] = self.matmul(ones, (piece * dy3).reshape(rows, c * m))
        return dw.reshape(tuple(ksize) + (1, c * m))

    def pool_forward(self, x, mode, pool_size, strides, pad_lo, out):
        """Max or average pooling; padded cells are ignored (averages count real cells only)."""
        xp = self.xp
        if mode == "max":
            fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
            xpad = self.conv_pad(x, pad_lo, out, pool_size, strides, (1,) * len(out), fill)
        else:
            xpad = self.conv_pad(x, pad_lo, out, pool_size, strides, (1,) * len(out))
        ones = (1,) * len(out)
        y = None
        for kpos in _ndindex(pool_size):
            piece = xpad[self.conv_window_slices(kpos, out, strides, ones)]
            if y is None:
                y = piece.copy()
            elif mode == "max":
                xp.maximum(y, piece, out=y)
            else:
                y += piece
        if mode != "max":
            y *= self.pool_inverse_counts(x.shape[1:-1], pool_size, strides, pad_lo, out, x.dtype)
        return y

    def pool_inverse_counts(self, in_spatial, pool_size, strides, pad_lo, out, dtype):
        """1 / (number of real, unpadded cells in each window), shaped (1, *out, 1)."""
        xp = self.xp
        ones = xp.ones((1,) + tuple(in_spatial) + (1,), dtype=dtype)
        unit = (1,) * len(out)
        padded = self.conv_pad(ones, pad_lo, out, pool_size, strides, unit)
        counts = xp.zeros((1,) + tuple(out) + (1,), dtype=dtype)
        for kpos in _ndindex(pool_size):
            counts += padded[self.conv_window_slices(kpos, out, strides, unit)]
        return 1 / counts

    def max_pool_with_argmax(self, x, pool_size, strides, pad_lo, out, into=None):
        """Max pooling that also returns, per output, which window tap held the (first) maximum.

        `into`: optional (y, arg) arrays to write the two results into.
        """
        xp = self.xp
        nd = len(out)
        unit = (1,) * nd
        fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = self.conv_pad(x, pad_lo, out, pool_size, strides, unit, fill)
        taps = list(_ndindex(pool_size))
        first = xpad[self.conv_window_slices(taps[0], out, strides, unit)]
        if into is None:
            y = first.copy()
            arg = xp.zeros(y.shape, dtype=xp.uint8 if len(taps) < 256 else xp.int32)
        else:
            y, arg = into
            y[...] = first
            arg[...] = 0
        step = xp.empty_like(arg)
        for k, kpos in enumerate(taps[1:], 1):
            piece = xpad[self.conv_window_slices(kpos, out, strides, unit)]
            better = piece > y  # strict: ties keep the earlier tap, as TensorFlow does
            # arg += better * (k - arg): plain arithmetic is far faster than a masked store.
            xp.subtract(arg.dtype.type(k), arg, out=step)
            xp.multiply(step, better, out=step)
            xp.add(arg, step, out=arg)
            xp.maximum(y, piece, out=y)
        return y, arg

    def max_pool_backprop(self, arg, dy, in_spatial, pool_size, strides, pad_lo, into=None):
        """Routes each output's gradient to the window cell that held its maximum (written into
        the array `into` of the input's shape when given)."""
        xp = self.xp
        nd = len(pool_size)
        out = dy.shape[1:1 + nd]
        unit = (1,) * nd
        padded = tuple(
            max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + pool_size[i]) for i in range(nd)
        )
        disjoint = all(s >= p for s, p in zip(strides, pool_size))
        shape = (dy.shape[0],) + padded + (dy.shape[-1],)
        if into is None or padded != tuple(in_spatial) or any(pad_lo):
            buf = xp.zeros(shape, dtype=dy.dtype)
        else:
            buf = into
            # windows that tile the input exactly write every cell below; otherwise clear first
            if not (disjoint and all(o * s == n and s == p for o, s, n, p in zip(out, strides, in_spatial, pool_size))):
                buf[...] = 0
        for k, kpos in enumerate(_ndindex(pool_size)):
            index = self.conv_window_slices(kpos, out, strides, unit)
            if disjoint:
                # Each cell is in at most one window: write straight into place.
                xp.multiply(dy, arg == k, out=buf[index])
            else:
                buf[index] += dy * (arg == k)
        if into is not None and buf is not into:
            into[...] = buf[(slice(None),) + tuple(slice(lo, lo + d) for lo, d in zip(pad_lo, in_spatial))]
            return into
        return self._crop(buf, pad_lo, in_spatial)

    def max_pool_gather(self, arg, g, pool_size, strides, pad_lo):
        """The adjoint of max_pool_backprop: each window's value of g at its maximal cell."""
        xp = self.xp
        nd = len(pool_size)
        out = arg.shape[1:1 + nd]
        unit = (1,) * nd
        g = self.conv_pad(g, pad_lo, out, pool_size, strides, unit)
        result = xp.zeros(arg.shape, dtype=g.dtype)
        for k, kpos in enumerate(_ndindex(pool_size)):
            result += g[self.conv_window_slices(kpos, out, strides, unit)] * (arg == k)
        return result

    def avg_pool_backprop(self, dy, in_spatial, pool_size, strides, pad_lo):
        """Gradient of average pooling: each output's share spread over its window's real cells."""
        xp = self.xp
        nd = len(pool_size)
        out = dy.shape[1:1 + nd]
        unit = (1,) * nd
        share = dy * self.pool_inverse_counts(in_spatial, pool_size, strides, pad_lo, out, dy.dtype)
        padded = tuple(
            max(pad_lo[i] + in_spatial[i], (out[i] - 1) * strides[i] + pool_size[i]) for i in range(nd)
        )
        buf = xp.zeros((dy.shape[0],) + padded + (dy.shape[-1],), dtype=dy.dtype)
        for kpos in _ndindex(pool_size):
            buf[self.conv_window_slices(kpos, out, strides, unit)] += share
        return self._crop(buf, pad_lo, in_spatial)

    def _crop(self, buf, pad_lo, in_spatial):
        if tuple(buf.shape[1:-1]) == tuple(in_spatial) and not any(pad_lo):
            return buf
        inner = (slice(None),) + tuple(slice(lo, lo + s) for lo, s in zip(pad_lo, in_spatial)) + (slice(None),)
        return self.xp.ascontiguousarray(buf[inner])
    # ----------------------------------------------------------- end of convolution and pooling


def _ndindex(shape):
    """Every index tuple of `shape` in row-major order (itertools, so no array library)."""
    import itertools

    return itertools.product(*(range(int(d)) for d in shape))


def _group_cols(xp, cols, rows, groups):
    """Patches (N, *out, *k, C) as (groups, rows, K * C/groups) for one GEMM per group."""
    taps = 1
    nd = (cols.ndim - 2) // 2
    for d in cols.shape[1 + nd:1 + 2 * nd]:
        taps *= d
    cg = cols.shape[-1] // groups
    return xp.ascontiguousarray(cols.reshape(rows, taps, groups, cg).transpose(2, 0, 1, 3)).reshape(groups, rows, -1)


def _group_kernel(xp, w, nd, groups):
    """Kernel (*k, C/groups, C_out) as (groups, K * C/groups, C_out/groups)."""
    cg, cout = w.shape[-2], w.shape[-1]
    w = w.reshape(-1, cg, groups, cout // groups).transpose(2, 0, 1, 3)
    return xp.ascontiguousarray(w).reshape(groups, -1, cout // groups)


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _backend_named(name: str) -> "ArrayBackend":
    """The registered backend `name` (what a pickled backend unpickles to)."""
    from . import get

    return get(name)
