"""Collectives over MPI with mpi4py's buffer interface (upper-case Allreduce, Allgatherv, Bcast):
arrays go to MPI as memory, never pickled.

Host arrays (the NumPy backend) are handed to MPI as they are. Device arrays are staged
through host memory unless the MPI library is CUDA-aware and the user says so
(`MULTINN_MPI_CUDA_AWARE=1`): MPI offers no portable way to ask, and handing device memory to
an MPI that cannot read it crashes the process.
"""
from __future__ import annotations

import os
from typing import Any

import numpy

from .collectives import Collectives, contiguous

CUDA_AWARE_ENV = "MULTINN_MPI_CUDA_AWARE"


def cuda_aware_requested() -> bool:
    """Whether the user declared the MPI library CUDA-aware (`MULTINN_MPI_CUDA_AWARE=1`).

    Example:
        >>> cuda_aware_requested() in (True, False)
        True
    """
    return os.environ.get(CUDA_AWARE_ENV, "0").strip() == "1"


class MpiCollectives(Collectives):
    """Sum, gather and broadcast through MPI buffers.

    Args:
        backend: the ArrayBackend whose arrays come in and go out.
        group: an `MpiGroup` (its `comm` and `mpi` module are used).
        staged: copy device arrays to the host and back around each MPI call; False passes the
            arrays' memory to MPI directly (host arrays, or device arrays with a CUDA-aware MPI).

    Example:
        >>> import numpy as np
        >>> import multinn.backends as backends
        >>> from multinn.backends.process_group import MpiGroup
        >>> c = MpiCollectives(backends.get("numpy"), MpiGroup.open(), staged=False)  # doctest: +SKIP
        >>> c.allreduce(np.ones(2), average=False)  # doctest: +SKIP
        array([2., 2.])
    """

    name = "mpi"

    def __init__(self, backend: Any, group: Any, staged: bool = False) -> None:
        super().__init__(backend, group)
        self.staged = bool(staged)
        self.comm = group.comm
        self.mpi = group.mpi

    def _out(self, array: Any) -> Any:
        """The buffer MPI reads: the host copy when staging, else the array itself."""
        return contiguous(numpy, self.backend.to_numpy(array)) if self.staged else array

    def _empty(self, shape: tuple, dtype: Any) -> Any:
        return numpy.empty(shape, dtype=dtype) if self.staged else self.xp.empty(shape, dtype=dtype)

    def _back(self, array: Any) -> Any:
        return self.backend.asarray(array) if self.staged else array

    def _sum(self, array):
        send = self._out(array)
        recv = self._empty(send.shape, send.dtype)
        self._synchronize()
        self.comm.Allreduce(send, recv, op=self.mpi.SUM)
        return self._back(recv)

    def _gather_rows(self, array, rows):
        send = self._out(array)
        per_row = int(numpy.prod(send.shape[1:], dtype=numpy.int64))
        counts = [r * per_row for r in rows]
        displs = [sum(counts[:r]) for r in range(len(counts))]
        recv = self._empty((sum(rows),) + tuple(send.shape[1:]), send.dtype)
        self._synchronize()
        self.comm.Allgatherv(send, [recv, counts, displs, _mpi_type(self.mpi, send.dtype)])
        return self._back(recv)

    def _broadcast(self, array, root):
        buf = self._out(array).copy() if self.rank == root else self._empty(array.shape, array.dtype)
        self._synchronize()
        self.comm.Bcast(buf, root=root)
        return self._back(buf)

    def _synchronize(self) -> None:
        # A CUDA-aware MPI reads device memory outside CuPy's stream: queued kernels must be done.
        if not self.staged:
            self.backend.synchronize()


def _mpi_type(mpi: Any, dtype: Any) -> Any:
    """MPI's datatype for a NumPy dtype (mpi4py's typecode table)."""
    from mpi4py.util.dtlib import from_numpy_dtype

    try:
        return from_numpy_dtype(dtype)
    except (ValueError, KeyError, TypeError):
        raise TypeError(f"MPI has no datatype for arrays of dtype {dtype}.") from None
