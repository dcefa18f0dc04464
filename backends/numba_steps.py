"""The NumPy backend's compiled kernels, handed out by numba_recurrent.kernels() (imported only
where numba is installed): the LSTM's and GRU's steps and the LSTM's whole-sequence loops, an
embedding gradient's row adds, and (from numba_updates.py) Adam's and Adadelta's passes.

Module-level functions, so numba's on-disk cache (`cache=True`, in __pycache__ or numba's
user cache) serves later processes without compiling again; the tanh coefficients are
module constants, which numba compiles in as literals.
"""
from __future__ import annotations

import numba
import numpy

from .numba_gemm import sgemm
from .numba_recurrent import _LIMIT, _P, _Q
from .numba_updates import adadelta_pass, adam_pass  # served through kernels(), warmed up below

f32 = numpy.float32
lim, p0, p1, p2, p3, p4 = f32(_LIMIT), *(f32(v) for v in _P)
q0, q1, q2, q3, q4 = (f32(v) for v in _Q)
half, one = f32(0.5), f32(1.0)
# error_model="numpy": a division compiles without Python's zero check, which would stop
# the loops from being vectorised; fastmath lets LLVM reassociate and use FMA.
jit = numba.njit(cache=True, fastmath=True, error_model="numpy", nogil=True)
inline = numba.njit(inline="always", fastmath=True, error_model="numpy")


@inline
def tanh(x):
    x = min(max(x, -lim), lim)
    s = x * x
    return x * ((((p4 * s + p3) * s + p2) * s + p1) * s + p0) / ((((q4 * s + q3) * s + q2) * s + q1) * s + q0)


@inline
def _write_states(yb, ob, hb, u, masked):
    """A packed row's output block (only where steps are masked: else the output is h's
    block) and h block."""
    if masked:
        for j in range(u):
            yb[j] = ob[j]
    for j in range(u):
        yb[u + j] = hb[j]


@inline
def _skip_row(b, u, db, hb, gb, carry, held):
    """The backward of a masked (skipped) step's row: its output gradient carries on to the
    earlier output, its h gradient goes straight back (`held`), its gates get none."""
    kb, lb = carry[b], held[b]
    for j in range(u):
        kb[j] += db[j]
    for j in range(u):
        lb[j] = hb[j] + db[u + j]
    for k in range(gb.shape[0]):
        gb[k] = f32(0.0)


@inline
def _take_carry(b, u, hb, carry, held):
    """A kept step's row takes the output gradient carried from later masked steps."""
    kb, lb = carry[b], held[b]
    for j in range(u):
        hb[j] += kb[j]
        kb[j] = f32(0.0)
        lb[j] = f32(0.0)


# Each loop below reads and writes separate contiguous rows: LLVM vectorises those, but
# not loops that write one part of a row and read another part of the same row.
@jit
def lstm_forward_step(t, src, z, xw, bias, scale, h, c, out, buf, keep, masked, gates):
    """Step t: z (batch, 4u) holds h @ (kernel * scale) and becomes the gates; xw (batch,
    time, 4u) is the input projection, read at time `src`, plus `bias` (4u). h, c and out
    (batch, u), the carried state and last output, are updated where the step is kept;
    buf[:, t] (of buf's (batch, time, 7u), or 3u without `gates`) <- output (if `masked`),
    h, c and, if `gates`, the gates i f g o."""
    batch, u = h.shape
    for b in range(batch):
        zb, xb = z[b], xw[b, src]
        for k in range(4 * u):  # sigmoid(v) = 0.5 * tanh(v / 2) + 0.5 where scale is 0.5
            zb[k] = tanh(zb[k] + (xb[k] + bias[k]) * scale[k]) * scale[k] + (one - scale[k])
        if not masked or keep[t, b]:
            hb, cb, ob = h[b], c[b], out[b]
            for j in range(u):
                cn = zb[u + j] * cb[j] + zb[j] * zb[2 * u + j]
                hn = zb[3 * u + j] * tanh(cn)
                cb[j] = cn
                hb[j] = hn
                ob[j] = hn
        yb = buf[b, t]
        _write_states(yb, out[b], h[b], u, masked)
        for j in range(u):
            yb[2 * u + j] = c[b, j]
        if gates:
            for k in range(4 * u):
                yb[3 * u + k] = zb[k]


