"""How text reaches the lookup and hashing layers: strings cannot be backend arrays, so a layer
called on a Python list / tuple / NumPy object array of strings maps it on the host and hands
the model a K tensor of ids; integer tensors may flow through a model graph as usual."""
from __future__ import annotations

from typing import Any

from multinn import backend as K

__all__ = ["nested_values", "is_host_text", "reshape_nested"]


def nested_values(values: Any) -> "tuple[list, tuple]":
    """Flat list and shape of a rectangular nested list / tuple / object array.

    Example:
        >>> nested_values([["a", "b"], ["c", "d"]])
        (['a', 'b', 'c', 'd'], (2, 2))
    """
    if hasattr(values, "tolist") and not isinstance(values, (str, bytes)):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        return [values], ()
    flat, shapes = [], []
    for item in values:
        f, s = nested_values(item)
        flat.extend(f)
        shapes.append(s)
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"Ragged inputs are not supported: every row needs the same length. Received: {values!r}")
    return flat, (len(values),) + (shapes[0] if shapes else ())


def is_host_text(inputs: Any) -> bool:
    """Whether `inputs` is host data holding strings (rather than a tensor or numbers).

    Example:
        >>> is_host_text(["a b"]), is_host_text([[1, 2]])
        (True, False)
    """
    if K.is_tensor(inputs) or isinstance(inputs, (str, bytes)):
        return isinstance(inputs, (str, bytes))
    if not (isinstance(inputs, (list, tuple)) or hasattr(inputs, "tolist")):
        return False
    flat, _ = nested_values(inputs)
    return any(isinstance(v, (str, bytes)) for v in flat)


def reshape_nested(flat: list, shape: tuple) -> Any:
    """`flat` as nested lists of `shape` (the host form of a string output).

    Example:
        >>> reshape_nested(["a", "b", "c", "d"], (2, 2))
        [['a', 'b'], ['c', 'd']]
    """
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [reshape_nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
