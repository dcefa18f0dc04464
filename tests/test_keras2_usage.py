"""Keras 2 usage as in its guides: behaviours a user relies on, checked against Keras 2's documented rules."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import callbacks
from multinn.layers import Dense, Input
from multinn.models import Model, Sequential


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_trainable_takes_effect_at_compile_as_in_the_gan_recipe(backend_name):
    # Keras 2 collects the trainable weights when a model is compiled: the discriminator
    # compiled while trainable keeps training on its own, and stays frozen inside the
    # combined model compiled after `trainable = False`.
    discriminator = Sequential([Dense(1, input_shape=(3,))])
    discriminator.compile("sgd", "mse")
    discriminator.trainable = False
    z = Input(shape=(2,))
    generator = Dense(3)
    combined = Model(z, discriminator(generator(z)))
    combined.compile("sgd", "mse")

    before = discriminator.get_weights()
    combined.train_on_batch(_rand(4, 2), _rand(4, 1))
    for a, b in zip(before, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)

    with pytest.warns(UserWarning, match="Discrepancy"):  # Keras 2 warns here too
        discriminator.train_on_batch(_rand(4, 3), _rand(4, 1, seed=1))
    assert not np.allclose(before[0], discriminator.get_weights()[0])

    # recompiling picks up the flag
    discriminator.compile("sgd", "mse")
    frozen = discriminator.get_weights()
    discriminator.fit(_rand(4, 3), _rand(4, 1, seed=1), verbose=0)
    for a, b in zip(frozen, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_frozen_discriminator_runs_no_batchnorm_updates_inside_the_combined_model(backend_name):
    # Keras 2: a network with trainable=False runs no updates (Network.updates is []), so the
    # discriminator's moving statistics stay put while the combined model trains, though its
    # BatchNormalization still normalizes with the batch statistics there. Trained on its own
    # (compiled while trainable), the discriminator updates them.
    from multinn.layers import BatchNormalization

    bn = BatchNormalization()
    discriminator = Sequential([Dense(4, input_shape=(3,)), bn, Dense(1)])
    discriminator.compile("sgd", "mse")
    discriminator.trainable = False
    z = Input(shape=(2,))
    combined = Model(z, discriminator(Dense(3)(z)))
    combined.compile("sgd", "mse")

    noise, target = _rand(8, 2), _rand(8, 1, seed=1)
    moving = [K.get_value(bn.moving_mean), K.get_value(bn.moving_variance)]
    expected_loss = float(np.mean((K.to_numpy(combined(K.constant(noise), training=True)) - target) ** 2))
    inference_loss = float(np.mean((combined.predict(noise) - target) ** 2))
    loss = combined.train_on_batch(noise, target)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)  # batch statistics in training
    assert abs(loss - inference_loss) > 1e-3
    for before, after in zip(moving, [K.get_value(bn.moving_mean), K.get_value(bn.moving_variance)]):
        np.testing.assert_array_equal(before, after)

    with pytest.warns(UserWarning, match="Discrepancy"):
        discriminator.train_on_batch(_rand(8, 3, seed=2), target)
    assert not np.allclose(moving[0], K.get_value(bn.moving_mean))
    assert not np.allclose(moving[1], K.get_value(bn.moving_variance))


def test_a_learning_phase_fixed_by_the_user_holds_in_predict_evaluate_and_fit(backend_name):
    # Keras 2 feeds its own learning phase to fit/evaluate/predict only while the user has not
    # fixed one: K.set_learning_phase(1) keeps Dropout active in predict and evaluate, a
    # learning_phase_scope does so within it, and K.clear_session() returns to the default.
    from multinn.backend.ops.state import global_learning_phase_is_set
    from multinn.layers import Dropout

    x = np.ones((64, 20), np.float32)
    model = Sequential([Dropout(0.5, input_shape=(20,))])
    model.compile("sgd", "mse")
    try:
        K.set_learning_phase(1)
        assert global_learning_phase_is_set()
        dropped = model.predict(x)
        assert set(np.unique(dropped).tolist()) == {0.0, 2.0}
        np.testing.assert_allclose(model.evaluate(x, x, verbose=0), 1.0)  # every unit is 0 or 2
        K.clear_session()
        assert not global_learning_phase_is_set() and K.learning_phase() == 0
        np.testing.assert_array_equal(model.predict(x), x)
        with K.learning_phase_scope(1):
            assert 0.0 in model.predict(x)
        assert not global_learning_phase_is_set()
        np.testing.assert_array_equal(model.predict(x), x)
    finally:
        K.clear_session()


def test_set_learning_phase_0_makes_fit_run_the_layers_in_inference_mode(backend_name):
    from multinn.layers import BatchNormalization, Dropout

    data = (np.arange(24, dtype=np.float32).reshape(8, 3) + 1.0).astype(np.float32)
    bn = BatchNormalization(input_shape=(3,))
    model = Sequential([bn, Dropout(0.9)])
    model.compile("sgd", "mse")
    # inference: moving statistics 0 and 1, no dropout
    expected = float(np.mean((data / np.sqrt(1.0 + 1e-3) - data) ** 2))
    try:
        K.set_learning_phase(0)
        loss = model.train_on_batch(data, data)
        np.testing.assert_allclose(loss, expected, rtol=1e-3)
        history = model.fit(data, data, batch_size=8, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        np.testing.assert_array_equal(K.get_value(bn.moving_mean), np.zeros(3, np.float32))
        np.testing.assert_array_equal(K.get_value(bn.moving_variance), np.ones(3, np.float32))
    finally:
        K.clear_session()
    model.train_on_batch(data, data)  # the default again: training mode, moving statistics move
    assert not np.allclose(K.get_value(bn.moving_mean), 0.0)


def test_a_deferred_sequential_collects_its_trainable_weights_when_built(backend_name):
    model = Sequential([Dense(2), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(_rand(8, 3), _rand(8, 1), verbose=0)
    first = model.layers[0].get_weights()
    model.fit(_rand(8, 3), _rand(8, 1), verbose=0)
    assert not np.allclose(first[0], model.layers[0].get_weights()[0])


class _Events(callbacks.Callback):
    """Records the hooks called, with the metric names of each batch's logs."""

    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_test_begin(self, logs=None):
        self.events.append(("test_begin",))

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("test_batch_end", batch, logs["size"], sorted(k for k in logs if k not in ("batch", "size"))))

    def on_test_end(self, logs=None):
        self.events.append(("test_end",))

    def on_predict_begin(self, logs=None):
        self.events.append(("predict_begin",))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("predict_batch_end", batch, logs["size"], np.asarray(logs["outputs"][0]).shape))

    def on_predict_end(self, logs=None):
        self.events.append(("predict_end",))


