"""Which inputs a loss or an update depends on (Keras 2's `get_losses_for` / `get_updates_for`).

Keras 2 files each loss and update of a layer under the inputs it was computed from
(None for unconditional ones, such as weight regularization). multinn runs eagerly, so
the values are computed when the model runs; this bookkeeping keeps Keras 2's answers to
"which losses/updates belong to these inputs" for the graph a user builds.
"""
from __future__ import annotations

from typing import Any


def condition_of(inputs: Any) -> "tuple | None":
    """The inputs a loss or update was added for, as a tuple (None: unconditional).

    Example:
        >>> condition_of(None) is None
        True
        >>> a, b = object(), object()
        >>> condition_of([a, b]) == (a, b)
        True
    """
    if inputs is None:
        return None
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if all(item is None for item in items):
        return None
    return tuple(items)


def same_condition(condition: "tuple | None", inputs: Any) -> bool:
    """Whether `condition` (from `condition_of`) names exactly these `inputs`, by identity.

    Example:
        >>> a, b = object(), object()
        >>> same_condition(condition_of(a), [a]), same_condition(condition_of(a), b)
        (True, False)
        >>> same_condition(None, None)
        True
    """
    other = condition_of(inputs)
    if condition is None or other is None:
        return condition is None and other is None
    return len(condition) == len(other) and all(x is y for x, y in zip(condition, other))
