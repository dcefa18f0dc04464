"""fashion_mnist, cifar10, cifar100 and reuters against NumPy versions of Keras 2.3.1's procedures, offline:
a local HTTP server serves small fake files of the real structure; every cache lives under tmp_path."""
from __future__ import annotations

import gzip
import io
import json
import pickle
import struct

import numpy as np
import pytest

from multinn import backend as K
from multinn.backends.host_data import load_cifar_batch
from multinn.datasets import cifar10, cifar100, fashion_mnist, reuters

from tests.test_datasets_download import _keras_encode, _serve_npz, _tar_gz, homes, md5, server  # noqa: F401 (fixtures)


# ---------------------------------------------------------------- fashion_mnist


def _idx_gz(array: np.ndarray) -> bytes:
    """An IDX file (magic number, one big-endian size per dimension, raw uint8 data), gzipped."""
    header = struct.pack(">HBB", 0, 8, array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    return gzip.compress(header + array.tobytes())


def test_fashion_mnist_reads_the_four_idx_files(server, homes, monkeypatch):
    rng = np.random.default_rng(3)
    arrays = {
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 7, dtype=np.uint8),
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
    }
    for name, array in arrays.items():
        server.routes["/fm/" + name] = _idx_gz(array)
    monkeypatch.setattr(fashion_mnist, "ORIGIN", server.url("/fm/"))
    (a, b), (c, d) = fashion_mnist.load_data()
    want = [arrays[n] for n in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]]
    for got, expected in zip([a, b, c, d], want):
        assert got.dtype == np.uint8 and got.shape == expected.shape and np.array_equal(got, expected)
    fashion_mnist.load_data()
    assert all(server.hits["/fm/" + n] == 1 for n in arrays)
    assert (homes / "multinn_home" / "datasets" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").is_file()


def test_fashion_mnist_default_origin_is_kerass():
    assert fashion_mnist.ORIGIN == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


# ---------------------------------------------------------------- cifar


def _batch(data: np.ndarray, **labels) -> bytes:
    # Protocol 2 with bytes keys, like the Python 2 cPickle files on the CIFAR site.
    return pickle.dumps({b"batch_label": b"fake", b"data": data, **{k.encode(): v for k, v in labels.items()}},
                        protocol=2)


def _keras_cifar(x_train, y_train, x_test, y_test, data_format):
    """Keras 2.3.1's steps: (N, 3072) rows reshaped to (N, 3, 32, 32), labels reshaped to (N, 1),
    then transposed to channels_last when that is the image data format."""
    x_train, x_test = x_train.reshape(-1, 3, 32, 32), x_test.reshape(-1, 3, 32, 32)
    y_train, y_test = np.reshape(y_train, (len(y_train), 1)), np.reshape(y_test, (len(y_test), 1))
    if data_format == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)


@pytest.fixture(params=["channels_last", "channels_first"])
def data_format(request):
    before = K.image_data_format()
    K.set_image_data_format(request.param)
    yield request.param
    K.set_image_data_format(before)


def test_cifar10(server, homes, monkeypatch, data_format):
    rng = np.random.default_rng(4)
    xs = [rng.integers(0, 256, (2 + i, 3072), dtype=np.uint8) for i in range(5)]
    ys = [[int(v) for v in rng.integers(0, 10, 2 + i)] for i in range(5)]
    x_test = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    y_test = [int(v) for v in rng.integers(0, 10, 4)]
    files = {f"cifar-10-batches-py/data_batch_{i + 1}": _batch(xs[i], labels=ys[i]) for i in range(5)}
    files["cifar-10-batches-py/test_batch"] = _batch(x_test, labels=y_test)
    files["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": [b"airplane"]}, protocol=2)
    server.routes["/cifar-10-python.tar.gz"] = _tar_gz(files)
    monkeypatch.setattr(cifar10, "ORIGIN", server.url("/cifar-10-python.tar.gz"))

    (a, b), (c, d) = cifar10.load_data()
    (ea, eb), (ec, ed) = _keras_cifar(np.concatenate(xs), np.array(sum(ys, []), dtype=np.uint8), x_test, y_test,
                                      data_format)
    n = sum(len(y) for y in ys)
    assert a.shape == ((n, 32, 32, 3) if data_format == "channels_last" else (n, 3, 32, 32))
    assert c.shape[0] == 4 and b.shape == (n, 1) and d.shape == (4, 1)
    assert a.dtype == c.dtype == np.uint8 and b.dtype == np.uint8 and d.dtype == ed.dtype
    for got, want in [(a, ea), (b, eb), (c, ec), (d, ed)]:
        assert np.array_equal(got, want)
    # Pixel (channel 1, row 2, column 3) of image 0 is byte 1*1024 + 2*32 + 3 of its row.
    pixel = a[0, 2, 3, 1] if data_format == "channels_last" else a[0, 1, 2, 3]
    assert pixel == xs[0][0, 1024 + 64 + 3]
    cifar10.load_data()
    assert server.hits["/cifar-10-python.tar.gz"] == 1
    assert (homes / "multinn_home" / "datasets" / "cifar-10-batches-py" / "test_batch").is_file()


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(server, homes, monkeypatch, label_mode, data_format):
    rng = np.random.default_rng(5)
    parts = {}
    for split, n in [("train", 6), ("test", 3)]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        fine = [int(v) for v in rng.integers(0, 100, n)]
        coarse = [int(v) for v in rng.integers(0, 20, n)]
        parts[split] = (data, {"fine": fine, "coarse": coarse})
    files = {f"cifar-100-python/{split}": _batch(data, fine_labels=lab["fine"], coarse_labels=lab["coarse"])
             for split, (data, lab) in parts.items()}
    server.routes["/cifar-100-python.tar.gz"] = _tar_gz(files)
    monkeypatch.setattr(cifar100, "ORIGIN", server.url("/cifar-100-python.tar.gz"))

    (a, b), (c, d) = cifar100.load_data(label_mode=label_mode)
    (ea, eb), (ec, ed) = _keras_cifar(parts["train"][0], parts["train"][1][label_mode],
                                      parts["test"][0], parts["test"][1][label_mode], data_format)
    assert b.shape == (6, 1) and d.shape == (3, 1) and a.dtype == np.uint8 and b.dtype == eb.dtype
    for got, want in [(a, ea), (b, eb), (c, ec), (d, ed)]:
        assert got.shape == want.shape and np.array_equal(got, want)


