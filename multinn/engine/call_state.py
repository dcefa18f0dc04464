"""The engine's per-call flags, one set per thread (and per asyncio task).

A layer call, a training step or a shape inference sets flags that layers deeper in the same
call read: whether the call is nested inside another layer's call (or a frozen layer's),
whether shape inference is running, whether updates (BatchNormalization's moving statistics)
may run, and which model a training step trains. They live in context variables, so two
threads can train two models, or one can predict while another trains, without seeing each
other's flags. A thread starts with the defaults (outside any call, not inferring, updates
on, no model training), whatever the thread that started it was doing.

Scopes restore the previous value by value, as K's do (see `multinn.backend.context_scope`).

One value here is shared by every thread on purpose: the structure version, bumped whenever a
layer gains sub-layers or a model's graph changes, which invalidates cached layer lists in
every thread.
"""
from __future__ import annotations

import contextvars
import threading
from typing import Any

from multinn.backend.context_scope import ContextVarScope

# Call levels: where the running code is relative to layer calls.
OUTSIDE = 0  # not inside any layer's call (a direct call from user code starts here)
INSIDE = 1  # inside a layer's call
FROZEN = 2  # inside a call of a layer with trainable=False (or of a layer inside one)

call_level: contextvars.ContextVar = contextvars.ContextVar("multinn_call_level", default=OUTSIDE)
_inferring: contextvars.ContextVar = contextvars.ContextVar("multinn_inferring", default=False)
_updates: contextvars.ContextVar = contextvars.ContextVar("multinn_updates", default=True)
_trained: contextvars.ContextVar = contextvars.ContextVar("multinn_trained", default=None)


def inferring() -> bool:
    """Whether shape inference is running layer calls on dummy data in this thread.

    Example:
        >>> inferring()
        False
        >>> with shape_inference_scope():
        ...     inferring()
        True
    """
    return _inferring.get()


def in_layer_call() -> bool:
    """Whether this thread is inside some layer's `call` (so a direct call's checks are done).

    Example:
        >>> in_layer_call()
        False
    """
    return call_level.get() != OUTSIDE


def trained_model() -> Any:
    """The model this thread's training step trains (None outside one).

    Example:
        >>> trained_model() is None
        True
    """
    return _trained.get()


def runs_updates(layer: Any) -> bool:
    """Whether `layer`, called now in this thread, may change its non-trainable state (see
    `Layer._runs_updates`).

    Example:
        >>> from multinn.layers import BatchNormalization
        >>> bn = BatchNormalization()
        >>> runs_updates(bn)
        True
        >>> with no_updates_scope():
        ...     runs_updates(bn)
        False
    """
    return (
        _updates.get()
        and call_level.get() != FROZEN
        and not _inferring.get()
        and (layer.trainable or layer is _trained.get())
    )


class shape_inference_scope(ContextVarScope):
    """Within it, layer calls run on dummy data: they count no metrics, add no losses and run no
    updates.

    Example:
        >>> with shape_inference_scope():
        ...     inferring()
        True
        >>> inferring()
        False
    """

    __slots__ = ()
    variable = _inferring
    _value = True


class no_updates_scope(ContextVarScope):
    """Within it, layers run no updates (Keras 2's test and predict functions run none).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import BatchNormalization
        >>> bn = BatchNormalization()
        >>> with no_updates_scope():
        ...     _ = bn(K.constant([[1.0], [3.0]]), training=True)
        >>> K.get_value(bn.moving_mean).tolist()
        [0.0]
    """

    __slots__ = ()
    variable = _updates
    _value = False


class training_step_scope:
    """Within it, layers of `model` run their updates, except those frozen now or inside a
    frozen network; `model`'s own flag counts as it was when the model was compiled, as its
    trainable weights do (Keras 2 collects both when it makes the training function).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.models import Sequential
        >>> from multinn.layers import BatchNormalization
        >>> model = Sequential([BatchNormalization(input_shape=(1,))])
        >>> model.trainable = False  # frozen after compiling: it still trains as compiled
        >>> with training_step_scope(model, trainable_at_compile=True):
        ...     _ = model(K.constant([[1.0], [3.0]]), training=True)
        >>> round(float(K.get_value(model.layers[0].moving_mean)[0]), 3)
        0.02
    """

    __slots__ = ("_model", "_previous")

    def __init__(self, model: Any, trainable_at_compile: bool):
        self._model = model if trainable_at_compile else None

    def __enter__(self) -> None:
        updates, trained = self._previous = (_updates.get(), _trained.get())
        if updates is not True:  # sets only what changes, as ContextVarScope does
            _updates.set(True)
        if trained is not self._model:
            _trained.set(self._model)

    def __exit__(self, *exc: Any) -> None:
        updates, trained = self._previous
        if _updates.get() is not updates:
            _updates.set(updates)
        if _trained.get() is not trained:
            _trained.set(trained)


# Process-wide: a structure change made in one thread must invalidate caches in all of them.
# A module attribute rather than a function: caches compare it on every training step.
structure_version = 0  # changes whenever some layer gains sub-layers or a model's graph changes
_structure_lock = threading.Lock()


def structure_changed() -> None:
    """Invalidates every cache keyed by `call_state.structure_version` (in every thread).

    Example:
        >>> from multinn.engine import call_state
        >>> before = call_state.structure_version
        >>> call_state.structure_changed()
        >>> call_state.structure_version > before
        True
    """
    global structure_version
    with _structure_lock:  # `+=` is a read and a write: two threads could lose one bump
        structure_version += 1
