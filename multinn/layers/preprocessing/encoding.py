"""The encodings CategoryEncoding, Discretization, Hashing and the lookups share: integer
indices to 'one_hot', 'multi_hot' or 'count' vectors of `depth` entries."""
from __future__ import annotations

from typing import Any

from multinn import backend as K

__all__ = ["OUTPUT_MODES", "encode", "encoded_shape"]

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def _check_rank(ndim: int, mode: str) -> None:
    if mode != "one_hot" and ndim > 2:
        raise ValueError(f"output_mode={mode!r} takes inputs of rank 1 or 2 (one sample per row). "
                         f"Received: inputs of rank {ndim}")


def encoded_shape(input_shape: tuple, depth: int, mode: str) -> tuple:
    """The output shape of `encode` for inputs of `input_shape`.

    Example:
        >>> encoded_shape((None, 3), 5, "one_hot"), encoded_shape((None, 3), 5, "count")
        ((None, 3, 5), (None, 5))
    """
    input_shape = tuple(input_shape)
    _check_rank(len(input_shape), mode)
    if len(input_shape) == 1 or (mode == "one_hot" and input_shape[-1] == 1):
        return input_shape[:1] + (depth,) if len(input_shape) == 1 else input_shape[:-1] + (depth,)
    if mode == "one_hot":
        return input_shape + (depth,)
    return input_shape[:1] + (depth,)


def encode(indices: Any, depth: int, mode: str, dtype: str, weights: Any = None) -> Any:
    """`indices` (ints in [0, depth); others encode as zeros) as `mode` vectors of `dtype`.

    A rank-1 input is one index per sample; in 'one_hot' a last axis of size 1 is replaced,
    any other gets a new axis; 'multi_hot' and 'count' fold the last axis of a rank-2 input
    (`weights`, of the indices' shape, weighs each index in 'count').

    Example:
        >>> from multinn import backend as K
        >>> encode(K.constant([[0, 1, 1]], dtype="int64"), 3, "count", "float32").numpy().tolist()
        [[1.0, 2.0, 0.0]]
    """
    _check_rank(indices.ndim, mode)
    if indices.ndim == 1 or (mode == "one_hot" and indices.shape[-1] == 1 and indices.ndim > 1):
        if indices.ndim > 1:
            indices = K.squeeze(indices, -1)
        hot = K.cast(K.one_hot(indices, depth), dtype)
        if mode == "count" and weights is not None:
            hot = hot * K.cast(K.reshape(weights, tuple(hot.shape[:-1]) + (1,)), dtype)
        return hot
    hot = K.cast(K.one_hot(indices, depth), dtype)
    if mode == "one_hot":
        return hot
    if mode == "multi_hot":
        return K.max(hot, axis=-2)
    if weights is not None:
        hot = hot * K.expand_dims(K.cast(weights, dtype), -1)
    return K.sum(hot, axis=-2)