def test_callbacks_see_validation_data_and_validation_runs_the_test_hooks(backend_name):
    x, y = _rand(10, 2), _rand(10, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    seen = {}

    class ReadsValidationData(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            # the Keras 2 recipe for custom validation metrics in a callback
            seen["pred"] = self.model.predict(self.validation_data[0])
            seen["data"] = self.validation_data

    events = _Events()
    model.fit(x, y, epochs=1, batch_size=4, validation_split=0.3, verbose=0, callbacks=[ReadsValidationData(), events])
    vx, vy, vw = seen["data"]
    np.testing.assert_array_equal(vx, x[7:])
    np.testing.assert_array_equal(vy, y[7:])
    np.testing.assert_array_equal(vw, np.ones(3))
    assert seen["pred"].shape == (3, 1)
    assert events.events[-3:] == [("test_begin",), ("test_batch_end", 0, 3, ["loss", "mae"]), ("test_end",)]


def test_evaluate_and_predict_call_their_callbacks(backend_name):
    x, y = _rand(5, 2), _rand(5, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    events = _Events()
    model.evaluate(x, y, batch_size=3, verbose=0, callbacks=[events])
    assert events.events == [
        ("test_begin",), ("test_batch_end", 0, 3, ["loss"]), ("test_batch_end", 1, 2, ["loss"]), ("test_end",)
    ]
    assert events.model is model and events.params["samples"] == 5
    events.events = []
    model.predict(x, batch_size=4, callbacks=[events])
    assert events.events == [
        ("predict_begin",), ("predict_batch_end", 0, 4, (4, 1)), ("predict_batch_end", 1, 1, (1, 1)), ("predict_end",)
    ]


def _two_softmax_outputs():
    x = Input(shape=(2,))
    return Model(x, [Dense(2, activation="softmax", name="o1")(x), Dense(2, activation="softmax", name="o2")(x)])


@pytest.mark.parametrize("form", ["list", "dict"])
def test_class_weight_per_output_as_a_list_or_a_dict_by_output_name(backend_name, form):
    x, labels = _rand(6, 2), np.array([0, 0, 0, 1, 1, 1])
    model = _two_softmax_outputs()
    model.compile("sgd", "sparse_categorical_crossentropy")
    first, second = {0: 1.0, 1: 0.0}, {0: 0.0, 1: 1.0}
    class_weight = [first, second] if form == "list" else {"o2": second, "o1": first}
    weighted = model.test_on_batch(x, [labels, labels], sample_weight=[(labels == 0) * 1.0, (labels == 1) * 1.0])
    before = model.get_weights()
    assert model.train_on_batch(x, [labels, labels], class_weight=class_weight) == pytest.approx(weighted, rel=1e-5)
    model.set_weights(before)
    with pytest.raises(ValueError, match="class_weight"):
        model.train_on_batch(x, [labels, labels], class_weight=[first])


def test_single_output_weights_may_come_in_a_list_of_one(backend_name):
    x, labels = _rand(4, 2), np.array([0, 1, 1, 1])
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    expected = model.test_on_batch(x, labels, sample_weight=np.array([1.0, 0.0, 0.0, 0.0]))
    assert model.test_on_batch(x, labels, sample_weight=[np.array([1.0, 0.0, 0.0, 0.0])]) == pytest.approx(expected)
    assert model.train_on_batch(x, labels, class_weight=[{0: 1.0, 1: 0.0}]) == pytest.approx(expected)


def test_sample_weight_and_class_weight_multiply(backend_name):
    # Keras 2.3.1 weighs each sample by both (Keras 2.2 ignored class_weight here).
    x, labels = _rand(4, 2), np.array([0, 1, 1, 1])
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    w, b = model.get_weights()
    per_sample = ((x @ w + b)[:, 0] - labels) ** 2
    weights = np.array([2.0, 1.0, 1.0, 1.0]) * np.array([1.0, 0.5, 0.5, 0.5])
    loss = model.train_on_batch(x, labels, sample_weight=np.array([2.0, 1.0, 1.0, 1.0]), class_weight={0: 1.0, 1: 0.5})
    assert loss == pytest.approx(float(np.mean(per_sample * weights)), rel=1e-5)


def test_class_weight_refuses_targets_with_timesteps(backend_name):
    model = Sequential([Dense(2, activation="softmax", input_shape=(3, 2))])
    model.compile("sgd", "categorical_crossentropy")
    targets = np.eye(2, dtype=np.float32)[np.zeros((4, 3), int)]
    with pytest.raises(ValueError, match="class_weight.*3\\+ dimensional targets"):
        model.fit(_rand(4, 3, 2), targets, class_weight={0: 1.0, 1: 2.0}, verbose=0)


def test_verbose_fit_with_validation_announces_the_split(backend_name, capsys):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    model.fit(_rand(8, 2), _rand(8, 1), validation_split=0.25, verbose=2)
    assert capsys.readouterr().out.startswith("Train on 6 samples, validate on 2 samples\nEpoch 1/1\n")
    model.fit(_rand(8, 2), _rand(8, 1), verbose=2)
    assert capsys.readouterr().out.startswith("Epoch 1/1\n")


def test_setting_trainable_without_recompiling_warns_and_summary_counts_what_fit_trains(backend_name):
    model = Sequential([Dense(2, input_shape=(3,)), Dense(1)])
    model.compile("sgd", "mse")
    model.layers[0].trainable = False
    lines = []
    with pytest.warns(UserWarning, match="Discrepancy"):  # Keras 2.3.1's summary warns too
        model.summary(print_fn=lines.append)
    assert "Trainable params: 11" in lines and "Non-trainable params: 0" in lines and "Total params: 11" in lines
    with pytest.warns(UserWarning, match="Discrepancy between trainable weights and collected trainable weights"):
        model.train_on_batch(_rand(2, 3), _rand(2, 1))
    model.compile("sgd", "mse")
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 3" in lines and "Non-trainable params: 8" in lines
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train_on_batch(_rand(2, 3), _rand(2, 1))


@pytest.mark.parametrize("freq, validated", [(2, [1, 3]), ([1, 4], [0, 3])])
def test_validation_freq_picks_the_epochs_that_validate(backend_name, freq, validated):
    x, y = _rand(8, 2), _rand(8, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, "val_loss" in logs)))
    model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=freq, verbose=0, callbacks=[record])
    assert seen == [(e, e in validated) for e in range(4)]
    seen.clear()
    batches = ((x, y) for _ in range(100))
    model.fit_generator(batches, steps_per_epoch=1, epochs=4, validation_data=(x, y), validation_freq=freq,
                        verbose=0, callbacks=[record])
    assert seen == [(e, e in validated) for e in range(4)]
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0)


