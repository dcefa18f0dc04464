"""backends/numpy_blas_spin.py: the bundled OpenBLAS's idle threads spin briefly once the
NumPy backend's chunk pool starts, and products stay right afterwards."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from multinn.backends import numpy_blas, numpy_blas_spin
from multinn.backends.numpy_threads import ChunkPool


def test_the_exponent_comes_from_multinn_blas_spin(monkeypatch):
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    monkeypatch.delenv("MULTINN_BLAS_SPIN", raising=False)
    assert numpy_blas_spin.spin_exponent() == numpy_blas_spin.DEFAULT_EXPONENT == 16
    monkeypatch.setenv("MULTINN_BLAS_SPIN", "20")
    assert numpy_blas_spin.spin_exponent() == 20
    monkeypatch.setenv("MULTINN_BLAS_SPIN", "99")
    assert numpy_blas_spin.spin_exponent() == 30  # OpenBLAS's own bounds
    monkeypatch.setenv("MULTINN_BLAS_SPIN", "0")
    assert numpy_blas_spin.spin_exponent() is None
    monkeypatch.setenv("MULTINN_BLAS_SPIN", "fast")
    with pytest.raises(ValueError, match=r"MULTINN_BLAS_SPIN must be an integer.*Received: MULTINN_BLAS_SPIN='fast'"):
        numpy_blas_spin.spin_exponent()


def test_a_users_own_openblas_setting_is_left_alone(monkeypatch):
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "25")
    monkeypatch.setenv("MULTINN_BLAS_SPIN", "12")
    assert numpy_blas_spin.spin_exponent() is None
    assert numpy_blas_spin.shorten_spin() is False


def _timeout_entry():
    lib = numpy_blas._openblas_unless("MULTINN_BLAS_SPIN")
    entry = getattr(lib, "openblas_thread_timeout", None) if lib is not None else None
    if entry is None or getattr(lib, "blas_thread_shutdown_", None) is None:
        pytest.skip("this NumPy build bundles no OpenBLAS with openblas_thread_timeout and blas_thread_shutdown_")
    entry.restype = ctypes.c_int
    return entry


def test_the_real_library_takes_the_exponent_and_products_stay_right(monkeypatch):
    timeout = _timeout_entry()
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    before = timeout()
    try:
        for exponent in ("12", "17"):
            monkeypatch.setenv("MULTINN_BLAS_SPIN", exponent)
            assert numpy_blas_spin.shorten_spin() is True
            assert timeout() == int(exponent)
            import os

            assert "OPENBLAS_THREAD_TIMEOUT" not in os.environ  # read once, not left behind
            # the threads OpenBLAS stopped start again for the next shared product
            rng = np.random.default_rng(int(exponent))
            a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 250))
            np.testing.assert_allclose(a @ b, np.einsum("ik,kj->ij", a, b), rtol=1e-10, atol=1e-10)
    finally:
        monkeypatch.setenv("MULTINN_BLAS_SPIN", str(before if before > 0 else numpy_blas_spin.DEFAULT_EXPONENT))
        numpy_blas_spin.shorten_spin()


class _Limit:
    def single(self):
        return 2

    def restore(self, previous):
        pass


def test_the_pool_runs_its_start_hook_once_before_its_workers_start():
    calls = []
    pool = ChunkPool(_Limit(), on_start=lambda: calls.append("start"))
    assert pool.map(lambda i: i, [5]) == [5]  # one item runs inline: no workers, no hook
    assert calls == []
    assert pool.map(lambda i: i + 1, range(4)) == [1, 2, 3, 4]
    assert pool.map(lambda i: i + 2, range(4)) == [2, 3, 4, 5]
    assert calls == ["start"]


def test_the_numpy_backend_shortens_the_spin_when_its_pool_starts(monkeypatch):
    from multinn.backends import numpy_backend

    calls = []
    monkeypatch.setattr(numpy_backend, "shorten_spin", lambda: calls.append(1))
    backend = numpy_backend.NumpyBackend()
    if backend.chunk_pool.workers == 1:
        pytest.skip("one BLAS thread here: the pool has no workers to start")
    backend.chunk_pool.map(lambda i: i, range(3))
    assert calls == [1]
