"""K's random functions: Philox known answers, Keras 2's statistical checks, seeding and streams."""
import numpy as np
import pytest

from multinn import backend as K
from multinn.backends import philox


def _words(text):
    return [int(w, 16) for w in text.split()]


# Random123's kat_vectors, "philox4x32 10" lines: counter words, key words, expected output.
KNOWN_ANSWERS = [
    ("00000000 00000000 00000000 00000000", "00000000 00000000", "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
    ("ffffffff ffffffff ffffffff ffffffff", "ffffffff ffffffff", "408f276d 41c83b0e a20bc7c6 6d5451fd"),
    ("243f6a88 85a308d3 13198a2e 03707344", "a4093822 299f31d0", "d16cfe09 94fdcceb 5001e420 24126ea1"),
]


@pytest.mark.parametrize("counter,key,expected", KNOWN_ANSWERS)
def test_philox_known_answers(counter, key, expected):
    c = tuple(np.array([w], dtype=np.uint64) for w in _words(counter))
    out = philox.philox_rounds(np, c, tuple(_words(key)))
    assert [int(w) for w in out[0]] == _words(expected)


def test_philox_blocks_uses_counter_zero_first():
    out = philox.philox_blocks(np, 0, 0, 2)
    assert [int(w) for w in out[0]] == _words(KNOWN_ANSWERS[0][2])
    assert [int(w) for w in out[1]] != [int(w) for w in out[0]]


# ---------------------------------------------------------------- Keras 2's statistical checks
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (-10.0, 5.0)])
def test_random_normal_statistics(backend_name, mean, std):
    x = K.eval(K.random_normal((200, 200), mean=mean, stddev=std, seed=1337))
    assert x.shape == (200, 200) and x.dtype == np.float32
    assert abs(np.mean(x) - mean) < std * 0.015
    assert abs(np.std(x) - std) < std * 0.015


@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-10.0, 10.0)])
def test_random_uniform_statistics(backend_name, low, high):
    x = K.eval(K.random_uniform((200, 200), minval=low, maxval=high, seed=1337))
    assert x.shape == (200, 200)
    assert abs(np.mean(x) - (low + high) / 2) < 0.015 * (high - low)
    assert high - 0.015 * (high - low) < np.max(x) <= high
    assert low <= np.min(x) < low + 0.015 * (high - low)


def test_random_uniform_float64_has_53_bit_resolution(backend_name):
    x = K.eval(K.random_uniform((1000,), dtype="float64", seed=3))
    assert x.dtype == np.float64
    # float32-resolution draws would all be multiples of 2**-24
    assert np.any(x * 2.0**24 != np.floor(x * 2.0**24))


def test_random_uniform_float16_stays_below_maxval(backend_name):
    x = K.eval(K.random_uniform((200, 200), dtype="float16", seed=4))
    assert x.dtype == np.float16 and x.max() < 1.0 and x.min() >= 0.0
    assert abs(float(x.astype(np.float64).mean()) - 0.5) < 0.015


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_random_binomial_statistics(backend_name, p):
    x = K.eval(K.random_binomial((200, 200), p=p, seed=1337))
    assert abs(np.mean(x) - p) < 0.015
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}
    if 0 < p < 1:
        assert np.max(x) == 1 and np.min(x) == 0


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (3.0, 0.5)])
def test_truncated_normal_statistics(backend_name, mean, std):
    x = K.eval(K.truncated_normal((200, 200), mean=mean, stddev=std, seed=1337))
    assert x.shape == (200, 200)
    assert abs(np.mean(x) - mean) < 0.015 * std
    assert np.max(x) <= mean + 2 * std and np.min(x) >= mean - 2 * std
    # a normal cut at two standard deviations keeps 0.8796 of its standard deviation
    assert abs(np.std(x) - 0.87962566 * std) < 0.015 * std


def test_dtype_defaults_to_floatx_and_follows_dtype(backend_name):
    assert K.dtype(K.random_uniform((2,))) == K.floatx()
    for fn in (K.random_uniform, K.random_normal, K.truncated_normal, K.random_binomial):
        assert K.dtype(fn((3,), dtype="float64")) == "float64"
        assert K.dtype(fn((3,), dtype="float16")) == "float16"


def test_results_live_on_the_default_backend(backend_name):
    assert K.random_normal((2,)).backend.name == backend_name


