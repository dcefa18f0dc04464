"""Checks of the loop arguments of fit / evaluate / predict and their generator versions.

They run where the user's call enters the engine, so a bad value is named as the user
wrote it ("... Received: batch_size=0") instead of surfacing later as a Python error
from deep inside a loop, a silent no-op, or a loop that never ends.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Any

# name: (smallest valid value, whether None is valid, whether True/False are valid)
_INTEGER_ARGUMENTS = {
    "batch_size": (1, True, False),
    "epochs": (0, False, False),
    "initial_epoch": (0, False, False),
    "steps_per_epoch": (1, True, False),
    "validation_steps": (1, True, False),
    "steps": (1, True, False),
    "verbose": (0, False, True),  # Keras 2 code passes verbose=True / False
}


def check_integer(value: Any, name: str, minimum: int, allow_none: bool = False, allow_bool: bool = False) -> "int | None":
    """`value` as a Python int no smaller than `minimum` (None passes when `allow_none`).

    Integers of any kind pass (NumPy's too); floats, strings and (unless `allow_bool`)
    booleans raise a TypeError, values below `minimum` a ValueError, each naming `name`.

    Example:
        >>> check_integer(3, "epochs", 0)
        3
        >>> check_integer(2.5, "epochs", 0)
        Traceback (most recent call last):
        ...
        TypeError: `epochs` must be an integer. Received: epochs=2.5
    """
    if value is None and allow_none:
        return None
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or (isinstance(value, bool) and not allow_bool):
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"`{name}` must be {kind}. Received: {name}={value!r}")
    if number < minimum:
        bound = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"`{name}` must be {bound}. Received: {name}={value!r}")
    return number


def check_loop_arguments(**arguments: Any) -> tuple:
    """The named loop arguments checked (see `check_integer`), returned in the order given.

    Example:
        >>> check_loop_arguments(batch_size=None, epochs=2)
        (None, 2)
        >>> check_loop_arguments(batch_size=0)
        Traceback (most recent call last):
        ...
        ValueError: `batch_size` must be a positive integer. Received: batch_size=0
    """
    checked = []
    for name, value in arguments.items():
        minimum, allow_none, allow_bool = _INTEGER_ARGUMENTS[name]
        checked.append(check_integer(value, name, minimum, allow_none, allow_bool))
    return tuple(checked)


def check_validation_split(value: Any) -> float:
    """`validation_split` as a float in [0, 1).

    Example:
        >>> check_validation_split(0.25)
        0.25
        >>> check_validation_split(1.5)
        Traceback (most recent call last):
        ...
        ValueError: `validation_split` must be a fraction in [0, 1). Received: validation_split=1.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`validation_split` must be a float in [0, 1). Received: validation_split={value!r}")
    fraction = float(value)
    if not (math.isfinite(fraction) and 0.0 <= fraction < 1.0):
        raise ValueError(f"`validation_split` must be a fraction in [0, 1). Received: validation_split={value!r}")
    return fraction


def split_validation_data(validation_data: Any) -> tuple:
    """`(x_val, y_val, sample_weight_val)` from fit's `validation_data` of 2 or 3 items.

    Example:
        >>> split_validation_data(([1.0], [2.0]))
        ([1.0], [2.0], None)
    """
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        what = (f"a {type(validation_data).__name__} of {len(validation_data)} items"
                if isinstance(validation_data, (tuple, list)) else f"a {type(validation_data).__name__}")
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weights), or a generator. "
            f"Received: validation_data={what}"
        )
    return tuple(validation_data) if len(validation_data) == 3 else (validation_data[0], validation_data[1], None)


def check_samples(count: int, call: str, received: str, why: str = "") -> None:
    """A ValueError when a loop would get no samples (it would train or test on nothing, or
    wait forever for a batch); `received` says what the user passed.

    Example:
        >>> check_samples(0, "fit", "x with 0 samples")
        Traceback (most recent call last):
        ...
        ValueError: fit() got no samples to work on. Received: x with 0 samples
    """
    if count <= 0:
        reason = f": {why}" if why else ""
        raise ValueError(f"{call}() got no samples to work on{reason}. Received: {received}")
