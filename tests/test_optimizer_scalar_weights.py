"""Every optimizer updates a 0-d weight (tf.keras's Attention `scale`) as it updates a 1-element one."""
import numpy as np
import pytest

from multinn import backend as K, optimizers


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"])
def test_scalar_weight_moves_like_a_vector_weight(backend_name, name):
    scalar = K.variable(np.array(2.0, dtype="float32"))
    vector = K.variable(np.array([2.0], dtype="float32"))
    opt_s, opt_v = optimizers.get(name), optimizers.get(name)
    for g in (0.5, -0.25, 1.0):
        opt_s.apply_gradients([(K.constant(np.array(g, dtype="float32")), scalar)])
        opt_v.apply_gradients([(K.constant(np.array([g], dtype="float32")), vector)])
    got = K.get_value(scalar)
    assert got.shape == ()
    assert got != 2.0
    np.testing.assert_allclose(got, K.get_value(vector)[0], rtol=1e-6)
