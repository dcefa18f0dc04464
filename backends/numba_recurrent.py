"""Compiled LSTM and GRU steps for the NumPy backend, through numba where it is installed.

The NumPy kernels (recurrent_kernels.py) spend a time step in about fifteen array passes,
each a ufunc call over a (batch, units) block: at a text classifier's sizes the calls cost
more than their arithmetic. Here a few compiled loops per step (numba_steps.py) read the
recurrent product and the projected inputs once and write the gates, states and output,
forward and backward. An LSTM's whole time loop is one compiled call, its products going to
OpenBLAS's sgemm (numba_gemm.py); the GRU's products stay `numpy.matmul` calls between them.
`kernels()` also serves the backend's other compiled kernels (numba_steps.py).

NumPy's tanh cannot be called from a compiled loop and libm's is not vectorised, so tanh
is a rational function (numba_steps.tanh; `tanh_approx_reference` below): within 3.5e-7 of
the exact value in float32, about 4 units in the last place near +-1, against 1.4 for
`numpy.tanh`. The
sigmoid gates use sigmoid(v) = 0.5 * tanh(v / 2) + 0.5, as the NumPy kernel does. Only
float32 with Keras's default sigmoid takes this path; float64 (the gradient checks) and
hard_sigmoid keep the NumPy kernels, whose results these match to float32 rounding.

`MULTINN_NUMBA=0` turns the compiled path off; without numba it is off.
"""
from __future__ import annotations

import os

import numpy

# tanh(x) ~= x * P(x^2) / Q(x^2) on [-8, 8] (clamped outside, where tanh rounds to +-1 within
# 2.3e-7): coefficients from a least-squares fit in float64 with Lawson reweighting toward the
# worst error. All are positive, so Q >= 1 and Horner's scheme stays accurate in float32.
_LIMIT = 8.0
_P = (1.0, 0.1343822330236435, 0.003564191982150078, 2.177376882173121e-05, 1.506239222237582e-08)
_Q = (1.0, 0.46771544218063354, 0.026136156171560287, 0.0003399235138203949, 8.453931172880402e-07)


def tanh_approx_reference(x):
    """The same rational tanh in NumPy (float32), for tests and for platforms without numba."""
    f = numpy.float32
    x = numpy.clip(numpy.asarray(x, dtype=f), f(-_LIMIT), f(_LIMIT))
    s = x * x
    p = f(_P[4])
    q = f(_Q[4])
    for k in (3, 2, 1, 0):
        p = p * s + f(_P[k])
        q = q * s + f(_Q[k])
    return x * p / q


def _load_steps():
    from . import numba_steps

    return numba_steps


def _compile():
    """The jitted kernels, compiled (or loaded from numba's cache) by one small call each;
    None where numba is missing, or with a warning where it cannot compile them (a broken
    numba or LLVM, or no writable folder for numba's cache, must not stop training)."""
    global _gemm
    try:
        steps = _load_steps()
        from .numba_gemm import sgemm_address

        _gemm = sgemm_address()
        steps.warm_up(_gemm)
    except ImportError:  # numba absent: the NumPy kernels serve
        return None
    except Exception as error:
        import warnings

        warnings.warn(f"multinn: numba could not compile the NumPy backend's kernels ({type(error).__name__}: "
                      f"{error}); the LSTM and GRU layers, Adam, Adadelta and embedding gradients use the NumPy "
                      "kernels instead.", RuntimeWarning, stacklevel=3)
        return None
    return steps


_kernels = None
_loaded = False
# The dtypes numba_steps.warm_up compiles the dtype-generic kernels (add_rows, the optimizer passes) for.
COMPILED_DTYPES = (numpy.dtype("float32"), numpy.dtype("float64"))
_gemm = None  # the address of cblas_sgemm for the LSTM's compiled loops, where there is one


def kernels():
    """The numba_steps module, its kernels (the LSTM's loops and steps, the GRU's steps, an
    embedding gradient's row adds, the optimizer passes) compiled on first use; None when off."""
    global _kernels, _loaded
    if not _loaded:
        _kernels = None if os.environ.get("MULTINN_NUMBA", "1") == "0" else _compile()
        _loaded = True
    return _kernels


def _float32(*arrays) -> bool:
    return all(a is None or a.dtype == numpy.float32 for a in arrays)


def _keep(mask, go_backwards: bool):
    """(time, batch) bool of the kept rows in the order the steps run, and whether anything
    is masked."""
    if mask is None:
        return numpy.ones((1, 1), dtype=bool), False
    return numpy.ascontiguousarray((mask[:, ::-1] if go_backwards else mask).T, dtype=bool), True


