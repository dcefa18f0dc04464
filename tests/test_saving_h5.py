"""Keras 2's HDF5 files through h5py: tf.keras files load and predict the same; the files
multinn writes have the layout Keras and tf.keras read; by_name / skip_mismatch / reshape;
the format chosen by name on saving and read from the signature on loading."""
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is in the 'test' extra; the .h5 format needs it")

import multinn  # noqa: E402
from multinn import backend as K  # noqa: E402
from multinn.engine.saving import load_model, model_from_json  # noqa: E402
from multinn.layers import (BatchNormalization, Conv2D, Dense, Dropout, Embedding, GRU, Input, LSTM,  # noqa: E402
                            SimpleRNN, concatenate)
from multinn.models import Model, Sequential  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "tf_keras"
TF_MODELS = ["mlp", "cnn", "rnn", "nested"]


def _io(name):
    with np.load(FIXTURES / f"{name}_io.npz") as data:  # allow_pickle stays False
        return data["x"], data["y"]


# ---------------------------------------------------------------------- tf.keras -> multinn
@pytest.mark.parametrize("name", TF_MODELS)
def test_tf_keras_model_file_loads_and_predicts_the_same(backend_name, name):
    x, expected = _io(name)
    with _no_optimizer_warning():
        model = load_model(str(FIXTURES / f"{name}.h5"))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    # compiled with the saved loss and optimizer, its state restored (tf.keras trained one step)
    assert model.loss == "mse"
    assert int(K.get_value(model.optimizer.iterations)) == 1


class _no_optimizer_warning:
    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.filterwarnings("error", message="Error in loading the saved optimizer state")

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)


@pytest.mark.parametrize("name", TF_MODELS)
def test_tf_keras_weights_file_loads_by_order_and_by_name(backend_name, name):
    x, expected = _io(name)
    with h5py.File(FIXTURES / f"{name}.h5", "r") as f:
        config = f.attrs["model_config"]
    for by_name in (False, True):
        model = model_from_json(config)  # a tf.keras config (Functional, ragged, module keys, ...)
        model.load_weights(str(FIXTURES / f"{name}_weights.h5"), by_name=by_name)
        np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_tf_keras_weights_file_holds_keras2_layout():
    # the fixtures themselves: what the reader relies on
    with h5py.File(FIXTURES / "cnn_weights.h5", "r") as f:
        assert "layer_names" in f.attrs and "keras_version" in f.attrs and "backend" in f.attrs
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        assert any(n.startswith("batch_normalization") for n in names)


# ---------------------------------------------------------------------- multinn -> Keras layout
def _models():
    x = Input((6, 6, 2))
    h = BatchNormalization()(Conv2D(3, 3, padding="same", activation="relu")(x))
    cnn = Model(x, Dense(2)(multinn.layers.Flatten()(h)))
    t = Input((4,))
    e = Embedding(7, 3)(t)
    rnn = Model(t, concatenate([GRU(2, reset_after=True)(LSTM(3, return_sequences=True)(e)), SimpleRNN(2)(e)]))
    inner = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(2)], name="inner")
    v = Input((3,))
    nested = Model(v, Dense(2)(inner(v)))
    rng = np.random.default_rng(0)
    return [(cnn, rng.random((2, 6, 6, 2), dtype=np.float32)), (rnn, rng.integers(0, 7, (3, 4)).astype(np.float32)),
            (nested, rng.random((4, 3), dtype=np.float32))]


def _trained(model, x):
    model.compile("adam", "mse")
    model.fit(x, np.zeros((len(x),) + model.output_shape[1:], np.float32), epochs=1, verbose=0)
    return model


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def test_multinn_h5_file_has_keras2_layout(tmp_path):
    for model, x in _models():
        _trained(model, x)
        path = tmp_path / f"{model.name}.h5"
        model.save(str(path))
        with h5py.File(path, "r") as f:
            assert _text(f.attrs["keras_version"]).startswith("2.")
            assert _text(f.attrs["backend"]) == K.backend()
            config = json.loads(f.attrs["model_config"])
            assert config["class_name"] == "Model" and config["config"]["layers"]
            training = json.loads(f.attrs["training_config"])
            assert training["loss"] == "mse" and training["optimizer_config"]["class_name"].lower() == "adam"
            group = f["model_weights"]
            assert [_text(n) for n in group.attrs["layer_names"]] == [layer.name for layer in model.layers]
            for layer in model.layers:
                names = [_text(n) for n in group[layer.name].attrs["weight_names"]]
                assert names == [w.name for w in layer.weights]
                for name, value in zip(names, layer.get_weights()):
                    np.testing.assert_array_equal(group[layer.name][name][()], value)
            optimizer = f["optimizer_weights"]
            names = [_text(n) for n in optimizer.attrs["weight_names"]]
            assert len(names) == len(model.optimizer.weights)
            for name, value in zip(names, model.optimizer.get_weights()):
                np.testing.assert_array_equal(optimizer[name][()], value)


