"""TensorBoard: write training curves and weight histograms as event files TensorBoard reads."""
from __future__ import annotations

import os
import warnings

from .. import backend as K
from .callback import Callback

_MISSING = ("The TensorBoard callback writes its event files with the `tensorboardX` package, which is not "
            "installed. Install it with: pip install tensorboardX  (or: pip install 'multinn[tensorboard]')")


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(_MISSING) from error
    return SummaryWriter


def _scalar(value):
    """The log value as a float, or None for values with no single number (a stateful metric's array)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class TensorBoard(Callback):
    """Logs losses, metrics and weight histograms for TensorBoard (Keras 2.3.1's `keras.callbacks.TensorBoard`).

    Runs are laid out as tf.keras 2 lays them out: `log_dir/train` holds the training values
    (tags `epoch_<metric>`, `batch_<metric>`, one histogram per weight) and `log_dir/validation`
    holds the `val_*` values under the same `epoch_<metric>` tags, so TensorBoard draws train and
    validation as two runs on one chart. The model's JSON config is written as text
    (`model_config`) when `write_graph` is true, because multinn has no TensorFlow graph to write.
    Needs the `tensorboardX` package (`pip install 'multinn[tensorboard]'`).

    Args:
        log_dir: folder of the event files.
        histogram_freq: write weight histograms every this many epochs (0: never).
        batch_size: accepted for Keras 2 compatibility; unused (histograms come from the weights).
        write_graph: write the model's config as text.
        write_grads, write_images, embeddings_freq, embeddings_layer_names, embeddings_metadata,
            embeddings_data: accepted for Keras 2 compatibility; not supported (a warning says so).
        update_freq: 'epoch', 'batch', or an integer: write the batch values every that many samples.

    Example:
        >>> import tempfile
        >>> from multinn.callbacks import TensorBoard
        >>> callback = TensorBoard(log_dir=tempfile.mkdtemp(), histogram_freq=1)
        >>> callback.update_freq
        'epoch'
    """

    def __init__(self, log_dir: str = "./logs", histogram_freq: int = 0, batch_size: int = 32,
                 write_graph: bool = True, write_grads: bool = False, write_images: bool = False,
                 embeddings_freq: int = 0, embeddings_layer_names=None, embeddings_metadata=None,
                 embeddings_data=None, update_freq="epoch", **kwargs):
        super().__init__()
        self._writer_class = _summary_writer_class()
        if kwargs:
            # tf.keras 2's extra arguments (profile_batch, embeddings_freq...) have nothing to drive here.
            warnings.warn(f"TensorBoard ignores the arguments {sorted(kwargs)}.")
        if not (update_freq in ("epoch", "batch") or (isinstance(update_freq, int) and update_freq > 0)):
            raise ValueError("update_freq must be 'epoch', 'batch' or a positive integer number of samples. "
                             f"Received: update_freq={update_freq!r}")
        if histogram_freq < 0:
            raise ValueError(f"histogram_freq must be >= 0. Received: histogram_freq={histogram_freq!r}")
        unsupported = {"write_grads": write_grads, "write_images": write_images, "embeddings_freq": embeddings_freq,
                       "embeddings_layer_names": embeddings_layer_names, "embeddings_metadata": embeddings_metadata,
                       "embeddings_data": embeddings_data}
        asked = sorted(name for name, value in unsupported.items() if value is not None and value is not False
                       and value != 0)
        if asked:
            warnings.warn(f"TensorBoard does not write gradients, images or embeddings; ignoring {asked}.")
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.batch_size = batch_size
        self.write_graph = write_graph
        self.write_grads = write_grads
        self.write_images = write_images
        self.embeddings_freq = embeddings_freq
        self.update_freq = update_freq
        self._writers: dict = {}
        self._samples_seen = 0
        self._samples_at_last_write = 0
        self._batch_step = 0

    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = self._writer_class(logdir=os.path.join(self.log_dir, run))
        return self._writers[run]

    def set_model(self, model) -> None:
        super().set_model(model)
        if self.write_graph and hasattr(model, "to_json"):
            try:
                config = model.to_json()
            except Exception as error:  # a model with unserialisable parts still trains and logs
                warnings.warn(f"TensorBoard could not write the model config: {error}")
            else:
                self._writer("train").add_text("model_config", config, 0)

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch":
            return
        logs = logs or {}
        self._samples_seen += int(logs.get("size", 1))
        self._batch_step += 1
        if self.update_freq != "batch" and self._samples_seen - self._samples_at_last_write < self.update_freq:
            return
        self._samples_at_last_write = self._samples_seen
        writer = self._writer("train")
        for name, value in logs.items():
            if name not in ("batch", "size") and _scalar(value) is not None:
                writer.add_scalar("batch_" + name, _scalar(value), self._batch_step)

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            if _scalar(value) is None:
                continue
            if name.startswith("val_"):
                self._writer("validation").add_scalar("epoch_" + name[4:], _scalar(value), epoch)
            else:
                self._writer("train").add_scalar("epoch_" + name, _scalar(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            for weight in self.model.weights:
                name = weight.name.replace(":", "_")
                writer.add_histogram(name, K.get_value(weight), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
