"""The backends' in-place optimizer kernels against the formulas written out in NumPy (float64)."""
import numpy as np
import pytest

from multinn import backend as K


def _adadelta_reference(p, gs, a, d, lr, rho, eps):
    for g in gs:
        a = rho * a + (1 - rho) * g**2
        u = g * np.sqrt(d + eps) / np.sqrt(a + eps)
        p = p - lr * u
        d = rho * d + (1 - rho) * u**2
    return p, a, d


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-13), ("float32", 2e-6)])
@pytest.mark.parametrize("lr,rho,eps", [(1.0, 0.95, 1e-7), (0.3, 0.9, 1e-4)])
def test_adadelta_update_in_place_matches_the_formula(backend_name, dtype, rtol, lr, rho, eps):
    b = K.default_backend()
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal((33, 17))
    a0 = rng.random((33, 17))
    d0 = rng.random((33, 17)) * 1e-3
    gs = [rng.standard_normal((33, 17)) for _ in range(3)]
    p, a, d = (b.asarray(v.astype(dtype)) for v in (p0, a0, d0))
    for g in gs:
        b.adadelta_update(p, b.asarray(g.astype(dtype)), a, d, lr, rho, eps)
    want = _adadelta_reference(p0.astype(dtype).astype("float64"), [g.astype(dtype).astype("float64") for g in gs],
                               a0.astype(dtype).astype("float64"), d0.astype(dtype).astype("float64"), lr, rho, eps)
    for got, expected in zip((p, a, d), want):
        got = b.to_numpy(got)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-3)
