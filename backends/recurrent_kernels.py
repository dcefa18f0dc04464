"""Whole-sequence recurrent kernels (LSTM, GRU, SimpleRNN), written once against `self.xp`.

Run step by step through K, a recurrent layer records a dozen ops per time step and walks
them back one by one; on small batches that bookkeeping, not arithmetic, is the cost.
Here the caller projects the inputs of every time step at once (one GEMM, outside), the
time loop runs on raw arrays writing into one preallocated buffer, the gates are activated
in place, and the backward through time is written by hand: the activations' slopes are
computed for all steps at once before the loop, and the recurrent kernel's gradient is one
GEMM over all steps after it.

Each forward returns one packed array (batch, time, blocks * units), stored time-major (a
transposed view of a (time, batch, width) buffer so every step's slice is contiguous),
holding per step the output, the carried state(s) and the activated gates: everything the
backward needs, so the primitive above it stays a pure function of its inputs. Without a
mask the output is the new h, so the output block is left unwritten (the K functions read
h's block instead) and its gradient is taken as zero.

Masked steps follow K.rnn: the states keep their previous values and the output repeats
the previous output (zeros before the first unmasked step). A recurrent dropout mask
(batch, units) multiplies the previous h wherever the step reads it (Keras 2's
implementation 2: the GRU's blend too); the carried state stays undropped.
"""
from __future__ import annotations

# Column blocks of the packed arrays, in units.
LSTM_BLOCKS = 7  # output, h, c, gates i, f, g, o
GRU_BLOCKS = 5  # output, h, z, r, candidate; reset_after adds the candidate's recurrent part
SIMPLE_BLOCKS = 2  # output, h


