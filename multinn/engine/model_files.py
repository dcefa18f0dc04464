"""What every model or weights file goes through, whatever its format: its format read from
its signature, one error type for a malformed file, limits checked before allocating, and
crash-safe writing (a temporary beside the target, moved into place; removed on any error,
and found and removed on the next save when its process died).
"""
from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import tempfile
from typing import Any, Iterator

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# HDF5 allows a user block before the superblock: the signature then sits at 512, 1024, ...
_HDF5_OFFSETS = (0, 512, 1024, 2048, 4096, 8192)
HDF5_EXTENSIONS = (".h5", ".hdf5")

MAX_CONFIG_BYTES = 64 * 1024 * 1024
# Elements a rebuilt model may allocate beyond the weights that the file itself stores.
ALLOCATION_SLACK = 1 << 20

_budget: contextvars.ContextVar = contextvars.ContextVar("multinn_allocation_budget", default=None)


class ModelFileError(ValueError):
    """A model or weights file that cannot be read: damaged, truncated, of another format, or
    asking for more than it holds. `filepath` names the file.

    Example:
        >>> err = ModelFileError("m.h5", "no model config")
        >>> str(err), isinstance(err, ValueError)
        ("'m.h5' is not a valid model or weights file: no model config", True)
    """

    def __init__(self, filepath: Any, reason: str):
        self.filepath = filepath
        self.reason = reason
        super().__init__(f"{_display(filepath)!r} is not a valid model or weights file: {reason}")


def _display(filepath: Any) -> str:
    if isinstance(filepath, (str, os.PathLike)):
        return os.fspath(filepath)
    return getattr(filepath, "filename", None) or getattr(filepath, "name", None) or repr(filepath)


def file_format(filepath: Any) -> str:
    """'h5' or 'zip', read from the file's first bytes (never from its name).

    Raises:
        ModelFileError: the file is neither.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.h5")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(b"PK\\x05\\x06" + bytes(18))
        >>> file_format(path)
        'zip'
    """
    with open(os.fspath(filepath), "rb") as f:
        head = f.read(4)
        if head in ZIP_SIGNATURES:
            return "zip"
        for offset in _HDF5_OFFSETS:
            f.seek(offset)
            if f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                return "h5"
    raise ModelFileError(filepath, "it is neither an HDF5 file (Keras's .h5) nor a multinn zip archive")


def format_for_saving(filepath: Any, save_format: "str | None" = None) -> str:
    """The format a save writes: 'h5' for `.h5`/`.hdf5` names (Keras 2's layout, which Keras
    and tf.keras read), else multinn's own 'zip'; `save_format` ('h5' or 'keras') overrides.

    Example:
        >>> format_for_saving("model.h5"), format_for_saving("model.keras"), format_for_saving("m", "h5")
        ('h5', 'zip', 'h5')
    """
    if save_format is not None:
        choices = {"h5": "h5", "hdf5": "h5", "keras": "zip", "zip": "zip", "multinn": "zip"}
        if str(save_format).lower() not in choices:
            raise ValueError(f"Unknown save_format; expected 'h5' or 'keras'. Received: save_format={save_format!r}")
        return choices[str(save_format).lower()]
    if not isinstance(filepath, (str, os.PathLike)):
        return "h5"  # an open h5py File or Group
    return "h5" if os.path.splitext(os.fspath(filepath))[1].lower() in HDF5_EXTENSIONS else "zip"


# ---------------------------------------------------------------------- allocation limits
@contextlib.contextmanager
def allocation_budget(filepath: Any, elements: int) -> Iterator[None]:
    """While a model is rebuilt from `filepath`, its layers may create at most `elements`
    weight elements (plus a small slack): a config asking for more is refused before any
    allocation.

    Example:
        >>> with allocation_budget("m.h5", 10):
        ...     charge_allocation((3, 3), "kernel")
        >>> with allocation_budget("m.h5", 0):
        ...     charge_allocation((10 ** 12,), "kernel")
        Traceback (most recent call last):
        ...
        multinn.engine.model_files.ModelFileError: 'm.h5' is not a valid model or weights file: its config asks for a weight 'kernel' of shape (1000000000000,), more than the file's weights hold
    """
    token = _budget.set([filepath, int(elements) + ALLOCATION_SLACK])
    try:
        yield
    finally:
        _budget.reset(token)


def charge_allocation(shape: Any, name: str) -> None:
    """Counts a new weight of `shape` against the budget of the file being loaded (no-op
    outside `allocation_budget`).

    Example:
        >>> charge_allocation((2, 2), "kernel")   # no file being loaded: nothing to check
    """
    state = _budget.get()
    if state is None:
        return
    count = math.prod(int(s) for s in shape)
    if count > state[1]:
        raise ModelFileError(
            state[0], f"its config asks for a weight {name!r} of shape {tuple(shape)}, more than the file's weights hold"
        )
    state[1] -= count


def check_array_entry(filepath: Any, dtype: Any, shape: Any, stored_bytes: int, compressed: bool = False,
                      exact: bool = False) -> int:
    """Validates a stored array's declared dtype and shape against the bytes that back it;
    returns its element count. An uncompressed array must be backed by all its bytes
    (exactly those with `exact`); a compressed one by at least 1/1100 of them (deflate's
    best ratio).

    Example:
        >>> check_array_entry("w.zip", "float32", [2, 3], 24)
        6
    """
    dtype = str(dtype)
    if dtype not in _ITEMSIZES:
        raise ModelFileError(filepath, f"unsupported weight dtype {dtype!r}")
    itemsize = _ITEMSIZES[dtype]
    if not isinstance(shape, (list, tuple)) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ModelFileError(filepath, f"bad weight shape {shape!r}")
    count = math.prod(shape)
    needed = count * itemsize
    if compressed:
        enough = stored_bytes * 1100 >= needed
    else:
        enough = stored_bytes == needed if exact else stored_bytes >= needed
    if not enough:
        raise ModelFileError(
            filepath, f"a weight declares shape {tuple(shape)} ({needed} bytes) but the file stores {stored_bytes} bytes for it"
        )
    return count


_ITEMSIZES = {
    "float16": 2, "float32": 4, "float64": 8, "bfloat16": 2,
    "int8": 1, "int16": 2, "int32": 4, "int64": 8,
    "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "bool": 1,
}


# ---------------------------------------------------------------------- crash-safe writing
def _umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it, and put it straight back
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_stale_temporaries(folder: str, base: str) -> None:
    pattern = re.compile(re.escape("." + base + ".") + r"(\d+)-[^/]*\.tmp$")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))


@contextlib.contextmanager
def atomic_output(filepath: Any, overwrite: bool = True) -> Iterator[str]:
    """Yields a temporary path beside `filepath` to write; on success it gets the umask's
    mode and replaces `filepath` in one step, on any exception it is removed. Temporaries
    left by a process that died mid-save are removed first.

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "model.h5")
        >>> with atomic_output(target) as tmp:
        ...     with open(tmp, "w") as f:
        ...         _ = f.write("data")
        >>> open(target).read(), os.listdir(os.path.dirname(target))
        ('data', ['model.h5'])
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False. Received: filepath={filepath!r}")
    folder = os.path.dirname(os.path.abspath(filepath))
    base = os.path.basename(filepath)
    _remove_stale_temporaries(folder, base)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.{os.getpid()}-", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