@jit
def lstm_backward_step(t, d, dy, y, c0, dz, dh, dc, carry, held, slope, keep, masked):
    """Step t's backward: dz[:, d] (batch, 4u) <- the gate gradients (d: the step's input
    time, t's mirror under go_backwards), dc <- the gradient for the previous c. dh enters
    as the gradient from later steps (dz[:, d] @ kernel.T follows, outside). A masked step
    hands its states' gradients straight back (`held`, added to that product) and its
    output's to the earlier output (`carry`). dy and y are
    (batch, time, 7u), dz (batch, time, 4u); `slope` (batch, u) is scratch."""
    batch, u = dh.shape
    for b in range(batch):
        yb, db, gb = y[b, t], dy[b, t], dz[b, d]
        hb, cb, sb = dh[b], dc[b], slope[b]
        if masked and not keep[t, b]:
            _skip_row(b, u, db, hb, gb, carry, held)
            for j in range(u):
                cb[j] += db[2 * u + j]
            continue
        if masked:
            _take_carry(b, u, hb, carry, held)
        for j in range(u):
            g_h = hb[j] + db[u + j] + db[j]
            tc = tanh(yb[2 * u + j])
            o = yb[6 * u + j]
            cb[j] = cb[j] + db[2 * u + j] + g_h * o * (one - tc * tc)
            hb[j] = g_h
            sb[j] = tc * o * (one - o)
        cp = y[b, t - 1, 2 * u:3 * u] if t > 0 else c0[b]
        for j in range(u):
            i = yb[3 * u + j]
            gb[j] = cb[j] * yb[5 * u + j] * i * (one - i)
        for j in range(u):
            f = yb[4 * u + j]
            gb[u + j] = cb[j] * cp[j] * f * (one - f)
        for j in range(u):
            g = yb[5 * u + j]
            gb[2 * u + j] = cb[j] * yb[3 * u + j] * (one - g * g)
        for j in range(u):
            gb[3 * u + j] = hb[j] * sb[j]
        for j in range(u):
            cb[j] *= yb[4 * u + j]


@jit
def lstm_forward_loop(gemm, kernel, xw, bias, scale, h, c, out, buf, keep, masked, gates, go_backwards, dropped, hd,
                      z):
    """Every step of lstm_forward_step for these rows, each after its recurrent product
    z = (h * dropped) @ kernel through cblas_sgemm at address `gemm`. `dropped` is the
    recurrent dropout mask, or (0, 0) for none; hd and z (rows, u) and (rows, 4u) scratch."""
    rows, u = h.shape
    time = xw.shape[1]
    for t in range(time):
        read = h
        if dropped.shape[0]:
            for b in range(rows):
                db, hb, mb = hd[b], h[b], dropped[b]
                for j in range(u):
                    db[j] = hb[j] * mb[j]
            read = hd
        sgemm(gemm, rows, 4 * u, u, read, u, kernel, 4 * u, f32(0.0), z, 4 * u)
        lstm_forward_step(t, time - 1 - t if go_backwards else t, z, xw, bias, scale, h, c, out, buf, keep, masked,
                          gates)


