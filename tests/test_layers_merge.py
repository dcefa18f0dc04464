"""Merge layers: values vs NumPy, shapes (also symbolic, with None), configs, gradients, errors."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import layers
from multinn.layers import Input
from multinn.models import Model, model_from_json

A = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
B = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
C = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)

ELEMENTWISE = [
    (layers.Add, layers.add, lambda *xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, layers.multiply, lambda *xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, layers.average, lambda *xs: (xs[0] + xs[1] + xs[2]) / 3),
    (layers.Maximum, layers.maximum, lambda *xs: np.max(np.stack(xs), axis=0)),
    (layers.Minimum, layers.minimum, lambda *xs: np.min(np.stack(xs), axis=0)),
]


@pytest.mark.parametrize("cls,fn,ref", ELEMENTWISE, ids=[c[0].__name__ for c in ELEMENTWISE])
def test_elementwise_merges(backend_name, cls, fn, ref):
    out = cls()([K.constant(A), K.constant(B), K.constant(C)])
    np.testing.assert_allclose(out.numpy(), ref(A, B, C), rtol=1e-6)
    a, b, c = Input(shape=(3,)), Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b, c], fn([a, b, c]))
    assert model.output_shape == (None, 3)
    np.testing.assert_allclose(model.predict([A, B, C]), ref(A, B, C), rtol=1e-6)
    clone = model_from_json(model.to_json())
    np.testing.assert_allclose(clone.predict([A, B, C]), ref(A, B, C), rtol=1e-6)
    K.check_gradients(lambda x, y, z: cls()([x, y, z]), [A, B, C])


def test_subtract_takes_exactly_two(backend_name):
    np.testing.assert_allclose(layers.Subtract()([K.constant(A), K.constant(B)]).numpy(), A - B)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([Input(shape=(3,))] * 3)


def test_broadcasting_and_incompatible_shapes():
    out = layers.Add()([Input(shape=(1, 3)), Input(shape=(5, 3))])
    assert out.shape == (None, 5, 3)
    with pytest.raises(ValueError, match="cannot broadcast"):
        layers.Add()([Input(shape=(2,)), Input(shape=(3,))])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(Input(shape=(3,)))


def test_elementwise_merge_of_inputs_of_different_ranks(backend_name):
    # Keras 2 keeps the batch axis first and expands lower-rank inputs at axis 1.
    a = np.arange(8, dtype=np.float32).reshape(4, 2)
    b = np.random.default_rng(3).normal(size=(4, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(layers.Add()([K.constant(a), K.constant(b)]).numpy(), a[:, None, :] + b, rtol=1e-6)
    col = a[:, :1]
    np.testing.assert_allclose(layers.Multiply()([K.constant(col), K.constant(b)]).numpy(), col[:, None, :] * b,
                               rtol=1e-6)
    x, y = Input(shape=(1,)), Input(shape=(3, 2))
    model = Model([x, y], layers.maximum([x, y]))
    assert model.output_shape == (None, 3, 2)
    np.testing.assert_allclose(model.predict([col, b]), np.maximum(col[:, None, :], b), rtol=1e-6)
    with pytest.raises(ValueError, match="batch sizes"):
        layers.Add()([Input(batch_shape=(2, 3)), Input(batch_shape=(5, 3))])


def test_concatenate(backend_name):
    out = layers.Concatenate(axis=1)([K.constant(A), K.constant(B[:, :2])])
    np.testing.assert_array_equal(out.numpy(), np.hstack([A, B[:, :2]]))
    x = layers.concatenate([Input(shape=(3, 4)), Input(shape=(None, 4))], axis=1)
    assert x.shape == (None, None, 4)
    with pytest.raises(ValueError, match="matching shapes except for the concat axis"):
        layers.concatenate([Input(shape=(3, 4)), Input(shape=(3, 5))], axis=1)
    assert layers.Concatenate.from_config(layers.Concatenate(axis=1).get_config()).axis == 1
    K.check_gradients(lambda x, y: layers.Concatenate(axis=0)([x, y]), [A, B])


@pytest.mark.parametrize("normalize", [False, True])
def test_dot(backend_name, normalize):
    x1 = np.random.default_rng(3).normal(size=(4, 2, 3)).astype(np.float32)
    x2 = np.random.default_rng(4).normal(size=(4, 5, 3)).astype(np.float32)
    out = layers.Dot(axes=(2, 2), normalize=normalize)([K.constant(x1), K.constant(x2)])
    a, b = x1, x2
    if normalize:
        a = a / np.linalg.norm(a, axis=2, keepdims=True)
        b = b / np.linalg.norm(b, axis=2, keepdims=True)
    expected = np.stack([a[i] @ b[i].T for i in range(4)])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    sym = layers.dot([Input(shape=(2, 3)), Input(shape=(5, 3))], axes=2, normalize=normalize)
    assert sym.shape == (None, 2, 5)
    vec = layers.Dot(axes=1)([K.constant(A), K.constant(B)])
    np.testing.assert_allclose(vec.numpy(), np.sum(A * B, axis=1, keepdims=True), rtol=1e-5)
    K.check_gradients(lambda p, q: layers.Dot(axes=1, normalize=normalize)([p, q]), [A, B])
    with pytest.raises(ValueError, match="Dimension incompatibility"):
        layers.Dot(axes=1)([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="last")


def test_merge_model_trains(backend_name):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b], layers.Dense(1)(layers.concatenate([layers.Dense(4)(a), layers.subtract([a, b])])))
    model.compile("sgd", "mse")
    before = model.evaluate([A, B], A[:, :1], verbose=0)
    model.fit([A, B], A[:, :1], epochs=20, verbose=0)
    assert model.evaluate([A, B], A[:, :1], verbose=0) < before


def test_a_merge_of_masked_graph_tensors_carries_a_mask(backend_name):
    a, b = layers.Input((3, 2)), layers.Input((3, 2))
    merged = layers.Add()([layers.Masking(0.0)(a), layers.Masking(0.0)(b)])
    assert merged._keras_mask is not None
    assert layers.Add()([a, b])._keras_mask is None
