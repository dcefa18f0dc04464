"""Small callbacks: LambdaCallback (hooks from plain functions) and TerminateOnNaN."""
from __future__ import annotations

import math
from typing import Callable

from .callback import Callback


class LambdaCallback(Callback):
    """A callback built from functions (Keras 2).

    Args:
        on_epoch_begin, on_epoch_end: f(epoch, logs).
        on_batch_begin, on_batch_end: f(batch, logs).
        on_train_begin, on_train_end: f(logs).
        **kwargs: any other hook by name, e.g. on_test_end=f.

    Example:
        >>> from multinn.callbacks import LambdaCallback
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print("done", epoch))
        >>> cb.on_epoch_end(3, {})
        done 3
    """

    def __init__(
        self,
        on_epoch_begin: "Callable | None" = None,
        on_epoch_end: "Callable | None" = None,
        on_batch_begin: "Callable | None" = None,
        on_batch_end: "Callable | None" = None,
        on_train_begin: "Callable | None" = None,
        on_train_end: "Callable | None" = None,
        **kwargs: Callable,
    ):
        super().__init__()
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_batch_begin=on_batch_begin,
            on_batch_end=on_batch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            **kwargs,
        )
        for name, fn in hooks.items():
            if not hasattr(Callback, name) or not name.startswith("on_"):
                raise TypeError(f"LambdaCallback() got an unexpected keyword argument {name!r}.")
            if fn is not None:
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite.

    Example:
        >>> from multinn.callbacks import TerminateOnNaN
        >>> class FakeModel:
        ...     stop_training = False
        >>> cb = TerminateOnNaN()
        >>> cb.set_model(FakeModel())
        >>> cb.on_batch_end(7, {"loss": float("nan")})
        Batch 7: Invalid loss, terminating training
        >>> cb.model.stop_training
        True
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            loss = float(loss)
            if math.isnan(loss) or math.isinf(loss):
                print("Batch %d: Invalid loss, terminating training" % batch)
                self.model.stop_training = True
