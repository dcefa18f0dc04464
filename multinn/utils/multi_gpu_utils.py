"""Keras 2.3.1's `multi_gpu_model`, which multinn answers with `multinn.distribute`.

Keras replicated a model on several GPUs inside one TensorFlow process. multinn runs one device
per process, so the same data parallelism is one process per GPU with `multinn.distribute`
(Horovod's API): the call checks its arguments as Keras does, then raises an error that gives
the recipe.
"""
from __future__ import annotations

from typing import Any


def _count(gpus: Any) -> "int | None":
    if gpus is None:
        return None
    if isinstance(gpus, (list, tuple)):
        return len(gpus)
    if isinstance(gpus, bool) or not isinstance(gpus, int):
        raise ValueError(f"`gpus` must be an int, a list of GPU ids or None. Received: gpus={gpus!r}")
    return gpus


def multi_gpu_model(model: Any, gpus: Any = None, cpu_merge: bool = True, cpu_relocation: bool = False) -> Any:
    """Keras 2.3.1's data-parallel replication of `model` on `gpus` GPUs of one machine.

    multinn cannot replicate a model across devices inside one process; it always raises,
    naming `multinn.distribute`, which does the same job with one process per GPU:

        mpiexec -n 2 python train.py      # in train.py: distribute.init(), DistributedOptimizer, ...

    Raises:
        ValueError: `gpus` < 2 (as Keras), and otherwise the error pointing to multinn.distribute.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(1, input_shape=(2,))])
        >>> multinn.utils.multi_gpu_model(model, gpus=2)
        Traceback (most recent call last):
        ...
        ValueError: multi_gpu_model(gpus=2) cannot replicate a model across GPUs inside one process: ...
    """
    count = _count(gpus)
    if count is not None and count <= 1:
        raise ValueError(
            "For multi-gpu usage to be effective, call `multi_gpu_model` with `gpus >= 2`. "
            f"Received: `gpus={gpus!r}`"
        )
    n = "N" if count is None else str(count)
    raise ValueError(
        f"multi_gpu_model(gpus={gpus!r}) cannot replicate a model across GPUs inside one process: multinn runs one "
        "device per process. Use multinn.distribute, which trains data-parallel with one process per GPU: run "
        f"`mpiexec -n {n} python train.py` (pip install 'multinn[mpi]'), and in train.py call "
        "multinn.distribute.init() before building the model (each process takes GPU distribute.local_rank()), "
        "compile with multinn.distribute.DistributedOptimizer(optimizer), pass "
        "callbacks=[multinn.distribute.callbacks.BroadcastGlobalVariablesCallback(0)] to fit, and give each "
        f"process its shard of the data with batch_size divided by {n}. See the README's data-parallel section."
    )
