"""The strict CuPy stand-in (tests/support/strict_cupy) keeps CuPy's rules where NumPy's differ,
never shadows a real CuPy with a device, and stays out of the installed package.

Each rule is checked against what CuPy's documentation says it does; if a rule stopped
holding, code leaning on NumPy-only behaviour would pass the CuPy half here and fail on a GPU.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import CUPY_MODE

pytestmark = pytest.mark.skipif(CUPY_MODE != "standin", reason=f"the stand-in is not in use here ({CUPY_MODE})")
ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def cp():
    return sys.modules["cupy"]


def test_ndarray_is_its_own_class(cp):
    a = cp.zeros((2, 3), dtype=cp.float32)
    assert type(a) is cp.ndarray and not isinstance(a, np.ndarray)
    assert cp.ndarray.__module__ == "cupy"


@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda a: np.exp(a), lambda a: np.sum(a), lambda a: np.float32(a) * np.ones(2)])
def test_implicit_conversion_to_numpy_raises_cupys_type_error(cp, convert):
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed|Unsupported type"):
        convert(cp.arange(3, dtype=cp.float32))


def test_a_numpy_scalar_operator_computes_on_the_device_as_in_cupy(cp):
    a = cp.ones(2, dtype=cp.float32)
    result = np.float32(2) * a
    assert type(result) is cp.ndarray and result.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("other", [np.ones(3, dtype=np.float32), [1.0, 2.0, 3.0]], ids=["numpy", "list"])
def test_numpy_arrays_and_lists_are_refused_as_operands(cp, other):
    a = cp.ones(3, dtype=cp.float32)
    for op in (lambda: a + other, lambda: other * a, lambda: cp.maximum(a, other), lambda: cp.where(a > 0, a, other)):
        with pytest.raises(TypeError, match="Unsupported type|Implicit conversion"):
            op()
    with pytest.raises(TypeError, match="Unsupported type"):
        a[...] = other


def test_host_data_enters_through_asarray_and_leaves_through_get(cp):
    host = np.arange(4, dtype=np.int32)
    device = cp.asarray(host)
    assert device.dtype == np.int32 and type(device.get()) is np.ndarray
    np.testing.assert_array_equal(cp.asnumpy(device * 2), host * 2)


def test_reductions_and_scalar_indexing_give_0d_arrays(cp):
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    for value in (a.sum(), cp.max(a), a[1, 2], a.argmax(), cp.add.reduce(a, axis=None), (a > 2).any()):
        assert type(value) is cp.ndarray and value.ndim == 0
    assert float(a[1, 2]) == 5.0


def test_out_of_range_integer_array_indices_wrap(cp):
    a = cp.arange(3)
    assert a[cp.asarray([1, 3, -4])].tolist() == [1, 0, 2]  # NumPy raises IndexError here
    a[cp.asarray([4])] = 9
    assert a.tolist() == [0, 9, 2]
    assert cp.take(a, cp.asarray([5]), axis=0).tolist() == [2]


def test_python_bool_where_condition_is_refused(cp):
    with pytest.raises(AttributeError, match="astype"):
        cp.where(True, cp.ones(2), cp.zeros(2))


@pytest.mark.parametrize("dtype", [object, "U3", "float128" if hasattr(np, "float128") else "V8", "datetime64[s]"])
def test_dtypes_cupy_has_no_kernels_for_are_refused(cp, dtype):
    with pytest.raises(TypeError, match="Unsupported dtype"):
        cp.zeros(2, dtype=dtype)


def test_sort_kinds_other_than_stable_are_refused(cp):
    a = cp.asarray([3, 1, 2])
    assert cp.argsort(a, kind="stable").tolist() == [1, 2, 0]
    for call in (lambda: cp.sort(a, kind="quicksort"), lambda: cp.argsort(a, kind="heapsort"), lambda: a.sort(kind="mergesort")):
        with pytest.raises(NotImplementedError, match="kind"):
            call()


def test_ufunc_at_only_for_cupys_scatter_ufuncs(cp):
    a = cp.zeros(3, dtype=cp.float32)
    cp.add.at(a, cp.asarray([0, 0, 2]), cp.asarray([1.0, 2.0, 5.0], dtype=cp.float32))
    assert a.tolist() == [3.0, 0.0, 5.0]
    with pytest.raises(NotImplementedError, match="multiply.at"):
        cp.multiply.at(a, cp.asarray([0]), 2.0)
    with pytest.raises(TypeError, match="int64"):  # CUDA has no signed 64-bit atomicAdd
        cp.add.at(cp.zeros(3, dtype=cp.int64), cp.asarray([0]), 1)
    cp.add.at(a, cp.asarray([4]), 1.0)  # out-of-range indices wrap here too
    assert a.tolist() == [3.0, 1.0, 5.0]


def test_out_must_be_a_device_array(cp):
    a = cp.ones(2, dtype=cp.float32)
    out = cp.empty(2, dtype=cp.float32)
    assert cp.add(a, a, out=out) is out and out.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="cupy.ndarray"):
        cp.add(a, a, out=np.empty(2, dtype=np.float32))


def test_cuda_stubs_answer_detection_and_synchronize(cp):
    assert cp.cuda.runtime.getDeviceCount() == 1
    cp.cuda.get_current_stream().synchronize()
    cp.get_default_memory_pool().free_all_blocks()
    with cp.cuda.Device(0):
        pass
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
        cp.cuda.Device(1)


def _fake_real_cupy(folder: pathlib.Path, devices: int) -> None:
    (folder / "cupy").mkdir()
    (folder / "cupy" / "__init__.py").write_text(
        "import types\nFAKE_REAL = True\n"
        f"cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: {devices}))\n"
    )


@pytest.mark.parametrize("devices, expected", [(1, "gpu"), (0, "standin")])
def test_a_real_cupy_with_a_device_is_never_shadowed(tmp_path, devices, expected):
    _fake_real_cupy(tmp_path, devices)
    code = (
        "import sys; from tests.support.strict_cupy import plugin\n"
        "mode = plugin.choose(); import cupy\n"
        "print(mode, getattr(cupy, 'FAKE_REAL', False), getattr(cupy, '__strict_cupy__', False))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]), "MULTINN_TEST_CUPY": "auto"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    real = expected == "gpu"
    assert run.stdout.split() == [expected, str(real), str(not real)]


def test_the_stand_in_is_not_part_of_the_package():
    setup = (ROOT / "setup.py").read_text()
    assert 'include=["multinn", "multinn.*"]' in setup and 'include=["backends", "backends.*"]' in setup
    sys.path.insert(0, str(ROOT))
    try:
        from setuptools import find_packages

        found = find_packages(str(ROOT), include=["multinn", "multinn.*", "backends", "backends.*"])
    finally:
        sys.path.remove(str(ROOT))
    assert found and not any(name.startswith("tests") or "cupy" in name for name in found)
