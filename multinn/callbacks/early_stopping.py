"""EarlyStopping: stop training when a monitored quantity has stopped improving."""
from __future__ import annotations

import math

from ._monitor import comparison, missing_metric_warning, resolve_mode
from .callback import Callback


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved for `patience` epochs (Keras 2).

    Args:
        monitor: quantity to watch, e.g. 'val_loss' or 'val_accuracy'.
        min_delta: a change smaller than this does not count as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints the epoch where training stopped.
        mode: 'min', 'max', or 'auto' (max for accuracy-like names, else min).
        baseline: training stops if the quantity does not improve on this value.
        restore_best_weights: put back the weights of the best epoch when stopping.

    Example:
        >>> from multinn.callbacks import EarlyStopping
        >>> class FakeModel:
        ...     stop_training = False
        >>> stopper = EarlyStopping(monitor="val_loss", patience=1)
        >>> stopper.set_model(FakeModel())
        >>> stopper.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 0.5, 0.6]):
        ...     stopper.on_epoch_end(epoch, {"val_loss": loss})
        >>> stopper.model.stop_training, stopper.stopped_epoch
        (True, 2)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: "float | None" = None,
        restore_best_weights: bool = False,
    ):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.monitor_op = comparison(self.mode)
        # Stored signed, as Keras 2 does: an improvement must beat best by |min_delta|.
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = math.inf if self.mode == "min" else -math.inf

    def get_monitor_value(self, logs: "dict | None"):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            missing_metric_warning("Early stopping", self.monitor, logs)
        return value

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None:
            return
        current = float(current)
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print("Restoring model weights from the end of the best epoch")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %05d: early stopping" % (self.stopped_epoch + 1))