def test_fit_generator_gives_callbacks_the_metric_names(backend_name):
    x, y = _rand(8, 2), _rand(8, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    record = callbacks.Callback()
    model.fit_generator(((x, y) for _ in range(9)), steps_per_epoch=2, epochs=1, validation_data=(x, y), verbose=0,
                        callbacks=[record])
    assert record.params["metrics"] == ["loss", "mae", "val_loss", "val_mae"]
    assert record.params["do_validation"] and record.params["steps"] == 2


def test_an_output_missing_from_the_loss_dict_takes_no_targets(backend_name):
    x = Input(shape=(2,))
    scored = Dense(1, name="scored", kernel_initializer="ones")(x)
    model = Model(x, [scored, Dense(3, name="embedding")(x)])
    with pytest.warns(UserWarning, match="Output 'embedding' missing from loss dictionary"):
        model.compile("sgd", loss={"scored": "mse"}, metrics=["mae"])
    assert model.metrics_names == ["loss", "scored_loss", "scored_mae"]
    data, targets = _rand(10, 2), _rand(10, 1, seed=1)
    seen = {}

    class Grab(callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["validation"] = self.validation_data

    history = model.fit(data, {"scored": targets}, epochs=2, batch_size=4, validation_split=0.2, verbose=0,
                        callbacks=[Grab()])
    assert sorted(history.history) == ["loss", "scored_loss", "scored_mae", "val_loss", "val_scored_loss", "val_scored_mae"]
    assert len(seen["validation"]) == 3  # x, the scored targets and their weights
    loss, scored_loss, mae = model.evaluate(data, [targets], sample_weight=[np.ones(10)], verbose=0)
    expected = np.mean((model.predict(data)[0] - targets) ** 2)
    assert loss == pytest.approx(expected, rel=1e-5) and scored_loss == pytest.approx(expected, rel=1e-5)
    model.train_on_batch(data, targets)
    model.fit_generator(((data, targets) for _ in range(3)), steps_per_epoch=2, verbose=0)


def test_sequential_predict_classes_and_predict_proba(backend_name):
    softmax = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    data = _rand(5, 2)
    probabilities = softmax.predict(data)
    np.testing.assert_array_equal(softmax.predict_classes(data, batch_size=2), probabilities.argmax(axis=-1))
    np.testing.assert_allclose(softmax.predict_proba(data), probabilities)
    sigmoid = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    classes = sigmoid.predict_classes(data)
    assert classes.dtype == np.int32 and classes.shape == (5, 1)
    np.testing.assert_array_equal(classes, (sigmoid.predict(data) > 0.5).astype("int32"))
    with pytest.warns(UserWarning, match="invalid probability values"):
        Sequential([Dense(1, input_shape=(2,), kernel_initializer="ones", bias_initializer="ones")]).predict_proba(data)


def test_to_categorical_as_in_keras2():
    from multinn.utils import to_categorical

    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(to_categorical(labels), np.eye(3, dtype=np.float32)[labels])
    assert to_categorical(labels).dtype == np.float32
    assert to_categorical(labels[:, None], num_classes=5).shape == (4, 5)
    assert to_categorical(labels.reshape(2, 2)).shape == (2, 2, 3)
    assert to_categorical([1, 0], dtype="int32").dtype == np.int32


def test_fit_generator_reads_a_sequence_in_shuffled_order_each_epoch(backend_name):
    from multinn.utils import Sequence

    x, y = _rand(16, 2), _rand(16, 1, seed=1)

    class Batches(Sequence):
        def __init__(self):
            self.read, self.epochs_ended = [], 0

        def __len__(self):
            return 8

        def __getitem__(self, index):
            self.read.append(index)
            return x[2 * index:2 * index + 2], y[2 * index:2 * index + 2]

        def on_epoch_end(self):
            self.epochs_ended += 1

    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    multinn.utils.set_random_seed(3)
    batches = Batches()
    model.fit_generator(batches, epochs=2, verbose=0)
    assert sorted(batches.read[:8]) == list(range(8)) and sorted(batches.read[8:]) == list(range(8))
    assert batches.read[:8] != list(range(8)) and batches.read[:8] != batches.read[8:]
    assert batches.epochs_ended == 2  # after each pass, as Keras 2.3.1's enqueuer does
    in_order = Batches()
    model.fit_generator(in_order, epochs=1, shuffle=False, verbose=0)
    assert in_order.read == list(range(8))
    assert model.evaluate_generator(in_order) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)


def test_metrics_skip_masked_timesteps_like_the_loss(backend_name):
    from multinn.layers import Lambda

    inputs = Input(shape=(3, 1))
    masked = Lambda(lambda t: t, mask=lambda t, mask: K.any(K.not_equal(t, 0), axis=-1))(inputs)
    model = Model(inputs, Dense(1, kernel_initializer="ones", use_bias=False)(masked))
    model.compile("sgd", "mae", metrics=["mae"], weighted_metrics=["mae"])
    data, targets = np.array([[[1.0], [2.0], [0.0]]], np.float32), np.zeros((1, 3, 1), np.float32)
    # Keras 2 masks metrics as it masks the loss: the mean over the two unmasked steps
    np.testing.assert_allclose(model.evaluate(data, targets, verbose=0), [1.5, 1.5, 1.5], rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(data, targets)[1], 1.5, rtol=1e-5)


def test_an_epoch_stopped_by_a_batch_callback_is_not_validated(backend_name, tmp_path):
    x, y = _rand(8, 2), _rand(8, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")

    def stop_in_second_epoch(batch, logs):
        if len(seen) == 1:
            model.stop_training = True

    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)),
                                      on_batch_end=stop_in_second_epoch)
    log = str(tmp_path / "log.csv")
    model.fit(x, y, epochs=3, batch_size=4, validation_data=(x, y), verbose=0,
              callbacks=[record, callbacks.CSVLogger(log)])
    assert seen == [["loss", "val_loss"], ["loss"]]
    assert open(log).read().splitlines()[2].endswith(",NA")  # as Keras 2's CSVLogger writes it


