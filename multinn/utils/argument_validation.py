"""The checks layer constructors run on their arguments, written once (and the helper
that hands a constructor's arguments on to its base class by keyword).

A layer that stores a bad size (`Dense(3.7)`, `MaxPooling2D(0)`, `Conv2D(2, 0)`) used to
fail much later, in a shape it could not explain, or not at all and compute the wrong
thing. Each check here takes the value and the argument's name, returns the value in the
form the layer stores (a Python int, a tuple of ints, a float) and otherwise raises a
ValueError whose message ends "Received: name=value".

Integers are read with `as_int`, so NumPy integers pass and bools never do.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Iterable

from multinn.utils.generic_utils import as_int

__all__ = ["check_int", "int_tuple", "optional_sizes", "check_number", "check_rate", "check_choice", "check_axis_list",
           "forwarded_arguments"]


def _describe(minimum: "int | None") -> str:
    if minimum is None:
        return "an int"
    if minimum == 1:
        return "a positive int"
    if minimum == 0:
        return "a non-negative int"
    return f"an int >= {minimum}"


def check_int(value: Any, name: str, *, minimum: "int | None" = 1) -> int:
    """`value` as a Python int, when it is an integer (not a bool, not a float) and at
    least `minimum` (None: any int).

    Example:
        >>> check_int(3, "units"), check_int(0, "padding", minimum=0)
        (3, 0)
        >>> check_int(3.7, "units")
        Traceback (most recent call last):
        ...
        ValueError: The `units` argument must be a positive int. Received: units=3.7
    """
    number = as_int(value)
    if number is None or (minimum is not None and number < minimum):
        raise ValueError(f"The `{name}` argument must be {_describe(minimum)}. Received: {name}={value!r}")
    return number


def int_tuple(value: Any, n: int, name: str, *, minimum: "int | None" = 1) -> tuple:
    """An int, or an iterable of `n` ints, as a tuple of `n` Python ints, each at least
    `minimum` (None: any int). This is what `kernel_size`, `strides`, `pool_size`, ... take.

    Example:
        >>> int_tuple(3, 2, "kernel_size"), int_tuple([1, 2], 2, "strides")
        ((3, 3), (1, 2))
        >>> int_tuple((2, 0), 2, "pool_size")
        Traceback (most recent call last):
        ...
        ValueError: The `pool_size` argument must be a positive int or a tuple of 2 of them. Received: pool_size=(2, 0)
    """
    single = as_int(value)
    if single is not None:
        items: "tuple | None" = (single,) * n
    elif isinstance(value, (str, bytes)):
        items = None
    else:
        try:
            items = tuple(as_int(v) for v in value)
        except TypeError:
            items = None
    if (items is None or len(items) != n or any(v is None for v in items)
            or (minimum is not None and any(v < minimum for v in items))):
        raise ValueError(
            f"The `{name}` argument must be {_describe(minimum)} or a tuple of {n} of them. Received: {name}={value!r}"
        )
    return items


def optional_sizes(value: Any, name: str) -> tuple:
    """A positive int, or an iterable of positive ints and Nones (sizes the input sets), as
    a tuple of Python ints and Nones: what `noise_shape` and `input_length` take.

    Example:
        >>> optional_sizes([None, 1, 4], "noise_shape"), optional_sizes(7, "input_length")
        ((None, 1, 4), (7,))
    """
    if as_int(value) is not None:
        sizes: "tuple | None" = (value,)
    else:
        try:
            sizes = None if isinstance(value, (str, bytes)) else tuple(value)
        except TypeError:
            sizes = None
    if sizes is None or any(d is not None and (as_int(d) is None or as_int(d) < 1) for d in sizes):
        raise ValueError(
            f"The `{name}` argument must be a positive int or a tuple of them, with None for a size the input "
            f"sets. Received: {name}={value!r}"
        )
    return tuple(None if d is None else as_int(d) for d in sizes)


def check_number(value: Any, name: str, *, minimum: "float | None" = None, maximum: "float | None" = None) -> float:
    """`value` as a Python float, when it is a real, finite number (not a bool, not a string)
    between `minimum` and `maximum` (both included; None: no bound).

    Example:
        >>> check_number(0.5, "stddev", minimum=0)
        0.5
        >>> check_number("0.5", "stddev")
        Traceback (most recent call last):
        ...
        ValueError: The `stddev` argument must be a finite number. Received: stddev='0.5'
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"
    number = float(value) if ok else math.nan
    if not math.isfinite(number) or (minimum is not None and number < minimum) or (
            maximum is not None and number > maximum):
        bounds = {(False, False): "", (True, False): f" >= {minimum}", (False, True): f" <= {maximum}",
                  (True, True): f" between {minimum} and {maximum}"}[(minimum is not None, maximum is not None)]
        raise ValueError(f"The `{name}` argument must be a finite number{bounds}. Received: {name}={value!r}")
    return number