def _dropout(recurrent_mask):
    """The recurrent dropout mask as the compiled loops take it: C-contiguous, or (0, 0) for none."""
    if recurrent_mask is None:
        return numpy.zeros((0, 0), dtype=numpy.float32)
    return numpy.ascontiguousarray(recurrent_mask, dtype=numpy.float32)


def _rows(keep, masked: bool, lo: int, hi: int):
    return numpy.ascontiguousarray(keep[:, lo:hi]) if masked else keep


def _h_as_read(y, h0, recurrent_mask, u: int, reverse: bool = False):
    """(batch, time, u): the h each step read, from a batch-major packed buffer `y` (its h
    block at the step before; h0 at the first), times the recurrent dropout mask; with
    `reverse`, in the inputs' time order (the last step first, as go_backwards ran them)."""
    h = numpy.empty(y.shape[:2] + (u,), dtype=y.dtype)
    if reverse:
        h[:, -1] = h0
        h[:, :-1] = y[:, -2::-1, u:2 * u]
    else:
        h[:, 0] = h0
        h[:, 1:] = y[:, :-1, u:2 * u]
    if recurrent_mask is not None:
        h *= recurrent_mask[:, None, :]
    return h


def _forward_steps(steps, kernel, xw, bias, scale, h, c, out, buf, keep, masked, gates, go_backwards, dropped, hd,
                   z) -> None:
    """numba_steps.lstm_forward_loop with its loop in Python and its products through NumPy:
    for NumPy builds without a 64-bit cblas_sgemm to hand to the compiled loop."""
    time = xw.shape[1]
    for t in range(time):
        read = numpy.multiply(h, dropped, out=hd) if dropped.shape[0] else h
        numpy.matmul(read, kernel, out=z)
        steps.lstm_forward_step(t, time - 1 - t if go_backwards else t, z, xw, bias, scale, h, c, out, buf, keep,
                                masked, gates)


def _backward_steps(steps, kernel_t, dy, y, c0, dz, dh, dc, carry, held, slope, keep, masked, dropped,
                    go_backwards) -> None:
    """numba_steps.lstm_backward_loop with its loop in Python and its products through NumPy."""
    time = y.shape[1]
    for t in range(time - 1, -1, -1):
        d = time - 1 - t if go_backwards else t
        steps.lstm_backward_step(t, d, dy, y, c0, dz, dh, dc, carry, held, slope, keep, masked)
        numpy.matmul(dz[:, d], kernel_t, out=dh)
        if dropped.shape[0]:
            dh *= dropped
        if masked:
            dh += held


# Fewer rows than this per thread and a step's products and loops are too small to share.
_MIN_ROWS_PER_THREAD = 16


