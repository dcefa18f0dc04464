"""The base of K's per-thread scopes (`K.no_grad`, `K.learning_phase_scope`, the engine's flags).

Each scope sets one context variable inside its block, so the setting belongs to the thread
(and asyncio task) that enters it, and restores the previous value after. It restores by
value rather than with `ContextVar.reset(token)`: a block that a generator enters in one
thread and leaves in another (a data generator run by a worker thread) then restores without
an error. Scopes are classes, not generator functions: the engine enters a few every step.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
from typing import Any


class ContextVarScope(contextlib.ContextDecorator):
    """Sets `variable` to `_value` inside the block and restores its previous value after.

    Subclasses name the variable and the value the block sets (a class attribute, or a slot set
    in `__init__`). Usable as a decorator too: each call then enters a fresh copy, so recursive
    calls nest correctly.

    Example:
        >>> import contextvars
        >>> flag = contextvars.ContextVar("flag", default=False)
        >>> class flag_on(ContextVarScope):
        ...     variable = flag
        ...     _value = True
        >>> with flag_on():
        ...     flag.get()
        True
        >>> flag.get()
        False
    """

    __slots__ = ("_previous",)
    variable: contextvars.ContextVar
    _value: Any

    # Setting a context variable costs several times reading it, and nested blocks often find
    # the value already set (no_grad inside predict): both sides skip a set that changes nothing.
    def __enter__(self) -> None:
        variable = self.variable
        previous = self._previous = variable.get()
        if previous is not self._value:
            variable.set(self._value)

    def __exit__(self, *exc: Any) -> None:
        variable = self.variable
        if variable.get() is not self._previous:
            variable.set(self._previous)

    def _recreate_cm(self) -> "ContextVarScope":
        return copy.copy(self)
