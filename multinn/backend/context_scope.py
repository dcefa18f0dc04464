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
    """Sets `variable` to `value()` inside the block and restores its previous value after.

    Subclasses name the variable and say which value the block sets. Usable as a decorator too:
    each call then enters a fresh copy, so recursive calls nest correctly.

    Example:
        >>> import contextvars
        >>> flag = contextvars.ContextVar("flag", default=False)
        >>> class flag_on(ContextVarScope):
        ...     variable = flag
        ...     def value(self):
        ...         return True
        >>> with flag_on():
        ...     flag.get()
        True
        >>> flag.get()
        False
    """

    __slots__ = ("_previous",)
    variable: contextvars.ContextVar

    def value(self) -> Any:
        """The value the block sets."""
        raise NotImplementedError

    def __enter__(self) -> None:
        variable = self.variable
        self._previous = variable.get()
        variable.set(self.value())

    def __exit__(self, *exc: Any) -> None:
        self.variable.set(self._previous)

    def _recreate_cm(self) -> "ContextVarScope":
        return copy.copy(self)
