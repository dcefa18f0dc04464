"""Extracting a tar archive without writing outside its folder, on every Python multinn supports.

tarfile's "data" filter (Python 3.12, backported to 3.10.12 and 3.11.4) refuses members that
would land outside the destination, but older patch releases have no filter and write `../x`,
`/x` and whatever a link points at wherever the archive says. So every member is checked here,
on every Python, and the filter is applied on top where it exists.
"""
from __future__ import annotations

import os
import tarfile


class UnsafeArchiveError(ValueError):
    """A tar member that would be written (or would point) outside the extraction folder."""


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def check_member(member: tarfile.TarInfo, root: str, source: str) -> None:
    """Raises UnsafeArchiveError unless `member` stays inside the real folder `root`.

    Refused: absolute names, names that climb out with '..' (also through links extracted
    before), symbolic and hard links whose target is outside, and devices and pipes.

    Example:
        >>> import tarfile
        >>> check_member(tarfile.TarInfo("../escape.txt"), "/cache", "a.tar")
        Traceback (most recent call last):
        ...
        multinn.utils.safe_tar.UnsafeArchiveError: Refusing to extract 'a.tar': member '../escape.txt' would be written outside '/cache'.
    """
    name = member.name

    def refuse(why: str) -> UnsafeArchiveError:
        return UnsafeArchiveError(f"Refusing to extract {source!r}: member {name!r} {why} {root!r}.")

    if os.path.isabs(name) or os.path.splitdrive(name)[0]:
        raise refuse("has an absolute path, outside")
    # realpath follows links that earlier members created, so a link to '..' cannot be climbed through.
    if not _inside(root, os.path.realpath(os.path.join(root, name))):
        raise refuse("would be written outside")
    if member.issym() or member.islnk():
        link = member.linkname
        if os.path.isabs(link) or os.path.splitdrive(link)[0]:
            raise refuse(f"links to the absolute path {link!r}, outside")
        # A symbolic link's target is relative to its own folder, a hard link's to the archive's root.
        base = os.path.join(root, os.path.dirname(name)) if member.issym() else root
        if not _inside(root, os.path.realpath(os.path.join(base, link))):
            raise refuse(f"links to {link!r}, outside")
    elif not (member.isfile() or member.isdir()):
        raise refuse("is a device or pipe, not extracted into")


def extract_tar(archive: tarfile.TarFile, path: str, source: str) -> None:
    """Extracts every member of `archive` into `path`, refusing any that would leave it.

    All members are checked before anything is written, then each again just before it is
    written (an earlier member may be a link that redirects a later one).

    Example:
        >>> import io, os, tarfile, tempfile
        >>> buffer = io.BytesIO()
        >>> with tarfile.open(fileobj=buffer, mode="w") as tar:
        ...     info = tarfile.TarInfo("data/x.txt"); info.size = 2
        ...     tar.addfile(info, io.BytesIO(b"hi"))
        >>> _ = buffer.seek(0)
        >>> with tempfile.TemporaryDirectory() as d, tarfile.open(fileobj=buffer) as tar:
        ...     extract_tar(tar, d, "example.tar")
        ...     open(os.path.join(d, "data", "x.txt")).read()
        'hi'
    """
    root = os.path.realpath(path)
    members = archive.getmembers()
    for member in members:
        check_member(member, root, source)
    with_filter = hasattr(tarfile, "data_filter")
    for member in members:
        check_member(member, root, source)
        if with_filter:
            archive.extract(member, path, filter="data")
            continue
        # What the data filter would do to attributes: no set-uid/set-gid/sticky bits, no
        # write access for others, and the extracting user as owner.
        member.mode &= 0o755
        member.uid, member.gid = getattr(os, "geteuid", lambda: 0)(), getattr(os, "getegid", lambda: 0)()
        member.uname = member.gname = ""
        archive.extract(member, path)
