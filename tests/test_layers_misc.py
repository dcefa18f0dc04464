"""Embedding, Masking, the noise layers and TimeDistributed: values against NumPy, masks, training-only noise, configs."""
import math

import numpy as np
import pytest

from multinn import backend as K
from multinn import layers
from multinn.layers import Input
from multinn.models import Model, Sequential, load_model
from tests.layer_test import layer_test

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


# ---------------------------------------------------------------------- Embedding
def test_embedding_layer_test(backend_name):
    out = layer_test(layers.Embedding, {"input_dim": 5, "output_dim": 3}, input_shape=(2, 4), input_dtype="int32")
    assert out.shape == (2, 4, 3) and out.dtype == np.float32
    layer_test(layers.Embedding, {"input_dim": 5, "output_dim": 2, "mask_zero": True, "input_length": 4},
               input_shape=(3, 4), input_dtype="int64")
    layer_test(layers.Embedding, {"input_dim": 5, "output_dim": 2, "input_length": (2, None)},
               input_shape=(3, 2, 5), input_dtype="int32")


def test_embedding_values_and_defaults(backend_name):
    layer = layers.Embedding(7, 4)
    idx = np.array([[0, 6, 3], [3, 3, 1]], dtype="int32")
    out = layer(K.constant(idx, dtype="int32")).numpy()
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out, table[idx])
    assert table.shape == (7, 4) and np.abs(table).max() <= 0.05  # 'uniform': U(-0.05, 0.05)
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["mask_zero"] is False and config["input_length"] is None
    assert config["batch_input_shape"] == (None, None)  # Keras 2 gives every Embedding an input shape
    # float indices are cast to int32, as Keras 2 does
    np.testing.assert_array_equal(layer(K.constant(idx.astype("float32"))).numpy(), table[idx])


def test_embedding_gradient_accumulates_repeated_indices(backend_name):
    layer = layers.Embedding(5, 3, dtype="float64")
    idx = np.array([[1, 1, 4], [1, 0, 4]])
    g = np.random.default_rng(0).standard_normal((2, 3, 3))
    with K.GradientTape() as tape:
        loss = K.sum(layer(K.constant(idx, dtype="int64")) * K.constant(g, dtype="float64"))
    (grad,) = tape.gradient(loss, [layer.embeddings])
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(K.eval(grad), expected, rtol=1e-12)


def test_embedding_pretrained_weights_frozen_and_regularized(backend_name):
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = layers.Embedding(4, 3, weights=[table], trainable=False, embeddings_regularizer="l2")
    model = Sequential([layer, layers.Dense(1)])
    idx = np.array([[3, 0], [1, 2]])
    np.testing.assert_array_equal(Model(model.input, layer.output).predict(idx), table[idx])
    assert layer.trainable_weights == [] and len(model.trainable_weights) == 2
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.01 * (table ** 2).sum(), rtol=1e-6)
    model.compile("sgd", "mse")
    model.train_on_batch(idx, np.ones((2, 2, 1), dtype="float32"))
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    initialized = layers.Embedding(4, 3, embeddings_initializer=lambda shape, dtype=None: K.constant(table))
    np.testing.assert_array_equal(initialized(K.constant(idx, dtype="int32")).numpy(), table[idx])


