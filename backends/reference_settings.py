"""The three global settings the NumPy reference (`reference.py`) reads: floatx, epsilon and
the default image data format.

The reference sits below K and does not import it; `multinn.backend.numpy_backend` hands it
K's own getters with `use()`, so the reference and K read one configuration. Used on its
own, the reference falls back to Keras 2's defaults.
"""
from __future__ import annotations

from typing import Callable

_getters: dict = {
    "floatx": lambda: "float32",
    "epsilon": lambda: 1e-7,
    "image_data_format": lambda: "channels_last",
}


def use(
    floatx: "Callable[[], str] | None" = None,
    epsilon: "Callable[[], float] | None" = None,
    image_data_format: "Callable[[], str] | None" = None,
) -> None:
    """Makes the reference read its settings through the given getters (None keeps the current one).

    Example:
        >>> from multinn.backends import reference_settings as settings
        >>> previous = settings._getters["epsilon"]
        >>> settings.use(epsilon=lambda: 1e-3)
        >>> settings.epsilon()
        0.001
        >>> settings.use(epsilon=previous)
    """
    for name, getter in (("floatx", floatx), ("epsilon", epsilon), ("image_data_format", image_data_format)):
        if getter is not None:
            if not callable(getter):
                raise TypeError(f"use() takes getter functions. Received: {name}={getter!r}")
            _getters[name] = getter


def floatx() -> str:
    """The default float dtype name ('float32' unless configured).

    Example:
        >>> from multinn.backends import reference_settings as settings
        >>> settings.floatx() in ("float16", "float32", "float64")
        True
    """
    return _getters["floatx"]()


def epsilon() -> float:
    """The fuzz factor of the crossentropies (1e-7 unless configured).

    Example:
        >>> from multinn.backends import reference_settings as settings
        >>> 0 < settings.epsilon() < 1e-3
        True
    """
    return _getters["epsilon"]()


def data_format(value: "str | None") -> str:
    """`value` checked, or the configured image data format when it is None.

    Example:
        >>> from multinn.backends import reference_settings as settings
        >>> settings.data_format("channels_first")
        'channels_first'
    """
    if value is None:
        value = _getters["image_data_format"]()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(f"data_format must be 'channels_first' or 'channels_last'. Received: data_format={value!r}")
    return value
