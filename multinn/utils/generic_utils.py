"""Identifiers and serialization shared by every building block (activations, layers, ...).

`get_object` turns what a user wrote (a name, a class name, a config dict, a callable)
into the object; unknown names raise errors that suggest close matches.
"""
from __future__ import annotations

import contextlib
import difflib
import inspect
from typing import Any, Callable, Iterable, Iterator, Mapping

_GLOBAL_CUSTOM_OBJECTS: dict = {}


@contextlib.contextmanager
def custom_object_scope(*scopes: Mapping[str, Any]) -> Iterator[None]:
    """Makes user objects known by name to every deserializer inside the block.

    Example:
        >>> from multinn.utils.generic_utils import custom_object_scope, get_object
        >>> def twice(x):
        ...     return 2 * x
        >>> with custom_object_scope({"twice": twice}):
        ...     get_object("twice", {}, kind="activation") is twice
        True
    """
    saved = dict(_GLOBAL_CUSTOM_OBJECTS)
    for scope in scopes:
        _GLOBAL_CUSTOM_OBJECTS.update(scope)
    try:
        yield
    finally:
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(saved)


def get_custom_objects() -> dict:
    """The global registry of user objects (mutable, as in Keras 2)."""
    return _GLOBAL_CUSTOM_OBJECTS


def suggest(name: str, choices: Iterable[str]) -> str:
    """' Did you mean 'x'?' for the closest choices, or ''."""
    matches = difflib.get_close_matches(str(name), sorted(set(choices)), n=3, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def unknown(kind: str, name: str, choices: Iterable[str]) -> ValueError:
    """The error for an unknown identifier, e.g. "Unknown activation 'rleu'. Did you mean 'relu'?"."""
    return ValueError(f"Unknown {kind} {name!r}.{suggest(name, choices)}")


def check_kwargs(kwargs: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """Raises TypeError naming the first unexpected keyword and its close matches.

    Example:
        >>> check_kwargs({"contraint": None}, ["constraint", "name"], "add_weight()")
        Traceback (most recent call last):
        ...
        TypeError: add_weight() got an unexpected keyword argument 'contraint'. Did you mean 'constraint'?
    """
    allowed = set(allowed)
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"{where} got an unexpected keyword argument {key!r}.{suggest(key, allowed)}")


def serialize_keras_object(instance: Any) -> Any:
    """{'class_name': ..., 'config': ...} for objects with get_config; the name for functions."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return instance.__name__
    raise ValueError(f"Cannot serialize {instance!r}: it has neither get_config() nor a __name__.")


def get_object(
    identifier: Any,
    module_objects: Mapping[str, Any],
    kind: str,
    custom_objects: "Mapping[str, Any] | None" = None,
    instantiate: bool = False,
) -> Any:
    """Resolves a name, a {'class_name', 'config'} dict or a callable to an object.

    Args:
        identifier: what the user wrote.
        module_objects: the library's objects of this kind by name.
        kind: a word for error messages ('activation', 'initializer', ...).
        custom_objects: extra user objects by name.
        instantiate: call a class found by name with no arguments (initializers,
            regularizers, constraints, optimizers are objects; activations are functions).
    """
    if identifier is None:
        return None
    objects = {**module_objects, **_GLOBAL_CUSTOM_OBJECTS, **(custom_objects or {})}
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier:
            raise ValueError(f"A {kind} config must have a 'class_name' key. Received: {dict(identifier)!r}")
        name = identifier["class_name"]
        config = dict(identifier.get("config") or {})
        cls = objects.get(name)
        if cls is None:
            raise unknown(kind, name, objects)
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        return cls(**config) if inspect.isclass(cls) else cls
    if isinstance(identifier, str):
        obj = objects.get(identifier)
        if obj is None:
            raise unknown(kind, identifier, objects)
        return obj() if instantiate and inspect.isclass(obj) else obj
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")


def resolve_identifier(
    identifier: Any,
    deserialize: Callable[[Any], Any],
    kind: str,
    argument: str,
    base: "type | None" = None,
    default: Any = None,
) -> Any:
    """What a module's `get(identifier)` returns: `default` for None, `deserialize(identifier)`
    for a name or a config dict, an instance for a subclass of `base`, a callable as it is.

    Args:
        kind: a word for the error message ('activation', 'loss function', ...).
        argument: the argument's name the error message quotes ('activation', 'loss', ...).

    Example:
        >>> resolve_identifier(len, dict, "counter", "counter") is len
        True
        >>> resolve_identifier(None, dict, "counter", "counter", default="none")
        'none'
    """
    if identifier is None:
        return default
    if isinstance(identifier, (str, Mapping)):
        return deserialize(identifier)
    if base is not None and isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()  # a class given for an object, as tf.keras 2 accepts
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret {kind} identifier: expected a name, a config dict or a callable. "
        f"Received: {argument}={identifier!r}"
    )


def callable_name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def has_arg(fn: Callable, name: str, accept_all: bool = False) -> bool:
    """Whether `fn` can be called with the keyword argument `name`.

    Args:
        fn: a callable.
        name: the keyword to look for.
        accept_all: when True, a `**kwargs` parameter counts as accepting `name`.

    Example:
        >>> def f(x, training=None, **kwargs):
        ...     return x
        >>> has_arg(f, "training"), has_arg(f, "mask"), has_arg(f, "mask", accept_all=True)
        (True, False, True)
    """
    parameters = inspect.signature(fn).parameters
    found = parameters.get(name)
    if found is not None:
        return found.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return accept_all and any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
