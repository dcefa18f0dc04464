"""Data-parallel training across processes and machines, with Horovod's API.

Launch one process per device (`mpiexec -n 4 python train.py`); in the script:

    from multinn import distribute
    distribute.init()
    model.compile(optimizer=distribute.DistributedOptimizer(optimizers.SGD(0.01 * distribute.size())), ...)
    model.fit(x_shard, y_shard, callbacks=[distribute.callbacks.BroadcastGlobalVariablesCallback(0),
                                           distribute.callbacks.MetricAverageCallback()])

Each rank trains on its own shard; `DistributedOptimizer` averages the gradients over the ranks
before every update, so all ranks keep equal weights. Arrays travel through the backend's
transport (`ArrayBackend.collectives`): MPI buffers via mpi4py for NumPy, NCCL for CuPy. Without
mpi4py or a launcher, `size() == 1` and everything works as in one process.

BatchNormalization keeps per-replica statistics, as Keras and Horovod do: each rank normalizes
with its own shard's batch statistics and updates its own moving averages (rank 0's are the ones
its checkpoints hold); `SyncBatchNormalization` uses the statistics of all ranks' batches together. By default only rank 0 prints progress and writes ModelCheckpoint files
(see `init`).

Example:
    >>> from multinn import distribute
    >>> distribute.init()
    >>> distribute.size() >= 1
    True
"""
from . import callbacks
from .compression import Compression
from .ops import allgather, allreduce, broadcast, broadcast_optimizer_state, broadcast_variables, broadcast_weights
from .optimizer import DistributedOptimizer
from .sync_batch_norm import SyncBatchNormalization
from .world import init, is_initialized, local_rank, local_size, rank, size

__all__ = [
    "init", "is_initialized", "rank", "size", "local_rank", "local_size", "allreduce", "allgather", "broadcast",
    "broadcast_variables", "broadcast_weights", "broadcast_optimizer_state", "DistributedOptimizer", "Compression",
    "SyncBatchNormalization", "callbacks",
]
