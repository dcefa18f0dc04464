"""`get_file`: Keras 2's cached, hash-checked download of a file (`keras.utils.get_file`).

Files land in `$MULTINN_HOME/<cache_subdir>` (default `~/.multinn/datasets`). A file that
Keras already downloaded to `~/.keras/<cache_subdir>` is reused when its hash matches, so
users who ran Keras before download nothing again.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from typing import Callable

from .progbar import Progbar
from .safe_tar import extract_tar

_CHUNK = 1 << 16
# Per socket operation, not for the whole download: a stalled server fails instead of hanging.
_TIMEOUT_S = 60.0


def _multinn_home() -> str:
    return os.environ.get("MULTINN_HOME") or os.path.join(os.path.expanduser("~"), ".multinn")


def _resolve_algorithm(file_hash: str, algorithm: str) -> str:
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: hash_algorithm={algorithm!r}")
    if algorithm == "auto":
        # Keras's rule: a 64-hex-digit hash is sha256, anything else md5.
        return "sha256" if len(file_hash) == 64 else "md5"
    return algorithm


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """Returns the hex digest of a file ('sha256' or 'md5'; 'auto' means sha256).

    Example:
        >>> import tempfile, os
        >>> from multinn.utils.downloads import hash_file
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "a.txt")
        ...     _ = open(p, "wb").write(b"abc")
        ...     hash_file(p, "md5")
        '900150983cd24fb0d6963f7d28e17f72'
    """
    hasher = hashlib.md5() if algorithm == "md5" else hashlib.sha256()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """True when the file's sha256 or md5 digest equals `file_hash` ('auto': sha256 for 64 hex digits).

    Example:
        >>> import tempfile, os
        >>> from multinn.utils.downloads import validate_file
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "a.txt")
        ...     _ = open(p, "wb").write(b"abc")
        ...     validate_file(p, "900150983cd24fb0d6963f7d28e17f72"), validate_file(p, "0" * 64)
        (True, False)
    """
    algo = _resolve_algorithm(str(file_hash), algorithm)
    return hash_file(fpath, algo, chunk_size) == str(file_hash)


_warned_dirs: set = set()


def _writable_dir(base: str, cache_subdir: str) -> str:
    datadir = os.path.join(os.path.expanduser(base), cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
    except OSError as exc:
        # Keras falls back to a temporary folder when the cache cannot be written; say so, once.
        fallback = os.path.join(tempfile.gettempdir(), ".multinn", cache_subdir)
        if datadir not in _warned_dirs:
            _warned_dirs.add(datadir)
            warnings.warn(
                f"Cannot create the download cache folder {datadir} ({exc}); using {fallback} instead. "
                "Point MULTINN_HOME (or cache_dir) at a writable folder.",
                UserWarning,
                stacklevel=3,
            )
        datadir = fallback
        os.makedirs(datadir, exist_ok=True)
    return datadir


def _download_to_temp(origin: str, directory: str, name: str) -> str:
    """Streams `origin` into a new temporary file in `directory` and returns its path.

    Nothing is left behind on failure: the caller renames the file only once it is complete.
    """
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=_TIMEOUT_S) as response:
                    length = response.headers.get("Content-Length") if response.headers else None
                    total = int(length) if length and length.isdigit() else None
                    bar = Progbar(total) if total else None
                    received = 0
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        received += len(chunk)
                        if bar is not None:
                            bar.update(min(received, total))
            except urllib.error.HTTPError as exc:
                raise OSError(f"could not download {origin}: HTTP {exc.code} {exc.reason}") from exc
            except urllib.error.URLError as exc:
                raise OSError(f"could not download {origin}: {exc.reason}") from exc
            except (OSError, http.client.HTTPException) as exc:
                raise OSError(f"could not download {origin}: {exc!r}") from exc
            # http.client returns a short body silently when the server closes early.
            if total is not None and received < total:
                raise OSError(
                    f"could not download {origin}: the connection closed after {received} of {total} bytes"
                )
    except BaseException:
        os.remove(tmp)
        raise
    return tmp


def _download(origin: str, fpath: str, file_hash: "str | None", algorithm: str) -> None:
    """Downloads into `fpath` atomically; a hash mismatch downloads once more, then raises."""
    directory, name = os.path.split(fpath)
    print("Downloading data from", origin)
    actual = None
    for _ in range(2):
        tmp = _download_to_temp(origin, directory, name)
        if file_hash is None:
            os.replace(tmp, fpath)
            return
        actual = hash_file(tmp, algorithm)
        if actual == str(file_hash):
            os.replace(tmp, fpath)
            return
        os.remove(tmp)
    raise ValueError(
        f"The file {name!r} downloaded twice from {origin} has {algorithm} hash {actual}, but {file_hash} "
        "was expected: the download is corrupt or the file on the server changed. "
        f"Received: file_hash={file_hash!r}"
    )


def _archive_openers(archive_format: "str | list | None") -> list:
    if archive_format is None:
        return []
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format)
    )
    known: dict[str, tuple[Callable, Callable]] = {
        "tar": (tarfile.is_tarfile, tarfile.open),
        "zip": (zipfile.is_zipfile, zipfile.ZipFile),
    }
    unknown = [f for f in formats if f not in known]
    if unknown:
        raise ValueError(
            f"`archive_format` must be 'auto', 'tar', 'zip', a list of them or None. Received: archive_format={archive_format!r}"
        )
    return [known[f] for f in formats]


def extract_archive(file_path: str, path: str = ".", archive_format: "str | list | None" = "auto") -> bool:
    """Extracts a tar (.tar, .tar.gz, .tar.bz2) or zip archive into `path`; False when it is neither.

    A tar member that would be written or point outside `path` ('..', an absolute name, a
    link out, a device) raises multinn.utils.safe_tar.UnsafeArchiveError (a ValueError)
    before anything is written, on every Python version.

    Example:
        >>> import tempfile, os, zipfile
        >>> from multinn.utils.downloads import extract_archive
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with zipfile.ZipFile(os.path.join(d, "a.zip"), "w") as z:
        ...         z.writestr("inside.txt", "hi")
        ...     extract_archive(os.path.join(d, "a.zip"), d), open(os.path.join(d, "inside.txt")).read()
        (True, 'hi')
    """
    for is_match, opener in _archive_openers(archive_format):
        if is_match(file_path):
            with opener(file_path) as archive:
                if isinstance(archive, tarfile.TarFile):
                    # Refuses members that would land outside `path` (absolute names, '..', links out,
                    # devices), whether or not this Python's tarfile has the data filter.
                    extract_tar(archive, path, file_path)
                else:
                    archive.extractall(path)  # zipfile drops '..' and absolute parts by itself
            return True
    return False


def get_file(
    fname: str,
    origin: str,
    untar: bool = False,
    md5_hash: "str | None" = None,
    file_hash: "str | None" = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: "str | list | None" = "auto",
    cache_dir: "str | None" = None,
) -> str:
    """Downloads a file from a URL unless it is already cached, and returns its local path.

    Args:
        fname: the file's name in the cache (an absolute path is used as is).
        origin: the URL (http, https, ftp or file) to download from.
        untar: deprecated (Keras 2): store as `fname + '.tar.gz'`, extract it, and return
            the path `fname` of what it unpacks to.
        md5_hash: deprecated (Keras 2): an md5 `file_hash`.
        file_hash: the expected sha256 or md5 hex digest; None skips verification.
        cache_subdir: folder under the cache directory.
        hash_algorithm: 'md5', 'sha256' or 'auto' (sha256 for a 64-digit hash, else md5).
        extract: extract the file (tar or zip) next to it.
        archive_format: 'auto' (tar then zip), 'tar', 'zip', a list of these, or None.
        cache_dir: the cache directory; default `$MULTINN_HOME` or `~/.multinn`.

    A cached file whose hash does not match is downloaded again; a download is written to
    a temporary name and renamed when complete and verified, so an interrupted one leaves
    nothing behind. A download whose hash is wrong twice raises ValueError naming both
    hashes; a network failure raises OSError ("could not download <origin>: <reason>").

    Example:
        >>> import os, pathlib, tempfile
        >>> from multinn.utils import get_file
        >>> with tempfile.TemporaryDirectory() as d:
        ...     src = pathlib.Path(d, "hello.txt")
        ...     _ = src.write_text("hello")
        ...     path = get_file("hello.txt", src.as_uri(), cache_dir=os.path.join(d, "cache"))  # doctest: +ELLIPSIS
        ...     open(path).read()
        Downloading data from file://...
        'hello'
    """
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _resolve_algorithm(str(file_hash), hash_algorithm) if file_hash is not None else "sha256"
    datadir = _writable_dir(cache_dir if cache_dir is not None else _multinn_home(), cache_subdir)

    untar_fpath = os.path.join(datadir, fname)
    fpath = untar_fpath + ".tar.gz" if untar else untar_fpath
    # An absolute fname is where the user wants the file: only a cached name may come from Keras.
    if cache_dir is None and not os.path.isabs(fname) and not os.path.exists(fpath):
        keras_copy = os.path.join(os.path.expanduser("~"), ".keras", cache_subdir, os.path.relpath(fpath, datadir))
        if os.path.isfile(keras_copy) and (file_hash is None or validate_file(keras_copy, file_hash, algorithm)):
            if not (untar or extract):
                return keras_copy
            # Unpack from Keras's copy into our cache: never write into Keras's folder.
            fpath = keras_copy

    if not os.path.exists(fpath):
        _download(origin, fpath, file_hash, algorithm)
    elif file_hash is not None and not validate_file(fpath, file_hash, algorithm):
        print(
            f"A local file was found at {fpath}, but its {algorithm} hash does not match the expected "
            f"{file_hash} (incomplete or outdated), so it is downloaded again."
        )
        _download(origin, fpath, file_hash, algorithm)

    if untar:
        if not os.path.exists(untar_fpath):
            extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        extract_archive(fpath, datadir, archive_format)
    return fpath