def test_nested_model_calls_are_numbered_as_keras_numbers_them():
    # Keras 2 and tf.keras count a nested model's own link as node 0: its first call is node 1
    inner = Sequential([Dense(2, input_shape=(3,))], name="inner")
    x = Input((3,))
    config = Model(x, Dense(1, name="out")(inner(x))).get_config()
    out = [layer for layer in config["layers"] if layer["name"] == "out"][0]
    assert out["inbound_nodes"] == [[["inner", 1, 0, {}]]]


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_h5_round_trip_model_and_optimizer_state(backend_name, tmp_path, suffix):
    for model, x in _models():
        _trained(model, x)
        path = str(tmp_path / f"{model.name}{suffix}")
        model.save(path)
        loaded = load_model(path)
        np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-7)
        for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
            np.testing.assert_array_equal(a, b)
        weights = str(tmp_path / f"{model.name}_w{suffix}")
        model.save_weights(weights)
        fresh = Model.from_config(model.get_config())
        fresh.load_weights(weights)
        np.testing.assert_allclose(fresh.predict(x), model.predict(x), rtol=1e-6, atol=1e-7)


def test_weights_file_written_on_one_backend_loads_on_every_backend(tmp_path):
    from tests.conftest import usable_backends

    model = Sequential([Dense(3, input_shape=(2,), name="d")])
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    for name in usable_backends():
        with K.backend_scope(name):
            other = Sequential([Dense(3, input_shape=(2,), name="d")])
            other.load_weights(path)
            np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


# ---------------------------------------------------------------------- by_name, skip_mismatch, reshape
def test_by_name_and_skip_mismatch(tmp_path):
    source = Sequential([Dense(2, input_shape=(3,), name="a"), Dense(4, name="b")])
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    target = Sequential([Dense(2, input_shape=(3,), name="a"), Dense(5, name="b"), Dense(1, name="c")])
    before = target.layers[1].get_weights()
    with pytest.raises(ValueError, match="shape"):
        target.load_weights(path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping loading of weights for layer b"):
        target.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].get_weights()[0], source.layers[0].get_weights()[0])
    np.testing.assert_array_equal(target.layers[1].get_weights()[0], before[0])
    with pytest.raises(ValueError, match="layers"):
        target.load_weights(path)  # by order: 2 saved layers, 3 in the model


def test_reshape_loads_a_kernel_with_the_right_number_of_values(tmp_path):
    path = str(tmp_path / "w.h5")
    kernel = np.arange(2 * 2 * 1 * 3, dtype=np.float32)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"conv"]
        f.attrs["keras_version"] = b"2.3.1"
        g = f.create_group("conv")
        g.attrs["weight_names"] = [b"conv/kernel:0", b"conv/bias:0"]
        g["conv/kernel:0"] = kernel.reshape(12, 1)
        g["conv/bias:0"] = np.zeros(3, np.float32)
    model = Sequential([Conv2D(3, 2, input_shape=(4, 4, 1), name="conv")])
    with pytest.raises(ValueError):
        model.load_weights(path)
    model.load_weights(path, reshape=True)
    np.testing.assert_array_equal(model.get_weights()[0], kernel.reshape(2, 2, 1, 3))


# ---------------------------------------------------------------------- format by name, by signature
def test_format_chosen_by_name_and_read_from_signature(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.save(str(tmp_path / "m.h5"))
    model.save(str(tmp_path / "m.keras"))
    model.save(str(tmp_path / "m.anything"), save_format="h5")
    assert h5py.is_hdf5(tmp_path / "m.h5") and h5py.is_hdf5(tmp_path / "m.anything")
    assert zipfile.is_zipfile(tmp_path / "m.keras")
    # names lie, signatures do not
    os.replace(tmp_path / "m.h5", tmp_path / "swapped.keras")
    os.replace(tmp_path / "m.keras", tmp_path / "swapped.h5")
    for name in ("swapped.keras", "swapped.h5", "m.anything"):
        loaded = load_model(str(tmp_path / name), compile=False)
        np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_open_h5py_file_as_target(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    with h5py.File(tmp_path / "m.h5", "w") as f:
        model.save(f)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        loaded = load_model(f, compile=False)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_weights_only_file_is_refused_by_load_model(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="load_weights"):
        load_model(str(tmp_path / "w.h5"))


def test_long_name_lists_are_split_over_attributes():
    from multinn.engine.hdf5_format import load_attributes_from_hdf5_group, save_attributes_to_hdf5_group
    import io

    names = [f"layer_{i:05d}_" + "x" * 200 for i in range(600)]  # about 130 kB: over one object header
    with h5py.File(io.BytesIO(), "w") as f:
        save_attributes_to_hdf5_group(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert load_attributes_from_hdf5_group(f, "layer_names") == names


def test_tf_keras_training_config_with_loss_and_metric_objects(backend_name):
    from multinn.engine.config_compat import normalize_training_config

    with h5py.File(FIXTURES / "objects.h5", "r") as f:
        training = json.loads(f.attrs["training_config"])
    assert normalize_training_config(training, 1) == {
        "loss": {"class_name": "MeanSquaredError", "config": {"reduction": "auto", "name": "mean_squared_error"}},
        "metrics": [{"class_name": "MeanAbsoluteError", "config": {"name": "mean_absolute_error", "dtype": "float32"}},
                    "accuracy"],
        "weighted_metrics": None,
        "loss_weights": None,
        "optimizer_config": training["optimizer_config"],
    }
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_model(str(FIXTURES / "objects.h5"))
    x, expected = _io("objects")
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    refused = [w for w in caught if "could not be rebuilt" in str(w.message)]
    if not refused:  # compiled: SGD with its momentum, and the state it had after one step
        assert type(model.optimizer).__name__ == "SGD"
        assert abs(float(K.get_value(model.optimizer.momentum)) - 0.9) < 1e-6
