"""The CuPy backend: detection (runs everywhere) and device behaviour (needs a GPU, else skips with the reason).

The detection tests replace the `cupy` module with stand-ins, so they exercise the
pure-Python paths of backends/cupy_backend.py whether or not CuPy is installed.
"""
from __future__ import annotations

import gc
import sys
import threading
import types

import numpy as np
import pytest

import multinn.backends as registry
from multinn import backend as K
from multinn.backends import cupy_backend
from multinn.backends.cupy_backend import CupyBackend

HINT = "pip install 'multinn[cuda12]'"


# ------------------------------------------------------------------ detection: no GPU needed
def _fake_cupy(monkeypatch, get_device_count):
    """Installs a stand-in `cupy` whose only device call is `cuda.runtime.getDeviceCount`."""
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    return fake


class _FailingImport:
    """A meta-path finder under which `import cupy` raises `error` (a broken CUDA install)."""

    def __init__(self, error):
        self.error = error

    def find_spec(self, name, path=None, target=None):
        if name == "cupy":
            raise self.error
        return None


def test_missing_cupy_is_reported_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    reason = cupy_backend.unusable_reason()
    assert isinstance(reason, str)
    assert HINT in reason
    assert cupy_backend.device_count() == 0


def test_building_the_backend_without_cupy_raises_import_error_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(ImportError, match=r"multinn\[cuda12\]"):
        CupyBackend()


def test_broken_cupy_import_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_FailingImport(RuntimeError("libcudart.so: cannot open"))] + sys.meta_path)
    reason = cupy_backend.unusable_reason()
    assert "RuntimeError" in reason and "libcudart" in reason
    assert HINT in reason


def test_cupy_without_a_device_is_a_reason(monkeypatch):
    def no_driver():
        raise RuntimeError("cudaErrorNoDevice")

    _fake_cupy(monkeypatch, no_driver)
    assert cupy_backend.device_count() == 0
    reason = cupy_backend.unusable_reason()
    assert reason is not None and "no CUDA device" in reason
    with pytest.raises(RuntimeError, match="needs a CUDA device"):
        CupyBackend()


def test_zero_devices_is_a_reason(monkeypatch):
    _fake_cupy(monkeypatch, lambda: 0)
    assert "no CUDA device" in cupy_backend.unusable_reason()


def test_a_device_probe_that_never_answers_counts_as_no_device(monkeypatch):
    release = threading.Event()
    _fake_cupy(monkeypatch, lambda: release.wait() and 1)
    try:
        assert cupy_backend.device_count(timeout=0.05) == 0
    finally:
        release.set()  # let the abandoned probe thread finish


def test_the_probe_timeout_is_configurable_and_named_when_it_was_the_cause(monkeypatch):
    release = threading.Event()
    _fake_cupy(monkeypatch, lambda: release.wait() and 1)
    monkeypatch.setenv("MULTINN_CUDA_PROBE_TIMEOUT", "0.05")
    try:
        assert cupy_backend.probe_timeout() == 0.05
        reason = cupy_backend.unusable_reason()
        assert "within 0.05 s" in reason and "timed out" in reason and "MULTINN_CUDA_PROBE_TIMEOUT" in reason
        with pytest.raises(RuntimeError, match="MULTINN_CUDA_PROBE_TIMEOUT"):
            CupyBackend()
        assert cupy_backend.probe_devices().timed_out  # the stuck probe is waited on, not restarted
    finally:
        release.set()
    assert cupy_backend.probe_devices() == cupy_backend.DeviceProbe(1, False, 0.05, None)


def test_a_probe_that_answers_late_but_in_time_counts(monkeypatch):
    def slow():
        threading.Event().wait(0.1)
        return 1

    _fake_cupy(monkeypatch, slow)
    monkeypatch.setenv("MULTINN_CUDA_PROBE_TIMEOUT", "5")
    assert cupy_backend.unusable_reason() is None


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf"])
def test_a_bad_probe_timeout_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("MULTINN_CUDA_PROBE_TIMEOUT", value)
    with pytest.raises(ValueError, match=f"MULTINN_CUDA_PROBE_TIMEOUT={value!r}"):
        cupy_backend.probe_timeout()


def test_no_device_reason_says_what_cuda_answered(monkeypatch):
    def no_driver():
        raise RuntimeError("cudaErrorInsufficientDriver")

    _fake_cupy(monkeypatch, no_driver)
    reason = cupy_backend.unusable_reason()
    assert "cudaErrorInsufficientDriver" in reason and "timed out" not in reason


def test_a_device_answering_makes_the_backend_usable_as_far_as_detection_goes(monkeypatch):
    _fake_cupy(monkeypatch, lambda: 2)
    assert cupy_backend.device_count() == 2
    assert cupy_backend.unusable_reason() is None


def test_registry_detection_never_raises_and_agrees_with_available():
    reason = registry.unusable_reason("cupy")
    assert reason is None or isinstance(reason, str)
    assert ("cupy" in registry.available()) == (reason is None)
    assert "numpy" in registry.available()


# ------------------------------------------------------------------ promotion: every backend
@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2), np.bool_(True)])
def test_numpy_scalars_beside_a_tensor_are_weak_like_python_numbers(backend_name, scalar):
    # NumPy 2 would promote float32 with np.float64/np.int64 to float64; CuPy 13 would not.
    t = K.constant([1.0, 3.0])
    for out in (t * scalar, scalar * t, K.maximum(t, scalar), K.where(K.greater(t, 2.0), t, scalar)):
        assert out.dtype == np.float32
    np.testing.assert_allclose((t * scalar).numpy(), np.array([1.0, 3.0]) * float(scalar))
    assert (K.cast(t, "int32") + np.int64(1)).dtype == np.int32
    assert registry.get(backend_name).python_scalar(np.ones(1)) is None


