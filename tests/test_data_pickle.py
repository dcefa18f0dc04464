"""backends.data_pickle: the data sets' pickled parts (imdb/reuters object arrays, CIFAR batches)
read without Python's pickle, against pickle.loads of trusted streams; anything else refused."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from multinn.backends.data_pickle import DataPickleError, loads_data, read_npy_member
from multinn.backends.host_data import load_npz

SAMPLE = {
    b"data": np.arange(24, dtype=np.uint8).reshape(2, 12),
    b"labels": [4, 7, -1, 2 ** 40, -(2 ** 70)],
    "floats": [1.5, -0.0, 1e300],
    "tuple": (1, "a", None, True, False, ()),
    "text": "h\u00e9\nllo \U0001F600",
    "big_endian": np.arange(3, dtype=">f8"),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "scalar_array": np.array(3.5, dtype=np.float32),
    "nested": {"a": [[1, 2], [3]], "b": b"\x00\xff"},
}


def _same(a, b):
    if isinstance(a, np.ndarray):
        # same kind and size (NumPy's own unpickling may return a big-endian array in native order)
        assert isinstance(b, np.ndarray) and a.dtype.str[1:] == b.dtype.str[1:] and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b and type(a) is type(b)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_reads_as_pickle_reads_it(protocol):
    stream = pickle.dumps(SAMPLE, protocol=protocol)
    _same(loads_data(stream, encoding="bytes"), pickle.loads(stream, encoding="bytes"))


def test_shared_references_and_python2_strings():
    shared = [1, 2]
    stream = pickle.dumps({"x": shared, "y": shared}, protocol=2)
    got = loads_data(stream)
    assert got["x"] is got["y"]
    # Python 2's str pickles as (SHORT_)BINSTRING: bytes with encoding='bytes', text otherwise
    py2 = b"\x80\x02}q\x00U\x04dataq\x01U\x03abcq\x02s."
    assert loads_data(py2, encoding="bytes") == pickle.loads(py2, encoding="bytes") == {b"data": b"abc"}
    assert loads_data(py2, encoding="latin1") == {"data": "abc"}


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload", [_Evil(), print, zipfile.ZipFile, {"x": np.zeros(2, dtype=[("a", "i4")])}])
def test_code_and_other_objects_are_refused(payload):
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        with pytest.raises(DataPickleError):
            loads_data(pickle.dumps(payload, protocol=protocol))


def test_damaged_streams_raise_one_error_type():
    stream = pickle.dumps(SAMPLE, protocol=2)
    for cut in range(0, len(stream), 7):
        with pytest.raises(DataPickleError):
            loads_data(stream[:cut])
    lying = pickle.dumps(np.zeros((4, 4), np.float32), protocol=2).replace(b"\x04K\x04", b"\x04M\x00\x04", 1)
    with pytest.raises(DataPickleError):
        loads_data(lying)


def test_npz_object_arrays_load_without_allow_pickle(tmp_path):
    # imdb.npz's layout: object arrays of lists of word indices beside plain arrays
    x = np.empty(3, dtype=object)
    x[:] = [[1, 14, 22], [5], list(range(300))]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=x, y_train=np.array([1, 0, 1]))
    got_x, got_y = load_npz(str(path), ["x_train", "y_train"])
    assert got_x.dtype == object and [list(v) for v in got_x] == [list(v) for v in x]
    np.testing.assert_array_equal(got_y, [1, 0, 1])
    with pytest.raises(ValueError, match="no array"):
        load_npz(str(path), ["x_test"])


def test_npy_member_header_and_data_must_agree():
    buffer = io.BytesIO()
    np.save(buffer, np.array([[1], [2, 3]], dtype=object))
    raw = buffer.getvalue().replace(b"(2,)", b"(3,)", 1)
    with pytest.raises(DataPickleError, match="shape"):
        read_npy_member(raw)
