"""Callbacks that record or show metrics: BaseLogger, History, ProgbarLogger."""
from __future__ import annotations

from typing import Iterable

from multinn.utils.progbar import Progbar

from .callback import Callback

_NOT_METRICS = ("batch", "size")


def _metric_names(params: dict, logs: dict) -> list:
    """params['metrics'] when the training loop gave it, else every metric-like key of `logs`."""
    names = params.get("metrics")
    if names:
        return list(names)
    return [k for k in logs if k not in _NOT_METRICS]


class BaseLogger(Callback):
    """Averages each batch's metric values over the epoch, weighted by batch size (Keras 2).

    The averages are written into the epoch's logs; `stateful_metrics` are taken as
    their last value instead.

    Example:
        >>> from multinn.callbacks import BaseLogger
        >>> logger = BaseLogger()
        >>> logger.set_params({"metrics": ["loss"]})
        >>> logger.on_epoch_begin(0)
        >>> logger.on_batch_end(0, {"size": 3, "loss": 1.0})
        >>> logger.on_batch_end(1, {"size": 1, "loss": 3.0})
        >>> logs = {}
        >>> logger.on_epoch_end(0, logs)
        >>> logs
        {'loss': 1.5}
    """

    def __init__(self, stateful_metrics: "Iterable[str] | None" = None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())
        self.seen = 0
        self.totals: dict = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 0)
        self.seen += size
        for name, value in logs.items():
            if name in _NOT_METRICS:
                continue
            if name in self.stateful_metrics:
                self.totals[name] = value
            else:
                self.totals[name] = self.totals.get(name, 0.0) + float(value) * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name in _metric_names(self.params, self.totals):
            if name in self.totals:
                value = self.totals[name]
                logs[name] = value if name in self.stateful_metrics else value / max(self.seen, 1)


class History(Callback):
    """Records the logs of every epoch: `history.history['loss']` is the list of epoch losses.

    `fit` returns this object (also kept as `model.history`).

    Example:
        >>> from multinn.callbacks import History
        >>> h = History()
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.9, "val_loss": 1.1})
        >>> h.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.8})
        >>> h.epoch, h.history["val_loss"]
        ([0, 1], [1.1, 0.8])
    """

    def __init__(self):
        super().__init__()
        self.epoch: list = []
        self.history: dict = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)


class ProgbarLogger(Callback):
    """Prints Keras 2's progress output: 'Epoch 1/10', then a bar (verbose=1) or one line (verbose=2).

    Args:
        count_mode: 'samples' (the bar counts samples, Keras 2's default for arrays)
            or 'steps' (it counts batches).
        stateful_metrics: names shown as their last value instead of averaged.

    Reads params 'verbose', 'epochs', and 'samples' or 'steps' set by the training loop.

    Example:
        >>> from multinn.callbacks import ProgbarLogger
        >>> logger = ProgbarLogger(count_mode="steps")
        >>> logger.set_params({"verbose": 2, "epochs": 1, "steps": 2, "metrics": ["loss"]})
        >>> logger.on_train_begin()
        >>> logger.on_epoch_begin(0)
        Epoch 1/1
        >>> logger.on_batch_end(0, {"size": 4, "loss": 1.0})
        >>> logger.on_batch_end(1, {"size": 4, "loss": 0.5})
        >>> logger.on_epoch_end(0, {"loss": 0.75})
         - 0s - loss: 0.7500
    """

    def __init__(self, count_mode: str = "samples", stateful_metrics: "Iterable[str] | None" = None):
        super().__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError(
                f"Unknown `count_mode`: expected 'samples' or 'steps'. Received: count_mode={count_mode!r}"
            )
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics or ())
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self.progbar = None
        self.log_values: list = []

    def on_train_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        from multinn.distribute.world import is_quiet_worker

        if is_quiet_worker():  # a data-parallel worker: rank 0 prints for the run (distribute.init)
            self.verbose = 0
        self.epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print("Epoch %d/%d" % (epoch + 1, self.epochs))
            self.target = self.params.get("steps") if self.use_steps else self.params.get("samples")
            # Keras 2 prints '50us/step' in both count modes: keep its familiar line.
            self.progbar = Progbar(target=self.target, verbose=self.verbose, stateful_metrics=self.stateful_metrics)
        self.seen = 0

    def on_batch_begin(self, batch, logs=None):
        self.log_values = []

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.seen += 1 if self.use_steps else logs.get("size", 0)
        self.log_values = [(k, logs[k]) for k in _metric_names(self.params, logs) if k in logs]
        # The last batch is drawn by on_epoch_end, together with the validation metrics.
        # verbose=2 draws only then, from the epoch's averages: reading every batch's values
        # would cost a device sync per batch for a line printed once per epoch.
        if self.verbose == 1 and (self.target is None or self.seen < self.target):
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        # The last batch's own values keep the bar's averages exact; the epoch adds what
        # batches do not have (the validation metrics).
        values = list(self.log_values) if self.verbose == 1 else []
        have = {name for name, _ in values}
        values += [(k, logs[k]) for k in _metric_names(self.params, logs) if k in logs and k not in have]
        if self.verbose:
            self.progbar.update(self.seen, values, finalize=True)
