"""The machinery that reads Keras 1 spellings of layer constructors, as Keras 2 did.

Keras 2 accepted calls written for Keras 1 (`Dense(output_dim=64, init='uniform')`,
`Conv2D(32, 3, 3, border_mode='same')`), rewrote them into Keras 2 arguments and warned
once per call with the Keras 2 spelling. Here an `Interface` describes one layer family's
old spellings (keywords to rename, values to translate, a `prepare` step for positional
forms) and `legacy_support(interface)` applies it to a constructor. The tables live beside
their users: the models' (Model, InputLayer, fit, the generator methods) in the engine's
`legacy_interfaces.py`, the layers' in `multinn/layers/legacy_interfaces.py`.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers
import sys
import warnings
from typing import Any, Callable, Mapping

__all__ = ["Call", "Interface", "convert", "legacy_support", "warn_legacy_call", "conflict_error",
           "positional_params", "signature", "is_int"]


def is_int(value: Any) -> bool:
    """Whether `value` is an integer Keras 1 could have meant as a count or size (bools are not).

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclasses.dataclass
class Call:
    """One constructor call being rewritten: positional `args` (without self), `kwargs`, the
    Keras 1 arguments converted so far (`changed`) and remarks for the warning (`notes`)."""

    name: str
    args: list
    kwargs: dict
    params: tuple = ()
    changed: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    owner: str = ""  # the class, when `name` is a method (`Sequential` for fit_generator)

    @property
    def label(self) -> str:
        """What messages call the function: `Dense`, or `Sequential.fit_generator` for a method."""
        return f"{self.owner}.{self.name}" if self.owner else self.name

    def given(self, key: str) -> bool:
        """Whether the Keras 2 argument `key` is already set, by keyword or by position."""
        return key in self.kwargs or key in self.params[: len(self.args)]

    def value_of(self, key: str) -> Any:
        if key in self.kwargs:
            return self.kwargs[key]
        return self.args[self.params.index(key)]

    def replace(self, old_keys: "tuple | list", new_key: str, value: Any) -> None:
        """Drops `old_keys` from the keywords and sets `new_key=value` where the first of them
        stood, so the warning shows the arguments in the order the user wrote them."""
        first = next((k for k in self.kwargs if k in old_keys), None)
        if self.given(new_key):
            old = first or old_keys[0]
            raise conflict_error(self, old, self.kwargs.get(old, value), new_key)
        rebuilt = {}
        for key, val in self.kwargs.items():
            if key == first:
                rebuilt[new_key] = value
            elif key not in old_keys:
                rebuilt[key] = val
        if first is None:
            rebuilt[new_key] = value
        self.kwargs = rebuilt


@dataclasses.dataclass(frozen=True)
class Interface:
    """One layer family's Keras 1 spellings.

    Args:
        renames: (keras1_keyword, keras2_keyword) pairs.
        values: per Keras 1 keyword, Keras 1 values and the Keras 2 values they become
            (e.g. dim_ordering 'tf' -> 'channels_last'); other values pass unchanged.
        prepare: a function of a `Call` that reads positional forms or keywords needing more
            than a rename (e.g. nb_row/nb_col -> kernel_size); it runs before the renames.
        keywords_only: the constructor takes no positional argument (BatchNormalization).
        positional: the names of the positional parameters, for a function declared with
            `*args` (Model's constructor reads (inputs, outputs)); None reads the signature.
        method: the decorated function is a method other than a constructor (`fit_generator`):
            messages name it after the method, with its class (`Sequential.fit_generator`).
    """

    renames: tuple = ()
    values: Mapping = dataclasses.field(default_factory=dict)
    prepare: "Callable[[Call], None] | None" = None
    keywords_only: bool = False
    positional: "tuple | None" = None
    method: bool = False


def conflict_error(call: Call, old: str, old_value: Any, new: str) -> TypeError:
    """The error for a Keras 1 keyword given together with the Keras 2 argument it stands for."""
    new_value = call.value_of(new) if call.given(new) else None
    return TypeError(
        f"{call.label} received both the Keras 1 argument `{old}` and the Keras 2 argument `{new}`, "
        f"which set the same thing; pass only `{new}`. Received: {old}={old_value!r}, {new}={new_value!r}"
    )


