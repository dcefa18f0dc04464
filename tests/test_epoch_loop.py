"""One epoch loop for `fit` on arrays and `fit_generator` (issue 16, item 3).

Keras 2.3.1's rules are the contract: an epoch validates once its last batch has run (even
when that batch stops training), an epoch cut short by `stop_training` does not; validation
arrays given to `fit_generator` are read in batches the size of the epoch's last training
batch. Losses are checked against NumPy: with a zero kernel and a learning rate of 0 the
model predicts 0, so each loss is the mean of the squared targets.
"""
from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

from multinn import callbacks, optimizers
from multinn.layers import Dense
from multinn.models import Sequential


def _model():
    model = Sequential([Dense(1, input_shape=(2,), kernel_initializer="zeros", use_bias=False)])
    model.compile(optimizers.SGD(lr=0.0), "mse")
    return model


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


class _StopAt(callbacks.Callback):
    """Stops training at batch `batch` of epoch `epoch`; records the test batch sizes."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch, self.test_sizes = (epoch, batch), None, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.model.stop_training = True

    def on_test_batch_end(self, batch, logs=None):
        self.test_sizes.append(logs["size"])


def _batches(x, y, size):
    while True:
        for start in range(0, len(x), size):
            yield x[start:start + size], y[start:start + size]


def _fit(kind, model, x, y, stop, validation_data):
    """Three batches of 4 per epoch, two epochs, from arrays or from a generator."""
    if kind == "arrays":
        return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[stop],
                         validation_data=validation_data)
    return model.fit_generator(_batches(x, y, 4), steps_per_epoch=3, epochs=2, verbose=0, callbacks=[stop],
                               validation_data=validation_data)


@pytest.mark.parametrize("kind", ["arrays", "generator"])
@pytest.mark.parametrize("stop_batch, validated", [(1, False), (2, True)], ids=["before-the-last-batch", "at-the-last"])
def test_an_epoch_validates_only_once_its_last_batch_ran(backend_name, kind, stop_batch, validated):
    x, y = _data(12)
    vx, vy = _data(5, seed=1)
    history = _fit(kind, _model(), x, y, _StopAt(0, stop_batch), (vx, vy))
    assert history.epoch == [0]
    np.testing.assert_allclose(history.history["loss"], [np.mean(y[:4 * (stop_batch + 1)].astype(np.float64) ** 2)],
                               rtol=1e-5)
    if validated:
        np.testing.assert_allclose(history.history["val_loss"], [np.mean(vy.astype(np.float64) ** 2)], rtol=1e-5)
    else:
        assert "val_loss" not in history.history


def test_fit_generator_validates_arrays_in_batches_the_size_of_the_last_training_batch(backend_name):
    x, y = _data(6)
    vx, vy = _data(7, seed=1)
    stop = _StopAt(-1, -1)  # never stops; records the validation batches
    history = _model().fit_generator(_batches(x, y, 3), steps_per_epoch=2, epochs=1, verbose=0, callbacks=[stop],
                                     validation_data=(vx, vy))
    assert stop.test_sizes == [3, 3, 1]
    np.testing.assert_allclose(history.history["val_loss"], [np.mean(vy.astype(np.float64) ** 2)], rtol=1e-5)


@pytest.mark.parametrize("verbose", [0, 2])
def test_generator_epoch_averages_weigh_each_batch_by_its_size(backend_name, verbose, capsys):
    x, y = _data(7)
    sizes = [4, 3]

    def batches():
        while True:
            yield x[:4], y[:4]
            yield x[4:], y[4:]

    history = _model().fit_generator(batches(), steps_per_epoch=len(sizes), epochs=2, verbose=verbose)
    expected = np.mean(y.astype(np.float64) ** 2)  # size-weighted batch means = the mean over all samples
    np.testing.assert_allclose(history.history["loss"], [expected, expected], rtol=1e-5)


def test_the_training_loops_import_no_private_helpers_of_other_modules():
    engine = pathlib.Path(__file__).resolve().parents[1] / "multinn" / "engine"
    found = []
    for path in sorted(engine.glob("training*.py")) + [engine / "epoch_loop.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                found += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []
