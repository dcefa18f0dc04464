"""K.placeholder and K.function: Keras 2's symbolic style on top of eager K.

There is one kind of graph tensor: a placeholder is the same KerasTensor as `Input()` returns
(the tensor of an input layer of its own), and K functions called on it record nodes of the
same graph that functional models are made of. K cannot import the engine (the layering wall),
so both functions here ask the engine's handler, registered with K's graph hooks
(ops/core.py's `symbolic`) when the engine is imported: `K.placeholder` makes the input layer,
and `K.function(inputs, outputs)` returns the engine's executor, which runs the graph from the
given inputs to the given outputs on the values it is fed.

Why a factory the engine registers, rather than the graph-tensor class moving down into K:
a placeholder has to be a node of the layer graph (an input layer's tensor), so that K calls
on it become layers that models, K.function, summaries and saving all understand. K cannot
make layers, so a class in K would still need the engine for every node; with the engine
owning the one type, K keeps only the hooks (`symbolic`) and knows no graph structure.
"""
from __future__ import annotations

import difflib
from typing import Any, Sequence

from .. import config
from .core import symbolic

__all__ = ["placeholder", "function", "is_placeholder"]

# Keras 2 (TensorFlow) passes these on to Session.run; eager K has no session and ignores them.
_SESSION_KWARGS = ("name", "fetches", "feed_dict", "options", "run_metadata", "session_kwargs")


def placeholder(
    shape: "Sequence[int | None] | None" = None,
    ndim: "int | None" = None,
    dtype: Any = None,
    sparse: bool = False,
    name: "str | None" = None,
) -> Any:
    """A symbolic input of known rank: None marks a dimension of unknown size.

    Args:
        shape: the shape, with None for unknown sizes; or None with `ndim`.
        ndim: the rank, all sizes unknown, when `shape` is None.
        dtype: dtype name; floatx when None.
        sparse: accepted for Keras 2 compatibility; fed values are dense.
        name: a name for error messages.

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(None, 2))
        >>> f = K.function([x], [K.sum(x, axis=1)])
        >>> f([[[1.0, 2.0], [3.0, 4.0]]])[0].tolist()
        [3.0, 7.0]
    """
    if shape is None:
        if ndim is None:
            raise ValueError(
                "K.placeholder needs `shape` or `ndim`: multinn tensors have a known rank. "
                "Received: shape=None, ndim=None"
            )
        shape = (None,) * int(ndim)
    elif isinstance(shape, int):
        shape = (shape,)
    shape = tuple(None if d is None else int(d) for d in shape)
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"K.placeholder sizes must be non-negative or None. Received: shape={shape}")
    dt = config.default_backend().dtype(dtype or config.floatx())
    return symbolic.placeholder(shape, dt, bool(sparse), name)


def is_placeholder(x: Any) -> bool:
    """True for tensors made by K.placeholder or `Input()` (not for tensors computed from one).

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(ndim=2)
        >>> K.is_placeholder(x), K.is_placeholder(x * 2), K.is_placeholder(K.ones((2,)))
        (True, False, False)
    """
    history = getattr(x, "_keras_history", None)
    # The engine's input layers say whether they wait for fed values (Input(tensor=...) does not).
    return history is not None and getattr(history[0], "is_placeholder", False) is True


def function(inputs: Sequence[Any], outputs: Any, updates: "Sequence[Any] | None" = None, **kwargs: Any) -> Any:
    """A callable computing `outputs` from values fed for the placeholders in `inputs`.

    Args:
        inputs: list of graph tensors (placeholders, `Input()`s, layer outputs) or tensors to
            feed; a K.learning_phase() entry is fed 0 or 1.
        outputs: list of tensors computed from them (or one tensor: one array back).
        updates: list of (variable, new_value) pairs applied after each call.
        **kwargs: `name` and Keras 2's Session.run arguments, accepted and ignored.

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(None, 2))
        >>> w = K.variable([[1.0], [2.0]])
        >>> count = K.variable(0.0)
        >>> f = K.function([x], [K.dot(x, w)], updates=[(count, count + 1)])
        >>> f([[[1.0, 1.0]]])[0].tolist(), float(K.get_value(count))
        ([[3.0]], 1.0)
    """
    for key in kwargs:
        if key not in _SESSION_KWARGS:
            close = difflib.get_close_matches(key, _SESSION_KWARGS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"K.function got an unexpected keyword argument {key!r}.{hint}")
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"K.function expects `inputs` to be a list or tuple. Received: inputs={inputs!r}")
    return symbolic.function(inputs, outputs, updates, kwargs.get("name"))
