"""Callbacks driven by a tiny fake model, the way Keras 2's fit loop drives them."""
from __future__ import annotations

import contextlib
import io
import sys

import numpy as np
import pytest

from multinn import backend as K
from multinn import callbacks, optimizers


class FakeModel:
    """What callbacks use of a model: stop_training, optimizer, weights, save."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = optimizers.SGD(learning_rate=lr)
        self.weights = [np.zeros(2, np.float32)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        self.saved.append(("model", path))
        with open(path, "w") as f:
            f.write("model")

    def save_weights(self, path):
        self.saved.append(("weights", path))


def run_epochs(cbs, model, epoch_logs, batches=2, batch_size=4, verbose=0):
    """Drives callbacks like Keras 2's fit loop; epoch_logs[i] are the epoch's logs (val_* too)."""
    cbl = callbacks.CallbackList(cbs)
    cbl.set_model(model)
    metrics = sorted({k for logs in epoch_logs for k in logs})
    cbl.set_params({"epochs": len(epoch_logs), "steps": batches, "samples": batches * batch_size,
                    "verbose": verbose, "metrics": metrics, "batch_size": batch_size, "do_validation": False})
    model.stop_training = False
    cbl.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        model.weights = [np.full(2, epoch, np.float32)]
        cbl.on_epoch_begin(epoch)
        for b in range(batches):
            batch_logs = {"batch": b, "size": batch_size}
            cbl.on_train_batch_begin(b, batch_logs)
            batch_logs.update({k: v for k, v in logs.items() if not k.startswith("val_")})
            cbl.on_train_batch_end(b, batch_logs)
        epoch_out = {}
        for cb in cbs:
            if isinstance(cb, callbacks.BaseLogger):
                break
        else:
            epoch_out = dict(logs)
        cbl.on_epoch_end(epoch, epoch_out if epoch_out else _with_val(logs, epoch_out))
        if model.stop_training:
            break
    cbl.on_train_end()
    return cbl


def _with_val(logs, out):
    out.update({k: v for k, v in logs.items() if k.startswith("val_")})
    return out


@contextlib.contextmanager
def captured():
    saved = sys.stdout
    sys.stdout = io.StringIO()
    try:
        yield sys.stdout
    finally:
        sys.stdout = saved


# ---------------------------------------------------------------- protocol
def test_callback_list_dispatches_every_hook():
    seen = []

    def recording(name):
        def hook(self, *args, **kwargs):
            seen.append(name)
            return getattr(callbacks.Callback, name)(self, *args, **kwargs)
        return hook

    hooks = [n for n in dir(callbacks.Callback) if n.startswith("on_")]
    Recorder = type("Recorder", (callbacks.Callback,), {n: recording(n) for n in hooks})

    cbl = callbacks.CallbackList([Recorder()])
    model = FakeModel()
    cbl.set_model(model)
    cbl.set_params({"epochs": 1})
    assert cbl.callbacks[0].model is model and cbl.callbacks[0].params == {"epochs": 1}
    cbl.on_train_begin()
    cbl.on_epoch_begin(0)
    cbl.on_batch_begin(0)
    cbl.on_batch_end(0)
    cbl.on_test_begin()
    cbl.on_test_batch_begin(0)
    cbl.on_test_batch_end(0)
    cbl.on_test_end()
    cbl.on_epoch_end(0)
    cbl.on_train_end()
    cbl.on_predict_begin()
    cbl.on_predict_batch_begin(0)
    cbl.on_predict_batch_end(0)
    cbl.on_predict_end()
    assert seen == [
        "on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_batch_begin", "on_train_batch_end",
        "on_batch_end", "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end", "on_train_end", "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
        "on_predict_end",
    ]


def test_logs_default_to_dicts():
    got = []
    cbl = callbacks.CallbackList([callbacks.LambdaCallback(on_epoch_end=lambda e, logs: got.append(logs))])
    cbl.on_epoch_end(0)
    assert got == [{}]


def test_history_and_base_logger_average_batches():
    history = callbacks.History()
    model = FakeModel()
    cbl = callbacks.CallbackList([callbacks.BaseLogger(), history])
    cbl.set_model(model)
    cbl.set_params({"metrics": ["loss", "acc"]})
    cbl.on_train_begin()
    for epoch, losses in enumerate([(1.0, 3.0), (0.5, 0.5)]):
        cbl.on_epoch_begin(epoch)
        for b, (loss, size) in enumerate(zip(losses, (3, 1))):
            cbl.on_batch_end(b, {"batch": b, "size": size, "loss": loss, "acc": 0.5})
        cbl.on_epoch_end(epoch, {})
    assert history.epoch == [0, 1]
    assert history.history["loss"] == pytest.approx([1.5, 0.5])
    assert history.history["acc"] == pytest.approx([0.5, 0.5])


# ---------------------------------------------------------------- progress output
def test_progbar_logger_verbose_1_not_a_terminal():
    with captured() as out:
        run_epochs([callbacks.BaseLogger(), callbacks.ProgbarLogger()], FakeModel(),
                   [{"loss": 0.5, "val_loss": 0.7}, {"loss": 0.25, "val_loss": 0.6}], verbose=1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("8/8 [==============================] - 0s ")
    assert lines[1].endswith("- loss: 0.5000 - val_loss: 0.7000")
    assert lines[2] == "Epoch 2/2"
    assert lines[3].endswith("- loss: 0.2500 - val_loss: 0.6000")
    assert len(lines) == 4


def test_progbar_logger_verbose_2_and_steps():
    with captured() as out:
        run_epochs([callbacks.ProgbarLogger(count_mode="steps")], FakeModel(), [{"loss": 0.5}], verbose=2)
    assert out.getvalue() == "Epoch 1/1\n - 0s - loss: 0.5000\n"


def test_progbar_logger_verbose_0_is_silent_and_bad_mode():
    with captured() as out:
        run_epochs([callbacks.ProgbarLogger()], FakeModel(), [{"loss": 0.5}], verbose=0)
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="count_mode"):
        callbacks.ProgbarLogger(count_mode="batches")


# ---------------------------------------------------------------- early stopping
def test_early_stopping_patience_and_min_delta():
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=0.1)
    logs = [{"val_loss": v} for v in (1.0, 0.95, 0.92, 0.5)]
    run_epochs([stopper], model, logs)
    # 0.95 and 0.92 are within min_delta of 1.0: two epochs without improvement.
    assert model.stop_training and stopper.stopped_epoch == 2


def test_early_stopping_auto_mode_maximizes_accuracy():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    model = FakeModel()
    run_epochs([stopper], model, [{"val_accuracy": a} for a in (0.5, 0.6, 0.7)])
    assert not model.stop_training and stopper.best == 0.7


def test_early_stopping_baseline_and_restore_best_weights():
    model = FakeModel()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True, verbose=1)
    with captured() as out:
        run_epochs([stopper], model, [{"loss": v} for v in (1.0, 0.4, 0.6, 0.7, 0.1)])
    assert stopper.stopped_epoch == 3
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])  # epoch 1 had the best loss
    assert "Restoring model weights" in out.getvalue() and "Epoch 00004: early stopping" in out.getvalue()

    never = callbacks.EarlyStopping(monitor="loss", patience=1, baseline=0.1, restore_best_weights=True)
    model = FakeModel()
    run_epochs([never], model, [{"loss": v} for v in (0.5, 0.4)])
    assert never.stopped_epoch == 0 and model.stop_training  # baseline never beaten


def test_early_stopping_warns_on_missing_metric():
    with pytest.warns(RuntimeWarning, match="val_loss.*Available metrics are: loss"):
        run_epochs([callbacks.EarlyStopping()], FakeModel(), [{"loss": 1.0}])


def test_unknown_mode_warns_and_falls_back():
    with pytest.warns(RuntimeWarning, match="unknown"):
        stopper = callbacks.EarlyStopping(mode="maximum")
    assert stopper.mode == "min"


# ---------------------------------------------------------------- checkpoints
def test_model_checkpoint_formats_path_and_saves_every_period(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.h5")
    run_epochs([callbacks.ModelCheckpoint(path, period=2)], model, [{"val_loss": v} for v in (0.5, 0.444, 0.3, 0.2)])
    assert model.saved == [("model", str(tmp_path / "m-02-0.44.h5")), ("model", str(tmp_path / "m-04-0.20.h5"))]
    assert (tmp_path / "m-02-0.44.h5").exists()


def test_model_checkpoint_save_best_only(tmp_path):
    model = FakeModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}.h5"), monitor="val_acc", save_best_only=True,
                                   save_weights_only=True, verbose=1)
    with captured() as out:
        run_epochs([cb], model, [{"val_acc": v} for v in (0.5, 0.4, 0.6)])
    assert model.saved == [("weights", str(tmp_path / "w1.h5")), ("weights", str(tmp_path / "w3.h5"))]
    assert "val_acc did not improve from 0.50000" in out.getvalue()
    assert "val_acc improved from 0.50000 to 0.60000" in out.getvalue()


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    model = FakeModel()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}.h5"), save_freq=3)
    run_epochs([cb], model, [{"loss": 1.0}, {"loss": 1.0}, {"loss": 1.0}], batches=2)
    assert [p for _, p in model.saved] == [str(tmp_path / "b2.h5"), str(tmp_path / "b3.h5")]
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("x", save_freq="batch")


def test_model_checkpoint_missing_format_key(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{val_loss:.2f}.h5"))
    cb.set_model(FakeModel())
    with pytest.raises(KeyError, match="val_loss"):
        cb.on_epoch_end(0, {"loss": 1.0})


# ---------------------------------------------------------------- learning rate
def test_learning_rate_scheduler_one_and_two_arguments():
    model = FakeModel(lr=0.1)
    history = callbacks.History()
    run_epochs([callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)), history], model,
               [{"loss": 1.0}] * 3)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])

    model = FakeModel(lr=0.1)
    with captured() as out:
        run_epochs([callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)], model,
                   [{"loss": 1.0}] * 2)
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.025)
    assert "Epoch 00002: LearningRateScheduler setting learning rate to 0.025" in out.getvalue()


def test_learning_rate_scheduler_rejects_non_float():
    cb = callbacks.LearningRateScheduler(lambda epoch: "fast")
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be float"):
        cb.on_epoch_begin(0)


def test_reduce_lr_on_plateau_with_cooldown_and_min_lr():
    model = FakeModel(lr=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.3)
    history = callbacks.History()
    run_epochs([cb, history], model, [{"val_loss": 1.0}] * 6)
    # logs['lr'] is the rate the epoch ran with. Epoch 1 reduces to 0.5, epoch 2 is cooldown,
    # epoch 3 reduces to 0.3 (min_lr), and nothing goes below it.
    assert history.history["lr"] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.3, 0.3])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.3)


def test_reduce_lr_on_plateau_min_delta_and_factor_check():
    model = FakeModel(lr=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_delta=0.01)
    run_epochs([cb], model, [{"loss": v} for v in (1.0, 0.995)])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.5)


# ---------------------------------------------------------------- CSV, lambda, NaN
def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.tsv"
    run_epochs([callbacks.CSVLogger(str(path), separator="\t")], FakeModel(),
               [{"loss": 0.5, "acc": 0.25}, {"loss": 0.25, "acc": 0.5}])
    run_epochs([callbacks.CSVLogger(str(path), separator="\t", append=True)], FakeModel(),
               [{"loss": 0.125, "acc": 1.0}])
    assert path.read_text().splitlines() == ["epoch\tacc\tloss", "0\t0.25\t0.5", "1\t0.5\t0.25", "0\t1.0\t0.125"]


def test_csv_logger_writes_na_for_missing_values_when_stopped(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    logger = callbacks.CSVLogger(str(path))
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    model.stop_training = True
    logger.on_epoch_end(1, {"loss": 0.5})
    logger.on_train_end()
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,2.0", "1,0.5,NA"]


def test_lambda_callback_hooks_and_unknown_hook():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_batch_end=lambda batch, logs: events.append(("batch", batch)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch", epoch, logs.get("loss"))),
        on_train_end=lambda logs: events.append("end"),
    )
    run_epochs([cb], FakeModel(), [{"loss": 0.5}], batches=2)
    assert events == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0, 0.5), "end"]
    with pytest.raises(TypeError, match="on_epoch_ending"):
        callbacks.LambdaCallback(on_epoch_ending=print)


def test_terminate_on_nan():
    model = FakeModel()
    with captured() as out:
        run_epochs([callbacks.TerminateOnNaN()], model, [{"loss": 1.0}, {"loss": float("inf")}, {"loss": 1.0}])
    assert model.stop_training
    message = "Batch {}: Invalid loss, terminating training\n"
    assert out.getvalue() == message.format(0) + message.format(1)


# ---------------------------------------------------------------- with a real model
def _real_model(lr=0.01):
    import multinn
    from multinn.layers import Dense
    from multinn.models import Sequential

    multinn.utils.set_random_seed(0)
    model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile(optimizers.SGD(learning_rate=lr), "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    return model, x, y


def test_fit_drives_history_scheduler_csv_and_checkpoint(tmp_path, capsys):
    from multinn.models import load_model

    model, x, y = _real_model()
    csv_path = tmp_path / "log.csv"
    checkpoint = str(tmp_path / "best-{epoch:02d}.h5")
    history = model.fit(
        x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=1,
        callbacks=[
            callbacks.LearningRateScheduler(lambda epoch: 0.01 * 0.5**epoch),
            callbacks.CSVLogger(str(csv_path)),
            callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
        ],
    )
    assert history is model.history
    assert history.epoch == [0, 1, 2]
    assert history.history["lr"] == pytest.approx([0.01, 0.005, 0.0025])
    assert set(history.history) >= {"loss", "val_loss", "lr"}
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "epoch,loss,lr,val_loss" and len(rows) == 4
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 3 and "30/30 [==============================]" in out and "val_loss:" in out
    saved = sorted(p.name for p in tmp_path.glob("best-*.h5"))
    assert saved and saved[0] == "best-01.h5"
    restored = load_model(str(tmp_path / saved[-1]))
    assert restored.predict(x[:2]).shape == (2, 1)


def test_fit_with_early_stopping_restores_best_weights():
    model, x, y = _real_model(lr=0.0)  # nothing improves after the first epoch
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=20, batch_size=10, verbose=0, callbacks=[stopper])
    assert len(history.epoch) == 3 and stopper.stopped_epoch == 2
    assert model.stop_training


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fit_with_reduce_lr_on_plateau_and_terminate_on_nan():
    model, x, y = _real_model(lr=0.01)
    history = model.fit(x, y, epochs=3, batch_size=10, verbose=0,
                        callbacks=[callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)])
    # With a huge min_delta no epoch counts as an improvement: epochs 1 and 2 halve the rate.
    assert history.history["lr"] == pytest.approx([0.01, 0.01, 0.005])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.0025)

    model, x, y = _real_model(lr=1e30)  # diverges at once
    with captured() as out:
        history = model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert "Invalid loss, terminating training" in out.getvalue()
    assert len(history.epoch) == 1


def test_restore_best_weights_restores_the_values_of_the_best_epoch():
    model, x, y = _real_model(lr=0.05)
    snapshots = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    # mode='max' on a falling loss: epoch 0 stays the best, training stops after two more.
    stopper = callbacks.EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)
    model.fit(x, y, epochs=10, batch_size=10, verbose=0, callbacks=[record, stopper])
    assert len(snapshots) == 3
    assert not np.allclose(snapshots[0][0], snapshots[2][0])  # training did move the weights
    for restored, best in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(restored, best)


def test_batch_hooks_reach_only_callbacks_that_override_them():
    calls = []

    class Quiet(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            calls.append("quiet epoch")

    class Loud(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append(("loud", batch, logs["loss"]))

    patched = callbacks.Callback()
    patched.on_train_batch_begin = lambda batch, logs=None: calls.append(("patched", batch))
    cbl = callbacks.CallbackList([Quiet(), Loud(), patched])
    cbl.on_train_batch_begin(3, {"loss": 1.0})
    cbl.on_batch_end(3, {"loss": 2.0})
    cbl.on_test_batch_end(3, {"loss": 3.0})  # Loud overrides only the training hook
    assert calls == [("patched", 3), ("loud", 3, 2.0)]
    cbl.append(Loud())  # a new callback is seen at the next call
    cbl.on_batch_end(4, {"loss": 5.0})
    assert calls[-2:] == [("loud", 4, 5.0), ("loud", 4, 5.0)]
    with pytest.raises(ValueError, match="Unknown batch hook"):
        cbl._call_batch_hook("fit", "begin", 0)


def test_fit_verbose_2_prints_the_epochs_sample_weighted_averages(backend_name):
    """verbose=2 prints from the epoch's values (no per-batch reads); they must still be the
    averages of the batches' own values, weighted by batch size (10 samples in 4+4+2)."""
    from multinn.callbacks import LambdaCallback
    from multinn.layers import Dense
    from multinn.models import Sequential

    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(learning_rate=0.01), "mse", metrics=["mae"])
    seen = []
    record = LambdaCallback(on_batch_end=lambda batch, logs: seen.append((logs["size"], logs["loss"], logs["mae"])))
    with captured() as out:
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=2, callbacks=[record])
    sizes = np.array([s for s, _, _ in seen], dtype=np.float64)
    expected_loss = float(np.dot(sizes, [l for _, l, _ in seen]) / sizes.sum())
    expected_mae = float(np.dot(sizes, [m for _, _, m in seen]) / sizes.sum())
    lines = out.getvalue().splitlines()
    assert lines[0] == "Epoch 1/1" and len(lines) == 2
    assert lines[1].endswith(f"- loss: {expected_loss:.4f} - mae: {expected_mae:.4f}"), lines[1]
