"""pytest wiring: which CuPy the CuPy half runs on, and labels saying so.

`MULTINN_TEST_CUPY` picks it: `auto` (default) uses a real CuPy where a CUDA device answers,
else the CPU stand-in; `off` leaves the CuPy half to skip as it would without a device.
Results on the stand-in are reported as "CuPy API conformance (CPU stand-in)", never as GPU results.
"""
from __future__ import annotations

import os

from .install import LABEL, install, real_cupy_with_device

_MODES = ("auto", "off")


def choose() -> str:
    """Sets up `cupy` for this process: 'gpu' (real CuPy, a device), 'standin' or 'off'."""
    mode = os.environ.get("MULTINN_TEST_CUPY", "auto")
    if mode not in _MODES:
        raise ValueError(f"MULTINN_TEST_CUPY must be one of {_MODES}. Received: MULTINN_TEST_CUPY={mode!r}")
    if real_cupy_with_device():
        return "gpu"
    if mode == "off":
        return "off"
    install()
    # Subprocesses (examples, pickling in a new process) get it too, through shim packages.
    from .install import subprocess_path

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = subprocess_path() + (os.pathsep + old if old else "")
    return "standin"


def is_cupy_test(item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("backend_name") == "cupy":
        return True
    if "cupy_half" in getattr(item, "fixturenames", ()):  # tests that run on CuPy only ask for it
        return True
    return "/parity/" in str(item.path).replace(os.sep, "/")


def header(mode: str) -> str:
    if mode == "standin":
        return (f"{LABEL}: the CuPy half runs on tests/support/strict_cupy (NumPy underneath, CuPy's rules); "
                "its results are not GPU-tested")
    if mode == "gpu":
        return "CuPy: real CuPy on a CUDA device (GPU-tested)"
    return "CuPy: off (MULTINN_TEST_CUPY=off); the CuPy half skips"


def label_items(mode: str, items) -> None:
    """Tags each CuPy-half test (user property `cupy`, which xdist carries to the summary)."""
    for item in items:
        if is_cupy_test(item):
            item.user_properties.append(("cupy", mode))


def summary(terminalreporter, mode: str) -> None:
    counts: dict = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            props = dict(getattr(report, "user_properties", []) or [])
            if props.get("cupy") and getattr(report, "when", "call") in ("call", "setup"):
                if outcome == "passed" and report.when != "call":
                    continue
                counts[outcome] = counts.get(outcome, 0) + 1
    if not counts:
        return
    title = LABEL if mode == "standin" else header(mode)
    detail = ", ".join(f"{n} {k}" for k, n in counts.items())
    suffix = " (not GPU-tested)" if mode == "standin" else ""
    terminalreporter.write_sep("-", f"{title}: {detail}{suffix}")