def convert(interface: Interface, name: str, params: tuple, args: tuple, kwargs: dict, owner: str = "") -> Call:
    """Rewrites a constructor (or method) call from Keras 1 to Keras 2 arguments.

    Args:
        name: the layer's class name (or the method's name), for messages.
        params: the function's positional parameter names after `self`.
        owner: the class name, when `name` is a method.

    Example:
        >>> table = Interface(renames=(("p", "rate"),))
        >>> call = convert(table, "Dropout", ("rate",), (), {"p": 0.5})
        >>> call.kwargs, call.changed
        ({'rate': 0.5}, ['p'])
    """
    call = Call(name, list(args), dict(kwargs), tuple(params), owner=owner)
    if interface.keywords_only and call.args:
        raise TypeError(
            f"{call.label} takes keyword arguments only (Keras 1 and Keras 2 order its arguments differently). "
            f"Received: positional arguments {tuple(call.args)!r}"
        )
    if interface.prepare is not None:
        interface.prepare(call)
    for old, table in interface.values.items():
        if old in call.kwargs:
            try:
                if call.kwargs[old] in table:
                    call.kwargs[old] = table[call.kwargs[old]]
            except TypeError:  # an unhashable value is not one of the Keras 1 values
                pass
    for old, new in interface.renames:
        if old in call.kwargs:
            call.replace((old,), new, call.kwargs[old])
            call.changed.append(old)
    return call


def _show(value: Any) -> str:
    """A short Python spelling of an argument for the warning."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(_show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_show(k)}: {_show(v)}" for k, v in value.items()) + "}"
    history = getattr(value, "_keras_history", None)
    if history is not None:  # a symbolic tensor: name the layer that made it
        return f"<tensor from {history[0].name!r}>"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return "<array>"
    if hasattr(value, "__name__"):
        return value.__name__
    if hasattr(value, "get_config"):
        try:
            config = value.get_config()
            return f"{type(value).__name__}(" + ", ".join(f"{k}={_show(v)}" for k, v in config.items()) + ")"
        except Exception:  # noqa: BLE001 - the warning must not fail on an odd object
            pass
    return f"{type(value).__name__}(...)"


def signature(name: str, args: list, kwargs: dict) -> str:
    """`name(arg, ..., key=value, ...)` as Python source.

    Example:
        >>> signature("Conv2D", [32, (3, 3)], {"padding": "same"})
        "Conv2D(32, (3, 3), padding='same')"
    """
    parts = [_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()]
    return f"{name}(" + ", ".join(parts) + ")"


def warn_legacy_call(call: Call, written: "str | None" = None) -> None:
    """One UserWarning naming the layer, the Keras 1 arguments and the Keras 2 call.

    Args:
        written: the name the user called when it differs from `call.name` (AtrousConvolution2D).
    """
    olds = ", ".join(f"`{k}`" for k in call.changed)
    if written:
        head = f"{written} is a Keras 1 layer" + (f" and was called with Keras 1 arguments ({olds})" if olds else "")
    else:
        head = f"{call.label} was called with Keras 1 arguments ({olds})"
    message = f"{head}; in the Keras 2 API the call reads `{signature(call.name, call.args, call.kwargs)}`."
    if call.notes:
        message += " " + " ".join(call.notes)
    # Point the warning at the user's line: skip the frames inside multinn (wrappers, super() chains).
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "multinn":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def positional_params(init: Callable) -> tuple:
    """The names of a constructor's positional parameters after `self`.

    Example:
        >>> positional_params(lambda self, units, activation=None, **kwargs: None)
        ('units', 'activation')
    """
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p.name for p in inspect.signature(init).parameters.values() if p.kind in kinds]
    return tuple(params[1:])  # without self


def legacy_support(interface: Interface) -> Callable:
    """Decorator for a layer's `__init__` (or a model method, with `Interface(method=True)`):
    Keras 1 spellings are rewritten (with one warning) before the function runs; Keras 2
    calls pass through untouched.

    Example:
        >>> import warnings
        >>> class Scaled:
        ...     @legacy_support(Interface(renames=(("k", "factor"),)))
        ...     def __init__(self, factor=1.0):
        ...         self.factor = factor
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     Scaled(k=2.0).factor
        2.0
        >>> print(caught[0].message)
        Scaled was called with Keras 1 arguments (`k`); in the Keras 2 API the call reads `Scaled(factor=2.0)`.
    """

    def decorate(init: Callable) -> Callable:
        params = positional_params(init) if interface.positional is None else tuple(interface.positional)

        @functools.wraps(init)
        def wrapper(self, *args: Any, **kwargs: Any) -> Any:
            if interface.method:
                call = convert(interface, init.__name__, params, args, kwargs, owner=type(self).__name__)
            else:
                call = convert(interface, type(self).__name__, params, args, kwargs)
            if call.changed or call.notes:
                warn_legacy_call(call)
            return init(self, *call.args, **call.kwargs)

        wrapper._legacy_interface = interface
        return wrapper

    return decorate
