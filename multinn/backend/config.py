"""K's settings: floatx, epsilon, image_data_format and the default backend.

The default backend is chosen, in order, by `MULTINN_BACKEND` (numpy, cupy or auto),
then `$MULTINN_HOME/multinn.json` (default `~/.multinn/multinn.json`, with Keras's
keras.json fields), then numpy. `backend_scope(name)` overrides it for a block.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import os
import warnings
from typing import Iterator

from multinn import backends as _registry

_FLOATX_CHOICES = ("float16", "float32", "float64")
_FORMATS = ("channels_last", "channels_first")


def config_path() -> str:
    """The configuration file: `$MULTINN_HOME/multinn.json`, default `~/.multinn/multinn.json`."""
    home = os.environ.get("MULTINN_HOME") or os.path.join(os.path.expanduser("~"), ".multinn")
    return os.path.join(home, "multinn.json")


_warned: set = set()


def _warn_config(path: str, problem: str) -> None:
    """One warning per file and problem, naming the file (the library keeps working on defaults)."""
    if (path, problem) in _warned:
        return
    _warned.add((path, problem))
    warnings.warn(f"multinn configuration file {path}: {problem}", UserWarning, stacklevel=3)


def _read_config_file() -> dict:
    """The file's settings; {} when there is none. A file that exists but cannot be used is
    ignored with a warning naming it, rather than silently."""
    path = config_path()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:  # unreadable, MULTINN_HOME not a folder, not text
        _warn_config(path, f"cannot be read ({exc}); using the default settings.")
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        _warn_config(path, f"is not valid JSON ({exc}); using the default settings. Fix or delete the file.")
        return {}
    if not isinstance(data, dict):
        _warn_config(path, f"holds a JSON {type(data).__name__}, expected an object of settings; using the default settings.")
        return {}
    return data


def _setting(settings: dict, name: str, default, valid, expected: str):
    """Field `name` of the file's `settings` when `valid` accepts it; else the default, with a
    warning when the file set it."""
    if name not in settings:
        return default
    value = settings[name]
    if valid(value):
        return value
    _warn_config(config_path(), f"ignoring {name}={value!r} (expected {expected}); using {default!r}.")
    return default


def _is_positive_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _settings(settings: dict) -> tuple:
    """floatx, epsilon and image_data_format from the file's settings (defaults where unset or invalid)."""
    return (
        _setting(settings, "floatx", "float32", lambda v: v in _FLOATX_CHOICES, f"one of {_FLOATX_CHOICES}"),
        float(_setting(settings, "epsilon", 1e-7, _is_positive_number, "a positive number")),
        _setting(settings, "image_data_format", "channels_last", lambda v: v in _FORMATS, f"one of {_FORMATS}"),
    )


_file = _read_config_file()
_floatx, _epsilon, _image_data_format = _settings(_file)


def _configured_backend() -> tuple:
    """The default backend's name and where it was set (for an error about that name)."""
    if os.environ.get("MULTINN_BACKEND"):
        name, source = os.environ["MULTINN_BACKEND"], "the environment variable MULTINN_BACKEND"
    elif _file.get("backend"):
        name, source = _file["backend"], f"the 'backend' field of {config_path()}"
    else:
        name, source = "numpy", "the default"
    if name == "auto":
        return ("cupy" if _registry.unusable_reason("cupy") is None else "numpy"), source
    return name, source


def _default_from_configuration():
    name, source = _configured_backend()
    if not isinstance(name, str) or name not in _registry.names():
        raise ValueError(
            f"Unknown backend {name!r}, set by {source}. Available backends: {', '.join(_registry.names())}, "
            "or 'auto' (cupy where it can run, else numpy)."
        )
    return _registry.get(name)


# The backends of the `backend_scope` blocks this thread (or asyncio task) is in, innermost
# last; a new thread starts in none.
_scope: contextvars.ContextVar = contextvars.ContextVar("multinn_backend_scope", default=())
_default = None


def default_backend():
    """The ArrayBackend that array-creating K functions use now, in this thread."""
    global _default
    stack = _scope.get()
    if stack:
        return stack[-1]
    if _default is None:
        _default = _default_from_configuration()
    return _default


def prepare_for_training(variables) -> None:
    """Lets the backend of each of `variables` set itself up for training (optimizers call this
    before their first update of a variable). The NumPy backend tunes glibc's malloc here, for
    the whole process; see `help(multinn.backend)`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.config import prepare_for_training
        >>> prepare_for_training([K.variable([1.0])])
    """
    seen: set = set()
    for v in variables:
        b = getattr(v, "backend", None)
        if b is not None and id(b) not in seen:
            seen.add(id(b))
            b.prepare_for_training()


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
    """Makes backend `name` the default inside the block, in this thread (or asyncio task) only.

    Example:
        >>> from multinn import backend as K
        >>> with K.backend_scope("numpy"):
        ...     K.zeros((2,)).backend.name
        'numpy'
    """
    previous = _scope.get()
    _scope.set(previous + (_registry.get(name),))
    try:
        yield
    finally:
        _scope.set(previous)


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