def check_rate(value: Any, name: str = "rate") -> float:
    """A dropout fraction as a float. A number outside [0, 1] is clamped into it, as Keras
    2.3.1 does (its own tests build `Dropout(3)`), but with a warning naming it rather than
    silently; what is not a finite number raises.

    Example:
        >>> check_rate(0.25)
        0.25
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     check_rate(1.5, "recurrent_dropout")
        1.0
        >>> print(caught[0].message)
        The `recurrent_dropout` argument is a fraction between 0 and 1, so it is read as 1.0 (as Keras 2 clamps it). Received: recurrent_dropout=1.5
    """
    number = check_number(value, name)
    if 0.0 <= number <= 1.0:
        return number
    clamped = min(1.0, max(0.0, number))
    warnings.warn(f"The `{name}` argument is a fraction between 0 and 1, so it is read as {clamped} (as Keras 2 "
                  f"clamps it). Received: {name}={value!r}", stacklevel=3)
    return clamped


def check_choice(value: Any, name: str, allowed: Iterable) -> Any:
    """The entry of `allowed` that `value` equals (so `np.int64(2)` comes back as 2); a bool
    never matches (True would pass for 1).

    Example:
        >>> check_choice(2, "implementation", (1, 2))
        2
        >>> check_choice(True, "implementation", (1, 2))
        Traceback (most recent call last):
        ...
        ValueError: The `implementation` argument must be one of (1, 2). Received: implementation=True
    """
    allowed = tuple(allowed)
    try:
        found = value in allowed
    except (TypeError, ValueError):  # an array's == has no single truth value
        found = False
    if not found or isinstance(value, bool) or type(value).__name__ == "bool_":
        raise ValueError(f"The `{name}` argument must be one of {allowed}. Received: {name}={value!r}")
    return allowed[allowed.index(value)]


def check_axis_list(value: Any, name: str, *, minimum: "int | None" = None) -> "list | None":
    """None, an int or an iterable of ints, as None or a list of Python ints (each at least
    `minimum`).

    Example:
        >>> check_axis_list(None, "shared_axes"), check_axis_list(1, "shared_axes"), check_axis_list((1, 2), "axes")
        (None, [1], [1, 2])
    """
    if value is None:
        return None
    if as_int(value) is not None:
        return [check_int(value, name, minimum=minimum)]
    try:
        numbers_ = None if isinstance(value, (str, bytes)) else [as_int(v) for v in value]
    except TypeError:
        numbers_ = None
    if numbers_ is not None and all(v is not None and (minimum is None or v >= minimum) for v in numbers_):
        return numbers_
    raise ValueError(f"The `{name}` argument must be {_describe(minimum)} or a list of them. Received: {name}={value!r}")


def forwarded_arguments(frame_locals: dict, exclude: Iterable[str] = ()) -> dict:
    """A constructor's arguments by name, its `**kwargs` merged in, from `locals()` taken
    as the constructor's first statement: what a subclass hands on to its base class by
    keyword, so the two signatures cannot drift apart position by position. Arguments the
    subclass keeps for itself are named in `exclude`.

    Example:
        >>> class Base:
        ...     def __init__(self, rank, filters, strides=1, **kwargs):
        ...         self.seen = dict(rank=rank, filters=filters, strides=strides, **kwargs)
        >>> class Child(Base):
        ...     def __init__(self, filters, strides=2, **kwargs):
        ...         super().__init__(1, **forwarded_arguments(locals()))
        >>> Child(4, name="c").seen
        {'rank': 1, 'filters': 4, 'strides': 2, 'name': 'c'}
    """
    left_out = {"self", "kwargs", "__class__", *exclude}
    arguments = {k: v for k, v in frame_locals.items() if k not in left_out}
    return {**arguments, **frame_locals.get("kwargs", {})}