class RecurrentKernels:
    """Mixin of ArrayBackend: fused LSTM/GRU/SimpleRNN forwards and backwards through time."""

    def serial_blas(self):
        """A context in which BLAS runs on one thread: a recurrent loop's GEMMs are small, and
        waking BLAS's thread pool for each costs more than the product. No-op by default."""
        from contextlib import nullcontext

        return nullcontext()

    # ---------------------------------------------------------------- shared pieces
    def _gate(self, v, kind: str) -> None:
        """The recurrent activation in place: 'sigmoid' or Keras 2's 'hard_sigmoid'."""
        xp = self.xp
        if kind == "sigmoid":  # 0.5 * tanh(v / 2) + 0.5: one transcendental, stable for any |v|
            v *= 0.5
            xp.tanh(v, out=v)
            v *= 0.5
            v += 0.5
        else:
            v *= 0.2
            v += 0.5
            xp.minimum(v, 1.0, out=v)
            xp.maximum(v, 0.0, out=v)

    def _gate_slope(self, s, kind: str):
        """d(gate)/d(pre-activation) from the gate's value."""
        if kind == "sigmoid":
            return s * (1.0 - s)
        return ((s > 0.0) & (s < 1.0)).astype(s.dtype) * 0.2

    def _time_major(self, xw, mask, go_backwards: bool):
        if go_backwards:
            xw = xw[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        return xw, mask

    def _emit(self, buf, t: int, mask, u: int, states: list) -> None:
        """Ends step t of `buf`: the output slot takes the new h; where the mask is false it
        repeats the last output (zeros at first) and the state slots keep `states`."""
        xp = self.xp
        if mask is None:  # the output is h's block (see the module docstring)
            return
        y, m = buf[t], mask[:, t:t + 1]
        prev_out = buf[t - 1][:, :u] if t > 0 else xp.zeros_like(states[0])
        y[:, :u] = xp.where(m, y[:, u:2 * u], prev_out)
        for k, prev in enumerate(states):
            slot = y[:, (k + 1) * u:(k + 2) * u]
            slot[...] = xp.where(m, slot, prev)

    def _mask_back(self, kept, t: int, carry, d_out, g_h):
        """Backward of a possibly masked step: (dh into the step, carry for the earlier output)."""
        m = kept[t]
        g_out = carry + d_out
        return (g_out + g_h) * m, g_out - g_out * m, m

    def _previous(self, first, carried):
        """(time, batch, u) of each step's incoming state: `first`, then the carried ones."""
        xp = self.xp
        return xp.concatenate([first[None], carried[:-1]], axis=0)

    def _x_grad(self, dz, go_backwards: bool):
        """(time, batch, k) step gradients back to (batch, time, k) in the inputs' order."""
        if go_backwards:
            dz = dz[::-1]
        return dz.transpose(1, 0, 2)

    # ---------------------------------------------------------------- LSTM
    def lstm_forward(self, xw, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards: bool,
                     recurrent_activation: str = "sigmoid", gates: bool = True, input_bias=None):
        """The packed (batch, time, 7 * units) LSTM sequence from the projected inputs
        `xw = x @ kernel` (batch, time, 4 * units) plus `input_bias` (4 * units, or None);
        `mask` (batch, time) bool or None; `recurrent_mask` (batch, units) or None. With
        `gates` False (no backward will follow) the gate blocks may be left unwritten."""
        xp = self.xp
        batch, steps = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        xw, mask = self._time_major(xw, mask, go_backwards)
        buf = xp.empty((steps, batch, LSTM_BLOCKS * u), dtype=xw.dtype)
        projected = xp.empty((steps, batch, 4 * u), dtype=xw.dtype)  # time-major: each step contiguous
        sigmoid = recurrent_activation == "sigmoid"
        if sigmoid:
            # sigmoid(v) = 0.5 * tanh(v / 2) + 0.5. Halving the sigmoid gates' columns of the
            # kernel and of the projection once (exact in binary floating point) lets one tanh
            # pass over a contiguous array activate all four gates at every step.
            half = xp.full((4 * u,), 0.5, dtype=xw.dtype)
            half[2 * u:3 * u] = 1.0
            recurrent_kernel = recurrent_kernel * half
        source = xw.transpose(1, 0, 2)
        if input_bias is not None:  # the same rounding as a bias added to the projection beforehand
            source = xp.add(source, input_bias, out=projected)
        if sigmoid:
            xp.multiply(source, half, out=projected)
        elif input_bias is None:
            projected[...] = source
        z = xp.empty((batch, 4 * u), dtype=xw.dtype)
        tmp = xp.empty((batch, u), dtype=xw.dtype)
        h, c = h0, c0
        with self.serial_blas():
            for t in range(steps):
                xp.matmul(h if recurrent_mask is None else h * recurrent_mask, recurrent_kernel, out=z)
                z += projected[t]
                if sigmoid:
                    xp.tanh(z, out=z)
                    for part in (z[:, :2 * u], z[:, 3 * u:]):
                        part *= 0.5
                        part += 0.5
                else:
                    self._gate(z[:, :2 * u], recurrent_activation)  # i, f
                    xp.tanh(z[:, 2 * u:3 * u], out=z[:, 2 * u:3 * u])  # g
                    self._gate(z[:, 3 * u:], recurrent_activation)  # o
                i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
                c_new = f * c
                xp.multiply(i, g, out=tmp)
                c_new += tmp
                h_new = xp.tanh(c_new)
                h_new *= o
                y = buf[t]
                y[:, u:2 * u] = h_new
                y[:, 2 * u:3 * u] = c_new
                if gates:
                    y[:, 3 * u:] = z
                self._emit(buf, t, mask, u, [h, c])
                # masked rows hold their states, which _emit wrote into the buffer's slots
                h, c = (h_new, c_new) if mask is None else (y[:, u:2 * u], y[:, 2 * u:3 * u])
        return buf.transpose(1, 0, 2)

    def lstm_backward(self, dy, y, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards: bool,
                      needs: tuple, recurrent_activation: str = "sigmoid"):
        """Gradients (xw, recurrent_kernel, h0, c0) of `lstm_forward`, None where `needs`
        says so. The gate columns of `dy` are ignored: they are saved activations."""
        xp = self.xp
        batch, steps = y.shape[:2]
        u = recurrent_kernel.shape[0]
        _, mask = self._time_major(y, mask, go_backwards)
        ys, dys = y.transpose(1, 0, 2), dy.transpose(1, 0, 2)
        i, f, g, o = (ys[:, :, (3 + k) * u:(4 + k) * u] for k in range(4))
        c_prev = self._previous(c0, ys[:, :, 2 * u:3 * u])
        c_all = ys[:, :, 2 * u:3 * u] if mask is None else f * c_prev + i * g  # a held step's own c
        tc = xp.tanh(c_all)
        # Per step below, the gate gradients are the incoming dc (or dh, for o) times these.
        slope = xp.empty((steps, batch, 4, u), dtype=y.dtype)
        xp.multiply(g, self._gate_slope(i, recurrent_activation), out=slope[:, :, 0])
        xp.multiply(c_prev, self._gate_slope(f, recurrent_activation), out=slope[:, :, 1])
        xp.multiply(i, 1.0 - g * g, out=slope[:, :, 2])
        xp.multiply(tc, self._gate_slope(o, recurrent_activation), out=slope[:, :, 3])
        tc *= tc
        through_h = o * (1.0 - tc)  # dc from dh: o * tanh'(c)
        dz4 = xp.empty((steps, batch, 4, u), dtype=y.dtype)
        dz = dz4.reshape(steps, batch, 4 * u)
        rk_t = xp.ascontiguousarray(recurrent_kernel.T)
        # The incoming gradients, the forget gate and (unmasked) the output's and h's gradients
        # summed, each made contiguous once: the loop below then reads whole rows per step.
        d_h, d_c, f_gate = (xp.ascontiguousarray(a) for a in (dys[:, :, u:2 * u], dys[:, :, 2 * u:3 * u], f))
        if mask is None:
            d_h += dys[:, :, :u]
        kept = None if mask is None else mask.astype(y.dtype).T[:, :, None]  # (time, batch, 1)
        dh, dc = xp.zeros_like(h0), xp.zeros_like(c0)
        carry = xp.zeros_like(h0) if mask is not None else None
        with self.serial_blas():
            for t in range(steps - 1, -1, -1):
                g_h = dh + d_h[t]
                g_c = dc + d_c[t]
                if mask is None:
                    dh_new, dc_new = g_h, g_c
                else:
                    dh_new, carry, m = self._mask_back(kept, t, carry, dys[t, :, :u], g_h)
                    dc_new = g_c * m
                dc_new += dh_new * through_h[t]
                xp.multiply(slope[t, :, :3], dc_new[:, None, :], out=dz4[t, :, :3])
                xp.multiply(slope[t, :, 3], dh_new, out=dz4[t, :, 3])
                dc = dc_new * f_gate[t]
                dh = xp.matmul(dz[t], rk_t)
                if recurrent_mask is not None:
                    dh *= recurrent_mask
                if mask is not None:  # a skipped step hands its states' gradients straight back
                    dh += g_h - g_h * m
                    dc += g_c - g_c * m
        return self._lstm_gradients(dz, ys, h0, dh, dc, recurrent_mask, go_backwards, needs)

    def _lstm_gradients(self, dz, ys, h0, dh, dc, recurrent_mask, go_backwards: bool, needs: tuple):
        """lstm_backward's results from the gate gradients `dz` (time, batch, 4u) of every step:
        the recurrent kernel's gradient is one GEMM over all steps."""
        xp = self.xp
        steps, batch, u = ys.shape[0], ys.shape[1], h0.shape[1]
        need_xw, need_rk, need_h0, need_c0 = needs
        grk = None
        if need_rk:
            h_prev = self._previous(h0, ys[:, :, u:2 * u])
            if recurrent_mask is not None:
                h_prev = h_prev * recurrent_mask
            with self.serial_blas():
                grk = xp.matmul(h_prev.reshape(steps * batch, u).T, dz.reshape(steps * batch, 4 * u))
        gxw = self._x_grad(dz, go_backwards) if need_xw else None
        return gxw, grk, (dh if need_h0 else None), (dc if need_c0 else None)

    # ---------------------------------------------------------------- GRU
    def gru_forward(self, xw, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask, go_backwards: bool,
                    reset_after: bool = False, recurrent_activation: str = "sigmoid", gates: bool = True):
        """The packed GRU sequence (batch, time, 5 or 6 units: output, h, z, r, candidate and,
        with `reset_after`, the candidate's recurrent part) from `xw` (batch, time, 3 units),
        the input projection with every bias except `recurrent_bias` (the candidate's
        recurrent bias, (units,), reset_after only, or None). With `gates` False the gate
        blocks may be left unwritten (here they are the loop's workspace, so they are not)."""
        xp = self.xp
        batch, steps = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        xw, mask = self._time_major(xw, mask, go_backwards)
        width = (GRU_BLOCKS + (1 if reset_after else 0)) * u
        buf = xp.empty((steps, batch, width), dtype=xw.dtype)
        tmp = xp.empty((batch, 3 * u if reset_after else u), dtype=xw.dtype)
        rk_zr, rk_h = recurrent_kernel[:, :2 * u], recurrent_kernel[:, 2 * u:]
        h = h0
        with self.serial_blas():
            for t in range(steps):
                y = buf[t]
                hd = h if recurrent_mask is None else h * recurrent_mask
                zr, cand = y[:, 2 * u:4 * u], y[:, 4 * u:5 * u]
                if reset_after:
                    xp.matmul(hd, recurrent_kernel, out=tmp)
                    xp.add(tmp[:, :2 * u], xw[:, t, :2 * u], out=zr)
                    part = y[:, 5 * u:]
                    part[...] = tmp[:, 2 * u:]
                    if recurrent_bias is not None:
                        part += recurrent_bias
                    self._gate(zr, recurrent_activation)
                    xp.multiply(zr[:, u:], part, out=cand)
                else:
                    xp.matmul(hd, rk_zr, out=zr)
                    zr += xw[:, t, :2 * u]
                    self._gate(zr, recurrent_activation)
                    xp.multiply(zr[:, u:], hd, out=tmp)
                    xp.matmul(tmp, rk_h, out=cand)
                cand += xw[:, t, 2 * u:]
                xp.tanh(cand, out=cand)
                h_new = y[:, u:2 * u]
                xp.subtract(hd, cand, out=h_new)  # z * hd + (1 - z) * cand
                h_new *= zr[:, :u]
                h_new += cand
                self._emit(buf, t, mask, u, [h])
                h = h_new
        return buf.transpose(1, 0, 2)

    def gru_backward(self, dy, y, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask, go_backwards: bool,
                     needs: tuple, reset_after: bool = False, recurrent_activation: str = "sigmoid"):
        """Gradients (xw, recurrent_kernel, recurrent_bias, h0) of `gru_forward`, None where
        `needs` says so; only the output and h columns of `dy` are read."""
        xp = self.xp
        batch, steps = y.shape[:2]
        u = recurrent_kernel.shape[0]
        _, mask = self._time_major(y, mask, go_backwards)
        ys, dys = y.transpose(1, 0, 2), dy.transpose(1, 0, 2)
        z, r, cand = ys[:, :, 2 * u:3 * u], ys[:, :, 3 * u:4 * u], ys[:, :, 4 * u:5 * u]
        hd = self._previous(h0, ys[:, :, u:2 * u])
        if recurrent_mask is not None:
            hd = hd * recurrent_mask
        slope_z = (hd - cand) * self._gate_slope(z, recurrent_activation)
        slope_c = (1.0 - z) * (1.0 - cand * cand)
        slope_r = self._gate_slope(r, recurrent_activation)
        slope_r *= ys[:, :, 5 * u:] if reset_after else hd
        # reset_after: columns da_z, da_r, d(recurrent part of the candidate), da_candidate;
        # else da_z, da_r, da_candidate.
        dz = xp.empty((steps, batch, (4 if reset_after else 3) * u), dtype=y.dtype)
        rk_t, rk_zr_t, rk_h_t = recurrent_kernel.T, recurrent_kernel[:, :2 * u].T, recurrent_kernel[:, 2 * u:].T
        kept = None if mask is None else mask.astype(y.dtype).T[:, :, None]
        dh = xp.zeros_like(h0)
        carry = xp.zeros_like(h0) if mask is not None else None
        with self.serial_blas():
            for t in range(steps - 1, -1, -1):
                g_h = dh + dys[t, :, u:2 * u]
                if mask is None:
                    dh_new = g_h
                    dh_new += dys[t, :, :u]
                else:
                    dh_new, carry, m = self._mask_back(kept, t, carry, dys[t, :, :u], g_h)
                d = dz[t]
                xp.multiply(dh_new, slope_z[t], out=d[:, :u])
                if reset_after:
                    da_c = d[:, 3 * u:]
                    xp.multiply(dh_new, slope_c[t], out=da_c)
                    xp.multiply(da_c, slope_r[t], out=d[:, u:2 * u])
                    xp.multiply(da_c, r[t], out=d[:, 2 * u:3 * u])
                    dhd = xp.matmul(d[:, :3 * u], rk_t)
                else:
                    da_c = d[:, 2 * u:]
                    xp.multiply(dh_new, slope_c[t], out=da_c)
                    d_rh = xp.matmul(da_c, rk_h_t)
                    xp.multiply(d_rh, slope_r[t], out=d[:, u:2 * u])
                    dhd = xp.matmul(d[:, :2 * u], rk_zr_t)
                    d_rh *= r[t]
                    dhd += d_rh
                dhd += dh_new * z[t]
                if recurrent_mask is not None:
                    dhd *= recurrent_mask
                if mask is not None:
                    dhd += g_h - g_h * m
                dh = dhd
        need_xw, need_rk, need_rb, need_h0 = needs
        with self.serial_blas():
            grk, grb = self._gru_weight_gradients(hd, r, dz, reset_after, need_rk, need_rb)
        gxw = None
        if need_xw:
            dx = xp.concatenate([dz[:, :, :2 * u], dz[:, :, 3 * u:]], axis=2) if reset_after else dz
            gxw = self._x_grad(dx, go_backwards)
        return gxw, grk, grb, (dh if need_h0 else None)

    def _gru_weight_gradients(self, hd, r, dz, reset_after: bool, need_rk: bool, need_rb: bool) -> tuple:
        """(recurrent kernel, recurrent bias) gradients of a GRU from every step's h as the
        step read it (`hd`), reset gate and gate gradients `dz`, each (..., width) with the
        same leading axes: products over all steps at once (`hd` is read only for the
        kernel's gradient)."""
        xp = self.xp
        u = r.shape[-1]
        flat_dz = dz.reshape(-1, dz.shape[-1])
        grk = grb = None
        if need_rk:
            flat_hd = hd.reshape(-1, u).T
            if reset_after:
                grk = self.matmul(flat_hd, flat_dz[:, :3 * u])
            else:
                rh = (r * hd).reshape(-1, u).T
                grk = xp.concatenate([self.matmul(flat_hd, flat_dz[:, :2 * u]), self.matmul(rh, flat_dz[:, 2 * u:])],
                                     axis=1)
        if need_rb and reset_after:
            grb = flat_dz[:, 2 * u:3 * u].sum(axis=0)
        return grk, grb

    # ---------------------------------------------------------------- SimpleRNN
    def _simple_activate(self, v, activation: str) -> None:
        if activation == "tanh":
            self.xp.tanh(v, out=v)
        elif activation == "relu":
            self.xp.maximum(v, 0.0, out=v)

    def simple_rnn_forward(self, xw, recurrent_kernel, h0, mask, recurrent_mask, go_backwards: bool,
                           activation: str = "tanh"):
        """The packed SimpleRNN sequence (batch, time, 2 units: output, h) from `xw`
        (batch, time, units); `activation` 'tanh', 'relu' or 'linear'."""
        xp = self.xp
        batch, steps = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        xw, mask = self._time_major(xw, mask, go_backwards)
        buf = xp.empty((steps, batch, SIMPLE_BLOCKS * u), dtype=xw.dtype)
        h = h0
        with self.serial_blas():
            for t in range(steps):
                y = buf[t]
                h_new = y[:, u:]
                xp.matmul(h if recurrent_mask is None else h * recurrent_mask, recurrent_kernel, out=h_new)
                h_new += xw[:, t]
                self._simple_activate(h_new, activation)
                self._emit(buf, t, mask, u, [h])
                h = h_new
        return buf.transpose(1, 0, 2)

    def simple_rnn_backward(self, dy, y, recurrent_kernel, h0, mask, recurrent_mask, go_backwards: bool,
                            needs: tuple, activation: str = "tanh"):
        """Gradients (xw, recurrent_kernel, h0) of `simple_rnn_forward`, None where `needs` says so."""
        xp = self.xp
        batch, steps = y.shape[:2]
        u = recurrent_kernel.shape[0]
        _, mask = self._time_major(y, mask, go_backwards)
        ys, dys = y.transpose(1, 0, 2), dy.transpose(1, 0, 2)
        h_all = ys[:, :, u:]
        # a held step's slope is never used: its dh is zeroed by the mask first
        if activation == "tanh":
            slope = 1.0 - h_all * h_all
        elif activation == "relu":
            slope = (h_all > 0.0).astype(y.dtype)
        else:
            slope = None
        dz = xp.empty((steps, batch, u), dtype=y.dtype)
        rk_t = recurrent_kernel.T
        kept = None if mask is None else mask.astype(y.dtype).T[:, :, None]
        dh = xp.zeros_like(h0)
        carry = xp.zeros_like(h0) if mask is not None else None
        with self.serial_blas():
            for t in range(steps - 1, -1, -1):
                g_h = dh + dys[t, :, u:]
                if mask is None:
                    dh_new = g_h
                    dh_new += dys[t, :, :u]
                else:
                    dh_new, carry, m = self._mask_back(kept, t, carry, dys[t, :, :u], g_h)
                if slope is None:
                    dz[t] = dh_new
                else:
                    xp.multiply(dh_new, slope[t], out=dz[t])
                dh = xp.matmul(dz[t], rk_t)
                if recurrent_mask is not None:
                    dh *= recurrent_mask
                if mask is not None:
                    dh += g_h - g_h * m
        need_xw, need_rk, need_h0 = needs
        grk = None
        if need_rk:
            hd = self._previous(h0, h_all)
            if recurrent_mask is not None:
                hd = hd * recurrent_mask
            with self.serial_blas():
                grk = xp.matmul(hd.reshape(steps * batch, u).T, dz.reshape(steps * batch, u))
        gxw = self._x_grad(dz, go_backwards) if need_xw else None
        return gxw, grk, (dh if need_h0 else None)
