"""The one tolerance table for comparing a computation across backends.

Keys are float dtypes; uniform random draws must match exactly (Philox is integer math),
so they are compared with `assert_array_equal`, not through this table.
"""
import numpy as np

TOLERANCES = {
    "float16": dict(rtol=1e-2, atol=1e-3),
    "float32": dict(rtol=1e-5, atol=1e-6),
    "float64": dict(rtol=1e-12, atol=1e-13),
    # whole training runs accumulate rounding differences (cuBLAS vs BLAS sum orders)
    "training_float32": dict(rtol=1e-3, atol=1e-5),
}


def assert_close(a, b, kind=None):
    a, b = np.asarray(a), np.asarray(b)
    tol = TOLERANCES[kind or str(a.dtype)]
    np.testing.assert_allclose(a, b, **tol)