def test_embedding_mask_zero_makes_lstm_skip_padding(backend_name):
    emb = layers.Embedding(6, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    padded_in = Input((5,), dtype="int32")
    short_in = Input((2,), dtype="int32")
    padded = Model(padded_in, lstm(emb(padded_in))).predict(np.array([[4, 2, 0, 0, 0]]))
    short = Model(short_in, lstm(emb(short_in))).predict(np.array([[4, 2]]))
    np.testing.assert_allclose(padded, short, rtol=1e-6, atol=1e-7)


def test_embedding_output_shape_with_input_length():
    assert layers.Embedding(10, 3, input_length=6).compute_output_shape((None, 6)) == (None, 6, 3)
    assert layers.Embedding(10, 3, input_length=6).compute_output_shape((None, None)) == (None, 6, 3)
    assert layers.Embedding(10, 3).compute_output_shape((None, 2, 5)) == (None, 2, 5, 3)
    assert layers.Embedding(10, 3, input_length=(None, 5)).compute_output_shape((4, 2, None)) == (4, 2, 5, 3)
    with pytest.raises(ValueError, match="input_length"):
        layers.Embedding(10, 3, input_length=6).compute_output_shape((None, 7))
    with pytest.raises(ValueError, match="input_length"):
        layers.Embedding(10, 3, input_length=6).compute_output_shape((None, 6, 2))
    # input_length lets Flatten + Dense follow (Keras 2's documented use)
    model = Sequential([layers.Embedding(10, 3, input_length=4), layers.Flatten(), layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.predict(np.array([[1, 2, 3, 9]])).shape == (1, 2)


def test_embedding_errors(backend_name):
    layer = layers.Embedding(4, 2)
    with pytest.raises(ValueError, match=r"outside the vocabulary \[0, 4\).*index 4 is out of range"):
        layer(K.constant([[0, 4]], dtype="int32"))
    with pytest.raises(ValueError, match="index -1"):
        layer(K.constant([[-1, 2]], dtype="int32"))  # NumPy would read the last row
    with pytest.raises(ValueError, match="input_dim=0"):
        layers.Embedding(0, 2)
    with pytest.raises(ValueError, match="output_dim=2.5"):
        layers.Embedding(3, 2.5)
    assert layer(K.zeros((0, 3), dtype="int32")).shape == (0, 3, 2)


def test_embedding_mask_zero_mask_and_propagation(backend_name):
    idx = np.array([[3, 1, 0, 0], [2, 0, 0, 0]], dtype="int32")
    layer = layers.Embedding(5, 2, mask_zero=True)
    np.testing.assert_array_equal(layer.compute_mask(K.constant(idx, dtype="int32")).numpy(), idx != 0)
    assert layers.Embedding(5, 2).compute_mask(K.constant(idx, dtype="int32")) is None

    x = Input((4,), dtype="int32")
    emb = layers.Embedding(5, 2, mask_zero=True)
    h = emb(x)
    dense = layers.Dense(1)
    y = dense(h)
    assert h._keras_mask is not None and y._keras_mask is not None  # Dense passes the mask on
    model = Model(x, y)
    model.predict(idx)
    np.testing.assert_array_equal(np.asarray(model._last_output_masks[0]), idx != 0)

    # A layer without masking support after mask_zero is refused (Keras 2), but fine without it.
    with pytest.raises(TypeError, match="does not support masking"):
        layers.Flatten()(layers.Embedding(5, 2, mask_zero=True, input_length=4)(Input((4,), dtype="int32")))
    layers.Flatten()(layers.Embedding(5, 2, input_length=4)(Input((4,), dtype="int32")))


def test_embedding_mask_zero_loss_ignores_padded_steps(backend_name):
    idx = np.array([[3, 1, 0, 0], [2, 4, 1, 0]], dtype="int32")
    x = Input((4,), dtype="int32")
    model = Model(x, layers.Dense(1)(layers.Embedding(5, 2, mask_zero=True)(x)))
    model.compile("sgd", "mse")
    target = np.random.default_rng(1).standard_normal((2, 4, 1)).astype("float32")
    changed = target.copy()
    changed[idx == 0] = 100.0
    loss = model.evaluate(idx, target, verbose=0)
    np.testing.assert_allclose(model.evaluate(idx, changed, verbose=0), loss, rtol=1e-6)
    # Keras 2's masked objective: mean over steps of masked squared errors, divided by the mean of the mask
    pred = model.predict(idx)[..., 0]
    mask = (idx != 0).astype(np.float64)
    per_step = (pred - target[..., 0]) ** 2 * mask / mask.mean()
    np.testing.assert_allclose(loss, per_step.mean(), rtol=1e-5)
    # training moves only the rows that appear unpadded; row 0 (padding) gets no gradient
    table = model.layers[1].get_weights()[0].copy()
    model.train_on_batch(idx, changed)
    after = model.layers[1].get_weights()[0]
    assert not np.allclose(after[1:], table[1:])


# ---------------------------------------------------------------------- Masking
def test_masking_values_and_mask(backend_name):
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [5.0, 5.0], [5.0, 0.0]]], dtype="float32")
    layer = layers.Masking()
    out = layer(K.constant(x)).numpy()
    np.testing.assert_array_equal(out, x)  # the masked steps were zeros already
    np.testing.assert_array_equal(layer.compute_mask(K.constant(x)).numpy(), np.any(x != 0, axis=-1))
    layer5 = layers.Masking(mask_value=5.0)
    keep = np.any(x != 5.0, axis=-1)
    np.testing.assert_array_equal(layer5(K.constant(x)).numpy(), x * keep[..., None])
    np.testing.assert_array_equal(layer5.compute_mask(K.constant(x)).numpy(), keep)
    assert layers.Masking().get_config()["mask_value"] == 0.0
    layer_test(layers.Masking, {"mask_value": 0.5}, input_shape=(2, 3, 4))


