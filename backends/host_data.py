"""Host (NumPy) array helpers for the dataset loaders in `multinn.datasets`.

Datasets arrive as `.npz` files and leave as NumPy arrays, as in Keras 2; the loaders
above `backends/` call these helpers instead of importing NumPy themselves.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy


def load_npz(path: str, names: Sequence[str]) -> tuple:
    """Reads the named arrays of an `.npz` file into memory. Object arrays (imdb.npz's lists of
    word indices) are read by `data_pickle`, which builds plain data only: no pickle runs.

    Example:
        >>> import os, tempfile, numpy
        >>> from multinn.backends.host_data import load_npz
        >>> with tempfile.TemporaryDirectory() as d:
        ...     numpy.savez(os.path.join(d, "a.npz"), x=numpy.arange(3), s=numpy.array([[1, 2], [3]], dtype=object))
        ...     x, s = load_npz(os.path.join(d, "a.npz"), ["x", "s"])
        >>> x.tolist(), [list(v) for v in s]
        ([0, 1, 2], [[1, 2], [3]])
    """
    import zipfile

    from .data_pickle import read_npy_member

    with zipfile.ZipFile(path) as archive:
        files = {name[:-4] if name.endswith(".npy") else name: name for name in archive.namelist()}
        missing = [name for name in names if name not in files]
        if missing:
            raise ValueError(f"{path} has no array(s) {missing}; it holds {sorted(files)}.")
        return tuple(read_npy_member(archive.read(files[name])) for name in names)


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


def read_gzip_uint8(path: str, offset: int, shape: "Sequence[int] | None" = None) -> Any:
    """The bytes of a gzip file after a header of `offset` bytes, as uint8 (IDX files: 8 for labels,
    16 for images, as Keras 2 reads them), optionally reshaped.

    Example:
        >>> import gzip, os, tempfile
        >>> from multinn.backends.host_data import read_gzip_uint8
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with gzip.open(os.path.join(d, "a.gz"), "wb") as f:
        ...         _ = f.write(bytes(8) + bytes([3, 4, 5, 6]))
        ...     read_gzip_uint8(os.path.join(d, "a.gz"), 8, (-1, 2)).tolist()
        [[3, 4], [5, 6]]
    """
    import gzip

    with gzip.open(path, "rb") as f:
        values = numpy.frombuffer(f.read(), numpy.uint8, offset=offset)
    return values if shape is None else values.reshape(tuple(shape))


def load_cifar_batch(path: str, label_key: str = "labels") -> tuple:
    """Reads one pickled CIFAR batch (without running pickle) as Keras 2's `load_batch` does: (data reshaped to (N, 3, 32, 32),
    the labels under `label_key` as stored, a list).

    Example:
        >>> import os, pickle, tempfile, numpy
        >>> from multinn.backends.host_data import load_cifar_batch
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with open(os.path.join(d, "b"), "wb") as f:
        ...         pickle.dump({b"data": numpy.zeros((2, 3072), "uint8"), b"labels": [4, 7]}, f, protocol=2)
        ...     x, y = load_cifar_batch(os.path.join(d, "b"))
        ...     x.shape, y
        ((2, 3, 32, 32), [4, 7])
    """
    from .data_pickle import loads_data

    with open(path, "rb") as f:
        batch = loads_data(f.read(), encoding="bytes")  # plain data and arrays only: no pickle runs
    if not isinstance(batch, dict):
        raise ValueError(f"{path} is not a CIFAR batch (a dict of arrays and lists).")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    if label_key not in batch or "data" not in batch:
        raise ValueError(f"{path} has no {label_key!r} or 'data' entry; it holds {sorted(batch)}.")
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def stack_batches(batches: Sequence[Any], dtype: str) -> Any:
    """Joins batches along their first axis into a new array of `dtype` (Keras 2's CIFAR-10 training
    set: five batches copied into uint8 buffers).

    Example:
        >>> from multinn.backends.host_data import stack_batches
        >>> a = stack_batches([[1, 2], [3]], "uint8")
        >>> a.tolist(), a.dtype.name
        ([1, 2, 3], 'uint8')
    """
    return numpy.concatenate([numpy.asarray(b) for b in batches]).astype(dtype, copy=False)


def column(values: Any) -> Any:
    """`values` as an (n, 1) array (`numpy.reshape(values, (len(values), 1))`: a list of Python ints
    becomes NumPy's default integer, as in Keras 2's CIFAR labels).

    Example:
        >>> from multinn.backends.host_data import column
        >>> column([3, 1]).tolist()
        [[3], [1]]
    """
    return numpy.reshape(values, (len(values), 1))


def channels_first_to_last(images: Any) -> Any:
    """(N, C, H, W) images as (N, H, W, C) (a transposed view, as Keras 2 returns them).

    Example:
        >>> import numpy
        >>> from multinn.backends.host_data import channels_first_to_last
        >>> channels_first_to_last(numpy.zeros((2, 3, 4, 5))).shape
        (2, 4, 5, 3)
    """
    return numpy.asarray(images).transpose(0, 2, 3, 1)
