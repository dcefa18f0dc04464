"""Identifiers and serialization shared by every building block (activations, layers, ...).

`get_object` turns what a user wrote (a name, a class name, a config dict, a callable)
into the object; unknown names raise errors that suggest close matches.
"""
from __future__ import annotations

import base64
import binascii
import difflib
import inspect
import operator
import marshal
import types
from typing import Any, Callable, Iterable, Mapping

from .progbar import Progbar  # noqa: F401  (Keras 2.3.1's import path)

_GLOBAL_CUSTOM_OBJECTS: dict = {}


class CustomObjectScope:
    """Makes user objects known by name to every deserializer inside a `with` block.

    Keras 2's `CustomObjectScope`: the registry is restored when the block ends.

    Args:
        *scopes: dicts of name -> object.

    Example:
        >>> from multinn.utils.generic_utils import CustomObjectScope, get_object
        >>> def twice(x):
        ...     return 2 * x
        >>> with CustomObjectScope({"twice": twice}):
        ...     get_object("twice", {}, kind="activation") is twice
        True
    """

    def __init__(self, *scopes: Mapping[str, Any]):
        self.custom_objects = scopes
        self._saved: "dict | None" = None

    def __enter__(self) -> "CustomObjectScope":
        self._saved = dict(_GLOBAL_CUSTOM_OBJECTS)
        for scope in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(scope)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self._saved or {})


def custom_object_scope(*scopes: Mapping[str, Any]) -> CustomObjectScope:
    """A `CustomObjectScope` over `scopes`, for `with custom_object_scope({...}):`.

    Example:
        >>> from multinn.utils.generic_utils import custom_object_scope, get_object
        >>> def twice(x):
        ...     return 2 * x
        >>> with custom_object_scope({"twice": twice}):
        ...     get_object("twice", {}, kind="activation") is twice
        True
    """
    return CustomObjectScope(*scopes)


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


def as_int(value: Any) -> "int | None":
    """`value` as a Python int when it is an integer (a Python or NumPy integer, anything with
    `__index__`; never a bool), else None. Layer arguments go through it, so
    `pool_size=(np.int64(2), np.int64(2))` is as good as `(2, 2)`.

    Example:
        >>> as_int(3), as_int(2.5), as_int(True)
        (3, None, None)
    """
    # NumPy's bool scalar is named bool_ (NumPy 1) or bool (NumPy 2); NumPy < 2.3 still lets
    # operator.index take it (with a DeprecationWarning), so refuse it by name.
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


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


