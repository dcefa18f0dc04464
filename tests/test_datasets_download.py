"""get_file and the Keras 2 loaders (mnist, boston_housing, imdb), offline: a local HTTP server on
127.0.0.1 serves small fake files, and every cache lives under pytest's tmp_path."""
from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import socket
import tarfile
import threading
import zipfile

import numpy as np
import pytest

from multinn.datasets import boston_housing, imdb, mnist
from multinn.utils import get_file
from multinn.utils.downloads import validate_file


class _Server:
    """Serves `routes[path]` (bytes, or a list of bytes served in turn); counts hits per path.

    A path in `truncated` announces its full length but closes the connection halfway.
    """

    def __init__(self):
        self.routes: dict = {}
        self.hits: dict = {}
        self.truncated: set = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body = server.routes.get(self.path)
                if isinstance(body, list):
                    body = body.pop(0) if len(body) > 1 else body[0]
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncated:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """MULTINN_HOME and HOME (hence ~/.keras) inside tmp_path, so no real cache is read or written."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MULTINN_HOME", str(tmp_path / "multinn_home"))
    return tmp_path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def leftovers(directory) -> list:
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


# ---------------------------------------------------------------- get_file


def test_second_call_uses_the_cache(server, tmp_path):
    server.routes["/a.bin"] = b"payload" * 100
    cache = tmp_path / "cache"
    first = get_file("a.bin", server.url("/a.bin"), file_hash=sha256(b"payload" * 100), cache_dir=str(cache))
    second = get_file("a.bin", server.url("/a.bin"), file_hash=sha256(b"payload" * 100), cache_dir=str(cache))
    assert first == second == str(cache / "datasets" / "a.bin")
    assert open(first, "rb").read() == b"payload" * 100
    assert server.hits["/a.bin"] == 1
    assert leftovers(cache / "datasets") == ["a.bin"]


def test_default_cache_is_multinn_home(server, homes):
    server.routes["/b.txt"] = b"hello"
    path = get_file("b.txt", server.url("/b.txt"), cache_subdir="sub")
    assert path == str(homes / "multinn_home" / "sub" / "b.txt")
    assert not (homes / "home" / ".keras").exists()


def test_md5_and_sha256_hashes_and_the_deprecated_md5_hash(server, tmp_path):
    data = b"some bytes"
    server.routes["/c"] = data
    for i, kwargs in enumerate(
        [
            {"file_hash": sha256(data)},
            {"file_hash": md5(data)},
            {"file_hash": md5(data), "hash_algorithm": "md5"},
            {"md5_hash": md5(data)},
        ]
    ):
        path = get_file("c", server.url("/c"), cache_dir=str(tmp_path / str(i)), **kwargs)
        assert open(path, "rb").read() == data
    assert validate_file(path, sha256(data)) and not validate_file(path, md5(b"other"))


def test_wrong_hash_retries_once_then_raises_naming_both_hashes(server, tmp_path):
    server.routes["/d.npz"] = b"what the server has"
    expected = sha256(b"what the file should be")
    with pytest.raises(ValueError) as info:
        get_file("d.npz", server.url("/d.npz"), file_hash=expected, cache_dir=str(tmp_path))
    message = str(info.value)
    assert "d.npz" in message and expected in message and sha256(b"what the server has") in message
    assert server.hits["/d.npz"] == 2
    assert leftovers(tmp_path / "datasets") == []


def test_a_bad_first_download_is_replaced_by_the_retry(server, tmp_path):
    good = b"good content"
    server.routes["/e"] = [b"corrupted", good]
    path = get_file("e", server.url("/e"), file_hash=sha256(good), cache_dir=str(tmp_path))
    assert open(path, "rb").read() == good and server.hits["/e"] == 2


def test_stale_cached_file_is_downloaded_again(server, tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "f").write_bytes(b"old version")
    server.routes["/f"] = b"new version"
    path = get_file("f", server.url("/f"), file_hash=sha256(b"new version"), cache_dir=str(tmp_path))
    assert open(path, "rb").read() == b"new version" and server.hits["/f"] == 1


def test_interrupted_download_leaves_nothing_behind(server, tmp_path):
    server.routes["/g"] = b"x" * 10000
    server.truncated.add("/g")
    with pytest.raises(OSError, match=r"could not download http://127\.0\.0\.1:\d+/g: .*5000 of 10000 bytes"):
        get_file("g", server.url("/g"), cache_dir=str(tmp_path))
    assert leftovers(tmp_path / "datasets") == []


def test_interrupted_download_keeps_the_previous_file_intact(server, tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "h").write_bytes(b"previous")
    server.routes["/h"] = b"y" * 10000
    server.truncated.add("/h")
    with pytest.raises(OSError, match="could not download"):
        get_file("h", server.url("/h"), file_hash=sha256(b"y" * 10000), cache_dir=str(tmp_path))
    assert leftovers(tmp_path / "datasets") == ["h"]
    assert (tmp_path / "datasets" / "h").read_bytes() == b"previous"


def test_offline_error_names_the_origin_and_the_reason(tmp_path):
    with socket.socket() as s:  # a port that nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    origin = f"http://127.0.0.1:{port}/mnist.npz"
    with pytest.raises(OSError, match=rf"could not download {origin}: .*refused"):
        get_file("mnist.npz", origin, cache_dir=str(tmp_path))
    assert leftovers(tmp_path / "datasets") == []


def test_http_error_names_the_status(server, tmp_path):
    with pytest.raises(OSError, match=r"could not download http://.*/missing: HTTP 404"):
        get_file("missing", server.url("/missing"), cache_dir=str(tmp_path))


def test_file_urls_work(tmp_path):
    src = tmp_path / "src.txt"
    src.write_bytes(b"local")
    path = get_file("copy.txt", src.as_uri(), file_hash=sha256(b"local"), cache_dir=str(tmp_path / "c"))
    assert open(path, "rb").read() == b"local"


def _tar_gz(files: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("maker, name", [(_tar_gz, "arch.tar.gz"), (_zip, "arch.zip")])
def test_extract(server, tmp_path, maker, name):
    server.routes["/" + name] = maker({"folder/one.txt": b"1", "two.txt": b"22"})
    path = get_file(name, server.url("/" + name), extract=True, cache_dir=str(tmp_path))
    datadir = tmp_path / "datasets"
    assert path == str(datadir / name)
    assert (datadir / "folder" / "one.txt").read_bytes() == b"1" and (datadir / "two.txt").read_bytes() == b"22"


def test_extract_of_a_plain_file_extracts_nothing(server, tmp_path):
    server.routes["/plain"] = b"not an archive"
    get_file("plain", server.url("/plain"), extract=True, cache_dir=str(tmp_path))
    assert leftovers(tmp_path / "datasets") == ["plain"]


def test_untar_returns_the_unpacked_folder(server, tmp_path):
    server.routes["/data.tar.gz"] = _tar_gz({"data/x.txt": b"x"})
    path = get_file("data", server.url("/data.tar.gz"), untar=True, cache_dir=str(tmp_path))
    assert path == str(tmp_path / "datasets" / "data")
    assert (tmp_path / "datasets" / "data" / "x.txt").read_bytes() == b"x"
    assert (tmp_path / "datasets" / "data.tar.gz").is_file()


def test_reuses_a_file_from_kerass_cache(server, homes):
    keras_dir = homes / "home" / ".keras" / "datasets"
    keras_dir.mkdir(parents=True)
    (keras_dir / "k.npz").write_bytes(b"from keras")
    server.routes["/k.npz"] = b"from keras"
    path = get_file("k.npz", server.url("/k.npz"), file_hash=sha256(b"from keras"))
    assert path == str(keras_dir / "k.npz") and server.hits.get("/k.npz", 0) == 0


def test_ignores_a_keras_copy_with_the_wrong_hash(server, homes):
    keras_dir = homes / "home" / ".keras" / "datasets"
    keras_dir.mkdir(parents=True)
    (keras_dir / "k.npz").write_bytes(b"truncated")
    server.routes["/k.npz"] = b"the real file"
    path = get_file("k.npz", server.url("/k.npz"), file_hash=sha256(b"the real file"))
    assert path == str(homes / "multinn_home" / "datasets" / "k.npz") and server.hits["/k.npz"] == 1
    assert (keras_dir / "k.npz").read_bytes() == b"truncated"


def test_extracts_a_keras_copy_into_our_cache_not_kerass(server, homes):
    keras_dir = homes / "home" / ".keras" / "datasets"
    keras_dir.mkdir(parents=True)
    archive = _zip({"inside.txt": b"z"})
    (keras_dir / "z.zip").write_bytes(archive)
    get_file("z.zip", server.url("/z.zip"), file_hash=sha256(archive), extract=True)
    assert (homes / "multinn_home" / "datasets" / "inside.txt").read_bytes() == b"z"
    assert leftovers(keras_dir) == ["z.zip"] and server.hits.get("/z.zip", 0) == 0


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="hash_algorithm='sha1'"):
        get_file("x", "http://127.0.0.1:1/x", file_hash="0", hash_algorithm="sha1", cache_dir=str(tmp_path))


# ---------------------------------------------------------------- loaders


def _serve_npz(server, monkeypatch, module, name: str, **arrays) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    server.routes["/" + name] = data
    monkeypatch.setattr(module, "ORIGIN", server.url("/" + name))
    monkeypatch.setattr(module, "FILE_HASH", sha256(data))


def test_mnist_shapes_dtypes_and_order(server, homes, monkeypatch):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    y_train = rng.integers(0, 10, 12, dtype=np.uint8)
    x_test = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, 5, dtype=np.uint8)
    _serve_npz(server, monkeypatch, mnist, "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, b), (c, d) = mnist.load_data()
    for got, want in [(a, x_train), (b, y_train), (c, x_test), (d, y_test)]:
        assert got.dtype == np.uint8 and got.shape == want.shape and np.array_equal(got, want)
    mnist.load_data()
    assert server.hits["/mnist.npz"] == 1
    assert (homes / "multinn_home" / "datasets" / "mnist.npz").is_file()


def test_mnist_default_origin_and_hash_are_kerass():
    assert mnist.ORIGIN == "https://s3.amazonaws.com/img-datasets/mnist.npz"
    assert mnist.FILE_HASH == "8a61469f7ea1b51cbae51d4f78837e45"
    assert imdb.ORIGIN == "https://s3.amazonaws.com/text-datasets/imdb.npz"
    assert boston_housing.FILE_HASH.startswith("f553886a1f8d")


def _keras_boston(x, y, test_split, seed):
    """Keras 2's procedure, with the legacy global-seed calls (the same stream as RandomState(seed))."""
    np.random.seed(seed)
    order = np.arange(len(x))
    np.random.shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


