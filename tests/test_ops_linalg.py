"""K.qr: a factorisation x = q r with orthonormal q and upper-triangular r."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import rand


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7)])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_qr_factorises(backend_name, shape, dtype):
    a = rand(*shape).astype(dtype)
    q, r = K.qr(K.constant(a, dtype=dtype))
    k = min(shape)
    assert q.shape == (shape[0], k) and r.shape == (k, shape[1])
    assert K.dtype(q) == dtype and K.dtype(r) == dtype
    qn, rn = q.numpy(), r.numpy()
    tol = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}[dtype]  # float16 is factored in float32
    # reconstruct with an explicit sum of outer products rather than a matrix product
    rebuilt = sum(np.outer(qn[:, i], rn[i]) for i in range(k))
    np.testing.assert_allclose(rebuilt, a, atol=tol * 10)
    np.testing.assert_allclose(qn.T @ qn, np.eye(k), atol=tol * 10)
    assert np.all(np.tril(rn, -1) == 0)


def test_qr_records_no_graph(backend_name):
    v = K.variable(rand(4, 4))
    q, r = K.qr(v)
    assert q.node is None and not q.needs_grad and r.node is None


def test_qr_rejects_vectors(backend_name):
    with pytest.raises(ValueError, match=r"Received: x.shape=\(3,\)"):
        K.qr(K.constant([1.0, 2.0, 3.0]))
