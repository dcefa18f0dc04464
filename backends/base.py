"""ArrayBackend: the kernel interface K is written against.

Generic kernels are written once against `self.xp` (NumPy's API, which CuPy
mirrors); subclasses override only where the libraries differ or a faster
kernel pays for itself.
"""
from __future__ import annotations

from typing import Any

from . import philox
from .optimizer_kernels import OptimizerKernels


class ArrayBackend(OptimizerKernels):
    """One array library seen through the interface K needs.

    Subclasses set `name`, `xp` (the array module) and `array_type`.
    """

    name: str = "base"
    xp: Any = None
    array_type: type = object

    # ----------------------------------------------------------- arrays
    def owns(self, value: Any) -> bool:
        """True when `value` is an array that lives on this backend's device only.

        Host data (NumPy arrays, lists, scalars) is accepted by every backend, so a
        backend whose arrays are host arrays claims nothing here.
        """
        return False

    def is_array(self, value: Any) -> bool:
        return isinstance(value, self.array_type)

    def asarray(self, value: Any, dtype: Any = None):
        """Converts host data or this backend's arrays to an array of this backend."""
        return self.xp.asarray(value, dtype=dtype)

    def to_numpy(self, array: Any):
        """Returns a NumPy array with the same values (a copy off the device)."""
        return array

    def dtype(self, name: Any):
        return self.xp.dtype(name)

    def is_floating(self, dtype: Any) -> bool:
        return self.xp.dtype(dtype).kind == "f"

    def synchronize(self) -> None:
        """Waits until queued device work is finished (a no-op on the host)."""

    def free_memory(self) -> None:
        """Returns cached device memory to the device (a no-op on the host)."""

    # ----------------------------------------------------------- random
    def random_uniform(self, shape: tuple, minval: float, maxval: float, dtype: Any, key: int, start: int):
        """Uniform draws in [minval, maxval) from Philox stream `key` at block `start`."""
        xp = self.xp
        count = _size(shape)
        u = philox.uniform01(xp, key, start, count, dtype)
        dtype = xp.dtype(dtype)
        lo = dtype.type(minval)
        span = dtype.type(maxval) - lo
        return (u * span + lo).astype(dtype).reshape(shape)

    def random_normal(self, shape: tuple, mean: float, stddev: float, dtype: Any, key: int, start: int):
        xp = self.xp
        z = philox.standard_normal(xp, key, start, _size(shape))
        return (z * stddev + mean).astype(dtype).reshape(shape)

    def random_truncated_normal(self, shape: tuple, mean: float, stddev: float, dtype: Any, key: int, start: int):
        """Normal draws, redrawing those more than two standard deviations from the mean.

        Rounds use consecutive counter ranges, so every backend accepts and rejects the
        same candidates. Returns the array and the number of blocks consumed.
        """
        xp = self.xp
        count = _size(shape)
        kept = []
        have = 0
        used = 0
        while have < count:
            want = max(2 * (count - have), 16)
            z = philox.standard_normal(xp, key, start + used, want)
            used += philox.blocks_for(4 * want)
            z = z[xp.abs(z) <= 2.0]
            kept.append(z)
            have += int(z.shape[0])
        z = xp.concatenate(kept)[:count]
        return (z * stddev + mean).astype(dtype).reshape(shape), used

    # ----------------------------------------------------------- kernels
    def matmul(self, a, b):
        return self.xp.matmul(a, b)


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n
