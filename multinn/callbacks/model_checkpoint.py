"""ModelCheckpoint: save the model (or its weights) during training."""
from __future__ import annotations

import math
import warnings

from ._monitor import comparison, resolve_mode
from .callback import Callback


class ModelCheckpoint(Callback):
    """Saves the model after every `period` epochs, or every `save_freq` batches (Keras 2).

    `filepath` may contain named formatting options filled from the epoch (1-based) and
    the logs: 'weights.{epoch:02d}-{val_loss:.2f}.h5'.

    Args:
        filepath: where to save.
        monitor: quantity compared by `save_best_only`.
        verbose: 1 prints a line at each save.
        save_best_only: save only when `monitor` improves on the best seen so far.
        save_weights_only: `model.save_weights(path)` instead of `model.save(path)`.
        mode: 'min', 'max' or 'auto' (max for accuracy-like names).
        period: epochs between checkpoints.
        save_freq: 'epoch' (use `period`) or a number of batches between checkpoints.

    Example:
        >>> from multinn.callbacks import ModelCheckpoint
        >>> class FakeModel:
        ...     def save(self, path):
        ...         print("saved", path)
        >>> checkpoint = ModelCheckpoint("model-{epoch:02d}-{val_loss:.2f}.h5")
        >>> checkpoint.set_model(FakeModel())
        >>> checkpoint.on_epoch_end(0, {"val_loss": 0.4567})
        saved model-01-0.46.h5
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        period: int = 1,
        save_freq: "str | int" = "epoch",
    ):
        super().__init__()
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"`save_freq` must be 'epoch' or a positive integer. Received: save_freq={save_freq!r}")
        self.filepath = str(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        self.save_freq = save_freq
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        self.monitor_op = comparison(self.mode)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.epochs_since_last_save = 0
        self._batches_since_save = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save >= self.period:
            self.epochs_since_last_save = 0
            self._save(epoch, logs or {})

    def _save(self, epoch: int, logs: dict) -> None:
        from multinn.distribute.world import is_quiet_worker

        if is_quiet_worker():  # a data-parallel worker: rank 0 writes the run's files (distribute.init)
            return
        try:
            filepath = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as exc:
            raise KeyError(
                f"Failed to format the checkpoint path {self.filepath!r}: the logs have no {exc.args[0]!r}. "
                f"Available: {sorted(logs)}"
            ) from None
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available, skipping.", RuntimeWarning, stacklevel=2
                )
                return
            current = float(current)
            if not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print("\nEpoch %05d: %s did not improve from %0.5f" % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                print(
                    "\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                    % (epoch + 1, self.monitor, self.best, current, filepath)
                )
            self.best = current
        elif self.verbose > 0:
            print("\nEpoch %05d: saving model to %s" % (epoch + 1, filepath))
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