@pytest.mark.parametrize("test_split, seed", [(0.2, 113), (0.5, 7), (0.0, 1)])
def test_boston_housing_split_matches_keras(server, homes, monkeypatch, test_split, seed):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(53, 13))
    y = rng.normal(size=53)
    _serve_npz(server, monkeypatch, boston_housing, "boston_housing.npz", x=x, y=y)
    (a, b), (c, d) = boston_housing.load_data(test_split=test_split, seed=seed)
    (ea, eb), (ec, ed) = _keras_boston(x, y, test_split, seed)
    assert a.shape == (int(53 * (1 - test_split)), 13) and a.dtype == np.float64 and b.shape == (a.shape[0],)
    for got, want in [(a, ea), (b, eb), (c, ec), (d, ed)]:
        assert np.array_equal(got, want)
    # Not the identity order: the shuffle happened.
    assert not np.array_equal(np.concatenate([b, d]), y)


def test_boston_housing_rejects_a_bad_split():
    with pytest.raises(ValueError, match="test_split=1"):
        boston_housing.load_data(test_split=1)


def _fake_imdb(rng, n, vocab=40):
    reviews = np.empty(n, dtype=object)
    for i in range(n):
        reviews[i] = [int(w) for w in rng.integers(1, vocab, rng.integers(2, 12))]
    return reviews, rng.integers(0, 2, n).astype(np.int64)


