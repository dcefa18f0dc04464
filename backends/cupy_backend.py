"""The CuPy (NVIDIA GPU) backend.

Importing this module does not import CuPy; `CupyBackend()` does, and raises a
clear error when CuPy or a device is missing.
"""
from __future__ import annotations

import math
import os
import sys
import threading
from typing import NamedTuple

from .base import ArrayBackend

INSTALL_HINT = "pip install 'multinn[cuda12]'  (or 'multinn[cuda13]' for CUDA 13)"


def _import_cupy():
    try:
        import cupy
    except ImportError as exc:
        raise ImportError(
            f"The 'cupy' backend needs CuPy, which is not installed ({exc}). Install it with: {INSTALL_HINT}"
        ) from exc
    except Exception as exc:  # a broken install (e.g. a CUDA library that fails to load) must not crash detection
        raise ImportError(
            f"The 'cupy' backend needs CuPy, which failed to import ({type(exc).__name__}: {exc}). "
            f"Reinstall it with: {INSTALL_HINT}"
        ) from exc
    return cupy


PROBE_TIMEOUT_ENV = "MULTINN_CUDA_PROBE_TIMEOUT"
DEFAULT_PROBE_TIMEOUT = 20.0


class DeviceProbe(NamedTuple):
    """What asking CUDA for its devices gave: how many, and why none when none."""

    count: int
    timed_out: bool
    timeout: float
    error: "str | None"


def probe_timeout() -> float:
    """Seconds CUDA start-up may take before CuPy counts as unusable: `MULTINN_CUDA_PROBE_TIMEOUT`, default 20.

    Example:
        >>> probe_timeout() > 0
        True
    """
    raw = os.environ.get(PROBE_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_PROBE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{PROBE_TIMEOUT_ENV} must be a positive number of seconds. Received: {PROBE_TIMEOUT_ENV}={raw!r}"
        )
    return value


# A probe still stuck in CUDA start-up: a later probe waits on it instead of starting another.
_stuck: list = []


def probe_devices(timeout: "float | None" = None) -> DeviceProbe:
    """Counts CUDA devices in a thread that is given up after `timeout` seconds (default
    `probe_timeout()`), so a hung driver cannot hang the caller. Never raises for CUDA's sake.

    Example:
        >>> probe = probe_devices(timeout=5.0)
        >>> probe.count >= 0 and probe.timeout == 5.0
        True
    """
    timeout = probe_timeout() if timeout is None else float(timeout)
    module = sys.modules.get("cupy")  # a probe stuck in another cupy module's start-up is not waited on
    while _stuck and not _stuck[0][0].is_alive():
        _stuck.pop(0)
    if _stuck and _stuck[0][2] is module:
        thread, result, _ = _stuck[0]
    else:
        result = {"count": 0, "error": None}

        def probe():
            try:
                cupy = _import_cupy()
                result["count"] = int(cupy.cuda.runtime.getDeviceCount())
            except Exception as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=probe, daemon=True, name="multinn-cuda-probe")
        thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if not any(entry[0] is thread for entry in _stuck):
            _stuck.insert(0, (thread, result, module))
        return DeviceProbe(0, True, timeout, None)
    return DeviceProbe(result["count"], False, timeout, result["error"])


def device_count(timeout: "float | None" = None) -> int:
    """Counts CUDA devices without crashing or hanging: 0 when none answers in time (see `probe_devices`).

    Example:
        >>> device_count(timeout=5.0) >= 0
        True
    """
    return probe_devices(timeout).count


def _no_device_reason(probe: DeviceProbe) -> str:
    if probe.timed_out:
        return (
            f"CuPy is installed but CUDA start-up did not answer within {probe.timeout:g} s (the device probe "
            f"timed out). Set {PROBE_TIMEOUT_ENV} to wait longer (seconds)."
        )
    detail = f" ({probe.error})" if probe.error else ""
    return f"CuPy is installed but no CUDA device answers on this machine{detail}."


def unusable_reason() -> str | None:
    """Why the CuPy backend cannot run here, or None when it can.

    Example:
        >>> reason = unusable_reason()
        >>> reason is None or isinstance(reason, str)
        True
    """
    try:
        _import_cupy()
    except ImportError as exc:
        return str(exc)
    probe = probe_devices()
    return _no_device_reason(probe) if probe.count == 0 else None


class CupyBackend(ArrayBackend):
    """GPU arrays through CuPy; cuBLAS does the matrix products and CuPy's memory pool caches allocations."""

    name = "cupy"

    def __init__(self):
        cupy = _import_cupy()
        probe = probe_devices()
        if probe.count == 0:
            raise RuntimeError(f"MULTINN backend 'cupy' needs a CUDA device: {_no_device_reason(probe)}")
        self.xp = cupy
        self.array_type = cupy.ndarray

    def owns(self, value):
        return isinstance(value, self.array_type)

    def asarray(self, value, dtype=None):
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, array):
        return self.xp.asnumpy(array)

    def erf(self, x):
        # One fused kernel; the generic float64 series is about 140 elementwise launches.
        from cupyx.scipy.special import erf

        return erf(x).astype(x.dtype, copy=False)

    def synchronize(self):
        self.xp.cuda.get_current_stream().synchronize()

    def free_memory(self):
        self.xp.get_default_memory_pool().free_all_blocks()

    def use_local_device(self, local_rank):
        """Device `local_rank` modulo the devices this process sees: one GPU per rank on each machine."""
        count = int(self.xp.cuda.runtime.getDeviceCount())
        self.xp.cuda.Device(int(local_rank) % max(count, 1)).use()

    def collectives(self, group):
        """NCCL through CuPy's bindings, its communicator set up over `group` (MPI); where CuPy has
        no NCCL, MPI with device buffers if `MULTINN_MPI_CUDA_AWARE=1`, else MPI through host
        memory, with a warning that says which and why."""
        from .collectives import LocalCollectives
        from .mpi_collectives import CUDA_AWARE_ENV, MpiCollectives, cuda_aware_requested
        from .nccl_collectives import NcclCollectives, nccl_unusable_reason

        if group.size == 1:
            return LocalCollectives(self, group)
        nccl = _import_nccl()
        reason = nccl_unusable_reason(nccl)
        if reason is None:
            return NcclCollectives(self, group, nccl)
        import warnings

        if cuda_aware_requested():
            way = f"CUDA-aware MPI on device buffers ({CUDA_AWARE_ENV}=1)"
        else:
            way = (f"MPI through host memory (a copy to the host and back per collective; set {CUDA_AWARE_ENV}=1 "
                   "if your MPI is CUDA-aware)")
        warnings.warn(
            f"multinn.distribute: NCCL is unusable ({reason}); CuPy arrays are combined by {way}. "
            "Install NCCL for CuPy (e.g. pip install nvidia-nccl-cu12) for the fast path.",
            RuntimeWarning, stacklevel=3,
        )
        return MpiCollectives(self, group, staged=not cuda_aware_requested())


def _import_nccl():
    """CuPy's NCCL module, or None where CuPy cannot load it (no NCCL library)."""
    try:
        from cupy.cuda import nccl
    except Exception:  # ImportError, or a library that fails to load
        return None
    return nccl
