"""The CuPy (NVIDIA GPU) backend.

Importing this module does not import CuPy; `CupyBackend()` does, and raises a
clear error when CuPy or a device is missing.
"""
from __future__ import annotations

import threading

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


def device_count(timeout: float = 20.0) -> int:
    """Counts CUDA devices without crashing or hanging: 0 when none answers in time."""
    result = [0]

    def probe():
        try:
            cupy = _import_cupy()
            result[0] = int(cupy.cuda.runtime.getDeviceCount())
        except Exception:
            result[0] = 0

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0] if not thread.is_alive() else 0


def unusable_reason() -> str | None:
    """Why the CuPy backend cannot run here, or None when it can."""
    try:
        _import_cupy()
    except ImportError as exc:
        return str(exc)
    if device_count() == 0:
        return "CuPy is installed but no CUDA device answers on this machine."
    return None


class CupyBackend(ArrayBackend):
    """GPU arrays through CuPy; cuBLAS does the matrix products and CuPy's memory pool caches allocations."""

    name = "cupy"

    def __init__(self):
        cupy = _import_cupy()
        if device_count() == 0:
            raise RuntimeError("MULTINN backend 'cupy' needs a CUDA device, and none answers on this machine.")
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
