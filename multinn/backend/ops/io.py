"""Tensors to and from plain bytes: the portable form model files store weights in."""
from __future__ import annotations

from typing import Any, Sequence

from .. import config
from ..tensor import Tensor
from .core import to_tensor

__all__ = ["to_bytes", "from_bytes"]


def to_bytes(x: Any) -> bytes:
    """The values of `x` as little-endian bytes in C order (pair with its dtype and shape).

    Example:
        >>> from multinn import backend as K
        >>> len(K.to_bytes(K.zeros((2, 3))))
        24
    """
    t = to_tensor(x)
    return t.backend.to_bytes(t.data)


def from_bytes(data: bytes, dtype: str, shape: Sequence[int]) -> Tensor:
    """A tensor on the default backend rebuilt from `to_bytes` output, a dtype name and a shape.

    Bytes written on one backend load on any other.

    Example:
        >>> from multinn import backend as K
        >>> t = K.constant([[1.0, 2.0]])
        >>> K.from_bytes(K.to_bytes(t), "float32", (1, 2)).numpy().tolist()
        [[1.0, 2.0]]
    """
    shape = tuple(int(d) for d in shape)
    n = 1
    for d in shape:
        n *= d
    backend = config.default_backend()
    itemsize = backend.dtype(dtype).itemsize
    if len(data) != n * itemsize:
        raise ValueError(
            f"K.from_bytes: {len(data)} bytes cannot hold a {dtype} array of shape {shape} ({n * itemsize} bytes expected)."
        )
    return Tensor(backend.from_bytes(data, str(dtype), shape), backend)
