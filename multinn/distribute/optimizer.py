"""`DistributedOptimizer`: any multinn optimizer, with its gradients averaged over every rank
before each update.

Every way an optimizer receives gradients ends in one of two methods, and both are wrapped:
`get_gradients` (Keras 2's `get_updates` with an eager loss, and custom loops that call it)
averages before clipping; `_apply` (`apply_gradients`, which `fit`/`train_on_batch` and custom
loops over `K.gradients` call, and the step `get_updates` returns for `K.function`) averages
gradients that have not been averaged yet, then clips and updates. Clipping after averaging
makes `clipnorm` see the global batch's gradient, as one process on the whole batch would.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.optimizers.optimizer import Optimizer, _check_no_none

from . import world
from .compression import Compression

DEFAULT_FUSION_BYTES = 64 * 1024 * 1024  # Horovod's default fusion buffer


class _Averager:
    """Averages lists of gradients across ranks: compressed, fused into buffers, decompressed."""

    def __init__(self, compression: Any, fusion_threshold_bytes: int, name: str):
        self.compression = compression
        self.fusion_threshold_bytes = fusion_threshold_bytes
        self.name = name

    def __call__(self, grads: list) -> list:
        if world.size() == 1:
            return list(grads)
        out = list(grads)
        present = [i for i, g in enumerate(grads) if g is not None]
        by_backend: dict = {}
        with K.no_grad():
            for i in present:
                t = grads[i] if isinstance(grads[i], K.Tensor) else K.convert_to_tensor(grads[i])
                sent, ctx = self.compression.compress(t)
                by_backend.setdefault(id(sent.backend), []).append((i, sent, ctx))
            for entries in by_backend.values():
                backend = entries[0][1].backend
                coll = world.collectives_for(backend)
                arrays = coll.allreduce_many([s.data for _, s, _ in entries], average=True,
                                             fusion_bytes=self.fusion_threshold_bytes)
                for (i, _, ctx), array in zip(entries, arrays):
                    out[i] = self.compression.decompress(K.Tensor(array, backend), ctx)
        return out


class _DistributedMixin:
    """Put before the wrapped optimizer's class: averages gradients, then defers to it."""

    _averager: _Averager

    def get_gradients(self, loss: Any, params: Any) -> list:
        grads = K.gradients(loss, list(params))
        _check_no_none(grads)
        grads = self._clip(self._averager(grads))
        # Kept so that _apply knows these are averaged already (same objects, not just equal values).
        self._averaged_grads = grads
        return grads

    def _apply(self, pairs: list, clipped: bool) -> None:
        averaged = getattr(self, "_averaged_grads", None)
        self._averaged_grads = None
        grads = [g for g, _ in pairs]
        if averaged is None or not _same_objects(grads, averaged):
            grads = self._averager(grads)
            pairs = [(g, v) for g, (_, v) in zip(grads, pairs)]
        super()._apply(pairs, clipped)

    def __reduce__(self):
        state = self.__getstate__()
        state["_averaged_grads"] = None
        return (_restore, (self._wrapped_class, state))


def _same_objects(grads: list, averaged: list) -> bool:
    ids = {id(g) for g in averaged if g is not None}
    return all(g is None or id(g) in ids for g in grads)


_classes: dict = {}


def _distributed_class(base: type) -> type:
    """A subclass of `base` with the mixin first, named like `base` so that configs and saved
    models name the original optimizer (a saved model loads without multinn.distribute)."""
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = type(base.__name__, (_DistributedMixin, base),
                                    {"_wrapped_class": base, "__module__": base.__module__})
    return cls


def _restore(base: type, state: dict) -> Optimizer:
    obj = _distributed_class(base).__new__(_distributed_class(base))
    obj.__setstate__(state)
    return obj


def DistributedOptimizer(optimizer: Optimizer, name: "str | None" = None, compression: Any = Compression.none,
                         fusion_threshold_bytes: int = DEFAULT_FUSION_BYTES) -> Optimizer:
    """`optimizer` with its gradients averaged over every rank before each update (Horovod's
    `DistributedOptimizer`). It works with `compile`/`fit`/`train_on_batch`, with `get_updates`,
    and with custom loops that call `get_gradients` or `apply_gradients` on `K.gradients`.

    The returned optimizer is of a subclass of `type(optimizer)` with the same name, and shares
    `optimizer`'s state (learning rate, step count, slots); use it in place of `optimizer`. With
    one process it updates exactly as `optimizer` would.

    Args:
        optimizer: a multinn optimizer instance.
        name: a label for the exchange (kept for Horovod's signature and error messages).
        compression: `Compression.none` or `Compression.fp16` (gradients sent as float16).
        fusion_threshold_bytes: gradients of one dtype are packed into buffers of up to this many
            bytes, one collective per buffer (Horovod's fusion buffer; 0 sends each alone).

    Example:
        >>> from multinn import backend as K, distribute, optimizers
        >>> distribute.init()
        >>> opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1))
        >>> w = K.variable([1.0])
        >>> opt.apply_gradients([(K.constant([1.0]), w)])
        >>> type(opt).__name__, round(float(K.get_value(w)[0]), 4)
        ('SGD', 0.9)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"DistributedOptimizer wraps a multinn optimizer instance. Received: optimizer={optimizer!r}")
    if isinstance(optimizer, _DistributedMixin):
        raise ValueError("This optimizer is already a DistributedOptimizer: wrap the original optimizer once.")
    if not (hasattr(compression, "compress") and hasattr(compression, "decompress")):
        raise ValueError(
            "compression must be multinn.distribute.Compression.none or .fp16 (or an object with compress/decompress). "
            f"Received: compression={compression!r}"
        )
    if isinstance(fusion_threshold_bytes, bool) or not isinstance(fusion_threshold_bytes, int) or fusion_threshold_bytes < 0:
        raise ValueError(
            f"fusion_threshold_bytes must be an int >= 0. Received: fusion_threshold_bytes={fusion_threshold_bytes!r}"
        )
    world.group()  # the clear error when init() was not called
    cls = _distributed_class(type(optimizer))
    wrapped = cls.__new__(cls)
    wrapped.__dict__.update(optimizer.__dict__)
    wrapped._averager = _Averager(compression, fusion_threshold_bytes, name or f"Distributed{type(optimizer).__name__}")
    wrapped._averaged_grads = None
    return wrapped