@jit
def lstm_backward_loop(gemm, kernel_t, dy, y, c0, dz, dh, dc, carry, held, slope, keep, masked, dropped,
                       go_backwards):
    """Every step of lstm_backward_step for these rows, last first, each followed by the
    gradient for the previous h: dh = dz[:, d] @ kernel.T (through cblas_sgemm at `gemm`),
    times the recurrent dropout mask `dropped` ((0, 0) for none), plus what masked steps held.
    dz comes out in the inputs' time order (d = time - 1 - t under go_backwards), as the
    projection's gradient needs it."""
    rows, u = dh.shape
    time = y.shape[1]
    for t in range(time - 1, -1, -1):
        d = time - 1 - t if go_backwards else t
        lstm_backward_step(t, d, dy, y, c0, dz, dh, dc, carry, held, slope, keep, masked)
        sgemm(gemm, rows, u, 4 * u, dz[:, d], dz.strides[0] // 4, kernel_t, u, f32(0.0), dh, u)
        if dropped.shape[0]:
            for b in range(rows):
                hb, mb = dh[b], dropped[b]
                for j in range(u):
                    hb[j] *= mb[j]
        if masked:
            for b in range(rows):
                hb, lb = dh[b], held[b]
                for j in range(u):
                    hb[j] += lb[j]


@jit
def gru_gates_step(src, zr, xw, hd, rh):
    """Keras 2's GRU (reset_after=False), first half of a step: zr (batch, 2u) holds
    hd @ kernel[:, :2u] and becomes the gates z, r; rh <- r * hd, the input of the
    candidate's product. xw is (batch, time, 3u), read at time `src`."""
    batch, u = hd.shape
    for b in range(batch):
        zb, xb = zr[b], xw[b, src]
        for k in range(2 * u):
            zb[k] = tanh(half * (zb[k] + xb[k])) * half + half
        rb, hb = rh[b], hd[b]
        for j in range(u):
            rb[j] = zb[u + j] * hb[j]


@jit
def gru_update_step(t, src, zr, cand, part, xw, hd, h, out, buf, keep, masked, reset_after, gates):
    """The rest of a GRU step: cand (batch, u) holds the candidate's recurrent product
    ((r * hd) @ kernel_h), or with `reset_after` the recurrent part `part` (bias added)
    to be gated by r; cand <- tanh(x_h + ...); h = z * hd + (1 - z) * cand where the step
    is kept; buf[:, t] <- output (if `masked`), h and, if `gates`, z, r, candidate (and part)."""
    batch, u = hd.shape
    for b in range(batch):
        zb, cb, xb = zr[b], cand[b], xw[b, src]
        if reset_after:
            pb = part[b]
            for j in range(u):
                cb[j] = tanh(xb[2 * u + j] + zb[u + j] * pb[j])
        else:
            for j in range(u):
                cb[j] = tanh(xb[2 * u + j] + cb[j])
        if not masked or keep[t, b]:
            hb, ob, db = h[b], out[b], hd[b]
            for j in range(u):  # out first: hd may be h itself
                ob[j] = (db[j] - cb[j]) * zb[j] + cb[j]
            for j in range(u):
                hb[j] = ob[j]
        yb = buf[b, t]
        _write_states(yb, out[b], h[b], u, masked)
        if not gates:
            continue
        for k in range(2 * u):
            yb[2 * u + k] = zb[k]
        for j in range(u):
            yb[4 * u + j] = cb[j]
        if reset_after:
            for j in range(u):
                yb[5 * u + j] = part[b, j]


@jit
def gru_after_gates_step(src, product, bias, xw, zr, part):
    """reset_after's first half: product (batch, 3u) = hd @ kernel; zr <- the gates z, r
    from its first 2u columns; part <- its last u columns plus the recurrent bias."""
    batch = product.shape[0]
    u = product.shape[1] // 3
    for b in range(batch):
        mb, zb, xb = product[b], zr[b], xw[b, src]
        for k in range(2 * u):
            zb[k] = tanh(half * (mb[k] + xb[k])) * half + half
        pb = part[b]
        for j in range(u):
            pb[j] = mb[2 * u + j] + bias[j]


@jit
def gru_backward_gates(t, dy, y, h0, rmask, dz, dh, acc, carry, held, keep, masked, reset_after):
    """A GRU step's backward, up to the recurrent products: dz[:, t] <- d(z pre-activation)
    and d(candidate pre-activation) (reset_after: also d(r) and d(recurrent part)); dh
    becomes the gradient of the step's new h; acc <- its share through z * hd. dy and y are
    (batch, time, width); rmask (batch, u) the recurrent dropout mask (ones without one)."""
    batch, u = dh.shape
    cand_col = 3 * u if reset_after else 2 * u
    for b in range(batch):
        yb, db, gb = y[b, t], dy[b, t], dz[b, t]
        hb, ab, mb = dh[b], acc[b], rmask[b]
        if masked and not keep[t, b]:
            _skip_row(b, u, db, hb, gb, carry, held)
            for j in range(u):
                ab[j] = f32(0.0)
            continue
        if masked:
            _take_carry(b, u, hb, carry, held)
        hp = y[b, t - 1, u:2 * u] if t > 0 else h0[b]
        for j in range(u):
            hb[j] = hb[j] + db[u + j] + db[j]
        for j in range(u):
            z = yb[2 * u + j]
            gb[j] = hb[j] * (hp[j] * mb[j] - yb[4 * u + j]) * z * (one - z)
        for j in range(u):
            ab[j] = hb[j] * yb[2 * u + j]
        for j in range(u):
            c = yb[4 * u + j]
            gb[cand_col + j] = hb[j] * (one - yb[2 * u + j]) * (one - c * c)
        if reset_after:
            for j in range(u):
                c, r = yb[4 * u + j], yb[3 * u + j]
                gb[u + j] = hb[j] * (one - yb[2 * u + j]) * (one - c * c) * r * (one - r) * yb[5 * u + j]
            for j in range(u):
                c = yb[4 * u + j]
                gb[2 * u + j] = hb[j] * (one - yb[2 * u + j]) * (one - c * c) * yb[3 * u + j]


@jit
def gru_backward_reset(t, y, h0, rmask, d_rh, dz, acc):
    """reset_after=False: from d_rh = d(candidate) @ kernel_h.T, dz[:, t, u:2u] <- d(r
    pre-activation) and acc += d_rh * r (the product's share of d(hd))."""
    batch, u = d_rh.shape
    for b in range(batch):
        yb, gb, eb, ab, mb = y[b, t], dz[b, t], d_rh[b], acc[b], rmask[b]
        hp = y[b, t - 1, u:2 * u] if t > 0 else h0[b]
        for j in range(u):
            r = yb[3 * u + j]
            gb[u + j] = eb[j] * r * (one - r) * hp[j] * mb[j]
        for j in range(u):
            ab[j] += eb[j] * yb[3 * u + j]


@jit
def gru_backward_carry(dhd, acc, rmask, held, dh, masked):
    """dh <- (dhd + acc) * rmask (+ held where steps are masked): the gradient for the
    previous step's h."""
    batch, u = dh.shape
    for b in range(batch):
        hb, xb, ab, mb = dh[b], dhd[b], acc[b], rmask[b]
        for j in range(u):
            hb[j] = (xb[j] + ab[j]) * mb[j]
        if masked:
            lb = held[b]
            for j in range(u):
                hb[j] += lb[j]


@jit
def add_rows(out, rows, values):
    """out[rows[i]] += values[i] for each i in turn: numpy.add.at's sums, bit for bit, for an
    embedding's gradient. out (n, width) and values (len(rows), width) C-contiguous; every
    row index already within [0, n)."""
    width = out.shape[1]
    for i in range(rows.shape[0]):
        ob, vb = out[rows[i]], values[i]
        for j in range(width):
            ob[j] += vb[j]


def warm_up(gemm: "int | None" = None) -> None:
    """Calls every kernel once on tiny arrays of the types the backend passes (C-contiguous
    float32, bool masks), so compiling happens here, once, rather than inside a step loop."""
    f = numpy.float32
    row, row4, packed = numpy.zeros((1, 1), f), numpy.zeros((1, 4), f), numpy.zeros((1, 1, 7), f)
    keep = numpy.ones((1, 1), dtype=bool)
    xw4, xw3 = numpy.zeros((1, 1, 4), f), numpy.zeros((1, 1, 3), f)
    lstm_forward_step(0, 0, row4, xw4, numpy.zeros(4, f), numpy.ones(4, f), row, row.copy(), row.copy(), packed,
                      keep, False, True)
    lstm_backward_step(0, 0, packed, packed, row, numpy.zeros((1, 1, 4), f), row.copy(), row.copy(), row.copy(),
                       row.copy(), row.copy(), keep, False)
    zr, gru_buf = numpy.zeros((1, 2), f), numpy.zeros((1, 1, 6), f)
    gru_gates_step(0, zr, xw3, row, row.copy())
    gru_update_step(0, 0, zr, row.copy(), row.copy(), xw3, row, row.copy(), row.copy(), gru_buf, keep, False, True,
                    True)
    gru_after_gates_step(0, numpy.zeros((1, 3), f), numpy.zeros(1, f), xw3, zr, row.copy())
    gru_backward_gates(0, gru_buf, gru_buf, row, numpy.ones((1, 1), f), numpy.zeros((1, 1, 4), f), row.copy(),
                       row.copy(), row.copy(), row.copy(), keep, False, True)
    gru_backward_reset(0, gru_buf, row, numpy.ones((1, 1), f), row.copy(), numpy.zeros((1, 1, 3), f), row.copy())
    gru_backward_carry(row.copy(), row.copy(), numpy.ones((1, 1), f), row.copy(), row.copy(), False)
    for dtype in (f, numpy.float64):
        add_rows(numpy.zeros((1, 1), dtype), numpy.zeros(1, numpy.intp), numpy.zeros((1, 1), dtype))
        one = numpy.ones(1, dtype)
        adam_pass(one.copy(), one, one.copy(), one.copy(), one[:0], *(dtype(0.5),) * 7, False, False)
        adadelta_pass(one.copy(), one, one.copy(), one.copy(), *(dtype(0.5),) * 4, False)
    if gemm is None:  # no cblas_sgemm to call: the LSTM's loops are not used
        return
    none = numpy.zeros((0, 0), f)
    for dropped in (none, numpy.ones((1, 1), f)):
        lstm_forward_loop(gemm, row, xw4, numpy.zeros(4, f), numpy.ones(4, f), row.copy(), row.copy(), row.copy(),
                          packed.copy(), keep, False, True, False, dropped, row.copy(), row4.copy())
        lstm_backward_loop(gemm, numpy.zeros((4, 1), f), packed, packed, row, numpy.zeros((1, 1, 4), f), row.copy(),
                           row.copy(), row.copy(), row.copy(), row.copy(), keep, False, dropped, False)
