"""Callbacks that change the optimizer's learning rate: LearningRateScheduler, ReduceLROnPlateau."""
from __future__ import annotations

import inspect
import math
import warnings
from typing import Callable

from multinn import backend as K
from multinn.optimizers.optimizer import config_float

from ._monitor import missing_metric_warning, resolve_mode
from .callback import Callback


def _lr_variable(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise ValueError('Optimizer must have a "lr" attribute.')
    return optimizer.lr


def _takes_two_arguments(fn: Callable) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch to `schedule(epoch)` or `schedule(epoch, lr)`.

    Args:
        schedule: function of the epoch index (0-based) and optionally the current
            learning rate, returning the new learning rate as a float.
        verbose: 1 prints the new rate each epoch.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> from multinn.callbacks import LearningRateScheduler
        >>> class FakeModel:
        ...     optimizer = optimizers.SGD(learning_rate=0.1)
        >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
        >>> scheduler.set_model(FakeModel())
        >>> scheduler.on_epoch_begin(0)
        >>> round(float(K.get_value(FakeModel.optimizer.lr)), 6)
        0.05
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"`schedule` must be a function of the epoch. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr_var = _lr_variable(self.model)
        if _takes_two_arguments(self.schedule):
            lr = self.schedule(epoch, float(K.get_value(lr_var)))
        else:
            lr = self.schedule(epoch)
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise ValueError(f'The output of the "schedule" function should be float. Received: {lr!r}') from None
        K.set_value(lr_var, lr)
        if self.verbose > 0:
            print("\nEpoch %05d: LearningRateScheduler setting learning rate to %s." % (epoch + 1, lr))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = config_float(K.get_value(_lr_variable(self.model)))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` has stopped improving (Keras 2).

    Args:
        monitor: quantity to watch.
        factor: new_lr = lr * factor, factor < 1.
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints each reduction.
        mode: 'min', 'max' or 'auto'.
        min_delta: threshold for measuring a new optimum.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the learning rate.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> from multinn.callbacks import ReduceLROnPlateau
        >>> class FakeModel:
        ...     optimizer = optimizers.SGD(learning_rate=0.1)
        >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> reduce.set_model(FakeModel())
        >>> reduce.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 1.0]):
        ...     reduce.on_epoch_end(epoch, {"loss": loss})
        >>> round(float(K.get_value(FakeModel.optimizer.lr)), 6)
        0.05
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs,
    ):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor!r}")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated, use `min_delta` instead.", stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau() got an unexpected keyword argument {next(iter(kwargs))!r}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0
        self._reset()

    def _reset(self) -> None:
        self.mode = resolve_mode(self.mode, self.monitor, "Learning Rate Plateau Reducing")
        delta = self.min_delta
        if self.mode == "min":
            self.monitor_op = lambda a, b: a < b - delta
            self.best = math.inf
        else:
            self.monitor_op = lambda a, b: a > b + delta
            self.best = -math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        lr_var = _lr_variable(self.model)
        # float32 shown as written (0.01, not 0.009999999776), as NumPy prints Keras 2's value.
        logs["lr"] = config_float(K.get_value(lr_var))
        current = logs.get(self.monitor)
        if current is None:
            missing_metric_warning("Reduce LR on plateau", self.monitor, logs)
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(K.get_value(lr_var))
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    K.set_value(lr_var, new_lr)
                    if self.verbose > 0:
                        print("\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s." % (epoch + 1, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
