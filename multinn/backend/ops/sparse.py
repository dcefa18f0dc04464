"""Sparse tensors: coordinates and values of the non-zero entries (Keras 2's sparse inputs).

`K.variable(scipy_sparse_matrix)` gives a SparseTensor; `K.dot` of one with a dense tensor,
`K.concatenate` of several, `K.to_dense` and `K.eval` work on it. Any matrix with `tocoo()`
(SciPy's or CuPy's sparse matrices) is accepted; K itself imports neither.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..tensor import Tensor
from .core import Primitive, backend_of, to_array_on, to_tensor

__all__ = ["SparseTensor", "to_dense", "sparse_dot", "sparse_concatenate"]


class SparseTensor:
    """A tensor stored as its non-zero entries.

    Args:
        indices: (n, ndim) integer coordinates, one row per entry.
        values: (n,) the entries' values.
        dense_shape: the shape of the whole tensor.

    Example:
        >>> from multinn import backend as K
        >>> s = K.SparseTensor(K.constant([[0, 1], [1, 0]], dtype="int64"), K.constant([5.0, 7.0]), (2, 2))
        >>> K.eval(s).tolist()
        [[0.0, 5.0], [7.0, 0.0]]
    """

    def __init__(self, indices: Any, values: Any, dense_shape: Sequence[int]) -> None:
        self.values = to_tensor(values)
        self.indices = to_tensor(indices, self.values.backend, "int64")
        self.dense_shape = tuple(int(d) for d in dense_shape)
        if self.indices.ndim != 2 or self.indices.shape != (self.values.shape[0], len(self.dense_shape)):
            raise ValueError(
                "SparseTensor needs indices of shape (entries, ndim) matching values (entries,) and dense_shape. "
                f"Received: indices.shape={self.indices.shape}, values.shape={self.values.shape}, dense_shape={self.dense_shape}"
            )

    @property
    def shape(self) -> tuple:
        return self.dense_shape

    @property
    def ndim(self) -> int:
        return len(self.dense_shape)

    @property
    def dtype(self) -> Any:
        return self.values.dtype

    @property
    def backend(self) -> Any:
        return self.values.backend

    def numpy(self):
        """The dense value as a NumPy array."""
        return to_dense(self).numpy()

    def __array__(self, dtype: Any = None, copy: Any = None):
        out = self.numpy()
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"<SparseTensor shape={self.dense_shape} entries={self.values.shape[0]} dtype={self.dtype}>"


def is_sparse_matrix(value: Any) -> bool:
    """True for SciPy-style sparse matrices (anything with `tocoo` and `nnz`)."""
    return hasattr(value, "tocoo") and hasattr(value, "nnz") and not isinstance(value, (Tensor, SparseTensor))


def from_matrix(value: Any, dtype: Any = None) -> SparseTensor:
    """A 2-D SparseTensor holding the entries of a SciPy-style sparse matrix."""
    coo = value.tocoo()
    backend = backend_of((coo.data,))
    rows = to_array_on(coo.row, backend, "int64")
    cols = to_array_on(coo.col, backend, "int64")
    xp = backend.xp
    indices = Tensor(xp.stack([rows, cols], axis=1), backend)
    return SparseTensor(indices, Tensor(to_array_on(coo.data, backend, dtype), backend), coo.shape)


def _scatter_fwd(b, values, indices, shape):
    out = b.xp.zeros(shape, dtype=values.dtype)
    b.xp.add.at(out, tuple(indices.T), values)  # repeated coordinates add up, as in SciPy
    return out


def _gather_fwd(b, dense, indices):
    return dense[tuple(indices.T)]


_gather_entries = Primitive(
    "sparse_gather_entries", _gather_fwd, lambda dy, y, dense, indices: (_scatter(dy, indices, shape=dense.shape), None)
)
_scatter = Primitive(
    "sparse_to_dense", _scatter_fwd, lambda dy, y, values, indices, shape: (_gather_entries(dy, indices), None)
)


def to_dense(x: Any) -> Tensor:
    """The dense tensor of a SparseTensor (other tensors pass through); differentiable in the values.

    Example:
        >>> from multinn import backend as K
        >>> s = K.SparseTensor(K.constant([[1]], dtype="int64"), K.constant([2.0]), (3,))
        >>> K.to_dense(s).numpy().tolist()
        [0.0, 2.0, 0.0]
    """
    if isinstance(x, SparseTensor):
        return _scatter(x.values, x.indices, shape=x.dense_shape)
    return to_tensor(x)


def _segment_sum_fwd(b, rows_values, rows, count):
    out = b.xp.zeros((count,) + rows_values.shape[1:], dtype=rows_values.dtype)
    b.add_at(out, rows, rows_values)
    return out


def _take_rows_fwd(b, dense, rows):
    return dense[rows]


_take_rows = Primitive(
    "sparse_take_rows", _take_rows_fwd, lambda dy, y, dense, rows: (_segment_sum(dy, rows, count=dense.shape[0]), None)
)
_segment_sum = Primitive(
    "sparse_segment_sum", _segment_sum_fwd, lambda dy, y, rows_values, rows, count: (_take_rows(dy, rows), None)
)


def sparse_dot(x: SparseTensor, y: Any) -> Tensor:
    """Product of a 2-D SparseTensor with a dense (features, units) tensor, touching only the
    stored entries; differentiable in both the sparse values and `y`.

    Example:
        >>> from multinn import backend as K
        >>> s = K.SparseTensor(K.constant([[0, 1]], dtype="int64"), K.constant([3.0]), (2, 2))
        >>> K.sparse_dot(s, K.constant([[1.0], [2.0]])).numpy().tolist()
        [[6.0], [0.0]]
    """
    y = to_tensor(y, x.backend)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0]:
        raise ValueError(
            "K.dot of a sparse tensor takes a 2-D sparse (rows, features) and a dense (features, units). "
            f"Received: x.shape={x.shape}, y.shape={y.shape}"
        )
    rows = Tensor(x.indices.data[:, 0], x.backend)
    cols = Tensor(x.indices.data[:, 1], x.backend)
    picked = _take_rows(y, cols) * x.values[:, None]
    return _segment_sum(picked, rows, count=x.shape[0])


def sparse_concatenate(tensors: Sequence[SparseTensor], axis: int = -1) -> SparseTensor:
    """Joins SparseTensors of one rank along `axis` (their other dimensions must agree).

    Example:
        >>> from multinn import backend as K
        >>> a = K.SparseTensor(K.constant([[0, 0]], dtype="int64"), K.constant([1.0]), (1, 2))
        >>> K.eval(K.sparse_concatenate([a, a])).tolist()
        [[1.0, 0.0, 1.0, 0.0]]
    """
    tensors = list(tensors)
    ndim = tensors[0].ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"K.concatenate: axis out of range for rank {ndim}. Received: axis={axis}")
    axis %= ndim
    base = tensors[0].dense_shape
    for t in tensors:
        if t.ndim != ndim or any(d != e for i, (d, e) in enumerate(zip(t.dense_shape, base)) if i != axis):
            raise ValueError(
                f"K.concatenate: sparse tensors must agree off axis {axis}. Received shapes {[s.dense_shape for s in tensors]}"
            )
    b = tensors[0].backend
    xp = b.xp
    offset = 0
    parts = []
    for t in tensors:
        idx = t.indices.data.copy()
        idx[:, axis] += offset
        parts.append(idx)
        offset += t.dense_shape[axis]
    from .indexing import concatenate  # the values' concatenation stays differentiable

    values = concatenate([t.values for t in tensors], axis=0)
    shape = base[:axis] + (offset,) + base[axis + 1:]
    return SparseTensor(Tensor(xp.concatenate(parts, axis=0), b), values, shape)
