"""Configuration: MULTINN_BACKEND, multinn.json, floatx/epsilon/image_data_format, errors."""
import json
import os
import subprocess
import sys

import pytest

import multinn.backends as registry
from multinn import backend as K
from tests.conftest import CUPY_MODE

_WHERE = {"gpu": "a GPU", "standin": "the CPU stand-in (CuPy API conformance)", "off": "nothing"}


def _run(code, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full)


def test_env_var_picks_backend(tmp_path):
    r = _run("from multinn import backend as K; print(K.backend())", MULTINN_BACKEND="numpy", MULTINN_HOME=str(tmp_path))
    assert r.stdout.strip() == "numpy", r.stderr


def test_config_file_fields(tmp_path):
    (tmp_path / "multinn.json").write_text(
        json.dumps({"backend": "numpy", "floatx": "float64", "epsilon": 1e-5, "image_data_format": "channels_first"})
    )
    env = {k: v for k, v in os.environ.items() if k != "MULTINN_BACKEND"}
    env["MULTINN_HOME"] = str(tmp_path)
    r = subprocess.run(
        [sys.executable, "-c", "from multinn import backend as K; print(K.backend(), K.floatx(), K.epsilon(), K.image_data_format())"],
        capture_output=True, text=True, env=env,
    )
    assert r.stdout.split() == ["numpy", "float64", "1e-05", "channels_first"], r.stderr


def test_unknown_backend_lists_available(tmp_path):
    r = _run("from multinn import backend as K; K.zeros(1)", MULTINN_BACKEND="tensorflow", MULTINN_HOME=str(tmp_path))
    assert "Unknown backend 'tensorflow'" in r.stderr and "numpy" in r.stderr


def test_cupy_request_names_the_problem():
    reason = registry.unusable_reason("cupy")
    if reason is None:
        pytest.skip(f"applies only where CuPy cannot run; here CuPy runs on {_WHERE[CUPY_MODE]}")
    with pytest.raises((ImportError, RuntimeError)) as info:
        with K.backend_scope("cupy"):
            pass
    text = str(info.value)
    assert "pip install 'multinn[cuda12]'" in text or "no CUDA device" in text or "none answers" in text


def test_auto_falls_back_to_numpy_without_device(tmp_path):
    if registry.unusable_reason("cupy") is None:
        pytest.skip(f"applies only where CuPy cannot run; here auto picks cupy, on {_WHERE[CUPY_MODE]}")
    r = _run("from multinn import backend as K; print(K.backend())", MULTINN_BACKEND="auto", MULTINN_HOME=str(tmp_path))
    assert r.stdout.strip() == "numpy", r.stderr


def test_setters_validate():
    with pytest.raises(ValueError, match="Received: value='float8'"):
        K.set_floatx("float8")
    with pytest.raises(ValueError, match="channels_middle"):
        K.set_image_data_format("channels_middle")
    old = K.epsilon()
    K.set_epsilon(1e-4)
    assert K.epsilon() == 1e-4
    K.set_epsilon(old)


def test_register_and_entry_point_style_backend():
    from multinn.backends.numpy_backend import NumpyBackend

    class Mine(NumpyBackend):
        name = "mine"

    registry.register("mine", Mine)
    assert "mine" in registry.available()
    with K.backend_scope("mine"):
        assert K.backend() == "mine"
        assert K.zeros((2,)).backend.name == "mine"


def test_backends_importable_from_another_directory(tmp_path):
    r = subprocess.run(
        [sys.executable, "-c", "import multinn.backends as b; print(b.available())"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert "numpy" in r.stdout, r.stderr
