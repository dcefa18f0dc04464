"""What `adapt()` accepts, as one sequence of K tensors: an array-like (split into batches of
`batch_size`, all of it at once when None) or an iterable of batches (a generator, a Keras
Sequence, a list of arrays), read for at most `steps` batches."""
from __future__ import annotations

from typing import Any, Iterator

from multinn import backend as K
from multinn.utils.argument_validation import check_int

__all__ = ["adapt_batches", "host_values"]


def _is_array(data: Any) -> bool:
    return K.is_tensor(data) or (hasattr(data, "shape") and hasattr(data, "dtype"))


def adapt_batches(data: Any, batch_size: "int | None", steps: "int | None", layer: str,
                  dtype: "str | None" = None) -> Iterator[Any]:
    """The batches `adapt(data, batch_size, steps)` reads, as K tensors of `dtype` (kept when None).

    Example:
        >>> [b.shape for b in adapt_batches([[1.0], [2.0], [3.0]], 2, None, "Normalization")]
        [(2, 1), (1, 1)]
    """
    batch_size = None if batch_size is None else check_int(batch_size, "batch_size")
    steps = None if steps is None else check_int(steps, "steps")
    if _is_array(data) or (isinstance(data, (list, tuple)) and data and not _is_array(data[0])):
        whole = K.constant(data, dtype=dtype) if not K.is_tensor(data) or dtype else data
        n = int(whole.shape[0]) if whole.ndim else 1
        size = n if batch_size is None else batch_size
        batches: Any = (whole[i:i + size] for i in range(0, max(n, 1), max(size, 1)))
    elif hasattr(data, "__iter__") or hasattr(data, "__getitem__"):
        batches = (K.constant(b, dtype=dtype) if not K.is_tensor(b) or dtype else b for b in data)
    else:
        raise TypeError(f"{layer}.adapt expects an array, a tensor or an iterable of batches. Received: data={data!r}")
    count = 0
    for batch in batches:
        if steps is not None and count >= steps:
            return
        count += 1
        yield batch
    if count == 0:
        raise ValueError(f"{layer}.adapt received no data. Received: data={data!r}")


def host_values(tensor: Any) -> list:
    """The values of a K tensor as a flat Python list (an explicit device-to-host read).

    Example:
        >>> from multinn import backend as K
        >>> host_values(K.constant([[1, 2], [3, 4]], dtype="int64"))
        [1, 2, 3, 4]
    """
    return K.eval(K.flatten(tensor)).tolist()
