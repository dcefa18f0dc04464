"""The same seed gives the same random bits on every usable backend.

Uniform draws (and dropout masks and binomials built from them) are integer Philox
arithmetic followed by one exact scaling, so they must be bit-identical; normal draws
go through log/cos and may differ by a few ulp (the float64 row of the tolerance table).
"""
import numpy as np
import pytest

from multinn import backend as K
from tests.conftest import usable_backends
from tests.parity.tolerances import assert_close


@pytest.fixture
def backends():
    names = usable_backends()
    if len(names) < 2:
        import multinn.backends as registry

        pytest.skip(f"random parity needs numpy and cupy; cupy is unusable here: {registry.unusable_reason('cupy')}")
    return names


def _draw_on(name, fn):
    with K.backend_scope(name):
        return K.eval(fn())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_bit_identical(backends, dtype):
    fn = lambda: K.random_uniform((37, 41), minval=-3.0, maxval=2.0, dtype=dtype, seed=2024)
    ref, *others = [_draw_on(n, fn) for n in backends]
    for out in others:
        np.testing.assert_array_equal(out, ref)


def test_global_stream_bit_identical(backends):
    def fn():
        K.set_seed(99)
        K.random_normal((5,))
        return K.random_uniform((1000,))

    ref, *others = [_draw_on(n, fn) for n in backends]
    for out in others:
        np.testing.assert_array_equal(out, ref)


def test_binomial_and_dropout_masks_identical(backends):
    def fn():
        K.set_seed(3)
        mask = K.random_binomial((64, 33), p=0.4)
        drop = K.dropout(K.ones((64, 33)), 0.25, seed=11)
        return np.concatenate([K.eval(mask), K.eval(drop)])

    ref, *others = [_draw_on(n, fn) for n in backends]
    for out in others:
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("fn", [K.random_normal, K.truncated_normal])
def test_normals_agree_to_a_few_ulp(backends, fn):
    ref, *others = [_draw_on(n, lambda: fn((300, 17), mean=0.5, stddev=2.0, dtype="float64", seed=7)) for n in backends]
    for out in others:
        assert_close(out, ref)


def test_dropout_mask_spanning_many_numpy_chunks_identical(backends):
    """The NumPy backend generates Philox words 16,384 blocks at a time, CuPy in one pass."""
    def fn():
        K.set_seed(3)  # restarts the seeded streams too
        return K.dropout(K.ones((16, 12, 12, 64)), 0.25, seed=5)  # 147,456 words: 3 NumPy chunks

    ref, *others = [_draw_on(n, fn) for n in backends]
    for out in others:
        np.testing.assert_array_equal(out, ref)
