"""Training: convergence, fit options, callbacks, batch methods, input standardisation."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import callbacks, optimizers
from multinn.layers import Dense, Input
from multinn.models import Model, Sequential


def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)).astype(np.float32) + np.where(labels[:, None] == 1, 2.0, -2.0).astype(np.float32)
    return x, labels


def _linear_model(units_in=2, units_out=1, **dense_kwargs):
    model = Sequential([Dense(units_out, input_shape=(units_in,), kernel_initializer="ones", bias_initializer="zeros", **dense_kwargs)])
    return model


def test_classification_converges(backend_name):
    multinn.utils.set_random_seed(0)
    x, labels = _blobs()
    y = np.eye(2, dtype=np.float32)[labels]
    model = Sequential([Dense(16, activation="relu", input_shape=(2,)), Dense(2, activation="softmax")])
    model.compile(optimizers.Adam(learning_rate=0.02), "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95 and model.metrics_names == ["loss", "accuracy"]
    assert (model.predict(x).argmax(axis=1) == labels).mean() > 0.95


def test_sparse_labels_and_acc_name(backend_name):
    x, labels = _blobs(64)
    model = Sequential([Dense(2, activation="softmax", input_shape=(2,))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, labels, epochs=2, verbose=0)
    assert sorted(history.history) == ["acc", "loss"]


def test_history_epochs_and_initial_epoch(backend_name):
    x, labels = _blobs(32)
    model = _linear_model()
    model.compile("sgd", "mse")
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    history = model.fit(x, labels.astype(np.float32), epochs=5, initial_epoch=2, verbose=0, callbacks=[cb])
    assert history.epoch == [2, 3, 4] and seen == [2, 3, 4] and len(history.history["loss"]) == 3


def test_validation_split_uses_the_last_samples(backend_name):
    x = np.arange(20, dtype=np.float32).reshape(10, 2) / 10
    y = np.arange(10, dtype=np.float32).reshape(10, 1)
    model = _linear_model()
    model.compile(optimizers.SGD(learning_rate=0.0), "mse")
    history = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], model.evaluate(x[8:], y[8:], verbose=0), rtol=1e-5)
    np.testing.assert_allclose(history.history["loss"][0], model.evaluate(x[:8], y[:8], verbose=0), rtol=1e-5)
    history = model.fit(x, y, validation_data=(x[:3], y[:3]), epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], model.evaluate(x[:3], y[:3], verbose=0), rtol=1e-5)


def test_sample_weight_and_class_weight(backend_name):
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]], np.float32)
    y = np.array([[0.0], [1.0], [1.0], [0.0]], np.float32)
    model = _linear_model()
    model.compile(optimizers.SGD(learning_rate=0.0), "mse")
    pred = x.sum(axis=1, keepdims=True)
    per_sample = ((pred - y) ** 2).mean(axis=1)
    w = np.array([1.0, 0.0, 2.0, 3.0], np.float32)
    expected = (per_sample * w).mean() / (w != 0).mean()
    np.testing.assert_allclose(model.train_on_batch(x, y, sample_weight=w), expected, rtol=1e-5)
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=w), expected, rtol=1e-5)
    class_w = {0: 0.5, 1: 4.0}
    cw = np.where(y[:, 0] == 1, 4.0, 0.5)
    expected = (per_sample * cw).mean()
    np.testing.assert_allclose(model.train_on_batch(x, y, class_weight=class_w), expected, rtol=1e-5)
    history = model.fit(x, y, class_weight=class_w, batch_size=4, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(x, y, sample_weight=np.ones((4, 2)), verbose=0)


def test_sample_weight_changes_the_update(backend_name):
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([[3.0], [-3.0]], np.float32)
    model = _linear_model(use_bias=False)
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    model.fit(x, y, sample_weight=np.array([1.0, 0.0], np.float32), batch_size=2, epochs=1, verbose=0)
    kernel = model.get_weights()[0]
    # only the first sample moves the weights: d/dw of mean((w0 - 3)^2 * [1, 0]) / 0.5
    np.testing.assert_allclose(kernel[:, 0], [1.0 + 0.1 * 2 * 2.0 * 2 / 2, 1.0], rtol=1e-5)


def test_callbacks_protocol_and_early_stopping(backend_name):
    x, labels = _blobs(64)
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    events = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", sorted(self.params["metrics"])))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, logs["size"]))

        def on_train_end(self, logs=None):
            events.append(("train_end",))

    model.fit(x, labels.astype(np.float32), batch_size=40, epochs=1, validation_split=0.25, verbose=0, callbacks=[Recorder()])
    assert events[0] == ("train_begin", ["loss", "mae", "val_loss", "val_mae"])
    assert events[1:3] == [("batch_end", 0, 40), ("batch_end", 1, 8)]
    assert events[3] == ("epoch_end", 0, ["loss", "mae", "val_loss", "val_mae"])
    assert events[-1] == ("train_end",)

    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    history = model.fit(x, labels.astype(np.float32), epochs=10, verbose=0, callbacks=[stopper])
    assert len(history.epoch) < 10 and model.stop_training


def test_progress_bar_output(backend_name, capsys):
    x, labels = _blobs(64)
    model = _linear_model()
    model.compile("sgd", "mse")
    model.fit(x, labels.astype(np.float32), epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "64/64" in out and "loss:" in out


def test_fit_without_shuffle_matches_train_on_batch(backend_name):
    x, labels = _blobs(40)
    y = labels.astype(np.float32).reshape(-1, 1)
    a, b = _linear_model(), _linear_model()
    a.compile(optimizers.SGD(learning_rate=0.05), "mse")
    b.compile(optimizers.SGD(learning_rate=0.05), "mse")
    a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for _ in range(2):
        for start in range(0, 40, 16):
            b.train_on_batch(x[start:start + 16], y[start:start + 16])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_steps_per_epoch_counts_batches(backend_name):
    x, labels = _blobs(40)
    model = _linear_model()
    model.compile("sgd", "mse")
    batches = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(logs["size"]))
    model.fit(x, labels.astype(np.float32), batch_size=16, steps_per_epoch=4, epochs=2, verbose=0, callbacks=[cb])
    assert len(batches) == 8 and batches[:4] == [16, 16, 8, 16]


def test_multi_output_losses_weights_and_names(backend_name):
    x = Input(shape=(2,))
    a = Dense(1, name="a", kernel_initializer="ones")(x)
    b = Dense(1, name="b", kernel_initializer="zeros")(x)
    model = Model(x, [a, b])
    model.compile(optimizers.SGD(learning_rate=0.0), loss={"a": "mse", "b": "mae"}, loss_weights={"a": 1.0, "b": 0.5}, metrics={"b": ["mse"]})
    assert model.metrics_names == ["loss", "a_loss", "b_loss", "b_mse"]
    data = np.array([[1.0, 2.0]], np.float32)
    ya, yb = np.array([[1.0]], np.float32), np.array([[2.0]], np.float32)
    total, la, lb, mb = model.train_on_batch(data, [ya, yb])
    np.testing.assert_allclose([la, lb, mb], [4.0, 2.0, 4.0], rtol=1e-6)
    np.testing.assert_allclose(total, 4.0 + 0.5 * 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown entry in loss dictionary"):
        model.compile("sgd", loss={"c": "mse"})


def test_regularization_losses_count_in_the_loss(backend_name):
    model = _linear_model(kernel_regularizer=multinn.regularizers.l2(0.5))
    model.compile(optimizers.SGD(learning_rate=0.0), "mse")
    x = np.zeros((2, 2), np.float32)
    y = np.zeros((2, 1), np.float32)
    np.testing.assert_allclose(model.train_on_batch(x, y), 0.5 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 0.5 * 2.0, rtol=1e-6)


def test_predict_standardisation(backend_name):
    model = Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones", bias_initializer="zeros")])
    out = model.predict([1])
    assert isinstance(out, np.ndarray) and out.shape == (1, 1) and out.tolist() == [[1.0]]
    assert model.predict(np.array([1.0, 2.0, 3.0])).shape == (3, 1)  # 1-D: a batch of scalars
    assert model.predict([[1.0], [2.0]]).tolist() == [[1.0], [2.0]]
    assert model.predict(K.constant([[4.0]])).tolist() == [[4.0]]
    assert model.predict_on_batch(np.array([[2.0]])).tolist() == [[2.0]]
    big = model.predict(np.ones((70, 1)), batch_size=32)
    assert big.shape == (70, 1) and big.dtype == np.float32
    with pytest.raises(ValueError, match=r"expected dense_\d+_input to have shape \(1,\) but got array with shape \(3,\)"):
        model.predict(np.ones((2, 3)))


def test_errors_before_compile_and_bad_targets(backend_name):
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((2, 2)), np.ones((2, 3)))
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(np.ones((3, 2)), np.ones((2, 3)), verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile("sgdd", "mse")


def test_batch_methods_return_floats(backend_name):
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    loss, mae = model.test_on_batch(x, y)
    assert isinstance(loss, float) and loss == pytest.approx(4.0) and mae == pytest.approx(2.0)
    out = model.train_on_batch(x, y)
    assert isinstance(out, list) and out[0] == pytest.approx(4.0)


def test_weighted_metrics_use_sample_weights(backend_name):
    model = _linear_model()
    model.compile(optimizers.SGD(learning_rate=0.0), "mse", metrics=["mae"], weighted_metrics=["mae"])
    assert model.metrics_names == ["loss", "mae", "weighted_mae"]
    x = np.array([[1.0, 0.0], [0.0, 3.0]], np.float32)
    y = np.zeros((2, 1), np.float32)
    _, mae, weighted = model.test_on_batch(x, y, sample_weight=np.array([1.0, 0.0], np.float32))
    assert mae == pytest.approx(2.0) and weighted == pytest.approx(1.0)


def test_multi_output_fit_with_dicts(backend_name):
    a = Input(shape=(3,), name="a")
    model = Model(a, [Dense(1, name="o1")(a), Dense(2, name="o2", activation="softmax")(a)])
    model.compile("adam", {"o1": "mse", "o2": "categorical_crossentropy"}, metrics={"o2": "accuracy"})
    rng = np.random.default_rng(0)
    x = rng.random((10, 3)).astype(np.float32)
    y = {"o1": rng.random((10, 1)).astype(np.float32), "o2": np.eye(2, dtype=np.float32)[rng.integers(0, 2, 10)]}
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    assert sorted(history.history) == sorted(
        ["loss", "o1_loss", "o2_loss", "o2_accuracy", "val_loss", "val_o1_loss", "val_o2_loss", "val_o2_accuracy"]
    )
    loss, l1, l2, acc = model.evaluate(x, [y["o1"], y["o2"]], verbose=0)
    assert loss == pytest.approx(l1 + l2, rel=1e-5)


def test_evaluate_verbose_prints_a_progress_bar(backend_name, capsys):
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.evaluate(np.ones((40, 2), np.float32), np.zeros((40, 1), np.float32), batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "40/40" in out and "loss: 4.0000" in out and "mae: 2.0000" in out
    model.evaluate(np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32), verbose=0)
    assert capsys.readouterr().out == ""


def test_generator_methods(backend_name):
    x, labels = _blobs(48)
    y = labels.astype(np.float32).reshape(-1, 1)

    class Batches:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

    model = _linear_model()
    model.compile(optimizers.SGD(learning_rate=0.0), "mse", metrics=["mae"])
    history = model.fit_generator(Batches(), epochs=2, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"] and history.epoch == [0, 1]
    expected = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(model.evaluate_generator(Batches()), expected, rtol=1e-5)
    np.testing.assert_allclose(history.history["loss"][0], expected[0], rtol=1e-5)

    def endless():
        while True:
            yield x[:8], y[:8]

    assert model.predict_generator(iter([x[:5], x[5:9]]), steps=2).shape == (9, 1)
    model.fit_generator(endless(), steps_per_epoch=2, epochs=1, verbose=0)


def test_output_masks_mask_the_loss(backend_name):
    x = Input(shape=(3, 1))
    masked = multinn.layers.Lambda(lambda t: t, mask=lambda t, mask: K.not_equal(K.sum(t, axis=-1), 0))(x)
    model = Model(x, multinn.layers.Lambda(lambda t: t * 1.0, mask=lambda t, mask: mask)(masked))
    model.compile(optimizers.SGD(learning_rate=0.0), "mse")
    data = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    target = np.array([[[0.0], [5.0], [0.0]]], np.float32)
    # per-timestep errors 1, 25, 4; the middle step is masked: (1 + 4) / 3 / mean(mask = 2/3)
    np.testing.assert_allclose(model.test_on_batch(data, target), (1.0 + 4.0) / 3 / (2 / 3), rtol=1e-5)


def test_training_gives_the_same_model_on_every_backend():
    from tests.conftest import usable_backends
    from tests.parity.tolerances import assert_close

    backends = usable_backends()
    if len(backends) < 2:
        pytest.skip(f"parity needs two usable backends; usable here: {backends}")
    x, labels = _blobs(96)
    y = np.eye(2, dtype=np.float32)[labels]
    results = {}
    for name in backends:
        with K.backend_scope(name):
            multinn.utils.set_random_seed(3)
            model = Sequential([
                Dense(8, activation="relu", input_shape=(2,)), multinn.layers.BatchNormalization(),
                multinn.layers.Dropout(0.2), Dense(2, activation="softmax"),
            ])
            model.compile(optimizers.Adam(learning_rate=0.01), "categorical_crossentropy", metrics=["accuracy"])
            history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
            results[name] = (model.get_weights(), history.history["loss"], model.predict(x))
    reference = results[backends[0]]
    for name in backends[1:]:
        for a, b in zip(reference[0], results[name][0]):
            assert_close(a, b, "training_float32")
        assert_close(np.array(reference[1], np.float32), np.array(results[name][1], np.float32), "training_float32")
        assert_close(reference[2], results[name][2], "training_float32")


def test_subclassed_model_metric_names_known_from_the_first_epoch(backend_name):
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.out = Dense(2, activation="softmax")

        def call(self, inputs):
            return self.out(inputs)

    x, labels = _blobs(32)
    model = Net()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = []
    cb = callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append(list(cb.params["metrics"])))
    history = model.fit(x, labels, epochs=1, verbose=0, callbacks=[cb])
    assert seen == [["loss", "accuracy"]] and sorted(history.history) == ["accuracy", "loss"]


def test_training_on_layer_losses_only(backend_name):
    # Keras 2's pattern for VAEs: a layer adds the loss itself; compile(loss=None); fit(x, None)
    class ReconstructionLoss(multinn.layers.Layer):
        def call(self, inputs):
            original, rebuilt = inputs
            self.add_loss(K.mean(K.square(original - rebuilt)))
            return rebuilt

        def compute_output_shape(self, input_shape):
            return input_shape[1]

    x = Input(shape=(4,))
    rebuilt = Dense(4)(Dense(2)(x))
    model = Model(x, ReconstructionLoss()([x, rebuilt]))
    model.compile(optimizers.Adam(learning_rate=0.05), loss=None)
    data = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    history = model.fit(data, None, epochs=8, batch_size=16, verbose=0, validation_data=(data, None))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(data, None, verbose=0), rel=1e-5)
    bare = Sequential([Dense(1, input_shape=(2,))])
    bare.compile("sgd", loss=None)
    with pytest.raises(ValueError, match="nothing to minimize"):
        bare.fit(np.ones((2, 2)), None, verbose=0)
    model_with_loss = _linear_model()
    model_with_loss.compile("sgd", "mse")
    with pytest.raises(ValueError, match="No target data"):
        model_with_loss.fit(np.ones((2, 2)), None, verbose=0)


def test_activity_losses_do_not_keep_the_graph_after_a_step(backend_name):
    model = Sequential([Dense(3, input_shape=(2,), activity_regularizer="l2"), Dense(1)])
    model.compile("sgd", "mse")
    model.train_on_batch(np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32))
    activity = model.layers[0]._call_losses
    assert len(activity) == 1 and activity[0].node is None  # the value stays, its graph is gone
    assert len(model.losses) == 1


def test_generator_methods_take_keras2_loader_arguments_and_refuse_misspelled_ones(backend_name):
    import multinn
    from multinn.layers import Dense

    model = multinn.models.Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")

    def batches():
        while True:
            yield np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)

    loader = dict(max_queue_size=3, workers=2, use_multiprocessing=False)
    model.fit_generator(batches(), steps_per_epoch=2, verbose=0, **loader)
    assert np.isfinite(model.evaluate_generator(batches(), steps=2, **loader))
    assert model.predict_generator(batches(), steps=2, **loader).shape == (8, 1)
    with pytest.raises(TypeError, match="workerz"):
        model.fit_generator(batches(), steps_per_epoch=2, verbose=0, workerz=2)
    with pytest.raises(TypeError, match="stepz"):
        model.predict_generator(batches(), stepz=2)