def deserialize_keras_object(
    identifier: Any,
    module_objects: "Mapping[str, Any] | None" = None,
    custom_objects: "Mapping[str, Any] | None" = None,
    printable_module_name: str = "object",
) -> Any:
    """Keras 2's deserializer: a `{'class_name', 'config'}` dict becomes an instance, a name
    becomes the object it names (a class or function, not called), a callable stays.

    Names are looked up in `custom_objects`, then the global custom objects, then
    `module_objects`. A class whose `from_config` takes `custom_objects` receives them all.

    Example:
        >>> from multinn import regularizers
        >>> r = deserialize_keras_object({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}},
        ...                              vars(regularizers), printable_module_name="regularizer")
        >>> type(r).__name__, r.l1
        ('L1L2', 0.5)
    """
    module_objects = dict(module_objects or {})
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(
                f"A {printable_module_name} config must have 'class_name' and 'config' keys. "
                f"Received: {dict(identifier)!r}"
            )
        custom = dict(custom_objects or {})
        objects = {**module_objects, **_GLOBAL_CUSTOM_OBJECTS, **custom}
        name = identifier["class_name"]
        cls = objects.get(name)
        if cls is None:
            raise unknown(printable_module_name, name, objects)
        config = identifier["config"]
        if not hasattr(cls, "from_config"):
            return cls(**config)
        if has_arg(cls.from_config, "custom_objects"):
            return cls.from_config(config, custom_objects={**_GLOBAL_CUSTOM_OBJECTS, **custom})
        with CustomObjectScope(custom):
            return cls.from_config(config)
    if isinstance(identifier, str):
        objects = {**module_objects, **_GLOBAL_CUSTOM_OBJECTS, **(custom_objects or {})}
        if identifier not in objects:
            raise unknown(printable_module_name, identifier, objects)
        return objects[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")


def check_for_unexpected_keys(name: str, input_dict: Mapping[str, Any], expected_values: Iterable[str]) -> None:
    """Raises ValueError naming the keys of `input_dict` that are not in `expected_values`.

    Example:
        >>> check_for_unexpected_keys("loss", {"out": 1, "outt": 2}, ["out"])
        Traceback (most recent call last):
        ...
        ValueError: Unknown entries in loss dictionary: ['outt']. Only expected following keys: ['out']
    """
    expected = list(expected_values)
    extra = [key for key in input_dict if key not in expected]
    if extra:
        raise ValueError(
            f"Unknown entries in {name} dictionary: {extra}. Only expected following keys: {expected}"
        )


def to_list(x: Any, allow_tuple: bool = False) -> list:
    """`x` as a list: a list stays as it is, a tuple becomes a list when `allow_tuple`, anything
    else is wrapped.

    Example:
        >>> to_list(1), to_list([1, 2]), to_list((1, 2)), to_list((1, 2), allow_tuple=True)
        ([1], [1, 2], [(1, 2)], [1, 2])
    """
    if isinstance(x, list):
        return x
    if allow_tuple and isinstance(x, tuple):
        return list(x)
    return [x]


def unpack_singleton(x: Any) -> Any:
    """The only element of a one-element list, else `x` itself.

    Example:
        >>> unpack_singleton([3]), unpack_singleton([3, 4]), unpack_singleton(3)
        (3, [3, 4], 3)
    """
    if isinstance(x, list) and len(x) == 1:
        return x[0]
    return x


def object_list_uid(object_list: Any) -> str:
    """A string that identifies the objects in `object_list` (by id), as Keras 2 keys its caches.

    Example:
        >>> a, b = object(), object()
        >>> object_list_uid([a, b]) == object_list_uid([a, b]) != object_list_uid([b, a])
        True
    """
    return ", ".join(str(abs(id(x))) for x in to_list(object_list))


def is_all_none(iterable_or_element: Any) -> bool:
    """Whether `iterable_or_element` is None or a list/tuple of Nones only.

    Example:
        >>> is_all_none(None), is_all_none([None, None]), is_all_none([None, 1])
        (True, True, False)
    """
    return all(x is None for x in to_list(iterable_or_element, allow_tuple=True))


def _index_list(index: Any) -> Any:
    # h5py datasets take lists of indices, not arrays of them
    return index.tolist() if hasattr(index, "tolist") else index


def slice_arrays(arrays: Any, start: Any = None, stop: Any = None) -> Any:
    """Rows `start:stop` of an array or of each array in a list (a list is always a list of
    arrays), or the rows at the indices `start` when it is a sequence of indices; None
    entries stay None.

    As in Keras 2, `arrays=None` gives `[None]`.

    Example:
        >>> slice_arrays([[0, 1, 2, 3], None], 1, 3)
        [[1, 2], None]
        >>> slice_arrays([[10, 11, 12]], [2, 0])
        [[12, 10]]
        >>> slice_arrays(None)
        [None]
    """
    if arrays is None:
        return [None]

    def take(array: Any) -> Any:
        if array is None:
            return None
        if hasattr(start, "__len__"):
            index = _index_list(start)
            if isinstance(array, list):
                return [array[i] for i in index]
            return array[index]
        return array[start:stop]

    if isinstance(arrays, list):
        return [take(a) for a in arrays]
    return take(arrays)


def transpose_shape(shape: "tuple | list", target_format: str, spatial_axes: "tuple | list") -> "tuple | list":
    """A `channels_last` shape rearranged for `target_format`: for 'channels_first' the last
    entry moves in front of the spatial axes; 'channels_last' returns `shape` unchanged.

    Example:
        >>> transpose_shape((16, 128, 128, 32), "channels_first", spatial_axes=(1, 2))
        (16, 32, 128, 128)
        >>> transpose_shape([128, 128, 32], "channels_first", spatial_axes=(0, 1))
        [32, 128, 128]
    """
    if target_format == "channels_last":
        return shape
    if target_format != "channels_first":
        raise ValueError(
            "The `target_format` argument must be 'channels_first' or 'channels_last'. "
            f"Received: target_format={target_format!r}"
        )
    values = tuple(shape)
    moved = values[: spatial_axes[0]] + (values[-1],) + tuple(values[axis] for axis in spatial_axes)
    return list(moved) if isinstance(shape, list) else moved


def getargspec(fn: Callable) -> inspect.FullArgSpec:
    """The full argument spec of `fn` (Keras 2's Python 2/3 helper; here `inspect.getfullargspec`).

    Example:
        >>> getargspec(lambda x, y=1: x).args
        ['x', 'y']
    """
    return inspect.getfullargspec(fn)


def func_dump(func: Callable) -> tuple:
    """A Python function as `(code, defaults, closure)`: its bytecode (marshal, base64 text),
    its default values and its closure's cell contents, as Keras 2 stores a Lambda's function.

    Example:
        >>> code, defaults, closure = func_dump(lambda x, y=2: x * y)
        >>> func_load(code, defaults=defaults)(3)
        6
    """
    code = base64.b64encode(marshal.dumps(func.__code__)).decode("ascii")
    closure = tuple(cell.cell_contents for cell in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def _make_cell(value: Any) -> Any:
    return (lambda: value).__closure__[0]


def _code_from_text(code: str) -> types.CodeType:
    try:
        return marshal.loads(base64.b64decode(code.encode("ascii"), validate=False))
    except (UnicodeEncodeError, binascii.Error, ValueError, EOFError, TypeError):
        # files from Keras before 2.1.2 hold the raw marshal bytes as 'raw_unicode_escape' text
        return marshal.loads(code.encode("raw_unicode_escape"))


def func_load(code: Any, defaults: Any = None, closure: Any = None, globs: "dict | None" = None) -> Callable:
    """The function `func_dump` wrote: `code` is its text (or the whole `(code, defaults,
    closure)` tuple); `globs` are the globals it will see (this module's when None).

    This runs code from the serialized text: load only what you trust.

    Example:
        >>> def adder(y):
        ...     return lambda x: x + y
        >>> code, defaults, closure = func_dump(adder(10))
        >>> func_load(code, closure=closure)(1)
        11
    """
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)
    raw = _code_from_text(code)
    cells = tuple(_make_cell(value) for value in closure) if closure is not None else None
    return types.FunctionType(raw, globs if globs is not None else globals(), name=raw.co_name,
                              argdefs=tuple(defaults) if defaults is not None else None, closure=cells)