# ---------------------------------------------------------------- seeds and streams
def test_explicit_seed_repeats_and_differs_between_seeds(backend_name):
    a = K.eval(K.random_normal((50,), seed=42))
    b = K.eval(K.random_normal((50,), seed=42))
    c = K.eval(K.random_normal((50,), seed=43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_global_stream_advances_and_set_seed_restarts_it(backend_name):
    K.set_seed(123)
    first = [K.eval(K.random_uniform((10,))), K.eval(K.random_normal((10,))), K.eval(K.truncated_normal((10,)))]
    second = K.eval(K.random_uniform((10,)))
    assert not np.array_equal(first[0], second)
    K.set_seed(123)
    again = [K.eval(K.random_uniform((10,))), K.eval(K.random_normal((10,))), K.eval(K.truncated_normal((10,)))]
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(K.eval(K.random_uniform((10,))), second)


def test_explicit_seed_does_not_move_the_global_stream(backend_name):
    K.set_seed(5)
    a = K.eval(K.random_uniform((4,)))
    K.set_seed(5)
    K.random_uniform((100,), seed=9)
    np.testing.assert_array_equal(K.eval(K.random_uniform((4,))), a)


def test_global_stream_draws_do_not_overlap(backend_name):
    # consecutive draws take consecutive counter blocks (four words each): a draw of a
    # whole number of blocks followed by another equals one long draw
    K.set_seed(8)
    joined = np.concatenate([K.eval(K.random_uniform((8,))), K.eval(K.random_uniform((12,)))])
    K.set_seed(8)
    whole = K.eval(K.random_uniform((20,)))
    np.testing.assert_array_equal(joined, whole)
    # a partial block is not reused: the next draw starts at a fresh block
    K.set_seed(8)
    K.random_uniform((6,))
    np.testing.assert_array_equal(K.eval(K.random_uniform((12,))), whole[8:])


def test_global_seed_and_explicit_seed_give_different_bits(backend_name):
    K.set_seed(1)
    assert not np.array_equal(K.eval(K.random_uniform((8,))), K.eval(K.random_uniform((8,), seed=1)))


def test_set_random_seed_from_utils(backend_name):
    import multinn

    multinn.utils.set_random_seed(77)
    a = K.eval(K.random_normal((5,)))
    multinn.utils.set_random_seed(77)
    np.testing.assert_array_equal(K.eval(K.random_normal((5,))), a)


def test_uniform_matches_philox_words_directly(backend_name):
    # float32 uniforms are the top 24 bits of each Philox word, scaled by 2**-24
    x = K.eval(K.random_uniform((7,), seed=11))
    from multinn.backend.ops import random as krandom

    key = krandom._derive_key(11, krandom._EXPLICIT)
    words = philox.random_words(np, key, 0, 7)
    np.testing.assert_array_equal(x, (words >> 8).astype(np.float32) / np.float32(2**24))


# ---------------------------------------------------------------- variables and errors
def test_random_variables(backend_name):
    v = K.random_uniform_variable((20, 30), -2.0, 3.0, name="u", seed=1)
    assert isinstance(v, K.Variable) and v.name == "u" and v.shape == (20, 30)
    assert v.numpy().min() >= -2.0 and v.numpy().max() < 3.0
    w = K.random_normal_variable((20, 30), 1.0, 0.1, dtype="float64", seed=1)
    assert isinstance(w, K.Variable) and K.dtype(w) == "float64"
    assert abs(w.numpy().mean() - 1.0) < 0.02
    np.testing.assert_array_equal(v.numpy(), K.random_uniform_variable((20, 30), -2.0, 3.0, seed=1).numpy())


def test_shapes_accept_ints_lists_and_empty(backend_name):
    assert K.random_uniform(4).shape == (4,)
    assert K.random_normal([2, 3]).shape == (2, 3)
    assert K.truncated_normal((0, 3)).shape == (0, 3)
    assert K.random_uniform(()).shape == ()


def test_bad_arguments_name_what_was_received(backend_name):
    with pytest.raises(ValueError, match=r"Received: shape=\(2, -1\)"):
        K.random_normal((2, -1))
    with pytest.raises(TypeError, match="Received: seed='x'"):
        K.random_uniform((2,), seed="x")
    with pytest.raises(ValueError, match="Received: dtype='int32'"):
        K.random_uniform((2,), dtype="int32")


def test_random_permutation_is_a_seeded_permutation(backend_name):
    from multinn import backend as K

    p = K.random_permutation(1000, seed=7).numpy()
    assert sorted(p.tolist()) == list(range(1000)) and p.dtype.kind == "i"
    assert p.tolist() == K.random_permutation(1000, seed=7).numpy().tolist()
    assert p.tolist() != K.random_permutation(1000, seed=8).numpy().tolist()
    assert p.tolist() != list(range(1000))
    # position statistics: element 0 lands uniformly (mean position ~ (n-1)/2)
    firsts = [int((K.random_permutation(50).numpy() == 0).nonzero()[0][0]) for _ in range(400)]
    assert abs(sum(firsts) / len(firsts) - 24.5) < 3.0


def _philox_by_hand(counter, key):
    """Philox4x32-10 on Python integers, one block at a time (the paper's description)."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & 0xFFFFFFFF, (p0 >> 32) ^ c3 ^ k1, p0 & 0xFFFFFFFF
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return [c0, c1, c2, c3]


def test_philox_blocks_match_a_block_by_block_reference():
    key, start = 0x0123456789ABCDEF, 2**32 - 3  # the block number crosses into the counter's second word
    out = philox.philox_blocks(np, key, start, 7)
    assert out.dtype.kind == "u"
    for i, row in enumerate(out):
        n = start + i
        expected = _philox_by_hand((n & 0xFFFFFFFF, n >> 32, 0, 0), (key & 0xFFFFFFFF, key >> 32))
        assert [int(w) for w in row] == expected


@pytest.mark.parametrize("level", [1e-9, 0.1, 0.2, 0.5, 0.5 + 2**-25, 0.9, 1 - 2**-25, 1 - 2**-26])
def test_dropout_keep_mask_is_exactly_uniform_at_least_level(backend_name, level):
    """Dropout compares raw Philox words with an integer threshold; it must keep exactly the
    units whose float32 uniform draw (same stream blocks) is >= level."""
    b = K.default_backend()
    for key, start in [(1, 0), (2**40 + 5, 123)]:
        u = b.to_numpy(b.random_uniform((37, 101), 0.0, 1.0, "float32", key, start))
        keep = b.to_numpy(b.random_keep_mask((37, 101), level, key, start))
        np.testing.assert_array_equal(keep, u >= np.float32(level))
