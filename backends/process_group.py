"""The group of processes a data-parallel run spans: MPI's COMM_WORLD through mpi4py, or this
process alone.

A process group moves only small Python metadata (shapes, dtypes, NCCL's unique id) and
synchronizes; arrays travel through the collectives (`backends/collectives.py`,
`mpi_collectives.py`, `nccl_collectives.py`), which use MPI's buffer interface, never pickling.

mpi4py is optional: without it a process that was not launched by an MPI launcher runs as a
group of one, and one that was (several ranks are announced in its environment) is refused
with the package to install, since it would otherwise train alone and silently diverge.
"""
from __future__ import annotations

import os
from typing import Any

INSTALL_HINT = "pip install 'multinn[mpi]'  (mpi4py and the mpich wheel, which brings mpiexec)"

# What MPI launchers export to each process: MPICH/Hydra, Open MPI, PMIx, Intel MPI, Slurm.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


def launched_size() -> int:
    """How many processes an MPI launcher says this run has (1 when none says anything).

    Example:
        >>> launched_size() >= 1
        True
    """
    for name in _SIZE_VARIABLES:
        raw = os.environ.get(name, "").strip()
        if raw.isdigit() and int(raw) > 1:
            return int(raw)
    return 1


class LocalGroup:
    """This process alone: rank 0 of 1. Every collective is the identity.

    Example:
        >>> group = LocalGroup()
        >>> group.rank, group.size, group.allgather_object("x"), group.bcast_object(3, 0)
        (0, 1, ['x'], 3)
    """

    kind = "local"
    comm = None

    def __init__(self) -> None:
        self.rank = 0
        self.size = 1
        self.local_rank = 0
        self.local_size = 1

    def allgather_object(self, value: Any) -> list:
        """Every rank's `value`, in rank order (small metadata only)."""
        return [value]

    def bcast_object(self, value: Any, root: int) -> Any:
        """`value` as rank `root` has it (small metadata only)."""
        return value

    def barrier(self) -> None:
        """Returns when every rank has called it."""


class MpiGroup(LocalGroup):
    """MPI's COMM_WORLD through mpi4py; the local rank and size come from the ranks sharing this
    node's memory (MPI_COMM_TYPE_SHARED), as Horovod counts them.

    Example:
        >>> group = MpiGroup.open()  # doctest: +SKIP
        >>> group.rank < group.size  # doctest: +SKIP
        True
    """

    kind = "mpi"

    def __init__(self, mpi: Any, comm: Any) -> None:
        self.mpi = mpi
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        node = comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank = node.Get_rank()
        self.local_size = node.Get_size()
        node.Free()

    @classmethod
    def open(cls) -> "MpiGroup":
        """COMM_WORLD, initializing MPI on first use (mpi4py does that when `mpi4py.MPI` is imported)."""
        from mpi4py import MPI

        return cls(MPI, MPI.COMM_WORLD)

    def allgather_object(self, value: Any) -> list:
        return self.comm.allgather(value)

    def bcast_object(self, value: Any, root: int) -> Any:
        return self.comm.bcast(value, root=root)

    def barrier(self) -> None:
        self.comm.Barrier()


def mpi4py_missing() -> "str | None":
    """Why mpi4py cannot be used here (None when it can be imported).

    Example:
        >>> reason = mpi4py_missing()
        >>> reason is None or "mpi4py" in reason
        True
    """
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:
        return f"mpi4py is not installed ({exc}). Install it with: {INSTALL_HINT}"
    return None


def open_group() -> LocalGroup:
    """The process group of this run: MPI's COMM_WORLD when mpi4py is installed, else this
    process alone, unless a launcher started several processes (then ImportError: each would
    train alone).

    Example:
        >>> open_group().size >= 1
        True
    """
    reason = mpi4py_missing()
    if reason is None:
        return MpiGroup.open()
    size = launched_size()
    if size > 1:
        raise ImportError(
            f"This process was launched as one of {size} MPI ranks, but multinn.distribute needs mpi4py to "
            f"talk to the others: {reason}"
        )
    return LocalGroup()
