"""Counting reads of device values into Python: on CuPy each is a copy to the host and a full
synchronisation, so per-step code must make none. Used by the tests of optimizers and layers."""
from __future__ import annotations

import traceback

import numpy as np

import multinn.backends as registry
from multinn import backend as K

_TENSOR_READS = ("__float__", "__int__", "__index__", "__bool__", "item", "numpy", "__array__", "tolist")


class HostReads:
    """Counts host reads of K tensors, and the backend's `to_numpy`, while `active`."""

    def __init__(self, monkeypatch, backend_name):
        self.active = False
        self.reads: list = []
        for name in _TENSOR_READS:
            if hasattr(K.Tensor, name):
                self._wrap(monkeypatch, K.Tensor, name)
        self._wrap(monkeypatch, type(registry.get(backend_name)), "to_numpy")

    def _wrap(self, monkeypatch, owner, name):
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            if self.active:
                where = "".join(traceback.format_stack(limit=5)[:-1])
                self.reads.append(f"{owner.__name__}.{name} from\n{where}")
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    def during(self, fn, *args, **kwargs):
        """Calls fn and returns how many reads it made (the reads themselves stay in `reads`)."""
        before = len(self.reads)
        self.active = True
        try:
            fn(*args, **kwargs)
        finally:
            self.active = False
        return len(self.reads) - before


class CountingArray(np.ndarray):
    """A NumPy array that logs every way its value leaves for Python, so a read that goes
    around the Tensor methods (float(v.data), v.data.item()) is caught too (NumPy only).
    Logs into `CountingArray.log` while it is a list."""

    log = None

    def _note(self, what):
        if CountingArray.log is not None:
            CountingArray.log.append(what)

    def __float__(self):
        self._note("__float__")
        return super().__float__()

    def __int__(self):
        self._note("__int__")
        return super().__int__()

    def __index__(self):
        self._note("__index__")
        return super().__index__()

    def __bool__(self):
        self._note("__bool__")
        return super().__bool__()

    def item(self, *args):
        self._note("item")
        return super().item(*args)

    def tolist(self):
        self._note("tolist")
        return super().tolist()
