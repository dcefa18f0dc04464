"""Tensors given in advance: `compile(target_tensors=...)`, `Input(tensor=...)`, and
`clone_model(..., input_tensors=...)` on tensors with values."""
import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import Dense, Input, Layer, add
from multinn.models import Model, Sequential, clone_model


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)


def _mse_grad_step(w, b, x, y, lr):
    """One SGD step of mean((x @ w + b - y)^2) by hand."""
    err = x @ w + b - y
    scale = 2.0 / err.size
    return w - lr * scale * x.T @ err, b - lr * scale * err.sum(axis=0)


@pytest.mark.parametrize("form", ["tensor", "list", "dict"])
def test_target_tensors_take_the_place_of_targets(backend_name, form):
    x, y = _rand(6, 3), _rand(6, 2, seed=1)
    model = Sequential([Dense(2, input_shape=(3,), name="out")])
    w0, b0 = model.get_weights()
    target = K.variable(y)
    targets = {"tensor": target, "list": [target], "dict": {"out": target}}[form]
    model.compile("sgd", "mse", target_tensors=targets)
    loss = model.train_on_batch(x, None)
    assert float(loss) == pytest.approx(float(np.mean((x @ w0 + b0 - y) ** 2)), rel=1e-5)
    w1, b1 = _mse_grad_step(w0, b0, x, y, 0.01)
    np.testing.assert_allclose(model.get_weights()[0], w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b1, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Expected to see 0 array"):
        model.train_on_batch(x, y)  # that output's targets are the tensor's


def test_target_tensors_for_some_outputs_and_placeholders(backend_name):
    x, ya, yb = _rand(5, 4), _rand(5, 2, seed=1), _rand(5, 3, seed=2)
    inp = Input(shape=(4,))
    model = Model(inp, [Dense(2, name="a")(inp), Dense(3, name="b")(inp)])
    wa, ba, wb, bb = model.get_weights()
    model.compile("sgd", "mse", target_tensors={"a": K.variable(ya), "b": K.placeholder((None, 3))})
    total, loss_a, loss_b = model.test_on_batch(x, yb)  # only b's targets are fed
    expect_a = np.mean((x @ wa + ba - ya) ** 2)
    expect_b = np.mean((x @ wb + bb - yb) ** 2)
    assert (float(loss_a), float(loss_b)) == pytest.approx((expect_a, expect_b), rel=1e-5)
    assert float(total) == pytest.approx(expect_a + expect_b, rel=1e-5)
    model.compile("sgd", "mse", target_tensors=[K.variable(ya), K.variable(yb)])
    weights = np.arange(1, 6, dtype=np.float32)
    total = model.test_on_batch(x, None, sample_weight={"a": weights})[0]
    per_sample_a = np.mean((x @ wa + ba - ya) ** 2, axis=1)
    assert float(total) == pytest.approx(float(np.mean(per_sample_a * weights)) + expect_b, rel=1e-5)


def test_target_tensors_errors():
    inp = Input(shape=(4,))
    model = Model(inp, [Dense(2, name="a")(inp), Dense(2, name="b")(inp)])
    t = K.variable(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="target_tensors"):
        model.compile("sgd", "mse", target_tensors={t}.__class__())
    with pytest.raises(ValueError, match="one entry per model output. The model has 2 outputs"):
        model.compile("sgd", "mse", target_tensors=[t])
    with pytest.raises(ValueError, match="single tensor as `target_tensors`"):
        model.compile("sgd", "mse", target_tensors=t)
    with pytest.raises(ValueError, match="'c'"):
        model.compile("sgd", "mse", target_tensors={"c": t})


def test_input_tensor_feeds_the_model(backend_name):
    data, y = _rand(6, 4), _rand(6, 2, seed=1)
    fixed = Input(tensor=K.variable(data))
    assert fixed.shape == (6, 4) and not fixed._keras_history[0].is_placeholder
    other = Input(shape=(4,))
    model = Model([fixed, other], add([Dense(2)(fixed), Dense(2)(other)]))
    w1, b1, w2, b2 = model.get_weights()
    x2 = _rand(6, 4, seed=3)
    model.compile("sgd", "mse")
    loss = model.test_on_batch(x2, y)  # x holds the fed input only
    pred = data @ w1 + b1 + x2 @ w2 + b2
    assert float(loss) == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-5)
    with pytest.raises(ValueError, match="No input data"):
        model.test_on_batch(None, y)

    alone = Model(fixed, Dense(2)(fixed))
    alone.compile("sgd", "mse")
    w, b = alone.layers[1].get_weights()
    assert float(alone.test_on_batch(None, y)) == pytest.approx(float(np.mean((data @ w + b - y) ** 2)), rel=1e-5)


def test_input_tensor_placeholder_gives_only_the_shape():
    x = Input(tensor=K.placeholder((None, 3), dtype="float64"))
    layer = x._keras_history[0]
    assert x.shape == (None, 3) and layer.is_placeholder and layer.input_tensor_value is None
    assert layer.dtype == "float64"
    with pytest.raises(TypeError, match="input_tensor"):
        Input(tensor=[[1.0, 2.0]])
    with pytest.raises(ValueError, match="shape"):
        Input()


def test_clone_model_on_tensors_with_values(backend_name):
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared = Dense(4)
    model = Model([a, b], add([shared(a), shared(b)]))
    va, vb = _rand(5, 4), _rand(5, 4, seed=1)
    twin = clone_model(model, input_tensors=[K.variable(va), K.variable(vb)])
    twin.compile("sgd", "mse")
    w, bias = twin.get_weights()
    y = _rand(5, 4, seed=2)
    expect = np.mean(((va @ w + bias) + (vb @ w + bias) - y) ** 2)
    assert float(twin.test_on_batch(None, y)) == pytest.approx(float(expect), rel=1e-5)


def test_clone_model_with_a_user_layer_class(backend_name):
    class Swap(Layer):
        def call(self, inputs):
            return [inputs[1], inputs[0]]

        def compute_output_shape(self, input_shape):
            return [input_shape[1], input_shape[0]]

    x = Input(shape=(3,))
    p, q = Swap()([Dense(3)(x), x])
    model = Model(x, [p, q])
    twin = clone_model(model)
    assert type(twin.layers[-1]) is Swap
    twin.set_weights(model.get_weights())
    data = _rand(2, 3)
    for got, want in zip(twin.predict(data), model.predict(data)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
