"""`cupy.cuda` stubs: one device, a runtime, memory pools and streams, enough for detection,
`synchronize` and memory queries. Nothing here waits: the host is the device."""
from __future__ import annotations

import types


class CUDARuntimeError(RuntimeError):
    """What CuPy raises for a failing CUDA runtime call."""


def _device_count() -> int:
    return 1


def _device_properties(device: int) -> dict:
    if device != 0:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    return {"name": b"strict_cupy CPU stand-in", "totalGlobalMem": 8 << 30, "major": 8, "minor": 0}


runtime = types.SimpleNamespace(
    getDeviceCount=_device_count,
    getDeviceProperties=_device_properties,
    runtimeGetVersion=lambda: 12040,
    driverGetVersion=lambda: 12040,
    deviceSynchronize=lambda: None,
    memGetInfo=lambda: (8 << 30, 8 << 30),
    CUDARuntimeError=CUDARuntimeError,
    is_hip=False,
)


class Device:
    """A CUDA device handle; only device 0 exists."""

    def __init__(self, device: int = 0):
        _device_properties(int(device))
        self.id = int(device)
        self.compute_capability = "80"
        self.mem_info = runtime.memGetInfo()

    def use(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """A CUDA stream; work is already done when it is queued."""

    null = None

    def __init__(self, null: bool = False, non_blocking: bool = False, ptr: int = 0):
        self.ptr = ptr

    def synchronize(self) -> None:
        pass

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


Stream.null = Stream(null=True)


class Event:
    def __init__(self, block: bool = False, disable_timing: bool = False, interprocess: bool = False):
        pass

    def record(self, stream=None) -> None:
        pass

    def synchronize(self) -> None:
        pass


def get_elapsed_time(start: Event, end: Event) -> float:
    return 0.0


def get_current_stream(device_id: int = -1) -> Stream:
    return Stream.null


def is_available() -> bool:
    return True


class MemoryPool:
    """The device memory pool: frees are no-ops, sizes are reported as zero."""

    def __init__(self, allocator=None):
        self._limit = 0

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_bytes(self) -> int:
        return 0

    def free_all_blocks(self, stream=None) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0

    def set_limit(self, size=None, fraction=None) -> None:
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        return self._limit


class PinnedMemoryPool(MemoryPool):
    pass


memory = types.SimpleNamespace(MemoryPool=MemoryPool)
pinned_memory = types.SimpleNamespace(PinnedMemoryPool=PinnedMemoryPool)
_POOL = MemoryPool()
_PINNED_POOL = PinnedMemoryPool()
