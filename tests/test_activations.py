"""Activations: values against NumPy references written another way, gradients, identifiers."""
import math

import numpy as np
import pytest

from multinn import activations
from multinn import backend as K
from tests.helpers import check_op, rand

# Points away from every kink (0, 2.5, -2.5, 1, 4) so central differences are valid.
X = np.array([[-3.7, -2.2, -1.3, -0.6, -0.05], [0.07, 0.45, 1.6, 2.2, 3.3]], dtype=np.float32)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softmax_ref(x, axis):
    # log-domain form: exp(x - logsumexp(x)).
    m = np.max(x, axis=axis, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - lse)


_erf = np.vectorize(math.erf)

CASES = [
    ("linear", activations.linear, lambda x: x * 1),
    ("elu", activations.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_alpha", lambda x: activations.elu(x, alpha=0.3), lambda x: np.where(x > 0, x, 0.3 * np.expm1(x))),
    ("selu", activations.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("relu", activations.relu, lambda x: (np.abs(x) + x) / 2),
    ("relu_alpha", lambda x: activations.relu(x, alpha=0.1), lambda x: np.where(x < 0, 0.1 * x, x)),
    ("relu_max", lambda x: activations.relu(x, max_value=2.0), lambda x: np.minimum(np.maximum(x, 0), 2.0)),
    (
        "relu_threshold",
        lambda x: activations.relu(x, alpha=0.5, max_value=3.0, threshold=1.0),
        lambda x: np.where(x > 1.0, np.minimum(x, 3.0), 0.0) - 0.5 * np.maximum(1.0 - x, 0.0),
    ),
    ("softplus", activations.softplus, lambda x: np.logaddexp(0.0, x)),
    ("softsign", activations.softsign, lambda x: np.sign(x) * np.abs(x) / (1 + np.abs(x))),
    ("tanh", activations.tanh, lambda x: 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0),
    ("sigmoid", activations.sigmoid, lambda x: 0.5 * (1.0 + np.tanh(x / 2.0))),
    ("hard_sigmoid", activations.hard_sigmoid, lambda x: np.clip((x + 2.5) / 5.0, 0.0, 1.0)),
    ("exponential", activations.exponential, lambda x: np.power(np.e, x)),
    ("swish", activations.swish, lambda x: x / (1.0 + np.exp(-x))),
    ("gelu", activations.gelu, lambda x: x * 0.5 * (1.0 + _erf(x / np.sqrt(2.0)))),
    (
        "gelu_approximate",
        lambda x: activations.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    ("softmax", activations.softmax, lambda x: _softmax_ref(x, -1)),
    ("softmax_axis0", lambda x: activations.softmax(x, axis=0), lambda x: _softmax_ref(x, 0)),
]


@pytest.mark.parametrize("name,fn,ref", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients(backend_name, name, fn, ref):
    check_op(fn, ref, [X], grad=name != "linear", rtol=1e-5, atol=1e-6)


def test_keras_2_documented_values(backend_name):
    # The examples printed in Keras 2's docstrings.
    foo = K.constant([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(K.eval(activations.relu(foo, alpha=0.5)), [-5.0, -2.5, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(K.eval(activations.relu(foo, max_value=5)), [0.0, 0.0, 0.0, 5.0, 5.0])
    np.testing.assert_allclose(K.eval(activations.relu(foo, threshold=5)), [0.0, 0.0, 0.0, 0.0, 10.0])
    x = K.constant([-3.0, -1.0, 0.0, 1.0, 3.0])
    np.testing.assert_allclose(K.eval(activations.hard_sigmoid(x)), [0.0, 0.3, 0.5, 0.7, 1.0], atol=1e-6)
    np.testing.assert_allclose(
        # TF's float32 erf is slightly off at -3; these are Keras's printed digits.
        K.eval(activations.gelu(x)), [-0.00404951, -0.15865529, 0.0, 0.8413447, 2.9959507], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        K.eval(activations.gelu(x, approximate=True)),
        [-0.00363752, -0.15880796, 0.0, 0.841192, 2.9963627],
        rtol=1e-5,
        atol=1e-6,
    )


def test_softmax_higher_rank_and_several_axes(backend_name):
    x = rand(2, 3, 4)
    check_op(lambda t: activations.softmax(t, axis=1), lambda a: _softmax_ref(a, 1), [x])
    check_op(lambda t: activations.softmax(t, axis=(1, 2)), lambda a: _softmax_ref(a, (1, 2)), [x])
    big = np.array([[1000.0, 0.0], [-1000.0, 0.0]], np.float32)
    np.testing.assert_allclose(K.eval(activations.softmax(K.constant(big))), [[1.0, 0.0], [0.0, 1.0]])


def test_softmax_refuses_1d(backend_name):
    with pytest.raises(ValueError, match=r"1D.*shape \(3,\)"):
        activations.softmax(K.constant([1.0, 2.0, 3.0]))


def test_activations_keep_float32_and_float64(backend_name):
    for name in ["elu", "selu", "relu", "softplus", "softsign", "hard_sigmoid", "swish", "gelu", "softmax"]:
        fn = activations.get(name)
        assert K.dtype(fn(K.constant(X))) == "float32", name
        assert K.dtype(fn(K.constant(X.astype(np.float64), dtype="float64"))) == "float64", name


def test_get_and_serialize_round_trip():
    for name in ["linear", "elu", "selu", "relu", "softmax", "softplus", "softsign", "tanh", "sigmoid",
                 "hard_sigmoid", "exponential", "swish", "gelu"]:
        fn = activations.get(name)
        assert fn is getattr(activations, name)
        assert activations.serialize(fn) == name
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_any_callable_is_an_activation(backend_name):
    assert activations.get(K.tanh) is K.tanh
    assert activations.serialize(K.tanh) == "tanh"
    np.testing.assert_allclose(
        K.eval(activations.get(activations.serialize(K.tanh))(K.constant(X))), np.tanh(X), rtol=1e-6
    )

    def twice(x):
        return 2 * x

    assert activations.get(twice) is twice
    assert activations.deserialize("twice", custom_objects={"twice": twice}) is twice
    assert activations.get(None) is activations.linear
    assert activations.get({"class_name": "relu", "config": {}}) is activations.relu


def test_advanced_activation_layer_as_activation_round_trips(backend_name):
    # tf.keras 2: an advanced activation layer passed as `activation` is saved as its
    # {'class_name', 'config'} and read back as that layer.
    from multinn.layers import Dense, LeakyReLU
    from multinn.models import Sequential, model_from_json

    model = Sequential([Dense(3, activation=LeakyReLU(0.1), input_shape=(2,))])
    clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    x = np.array([[1.0, -2.0], [-3.0, 0.5]], np.float32)
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)
    restored = activations.deserialize(activations.serialize(LeakyReLU(0.2)))
    assert type(restored).__name__ == "LeakyReLU" and restored.alpha == 0.2


def test_unknown_names_suggest():
    with pytest.raises(ValueError, match="Unknown activation 'rleu'. Did you mean 'relu'"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Received: activation=5"):
        activations.get(5)


def test_k_erf_behind_exact_gelu(backend_name):
    x = np.concatenate([np.linspace(-7, 7, 2801), [0.0, 1e-300, -1e-8, 2.0, 1.9999999]])
    got = K.eval(K.erf(K.constant(x, dtype="float64")))
    np.testing.assert_allclose(got, _erf(x), rtol=1e-14, atol=1e-15)
    assert K.dtype(K.erf(K.constant(X))) == "float32"
    np.testing.assert_array_equal(K.eval(K.erf(K.constant([np.inf, -np.inf]))), [1.0, -1.0])
    K.check_gradients(K.erf, [[-2.5, -0.3, 0.0, 1.2, 2.0, 3.1]])


def test_get_warns_about_a_layer_given_as_activation():
    from multinn.layers import Dense, LeakyReLU

    layer = LeakyReLU()
    with pytest.warns(UserWarning, match="LeakyReLU"):
        assert activations.get(layer) is layer
    with pytest.warns(UserWarning, match="layer instance"):
        Dense(2, activation=LeakyReLU())


def test_selu_rounds_as_tensorflow_does(backend_name):
    x = np.array([[-1.0, -2.0, -0.3, 0.7, 3.0]], np.float32)
    scale, alpha = np.float32(1.0507009873554805), np.float32(1.6732632423543772)
    expected = np.where(x > 0, x * scale, np.float32(scale * alpha) * (np.exp(x) - np.float32(1)))
    np.testing.assert_array_equal(activations.selu(K.constant(x)).numpy(), expected)
