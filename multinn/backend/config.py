"""K's settings: floatx, epsilon, image_data_format and the default backend.

The default backend is chosen, in order, by `MULTINN_BACKEND` (numpy, cupy or auto),
then `$MULTINN_HOME/multinn.json` (default `~/.multinn/multinn.json`, with Keras's
keras.json fields), then numpy. `backend_scope(name)` overrides it for a block.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Iterator

from multinn import backends as _registry

_FLOATX_CHOICES = ("float16", "float32", "float64")
_FORMATS = ("channels_last", "channels_first")


def config_path() -> str:
    """The configuration file: `$MULTINN_HOME/multinn.json`, default `~/.multinn/multinn.json`."""
    home = os.environ.get("MULTINN_HOME") or os.path.join(os.path.expanduser("~"), ".multinn")
    return os.path.join(home, "multinn.json")


def _read_config_file() -> dict:
    path = config_path()
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_file = _read_config_file()
_floatx = _file.get("floatx", "float32") if _file.get("floatx") in _FLOATX_CHOICES else "float32"
_epsilon = float(_file.get("epsilon", 1e-7)) if isinstance(_file.get("epsilon", 1e-7), (int, float)) else 1e-7
_image_data_format = _file.get("image_data_format", "channels_last")
if _image_data_format not in _FORMATS:
    _image_data_format = "channels_last"


def _configured_backend_name() -> str:
    name = os.environ.get("MULTINN_BACKEND") or _file.get("backend") or "numpy"
    if name == "auto":
        return "cupy" if _registry.unusable_reason("cupy") is None else "numpy"
    return name


class _Scope(threading.local):
    def __init__(self):
        self.stack: list = []


_scope = _Scope()
_default = None


def default_backend():
    """The ArrayBackend that array-creating K functions use now."""
    global _default
    if _scope.stack:
        return _scope.stack[-1]
    if _default is None:
        _default = _registry.get(_configured_backend_name())
    return _default


def backend() -> str:
    """Name of the current default backend ('numpy' or 'cupy').

    Example:
        >>> from multinn import backend as K
        >>> K.backend() in ('numpy', 'cupy')
        True
    """
    return default_backend().name


@contextlib.contextmanager
def backend_scope(name: str) -> Iterator[None]:
    """Makes backend `name` the default inside the block.

    Example:
        >>> from multinn import backend as K
        >>> with K.backend_scope("numpy"):
        ...     K.zeros((2,)).backend.name
        'numpy'
    """
    _scope.stack.append(_registry.get(name))
    try:
        yield
    finally:
        _scope.stack.pop()


def floatx() -> str:
    """The default float type, as a string ('float32' unless set)."""
    return _floatx


def set_floatx(value: str) -> None:
    global _floatx
    value = str(value)
    if value not in _FLOATX_CHOICES:
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of {_FLOATX_CHOICES}. Received: value={value!r}")
    _floatx = value


def epsilon() -> float:
    """The fuzz factor used to avoid division by zero (1e-7 unless set)."""
    return _epsilon


def set_epsilon(value: float) -> None:
    global _epsilon
    _epsilon = float(value)


def image_data_format() -> str:
    """'channels_last' (default) or 'channels_first'."""
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    global _image_data_format
    if data_format not in _FORMATS:
        raise ValueError(f"Unknown data_format: {data_format!r}. Expected one of {_FORMATS}. Received: data_format={data_format!r}")
    _image_data_format = data_format


def normalize_data_format(value: "str | None") -> str:
    if value is None:
        return _image_data_format
    if value not in _FORMATS:
        raise ValueError(f"The `data_format` argument must be one of {_FORMATS}. Received: data_format={value!r}")
    return value
