"""Collectives over NCCL (CuPy's `cupy.cuda.nccl` bindings) for device arrays.

One NCCL communicator spans the process group: rank 0 makes NCCL's unique id, the process group
(MPI) hands it to every rank, and each rank joins with its rank number. Collectives are queued
on CuPy's current stream, so they order with the kernels around them and the host does not wait.
NCCL needs equal counts for all-gather: rows are padded to the largest rank's and cut after.
"""
from __future__ import annotations

from typing import Any

from .collectives import Collectives

# NumPy dtype name -> the attribute of cupy.cuda.nccl naming NCCL's datatype.
_NCCL_TYPES = {
    "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "uint32": "NCCL_UINT32",
    "int64": "NCCL_INT64", "uint64": "NCCL_UINT64", "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
}


def nccl_unusable_reason(nccl: Any) -> "str | None":
    """Why CuPy's NCCL bindings cannot be used (None when they can).

    Example:
        >>> import types
        >>> nccl_unusable_reason(types.SimpleNamespace(available=False))
        'CuPy was built without NCCL (cupy.cuda.nccl.available is False)'
    """
    if nccl is None:
        return "cupy.cuda.nccl cannot be imported"
    if not getattr(nccl, "available", True):
        return "CuPy was built without NCCL (cupy.cuda.nccl.available is False)"
    return None


class NcclCollectives(Collectives):
    """Sum, gather and broadcast of CuPy arrays through one NCCL communicator.

    Args:
        backend: the CuPy ArrayBackend.
        group: the process group that carries NCCL's unique id (an `MpiGroup`).
        nccl: the `cupy.cuda.nccl` module (tests pass a stand-in whose communicator is stubbed).

    Example:
        >>> import multinn.backends as backends
        >>> from multinn.backends.process_group import MpiGroup
        >>> from cupy.cuda import nccl  # doctest: +SKIP
        >>> c = NcclCollectives(backends.get("cupy"), MpiGroup.open(), nccl)  # doctest: +SKIP
    """

    name = "nccl"

    def __init__(self, backend: Any, group: Any, nccl: Any) -> None:
        super().__init__(backend, group)
        self.nccl = nccl
        uid = nccl.get_unique_id() if group.rank == 0 else None
        uid = group.bcast_object(uid, 0)
        self.comm = nccl.NcclCommunicator(group.size, uid, group.rank)

    def _type(self, dtype: Any) -> Any:
        name = _NCCL_TYPES.get(str(dtype))
        if name is None:
            raise TypeError(f"NCCL has no datatype for arrays of dtype {dtype}. Supported: {sorted(_NCCL_TYPES)}")
        return getattr(self.nccl, name)

    def _stream(self) -> int:
        return self.xp.cuda.get_current_stream().ptr

    def _sum(self, array):
        out = self.xp.empty_like(array)
        self.comm.allReduce(array.data.ptr, out.data.ptr, array.size, self._type(array.dtype),
                            self.nccl.NCCL_SUM, self._stream())
        return out

    def _gather_rows(self, array, rows):
        xp = self.xp
        most = max(rows)
        tail = tuple(array.shape[1:])
        send = array
        if array.shape[0] != most:  # NCCL gathers equal counts: pad, then cut each rank's rows out
            send = xp.zeros((most,) + tail, dtype=array.dtype)
            send[: array.shape[0]] = array
        recv = xp.empty((len(rows) * most,) + tail, dtype=array.dtype)
        self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, self._type(array.dtype), self._stream())
        if all(r == most for r in rows):
            return recv
        return xp.concatenate([recv[r * most: r * most + n] for r, n in enumerate(rows)])

    def _broadcast(self, array, root):
        out = array.copy() if self.rank == root else self.xp.empty_like(array)
        self.comm.bcast(out.data.ptr, out.size, self._type(out.dtype), root, self._stream())
        return out
