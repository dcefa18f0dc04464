"""Collectives: the one interface multinn.distribute uses to combine arrays across processes.

A backend hands out the transport that suits its arrays (`ArrayBackend.collectives(group)`):
MPI buffers for host arrays (`mpi_collectives.py`), NCCL for CuPy arrays (`nccl_collectives.py`),
and the identity for a group of one (`LocalCollectives`). Every method takes arrays of that
backend and returns arrays of that backend; the inputs are never modified.

The generic parts (fusing many small arrays into one buffer, the average after a sum, the
metadata checks that turn a mismatch into an error on every rank instead of a hang) are written
once here over `xp`.
"""
from __future__ import annotations

from typing import Any, Sequence


class Collectives:
    """Sum, gather and broadcast across the ranks of a process group.

    Subclasses implement `_sum` (an elementwise sum of same-shaped contiguous arrays on every
    rank), `_gather_rows` and `_broadcast`; this class adds averaging, fusion and checks.
    """

    name = "base"

    def __init__(self, backend: Any, group: Any) -> None:
        self.backend = backend
        self.group = group
        self.xp = backend.xp

    @property
    def rank(self) -> int:
        return self.group.rank

    @property
    def size(self) -> int:
        return self.group.size

    # ------------------------------------------------------------ public
    def allreduce(self, array: Any, average: bool = True) -> Any:
        """The sum (or the mean, with `average`) of `array` over every rank; shapes and dtypes must agree.

        Integer arrays are averaged with floor division, as an integer mean stays an integer.
        """
        self._check_same(array, "allreduce")
        return self._finish_sum(self._sum(self._contiguous(array)), average)

    def allreduce_many(self, arrays: Sequence[Any], average: bool = True, fusion_bytes: int = 64 << 20) -> list:
        """`allreduce` of each array, with arrays of one dtype packed into buffers of at most
        `fusion_bytes` bytes (one collective per buffer instead of one per array). Every rank
        must pass the same shapes in the same order (not checked: this is the per-step path).
        """
        xp = self.xp
        out: list = [None] * len(arrays)
        for bucket in _buckets(arrays, int(fusion_bytes)):
            if len(bucket) == 1:
                i = bucket[0]
                out[i] = self._finish_sum(self._sum(self._contiguous(arrays[i])), average)
                continue
            flat = xp.concatenate([arrays[i].reshape(-1) for i in bucket])
            total = self._finish_sum(self._sum(flat), average)
            start = 0
            for i in bucket:
                n = arrays[i].size
                out[i] = total[start:start + n].reshape(arrays[i].shape)
                start += n
        return out

    def allgather(self, array: Any) -> Any:
        """Every rank's `array` concatenated along the first axis in rank order; the first
        dimensions may differ, the others and the dtype must agree."""
        if array.ndim == 0:
            raise ValueError("allgather needs arrays of at least one dimension. Received: a scalar")
        metas = self.group.allgather_object((tuple(array.shape), str(array.dtype)))
        rest = {(shape[1:], dtype) for shape, dtype in metas}
        if len(rest) > 1:
            raise ValueError(
                "allgather needs the same trailing shape and dtype on every rank. Received (shape, dtype) per rank: "
                f"{metas}"
            )
        rows = [shape[0] for shape, _ in metas]
        return self._gather_rows(self._contiguous(array), rows)

    def broadcast(self, array: Any, root: int) -> Any:
        """Rank `root`'s `array` on every rank; shapes and dtypes must agree."""
        root = int(root)
        if not 0 <= root < self.size:
            raise ValueError(f"root_rank must be in [0, {self.size}). Received: root_rank={root}")
        self._check_same(array, "broadcast")
        return self._broadcast(self._contiguous(array), root)

    def barrier(self) -> None:
        """Returns when every rank has reached it."""
        self.group.barrier()

    # ------------------------------------------------------------ helpers
    def _contiguous(self, array: Any) -> Any:
        return contiguous(self.xp, array)

    def _check_same(self, array: Any, what: str) -> None:
        metas = self.group.allgather_object((tuple(array.shape), str(array.dtype)))
        if len(set(metas)) > 1:
            raise ValueError(
                f"{what} needs the same shape and dtype on every rank. Received (shape, dtype) per rank: {metas}"
            )

    def _finish_sum(self, total: Any, average: bool) -> Any:
        if not average or self.size == 1:
            return total
        if total.dtype.kind in "fc":
            total /= self.size  # a Python int: the dtype is kept
        else:
            total //= self.size
        return total

    # ------------------------------------------------------------ transport
    def _sum(self, array: Any) -> Any:
        """A new array: the elementwise sum of `array` over every rank."""
        raise NotImplementedError

    def _gather_rows(self, array: Any, rows: list) -> Any:
        """A new array: every rank's `array` stacked along axis 0 (rank r has rows[r] rows)."""
        raise NotImplementedError

    def _broadcast(self, array: Any, root: int) -> Any:
        """A new array holding rank `root`'s `array`."""
        raise NotImplementedError


class LocalCollectives(Collectives):
    """A group of one: each collective returns a copy of its input.

    Example:
        >>> import numpy as np
        >>> import multinn.backends as backends
        >>> from multinn.backends.process_group import LocalGroup
        >>> c = backends.get("numpy").collectives(LocalGroup())
        >>> c.allreduce(np.array([1.0, 2.0])).tolist(), c.allgather(np.array([3])).tolist()
        ([1.0, 2.0], [3])
    """

    name = "local"

    def _sum(self, array):
        return array.copy()

    def _gather_rows(self, array, rows):
        return array.copy()

    def _broadcast(self, array, root):
        return array.copy()

    def _check_same(self, array, what):
        pass


def _buckets(arrays: Sequence[Any], limit: int) -> list:
    """Indices of `arrays` grouped into runs of one dtype whose bytes stay within `limit`
    (an array larger than `limit` travels alone). Order is kept, so every rank groups alike."""
    buckets: list = []
    current: list = []
    used = 0
    dtype = None
    for i, a in enumerate(arrays):
        nbytes = a.size * a.dtype.itemsize
        if current and (a.dtype != dtype or used + nbytes > limit):
            buckets.append(current)
            current, used = [], 0
        current.append(i)
        used += nbytes
        dtype = a.dtype
    if current:
        buckets.append(current)
    return buckets


def contiguous(xp: Any, array: Any) -> Any:
    """`array` itself when C-contiguous, else a C-contiguous copy; 0-d stays 0-d (which
    `ascontiguousarray` does not keep: it returns one dimension)."""
    return array if array.flags.c_contiguous else xp.ascontiguousarray(array)
