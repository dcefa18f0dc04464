"""K.dense, the fused product + bias + activation: values against NumPy, float64 gradients,
and the same results as the K.dot / K.bias_add / activation composition it replaces."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, differentiable_inside

ACTIVATIONS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "tanh": lambda z: (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1),
}


def _inputs(n=5, d=4, units=3, gap=0.05):
    """x, kernel, bias whose pre-activations keep `gap` from relu's kink (for central differences)."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1, 1, (n, d)).astype(np.float32)
        w = rng.uniform(-1, 1, (d, units)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, units).astype(np.float32)
        z = np.einsum("nd,du->nu", x.astype(np.float64), w.astype(np.float64)) + b
        if np.abs(z).min() > gap:
            return x, w, b
    raise AssertionError("no seed gave pre-activations away from 0")


def _reference(activation):
    def ref(x, w, b=None):
        z = np.einsum("nd,du->nu", x, w)
        return ACTIVATIONS[activation](z if b is None else z + b)
    return ref


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dense_values_and_gradients(backend_name, activation):
    x, w, b = _inputs()
    check_op(lambda x, w, b: K.dense(x, w, b, activation=activation), _reference(activation), [x, w, b])


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_dense_without_bias(backend_name, activation):
    x, w, _ = _inputs()
    check_op(lambda x, w: K.dense(x, w, activation=activation), _reference(activation), [x, w])


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
def test_dense_matches_the_composition(backend_name, activation):
    x, w, b = (K.constant(a) for a in _inputs(n=8, d=6, units=5))
    kernel, bias = K.variable(w), K.variable(b)
    composed_out = K.bias_add(K.dot(x, kernel), bias)
    composed_out = {"linear": lambda z: z, "relu": K.relu, "tanh": K.tanh}[activation](composed_out)
    fused_out = K.dense(x, kernel, bias, activation=activation)
    np.testing.assert_allclose(fused_out.numpy(), composed_out.numpy(), rtol=1e-6, atol=1e-6)
    for fused_g, composed_g in zip(K.gradients(K.sum(fused_out * fused_out), [kernel, bias]),
                                   K.gradients(K.sum(composed_out * composed_out), [kernel, bias])):
        np.testing.assert_allclose(fused_g.numpy(), composed_g.numpy(), rtol=1e-5, atol=1e-6)


def test_dense_input_gradient_only_when_asked(backend_name):
    x, w, b = _inputs()
    xt, kernel = K.variable(x), K.variable(w)
    out = K.dense(xt, kernel, K.constant(b), activation="relu")
    gx, gk = K.gradients(K.sum(out), [xt, kernel])
    mask = (np.einsum("nd,du->nu", x, w) + b > 0).astype(np.float32)
    np.testing.assert_allclose(gx.numpy(), mask @ w.T, rtol=1e-5)
    np.testing.assert_allclose(gk.numpy(), x.T @ mask, rtol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", None])
def test_dense_second_order(backend_name, activation):
    """create_graph builds the backward from K ops, so the gradient can be differentiated again."""
    def grad_of_loss(x, w, b):
        loss = K.sum(K.square(K.dense(x, w, b, activation=activation)))
        gx, gw, gb = K.gradients(loss, [x, w, b], create_graph=True)
        return K.sum(gx * gx) + K.sum(K.sin(gw)) + K.sum(gb * gb)

    x, w, b = _inputs(n=3, d=2, units=2)
    K.check_gradients(differentiable_inside(grad_of_loss), [x, w, b], atol=1e-5, rtol=1e-4)


def test_dense_falls_back_beyond_the_fused_case(backend_name):
    """3-D inputs and mixed dtypes take the K.dot / K.bias_add path and give its results."""
    rng = np.random.default_rng(3)
    x3 = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    w = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
    b = rng.uniform(-1, 1, 5).astype(np.float32)
    out = K.dense(K.constant(x3), K.constant(w), K.constant(b), activation="relu")
    np.testing.assert_allclose(out.numpy(), np.maximum(np.einsum("abd,du->abu", x3, w) + b, 0), rtol=1e-5, atol=1e-6)
    mixed = K.dense(K.constant(x3[0], dtype="float64"), K.constant(w), K.constant(b))
    assert str(mixed.dtype) == "float64"
    np.testing.assert_allclose(mixed.numpy(), x3[0].astype(np.float64) @ w + b, rtol=1e-6)


def test_dense_rejects_an_activation_it_does_not_fuse(backend_name):
    with pytest.raises(ValueError, match=r"Received: activation='softmax'"):
        K.dense(K.ones((2, 3)), K.ones((3, 4)), activation="softmax")


def test_dense_shape_mismatch_is_reported(backend_name):
    with pytest.raises(ValueError):
        K.dense(K.ones((2, 3)), K.ones((4, 5)))


def test_dense_on_placeholders(backend_name):
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5)
    f = K.function([x], [K.dense(x, w, activation="relu")])
    data = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]], np.float32)
    np.testing.assert_allclose(f([data])[0], np.maximum(data @ w.numpy(), 0), rtol=1e-6)
