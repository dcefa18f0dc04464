"""Metric objects in compile/fit/evaluate and Layer.add_metric: running values over an epoch
(Keras 2.3's stateful metrics), against NumPy references computed from fixed predictions."""
import os

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import callbacks, metrics
from multinn.layers import Dense, Input, Layer

X = np.arange(12, dtype=np.float32).reshape(6, 2) / 10.0
Y = np.array([[1.0], [0.0], [2.0], [1.5], [0.5], [3.0]], np.float32)
SW = np.array([1.0, 2.0, 0.5, 0.0, 1.5, 1.0], np.float32)


def _frozen_model(metric_list, weighted=None):
    """A linear model with fixed weights (lr 0): predictions are X @ [[1], [2]] + 0.5."""
    model = multinn.Sequential([Dense(1, input_shape=(2,), kernel_initializer="ones", bias_initializer="zeros")])
    model.layers[0].set_weights([np.array([[1.0], [2.0]], np.float32), np.array([0.5], np.float32)])
    model.compile(multinn.optimizers.SGD(lr=0.0), "mse", metrics=metric_list, weighted_metrics=weighted)
    return model


PRED = X @ np.array([[1.0], [2.0]], np.float32) + 0.5


class _BatchLogs(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = []

    def on_batch_end(self, batch, logs=None):
        self.batches.append(dict(logs))


def test_fit_reports_running_values_and_resets_each_epoch(backend_name):
    mae_obj = metrics.MeanAbsoluteError(name="mae_obj")
    model = _frozen_model([mae_obj, "mae"])
    assert model.metrics_names == ["loss", "mae_obj", "mae"]
    assert model.metrics == [mae_obj, multinn.losses.mean_absolute_error]
    logger = _BatchLogs()
    history = model.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0, callbacks=[logger])
    errors = np.abs(PRED - Y)[:, 0]
    running = [errors[: 2 * (i + 1)].mean() for i in range(3)]
    got = [b["mae_obj"] for b in logger.batches]
    np.testing.assert_allclose(got, running * 2, rtol=1e-5)  # the second epoch starts afresh
    # The stateless 'mae' is the batch's own value.
    np.testing.assert_allclose([b["mae"] for b in logger.batches[:3]], errors.reshape(3, 2).mean(1), rtol=1e-5)
    np.testing.assert_allclose(history.history["mae_obj"], [errors.mean()] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["mae"], [errors.mean()] * 2, rtol=1e-5)


def test_fit_without_per_batch_reads(backend_name):
    model = _frozen_model([metrics.RootMeanSquaredError()])
    history = model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    expected = np.sqrt(((PRED - Y) ** 2).mean())
    np.testing.assert_allclose(history.history["root_mean_squared_error"], [expected], rtol=1e-5)


def test_evaluate_weighted_metric_objects_over_any_batch_size(backend_name):
    model = _frozen_model([metrics.MeanSquaredError(name="mse_obj")], weighted=[metrics.MeanSquaredError(name="w")])
    sq = ((PRED - Y) ** 2)[:, 0]
    for batch_size in (1, 4, 6):
        loss, mse_obj, w = model.evaluate(X, Y, sample_weight=SW, batch_size=batch_size, verbose=0)
        assert mse_obj == pytest.approx(sq.mean(), rel=1e-5)
        assert w == pytest.approx((sq * SW).sum() / SW.sum(), rel=1e-5)


def test_metric_class_names_in_compile(backend_name):
    model = _frozen_model(["MeanAbsoluteError", "mae"])
    assert model.metrics_names == ["loss", "MeanAbsoluteError", "mae"]
    _, by_class, by_function = model.evaluate(X, Y, batch_size=4, verbose=0)
    assert by_class == pytest.approx(np.abs(PRED - Y).mean(), rel=1e-5) and by_function == pytest.approx(by_class)


def test_validation_uses_fresh_state(backend_name):
    model = _frozen_model([metrics.MeanAbsoluteError(name="m")])
    history = model.fit(X[:4], Y[:4], validation_data=(X[4:], Y[4:]), batch_size=2, epochs=1, shuffle=False, verbose=0)
    errors = np.abs(PRED - Y)[:, 0]
    assert history.history["m"][0] == pytest.approx(errors[:4].mean(), rel=1e-5)
    assert history.history["val_m"][0] == pytest.approx(errors[4:].mean(), rel=1e-5)


def test_on_batch_reset_metrics(backend_name):
    model = _frozen_model([metrics.MeanAbsoluteError(name="m")])
    errors = np.abs(PRED - Y)[:, 0]
    assert model.test_on_batch(X[:2], Y[:2])[1] == pytest.approx(errors[:2].mean(), rel=1e-5)
    assert model.test_on_batch(X[2:4], Y[2:4])[1] == pytest.approx(errors[2:4].mean(), rel=1e-5)
    model.test_on_batch(X[:2], Y[:2], reset_metrics=False)
    assert model.train_on_batch(X[2:4], Y[2:4], reset_metrics=False)[1] == pytest.approx(errors[:4].mean(), rel=1e-5)
    model.reset_metrics()
    assert model.train_on_batch(X[4:], Y[4:], reset_metrics=False)[1] == pytest.approx(errors[4:].mean(), rel=1e-5)


def test_generators_report_running_values(backend_name):
    model = _frozen_model([metrics.MeanAbsoluteError(name="m")])

    def batches():
        while True:
            for i in range(0, 6, 2):
                yield X[i:i + 2], Y[i:i + 2]

    errors = np.abs(PRED - Y)[:, 0]
    history = model.fit_generator(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["m"], [errors.mean()] * 2, rtol=1e-5)
    assert model.evaluate_generator(batches(), steps=2)[1] == pytest.approx(errors[:4].mean(), rel=1e-5)


