"""Indexing, slicing and joining: the ops Tensor's `[]` and the gradients of others need."""
from __future__ import annotations

from typing import Any, Sequence

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, symbolic, to_tensor
from .math import axis_index, common_dtype, zeros_like
from .sparse import SparseTensor, sparse_concatenate, to_dense

__all__ = ["getitem", "concatenate", "stack", "gather"]


def _plain_index(index):
    """Tensors inside an index become backend arrays (they never carry gradients)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _getitem_fwd(b, x, index):
    return x[index]


def _getitem_grad(dy, y, x, index):
    return (_scatter_add(dy, x, index=index),)


def _scatter_fwd(b, dy, x, index):
    out = b.xp.zeros(x.shape, dtype=dy.dtype)
    if _is_basic(index):
        out[index] = dy
    else:
        b.add_at(out, index, dy)  # repeated indices accumulate
    return out


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


_scatter_add = Primitive(
    "scatter_add", _scatter_fwd, lambda dg, out, dy, x, index: (getitem(dg, index), None)
)
_getitem = Primitive("getitem", _getitem_fwd, _getitem_grad)


def getitem(x: Any, index: Any) -> Tensor:
    """x[index] with NumPy's indexing rules; differentiable (repeated indices accumulate)."""
    return _getitem(x, index=_plain_index(index))


def _concat_grad(dy, y, *inputs, axis):
    grads = []
    start = 0
    for t in inputs:
        stop = start + t.shape[axis]
        index = [slice(None)] * dy.ndim
        index[axis] = slice(start, stop)
        grads.append(getitem(dy, tuple(index)))
        start = stop
    return tuple(grads)


def _concat_fwd(b, *xs, axis):
    try:
        return b.xp.concatenate(xs, axis=axis)
    except ValueError:
        raise ValueError(
            f"K.concatenate joins tensors whose shapes match on every axis but axis {axis}. "
            f"Received: tensors of shapes {[tuple(x.shape) for x in xs]}"
        ) from None


_concatenate = Primitive("concatenate", _concat_fwd, _concat_grad)


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Tensor:
    """Joins tensors along an existing `axis` (Keras 2 default -1).

    Example:
        >>> from multinn import backend as K
        >>> K.concatenate([K.ones((2, 1)), K.zeros((2, 2))]).shape
        (2, 3)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("K.concatenate needs at least one tensor. Received: tensors=[]")
    if any(isinstance(t, SparseTensor) for t in tensors):
        if all(isinstance(t, SparseTensor) for t in tensors):
            return sparse_concatenate(tensors, axis)
        tensors = [to_dense(t) for t in tensors]  # Keras 2: a mix of sparse and dense joins densely
    ndim = to_tensor(tensors[0]).ndim
    if any(isinstance(t, Tensor) and t.ndim != ndim for t in tensors):
        raise ValueError(
            "K.concatenate joins tensors of one rank along an existing axis (K.stack adds one). "
            f"Received: tensors of shapes {[tuple(to_tensor(t).shape) for t in tensors]}"
        )
    return _concatenate(*common_dtype(tensors), axis=axis_index(axis, ndim, "K.concatenate") if ndim else 0)


def stack(x: Sequence[Any], axis: int = 0) -> Tensor:
    """Stacks tensors of one shape along a new `axis` (Keras 2 default 0)."""
    from .math import expand_dims

    tensors = [to_tensor(t) for t in x]
    if not tensors:
        raise ValueError("K.stack needs at least one tensor. Received: x=[]")
    axis = int(axis)
    if axis < 0:
        axis += tensors[0].ndim + 1
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


@deferred_on_graph
def gather(reference: Any, indices: Any) -> Tensor:
    """Rows of `reference` picked by integer `indices` (any shape): reference[indices].

    Every index must lie in [0, len(reference)), as TensorFlow checks on the CPU: a negative
    or too large index is a ValueError rather than a wrapped (NumPy, CuPy) or clipped row.
    Indices given as host data are checked before they are copied to the device; indices
    already on a GPU cost one read of their bounds (a device sync), so code that builds its
    indices in range (a shuffled batch) indexes with `reference[indices]` instead.

    Example:
        >>> from multinn import backend as K
        >>> K.gather(K.constant([[1.0], [2.0], [3.0]]), [2, 0]).numpy().tolist()
        [[3.0], [1.0]]
    """
    reference = to_tensor(reference)
    if reference.ndim == 0:
        raise ValueError("K.gather picks rows of a tensor of rank 1 or more. Received: reference with shape ()")
    idx, low, high = reference.backend.index_bounds(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        if not idx.size:
            return _getitem(reference, index=idx.astype("int64"))
        raise TypeError(f"K.gather needs integer indices. Received: indices of dtype {idx.dtype}")
    rows = reference.shape[0]
    if low is not None and (low < 0 or high >= rows):
        if symbolic.probing and rows:  # a stand-in size, not the user's: the real run checks
            return _getitem(reference, index=idx % rows)
        raise ValueError(
            f"K.gather: index {low if low < 0 else high} is out of range for a reference of shape "
            f"{tuple(reference.shape)}: indices must lie in [0, {rows}). Received: indices from {low} to {high}"
        )
    return _getitem(reference, index=idx)