# ------------------------------------------------------------------ device behaviour: needs a GPU
_REASON = registry.unusable_reason("cupy")
_unusable = pytest.mark.skipif(_REASON is not None, reason=f"backend 'cupy' unusable here: {_REASON}")


def gpu(test):
    """A device-behaviour test: skipped where CuPy cannot run, counted with the CuPy half."""
    return pytest.mark.usefixtures("cupy_half")(_unusable(test))


@pytest.fixture
def cp():
    """The CuPy backend instance (its `xp` is the cupy module)."""
    return registry.get("cupy")


@gpu
def test_owns_claims_device_arrays_only(cp):
    assert cp.owns(cp.xp.zeros(3))
    assert not cp.owns(np.zeros(3))
    assert not cp.owns([1.0, 2.0])
    assert not cp.owns(1.0)
    assert not registry.get("numpy").owns(cp.xp.zeros(3))


@gpu
def test_to_numpy_copies_to_the_host(cp):
    device = cp.xp.arange(6, dtype="float32").reshape(2, 3)
    host = cp.to_numpy(device)
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, np.arange(6, dtype=np.float32).reshape(2, 3))
    host[0, 0] = 99.0
    assert float(device[0, 0]) == 0.0  # a copy, not a view of device memory


@gpu
def test_asarray_moves_host_data_to_the_device_keeping_its_dtype(cp):
    for host in (np.arange(4, dtype=np.int32), np.ones((2, 2), dtype=np.float64), np.array([True, False])):
        device = cp.asarray(host)
        assert cp.owns(device)
        assert device.dtype == host.dtype
        np.testing.assert_array_equal(cp.to_numpy(device), host)
    assert cp.asarray([1.0, 2.0], dtype="float32").dtype == np.float32


@gpu
def test_synchronize_and_free_memory(cp):
    x = cp.xp.ones((1024, 1024), dtype="float32")
    y = x @ x
    assert cp.synchronize() is None
    del x, y
    gc.collect()  # arrays of earlier tests freed later would refill the pool
    assert cp.free_memory() is None
    assert cp.xp.get_default_memory_pool().free_bytes() == 0


@gpu
def test_bytes_round_trip_on_the_device(cp):
    t = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    back = cp.from_bytes(cp.to_bytes(cp.asarray(t)), "float32", (2, 3))
    assert cp.owns(back)
    np.testing.assert_array_equal(cp.to_numpy(back), t)


def _mlp_step(x, y, w1, b1, w2, indices):
    """A small network's loss and gradients, touching the ops a training step uses."""
    variables = [K.variable(a) for a in (x, w1, b1, w2)]
    xt = K.gather(variables[0], indices)  # fancy-index gather: its gradient scatter-adds (ufunc.at)
    h = K.relu(K.bias_add(K.dot(xt, variables[1]), variables[2]))
    h = K.where(True, h, 0.0) + K.erf(h) * 0.1  # a Python-bool condition beside tensors
    p = K.softmax(K.dot(h, variables[3]))
    loss = K.mean(K.sparse_categorical_crossentropy(K.constant(y, dtype="int32"), p))
    grads = K.gradients(loss, variables)
    return [loss.numpy()] + [g.numpy() for g in grads]


@gpu
def test_a_training_step_on_cupy_equals_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    arrays = (rng.normal(size=(4, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32),
              rng.normal(size=(5, 3)).astype(np.float32))
    y = np.array([0, 2, 1, 1, 0, 2])
    indices = np.array([5, 0, 0, 3, 2, 1])  # a repeated row
    with K.backend_scope("numpy"):
        expected = _mlp_step(x, y, *arrays, indices)
    with K.backend_scope("cupy"):
        got = _mlp_step(x, y, *arrays, indices)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@gpu
def test_repeated_indices_accumulate_gradients_on_cupy():
    with K.backend_scope("cupy"):
        v = K.variable([1.0, 2.0, 3.0])
        g = K.gradients(K.sum(K.gather(v, [0, 0, 2, 0])), [v])[0]
        np.testing.assert_array_equal(g.numpy(), [3.0, 0.0, 1.0])


@gpu
def test_sparse_targets_out_of_range_raise_on_cupy_too():
    with K.backend_scope("cupy"):
        with pytest.raises(ValueError, match="target classes must lie in"):
            K.sparse_categorical_crossentropy(K.constant([0, 3], dtype="int32"), K.constant([[0.5, 0.5], [0.1, 0.9]]))


@gpu
def test_tensors_on_cupy_convert_to_host_values():
    with K.backend_scope("cupy"):
        t = K.constant([[1.0, 2.0], [3.0, 4.0]])
        assert t.backend.name == "cupy"
        np.testing.assert_array_equal(np.asarray(t), [[1.0, 2.0], [3.0, 4.0]])
        assert float(K.sum(t)) == 10.0
        v = K.variable(np.zeros((2, 2), dtype=np.float32))
        v.assign(np.ones((2, 2)))  # host data into a device variable
        np.testing.assert_array_equal(K.get_value(v), np.ones((2, 2)))
        q, r = K.qr(t)
        np.testing.assert_allclose(K.eval(K.dot(q, r)), [[1.0, 2.0], [3.0, 4.0]], rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-6), ("float64", 1e-13), ("float16", 1e-3)])
def test_erf_on_cupy_matches_the_generic_series(cp, dtype, tol):
    x = np.linspace(-5, 5, 101).astype(dtype)
    expected = registry.get("numpy").erf(x)
    got = cp.to_numpy(cp.erf(cp.asarray(x)))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
