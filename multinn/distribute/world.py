"""This process's place in a data-parallel run: `init`, `rank`, `size`, `local_rank`, `local_size`.

The state is process-wide (one MPI world per process), as Horovod's is.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.backends import process_group

_state: dict = {"group": None, "collectives": {}, "quiet_workers": True}


def init(quiet_workers: bool = True) -> None:
    """Joins the run's process group: MPI's COMM_WORLD when mpi4py is installed (launch with
    `mpiexec -n N python train.py`), else this process alone (`size() == 1`). Calling it again
    does nothing.

    Args:
        quiet_workers: when True (the default), only rank 0 prints `fit`'s progress output and
            `ModelCheckpoint` writes files only on rank 0; False lets every rank do both.

    On CuPy, each rank then works on GPU `local_rank()` (modulo the GPUs it sees): call `init()`
    before making any array.

    Raises:
        ImportError: the process was launched as one of several MPI ranks but mpi4py is missing.

    Example:
        >>> from multinn import distribute
        >>> distribute.init()
        >>> distribute.rank() < distribute.size()
        True
    """
    _state["quiet_workers"] = bool(quiet_workers)
    if _state["group"] is None:
        _state["group"] = process_group.open_group()
        # One device per rank: before any array is made, so the model lands on this rank's GPU.
        K.default_backend().use_local_device(_state["group"].local_rank)


def is_initialized() -> bool:
    """Whether `init()` has been called in this process.

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.is_initialized()
        True
    """
    return _state["group"] is not None


def group() -> Any:
    """The process group; ValueError when `init()` has not been called.

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.world.group().size == distribute.size()
        True
    """
    current = _state["group"]
    if current is None:
        raise ValueError("multinn.distribute has not been initialized: call multinn.distribute.init() first.")
    return current


def rank() -> int:
    """This process's rank in [0, size()).

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.rank() >= 0
        True
    """
    return group().rank


def size() -> int:
    """How many processes the run has (1 without an MPI launcher).

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.size() >= 1
        True
    """
    return group().size


def local_rank() -> int:
    """This process's rank among the processes on its machine (pick the GPU with it).

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.local_rank() < distribute.local_size()
        True
    """
    return group().local_rank


def local_size() -> int:
    """How many processes of the run share this machine.

    Example:
        >>> from multinn import distribute
        >>> distribute.init(); distribute.local_size() >= 1
        True
    """
    return group().local_size


def collectives_for(backend: Any) -> Any:
    """The backend's transport over this run's process group, made once per backend.

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> collectives_for(K.default_backend()) is collectives_for(K.default_backend())
        True
    """
    cache = _state["collectives"]
    found = cache.get(backend.name)
    if found is None:
        found = cache[backend.name] = backend.collectives(group())
    return found


def is_quiet_worker() -> bool:
    """True on a rank other than 0 of an initialized run whose workers stay quiet (see `init`):
    progress output and checkpoint files are then left to rank 0.

    Example:
        >>> from multinn.distribute.world import is_quiet_worker
        >>> is_quiet_worker() in (True, False)
        True
    """
    current = _state["group"]
    return current is not None and current.rank != 0 and _state["quiet_workers"]
