"""Horovod's Keras callbacks for data-parallel `fit`: `BroadcastGlobalVariablesCallback`,
`MetricAverageCallback`, `LearningRateWarmupCallback`."""
from __future__ import annotations

import math
from typing import Any

from multinn import backend as K
from multinn.callbacks import Callback

from . import ops, world


class BroadcastGlobalVariablesCallback(Callback):
    """At the start of the first `fit`, sets every rank's model weights and optimizer state to
    rank `root_rank`'s, so that all ranks start from the same point (random initial weights, or
    a checkpoint only rank 0 loaded).

    Horovod broadcasts after the first batch, once TensorFlow has created the optimizer's slots;
    multinn creates them before broadcasting, so even the first update starts from equal weights.

    Example:
        >>> import multinn
        >>> from multinn import distribute
        >>> from multinn.layers import Dense
        >>> distribute.init()
        >>> model = multinn.Sequential([Dense(1, input_shape=(2,))])
        >>> model.compile(distribute.DistributedOptimizer(multinn.optimizers.SGD()), "mse")
        >>> cb = distribute.callbacks.BroadcastGlobalVariablesCallback(0)
        >>> _ = model.fit([[1.0, 2.0]], [[1.0]], callbacks=[cb], verbose=0)
        >>> cb.broadcast_done
        True
    """

    def __init__(self, root_rank: int = 0, device: str = ""):
        super().__init__()
        self.root_rank = ops._root(root_rank)
        self.device = device  # Horovod's placement hint; arrays stay where they are here
        self.broadcast_done = False

    def on_train_begin(self, logs=None):
        if self.broadcast_done:
            return
        ops.broadcast_weights(self.model, self.root_rank)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            params = getattr(self.model, "_collected_trainable_weights", None) or self.model.trainable_weights
            ops.broadcast_optimizer_state(optimizer, params, self.root_rank)
        self.broadcast_done = True


class MetricAverageCallback(Callback):
    """At each epoch's end, replaces every value in the logs (loss, metrics, `val_*`) by its mean
    over the ranks, so that History, checkpoints and early stopping see the whole run's numbers.
    List it before the callbacks that read the logs (ModelCheckpoint, ReduceLROnPlateau, ...).

    Example:
        >>> from multinn import distribute
        >>> distribute.init()
        >>> logs = {"loss": 0.5, "acc": 0.75}
        >>> distribute.callbacks.MetricAverageCallback().on_epoch_end(0, logs)
        >>> logs  # one process: unchanged
        {'loss': 0.5, 'acc': 0.75}
    """

    def on_epoch_end(self, epoch, logs=None):
        if not logs or world.size() == 1:
            return
        # Every rank walks the keys in the same order: collectives are matched by order.
        for key in sorted(logs):
            value = logs[key]
            if isinstance(value, bool) or not _is_number_like(value):
                continue
            mean = K.eval(ops.allreduce(K.constant(value, dtype="float64"), average=True, name=key))
            logs[key] = float(mean) if mean.ndim == 0 else mean