def test_one_metric_object_for_several_outputs_is_copied(backend_name):
    inp = Input(shape=(2,))
    out_a = Dense(1, name="a", kernel_initializer="ones")(inp)
    out_b = Dense(1, name="b", kernel_initializer="zeros")(inp)
    model = multinn.Model(inp, [out_a, out_b])
    shared = metrics.MeanAbsoluteError(name="m")
    model.compile(multinn.optimizers.SGD(lr=0.0), "mse", metrics=[shared, shared])
    assert model.metrics_names == ["loss", "a_loss", "b_loss", "a_m", "a_m_1", "b_m", "b_m_1"]
    values = model.evaluate(X, [Y, Y], batch_size=4, verbose=0)
    pred_a = X.sum(1, keepdims=True)
    assert values[3] == pytest.approx(np.abs(pred_a - Y).mean(), rel=1e-5)
    assert values[5] == pytest.approx(np.abs(Y).mean(), rel=1e-5)


class _MeanInput(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.counter = metrics.Sum(name="count")

    def call(self, inputs):
        self.add_metric(K.mean(inputs), name="mean_input", aggregation="mean")
        self.add_metric(self.counter(K.ones_like(inputs[:, :1])))
        return inputs


def test_add_metric_inside_call(backend_name):
    inp = Input(shape=(2,))
    hidden = _MeanInput()(inp)
    model = multinn.Model(inp, Dense(1, kernel_initializer="ones")(hidden))
    model.compile(multinn.optimizers.SGD(lr=0.0), "mse")
    logger = _BatchLogs()
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[logger])
    assert model.metrics_names == ["loss", "count", "mean_input"]
    assert [m.name for m in model.metrics] == ["count", "mean_input"]
    # Running mean of the per-batch means (each batch counted once), reset every epoch.
    batch_means = [X[:4].mean(), X[4:].mean()]
    np.testing.assert_allclose([b["mean_input"] for b in logger.batches],
                               [batch_means[0], np.mean(batch_means)] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["count"], [6.0, 6.0])
    loss, count, mean_input = model.evaluate(X, Y, batch_size=6, verbose=0)
    assert mean_input == pytest.approx(X.mean(), rel=1e-5) and count == 6.0


def test_metric_attributes_are_tracked_not_weights():
    class WithMetric(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tracker = metrics.Mean(name="tracker")

        def call(self, inputs):
            self.tracker.update_state(inputs)
            return inputs

    layer = WithMetric()
    layer(K.constant([[2.0, 4.0]]))
    assert layer.weights == [] and layer._metrics == [layer.tracker]
    assert float(layer.tracker.result()) == 3.0
    with pytest.raises(ValueError, match="aggregation"):
        layer.add_metric(K.constant(1.0), name="x", aggregation="max")
    layer.twin = metrics.Mean(name="tracker")
    with pytest.raises(ValueError, match="different names"):
        layer.add_metric(layer.twin(1.0))


def test_metric_objects_survive_save_and_load(backend_name, tmp_path):
    model = _frozen_model([metrics.AUC(num_thresholds=7, name="auc"), metrics.TopKCategoricalAccuracy(k=1)],
                          weighted=[metrics.MeanSquaredError(name="w")])  # a class name losses has too
    path = os.path.join(str(tmp_path), "m.h5")
    model.save(path)
    loaded = multinn.models.load_model(path)
    assert loaded.metrics_names == ["loss", "auc", "top_k_categorical_accuracy", "w"]
    auc, top_k, mse = loaded.metrics
    assert isinstance(auc, metrics.AUC) and auc.num_thresholds == 7
    assert top_k.get_config()["k"] == 1 and isinstance(mse, metrics.MeanSquaredError)


@pytest.mark.parametrize("verbose", [0, 2])
def test_metrics_with_several_thresholds_in_fit(backend_name, verbose, capsys):
    model = _frozen_model([metrics.FalsePositives(thresholds=[0.5, 1.0], name="fp")])
    labels = (Y > 1.0).astype(np.float32)
    history = model.fit(X, labels, batch_size=4, epochs=1, shuffle=False, verbose=verbose)
    expected = [((PRED > th) & (labels == 0)).sum() for th in (0.5, 1.0)]
    np.testing.assert_allclose(np.asarray(history.history["fp"][0]), expected)
    if verbose:
        assert "fp: [" in capsys.readouterr().out


def test_loss_object_without_reduction_trains_on_its_mean(backend_name):
    model = _frozen_model([])
    model.compile(multinn.optimizers.SGD(lr=0.0), multinn.losses.MeanSquaredError(reduction="none"))
    loss = model.evaluate(X, Y, batch_size=6, verbose=0)
    assert loss == pytest.approx(((PRED - Y) ** 2).mean(), rel=1e-5)


def test_metric_objects_skip_masked_timesteps(backend_name):
    from multinn.layers import Embedding

    inp = Input(shape=(3,))
    model = multinn.Model(inp, Embedding(5, 1, mask_zero=True, embeddings_initializer="ones")(inp))
    model.compile(multinn.optimizers.SGD(lr=0.0), "mae", metrics=[metrics.MeanAbsoluteError(name="m")])
    x = np.array([[1, 2, 0], [3, 0, 0]], np.float32)
    y = np.array([[[0.0], [3.0], [5.0]], [[2.0], [7.0], [9.0]]], np.float32)
    _, m = model.evaluate(x, y, verbose=0)
    assert m == pytest.approx(np.abs(1.0 - y[..., 0])[x != 0].mean(), rel=1e-5)
