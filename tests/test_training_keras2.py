"""Keras 2.3.1's training-loop contract: training_utils helpers, compile-time checks of
per-output arguments, fit/evaluate/predict keywords, Sequences that change length,
the trainable-weights warning, sparse input and `_set_inputs`."""
import warnings

import numpy as np
import pytest

from multinn import backend as K
from multinn import losses
from multinn.callbacks import Callback
from multinn.engine import training_utils as tu
from multinn.layers import Dense, Input
from multinn.models import Model, Sequential
from multinn.utils.data_utils import Sequence


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)


def test_standardize_weights_multiplies_sample_and_class_weights(backend_name):
    y = np.array([0, 1, 0, 0, 2])
    sample = np.array([0.5, 1.0, 1.0, 0.0, 2.0])
    per_class = np.array([0.5, 1.0, 0.5, 0.5, 1.5])
    np.testing.assert_allclose(K.eval(tu.standardize_weights(y, sample)), sample)
    np.testing.assert_allclose(K.eval(tu.standardize_weights(y, class_weight={0: 0.5, 1: 1.0, 2: 1.5})), per_class)
    np.testing.assert_allclose(K.eval(tu.standardize_weights(y, sample, {0: 0.5, 1: 1.0, 2: 1.5})), sample * per_class)
    assert tu.standardize_weights(y) is None


def test_class_and_sample_weights_together_in_training(backend_name):
    x, y = _rand(4, 3), np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    w, b = model.get_weights()
    sample = np.array([1.0, 2.0, 0.5, 1.0], dtype=np.float32)
    loss = model.train_on_batch(x, y, sample_weight=sample, class_weight={0: 3.0, 1: 1.0})
    weights = sample * np.array([3.0, 1.0, 1.0, 3.0])
    per_sample = ((x @ w + b - y) ** 2).mean(axis=1)
    assert float(loss) == pytest.approx(float(np.mean(per_sample * weights)), rel=1e-5)


def test_check_array_length_consistency():
    a, b = np.zeros((4, 3, 3)), np.zeros((3, 4))
    tu.check_array_length_consistency(None, None, None)
    tu.check_array_length_consistency(a, a, a)
    tu.check_array_length_consistency([a, a], [a, a], [a, a])
    tu.check_array_length_consistency([None], [None], [None])
    for args in ((a, None, None), (a, a, None), ([a], [None], None), ([a], [b], None), ([a], None, [b]), ([a, b], None, None)):
        with pytest.raises(ValueError, match="same number of samples"):
            tu.check_array_length_consistency(*args)


def test_check_loss_and_target_compatibility():
    a = np.zeros((2, 1, 3))
    tu.check_loss_and_target_compatibility([a], [losses.categorical_crossentropy], [a.shape])
    tu.check_loss_and_target_compatibility([a], [losses.categorical_crossentropy], [(2, None, 3)])
    tu.check_loss_and_target_compatibility([np.zeros((2, 3))], [losses.mean_squared_error], [(None, 4)])  # plain functions: no shape rule
    with pytest.raises(ValueError, match="You are passing a target array"):
        tu.check_loss_and_target_compatibility([np.zeros((2, 3, 1))], [losses.CategoricalCrossentropy()], [(2, 3, 1)])
    with pytest.raises(ValueError, match="targets to have the same shape"):
        tu.check_loss_and_target_compatibility([np.zeros((2, 3, 5))], [losses.CategoricalCrossentropy()], [(2, 3, 6)])
    tu.check_loss_and_target_compatibility([None, np.zeros((2, 3))], [None, losses.MeanSquaredError()], [(None, 1), (None, 3)])


def test_compile_time_loss_checks_reach_fit():
    model = Sequential([Dense(4, input_shape=(3,))])
    model.compile("sgd", losses.MeanSquaredError())
    with pytest.raises(ValueError, match="targets to have the same shape"):
        model.train_on_batch(np.zeros((2, 3)), np.zeros((2, 5)))


