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


# ---------------------------------------------------------------- a configuration that cannot be used
def test_truncated_config_file_warns_once_at_import_naming_it(tmp_path):
    path = tmp_path / "multinn.json"
    path.write_text('{"floatx": "float64", "epsi')
    env = {k: v for k, v in os.environ.items() if k != "MULTINN_BACKEND"}
    env["MULTINN_HOME"] = str(tmp_path)
    code = "from multinn import backend as K; K.zeros(1); print(K.floatx(), K.epsilon())"
    # -W always: a repeated warning would show, so a single line means the library warned once.
    r = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, env=env)
    assert r.stdout.split() == ["float32", "1e-07"], r.stderr
    lines = [line for line in r.stderr.splitlines() if str(path) in line]
    assert len(lines) == 1 and "is not valid JSON" in lines[0], r.stderr


@pytest.fixture
def config_module(monkeypatch, tmp_path):
    """multinn's configuration module reading $MULTINN_HOME=tmp_path, with its warnings not yet given."""
    from multinn.backend import config

    monkeypatch.setenv("MULTINN_HOME", str(tmp_path))
    monkeypatch.delenv("MULTINN_BACKEND", raising=False)
    monkeypatch.setattr(config, "_warned", set())
    return config


def _read_warning_once(config) -> tuple:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = config._read_config_file()
        again = config._read_config_file()
    assert settings == again
    return settings, [str(w.message) for w in caught]


@pytest.mark.parametrize("content, problem", [
    (b'{"floatx": "float64", "epsi', "is not valid JSON"),
    (b"[1, 2]", "holds a JSON list"),
    (b"\xff\xfe{}", "cannot be read"),
])
def test_unusable_config_file_warns_once_naming_it(config_module, tmp_path, content, problem):
    path = tmp_path / "multinn.json"
    path.write_bytes(content)
    settings, messages = _read_warning_once(config_module)
    assert settings == {}
    assert len(messages) == 1 and str(path) in messages[0] and problem in messages[0], messages


def test_multinn_home_that_is_no_folder_warns_naming_the_file(config_module, tmp_path, monkeypatch):
    home = tmp_path / "not_a_folder"
    home.write_text("")
    monkeypatch.setenv("MULTINN_HOME", str(home))
    settings, messages = _read_warning_once(config_module)
    assert settings == {}
    assert len(messages) == 1 and str(home / "multinn.json") in messages[0] and "cannot be read" in messages[0]


def test_missing_config_file_is_no_warning(config_module):
    assert _read_warning_once(config_module) == ({}, [])


def test_invalid_config_field_warns_naming_file_and_field(config_module, tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = config_module._settings({"floatx": "float8", "epsilon": "small", "image_data_format": "channels_first"})
    assert values == ("float32", 1e-7, "channels_first")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and all(str(tmp_path / "multinn.json") in m for m in messages), messages
    assert "floatx='float8'" in messages[0] and "epsilon='small'" in messages[1]


def test_unknown_backend_names_the_environment_variable(config_module, monkeypatch):
    monkeypatch.setenv("MULTINN_BACKEND", "theano")
    with pytest.raises(ValueError, match="Unknown backend 'theano', set by the environment variable MULTINN_BACKEND"):
        config_module._default_from_configuration()


def test_unknown_backend_names_the_config_file(config_module, tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "_file", {"backend": "tensorflow"})
    with pytest.raises(ValueError) as info:
        config_module._default_from_configuration()
    text = str(info.value)
    assert f"Unknown backend 'tensorflow', set by the 'backend' field of {tmp_path / 'multinn.json'}" in text
    assert "numpy" in text


def test_unwritable_cache_folder_warns_once_and_falls_back(tmp_path, monkeypatch):
    import tempfile
    import warnings

    from multinn.utils import get_file

    home = tmp_path / "home_is_a_file"
    home.write_text("")
    monkeypatch.setenv("MULTINN_HOME", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    source = tmp_path / "data.txt"
    source.write_text("payload")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = get_file("data.txt", source.as_uri())
        second = get_file("data.txt", source.as_uri())
    assert first == second == str(tmp_path / "tmp" / ".multinn" / "datasets" / "data.txt")
    assert open(first).read() == "payload"
    messages = [str(w.message) for w in caught if "cache folder" in str(w.message)]
    assert len(messages) == 1 and str(home / "datasets") in messages[0], messages
