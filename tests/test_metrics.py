"""Metrics: every function against a NumPy reference, Keras 2's accuracy resolution, identifiers."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import losses, metrics
from tests.helpers import rand

RNG = np.random.default_rng(3)
P = RNG.permutation(24).reshape(4, 6).astype(np.float32) / 24.0  # distinct scores: no ties
# Targets ranked 0 (the arg-max), 5 (last), 0 and 2 among the six scores.
LABELS = np.argmax(P, -1).astype(np.int32)
LABELS[1] = np.argmin(P[1])
LABELS[3] = np.argsort(P[3])[-3]
ONE_HOT = np.eye(6, dtype=np.float32)[LABELS]


def _rank(scores, labels):
    """How many classes score strictly higher than the target (0 = the arg-max)."""
    target = np.take_along_axis(scores, labels[:, None], axis=-1)
    return (scores > target).sum(-1)


def _eval(fn, *args, **kwargs):
    out = fn(*[K.constant(a) if a.dtype.kind == "f" else K.constant(a, dtype=str(a.dtype)) for a in args], **kwargs)
    assert isinstance(out, K.Tensor)
    assert K.dtype(out) == K.floatx()
    return K.eval(out)


def test_binary_accuracy(backend_name):
    t = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], np.float32)
    p = np.array([[0.9, 0.4, 0.2, 0.6], [0.1, 0.55, 0.7, 0.51]], np.float32)
    np.testing.assert_allclose(_eval(metrics.binary_accuracy, t, p), [0.5, 0.75])
    np.testing.assert_allclose(_eval(metrics.binary_accuracy, t, p, threshold=0.65), [0.75, 0.75])
    expected = np.mean(t == (p > 0.3), axis=-1)
    np.testing.assert_allclose(_eval(metrics.binary_accuracy, t, p, threshold=0.3), expected)


def test_categorical_accuracy(backend_name):
    expected = (np.argmax(P, -1) == LABELS).astype(np.float32)
    np.testing.assert_array_equal(expected, [1, 0, 1, 0])
    np.testing.assert_array_equal(_eval(metrics.categorical_accuracy, ONE_HOT, P), expected)
    hit = ONE_HOT.copy()
    hit[:] = np.eye(6)[np.argmax(P, -1)]
    np.testing.assert_array_equal(_eval(metrics.categorical_accuracy, hit, P), np.ones(4))


def test_sparse_categorical_accuracy(backend_name):
    expected = (_rank(P, LABELS) == 0).astype(np.float32)
    for labels in [LABELS, LABELS.reshape(4, 1), LABELS.astype(np.float32)]:
        np.testing.assert_array_equal(_eval(metrics.sparse_categorical_accuracy, labels, P), expected)
    argmax = np.argmax(P, -1).astype(np.int32)
    np.testing.assert_array_equal(_eval(metrics.sparse_categorical_accuracy, argmax, P), np.ones(4))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6])
def test_top_k_accuracies(backend_name, k):
    np.testing.assert_array_equal(_rank(P, LABELS), [0, 5, 0, 2])
    expected = (_rank(P, LABELS) < k).astype(np.float32)
    np.testing.assert_array_equal(_eval(metrics.top_k_categorical_accuracy, ONE_HOT, P, k=k), expected)
    np.testing.assert_array_equal(_eval(metrics.sparse_top_k_categorical_accuracy, LABELS, P, k=k), expected)
    np.testing.assert_array_equal(
        _eval(metrics.sparse_top_k_categorical_accuracy, LABELS.reshape(4, 1), P, k=k), expected
    )


def test_top_k_default_is_5_and_higher_rank(backend_name):
    expected = (_rank(P, LABELS) < 5).astype(np.float32)
    np.testing.assert_array_equal(_eval(metrics.top_k_categorical_accuracy, ONE_HOT, P), expected)
    got = _eval(metrics.top_k_categorical_accuracy, ONE_HOT.reshape(2, 2, 6), P.reshape(2, 2, 6), k=2)
    np.testing.assert_array_equal(got, (_rank(P, LABELS) < 2).reshape(2, 2))


def test_regression_metrics_match_losses(backend_name):
    t, p = rand(3, 4, seed=1, low=0.1, high=2.0), rand(3, 4, seed=2, low=0.1, high=2.0)
    refs = {
        "mse": ((p - t.astype(np.float64)) ** 2).mean(-1),
        "mae": np.abs(p - t.astype(np.float64)).mean(-1),
        "mape": 100 * np.abs((t - p.astype(np.float64)) / t).mean(-1),
        "msle": ((np.log1p(p.astype(np.float64)) - np.log1p(t)) ** 2).mean(-1),
        # Keras 2.3: the metric is the cosine similarity itself, the loss its negative.
        "cosine_proximity": (t * p.astype(np.float64)).sum(-1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1)),
    }
    for name, ref in refs.items():
        fn = metrics.get(name)
        np.testing.assert_allclose(_eval(fn, t, p), ref, rtol=1e-5, err_msg=name)
    for fn in (metrics.cosine_similarity, metrics.cosine, metrics.get("cosine")):
        np.testing.assert_allclose(_eval(fn, t, p), refs["cosine_proximity"], rtol=1e-5)
    np.testing.assert_allclose(_eval(losses.cosine_proximity, t, p), -refs["cosine_proximity"], rtol=1e-5)
    assert metrics.mse is losses.mean_squared_error


def test_accuracy_is_elementwise_equality(backend_name):
    t = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    p = np.array([[1.0, 0.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(_eval(metrics.accuracy, t, p), (t == p).astype(np.float32))
    assert metrics.get("accuracy") is metrics.accuracy


@pytest.mark.parametrize(
    "loss,shape,expected",
    [
        ("binary_crossentropy", (None, 3), "binary_accuracy"),
        (losses.binary_crossentropy, (None, 3), "binary_accuracy"),
        (losses.BinaryCrossentropy(from_logits=True), (None, 3), "binary_accuracy"),
        ("mse", (None, 1), "binary_accuracy"),
        ("categorical_crossentropy", (None, 1), "binary_accuracy"),
        ("sparse_categorical_crossentropy", (None, 10), "sparse_categorical_accuracy"),
        (losses.SparseCategoricalCrossentropy(), (None, 10), "sparse_categorical_accuracy"),
        ("categorical_crossentropy", (None, 10), "categorical_accuracy"),
        (losses.CategoricalCrossentropy(), (None, 10), "categorical_accuracy"),
        ("mse", (None, 4), "categorical_accuracy"),
        (lambda t, p: K.mean(p - t, axis=-1), (None, 4), "categorical_accuracy"),
    ],
)
def test_resolve_accuracy_follows_keras_2(loss, shape, expected):
    assert metrics.resolve_accuracy(loss, shape) is getattr(metrics, expected)
    for name in ["acc", "accuracy"]:
        assert metrics.resolve(name, loss, shape) is getattr(metrics, expected)
    crossentropy = expected.replace("accuracy", "crossentropy")
    assert metrics.resolve("ce", loss, shape) is getattr(losses, crossentropy)
    assert metrics.resolve_crossentropy(loss, shape) is getattr(losses, crossentropy)


def test_resolve_passes_other_identifiers_to_get():
    assert metrics.resolve("mae", "mse", (None, 1)) is losses.mean_absolute_error

    def my_metric(y_true, y_pred):
        return K.mean(y_pred, axis=-1)

    assert metrics.resolve(my_metric, "mse", (None, 1)) is my_metric


def test_get_serialize_round_trip():
    for fn in [
        metrics.binary_accuracy, metrics.categorical_accuracy, metrics.sparse_categorical_accuracy,
        metrics.top_k_categorical_accuracy, metrics.sparse_top_k_categorical_accuracy, metrics.cosine_similarity,
        metrics.mean_squared_error, metrics.kullback_leibler_divergence, metrics.binary_crossentropy,
    ]:
        name = metrics.serialize(fn)
        assert isinstance(name, str) and metrics.get(name) is fn and metrics.deserialize(name) is fn
    for alias, fn in [("mse", losses.mse), ("MAE", losses.mae), ("mape", losses.mape), ("msle", losses.msle),
                      ("kld", losses.kld), ("cosine", metrics.cosine_proximity)]:
        assert metrics.get(alias) is fn


def test_user_callables(backend_name):
    def my_metric(y_true, y_pred):
        return K.mean(K.abs(y_true - y_pred), axis=-1)

    assert metrics.get(my_metric) is my_metric
    assert metrics.get(None) is None
    assert metrics.deserialize("my_metric", custom_objects={"my_metric": my_metric}) is my_metric


def test_context_names_and_unknown_names():
    for name in ["acc", "ce", "crossentropy"]:
        with pytest.raises(ValueError, match=rf"'{name}' depends on the loss.*metrics.resolve"):
            metrics.get(name)
    with pytest.raises(ValueError, match="Unknown metric function 'acuracy'. Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Unknown metric function 'binary_acuracy'. Did you mean 'binary_accuracy'"):
        metrics.get("binary_acuracy")
    with pytest.raises(ValueError, match="Received: metric=2"):
        metrics.get(2)
