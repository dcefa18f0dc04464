"""Saving: one-file models, weights files, JSON/config round-trips, atomic writes, mismatches, cross-backend files."""
import json
import os
import zipfile

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import optimizers
from multinn.layers import BatchNormalization, Dense, Dropout, Input, Lambda, Layer
from multinn.models import Model, Sequential, load_model, model_from_json

from tests.conftest import usable_backends


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 2)).astype(np.float32)


def _trained_model(dropout=0.1):
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), BatchNormalization(), Dropout(dropout), Dense(2)])
    model.compile(optimizers.Adam(learning_rate=0.01), "mse", metrics=["mae"])
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


def test_save_and_load_model_round_trip(backend_name, tmp_path):
    model = _trained_model(dropout=0.0)  # no random masks: both copies must then train alike
    path = tmp_path / "model.mnn"
    model.save(str(path))
    assert zipfile.is_zipfile(path)
    loaded = load_model(str(path))
    x, y = _data(1)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.metrics_names == ["loss", "mae"] and type(loaded.optimizer).__name__ == "Adam"
    # training continues identically from the restored optimizer state
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_functional_model_with_custom_objects(backend_name, tmp_path):
    class Scale(Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def my_loss(y_true, y_pred):
        return K.mean(K.abs(y_true - y_pred), axis=-1)

    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(3, name="shared")
    out = Lambda(lambda t: t[0] - t[1], name="diff")([Scale(3.0)(shared(a)), shared(b)])
    model = Model([a, b], out)
    model.compile("sgd", my_loss)
    path = str(tmp_path / "functional.mnn")
    model.save(path)
    with pytest.raises(ValueError, match="Scale"):
        load_model(path)
    loaded = load_model(path, custom_objects={"Scale": Scale, "my_loss": my_loss}, safe_mode=False)  # the Lambda's code
    x, _ = _data()
    np.testing.assert_allclose(loaded.predict([x, x]), model.predict([x, x]), rtol=1e-6)
    assert loaded.loss is my_loss


def test_save_weights_load_weights(backend_name, tmp_path):
    model = _trained_model()
    path = str(tmp_path / "weights.mnn")
    model.save_weights(path)
    fresh = Sequential([Dense(8, activation="relu", input_shape=(4,)), BatchNormalization(), Dropout(0.1), Dense(2)])
    fresh.load_weights(path)
    x, _ = _data()
    np.testing.assert_allclose(fresh.predict(x), model.predict(x), rtol=1e-6)
    with pytest.raises(ValueError, match="weights only"):
        load_model(path)


def test_load_weights_by_name_and_mismatch(backend_name, tmp_path):
    model = Sequential([Dense(3, input_shape=(4,), name="d1"), Dense(2, name="d2")])
    path = str(tmp_path / "w.mnn")
    model.save_weights(path)
    other = Sequential([Dense(3, input_shape=(4,), name="d1"), Dense(5, name="d2")])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"d2.*\(3, 5\).*\(3, 2\)"):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):  # a refused file changes nothing
        np.testing.assert_array_equal(a, b)
    other.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(other.get_layer("d1").get_weights()[0], model.get_layer("d1").get_weights()[0])
    with pytest.raises(ValueError, match="containing 2 layers"):
        Sequential([Dense(3, input_shape=(4,))]).load_weights(path)


def test_json_and_config_round_trips(backend_name):
    x = Input(shape=(4,))
    model = Model(x, Dense(2, activation="tanh", kernel_regularizer="l2")(Dense(3)(x)))
    data = json.loads(model.to_json())
    assert data["class_name"] == "Model" and data["config"]["layers"][0]["class_name"] == "InputLayer"
    restored = model_from_json(model.to_json())
    assert json.loads(json.dumps(restored.get_config())) == json.loads(json.dumps(model.get_config()))
    restored.set_weights(model.get_weights())
    d, _ = _data()
    np.testing.assert_allclose(restored.predict(d), model.predict(d), rtol=1e-6)
    seq = Sequential([Dense(2, input_shape=(3,))])
    again = Sequential.from_config(seq.get_config())
    assert again.layers[0].get_config()["units"] == 2 and again.input_shape == (None, 3)
    assert multinn.models.model_from_config({"class_name": "Sequential", "config": seq.get_config()}).output_shape == (None, 2)


def test_atomic_write_keeps_previous_file(backend_name, tmp_path, monkeypatch):
    model = _trained_model()
    path = str(tmp_path / "model.mnn")
    model.save(path)
    original = open(path, "rb").read()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt("interrupted")

    monkeypatch.setattr(K, "to_bytes", boom)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == original
    assert os.listdir(tmp_path) == ["model.mnn"]  # the temporary file is gone
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "junk.mnn"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a valid model or weights file"):
        load_model(str(path))


@pytest.mark.parametrize("source", ["numpy", "cupy"])
def test_file_saved_on_one_backend_loads_on_every_backend(source, tmp_path):
    if source not in usable_backends():
        pytest.skip(f"backend {source!r} unusable here")
    with K.backend_scope(source):
        model = _trained_model()
        path = str(tmp_path / "model.mnn")
        model.save(path)
        x, _ = _data()
        expected = model.predict(x)
    for target in usable_backends():
        with K.backend_scope(target):
            loaded = load_model(path)
            assert loaded.weights[0].backend.name == target
            np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_compiled_but_untrained_model_round_trip(backend_name, tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("adam", "mse")
    path = str(tmp_path / "fresh.mnn")
    model.save(path)
    loaded = load_model(path)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    loaded.fit(x, np.zeros((2, 2), np.float32), verbose=0)
    uncompiled = Sequential([Dense(2, input_shape=(3,))])
    uncompiled.save(path)
    with pytest.warns(UserWarning, match="not\\* compiled"):
        assert not getattr(load_model(path), "_compiled", False)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"])
def test_k_bytes_round_trip(backend_name, dtype):
    values = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    data = K.to_bytes(K.constant(values, dtype=dtype))
    assert isinstance(data, bytes) and len(data) == values.nbytes
    assert data == values.astype(values.dtype.newbyteorder("<")).tobytes()  # little-endian C order
    back = K.from_bytes(data, dtype, (2, 3, 4))
    assert back.backend.name == backend_name and str(back.dtype) == dtype
    np.testing.assert_array_equal(back.numpy(), values)
    with pytest.raises(ValueError, match="bytes cannot hold"):
        K.from_bytes(data[:-1], dtype, (2, 3, 4))


def test_loading_a_model_saved_without_training_config_warns_it_is_not_compiled(tmp_path):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    path = str(tmp_path / "m.h5")
    model.save(path, include_optimizer=False)
    with pytest.warns(UserWarning, match="No training configuration found in save file"):
        loaded = load_model(path)
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(path, compile=False)
