"""The callback protocol (Keras 2's `Callback`) and `CallbackList`, which fans each event out."""
from __future__ import annotations

from typing import Any, Iterable

_MODES = ("train", "test", "predict")


class Callback:
    """Base class of callbacks: override the hooks you need.

    Attributes:
        params: dict of training parameters (epochs, steps, samples, verbose, metrics, ...).
        model: the model being trained.
        validation_data: set by the training loop when there is validation data.

    The batch hooks receive `logs` with 'batch' and 'size' and the batch's metric
    values; `on_epoch_end` receives the epoch's averages (and 'val_*' values).

    Example:
        >>> from multinn.callbacks import Callback, CallbackList
        >>> class Count(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print("epoch", epoch, logs["loss"])
        >>> CallbackList([Count()]).on_epoch_end(0, {"loss": 0.5})
        epoch 0 0.5
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params: dict = {}

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self.model = model

    # Keras 2: the batch hooks of training default to the older on_batch_* names.
    def on_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        """Called before each training batch (same as on_train_batch_begin)."""

    def on_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        """Called after each training batch (same as on_train_batch_end)."""

    def on_epoch_begin(self, epoch: int, logs: "dict | None" = None) -> None:
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch: int, logs: "dict | None" = None) -> None:
        """Called at the end of an epoch with its logs (training only)."""

    def on_train_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        """Called before each batch of `evaluate` (and of validation inside `fit`)."""

    def on_test_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        """Called after each batch of `evaluate` (and of validation inside `fit`)."""

    def on_predict_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        """Called before each batch of `predict`."""

    def on_predict_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        """Called after each batch of `predict`."""

    def on_train_begin(self, logs: "dict | None" = None) -> None:
        """Called at the start of `fit`."""

    def on_train_end(self, logs: "dict | None" = None) -> None:
        """Called at the end of `fit`."""

    def on_test_begin(self, logs: "dict | None" = None) -> None:
        """Called at the start of `evaluate` (and of validation inside `fit`)."""

    def on_test_end(self, logs: "dict | None" = None) -> None:
        """Called at the end of `evaluate` (and of validation inside `fit`)."""

    def on_predict_begin(self, logs: "dict | None" = None) -> None:
        """Called at the start of `predict`."""

    def on_predict_end(self, logs: "dict | None" = None) -> None:
        """Called at the end of `predict`."""


def _overridden(callbacks: list, mode: str, hook: str) -> list:
    """The bound batch hooks of `callbacks` that do something: a hook a callback's class (or the
    callback itself) overrides. Skipping the rest keeps a training step free of no-op calls."""
    names = [f"on_{mode}_batch_{hook}"] + ([f"on_batch_{hook}"] if mode == "train" else [])
    methods = []
    for callback in callbacks:
        if any(name in vars(callback) or getattr(type(callback), name, None) is not getattr(Callback, name)
               for name in names):
            methods.append(getattr(callback, names[0]))
    return methods


class CallbackList:
    """A list of callbacks called in order, with one method per event.

    Args:
        callbacks: the callbacks.

    Example:
        >>> from multinn.callbacks import CallbackList, History
        >>> history = History()
        >>> callbacks = CallbackList([history])
        >>> callbacks.on_train_begin()
        >>> callbacks.on_epoch_end(0, {"loss": 1.0})
        >>> history.history
        {'loss': [1.0]}
    """

    def __init__(self, callbacks: "Iterable[Callback] | None" = None):
        self.callbacks = list(callbacks or [])
        self.params: dict = {}
        self.model = None
        self._batch_methods: dict = {}  # (mode, hook, callback ids) -> the hooks that do something

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_params(self, params: dict) -> None:
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model: Any) -> None:
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def _call_batch_hook(self, mode: str, hook: str, batch: int, logs: "dict | None" = None) -> None:
        """Calls on_{mode}_batch_{hook} (Keras 2's dispatcher; mode 'train', 'test' or 'predict')."""
        key = (mode, hook, tuple(map(id, self.callbacks)))
        methods = self._batch_methods.get(key)
        if methods is None:
            if mode not in _MODES or hook not in ("begin", "end"):
                raise ValueError(f"Unknown batch hook: mode={mode!r}, hook={hook!r}.")
            methods = self._batch_methods[key] = _overridden(self.callbacks, mode, hook)
        if methods:
            logs = logs if logs is not None else {}
            for method in methods:
                method(batch, logs)

    def _call_begin_hook(self, mode: str) -> None:
        self._call({"train": "on_train_begin", "test": "on_test_begin", "predict": "on_predict_begin"}[mode], {})

    def _call_end_hook(self, mode: str) -> None:
        self._call({"train": "on_train_end", "test": "on_test_end", "predict": "on_predict_end"}[mode], {})

    def on_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("train", "begin", batch, logs)

    def on_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("train", "end", batch, logs)

    def on_epoch_begin(self, epoch: int, logs: "dict | None" = None) -> None:
        self._call("on_epoch_begin", epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch: int, logs: "dict | None" = None) -> None:
        self._call("on_epoch_end", epoch, logs if logs is not None else {})

    def on_train_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("train", "begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("train", "end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("test", "begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("test", "end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("predict", "begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: "dict | None" = None) -> None:
        self._call_batch_hook("predict", "end", batch, logs)

    def on_train_begin(self, logs: "dict | None" = None) -> None:
        self._call("on_train_begin", logs if logs is not None else {})

    def on_train_end(self, logs: "dict | None" = None) -> None:
        self._call("on_train_end", logs if logs is not None else {})

    def on_test_begin(self, logs: "dict | None" = None) -> None:
        self._call("on_test_begin", logs if logs is not None else {})

    def on_test_end(self, logs: "dict | None" = None) -> None:
        self._call("on_test_end", logs if logs is not None else {})

    def on_predict_begin(self, logs: "dict | None" = None) -> None:
        self._call("on_predict_begin", logs if logs is not None else {})

    def on_predict_end(self, logs: "dict | None" = None) -> None:
        self._call("on_predict_end", logs if logs is not None else {})

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)
