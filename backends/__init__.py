"""Registry of array backends: `get(name)`, `available()`, `register(name, factory)`.

Third-party packages add backends through the entry-point group `multinn.backends`
(the entry point names a zero-argument factory returning an `ArrayBackend`).
"""
from __future__ import annotations

import threading
from typing import Callable

from .base import ArrayBackend

_factories: dict[str, Callable[[], ArrayBackend]] = {}
_probes: dict[str, Callable[[], "str | None"]] = {}
_instances: dict[str, ArrayBackend] = {}
_entry_points_loaded = False
_building = threading.RLock()  # a factory may itself ask for another backend


def register(name: str, factory: Callable[[], ArrayBackend], unusable_reason: Callable[[], "str | None"] | None = None) -> None:
    """Registers a backend under `name`.

    Args:
        name: the name users give to `MULTINN_BACKEND` and `K.backend_scope`.
        factory: zero-argument callable returning the backend instance.
        unusable_reason: optional callable returning why the backend cannot run here
            (None when it can); used by `available()` without building the backend.

    Example:
        >>> import multinn.backends as backends
        >>> from multinn.backends.numpy_backend import NumpyBackend
        >>> class MyBackend(NumpyBackend):
        ...     name = "mine"
        >>> backends.register("mine", MyBackend)
        >>> backends.get("mine").name
        'mine'
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"A backend name must be a non-empty string. Received: name={name!r}")
    _factories[name] = factory
    if unusable_reason is not None:
        _probes[name] = unusable_reason
    _instances.pop(name, None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="multinn.backends"):
        if ep.name not in _factories:
            _factories[ep.name] = ep.load()


def names() -> list[str]:
    """Every registered backend name, usable here or not."""
    _load_entry_points()
    return sorted(_factories)


def unusable_reason(name: str) -> "str | None":
    """Why backend `name` cannot run here, or None when it can."""
    _load_entry_points()
    if name not in _factories:
        return f"Unknown backend {name!r}. Available backends: {', '.join(names())}."
    if name in _instances:
        return None
    probe = _probes.get(name)
    if probe is not None:
        return probe()
    try:
        get(name)
    except Exception as exc:  # a third-party factory may fail any way it likes
        return f"{type(exc).__name__}: {exc}"
    return None


def available() -> list[str]:
    """The registered backends that can run on this machine (CuPy needs a device)."""
    return [name for name in names() if unusable_reason(name) is None]


def get(name: str) -> ArrayBackend:
    """Returns the backend instance named `name`, building it on first use.

    Raises:
        ValueError: for an unknown name, listing the registered ones.
        ImportError / RuntimeError: from the backend when its library or device is missing.
    """
    backend = _instances.get(name)
    if backend is not None:
        return backend
    with _building:  # two threads' first calls must share one instance: K compares backends by identity
        backend = _instances.get(name)
        if backend is not None:
            return backend
        _load_entry_points()
        factory = _factories.get(name)
        if factory is None:
            raise ValueError(f"Unknown backend {name!r}. Available backends: {', '.join(names())}.")
        backend = factory()
        _instances[name] = backend
    return backend


def _numpy_factory() -> ArrayBackend:
    from .numpy_backend import NumpyBackend

    return NumpyBackend()


def _cupy_factory() -> ArrayBackend:
    from .cupy_backend import CupyBackend

    return CupyBackend()


def _cupy_reason() -> "str | None":
    from .cupy_backend import unusable_reason as reason

    return reason()


register("numpy", _numpy_factory)
register("cupy", _cupy_factory, _cupy_reason)
