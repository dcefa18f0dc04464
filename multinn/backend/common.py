"""Keras 2.3.1's `keras.backend.common`: the process-wide configuration (floatx, epsilon,
image data format), Keras 1's dim-ordering spellings of it, and the `symbolic`/`eager`
decorators, which only TensorFlow's graph mode gave a meaning (here they return the
function unchanged)."""
from __future__ import annotations

from typing import Callable

from .config import (  # noqa: F401  (Keras 2.3.1's import path)
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from .ops.state import cast_to_floatx  # noqa: F401

_ORDERINGS = {"th": "channels_first", "tf": "channels_last"}


def image_dim_ordering() -> str:
    """Keras 1's name for the image data format: 'th' (channels first) or 'tf' (channels last).

    Example:
        >>> from multinn.backend import common
        >>> common.image_dim_ordering() == ("tf" if common.image_data_format() == "channels_last" else "th")
        True
    """
    return "th" if image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Sets the image data format with Keras 1's names: 'th' (channels first) or 'tf' (channels last).

    Example:
        >>> from multinn.backend import common
        >>> saved = common.image_data_format()
        >>> common.set_image_dim_ordering("th"); common.image_data_format()
        'channels_first'
        >>> common.set_image_data_format(saved)
    """
    if dim_ordering not in _ORDERINGS:
        raise ValueError(f"Unknown dim_ordering: expected 'th' or 'tf'. Received: dim_ordering={dim_ordering!r}")
    set_image_data_format(_ORDERINGS[dim_ordering])


def symbolic(func: Callable) -> Callable:
    """Keras 2.3.1's decorator for functions that must run in TensorFlow's graph mode;
    multinn has no graph mode to enter, so `func` is returned unchanged.

    Example:
        >>> symbolic(len)([1, 2])
        2
    """
    return func


def eager(func: Callable) -> Callable:
    """Keras 2.3.1's decorator for functions that must run eagerly under TensorFlow; multinn
    always runs eagerly, so `func` is returned unchanged.

    Example:
        >>> eager(len)([1, 2])
        2
    """
    return func
