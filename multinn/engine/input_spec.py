"""InputSpec: what a layer accepts (ndim, axes sizes, shape, dtype), checked when it is called."""
from __future__ import annotations


class InputSpec:
    """What a layer accepts: dtype, ndim (or min/max ndim), shape, and fixed axes.

    Example:
        >>> spec = InputSpec(min_ndim=2, axes={-1: 3})
        >>> spec.min_ndim, spec.axes
        (2, {-1: 3})
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def __repr__(self) -> str:
        fields = ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
        return "InputSpec(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in fields if getattr(self, f)) + ")"
