"""Whole-sequence recurrent kernels, written once against `self.xp`.

Run step by step through K, an LSTM records about a dozen ops per time step and walks
them back one by one; on small batches that bookkeeping, not arithmetic, is the cost.
Here the caller projects the inputs of every time step at once (one GEMM, outside), the
time loop runs on raw arrays, the gates are activated in place, and the backward through
time is written by hand, with the recurrent kernel's gradient one GEMM over all steps.

The forward returns one packed array (batch, time, 7 * units) holding, per step, the
output, the carried h and c states and the four activated gates: everything the backward
needs, so the primitive above it stays a pure function of its inputs.

Masked steps follow K.rnn: the states keep their previous values and the output repeats
the previous output (zeros before the first unmasked step).
"""
from __future__ import annotations

# Column blocks of the packed LSTM array, in units: output, h, c, then gates i, f, g, o.
LSTM_BLOCKS = 7


class RecurrentKernels:
    """Mixin of ArrayBackend: fused LSTM forward and backward through time over raw arrays."""

    def _activate_lstm_gates(self, z, units: int):
        # sigmoid(v) = 0.5 * tanh(v / 2) + 0.5: one transcendental pass for all four gates
        # (tanh for the candidate g), stable for any |v|.
        xp = self.xp
        u = units
        z[:, :2 * u] *= 0.5
        z[:, 3 * u:] *= 0.5
        xp.tanh(z, out=z)
        z[:, :2 * u] *= 0.5
        z[:, :2 * u] += 0.5
        z[:, 3 * u:] *= 0.5
        z[:, 3 * u:] += 0.5
        return z

    def lstm_forward(self, xw, recurrent_kernel, h0, c0, mask, go_backwards: bool):
        """The packed (batch, time, 7 * units) LSTM sequence from the projected inputs
        `xw = x @ kernel + bias` (batch, time, 4 * units); `mask` (batch, time) bool or None."""
        xp = self.xp
        batch, steps = xw.shape[:2]
        u = recurrent_kernel.shape[0]
        if go_backwards:
            xw = xw[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        y = xp.empty((batch, steps, LSTM_BLOCKS * u), dtype=xw.dtype)
        h, c = h0, c0
        out = xp.zeros_like(h0) if mask is not None else None
        for t in range(steps):
            z = self.matmul(h, recurrent_kernel)
            z += xw[:, t]
            self._activate_lstm_gates(z, u)
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            c_new = f * c
            c_new += i * g
            h_new = xp.tanh(c_new)
            h_new *= o
            if mask is not None:
                m = mask[:, t:t + 1]
                out = xp.where(m, h_new, out)
                h_new = xp.where(m, h_new, h)
                c_new = xp.where(m, c_new, c)
                y[:, t, :u] = out
            else:
                y[:, t, :u] = h_new
            y[:, t, u:2 * u] = h_new
            y[:, t, 2 * u:3 * u] = c_new
            y[:, t, 3 * u:] = z
            h, c = h_new, c_new
        return y

    def lstm_backward(self, dy, y, recurrent_kernel, h0, c0, mask, go_backwards: bool, needs: tuple):
        """Gradients (xw, recurrent_kernel, h0, c0) of `lstm_forward`, None where `needs`
        says so. The gate columns of `dy` are ignored: they are saved activations."""
        xp = self.xp
        batch, steps = y.shape[:2]
        u = recurrent_kernel.shape[0]
        if go_backwards:
            mask = None if mask is None else mask[:, ::-1]
        d_out, d_h, d_c = dy[..., :u], dy[..., u:2 * u], dy[..., 2 * u:3 * u]
        kept = None if mask is None else mask.astype(y.dtype)[:, :, None]  # 1 where a step ran
        dz_all = xp.empty((batch, steps, 4 * u), dtype=y.dtype)
        rk_t = recurrent_kernel.T
        dh = xp.zeros_like(h0)
        dc = xp.zeros_like(c0)
        carry = xp.zeros_like(h0) if mask is not None else None  # gradient of a repeated output
        for t in range(steps - 1, -1, -1):
            c_prev = y[:, t - 1, 2 * u:3 * u] if t > 0 else c0
            gates = y[:, t, 3 * u:]
            i, f, g, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:3 * u], gates[:, 3 * u:]
            g_h = dh + d_h[:, t]
            g_c = dc + d_c[:, t]
            if mask is None:
                c_t = y[:, t, 2 * u:3 * u]
                dh_new = g_h
                dh_new += d_out[:, t]
                dc_new = g_c
            else:
                c_t = f * c_prev
                c_t += i * g
                m = kept[:, t]
                g_out = carry + d_out[:, t]
                dh_new = (g_out + g_h) * m
                dc_new = g_c * m
                carry = g_out - g_out * m
            tc = xp.tanh(c_t)
            dz = dz_all[:, t]
            # d(o): dh * tanh(c), through the sigmoid
            xp.multiply(dh_new, tc, out=dz[:, 3 * u:])
            dz[:, 3 * u:] *= o * (1 - o)
            tc *= tc
            xp.subtract(1, tc, out=tc)
            tc *= o
            tc *= dh_new
            dc_new += tc  # dc through h = o * tanh(c)
            xp.multiply(dc_new, g * i * (1 - i), out=dz[:, :u])
            xp.multiply(dc_new, c_prev * f * (1 - f), out=dz[:, u:2 * u])
            xp.multiply(dc_new, i * (1 - g * g), out=dz[:, 2 * u:3 * u])
            dc = dc_new * f
            dh = self.matmul(dz, rk_t)
            if mask is not None:  # a skipped step hands its states' gradients straight back
                dh += g_h - g_h * m
                dc += g_c - g_c * m
        need_xw, need_rk, need_h0, need_c0 = needs
        grk = None
        if need_rk:
            h_prev = xp.concatenate([h0[:, None, :], y[:, :-1, u:2 * u]], axis=1)
            grk = self.matmul(h_prev.reshape(batch * steps, u).T, dz_all.reshape(batch * steps, 4 * u))
        gxw = None
        if need_xw:  # back to the inputs' time order
            gxw = xp.ascontiguousarray(dz_all[:, ::-1]) if go_backwards else dz_all
        return gxw, grk, (dh if need_h0 else None), (dc if need_c0 else None)