def test_cifar100_rejects_a_bad_label_mode():
    with pytest.raises(ValueError, match="Received: label_mode='medium'"):
        cifar100.load_data(label_mode="medium")


def test_cifar_batches_refuse_code_in_the_pickle(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": [1]}, protocol=2))
    with pytest.raises(ValueError, match=r"builtin(s|__)\.print"):  # read without pickle: nothing is called
        load_cifar_batch(str(path))


def test_cifar_defaults_are_kerass():
    assert cifar10.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar100.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    assert reuters.ORIGIN == "https://s3.amazonaws.com/text-datasets/reuters.npz"
    assert reuters.FILE_HASH == "87aedbeb0cb229e378797a632c1997b6"


# ---------------------------------------------------------------- reuters


def _fake_newswires(rng, n, vocab=40):
    wires = np.empty(n, dtype=object)
    for i in range(n):
        wires[i] = [int(w) for w in rng.integers(1, vocab, rng.integers(2, 12))]
    return wires, rng.integers(0, 46, n).astype(np.int64)


def _keras_reuters(xs, labels, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
                   start_char=1, oov_char=2, index_from=3):
    """Keras 2.3.1's procedure, written independently: one seeded shuffle of all newswires, offset and
    start mark, length filter, vocabulary cut, then the split at int(len * (1 - test_split))."""
    np.random.seed(seed)
    order = np.arange(len(xs))
    np.random.shuffle(order)
    out, out_labels = _keras_encode(xs[order], labels[order], num_words, skip_top, maxlen, start_char, oov_char,
                                    index_from)
    cut = int(len(out) * (1 - test_split))
    return (out[:cut], out_labels[:cut]), (out[cut:], out_labels[cut:])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 15, "skip_top": 5, "test_split": 0.3},
        {"maxlen": 9},
        {"num_words": 20, "oov_char": None, "seed": 5},
        {"start_char": None, "index_from": 0, "num_words": 10, "test_split": 0.5},
    ],
)
def test_reuters_matches_kerass_procedure(server, homes, monkeypatch, kwargs):
    rng = np.random.default_rng(6)
    xs, labels = _fake_newswires(rng, 41)
    _serve_npz(server, monkeypatch, reuters, "reuters.npz", x=xs, y=labels)
    (a, b), (c, d) = reuters.load_data(**kwargs)
    (ea, eb), (ec, ed) = _keras_reuters(xs, labels, **kwargs)
    assert a.dtype == object and c.dtype == object and a.ndim == 1 and c.ndim == 1
    assert b.dtype == np.int64 and d.dtype == np.int64
    assert all(type(s) is list for s in list(a) + list(c))
    assert [list(map(int, s)) for s in a] == [list(map(int, s)) for s in ea]
    assert [list(map(int, s)) for s in c] == [list(map(int, s)) for s in ec]
    assert b.tolist() == [int(v) for v in eb] and d.tolist() == [int(v) for v in ed]
    if not kwargs.get("maxlen"):
        assert len(a) == int(41 * (1 - kwargs.get("test_split", 0.2))) and len(a) + len(c) == 41
    else:
        assert len(a) + len(c) < 41


def test_reuters_errors_and_word_index(server, homes, monkeypatch):
    xs, labels = _fake_newswires(np.random.default_rng(7), 5)
    _serve_npz(server, monkeypatch, reuters, "reuters.npz", x=xs, y=labels)
    with pytest.raises(ValueError, match="maxlen=2"):
        reuters.load_data(maxlen=2)
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        reuters.load_data(num_wrds=3)
    with pytest.warns(UserWarning, match="renamed `num_words`"):
        (a, _), _ = reuters.load_data(nb_words=5)
    assert max(max(s) for s in a) < 5
    data = json.dumps({"said": 1, "mln": 2}).encode()
    server.routes["/reuters_word_index.json"] = data
    monkeypatch.setattr(reuters, "WORD_INDEX_ORIGIN", server.url("/reuters_word_index.json"))
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", md5(data))
    assert reuters.get_word_index() == {"said": 1, "mln": 2}
