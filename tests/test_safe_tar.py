"""get_file's tar extraction refuses members that leave the cache folder (issue 11, item 8), both
where tarfile has the "data" filter and where it does not (Python 3.10.0-3.10.11, 3.11.0-3.11.3),
which these tests simulate by removing it."""
from __future__ import annotations

import io
import os
import tarfile

import pytest

from multinn.utils import get_file
from multinn.utils.downloads import extract_archive
from multinn.utils.safe_tar import UnsafeArchiveError

# Python 3.12+ warns when extract() gets no filter: here only where these tests remove the filter.
pytestmark = pytest.mark.filterwarnings("ignore:Python 3.14 will, by default, filter:DeprecationWarning")


@pytest.fixture(params=["with-data-filter", "without-data-filter"])
def filter_mode(request, monkeypatch):
    if request.param == "without-data-filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python's tarfile has no data filter to test beside our own checks")
    return request.param


def _tar(path, members):
    """Writes a tar of (name, kind, payload) entries: kind 'file' (payload = bytes),
    'dir', 'sym' or 'hard' (payload = the link's target), 'fifo'."""
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            if kind == "dir":
                info.mode = 0o755
            if kind in ("sym", "hard"):
                info.linkname = payload
            tar.addfile(info)
    return str(path)


def _all_files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


@pytest.fixture
def places(tmp_path):
    """An extraction folder, and a sibling that an escaping member would write into."""
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (outside / "victim.txt").write_bytes(b"original")
    return cache, outside


def _escapes(outside):
    victim = str(outside / "victim.txt")
    return {
        "dot-dot": [("ok.txt", "file", b"fine"), ("../outside/evil.txt", "file", b"evil")],
        "absolute": [("ok.txt", "file", b"fine"), (str(outside / "evil.txt"), "file", b"evil")],
        "symlink-out-then-through-it": [("link", "sym", "../outside"), ("link/evil.txt", "file", b"evil")],
        "symlink-absolute": [("link", "sym", str(outside))],
        "symlink-to-dot-dot": [("sub", "dir", None), ("sub/up", "sym", "../..")],
        "hardlink-out": [("hard", "hard", "../outside/victim.txt")],
        "hardlink-absolute": [("hard", "hard", victim)],
        "fifo": [("pipe", "fifo", None)],
    }


@pytest.mark.parametrize("case", sorted(_escapes(__import__("pathlib").Path("/x"))))
def test_extract_refuses_members_that_leave_the_folder(places, filter_mode, case):
    cache, outside = places
    members = _escapes(outside)[case]
    archive = _tar(cache / "bad.tar.gz", members)
    with pytest.raises(UnsafeArchiveError) as error:
        extract_archive(archive, str(cache))
    assert isinstance(error.value, ValueError)
    bad = [name for name, _, _ in members if name != "ok.txt" and name != "sub"][0]
    assert repr(bad) in str(error.value) and "bad.tar.gz" in str(error.value)
    assert _all_files(outside) == ["victim.txt"] and (outside / "victim.txt").read_bytes() == b"original"
    assert _all_files(cache) == ["bad.tar.gz"], "a refused archive writes nothing"


def test_a_link_chain_that_only_escapes_once_extracted_is_caught_member_by_member(places, filter_mode):
    """'a/b' -> '..' stays inside; 'c' -> 'a/b/..' reads as 'a' until 'a/b' exists on disk, then
    climbs above the folder. The check before writing cannot see it; the one per member does."""
    cache, outside = places
    archive = _tar(cache / "chain.tar", [("a", "dir", None), ("a/b", "sym", ".."), ("c", "sym", "a/b/.."),
                                         ("c/outside/evil.txt", "file", b"evil")])
    with pytest.raises(UnsafeArchiveError, match="member 'c' links to 'a/b/..'"):
        extract_archive(archive, str(cache))
    assert _all_files(outside) == ["victim.txt"]


def test_a_safe_archive_with_links_inside_extracts(places, filter_mode):
    cache, _ = places
    archive = _tar(cache / "good.tar.gz", [
        ("data", "dir", None), ("data/x.txt", "file", b"x"), ("data/alias.txt", "sym", "x.txt"),
        ("data/copy.txt", "hard", "data/x.txt"), ("data/sub", "dir", None), ("data/sub/up.txt", "sym", "../x.txt"),
    ])
    assert extract_archive(archive, str(cache)) is True
    for name in ("x.txt", "alias.txt", "copy.txt", "sub/up.txt"):
        assert (cache / "data" / name).read_bytes() == b"x"


def test_get_file_refuses_an_escaping_tar_from_its_origin(tmp_path, filter_mode, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    origin = _tar(tmp_path / "evil.tar.gz", [("../../outside/evil.txt", "file", b"evil")])
    with pytest.raises(UnsafeArchiveError, match="would be written outside"):
        get_file("evil.tar.gz", "file://" + origin, extract=True, cache_dir=str(tmp_path / "cache"))
    assert not (outside / "evil.txt").exists()
