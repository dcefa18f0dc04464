"""Philox generated a chunk of counter blocks at a time (the NumPy backend's cache-sized passes)
gives the same words as one pass, on every backend, so seeded streams do not change."""
import numpy as np
import pytest

from multinn import backend as K
from multinn.backends import philox
from tests.test_ops_random import _philox_by_hand


@pytest.mark.parametrize("chunk", [None, 1, 3, 4, 1000])
def test_chunked_words_match_a_block_by_block_reference(backend_name, chunk):
    b = K.default_backend()
    key, start = 0x0123456789ABCDEF, 2**32 - 3  # the block number crosses into the counter's second word
    words = b.to_numpy(philox.random_words(b.xp, key, start, 26, chunk))  # 7 blocks, the last one partly used
    assert words.dtype == np.uint32 and words.shape == (26,)
    expected = []
    for i in range(7):
        n = start + i
        expected += _philox_by_hand((n & 0xFFFFFFFF, n >> 32, 0, 0), (key & 0xFFFFFFFF, key >> 32))
    assert [int(w) for w in words] == expected[:26]


@pytest.mark.parametrize("chunk", [1, 7, 64, 10**6])
def test_chunking_changes_no_draw(backend_name, chunk, monkeypatch):
    b = K.default_backend()
    key, start = 2**40 + 5, 123

    def draws():
        return [b.to_numpy(a) for a in (
            b.random_uniform((13, 29), -1.0, 2.0, "float32", key, start),
            b.random_uniform((13, 29), 0.0, 1.0, "float64", key, start),
            b.random_keep_mask((13, 29), 0.3, key, start),
            b.random_normal((13, 29), 0.5, 2.0, "float64", key, start),
            b.random_permutation(101, key, start),
        )]

    monkeypatch.setattr(b, "philox_chunk", None)
    one_pass = draws()
    monkeypatch.setattr(b, "philox_chunk", chunk)
    for got, want in zip(draws(), one_pass):
        np.testing.assert_array_equal(got, want)


def test_numpy_backend_generates_in_chunks():
    from multinn.backends.numpy_backend import NumpyBackend

    assert NumpyBackend.philox_chunk and NumpyBackend.philox_chunk >= 1024


def test_a_dropout_mask_larger_than_a_chunk_is_the_stream_of_one_pass(backend_name, monkeypatch):
    """The dropout mask of the mnist_cnn benchmark's shape spans many NumPy chunks."""
    b = K.default_backend()
    shape = (8, 12, 12, 64)  # 73,728 words: 18,432 blocks, more than one 16,384-block chunk
    monkeypatch.setattr(b, "philox_chunk", 16384)
    chunked = b.to_numpy(b.random_keep_mask(shape, 0.25, 11, 5))
    monkeypatch.setattr(b, "philox_chunk", None)
    whole = b.to_numpy(b.random_keep_mask(shape, 0.25, 11, 5))
    np.testing.assert_array_equal(chunked, whole)
    u = b.to_numpy(b.random_uniform(shape, 0.0, 1.0, "float32", 11, 5))
    np.testing.assert_array_equal(chunked, u >= np.float32(0.25))
