"""Host (NumPy) array helpers for the dataset loaders in `multinn.datasets`.

Datasets arrive as `.npz` files and leave as NumPy arrays, as in Keras 2; the loaders
above `backends/` call these helpers instead of importing NumPy themselves.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy


def load_npz(path: str, names: Sequence[str]) -> tuple:
    """Reads the named arrays of an `.npz` file into memory (object arrays allowed, as in imdb.npz).

    Example:
        >>> import os, tempfile, numpy
        >>> from multinn.backends.host_data import load_npz
        >>> with tempfile.TemporaryDirectory() as d:
        ...     numpy.savez(os.path.join(d, "a.npz"), x=numpy.arange(3))
        ...     load_npz(os.path.join(d, "a.npz"), ["x"])[0].tolist()
        [0, 1, 2]
    """
    with numpy.load(path, allow_pickle=True) as archive:
        missing = [name for name in names if name not in archive.files]
        if missing:
            raise ValueError(f"{path} has no array(s) {missing}; it holds {sorted(archive.files)}.")
        return tuple(archive[name] for name in names)


def seeded_shuffles(seed: int, *groups: Sequence[Any]) -> list:
    """Shuffles each group of equally long arrays by one permutation, drawing the groups' permutations
    in turn from one `numpy.random.RandomState(seed)` (Keras 2's loaders: `rng.shuffle(arange(n))`).

    Returns a list with one tuple of shuffled arrays per group.

    Example:
        >>> import numpy
        >>> from multinn.backends.host_data import seeded_shuffles
        >>> [(a, b)] = seeded_shuffles(113, (numpy.arange(4), numpy.arange(4) * 10))
        >>> bool((a * 10 == b).all()), sorted(a.tolist())
        (True, [0, 1, 2, 3])
    """
    rng = numpy.random.RandomState(seed)
    shuffled = []
    for group in groups:
        indices = numpy.arange(len(group[0]))
        rng.shuffle(indices)
        shuffled.append(tuple(numpy.asarray(array)[indices] for array in group))
    return shuffled


def concatenate(arrays: Sequence[Any]) -> Any:
    """Joins host arrays along their first axis (`numpy.concatenate`).

    Example:
        >>> import numpy
        >>> from multinn.backends.host_data import concatenate
        >>> concatenate([numpy.arange(2), numpy.arange(1)]).tolist()
        [0, 1, 0]
    """
    return numpy.concatenate([numpy.asarray(a) for a in arrays])


def object_array(items: Sequence[Any]) -> Any:
    """A 1-D object array holding each item as is (a list per sequence, ragged lengths allowed).

    Example:
        >>> from multinn.backends.host_data import object_array
        >>> a = object_array([[1, 2], [3]])
        >>> a.shape, a.dtype.name, a[1]
        ((2,), 'object', [3])
    """
    out = numpy.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def array(values: Any, like: Any = None) -> Any:
    """A new host array of `values` (a copy), with the dtype of `like` when given.

    Example:
        >>> import numpy
        >>> from multinn.backends.host_data import array
        >>> array([1, 0], like=numpy.zeros(1, dtype="uint8")).dtype.name
        'uint8'
    """
    dtype = None if like is None else numpy.asarray(like).dtype
    return numpy.array(values, dtype=dtype)
