"""Two K.placeholder-graph cases that Keras 2.3.1's backend tests use (test_gradient, test_function):
gradients with respect to an intermediate tensor, and a placeholder of unknown sizes broadcast
against a tensor of known shape."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from multinn import backend as K


def test_gradient_with_respect_to_an_intermediate_tensor(backend_name):
    val = np.random.default_rng(0).random((4, 2))
    x = K.placeholder(shape=(4, 2))
    e = x * K.exp(x)
    loss = K.sum(K.square(e))
    (g,) = K.gradients(loss, [e])
    (g_stopped,) = K.gradients(loss + K.stop_gradient(loss), [e])
    expected = 2 * val * np.exp(val)  # d sum(e^2) / de = 2 e
    assert_allclose(K.function([x], [g])([val])[0], expected, rtol=1e-5)
    assert_allclose(K.function([x], [g_stopped])([val])[0], expected, rtol=1e-5)
    # through e to x as well, in the same function: d sum(e^2) / dx = 2 e (1 + x) e^x
    gx, ge = K.function([x], K.gradients(loss, [x, e]))([val])
    assert_allclose(gx, expected * (1 + val) * np.exp(val), rtol=1e-5)
    assert_allclose(ge, expected, rtol=1e-5)


def test_placeholder_of_unknown_sizes_broadcasts_against_known_shapes(backend_name):
    rng = np.random.default_rng(1)
    val, fed = rng.random((4, 2)), rng.random((4, 2))
    x = K.variable(val)
    y = K.placeholder(ndim=2)
    z = K.square(x) + y
    assert K.int_shape(z) == (4, 2)
    f = K.function([y], [z], updates=[(x, K.identity(x) * 2)])
    assert_allclose(f([fed])[0], val ** 2 + fed, rtol=1e-6)
    assert_allclose(K.get_value(x), 2 * val, rtol=1e-6)
    row = K.function([y], [z])([fed[:1]])[0]  # a (1, 2) feed broadcasts too
    assert_allclose(row, (2 * val) ** 2 + fed[:1], rtol=1e-6)
    assert K.int_shape(K.placeholder(shape=(None, 1)) * K.ones((5,))) == (None, 5)


def test_incompatible_known_sizes_still_fail_with_the_probe_note(backend_name):
    with pytest.raises(ValueError) as info:
        K.placeholder(shape=(None, 3)) + K.ones((4, 2))
    assert "(2,3)" in str(info.value).replace(" ", "")  # the usual probe, not the aligned retry
