"""A strict CPU stand-in for CuPy, for running the CuPy half of the suite where no GPU is.

It runs on NumPy but keeps CuPy 13/14's rules where they differ from NumPy's, so code that
passes here does not lean on NumPy behaviour CuPy lacks (implicit host conversions, NumPy
operands, raised IndexErrors, sort kinds...). It also counts every device->host read with
its call site (`reads`), which is what the sync-budget tests measure.

`install()` registers it as `cupy` / `cupyx` in `sys.modules`; `real_cupy_with_device()`
says whether a real CuPy with a device is present, in which case the stand-in must not be used.
Results obtained on it are API conformance, never GPU results.
"""
from __future__ import annotations

from .install import LABEL, install, installed, real_cupy_with_device, uninstall
from .reads import HostReadLog, reads

__all__ = ["LABEL", "install", "installed", "real_cupy_with_device", "uninstall", "HostReadLog", "reads"]
