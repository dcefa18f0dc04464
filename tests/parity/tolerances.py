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


def run_with_gradients(name, fn, arrays):
    """fn(*variables) on backend `name`: its output and the gradients of a weighted sum of it.

    The output weights are non-uniform, so the gradient of every output position is compared.
    """
    from multinn import backend as K

    with K.backend_scope(name):
        variables = [K.variable(a) for a in arrays]
        out = fn(*variables)
        weights = K.constant(np.linspace(0.5, 1.5, int(np.prod(out.shape)), dtype=np.float32).reshape(out.shape))
        grads = K.gradients(K.sum(out * weights), variables)
        return out.numpy(), [None if g is None else g.numpy() for g in grads]


def assert_parity(other, fn, arrays):
    """The same computation on NumPy and on `other`: outputs and gradients agree."""
    ref_out, ref_grads = run_with_gradients("numpy", fn, arrays)
    out, grads = run_with_gradients(other, fn, arrays)
    assert_close(out, ref_out)
    for g, r in zip(grads, ref_grads):
        assert_close(g, r)
