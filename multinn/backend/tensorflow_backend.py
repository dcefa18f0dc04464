"""Keras 2.3.1's `keras.backend.tensorflow_backend`, the module Keras 2 programs import the backend
by (`import keras.backend.tensorflow_backend as KTF`, `from keras.backend.tensorflow_backend
import set_session`). With the TensorFlow backend, Keras's `keras.backend` was this module's
functions; here it is the other way round: this module exposes every public name of multinn's K.

multinn has no TensorFlow and no session, so the session functions are stand-ins that let such
programs run: `set_session(session)` warns once and ignores the session (its GPU or thread
options have no meaning here: use `MULTINN_BACKEND` or `K.backend_scope` to pick the device),
`get_session()` returns an object whose `run(fetches)` evaluates K tensors to NumPy values, and
`clear_session()` is K's.

Example:
    >>> from multinn import backend as K
    >>> from multinn.backend import tensorflow_backend as KTF
    >>> KTF.sum is K.sum
    True
    >>> v = K.variable([1.0, 2.0])
    >>> KTF.get_session().run(v * 2).tolist()
    [2.0, 4.0]
"""
from __future__ import annotations

import types
import warnings
from typing import Any

import multinn.backend as _K

globals().update(
    {
        name: value
        for name, value in vars(_K).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
)


def __getattr__(name: str) -> Any:
    # a name K gains after this module was imported (K functions registered later) is K's too
    if not name.startswith("_") and hasattr(_K, name):
        return getattr(_K, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Session:
    """The stand-in for a TensorFlow session: `run` evaluates K tensors eagerly.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.tensorflow_backend import get_session
        >>> x = K.placeholder(shape=(2,))
        >>> get_session().run([x + 1], feed_dict={x: [1.0, 2.0]})[0].tolist()
        [2.0, 3.0]
    """

    graph = None

    def run(self, fetches: Any, feed_dict: "dict | None" = None, options: Any = None, run_metadata: Any = None) -> Any:
        """The values of `fetches` (a tensor, or a list, tuple or dict of them) as NumPy arrays;
        placeholders among them take their values from `feed_dict`."""
        if isinstance(fetches, dict):
            keys = list(fetches)
            return dict(zip(keys, self.run([fetches[k] for k in keys], feed_dict)))
        if isinstance(fetches, (list, tuple)):
            if feed_dict:
                placeholders = list(feed_dict)
                values = _K.function(placeholders, list(fetches))([feed_dict[p] for p in placeholders])
            else:
                values = [_evaluate(f) for f in fetches]
            return type(fetches)(values) if isinstance(fetches, tuple) else list(values)
        return self.run([fetches], feed_dict)[0]

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _evaluate(fetch: Any) -> Any:
    if fetch is None or callable(fetch):  # tf ops such as an initializer: nothing to run eagerly
        return None
    return _K.eval(fetch)


_session = Session()
_warned = [False]


def get_session() -> Session:
    """The session stand-in (always the same object).

    Example:
        >>> from multinn.backend.tensorflow_backend import get_session
        >>> get_session() is get_session()
        True
    """
    return _session


def set_session(session: Any) -> None:
    """Accepts and ignores a TensorFlow session, warning once: multinn has no session to configure.

    Example:
        >>> import warnings
        >>> from multinn.backend.tensorflow_backend import set_session
        >>> with warnings.catch_warnings(record=True):
        ...     set_session(object())
    """
    if not _warned[0]:
        _warned[0] = True
        warnings.warn(
            "multinn has no TensorFlow session: set_session() ignores its argument. Device and "
            "thread options come from MULTINN_BACKEND / K.backend_scope instead. "
            f"Received: session={type(session).__name__}",
            stacklevel=2,
        )