def test_weighted_masked_objective(backend_name):
    y_true, y_pred = _rand(4, 3), _rand(4, 3, seed=1)
    weights = np.array([1.0, 0.0, 2.0, 1.0], dtype=np.float32)
    mask = np.array([1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    weighted = tu.weighted_masked_objective(losses.mean_squared_error)
    score = ((y_true - y_pred) ** 2).mean(axis=1)
    got = weighted(K.constant(y_true), K.constant(y_pred), K.constant(weights))
    assert float(got) == pytest.approx(float(np.mean(score * weights) / np.mean(weights != 0)), rel=1e-5)
    masked = score * mask / mask.mean()
    got = weighted(K.constant(y_true), K.constant(y_pred), K.constant(weights), K.constant(mask))
    assert float(got) == pytest.approx(float(np.mean(masked * weights) / np.mean(weights != 0)), rel=1e-5)
    assert float(weighted(K.constant(y_true), K.constant(y_pred), None)) == pytest.approx(float(score.mean()), rel=1e-5)
    assert tu.weighted_masked_objective(None) is None


def _two_output_model():
    a = Input(shape=(3,), name="a")
    return Model(a, [Dense(2, name="d1")(a), Dense(2, name="d2")(a)])


def test_compile_checks_per_output_arguments():
    model = _two_output_model()
    with pytest.raises(TypeError, match="loss_weights"):
        model.compile("sgd", "mse", loss_weights=(0.5, 0.5))
    with pytest.raises(ValueError, match="Unknown entry in sample_weight_mode"):
        model.compile("sgd", "mse", sample_weight_mode={"lstm": "temporal"})
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("sgd", "mse", sample_weight_mode=["temporal"])
    with pytest.raises(ValueError, match="'d2' missing from sample_weight_mode"):
        model.compile("sgd", "mse", sample_weight_mode={"d1": "temporal"})
    with pytest.warns(UserWarning, match="missing from loss dictionary"):
        model.compile("sgd", {"d1": "mse"}, sample_weight_mode={"d1": None})  # d2 takes no loss, needs no mode
    model.compile("sgd", "mse", sample_weight_mode=[None, "temporal"])


def test_multi_output_weights_are_a_list_or_a_dict(backend_name):
    model = _two_output_model()
    model.compile("sgd", "mse")
    x, y1, y2 = _rand(4, 3), _rand(4, 2, seed=1), _rand(4, 2, seed=2)
    sw = np.ones(4, dtype=np.float32)
    with pytest.raises(TypeError, match="list with one entry per output or a dict"):
        model.test_on_batch(x, [y1, y2], sample_weight=(sw, sw))
    with pytest.raises(ValueError, match="Unknown entry in sample_weight dictionary: 'd3'"):
        model.test_on_batch(x, [y1, y2], sample_weight={"d3": sw})
    key = object()  # not an output name: ignored, as Keras 2 ignores unknown keys
    np.testing.assert_allclose(model.test_on_batch(x, [y1, y2], sample_weight={key: sw}), model.test_on_batch(x, [y1, y2]))


def test_fit_evaluate_predict_take_the_generator_keywords(backend_name):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = _rand(4, 2), _rand(4, 1, seed=1)
    keywords = {"max_queue_size": 2, "workers": 2, "use_multiprocessing": False}
    model.fit(x, y, verbose=0, **keywords)
    w, b = model.get_weights()
    assert model.evaluate(x, y, verbose=0, **keywords) == pytest.approx(float(np.mean((x @ w + b - y) ** 2)), rel=1e-5)
    np.testing.assert_allclose(model.predict(x, **keywords), x @ w + b, rtol=1e-5)


class _Growing(Sequence):
    """Batches of 1, 2, 3... samples: each epoch's end makes the batches bigger."""

    def __init__(self, n):
        self.n, self.batch = n, 1

    def __len__(self):
        return -(-self.n // self.batch)

    def __getitem__(self, i):
        size = min(self.batch, self.n - i * self.batch)
        return np.ones((size, 2), dtype=np.float32), np.ones((size, 1), dtype=np.float32)

    def on_epoch_end(self):
        self.batch += 1


class _Tracker(Callback):
    def __init__(self):
        super().__init__()
        self.batches, self.steps = [], []

    def set_params(self, params):
        super().set_params(params)
        self.steps.append(params["steps"])

    def on_batch_begin(self, batch, logs=None):
        self.batches.append(batch)


def test_a_sequence_is_read_whole_each_epoch_as_its_length_changes():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    tracker = _Tracker()
    model.fit_generator(_Growing(5), epochs=3, callbacks=[tracker], verbose=0)
    # 5 samples in batches of 1, 2 and 3: 5, 3 and 2 steps.
    assert tracker.batches == [0, 1, 2, 3, 4, 0, 1, 2, 0, 1]
    assert tracker.steps[:3] == [5, 3, 2]
    tracker = _Tracker()
    model.fit_generator(_Growing(5), steps_per_epoch=2, epochs=2, callbacks=[tracker], verbose=0)
    assert tracker.batches == [0, 1, 0, 1]  # a fixed step count stays


def test_summary_warns_when_trainable_changed_since_compile():
    a = Input(shape=(3,))
    inner = Model(a, Dense(1)(a))
    inner.trainable = False
    b = Input(shape=(3,))
    outer = Model(b, Dense(1)(inner(b)))
    outer.compile("adam", "mse")
    inner.trainable = True
    with pytest.warns(UserWarning, match="Discrepancy"):
        outer.summary(print_fn=lambda line: None)
    outer.compile("adam", "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outer.summary(print_fn=lambda line: None)


class _SparseLike:
    """The two things the loop asks of a SciPy sparse matrix: `nnz` and `toarray()`."""

    def __init__(self, dense):
        self.dense = dense
        self.nnz = int(np.count_nonzero(dense))
        self.shape = dense.shape

    def toarray(self):
        return self.dense


def test_sparse_matrices_are_fed_dense(backend_name):
    x, y = _rand(4, 3), _rand(4, 2, seed=1)
    x[x < 0] = 0
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    w, b = model.get_weights()
    np.testing.assert_allclose(model.predict(_SparseLike(x)), x @ w + b, rtol=1e-5)
    loss = model.evaluate(_SparseLike(x), _SparseLike(y), verbose=0)
    assert loss == pytest.approx(float(np.mean((x @ w + b - y) ** 2)), rel=1e-5)


def test_set_inputs(backend_name):
    model = Sequential([Dense(3, input_dim=4)])
    twin = Model(model.inputs, model.outputs)
    with pytest.raises(ValueError, match="already set"):
        twin._set_inputs(model.inputs)
    twin.inputs = None
    with pytest.raises(ValueError, match="Input tensors it was built from"):
        twin._set_inputs(Input(shape=(4,)))
    twin._set_inputs(model.input)
    x = _rand(2, 4)
    w, b = model.get_weights()
    np.testing.assert_allclose(twin.predict(x), x @ w + b, rtol=1e-5)
