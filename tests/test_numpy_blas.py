"""The NumPy backend's plain-SGD update through BLAS axpy: the same result as `p -= lr * g`."""
import numpy as np
import pytest

from multinn.backends import numpy_blas
from multinn.backends.numpy_backend import NumpyBackend


@pytest.fixture
def backend():
    return NumpyBackend()


def _reference(p, g, lr):
    out = p.copy()
    out -= p.dtype.type(lr) * g
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(784, 512), (10,), (3, 4, 4096)])
def test_sgd_update_matches_numpy(backend, dtype, shape):
    rng = np.random.default_rng(0)
    p = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    expected = _reference(p, g, 0.01)
    backend.sgd_update(p, g, 0.01)
    # axpy may fuse the multiply-add (one rounding instead of two): within an ulp or two
    np.testing.assert_allclose(p, expected, rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


def test_sgd_update_takes_the_generic_path_where_axpy_does_not_apply(backend):
    rng = np.random.default_rng(1)
    p = rng.standard_normal((128, 256)).astype(np.float32)
    g_strided = rng.standard_normal((128, 512)).astype(np.float32)[:, ::2]  # not contiguous
    expected = _reference(p, g_strided, 0.5)
    backend.sgd_update(p, g_strided, 0.5)
    np.testing.assert_array_equal(p, expected)
    g16 = rng.standard_normal((128, 256)).astype(np.float16)
    p16 = g16.copy() * 2
    expected16 = _reference(p16, g16, 0.5)
    backend.sgd_update(p16, g16, 0.5)
    np.testing.assert_array_equal(p16, expected16)


def test_sgd_update_without_blas_is_the_numpy_expression(backend):
    backend._axpy = None
    rng = np.random.default_rng(2)
    p = rng.standard_normal((784, 512)).astype(np.float32)
    g = rng.standard_normal((784, 512)).astype(np.float32)
    expected = _reference(p, g, 0.01)
    backend.sgd_update(p, g, 0.01)
    np.testing.assert_array_equal(p, expected)


def test_axpy_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MULTINN_BLAS_AXPY", "0")
    assert numpy_blas.find_axpy() is None


def test_axpy_found_computes_y_plus_a_x():
    axpy = numpy_blas.find_axpy()
    if axpy is None:
        pytest.skip("this NumPy build bundles no OpenBLAS with axpy symbols; the NumPy expression is used")
    x = np.arange(5000, dtype=np.float64)
    y = np.ones(5000)
    axpy[y.dtype].axpy(y.size, 2.0, x.ctypes.data, y.ctypes.data)
    np.testing.assert_array_equal(y, 1 + 2 * np.arange(5000))
    axpy[y.dtype].scal(y.size, 0.5, y.ctypes.data)
    np.testing.assert_array_equal(y, 0.5 + np.arange(5000))


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_momentum_update_matches_the_generic_one(backend, nesterov, dtype):
    from multinn.backends.base import ArrayBackend

    rng = np.random.default_rng(3)
    p = rng.standard_normal((300, 50)).astype(dtype)
    g = rng.standard_normal((300, 50)).astype(dtype)
    m = rng.standard_normal((300, 50)).astype(dtype)
    p_ref, m_ref = p.copy(), m.copy()
    ArrayBackend.sgd_update(backend, p_ref, g, 0.1, 0.9, nesterov, m_ref)  # the generic formula
    backend.sgd_update(p, g, 0.1, 0.9, nesterov, m)
    tol = 8 * np.finfo(dtype).eps
    np.testing.assert_allclose(m, m_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(p, p_ref, rtol=tol, atol=tol)
