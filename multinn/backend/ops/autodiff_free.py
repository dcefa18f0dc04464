"""Raw array access for in-place state updates that must not record gradients."""
from __future__ import annotations

from typing import Any

from .core import to_array_on


def detached(value: Any, backend):
    """The backend array behind `value`, outside the graph."""
    return to_array_on(value, backend)
