"""CSVLogger: stream each epoch's results to a CSV file."""
from __future__ import annotations

import csv
import os

from .callback import Callback


def _cell(value):
    if isinstance(value, str):
        return value
    if getattr(value, "ndim", None) == 0:
        return value.item()
    if hasattr(value, "__iter__"):
        return '"[%s]"' % ", ".join(str(v) for v in value)
    return value


class CSVLogger(Callback):
    """Writes one row per epoch: 'epoch' and the sorted names of the first epoch's logs (Keras 2).

    Args:
        filename: the CSV file.
        separator: the field delimiter.
        append: add to an existing file (its header is kept) instead of overwriting it.

    Example:
        >>> import os, tempfile
        >>> from multinn.callbacks import CSVLogger
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> class FakeModel:
        ...     stop_training = False
        >>> logger = CSVLogger(path)
        >>> logger.set_model(FakeModel())
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.5, "acc": 0.75})
        >>> logger.on_train_end()
        >>> open(path).read().splitlines()
        ['epoch,acc,loss', '0,0.75,0.5']
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = str(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        self.csv_file = open(self.filename, mode, newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
        if getattr(self.model, "stop_training", False):
            # Training stopped mid-epoch: keys that were not computed are written as NA.
            logs = {k: logs.get(k, "NA") for k in self.keys}
        if self.writer is None:
            separator = self.sep

            class Dialect(csv.excel):
                delimiter = separator

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None