def test_masking_mask_reaches_the_loss(backend_name):
    x = np.array([[[1.0], [2.0], [0.0]], [[3.0], [0.0], [0.0]]], dtype="float32")
    inp = Input((3, 1))
    model = Model(inp, layers.Dense(1)(layers.Masking()(inp)))
    model.compile("sgd", "mae")
    target = np.zeros((2, 3, 1), dtype="float32")
    changed = target.copy()
    changed[x == 0] = -50.0
    np.testing.assert_allclose(model.evaluate(x, changed, verbose=0), model.evaluate(x, target, verbose=0), rtol=1e-6)


# ---------------------------------------------------------------------- noise layers
@pytest.mark.parametrize("cls,kwargs", [
    (layers.GaussianNoise, {"stddev": 0.5}),
    (layers.GaussianDropout, {"rate": 0.3}),
    (layers.AlphaDropout, {"rate": 0.2}),
    (layers.AlphaDropout, {"rate": 0.2, "noise_shape": [None, 1, 4], "seed": 3}),
])
def test_noise_layers_pass_through_outside_training(backend_name, cls, kwargs):
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype("float32")
    out = layer_test(cls, kwargs, input_data=x)
    np.testing.assert_array_equal(out, x)
    config = cls(**kwargs).get_config()
    assert {k: config[k] for k in kwargs} == kwargs
    model = Sequential([cls(**kwargs, input_shape=(2, 4))])
    np.testing.assert_array_equal(model.predict(x), x)


def test_gaussian_noise_statistics(backend_name):
    K.set_seed(11)
    x = K.constant(np.full((200, 500), 2.0, dtype="float32"))
    layer = layers.GaussianNoise(0.3)
    noise = layer(x, training=True).numpy() - 2.0
    assert abs(noise.mean()) < 0.003 and abs(noise.std() - 0.3) < 0.003
    with K.learning_phase_scope(1):
        assert not np.array_equal(layer(x).numpy(), x.numpy())
    assert str(layer(K.constant(np.ones((2, 2)), dtype="float64"), training=True).dtype) == "float64"


def test_gaussian_dropout_statistics(backend_name):
    K.set_seed(12)
    x = np.random.default_rng(0).uniform(1.0, 2.0, (200, 500)).astype("float32")
    rate = 0.4
    factor = layers.GaussianDropout(rate)(K.constant(x), training=True).numpy() / x
    # tolerances are about 4 standard errors of these 100k-sample estimates
    assert abs(factor.mean() - 1.0) < 0.01
    assert abs(factor.std() - math.sqrt(rate / (1 - rate))) < 0.008
    for rate in (0.0, 1.0):  # outside (0, 1) the layer does nothing, even in training
        np.testing.assert_array_equal(layers.GaussianDropout(rate)(K.constant(x), training=True).numpy(), x)


def test_alpha_dropout_formula_and_statistics(backend_name):
    K.set_seed(13)
    rate = 0.25
    x = np.random.default_rng(0).standard_normal((400, 250)).astype("float32")
    out = layers.AlphaDropout(rate)(K.constant(x), training=True).numpy()
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    dropped = np.isclose(out, a * ALPHA_P + b, rtol=0, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.006
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    # standardized inputs keep zero mean and unit variance (the point of alpha dropout)
    assert abs(out.mean()) < 0.012 and abs(out.var() - 1.0) < 0.012


def test_alpha_dropout_noise_shape_and_seed(backend_name):
    x = K.constant(np.random.default_rng(0).standard_normal((6, 5, 4)).astype("float32"))
    layer = layers.AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=7)
    K.set_seed(0)
    first = layer(x, training=True).numpy()
    second = layer(x, training=True).numpy()
    a = (0.5 * (1 + 0.5 * ALPHA_P ** 2)) ** -0.5
    dropped = np.isclose(first, a * ALPHA_P - a * ALPHA_P * 0.5, atol=1e-6)
    assert (dropped == dropped[:, :1, :]).all()  # one mask for every step of a sample
    assert not np.array_equal(first, second)  # a seeded layer draws a new mask each step
    K.set_seed(0)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)  # ... a reproducible sequence


