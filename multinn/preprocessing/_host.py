"""Host (NumPy) arrays for the preprocessing utilities, made through K's default backend.

Keras 2's preprocessing functions return NumPy arrays. Only `backends/` may import NumPy, so
the arrays here are built as K tensors on the default backend and brought to the host with
`.numpy()`; dtypes that no device holds (object, strings) are made from a host integer array
with `astype`.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K

_NUMERIC_KINDS = "biufc"
_PLAIN_SCALARS = (int, float, complex, str, bytes)


def dtype_of(dtype: Any, where: str) -> Any:
    """The array library's dtype for `dtype` (a name, a Python type or a dtype object).

    Example:
        >>> dtype_of("int32", "pad_sequences").name
        'int32'
        >>> dtype_of(object, "pad_sequences").kind
        'O'
    """
    try:
        return K.default_backend().dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{where}: {dtype!r} is not a data type ({exc}). Received: dtype={dtype!r}") from None


def full(shape: tuple, value: Any, dtype: Any) -> Any:
    """A new, writable NumPy array of `shape` filled with `value`, cast to `dtype` as NumPy casts.

    Example:
        >>> full((2, 3), 7, "int32").tolist()
        [[7, 7, 7], [7, 7, 7]]
        >>> full((2,), "<pad>", object).tolist()
        ['<pad>', '<pad>']
    """
    resolved = dtype_of(dtype, "full")
    if resolved.kind in _NUMERIC_KINDS:
        return K.constant(value, dtype=resolved.name, shape=shape).numpy()
    array = K.constant(0, dtype="int8", shape=shape).numpy().astype(dtype)
    array[...] = value
    return array


def array(values: list, dtype: str) -> Any:
    """A NumPy array of a (nested) list of numbers with a numeric `dtype`.

    Example:
        >>> array([0.5, 1.0], "float64").dtype.name
        'float64'
    """
    return K.convert_to_tensor(values, dtype=dtype).numpy()


def shape_of(x: Any) -> tuple:
    """The shape NumPy would give `x`: arrays and tensors report theirs, strings are scalars,
    nested lists and tuples must be regular.

    Example:
        >>> shape_of([[1, 2], [3, 4], [5, 6]]), shape_of(["ab", "c"]), shape_of(3)
        ((3, 2), (2,), ())
    """
    shape = getattr(x, "shape", None)
    if shape is not None and not isinstance(x, (str, bytes)):
        return tuple(int(d) for d in shape)
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or not hasattr(x, "__getitem__"):
        return ()
    if all(isinstance(item, _PLAIN_SCALARS) for item in x):  # the common case: a list of word indices
        return (len(x),)
    inner = {shape_of(item) for item in x}
    if len(inner) > 1:
        raise ValueError(f"A sequence holds items of different shapes {sorted(inner)}, so it is not an array. "
                         f"Received: {_short(x)}")
    return (len(x),) + (inner.pop() if inner else ())


def to_host(x: Any) -> Any:
    """K tensors as NumPy arrays; lists, tuples and NumPy arrays as they are."""
    return x.numpy() if isinstance(x, K.Tensor) else x


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."
