"""Safe loading: while a model is rebuilt from a file or a JSON/YAML string, code stored in
it (a Lambda's marshalled bytecode, a function looked up in an arbitrary module) is refused
unless the caller passed `safe_mode=False`. Functions given in `custom_objects`, registered
with `get_custom_objects()`, or defined in multinn or in `__main__` stay allowed by name.

Outside a loading call (a layer's own `from_config`, `layers.deserialize`) there is no
policy, as in Keras 2.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

_SAFE_MODE: contextvars.ContextVar = contextvars.ContextVar("multinn_safe_mode", default=None)


class UnsafeCodeError(ValueError):
    """A file or config asked to run stored code while safe mode was on.

    Example:
        >>> isinstance(UnsafeCodeError("refused"), ValueError)
        True
    """


@contextlib.contextmanager
def safe_mode_scope(safe_mode: "bool | None") -> Iterator[None]:
    """Sets the policy for the block: True refuses stored code, False allows it, None leaves
    the enclosing policy as it is.

    Example:
        >>> with safe_mode_scope(True):
        ...     in_safe_mode()
        True
        >>> in_safe_mode() is None
        True
    """
    if safe_mode is None:
        yield
        return
    token = _SAFE_MODE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.reset(token)


def in_safe_mode() -> "bool | None":
    """The policy in force: True, False, or None (no loading call in progress).

    Example:
        >>> in_safe_mode() is None
        True
    """
    return _SAFE_MODE.get()


def refuse_code(what: str) -> None:
    """Raises UnsafeCodeError for `what` when safe mode is on; does nothing otherwise.

    Example:
        >>> refuse_code("a Lambda function")   # no loading call: allowed
        >>> with safe_mode_scope(True):
        ...     refuse_code("a Lambda function")
        Traceback (most recent call last):
        ...
        multinn.utils.safe_mode.UnsafeCodeError: Refused to load a Lambda function: it is Python bytecode stored in the file or config, and running it would run whatever code the file holds. If you trust the source, pass `safe_mode=False` to `load_model` / `model_from_json` / `model_from_config` / `model_from_yaml`; or give the function by name in `custom_objects`.
    """
    if _SAFE_MODE.get():
        raise UnsafeCodeError(
            f"Refused to load {what}: it is Python bytecode stored in the file or config, and running it would run "
            "whatever code the file holds. If you trust the source, pass `safe_mode=False` to `load_model` / "
            "`model_from_json` / `model_from_config` / `model_from_yaml`; or give the function by name in "
            "`custom_objects`."
        )


def module_lookup_allowed(module: "str | None") -> bool:
    """Whether a function named in a config may be taken from `module` under the policy in
    force: always outside safe mode; in safe mode only from multinn and `__main__`.

    Example:
        >>> with safe_mode_scope(True):
        ...     module_lookup_allowed("os"), module_lookup_allowed("multinn.backend")
        (False, True)
    """
    if not _SAFE_MODE.get():
        return True
    return module == "__main__" or module == "multinn" or str(module).startswith("multinn.")


def describe_refused_lookup(name: Any, module: Any) -> str:
    """The message for a function that safe mode will not take from an arbitrary module.

    Example:
        >>> describe_refused_lookup("system", "os")[:48]
        "Refused to load function 'system' of module 'os'"
    """
    return (
        f"Refused to load function {name!r} of module {module!r} named in the config: in safe mode a function is "
        "taken only from `custom_objects`, registered custom objects, multinn or `__main__`. Pass it in "
        "`custom_objects`, or `safe_mode=False` if you trust the source."
    )
