"""Which direction counts as better for a monitored quantity (Keras 2's 'auto' rule)."""
from __future__ import annotations

import operator
import warnings
from typing import Callable


def resolve_mode(mode: str, monitor: str, owner: str) -> str:
    """'min' or 'max': 'auto' means 'max' for accuracy-like names ('acc', 'fmeasure'), else 'min'.

    An unknown mode warns and falls back to 'auto', as Keras 2 does.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        return "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
    return mode


def comparison(mode: str) -> Callable[[float, float], bool]:
    """`operator.lt` for 'min', `operator.gt` for 'max'."""
    return operator.lt if mode == "min" else operator.gt


def missing_metric_warning(what: str, monitor: str, logs: dict) -> None:
    warnings.warn(
        f"{what} conditioned on metric `{monitor}` which is not available. "
        f"Available metrics are: {','.join(str(k) for k in logs)}",
        RuntimeWarning,
        stacklevel=3,
    )
