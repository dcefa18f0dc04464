"""Gradient compression for the exchange between ranks (Horovod's `Compression.none` / `.fp16`)."""
from __future__ import annotations

from typing import Any

from multinn import backend as K


class NoneCompressor:
    """Sends tensors as they are.

    Example:
        >>> from multinn import backend as K
        >>> t, ctx = NoneCompressor.compress(K.constant([1.5]))
        >>> str(NoneCompressor.decompress(t, ctx).dtype)
        'float32'
    """

    @staticmethod
    def compress(tensor: K.Tensor) -> "tuple[K.Tensor, Any]":
        """(the tensor to send, what `decompress` needs to restore it)."""
        return tensor, None

    @staticmethod
    def decompress(tensor: K.Tensor, ctx: Any) -> K.Tensor:
        """The received tensor in its original form."""
        return tensor


class FP16Compressor:
    """Sends floating-point tensors as float16 (half the bytes) and casts them back after; other
    dtypes travel as they are. The sum is taken in float16: values past 65504 overflow.

    Example:
        >>> from multinn import backend as K
        >>> t, ctx = FP16Compressor.compress(K.constant([1.5]))
        >>> str(t.dtype), str(FP16Compressor.decompress(t, ctx).dtype)
        ('float16', 'float32')
    """

    @staticmethod
    def compress(tensor: K.Tensor) -> "tuple[K.Tensor, Any]":
        dtype = K.dtype(tensor)
        if dtype in ("float32", "float64"):
            return K.cast(tensor, "float16"), dtype
        return tensor, None

    @staticmethod
    def decompress(tensor: K.Tensor, ctx: Any) -> K.Tensor:
        return tensor if ctx is None else K.cast(tensor, ctx)


class Compression:
    """The compressors `DistributedOptimizer(compression=...)` takes: `Compression.none` (the
    default) and `Compression.fp16`.

    Example:
        >>> Compression.fp16 is FP16Compressor
        True
    """

    none = NoneCompressor
    fp16 = FP16Compressor
