"""Losses: every function against a NumPy reference, gradients, Loss objects, identifiers."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import losses
from tests.helpers import rand

EPS = 1e-7
RNG = np.random.default_rng(7)
REAL_T = rand(4, 3, seed=1)
REAL_P = rand(4, 3, seed=2)
POS_T = rand(4, 3, seed=3, low=0.1, high=2.0)
POS_P = rand(4, 3, seed=4, low=0.1, high=2.0)
PROB_P = (lambda a: a / a.sum(-1, keepdims=True))(rand(4, 3, seed=5, low=0.1, high=1.0))
PROB_T = (lambda a: a / a.sum(-1, keepdims=True))(rand(4, 3, seed=6, low=0.1, high=1.0))
ONE_HOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
BIN_T = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]], np.float32)
BIN_P = rand(4, 3, seed=8, low=0.05, high=0.95)
PM1_T = 2 * BIN_T - 1
LOGITS = rand(4, 3, seed=9, low=-3.0, high=3.0)


def _logcosh_ref(t, p):
    return np.mean(np.log(np.cosh(p.astype(np.float64) - t)), -1)


def _huber_ref(t, p, delta=1.0):
    e = np.abs(p.astype(np.float64) - t)
    return np.mean(np.where(e <= delta, e**2 / 2, delta * (e - delta / 2)), -1)


def _xent_ref(t, p):
    p = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    p = p / p.sum(-1, keepdims=True)
    return -np.sum(t * np.log(p), -1)


def _bxent_ref(t, p):
    p = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), -1)


def _log_softmax(z):
    z = z.astype(np.float64)
    return z - z.max(-1, keepdims=True) - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True))


def _cos_ref(t, p):
    t, p = t.astype(np.float64), p.astype(np.float64)
    return -(t * p).sum(-1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1))


# name: (function, reference, y_true, y_pred, check gradient w.r.t. y_pred)
CASES = {
    "mse": (losses.mean_squared_error, lambda t, p: ((p.astype(np.float64) - t) ** 2).mean(-1), REAL_T, REAL_P),
    "mae": (losses.mean_absolute_error, lambda t, p: np.abs(p.astype(np.float64) - t).mean(-1), REAL_T, REAL_P),
    "mape": (
        losses.mean_absolute_percentage_error,
        lambda t, p: 100 * np.mean(np.abs(t - p.astype(np.float64)) / np.abs(t), -1),
        POS_T,
        REAL_P,
    ),
    "msle": (
        losses.mean_squared_logarithmic_error,
        lambda t, p: np.mean((np.log1p(p.astype(np.float64)) - np.log1p(t)) ** 2, -1),
        POS_T,
        POS_P,
    ),
    "squared_hinge": (
        losses.squared_hinge,
        lambda t, p: np.mean(np.maximum(1 - (2 * t - 1) * p, 0) ** 2, -1),
        BIN_T,
        REAL_P * 2,
    ),
    "hinge": (losses.hinge, lambda t, p: np.mean(np.maximum(1 - (2 * t - 1) * p, 0), -1), BIN_T, REAL_P * 2),
    "hinge_pm1": (losses.hinge, lambda t, p: np.mean(np.maximum(1 - t * p, 0), -1), PM1_T, REAL_P * 2),
    "categorical_hinge": (
        losses.categorical_hinge,
        lambda t, p: np.maximum(np.max(p - t * p, -1) - np.einsum("ij,ij->i", t, p) + 1, 0),
        ONE_HOT,
        REAL_P,
    ),
    "logcosh": (losses.logcosh, _logcosh_ref, REAL_T, REAL_P * 3),
    "huber": (losses.huber, _huber_ref, REAL_T * 2, REAL_P * 2),
    "huber_delta": (lambda t, p: losses.huber(t, p, delta=0.3), lambda t, p: _huber_ref(t, p, 0.3), REAL_T, REAL_P),
    "categorical_crossentropy": (losses.categorical_crossentropy, _xent_ref, ONE_HOT, PROB_P),
    "categorical_crossentropy_soft": (losses.categorical_crossentropy, _xent_ref, PROB_T, PROB_P),
    "categorical_crossentropy_logits": (
        lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True),
        lambda t, z: -np.sum(t * _log_softmax(z), -1),
        PROB_T,
        LOGITS,
    ),
    "categorical_crossentropy_smoothing": (
        lambda t, p: losses.categorical_crossentropy(t, p, label_smoothing=0.2),
        lambda t, p: _xent_ref(t * 0.8 + 0.2 / 3, p),
        ONE_HOT,
        PROB_P,
    ),
    "binary_crossentropy": (losses.binary_crossentropy, _bxent_ref, BIN_T, BIN_P),
    "binary_crossentropy_logits": (
        lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
        lambda t, z: np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z.astype(np.float64)))), -1),
        BIN_T,
        LOGITS,
    ),
    "binary_crossentropy_smoothing": (
        lambda t, p: losses.binary_crossentropy(t, p, label_smoothing=0.1),
        lambda t, p: _bxent_ref(t * 0.9 + 0.05, p),
        BIN_T,
        BIN_P,
    ),
    "kld": (
        losses.kullback_leibler_divergence,
        lambda t, p: np.sum(t * (np.log(t.astype(np.float64)) - np.log(p)), -1),
        PROB_T,
        PROB_P,
    ),
    "poisson": (losses.poisson, lambda t, p: np.mean(p - t * np.log(p.astype(np.float64)), -1), POS_T, POS_P),
    "cosine_similarity": (losses.cosine_similarity, _cos_ref, REAL_T, REAL_P),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_values(backend_name, name):
    fn, ref, t, p = CASES[name]
    got = fn(K.constant(t), K.constant(p))
    assert isinstance(got, K.Tensor) and got.shape == (4,), got.shape
    assert K.dtype(got) == "float32"
    np.testing.assert_allclose(K.eval(got), ref(t, p), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_gradients(backend_name, name):
    fn, _, t, p = CASES[name]
    target = K.constant(t.astype(np.float64), dtype="float64")
    K.check_gradients(lambda y: fn(target, y), [p.astype(np.float64)], atol=1e-5, rtol=1e-4)


def test_higher_rank_reduces_last_axis_only(backend_name):
    t, p = rand(2, 5, 3, seed=11), rand(2, 5, 3, seed=12)
    got = losses.mse(K.constant(t), K.constant(p))
    assert got.shape == (2, 5)
    np.testing.assert_allclose(K.eval(got), ((t - p) ** 2).mean(-1), rtol=1e-6)


def test_sparse_categorical_crossentropy(backend_name):
    labels = np.array([0, 2, 1, 2], np.int32)
    got = losses.sparse_categorical_crossentropy(K.constant(labels, dtype="int32"), K.constant(PROB_P))
    np.testing.assert_allclose(K.eval(got), _xent_ref(ONE_HOT, PROB_P), rtol=1e-5)
    got = losses.sparse_categorical_crossentropy(
        K.constant(labels.reshape(4, 1), dtype="int32"), K.constant(LOGITS), from_logits=True
    )
    np.testing.assert_allclose(K.eval(got), -np.sum(ONE_HOT * _log_softmax(LOGITS), -1), rtol=1e-5)
    target = K.constant(labels, dtype="int32")
    K.check_gradients(
        lambda z: losses.sparse_categorical_crossentropy(target, z, from_logits=True), [LOGITS.astype(np.float64)]
    )


def test_categorical_crossentropy_hands_y_pred_to_k_unchanged(backend_name, monkeypatch):
    seen = {}
    real = K.categorical_crossentropy

    def spy(target, output, from_logits=False, *args, **kwargs):
        seen["output"], seen["from_logits"] = output, from_logits
        return real(target, output, from_logits, *args, **kwargs)

    monkeypatch.setattr(K, "categorical_crossentropy", spy)
    y_pred = K.softmax(K.constant(LOGITS))
    losses.categorical_crossentropy(K.constant(ONE_HOT), y_pred)
    assert seen["output"] is y_pred and seen["from_logits"] is False
    losses.get("categorical_crossentropy")(K.constant(ONE_HOT), y_pred)
    assert seen["output"] is y_pred


def test_hinge_keeps_non_binary_targets(backend_name):
    # Targets that are not all 0/1 are used as they are (here all -1/1 except one 0).
    t = np.array([[-1.0, 1.0, 0.0]], np.float32)
    p = np.array([[0.3, -0.2, 0.5]], np.float32)
    np.testing.assert_allclose(K.eval(losses.hinge(K.constant(t), K.constant(p))), np.mean(np.maximum(1 - t * p, 0), -1), rtol=1e-6)


def test_logcosh_is_finite_for_large_errors(backend_name):
    got = K.eval(losses.logcosh(K.constant([[0.0]]), K.constant([[200.0]])))
    np.testing.assert_allclose(got, [200.0 - np.log(2.0)], rtol=1e-6)


def test_aliases():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error and losses.mape is losses.mean_absolute_percentage_error
    assert losses.msle is losses.mean_squared_logarithmic_error and losses.kld is losses.kullback_leibler_divergence
    assert losses.cosine_proximity is losses.cosine_similarity
    for name, fn in [("mse", losses.mse), ("MAE", losses.mae), ("kld", losses.kld), ("huber_loss", losses.huber_loss),
                     ("cosine_proximity", losses.cosine_similarity), ("log_cosh", losses.logcosh)]:
        assert losses.get(name) is fn


def test_huber_loss_keeps_keras_2_3_per_element_shape(backend_name):
    t, p = REAL_T * 2, REAL_P * 2
    e = np.abs(p.astype(np.float64) - t)
    expected = np.where(e <= 0.7, e**2 / 2, 0.7 * (e - 0.35))
    got = K.eval(losses.huber_loss(K.constant(t), K.constant(p), delta=0.7))
    assert got.shape == (4, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # The Huber object reduces over every element, as Keras 2.3's does.
    np.testing.assert_allclose(float(losses.Huber(0.7)(K.constant(t), K.constant(p))), expected.mean(), rtol=1e-5)


# ------------------------------------------------------------------ Loss objects
def test_loss_object_reductions_and_sample_weight(backend_name):
    t = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)
    p = np.array([[1.0, 1.0], [1.0, 0.0]], np.float32)
    assert float(losses.MeanSquaredError()(t, p)) == pytest.approx(0.5)
    assert float(losses.MeanSquaredError()(t, p, sample_weight=[0.7, 0.3])) == pytest.approx(0.25)
    assert float(losses.MeanSquaredError(reduction="sum")(t, p)) == pytest.approx(1.0)
    np.testing.assert_allclose(K.eval(losses.MeanSquaredError(reduction="none")(t, p)), [0.5, 0.5])
    np.testing.assert_allclose(
        K.eval(losses.MeanAbsoluteError(reduction="none")(t, p, sample_weight=np.array([[2.0], [0.5]]))), [1.0, 0.25]
    )
    # Per-element weights on a (batch, time) loss.
    t3, p3 = rand(2, 3, 4, seed=1), rand(2, 3, 4, seed=2)
    w = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.0]], np.float32)
    got = losses.MeanSquaredError()(t3, p3, sample_weight=w)
    np.testing.assert_allclose(float(got), (((t3 - p3) ** 2).mean(-1) * w).sum() / 6, rtol=1e-5)
    with pytest.raises(ValueError, match="reduction='mean'"):
        losses.MeanSquaredError(reduction="mean")


@pytest.mark.parametrize(
    "obj,fn,t,p",
    [
        (losses.MeanSquaredError(), losses.mse, REAL_T, REAL_P),
        (losses.MeanAbsolutePercentageError(), losses.mape, POS_T, REAL_P),
        (losses.MeanSquaredLogarithmicError(), losses.msle, POS_T, POS_P),
        (losses.Hinge(), losses.hinge, BIN_T, REAL_P),
        (losses.SquaredHinge(), losses.squared_hinge, BIN_T, REAL_P),
        (losses.CategoricalHinge(), losses.categorical_hinge, ONE_HOT, REAL_P),
        (losses.LogCosh(), losses.logcosh, REAL_T, REAL_P),
        (losses.Huber(0.5), lambda t, p: losses.huber(t, p, 0.5), REAL_T, REAL_P),
        (losses.CategoricalCrossentropy(from_logits=True), lambda t, p: losses.categorical_crossentropy(t, p, True), ONE_HOT, LOGITS),
        (losses.BinaryCrossentropy(label_smoothing=0.1), lambda t, p: losses.binary_crossentropy(t, p, label_smoothing=0.1), BIN_T, BIN_P),
        (losses.KLDivergence(), losses.kld, PROB_T, PROB_P),
        (losses.Poisson(), losses.poisson, POS_T, POS_P),
        (losses.CosineSimilarity(axis=-1), losses.cosine_similarity, REAL_T, REAL_P),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, losses.Loss) else "",
)
def test_loss_objects_average_their_function(backend_name, obj, fn, t, p):
    expected = K.eval(fn(K.constant(t), K.constant(p))).mean()
    np.testing.assert_allclose(float(obj(K.constant(t), K.constant(p))), expected, rtol=1e-5)


def test_sparse_loss_object(backend_name):
    labels = K.constant([0, 2, 1, 2], dtype="int32")
    got = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, K.constant(LOGITS))
    np.testing.assert_allclose(float(got), -np.sum(ONE_HOT * _log_softmax(LOGITS), -1).mean(), rtol=1e-5)


def test_targets_without_trailing_axis(backend_name):
    t = np.array([1.0, 2.0], np.float32)
    p = np.array([[1.5], [1.0]], np.float32)
    np.testing.assert_allclose(K.eval(losses.MeanSquaredError(reduction="none")(t, p)), [0.25, 1.0])


def test_custom_loss_subclass(backend_name):
    class MeanCube(losses.Loss):
        def call(self, y_true, y_pred):
            return K.mean(K.abs(y_pred - y_true) ** 3, axis=-1)

    assert float(MeanCube()(K.constant([[0.0, 0.0]]), K.constant([[1.0, 2.0]]))) == pytest.approx(4.5)


def test_loss_object_configs_round_trip(backend_name):
    for obj in [
        losses.MeanSquaredError(),
        losses.Huber(delta=2.0, reduction="sum", name="h"),
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        losses.SparseCategoricalCrossentropy(True),
        losses.BinaryCrossentropy(label_smoothing=0.2),
        losses.CosineSimilarity(axis=0),
        losses.KLDivergence(),
    ]:
        config = losses.serialize(obj)
        assert config["class_name"] == type(obj).__name__
        back = losses.deserialize(config)
        assert type(back) is type(obj) and back.get_config() == obj.get_config()
    assert losses.Huber().get_config() == {"reduction": "sum_over_batch_size", "name": "huber_loss", "delta": 1.0}
    assert losses.BinaryCrossentropy().get_config() == {
        "reduction": "sum_over_batch_size", "name": "binary_crossentropy", "from_logits": False, "label_smoothing": 0.0,
    }
    assert type(losses.get("BinaryCrossentropy")) is losses.BinaryCrossentropy
    with pytest.raises(TypeError, match="'form_logits'. Did you mean 'from_logits'"):
        losses.BinaryCrossentropy(form_logits=True)


def test_function_serialization_and_callables():
    for fn in [losses.mse, losses.categorical_crossentropy, losses.huber, losses.cosine_similarity]:
        assert losses.deserialize(losses.serialize(fn)) is fn
    assert losses.serialize(losses.mse) == "mean_squared_error"

    def my_loss(y_true, y_pred):
        return K.mean(K.abs(y_true - y_pred), axis=-1)

    assert losses.get(my_loss) is my_loss
    assert losses.get(None) is None
    assert losses.deserialize("my_loss", custom_objects={"my_loss": my_loss}) is my_loss


def test_unknown_names_suggest():
    with pytest.raises(ValueError, match="Unknown loss function 'mean_sqared_error'. Did you mean 'mean_squared_error'"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="Received: loss=1"):
        losses.get(1)
