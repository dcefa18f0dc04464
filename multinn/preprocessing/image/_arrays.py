"""Brings image data to the host: augmentation runs on NumPy arrays whatever backend trains."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.backends import host_image as host


def host_array(x: Any, dtype: Any = None) -> Any:
    """`x` (a NumPy array, a K tensor on any backend, nested lists) as a host array of `dtype`
    (kept as is when None); a host array of that dtype is returned without a copy, a K tensor
    always as a copy of its own (the in-place `standardize` must not write into a tensor).

    Example:
        >>> from multinn import backend as K
        >>> host_array(K.constant([[1.0, 2.0]]), "float64").dtype.name
        'float64'
    """
    if isinstance(x, K.Tensor):
        return host.copy(x.numpy(), dtype)
    return host.asarray(x, dtype)
