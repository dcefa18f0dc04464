"""The counter of device->host reads: every `.get()`, `asnumpy`, `.item()`, `.tolist()`,
`float()/int()/bool()/index` of a stand-in array. On a GPU each is a copy and a full sync."""
from __future__ import annotations

import contextlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


class HostReadLog:
    """Counts reads always (`total`); keeps each read's kind and call site while `recording()`."""

    def __init__(self) -> None:
        self.total = 0
        self._open: list[list] = []

    def note(self, kind: str) -> None:
        self.total += 1
        if self._open:
            site = _call_site()
            for entries in self._open:
                entries.append((kind, site))

    @contextlib.contextmanager
    def recording(self):
        """Collects (kind, 'file:line in function' chain) for each read made inside the block."""
        entries: list = []
        self._open.append(entries)
        try:
            yield entries
        finally:
            self._open.remove(entries)


def _call_site(depth: int = 4) -> str:
    """The first few frames outside the stand-in, innermost first."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame = frame.f_back
    parts = []
    while frame is not None and len(parts) < depth:
        code = frame.f_code
        parts.append(f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}")
        frame = frame.f_back
    return " <- ".join(parts)


reads = HostReadLog()