def test_generator_methods_drive_callbacks_like_the_array_methods(backend_name):
    x, y = _rand(6, 2), _rand(6, 1, seed=1)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    events = _Events()
    seen = {}
    grab = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.update(data=grab.validation_data))
    model.fit_generator(((x, y) for _ in range(9)), steps_per_epoch=1, validation_data=(x, y), verbose=0,
                        callbacks=[events, grab])
    assert [len(a) for a in seen["data"]] == [6, 6, 6]
    assert events.events[-3:] == [("test_begin",), ("test_batch_end", 0, 6, ["loss"]), ("test_end",)]

    events.events = []
    batches = [(x[:4], y[:4]), (x[4:], y[4:])]
    model.evaluate_generator(iter(batches), steps=2, callbacks=[events])
    assert events.events == [("test_begin",), ("test_batch_end", 0, 4, ["loss"]), ("test_batch_end", 1, 2, ["loss"]),
                             ("test_end",)]
    events.events = []
    model.predict_generator(iter(batches), steps=2, callbacks=[events])
    assert events.events == [("predict_begin",), ("predict_batch_end", 0, 4, (4, 1)), ("predict_batch_end", 1, 2, (2, 1)),
                             ("predict_end",)]
    with pytest.raises(ValueError, match="`steps=None` is only valid for a generator based on a Sequence"):
        model.evaluate_generator(iter(batches))
    with pytest.raises(ValueError, match="`validation_steps=None` is only valid"):
        model.fit_generator(iter(batches * 3), steps_per_epoch=1, validation_data=iter(batches), verbose=0)


