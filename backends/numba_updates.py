"""Adam's and Adadelta's updates as one compiled pass each (imported through numba_steps,
where numba is installed).

The generic updates (optimizer_kernels.py) make a dozen or more NumPy passes over a weight
and its state; an embedding's 320 K entries take a millisecond that way, on one core. Here
each entry is read once and written once. The arithmetic is the generic one, operation for
operation in the array's dtype (no fused multiply-add: the function is compiled without
fastmath), so the results are the same to the bit.
"""
from __future__ import annotations

import numba
import numpy

jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@jit
def adam_pass(p, g, m, v, vhat, lr_t, one_minus_b1, b1, one_minus_b2, b2, epsilon, keep, amsgrad, decayed):
    """OptimizerKernels.adam_update over flat arrays of one dtype; the scalars arrive in that
    dtype (`keep` = 1 - decay, applied first where `decayed`; `vhat` read where `amsgrad`)."""
    for i in range(p.shape[0]):
        if decayed:
            p[i] = p[i] * keep
        gi = g[i]
        mi = m[i] * b1 + gi * one_minus_b1
        vi = v[i] * b2 + (gi * gi) * one_minus_b2
        m[i] = mi
        v[i] = vi
        if amsgrad:
            h = vhat[i]
            vi = h if h > vi or h != h else vi  # numpy.maximum: a NaN on either side wins
            vhat[i] = vi
        p[i] = p[i] - (mi / (numpy.sqrt(vi) + epsilon)) * lr_t


@jit
def adadelta_pass(p, g, a, d, lr, rho, one_minus_rho, epsilon, scaled):
    """OptimizerKernels.adadelta_update over flat arrays of one dtype, the scalars in that
    dtype; `scaled` where lr != 1 (the generic update skips the product at 1)."""
    for i in range(p.shape[0]):
        gi = g[i]
        ai = a[i] * rho + (gi * gi) * one_minus_rho
        a[i] = ai
        u = numpy.sqrt((d[i] + epsilon) / (ai + epsilon)) * gi
        p[i] = p[i] - (u * lr if scaled else u)
        d[i] = d[i] * rho + (u * u) * one_minus_rho
