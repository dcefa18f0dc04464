"""HDF5 helpers of Keras 2.3.1's `keras.utils.io_utils`: `HDF5Matrix` (a dataset read lazily
as model input), `H5Dict` (one dict-like interface over an HDF5 group or a plain dict),
binary HDF5 to and from streams, and the overwrite prompt.

h5py is optional (`pip install 'multinn[h5]'`): this module imports without it, and the
helpers that need it raise an ImportError that names it.
"""
from __future__ import annotations

import io
import os
from typing import Any, Callable, Iterator

_H5PY_MISSING = "{what} needs the h5py package, which is not installed: pip install h5py (or 'multinn[h5]')."


def _h5py(what: str) -> Any:
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(_H5PY_MISSING.format(what=what)) from exc
    return h5py


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


class HDF5Matrix:
    """Rows `start:end` of an HDF5 dataset, read on demand, usable as model input.

    Indexing works as on an array with non-negative indices: an int, a slice, or a list /
    range / array of indices (negative indices are not supported, as in Keras 2). A
    `normalizer` function is applied to every block read. Train with `shuffle='batch'` or
    `shuffle=False` so that reads stay contiguous.

    Args:
        datapath: path of the HDF5 file.
        dataset: name of the dataset in the file.
        start, end: the rows to use (end None: to the last row).
        normalizer: a function applied to the data read.

    Example:
        >>> import os, tempfile, h5py, numpy as np
        >>> path = os.path.join(tempfile.mkdtemp(), "data.h5")
        >>> with h5py.File(path, "w") as f:
        ...     f["x"] = np.arange(12.0).reshape(6, 2)
        >>> x = HDF5Matrix(path, "x", start=2, end=5, normalizer=lambda a: a * 10)
        >>> x.shape, x[0].tolist(), len(x[1:])
        ((3, 2), [40.0, 50.0], 2)
    """

    refs: dict = {}  # open files by path, shared by every matrix on the same file

    def __init__(self, datapath: str, dataset: str, start: int = 0, end: "int | None" = None,
                 normalizer: "Callable | None" = None):
        h5py = _h5py("HDF5Matrix")
        datapath = os.fspath(datapath)
        if datapath not in HDF5Matrix.refs:
            HDF5Matrix.refs[datapath] = h5py.File(datapath, "r")
        self.data = HDF5Matrix.refs[datapath][dataset]
        self.start = int(start)
        self.end = int(self.data.shape[0] if end is None else end)
        self.normalizer = normalizer
        if normalizer is not None:
            first = normalizer(self.data[0:1])
            self._base_shape, self._base_dtype = tuple(first.shape[1:]), first.dtype
        else:
            self._base_shape, self._base_dtype = tuple(self.data.shape[1:]), self.data.dtype

    def __len__(self) -> int:
        return self.end - self.start

    def _read(self, index: Any) -> Any:
        block = self.data[index]
        return self.normalizer(block) if self.normalizer is not None else block

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            first = self.start + (key.start or 0)
            stop = self.start + (len(self) if key.stop is None else key.stop)
            if stop > self.end:
                raise IndexError(f"HDF5Matrix index out of range: rows {key.start}:{key.stop} of {len(self)}.")
            return self._read(slice(first, stop, key.step))
        if isinstance(key, int) and not isinstance(key, bool):
            if key + self.start >= self.end:
                raise IndexError(f"HDF5Matrix index out of range: row {key} of {len(self)}.")
            return self._read(key + self.start)
        if isinstance(key, (list, range)) or _is_array(key):
            rows = [int(i) for i in (key.tolist() if _is_array(key) else key)]
            if rows and max(rows) + self.start >= self.end:
                raise IndexError(f"HDF5Matrix index out of range: row {max(rows)} of {len(self)}.")
            return self._read([i + self.start for i in rows])
        raise TypeError(
            "HDF5Matrix indices must be an int, a slice or a sequence of ints. "
            f"Received: {type(key).__name__} {key!r}"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        data = self[:]
        return data.astype(dtype) if dtype is not None else data

    @property
    def shape(self) -> tuple:
        """(rows, ...) after the normalizer."""
        return (len(self),) + self._base_shape

    @property
    def dtype(self) -> Any:
        """The dtype after the normalizer."""
        return self._base_dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        total = 1
        for dim in self.shape:
            total *= dim
        return total


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Asks on the terminal whether to overwrite `filepath`; True for 'y', False for 'n'.

    Example:
        >>> from unittest import mock
        >>> with mock.patch("builtins.input", return_value="n"):
        ...     ask_to_proceed_with_overwrite("model.h5")
        False
    """
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


class H5Dict:
    """A dict-like view of an HDF5 group, or of a plain dict with the same behaviour.

    Arrays are stored as datasets; strings, bytes, numbers and lists of them as attributes.
    Reading a missing key in a writable H5Dict creates a sub-group (a nested H5Dict).

    Args:
        path: an HDF5 file path (str or pathlib.Path), an open h5py Group, or a dict.
        mode: 'r' (read only), 'w' (truncate) or 'a' (read and write), for files.

    Example:
        >>> d = H5Dict({}, mode="w")
        >>> d["name"] = "dense"
        >>> d["layer"]["units"] = 3
        >>> d["name"], d["layer"]["units"], "layer" in d
        ('dense', 3, True)
    """

    def __init__(self, path: Any, mode: str = "a"):
        self.read_only = mode == "r"
        self._is_file = False
        if isinstance(path, dict):
            self.data, self._is_dict = path, True
            return
        self._is_dict = False
        if isinstance(path, (str, os.PathLike)):
            self.data = _h5py("H5Dict on a file").File(os.fspath(path), mode)
            self._is_file = True
            return
        h5py = _h5py("H5Dict")
        if isinstance(path, h5py.Group):
            self.data = path
            return
        raise TypeError(f"H5Dict takes an h5py Group, a path (str or Path) or a dict. Received: path={path!r}")

    @staticmethod
    def is_supported_type(path: Any) -> bool:
        """Whether `path` is something H5Dict can wrap.

        Example:
            >>> H5Dict.is_supported_type({}), H5Dict.is_supported_type(3)
            (True, False)
        """
        if isinstance(path, (dict, str, os.PathLike)):
            return True
        try:
            import h5py
        except ImportError:
            return False
        return isinstance(path, h5py.Group)

    def __setitem__(self, key: str, value: Any) -> None:
        if self.read_only:
            raise ValueError(f"Cannot set item {key!r}: this H5Dict is read-only.")
        if self._is_dict:
            self.data[key] = value
            return
        if _is_array(value):
            if key in self.data:
                raise KeyError(f"Cannot set item {key!r}: a dataset of that name exists.")
            dataset = self.data.create_dataset(key, value.shape, dtype=value.dtype)
            if value.shape:
                dataset[:] = value
            else:
                dataset[()] = value
            return
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, bytes) for v in value):
            # fixed-length bytes: h5py would store variable-length ones and read them back as str
            self.data.attrs.create(key, list(value), dtype=f"S{max(len(v) for v in value) or 1}")
            return
        self.data.attrs[key] = list(value) if isinstance(value, tuple) else value

    def __getitem__(self, key: str) -> Any:
        if self._is_dict:
            if key not in self.data:
                if self.read_only:
                    raise KeyError(f"No item {key!r} in this read-only H5Dict.")
                self.data[key] = {}
            value = self.data[key]
            return H5Dict(value, mode="r" if self.read_only else "a") if isinstance(value, dict) else value
        if key in self.attrs_or_none():
            value = self.data.attrs[key]
            return value.tolist() if _is_array(value) and value.shape else value
        if key in self.data:
            value = self.data[key]
            if hasattr(value, "attrs") and hasattr(value, "keys"):  # a group
                return H5Dict(value, mode="r" if self.read_only else "a")
            return value[()]
        if self.read_only:
            raise KeyError(f"No item {key!r} in this read-only H5Dict.")
        return H5Dict(self.data.create_group(key), mode="a")

    def attrs_or_none(self) -> Any:
        """The HDF5 attributes of the wrapped group ({} for a dict)."""
        return {} if self._is_dict else self.data.attrs

    def __contains__(self, key: str) -> bool:
        return key in self.data or key in self.attrs_or_none()

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def iter(self) -> Iterator[str]:
        """The keys of the wrapped group or dict."""
        return iter(self.data)

    def get(self, key: str, default: Any = None) -> Any:
        """`self[key]` when present, else `default`."""
        return self[key] if key in self else default

    def close(self) -> None:
        """Closes the file this H5Dict opened (a group or dict given to it stays open)."""
        if self._is_file and self.data:
            self.data.close()

    def __enter__(self) -> "H5Dict":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def h5dict(path: Any, mode: str = "a") -> H5Dict:
    """`H5Dict(path, mode)` (Keras 2.3.1's function spelling).

    Example:
        >>> h5dict({}, "w")["x"]["y"] = 1
    """
    return H5Dict(path, mode=mode)


def save_to_binary_h5py(save_function: Callable[[Any], Any], stream: Any) -> None:
    """Runs `save_function(h5file)` on an in-memory HDF5 file and writes the file's bytes to
    the binary `stream`.

    Example:
        >>> import io, numpy as np
        >>> buffer = io.BytesIO()
        >>> save_to_binary_h5py(lambda f: f.create_dataset("x", data=np.arange(3)), buffer)
        >>> _ = buffer.seek(0)
        >>> load_from_binary_h5py(lambda f: f["x"][:].tolist(), buffer)
        [0, 1, 2]
    """
    h5py = _h5py("save_to_binary_h5py")
    memory = io.BytesIO()
    with h5py.File(memory, "w") as h5file:
        save_function(h5file)
    stream.write(memory.getvalue())


def load_from_binary_h5py(load_function: Callable[[Any], Any], stream: Any) -> Any:
    """Opens the HDF5 bytes read from `stream` and returns `load_function(h5file)`
    (read what you need inside it: the file closes afterwards).

    Example:
        >>> import io, numpy as np
        >>> buffer = io.BytesIO()
        >>> save_to_binary_h5py(lambda f: f.create_dataset("x", data=np.ones(2)), buffer)
        >>> _ = buffer.seek(0)
        >>> load_from_binary_h5py(lambda f: f["x"].shape, buffer)
        (2,)
    """
    h5py = _h5py("load_from_binary_h5py")
    with h5py.File(io.BytesIO(stream.read()), "r") as h5file:
        return load_function(h5file)