def _keras_encode(seqs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """The sequence steps Keras 2.3.1's imdb and reuters share, written independently: offset and
    start mark, length filter, then the cut to the vocabulary."""
    out, out_labels = [], []
    for seq, label in zip(seqs, labels):
        seq = ([start_char] if start_char is not None else []) + [w + index_from for w in seq]
        if maxlen and len(seq) >= maxlen:
            continue
        out.append(seq)
        out_labels.append(label)
    top = num_words or max(max(s) for s in out)
    if oov_char is not None:
        out = [[w if skip_top <= w < top else oov_char for w in s] for s in out]
    else:
        out = [[w for w in s if skip_top <= w < top] for s in out]
    return out, out_labels


def _keras_imdb(x_train, y_train, x_test, y_test, num_words=None, skip_top=0, maxlen=None, seed=113,
                start_char=1, oov_char=2, index_from=3):
    """Keras 2.3.1's documented procedure, written independently: one seeded stream shuffles the training
    set then the test set; sequences are offset, marked, filtered by length and cut to the vocabulary."""
    np.random.seed(seed)
    order_train = np.arange(len(x_train))
    np.random.shuffle(order_train)
    order_test = np.arange(len(x_test))
    np.random.shuffle(order_test)
    seqs = [list(s) for s in x_train[order_train]] + [list(s) for s in x_test[order_test]]
    labels = list(y_train[order_train]) + list(y_test[order_test])
    out, out_labels = _keras_encode(seqs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from)
    n = len(x_train)
    return (out[:n], out_labels[:n]), (out[n:], out_labels[n:])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 15, "skip_top": 5},
        {"maxlen": 9},
        {"num_words": 20, "oov_char": None, "seed": 5},
        {"start_char": None, "index_from": 0, "num_words": 10},
    ],
)
def test_imdb_matches_kerass_procedure(server, homes, monkeypatch, kwargs):
    rng = np.random.default_rng(2)
    x_train, y_train = _fake_imdb(rng, 30)
    x_test, y_test = _fake_imdb(rng, 20)
    _serve_npz(server, monkeypatch, imdb, "imdb.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, b), (c, d) = imdb.load_data(**kwargs)
    (ea, eb), (ec, ed) = _keras_imdb(x_train, y_train, x_test, y_test, **kwargs)
    assert a.dtype == object and c.dtype == object and a.ndim == 1 and c.ndim == 1
    assert b.dtype == np.int64 and d.dtype == np.int64
    assert all(type(s) is list for s in list(a) + list(c))
    assert [list(map(int, s)) for s in a] == [list(map(int, s)) for s in ea]
    assert [list(map(int, s)) for s in c] == [list(map(int, s)) for s in ec]
    assert b.tolist() == [int(v) for v in eb] and d.tolist() == [int(v) for v in ed]
    if not kwargs.get("maxlen"):
        assert len(a) == 30 and len(c) == 20


def test_imdb_defaults_mark_and_offset(server, homes, monkeypatch):
    x_train = np.empty(2, dtype=object)
    x_train[0], x_train[1] = [1, 2], [3]
    x_test = np.empty(1, dtype=object)
    x_test[0] = [4, 5, 6]
    _serve_npz(server, monkeypatch, imdb, "imdb.npz", x_train=x_train, y_train=np.array([0, 1]),
               x_test=x_test, y_test=np.array([1]))
    (a, b), (c, d) = imdb.load_data()
    # Keras 2.3.1 sets num_words to the largest index and keeps indices below it, so the largest
    # word (9) itself becomes oov_char.
    assert sorted(a.tolist()) == [[1, 4, 5], [1, 6]] and c.tolist() == [[1, 7, 8, 2]]
    assert dict(zip(map(tuple, a.tolist()), b.tolist())) == {(1, 4, 5): 0, (1, 6): 1}
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        imdb.load_data(nb_wrods=3)


def test_imdb_word_index(server, homes, monkeypatch):
    data = json.dumps({"the": 1, "and": 2}).encode()
    server.routes["/imdb_word_index.json"] = data
    monkeypatch.setattr(imdb, "WORD_INDEX_ORIGIN", server.url("/imdb_word_index.json"))
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", md5(data))
    assert imdb.get_word_index() == {"the": 1, "and": 2}