def test_metrics_as_a_list_of_lists_give_each_output_its_own(backend_name):
    model = _two_softmax_outputs()
    model.compile("sgd", "categorical_crossentropy", metrics=[["accuracy"], ["mae", "mse"]])
    assert model.metrics_names == ["loss", "o1_loss", "o2_loss", "o1_accuracy", "o2_mae", "o2_mse"]
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("sgd", "categorical_crossentropy", metrics=[["accuracy"]])


def test_loss_weights_dict_with_an_unknown_output_is_refused(backend_name):
    model = _two_softmax_outputs()
    with pytest.raises(ValueError, match="Unknown entry in loss_weights dictionary: 'o3'"):
        model.compile("sgd", "categorical_crossentropy", loss_weights={"o1": 1.0, "o3": 0.5})


def test_sample_weight_mode_per_output(backend_name):
    x = Input(shape=(3, 2))
    model = Model(x, [Dense(1, name="steps")(x), Dense(1, name="whole")(multinn.layers.Flatten()(x))])
    with pytest.raises(ValueError, match="'whole' missing from sample_weight_mode"):
        model.compile("sgd", "mse", sample_weight_mode={"steps": "temporal"})
    model.compile("sgd", "mse", sample_weight_mode={"steps": "temporal", "whole": None})
    data = _rand(4, 3, 2)
    targets = [np.zeros((4, 3, 1), np.float32), np.zeros((4, 1), np.float32)]
    step_weights, sample_weights = np.ones((4, 3)), np.ones(4)
    plain = model.test_on_batch(data, targets)
    assert model.test_on_batch(data, targets, sample_weight=[step_weights, sample_weights]) == pytest.approx(plain, rel=1e-5)
    with pytest.raises(ValueError, match="sample_weight_mode='temporal'"):
        model.test_on_batch(data, targets, sample_weight=[step_weights, step_weights])
    model.compile("sgd", "mse", sample_weight_mode=["temporal", None])
    assert model.test_on_batch(data, targets, sample_weight=[step_weights, sample_weights]) == pytest.approx(plain, rel=1e-5)