def _ranges(batch: int, workers: int) -> list:
    """(lo, hi) row ranges, one per worker thread where the batch is large enough."""
    from .numpy_threads import split_evenly

    return split_evenly(batch, max(1, min(workers, batch // _MIN_ROWS_PER_THREAD)))


class CompiledRecurrent:
    """Mixin of NumpyBackend: the LSTM's and GRU's forward and backward through the compiled
    steps where they apply (float32, sigmoid gates, numba present), else the NumPy kernels.

    The packed buffers here are batch-major (batch, time, width), C-contiguous, so a range
    of batch rows is a contiguous block and the gate gradients come out in the inputs'
    layout: the rows of a batch are independent, and each range runs its own time loop."""

    def _run_rows(self, rows, batch: int) -> None:
        """rows(lo, hi) for ranges covering the batch, on the backend's worker threads (the
        compiled steps and BLAS release the GIL; each thread's Python loop is a few µs a step)."""
        pool = getattr(self, "chunk_pool", None)
        ranges = _ranges(batch, pool.workers if pool is not None else 1)
        if len(ranges) == 1:
            rows(0, batch)
        else:
            pool.map(lambda r: rows(*r), ranges)

    def _compiled_steps(self, recurrent_activation: str, *arrays):
        """The compiled kernels where they serve these arguments, else None."""
        steps = kernels()
        if steps is None or recurrent_activation != "sigmoid" or not _float32(*arrays):
            return None
        return steps

    def lstm_forward(self, xw, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards: bool,
                     recurrent_activation: str = "sigmoid", gates: bool = True, input_bias=None):
        steps = self._compiled_steps(recurrent_activation, xw, recurrent_kernel, h0, c0, recurrent_mask, input_bias)
        if steps is None:
            return super().lstm_forward(xw, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards,
                                        recurrent_activation, gates, input_bias)
        batch, time = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        xw = numpy.ascontiguousarray(xw)
        keep, masked = _keep(mask, go_backwards)
        # The sigmoid gates' columns scaled by a half (exact): sigmoid(v) = 0.5 * tanh(v / 2) + 0.5.
        scale = numpy.full((4 * u,), 0.5, dtype=numpy.float32)
        scale[2 * u:3 * u] = 1.0
        kernel = recurrent_kernel * scale
        bias = numpy.zeros(4 * u, numpy.float32) if input_bias is None else numpy.ascontiguousarray(input_bias)
        # Without gates (predict) only the output, h and c blocks are written: a narrower
        # buffer, which the op's slices (all within those blocks) read the same way.
        buf = numpy.empty((batch, time, (7 if gates else 3) * u), dtype=numpy.float32)
        dropout = _dropout(recurrent_mask)

        def rows(lo: int, hi: int) -> None:
            h, c = numpy.array(h0[lo:hi], dtype=numpy.float32), numpy.array(c0[lo:hi], dtype=numpy.float32)
            scratch = numpy.empty((hi - lo, u), dtype=numpy.float32), numpy.empty((hi - lo, 4 * u), numpy.float32)
            args = (kernel, xw[lo:hi], bias, scale, h, c, numpy.zeros_like(h), buf[lo:hi], _rows(keep, masked, lo, hi),
                    masked, gates, go_backwards, dropout[lo:hi], *scratch)
            with self.serial_blas():
                if _gemm is not None:
                    steps.lstm_forward_loop(_gemm, *args)
                else:
                    _forward_steps(steps, *args)

        self._run_rows(rows, batch)
        return buf

    def lstm_backward(self, dy, y, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards: bool,
                      needs: tuple, recurrent_activation: str = "sigmoid"):
        steps = self._compiled_steps(recurrent_activation, dy, y, recurrent_kernel, h0, c0, recurrent_mask)
        if steps is None:
            return super().lstm_backward(dy, y, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards,
                                         needs, recurrent_activation)
        batch, time = y.shape[:2]
        u = recurrent_kernel.shape[0]
        keep, masked = _keep(mask, go_backwards)
        y, dy = numpy.ascontiguousarray(y), numpy.ascontiguousarray(dy)
        kernel_t = numpy.ascontiguousarray(recurrent_kernel.T)
        dz = numpy.empty((batch, time, 4 * u), dtype=numpy.float32)
        dh, dc = numpy.zeros((batch, u), dtype=numpy.float32), numpy.zeros((batch, u), dtype=numpy.float32)
        dropout = _dropout(recurrent_mask)

        def rows(lo: int, hi: int) -> None:
            carry, held, slope = (numpy.zeros((hi - lo, u), dtype=numpy.float32) for _ in range(3))
            args = (kernel_t, dy[lo:hi], y[lo:hi], numpy.ascontiguousarray(c0[lo:hi]), dz[lo:hi], dh[lo:hi],
                    dc[lo:hi], carry, held, slope, _rows(keep, masked, lo, hi), masked, dropout[lo:hi], go_backwards)
            with self.serial_blas():
                if _gemm is not None:
                    steps.lstm_backward_loop(_gemm, *args)
                else:
                    _backward_steps(steps, *args)

        self._run_rows(rows, batch)
        need_xw, need_rk, need_h0, need_c0 = needs
        grk = None
        if need_rk:  # one product over every step: sum over (batch, time) of h_prev^T dz
            h_prev = _h_as_read(y, h0, recurrent_mask, u, reverse=go_backwards)  # in dz's time order
            grk = self.matmul(h_prev.reshape(batch * time, u).T, dz.reshape(batch * time, 4 * u))
        gxw = dz if need_xw else None  # already in the inputs' time order
        return gxw, grk, (dh if need_h0 else None), (dc if need_c0 else None)

    def gru_forward(self, xw, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask, go_backwards: bool,
                    reset_after: bool = False, recurrent_activation: str = "sigmoid", gates: bool = True):
        steps = self._compiled_steps(recurrent_activation, xw, recurrent_kernel, recurrent_bias, h0, recurrent_mask)
        if steps is None:
            return super().gru_forward(xw, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask,
                                       go_backwards, reset_after, recurrent_activation, gates)
        gates_step, update_step, after_gates_step = steps.gru_gates_step, steps.gru_update_step, \
            steps.gru_after_gates_step
        batch, time = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        f32 = numpy.float32
        xw = numpy.ascontiguousarray(xw)
        keep, masked = _keep(mask, go_backwards)
        buf = numpy.empty((batch, time, (6 if reset_after else 5) * u), dtype=f32)
        bias = numpy.zeros((u,), dtype=f32) if recurrent_bias is None else numpy.ascontiguousarray(recurrent_bias)
        kernel_zr = numpy.ascontiguousarray(recurrent_kernel[:, :2 * u])
        kernel_h = numpy.ascontiguousarray(recurrent_kernel[:, 2 * u:])

        def rows(lo: int, hi: int) -> None:
            n = hi - lo
            h, out = numpy.array(h0[lo:hi], dtype=f32), numpy.zeros((n, u), dtype=f32)
            zr, cand, part, reset = (numpy.empty((n, k * u), dtype=f32) for k in (2, 1, 1, 1))
            product = numpy.empty((n, 3 * u), dtype=f32)
            dropped = None if recurrent_mask is None else recurrent_mask[lo:hi]
            kept, x, y = _rows(keep, masked, lo, hi), xw[lo:hi], buf[lo:hi]
            with self.serial_blas():
                for t in range(time):
                    src = time - 1 - t if go_backwards else t
                    hd = h if dropped is None else h * dropped
                    if reset_after:
                        numpy.matmul(hd, recurrent_kernel, out=product)
                        after_gates_step(src, product, bias, x, zr, part)
                    else:
                        numpy.matmul(hd, kernel_zr, out=zr)
                        gates_step(src, zr, x, hd, reset)
                        numpy.matmul(reset, kernel_h, out=cand)
                    update_step(t, src, zr, cand, part, x, hd, h, out, y, kept, masked, reset_after, gates)

        self._run_rows(rows, batch)
        return buf

    def gru_backward(self, dy, y, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask, go_backwards: bool,
                     needs: tuple, reset_after: bool = False, recurrent_activation: str = "sigmoid"):
        steps = self._compiled_steps(recurrent_activation, dy, y, recurrent_kernel, recurrent_bias, h0,
                                    recurrent_mask)
        if steps is None:
            return super().gru_backward(dy, y, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask,
                                        go_backwards, needs, reset_after, recurrent_activation)
        gates, reset_step, carry_step = steps.gru_backward_gates, steps.gru_backward_reset, steps.gru_backward_carry
        batch, time = y.shape[:2]
        u = recurrent_kernel.shape[0]
        f32 = numpy.float32
        keep, masked = _keep(mask, go_backwards)
        y, dy, first = numpy.ascontiguousarray(y), numpy.ascontiguousarray(dy), numpy.ascontiguousarray(h0)
        dropout = numpy.ones((batch, u), dtype=f32) if recurrent_mask is None else numpy.ascontiguousarray(
            recurrent_mask)
        # reset_after: columns d(z), d(r), d(recurrent part), d(candidate); else d(z), d(r), d(candidate)
        dz = numpy.empty((batch, time, (4 if reset_after else 3) * u), dtype=f32)
        kernel_t = numpy.ascontiguousarray(recurrent_kernel.T)
        kernel_zr_t = numpy.ascontiguousarray(recurrent_kernel[:, :2 * u].T)
        kernel_h_t = numpy.ascontiguousarray(recurrent_kernel[:, 2 * u:].T)
        dh = numpy.empty((batch, u), dtype=f32)

        def rows(lo: int, hi: int) -> None:
            n = hi - lo
            h_grad, acc, carry, held, d_rh, dhd = (numpy.zeros((n, u), dtype=f32) for _ in range(6))
            kept, g, ys, gz, h_first, rm = (_rows(keep, masked, lo, hi), dy[lo:hi], y[lo:hi], dz[lo:hi],
                                            first[lo:hi], dropout[lo:hi])
            with self.serial_blas():
                for t in range(time - 1, -1, -1):
                    gates(t, g, ys, h_first, rm, gz, h_grad, acc, carry, held, kept, masked, reset_after)
                    step = gz[:, t]
                    if reset_after:
                        numpy.matmul(step[:, :3 * u], kernel_t, out=dhd)
                    else:
                        numpy.matmul(step[:, 2 * u:], kernel_h_t, out=d_rh)
                        reset_step(t, ys, h_first, rm, d_rh, gz, acc)
                        numpy.matmul(step[:, :2 * u], kernel_zr_t, out=dhd)
                    carry_step(dhd, acc, rm, held, h_grad, masked)
            dh[lo:hi] = h_grad

        self._run_rows(rows, batch)
        need_xw, need_rk, need_rb, need_h0 = needs
        hd = _h_as_read(y, h0, recurrent_mask, u) if need_rk else None  # only the kernel's gradient reads it
        grk, grb = self._gru_weight_gradients(hd, y[:, :, 3 * u:4 * u], dz, reset_after, need_rk, need_rb)
        gxw = None
        if need_xw:
            dx = numpy.concatenate([dz[:, :, :2 * u], dz[:, :, 3 * u:]], axis=2) if reset_after else dz
            gxw = dx[:, ::-1] if go_backwards else dx
        return gxw, grk, grb, (dh if need_h0 else None)
