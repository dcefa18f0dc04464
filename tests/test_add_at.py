"""ArrayBackend.add_at (out[index] += values, repeats accumulating): the NumPy backend's flat
fast path against numpy.add.at, bit for bit, and through K (an embedding's gradient)."""
import numpy as np
import pytest

from multinn import backend as K
from multinn.backends.numpy_backend import NumpyBackend


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("out_shape, index_shape", [((50, 8), (30,)), ((20, 3, 4), (6, 5)), ((9, 2), (4, 4, 2))])
def test_numpy_add_at_rows_equals_numpy_to_the_bit(out_shape, index_shape, dtype, compiled, monkeypatch):
    from multinn.backends import numpy_backend

    if not compiled:  # the flat numpy.add.at path, where numba does not serve
        monkeypatch.setattr(numpy_backend, "kernels", lambda: None)
    else:
        assert numpy_backend.kernels() is not None, "numba is a dependency: the compiled loop must load"
    rng = np.random.default_rng(0)
    index = rng.integers(-out_shape[0], out_shape[0], index_shape)  # negatives and repeats
    values = rng.normal(size=index_shape + out_shape[1:]).astype(dtype)
    start = rng.normal(size=out_shape).astype(dtype)
    got, want = start.copy(), start.copy()
    NumpyBackend().add_at(got, index, values)
    np.add.at(want, index, values)
    assert np.array_equal(got, want)


def test_numpy_add_at_out_of_range_rows_raise():
    b = NumpyBackend()
    for bad in (5, -6):
        with pytest.raises(IndexError):
            b.add_at(np.zeros((5, 2), np.float32), np.array([0, bad]), np.ones((2, 2), np.float32))


def test_embedding_style_gather_gradient_sums_repeated_rows(backend_name):
    with K.backend_scope(backend_name):
        table = K.variable(np.arange(12, dtype=np.float32).reshape(4, 3))
        ids = np.array([[3, 1, 3], [0, 3, 1]])
        weights = np.random.default_rng(1).normal(size=(2, 3, 3)).astype(np.float32)
        loss = K.sum(table[ids] * K.constant(weights))
        grad = K.gradients(loss, [table])[0].numpy()
    want = np.zeros((4, 3), np.float64)
    for (i, j), row in np.ndenumerate(ids):
        want[row] += weights[i, j]
    np.testing.assert_allclose(grad, want, rtol=1e-6, atol=1e-6)