def test_noise_layers_train_in_a_model(backend_name):
    K.set_seed(5)
    x = np.random.default_rng(2).standard_normal((16, 3)).astype("float32")
    model = Sequential([layers.GaussianNoise(0.1, input_shape=(3,)), layers.Dense(4, activation="selu"),
                        layers.AlphaDropout(0.1), layers.GaussianDropout(0.1), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # deterministic outside training


@pytest.mark.parametrize("cls,arg", [(layers.GaussianNoise, 5.0), (layers.GaussianDropout, 0.5), (layers.AlphaDropout, 0.5)])
def test_noise_is_on_in_train_on_batch_only(backend_name, cls, arg):
    K.set_seed(6)
    x = np.ones((64, 3), dtype="float32")
    model = Sequential([layers.Dense(3, kernel_initializer="identity", input_shape=(3,)), cls(arg)])
    model.compile("sgd", "mse")
    assert model.evaluate(x, x, verbose=0) == 0.0
    assert model.test_on_batch(x, x) == 0.0
    assert model.train_on_batch(x, x) > 0.1


# ---------------------------------------------------------------------- TimeDistributed
def test_time_distributed_dense_matches_per_step_dense(backend_name):
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    dense = layers.Dense(2, activation="tanh")
    wrapper = layers.TimeDistributed(dense)
    out = wrapper(K.constant(x)).numpy()
    assert out.shape == (3, 5, 2)
    kernel, bias = wrapper.get_weights()
    np.testing.assert_allclose(out, np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    for t in range(5):
        np.testing.assert_allclose(out[:, t], dense(K.constant(x[:, t])).numpy(), rtol=1e-6)
    assert wrapper.weights == dense.weights and len(wrapper.trainable_weights) == 2
    assert wrapper.compute_output_shape((None, 5, 4)) == (None, 5, 2)
    assert wrapper.compute_output_shape((None, None, 4)) == (None, None, 2)


def test_time_distributed_in_models_and_config(backend_name):
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype("float32")
    model = Sequential([layers.TimeDistributed(layers.Dense(8), input_shape=(3, 4))])
    model.add(layers.TimeDistributed(layers.Dense(5)))
    assert model.output_shape == (None, 3, 5)
    assert model.predict(x).shape == (2, 3, 5)
    config = model.layers[0].get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["config"]["units"] == 8
    restored = layers.deserialize(layers.serialize(model.layers[0]))
    assert isinstance(restored, layers.TimeDistributed) and restored.layer.units == 8
    assert restored.get_config()["layer"] == config["layer"]
    # layer_test's wrappers share this Dense (so its weights); float64 gradients are checked below
    layer_test(layers.TimeDistributed, {"layer": layers.Dense(3)}, input_shape=(2, 3, 4), gradcheck=False)


def test_time_distributed_input_map_records_reshaped_graph_inputs(backend_name):
    # Keras 2.3.1 keeps `_input_map`: uid of the graph input -> that input as (batch * time, ...) slices
    from multinn.utils.generic_utils import object_list_uid

    inp = Input((5, 4))
    wrapper = layers.TimeDistributed(layers.Dense(2))
    wrapper(inp)
    assert list(wrapper._input_map) == [object_list_uid([inp])]
    slices = wrapper._input_map[object_list_uid([inp])]
    assert K.int_shape(slices) == (None, 4)
    x = np.random.default_rng(3).standard_normal((3, 5, 4)).astype("float32")
    got = K.function([inp], [slices])([x])[0]
    np.testing.assert_array_equal(np.asarray(got), x.reshape(15, 4))
    wrapper(K.constant(x))  # an eager call records nothing
    assert len(wrapper._input_map) == 1


def test_time_distributed_gradients_float64(backend_name):
    wrapper = layers.TimeDistributed(layers.Dense(2, activation="tanh", dtype="float64"))
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    wrapper(K.constant(x, dtype="float64"))
    inner = wrapper.layer

    def f(xt, kernel, bias):
        saved = inner.kernel, inner.bias
        inner.kernel, inner.bias = kernel, bias
        try:
            return wrapper.call(xt)
        finally:
            inner.kernel, inner.bias = saved

    K.check_gradients(f, [x] + [w.astype(np.float64) for w in wrapper.get_weights()], atol=1e-5, rtol=1e-4)


def test_time_distributed_conv2d_and_training_flag(backend_name):
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 5, 1)).astype("float32")
    conv = layers.Conv2D(2, (3, 3))
    out = layers.TimeDistributed(conv)(K.constant(x)).numpy()
    assert out.shape == (2, 3, 3, 3, 2)
    np.testing.assert_allclose(out[:, 1], conv(K.constant(x[:, 1])).numpy(), rtol=1e-5, atol=1e-6)
    drop = layers.TimeDistributed(layers.Dropout(0.5))
    ones = K.ones((4, 3, 50))
    np.testing.assert_array_equal(drop(ones).numpy(), 1.0)
    assert set(np.unique(drop(ones, training=True).numpy())) == {0.0, 2.0}


def test_time_distributed_masks(backend_name):
    idx = np.array([[1, 2, 0], [3, 0, 0]], dtype="int32")
    x = Input((3,), dtype="int32")
    h = layers.Embedding(4, 2, mask_zero=True)(x)
    y = layers.TimeDistributed(layers.Dense(1))(h)
    model = Model(x, y)
    model.predict(idx)
    np.testing.assert_array_equal(np.asarray(model._last_output_masks[0]), idx != 0)

    # an input mask of more dimensions reduces to (batch, time) when the wrapped layer keeps none
    wrapper = layers.TimeDistributed(layers.Flatten())
    seq = K.constant(np.ones((2, 3, 2, 2), dtype="float32"))
    mask = np.zeros((2, 3, 2), dtype=bool)
    mask[0, 1, 1] = True
    with pytest.raises(TypeError, match="does not support masking"):
        wrapper.compute_mask(seq, K.constant(mask))  # Flatten refuses a mask, as in Keras 2
    wrapper = layers.TimeDistributed(layers.Dense(1))  # Dense passes the slice masks on
    wrapper.build((None, 3, 2, 2))
    np.testing.assert_array_equal(wrapper.compute_mask(seq, K.constant(mask)).numpy(), mask)
    dropping = layers.TimeDistributed(layers.Embedding(3, 2))  # its compute_mask gives None
    ids = K.constant(np.ones((2, 3, 2)), dtype="int32")
    np.testing.assert_array_equal(dropping.compute_mask(ids, K.constant(mask)).numpy(), mask.any(axis=-1))

    # a wrapped Masking computes the mask per slice
    data = np.array([[[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]], dtype="float32")
    masked = layers.TimeDistributed(layers.Masking()).compute_mask(K.constant(data))
    np.testing.assert_array_equal(masked.numpy(), [[[True, False], [False, False]]])
    assert layers.TimeDistributed(layers.Dense(2)).compute_mask(K.constant(data)) is None


def test_time_distributed_errors_and_trainable(backend_name):
    with pytest.raises(ValueError, match="layer instance"):
        layers.TimeDistributed("dense")
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(K.ones((2, 3)))
    wrapper = layers.TimeDistributed(layers.Dense(2), trainable=False)
    wrapper(K.ones((1, 2, 3)))
    assert wrapper.layer.trainable is False and wrapper.trainable_weights == [] and len(wrapper.weights) == 2
    wrapper.trainable = True
    assert wrapper.layer.trainable is True and len(wrapper.trainable_weights) == 2


def test_time_distributed_eager_lengths_and_shape_errors(backend_name):
    wrapper = layers.TimeDistributed(layers.Dense(2))
    assert wrapper(K.ones((2, 3, 4))).shape == (2, 3, 2)
    assert wrapper(K.ones((1, 7, 4))).shape == (1, 7, 2)  # the time length is free
    with pytest.raises(ValueError, match=r"slices of shape \(10, 3\)"):
        wrapper(K.ones((2, 5, 3)))
    with pytest.raises(ValueError, match="ndim"):
        wrapper(K.ones((2, 5, 1, 4)))


def test_activity_regularizer_counted_once(backend_name):
    wrapper = layers.TimeDistributed(layers.Dense(1, kernel_initializer="ones", activity_regularizer="l1"))
    out = wrapper(K.ones((2, 3, 2)))
    assert len(wrapper.losses) == 1
    np.testing.assert_allclose(float(wrapper.losses[0]), 0.01 * np.abs(out.numpy()).sum(), rtol=1e-6)


# ---------------------------------------------------------------------- saving
def test_save_load_round_trip(backend_name, tmp_path):
    x = Input((4,), dtype="int32")
    h = layers.Embedding(6, 3, mask_zero=True, embeddings_regularizer="l2", input_length=4)(x)
    h = layers.GaussianNoise(0.1)(h)
    h = layers.TimeDistributed(layers.Dense(2))(h)
    h = layers.AlphaDropout(0.1, seed=2)(h)
    h = layers.GaussianDropout(0.2)(h)
    y = layers.TimeDistributed(layers.Dense(1))(layers.Masking(mask_value=-1.0)(h))
    model = Model(x, y)
    model.compile("adam", "mse")
    idx = np.array([[1, 5, 0, 0], [2, 3, 4, 0]], dtype="int32")
    model.fit(idx, np.ones((2, 4, 1), dtype="float32"), epochs=1, verbose=0)
    path = str(tmp_path / "misc_model.h5")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(idx), model.predict(idx), rtol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert loaded.layers[1].mask_zero is True and loaded.layers[1].input_length == 4
    np.testing.assert_allclose(loaded.evaluate(idx, np.zeros((2, 4, 1)), verbose=0),
                               model.evaluate(idx, np.zeros((2, 4, 1)), verbose=0), rtol=1e-6)


def test_keras2_import_paths():
    from multinn.layers.core import Masking
    from multinn.layers.embeddings import Embedding
    from multinn.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
    from multinn.layers.wrappers import TimeDistributed, Wrapper

    assert (Masking, Embedding, TimeDistributed, Wrapper) == (layers.Masking, layers.Embedding, layers.TimeDistributed, layers.Wrapper)
    assert (GaussianNoise, GaussianDropout, AlphaDropout) == (layers.GaussianNoise, layers.GaussianDropout, layers.AlphaDropout)


def test_numpy_integers_are_accepted_wherever_an_int_is(backend_name):
    import json

    i64, i32 = np.int64, np.int32
    made = [
        (layers.MaxPooling2D(pool_size=(i64(2), i64(2))), (1, 4, 4, 1), (1, 2, 2, 1)),
        (layers.Conv2D(i32(2), (i64(3), 3), strides=i64(1)), (1, 4, 4, 1), (1, 2, 2, 2)),
        (layers.Conv1D(i64(2), i64(3)), (1, 5, 1), (1, 3, 2)),
        (layers.ZeroPadding2D((i64(1), i64(2))), (1, 2, 2, 1), (1, 4, 6, 1)),
        (layers.Cropping1D((i64(1), i64(1))), (1, 4, 1), (1, 2, 1)),
        (layers.UpSampling2D(i64(2)), (1, 2, 2, 1), (1, 4, 4, 1)),
        (layers.AveragePooling1D(i64(2)), (1, 4, 1), (1, 2, 1)),
    ]
    for layer, shape, expected in made:
        assert tuple(layer(K.ones(shape)).shape) == expected, layer
        json.dumps(layer.get_config())  # plain Python ints in the config
    embedding = layers.Embedding(i64(5), i64(3))
    assert tuple(embedding(K.constant([[1, 2]], dtype="int32")).shape) == (1, 2, 3)
    assert type(embedding.get_config()["input_dim"]) is int
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(pool_size=(2.5, 2))


def test_time_distributed_mask_on_model_tensors(backend_name):
    import multinn

    model = multinn.Sequential([
        layers.TimeDistributed(layers.Masking(mask_value=0.0), input_shape=(None, 4)),
        layers.TimeDistributed(layers.Dense(5)),
    ])
    first = model.layers[0].compute_mask(model.input)
    second = model.layers[1].compute_mask(model.layers[1].input, first)
    data = np.random.RandomState(0).randint(1, 5, size=(3, 3, 4)).astype(np.float32)
    data[0, 1:] = 0.0
    data[1, 2:] = 0.0
    got = K.function([model.input], [first, second])([data])
    expected = np.any(data != 0, axis=-1)
    np.testing.assert_array_equal(got[0], expected)
    np.testing.assert_array_equal(got[1], expected)
