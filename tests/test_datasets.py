"""The offline digits loader: shapes, scaling, a deterministic split, and a clear error without scikit-learn."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from multinn.datasets import digits

pytest.importorskip("sklearn", reason="the digits ship inside scikit-learn (pip install 'multinn[examples]')")


def test_shapes_dtypes_and_range():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == np.float32 and y_train.dtype.kind == "i"
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))


def test_split_is_a_partition_of_the_original_data():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.25)
    got = np.concatenate([x_train, x_test]).reshape(len(bunch.target), -1) * 16
    got_labels = np.concatenate([y_train, y_test])
    key = lambda x, y: sorted(zip(map(bytes, np.rint(x).astype(np.uint8)), y.tolist()))
    assert key(got, got_labels) == key(bunch.data, bunch.target)
    assert len(x_test) == len(bunch.target) - int(len(bunch.target) * 0.75)


def test_same_seed_same_split_other_seed_other_split():
    (a, ya), _ = digits.load_data(seed=1)
    (b, yb), _ = digits.load_data(seed=1)
    (c, yc), _ = digits.load_data(seed=2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(ya, yc)


def test_bad_test_split():
    with pytest.raises(ValueError, match="test_split=1.5"):
        digits.load_data(test_split=1.5)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'multinn\[examples\]'"):
        digits.load_data()