def test_k_function_on_graph_tensors_reads_intermediate_outputs(backend_name):
    from multinn.layers import Dropout

    multinn.utils.set_random_seed(0)
    model = Sequential([Dense(4, input_shape=(3,), name="first"), Dropout(0.5), Dense(2)])
    data = _rand(5, 3)
    kernel, bias = model.get_layer("first").get_weights()
    # the Keras 2 recipe for intermediate outputs, with the learning phase fed
    get_hidden = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    test_mode = get_hidden([data, 0])
    assert isinstance(test_mode, list) and isinstance(test_mode[0], np.ndarray)
    np.testing.assert_allclose(test_mode[0], data @ kernel + bias, rtol=1e-5, atol=1e-6)
    train_mode = get_hidden([data, 1])[0]
    assert np.all((train_mode == 0) | np.isclose(train_mode, 2 * (data @ kernel + bias), rtol=1e-5, atol=1e-6))
    assert (train_mode == 0).any()
    whole = K.function(model.inputs, model.outputs)
    np.testing.assert_allclose(whole([data])[0], model.predict(data), rtol=1e-5, atol=1e-6)
    before = K.get_uid("model")
    single = K.function([model.input], model.output)
    assert single([data]).shape == (5, 2)
    assert K.get_uid("model") == before + 1  # no default model name used up
    kept = K.get_value(model.weights[0])
    K.function([model.input], [model.output], updates=[(model.weights[0], model.weights[0] * 2.0)])([data])
    np.testing.assert_allclose(K.get_value(model.weights[0]), 2.0 * kept)  # updates run (Keras 2's training steps)
    with pytest.raises(ValueError, match="takes a list of 2 values"):
        get_hidden([data])


def test_evaluate_shows_keras2s_bar_only_with_verbose_1(backend_name, capsys):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    model.evaluate(_rand(4, 2), _rand(4, 1), verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("4/4 [==============================]") and "/step - loss:" in out
    model.evaluate(_rand(4, 2), _rand(4, 1), verbose=2)
    assert capsys.readouterr().out == ""


def test_misspelled_keywords_of_compile_and_fit_suggest_the_real_ones(backend_name):
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(TypeError, match="unexpected keyword argument 'metric'. Did you mean 'metrics'"):
        model.compile("sgd", "mse", metric=["mae"])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'. Did you mean 'epochs'"):
        model.fit(_rand(2, 2), _rand(2, 1), epoch=2)
    with pytest.warns(UserWarning, match="Keras 1 arguments"):  # Keras 1 spelling still read, with Keras 2's warning
        assert model.fit(_rand(2, 2), _rand(2, 1), nb_epoch=2, verbose=0).epoch == [0, 1]


def test_fit_evaluate_predict_take_a_generator_or_sequence_as_in_keras_2_3(backend_name):
    from multinn.utils import Sequence

    x, y = _rand(8, 2), _rand(8, 1, seed=1)

    class Batches(Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[4 * index:4 * index + 4], y[4 * index:4 * index + 4]

    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    history = model.fit(Batches(), epochs=2, verbose=0, validation_data=Batches())
    assert sorted(history.history) == ["loss", "val_loss"] and history.epoch == [0, 1]
    model.fit(((x, y) for _ in range(4)), steps_per_epoch=2, epochs=2, verbose=0)
    assert model.evaluate(Batches(), verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
    assert model.evaluate(((x, y) for _ in range(1)), steps=1, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(model.predict(Batches()), model.predict(x), rtol=1e-5)
    with pytest.raises(ValueError, match="`y` argument is not supported when data is a generator"):
        model.fit(Batches(), y, verbose=0)
    with pytest.raises(ValueError, match="cannot use `validation_split`"):
        model.fit(Batches(), validation_split=0.5, verbose=0)
