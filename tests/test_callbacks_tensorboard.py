"""callbacks.TensorBoard writes event files that TensorBoard's own reader reads back.

Layout (tf.keras 2's, which Keras 2.3.1 uses on TensorFlow 2): `log_dir/train` holds `epoch_<metric>`,
`batch_<metric>`, the weight histograms and the `model_config` text; `log_dir/validation` holds the
`val_*` values under `epoch_<metric>`.
"""
from __future__ import annotations

import builtins
import os

import numpy as np
import pytest

pytest.importorskip("tensorboardX", reason="callbacks.TensorBoard needs tensorboardX (pip install 'multinn[tensorboard]')")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="the reader comes from the tensorboard package")

from multinn import backend as K  # noqa: E402
from multinn.callbacks import TensorBoard  # noqa: E402
from multinn.layers import Dense  # noqa: E402
from multinn.models import Sequential  # noqa: E402


def _read(folder):
    reader = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0,
                                    event_accumulator.TENSORS: 0})
    reader.Reload()
    return reader


def _fit(tmp_path, epochs=3, **options):
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    callback = TensorBoard(log_dir=str(tmp_path), **options)
    history = model.fit(x, y, batch_size=10, epochs=epochs, validation_split=0.25, verbose=0, callbacks=[callback])
    return model, history


def _scalars(reader, tag):
    return [(event.step, event.value) for event in reader.Scalars(tag)]


def test_epoch_scalars_equal_the_history_in_train_and_validation_runs(backend_name, tmp_path):
    model, history = _fit(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, validation = _read(tmp_path / "train"), _read(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    assert set(validation.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    for name in ("loss", "accuracy"):
        expected = [(epoch, pytest.approx(value, rel=1e-6)) for epoch, value in enumerate(history.history[name])]
        assert _scalars(train, "epoch_" + name) == expected
        expected = [(epoch, pytest.approx(value, rel=1e-6))
                    for epoch, value in enumerate(history.history["val_" + name])]
        assert _scalars(validation, "epoch_" + name) == expected


def test_histograms_hold_every_weight_every_histogram_freq_epochs(backend_name, tmp_path):
    model, _ = _fit(tmp_path, epochs=3, histogram_freq=2)
    train = _read(tmp_path / "train")
    tags = set(train.Tags()["histograms"])
    assert len(tags) == len(model.weights) == 4
    for weight in model.weights:
        tag = weight.name.replace(":", "_")
        events = train.Histograms(tag)
        assert [event.step for event in events] == [0, 2]
        values = np.asarray(K.get_value(weight))
        last = events[-1].histogram_value
        assert last.num == values.size
        assert last.min == pytest.approx(float(values.min()))
        assert last.max == pytest.approx(float(values.max()))
        assert last.sum == pytest.approx(float(values.sum()), abs=1e-5)


def test_model_config_is_written_as_text(tmp_path):
    model, _ = _fit(tmp_path, epochs=1)
    train = _read(tmp_path / "train")
    assert "model_config/text_summary" in train.Tags()["tensors"]
    text = train.Tensors("model_config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert '"class_name": "Sequential"' in text
    _fit(tmp_path / "nograph", epochs=1, write_graph=False)
    assert "model_config/text_summary" not in _read(tmp_path / "nograph" / "train").Tags()["tensors"]


def test_update_freq_batch_writes_one_point_per_batch(tmp_path):
    _fit(tmp_path, epochs=2, update_freq="batch")
    train = _read(tmp_path / "train")
    # 30 training samples in batches of 10: 3 batches per epoch.
    assert [step for step, _ in _scalars(train, "batch_loss")] == [1, 2, 3, 4, 5, 6]
    assert "batch_loss" not in _read(tmp_path / "validation").Tags()["scalars"]


def test_update_freq_integer_counts_samples(tmp_path):
    _fit(tmp_path, epochs=2, update_freq=20)
    train = _read(tmp_path / "train")
    # Writes once 20 samples have gone by since the last write: after samples 20, 40 and 60.
    assert [step for step, _ in _scalars(train, "batch_loss")] == [2, 4, 6]


def test_update_freq_epoch_writes_no_batch_values(tmp_path):
    _fit(tmp_path, epochs=1)
    assert not any(tag.startswith("batch_") for tag in _read(tmp_path / "train").Tags()["scalars"])


def test_log_values_without_one_number_are_left_out(tmp_path):
    callback = TensorBoard(log_dir=str(tmp_path))
    callback.on_epoch_end(0, {"loss": np.float32(0.5), "confusion": np.ones((2, 2)), "note": "text"})
    callback.on_train_end()
    train = _read(tmp_path / "train")
    assert train.Tags()["scalars"] == ["epoch_loss"]
    assert _scalars(train, "epoch_loss") == [(0, 0.5)]


def test_keras_2_defaults_and_bad_arguments(tmp_path):
    callback = TensorBoard()
    assert (callback.log_dir, callback.histogram_freq, callback.batch_size, callback.write_graph,
            callback.write_grads, callback.write_images, callback.embeddings_freq, callback.update_freq) == (
        "./logs", 0, 32, True, False, False, 0, "epoch")
    with pytest.raises(ValueError, match="update_freq='often'"):
        TensorBoard(log_dir=str(tmp_path), update_freq="often")
    with pytest.raises(ValueError, match="histogram_freq=-1"):
        TensorBoard(log_dir=str(tmp_path), histogram_freq=-1)
    with pytest.warns(UserWarning, match="write_grads"):
        TensorBoard(log_dir=str(tmp_path), write_grads=True)


def test_missing_tensorboardx_raises_an_import_error_naming_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "tensorboardX" or name.startswith("tensorboardX."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(ImportError, match="tensorboardX"):
        TensorBoard(log_dir=str(tmp_path))
