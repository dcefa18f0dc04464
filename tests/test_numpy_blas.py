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


class _RecordingLimit:
    """A stand-in for OpenBLAS's per-thread thread count that records what matmul asked for."""

    def __init__(self):
        self.current = 2
        self.calls = []

    def single(self):
        previous, self.current = self.current, 1
        self.calls.append("single")
        return previous

    def restore(self, previous):
        self.current = previous
        self.calls.append(("restore", previous))


@pytest.mark.parametrize("a_shape,b_shape,single", [
    ((9, 86528), (86528, 32), True),   # a first conv layer's kernel gradient: tiny output, long reduction
    ((86528,), (86528, 32), True),     # a bias gradient as a matrix-vector product
    ((64, 5000), (5000,), True),
    ((128, 9216), (9216, 128), False),  # a big output: BLAS's threads split it
    ((4, 8), (8, 3), False),            # too little work for OpenBLAS to thread anyway
    ((2, 30, 40), (40, 5), False),      # stacked products: NumPy's own loop
])
def test_matmul_runs_small_outputs_on_one_blas_thread(backend, a_shape, b_shape, single):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    backend._threads = _RecordingLimit()
    out = backend.matmul(a, b)
    np.testing.assert_array_equal(out, np.matmul(a, b))
    assert backend._threads.calls == (["single", ("restore", 2)] if single else [])
    assert backend._threads.current == 2


def test_matmul_restores_the_thread_count_when_the_product_fails(backend):
    backend._threads = _RecordingLimit()
    with pytest.raises(ValueError):
        backend.matmul(np.ones((9, 50000), np.float32), np.ones((40000, 32), np.float32))
    assert backend._threads.current == 2


def test_thread_limit_found_is_restorable():
    limit = numpy_blas.find_thread_limit()
    if limit is None:
        pytest.skip("this NumPy build bundles no OpenBLAS with openblas_set_num_threads_local; matmul is NumPy's")
    previous = limit.single()
    try:
        assert limit.single() == 1  # the second call reports the first one's setting
    finally:
        limit.restore(previous)
    b = NumpyBackend()
    a = np.arange(9 * 40000, dtype=np.float64).reshape(9, 40000) % 7
    c = np.arange(40000 * 3, dtype=np.float64).reshape(40000, 3) % 5
    np.testing.assert_array_equal(b.matmul(a, c), a @ c)


def test_single_thread_products_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MULTINN_BLAS_SMALL_SINGLE", "0")
    assert numpy_blas.find_thread_limit() is None


def test_serial_contexts_overlapping_across_threads_restore_the_count_once_all_are_out():
    import threading

    class ProcessCount:  # OpenBLAS's count is the process's: one value, whoever sets it
        count = 4

        def single(self):
            previous, self.count = self.count, 1
            return previous

        def restore(self, previous):
            self.count = previous

    limit = ProcessCount()
    first, second = numpy_blas.SerialBlas(limit.single, limit.restore), numpy_blas.SerialBlas(limit.single,
                                                                                              limit.restore)
    entered, release = threading.Event(), threading.Event()
    seen = []

    def other():
        with second:
            entered.set()
            release.wait(10)
            seen.append(limit.count)

    thread = threading.Thread(target=other)
    with first:
        thread.start()
        entered.wait(10)
    # the first context has left while the other thread is still inside: still serial
    seen.append(limit.count)
    release.set()
    thread.join()
    assert seen == [1, 1]
    assert limit.count == 4  # and not left at one for good