def _is_number_like(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return True
    return getattr(value, "dtype", None) is not None and getattr(getattr(value, "dtype", None), "kind", "") in "fiu"


class LearningRateWarmupCallback(Callback):
    """Horovod's gradual warmup (Goyal et al., 2017): over the first `warmup_epochs` epochs the
    learning rate climbs from `initial_lr / size()` to `initial_lr`, batch by batch:

        lr = initial_lr / size * (e * (size - 1) / warmup_epochs + 1),  e = epoch + (batch + 1) / steps_per_epoch

    (e counts the batch being run as done, so that the warmup's last batch runs at `initial_lr`.)

    With `momentum_correction`, an optimizer's `momentum` is scaled by new_lr / old_lr for the
    batch in which the rate changes and restored after it (the velocity was accumulated at the
    old rate).

    Args:
        initial_lr: the rate to reach (usually the single-process rate times `size()`); None
            reads the optimizer's rate when training starts.
        warmup_epochs: epochs the warmup lasts.
        momentum_correction: apply the momentum correction above.
        steps_per_epoch: batches per epoch; by default from `fit`'s `steps` or samples / batch size.
        verbose: 1 prints when the warmup ends.

    Example:
        >>> import multinn
        >>> from multinn import backend as K, distribute
        >>> from multinn.layers import Dense
        >>> distribute.init()
        >>> model = multinn.Sequential([Dense(1, input_shape=(1,))])
        >>> model.compile(multinn.optimizers.SGD(learning_rate=0.1), "mse")
        >>> warmup = distribute.callbacks.LearningRateWarmupCallback(initial_lr=0.2, warmup_epochs=1)
        >>> _ = model.fit([[1.0], [2.0]], [[1.0], [2.0]], batch_size=1, callbacks=[warmup], verbose=0)
        >>> round(float(K.get_value(model.optimizer.lr)), 6)  # one process: at the target from the start
        0.2
    """

    def __init__(self, initial_lr: "float | None" = None, warmup_epochs: float = 5, momentum_correction: bool = True,
                 steps_per_epoch: "int | None" = None, verbose: int = 0):
        super().__init__()
        if not warmup_epochs > 0:
            raise ValueError(f"warmup_epochs must be > 0. Received: warmup_epochs={warmup_epochs!r}")
        if steps_per_epoch is not None and not (isinstance(steps_per_epoch, int) and steps_per_epoch > 0):
            raise ValueError(f"steps_per_epoch must be a positive int or None. Received: steps_per_epoch={steps_per_epoch!r}")
        self.initial_lr = None if initial_lr is None else float(initial_lr)
        self.warmup_epochs = warmup_epochs
        self.momentum_correction = bool(momentum_correction)
        self.steps_per_epoch = steps_per_epoch
        self.verbose = verbose
        self.current_epoch = 0
        self._restore_momentum = None

    def multiplier(self, epoch: float) -> float:
        """The factor on `initial_lr` at fractional epoch `epoch` (1 from the warmup's end on).

        Example:
            >>> from multinn import distribute
            >>> distribute.init()
            >>> distribute.callbacks.LearningRateWarmupCallback(0.1, warmup_epochs=2).multiplier(5.0)
            1.0
        """
        if epoch >= self.warmup_epochs:
            return 1.0
        n = world.size()
        return 1.0 / n * (epoch * (n - 1) / self.warmup_epochs + 1)

    def _steps(self) -> int:
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        steps = self.params.get("steps")
        if steps:
            return int(steps)
        samples, batch_size = self.params.get("samples"), self.params.get("batch_size")
        if samples and batch_size:
            return int(math.ceil(samples / batch_size))
        raise ValueError(
            "LearningRateWarmupCallback could not infer steps_per_epoch from fit's parameters: pass steps_per_epoch=."
        )

    def on_train_begin(self, logs=None):
        if self.initial_lr is None:
            self.initial_lr = float(K.get_value(self.model.optimizer.lr))

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        if self.current_epoch >= self.warmup_epochs:
            return
        optimizer = self.model.optimizer
        old_lr = float(K.get_value(optimizer.lr))
        new_lr = self.initial_lr * self.multiplier(self.current_epoch + (batch + 1) / self._steps())
        K.set_value(optimizer.lr, new_lr)
        momentum = getattr(optimizer, "momentum", None)
        if self.momentum_correction and isinstance(momentum, K.Variable) and old_lr > 0:
            self._restore_momentum = float(K.get_value(momentum))
            K.set_value(momentum, self._restore_momentum * new_lr / old_lr)

    def on_batch_end(self, batch, logs=None):
        if self._restore_momentum is not None:
            K.set_value(self.model.optimizer.momentum, self._restore_momentum)
            self._restore_momentum = None

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(K.get_value(self.model.optimizer.lr))
        if self.verbose > 0 and epoch == math.ceil(self.warmup_epochs) - 1:
            print("\nEpoch %d: finished gradual learning rate warmup to %g." % (epoch + 1, float(K.get_value(self.model.optimizer.lr))))
