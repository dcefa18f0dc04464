"""Stateful metric objects (Keras 2.3's classes) against NumPy references, on every backend."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import metrics
from multinn.utils import metrics_utils
from tests.helpers import rand


def _val(t):
    return np.asarray(K.eval(t), dtype=np.float64)


# ------------------------------------------------------------------ base: Mean, Sum
def test_sum_accumulates_with_weights(backend_name):
    m = metrics.Sum(name="my_sum")
    assert m.name == "my_sum" and m.stateful and m.dtype == K.floatx() and len(m.weights) == 1
    assert not m.trainable_weights and [w.name for w in m.weights] == ["total:0"]
    assert float(m(100.0)) == 100.0
    assert float(m([1.0, 5.0], sample_weight=[1.0, 0.2])) == pytest.approx(102.0)
    # Weights of shape (2, 1) are squeezed; (2,) against values (2, 1) expanded; a (1,) weight broadcast.
    assert float(m([1.0, 5.0], sample_weight=[[1.0], [0.2]])) == pytest.approx(104.0)
    assert float(m([[1.0], [5.0]], sample_weight=[1.0, 0.2])) == pytest.approx(106.0)
    values = np.array([[[1.0, 2.0], [3.0, 2.0], [0.5, 4.0]]], np.float32)
    assert float(m(values, sample_weight=[0.5])) == pytest.approx(106.0 + 0.5 * values.sum())
    m.reset_states()
    assert float(K.eval(m.total)) == 0.0 and float(m.result()) == 0.0


def test_mean_is_weighted_sum_over_weight_sum(backend_name):
    rng = np.random.default_rng(0)
    m = metrics.Mean(dtype="float64")
    assert m.dtype == "float64" and m.name == "mean"
    batches = [(rng.normal(size=(5,)), rng.uniform(size=(5,))) for _ in range(3)]
    for values, weights in batches:
        got = float(m(values, sample_weight=weights))
    all_v = np.concatenate([v for v, _ in batches])
    all_w = np.concatenate([w for _, w in batches])
    assert got == pytest.approx((all_v * all_w).sum() / all_w.sum(), rel=1e-6)
    assert float(K.eval(m.count)) == pytest.approx(all_w.sum())
    # Unweighted: the count is the number of values; an empty metric reads 0.
    m.reset_states()
    assert float(m.result()) == 0.0
    assert float(m([[1.0, 2.0], [3.0, 6.0]])) == pytest.approx(3.0)


def test_call_result_is_a_snapshot_tied_to_its_metric(backend_name):
    m = metrics.Mean()
    first = m([2.0])
    m([4.0])
    assert float(first) == 2.0 and first._metric_obj is m
    assert isinstance(first, K.Tensor)


def test_config_round_trip_and_serialization():
    for m in [
        metrics.Mean(name="m", dtype="float64"),
        metrics.BinaryAccuracy(threshold=0.7),
        metrics.TopKCategoricalAccuracy(k=3, name="top3"),
        metrics.CosineSimilarity(axis=0),
        metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics.SparseCategoricalCrossentropy(axis=-1),
        metrics.FalsePositives(thresholds=[0.4, 0.9], name="fp"),
        metrics.Precision(thresholds=[0.3], top_k=2, class_id=1),
        metrics.SensitivityAtSpecificity(0.4, num_thresholds=7),
        metrics.PrecisionAtRecall(0.8, num_thresholds=9),
        metrics.AUC(num_thresholds=9, curve="PR", summation_method="majoring"),
        metrics.AUC(thresholds=[0.2, 0.7]),
        metrics.MeanIoU(num_classes=3),
    ]:
        config = metrics.serialize(m)
        assert config["class_name"] == type(m).__name__
        back = metrics.deserialize(config)
        assert type(back) is type(m) and back is not m and back.get_config() == m.get_config()
        assert back.name == m.name and len(back.weights) == len(m.weights)
    assert metrics.AUC(thresholds=[0.7, 0.2]).thresholds[1:-1] == [0.2, 0.7]
    assert metrics.get(metrics.Recall()) is not None
    assert type(metrics.get("AUC")) is metrics.AUC
    assert metrics.clone_metrics({"a": metrics.Mean(name="x")})["a"].name == "x"


# ------------------------------------------------------------------ mean wrappers
REG_T = rand(4, 3, seed=11, low=0.1, high=2.0)
REG_P = rand(4, 3, seed=12, low=0.1, high=2.0)
W = np.array([1.2, 3.4, 0.0, 0.5], np.float32)


def _weighted_mean(per_sample, w=None):
    if w is None:
        return per_sample.mean()
    return (per_sample * w).sum() / w.sum()


def _cos(t, p):
    return (t * p).sum(-1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1))


REGRESSION = {
    "MeanSquaredError": lambda t, p: ((p - t) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(p - t).mean(-1),
    "MeanAbsolutePercentageError": lambda t, p: 100 * np.abs((t - p) / t).mean(-1),
    "MeanSquaredLogarithmicError": lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1),
    "LogCoshError": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + 1e-7)).mean(-1),
    "KLDivergence": lambda t, p: (np.clip(t, 1e-7, 1) * np.log(np.clip(t, 1e-7, 1) / np.clip(p, 1e-7, 1))).sum(-1),
    "CosineSimilarity": _cos,
    "Hinge": lambda t, p: np.maximum(1 - t * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
def test_mean_wrappers_over_two_batches(backend_name, name):
    ref = REGRESSION[name]
    t, p = REG_T.astype(np.float64), REG_P.astype(np.float64)
    m = getattr(metrics, name)()
    m(REG_T[:2], REG_P[:2], sample_weight=W[:2])
    got = float(m(REG_T[2:], REG_P[2:], sample_weight=W[2:]))
    assert got == pytest.approx(_weighted_mean(ref(t, p), W), rel=1e-4)
    m.reset_states()
    assert float(m(REG_T, REG_P)) == pytest.approx(_weighted_mean(ref(t, p)), rel=1e-4)


def test_root_mean_squared_error(backend_name):
    m = metrics.RootMeanSquaredError()
    assert m.name == "root_mean_squared_error"
    m(REG_T[:1], REG_P[:1])
    got = float(m(REG_T[1:], REG_P[1:]))
    assert got == pytest.approx(np.sqrt(((REG_P.astype(np.float64) - REG_T) ** 2).mean()), rel=1e-5)
    m.reset_states()
    got = float(m(REG_T, REG_P, sample_weight=W))
    sq = ((REG_P.astype(np.float64) - REG_T) ** 2)
    assert got == pytest.approx(np.sqrt((sq * W[:, None]).sum() / (W.sum() * 3)), rel=1e-5)


def test_accuracy_metrics(backend_name):
    assert float(metrics.Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]])) == 0.75
    t = np.array([[1.0], [1.0], [0.0], [0.0]], np.float32)
    p = np.array([[0.98], [0.7], [0.0], [0.6]], np.float32)
    assert float(metrics.BinaryAccuracy()(t, p)) == 0.75
    assert float(metrics.BinaryAccuracy(threshold=0.65)(t, p)) == 1.0
    assert float(metrics.BinaryAccuracy()(t, p, sample_weight=[1.0, 0.0, 0.0, 3.0])) == pytest.approx(0.25)
    probs = rand(6, 5, seed=3)
    labels = np.array([0, 4, 2, 2, 1, 3])
    one_hot = np.eye(5, dtype=np.float32)[labels]
    top = (np.argsort(-probs, -1) == labels[:, None])  # True at the target's rank position
    rank = top.argmax(-1)
    sw = np.array([1.0, 2.0, 0.5, 0.0, 1.5, 1.0], np.float32)
    assert float(metrics.CategoricalAccuracy()(one_hot, probs, sample_weight=sw)) == pytest.approx(
        _weighted_mean((rank == 0).astype(float), sw))
    assert float(metrics.SparseCategoricalAccuracy()(labels[:, None], probs)) == pytest.approx((rank == 0).mean())
    assert float(metrics.TopKCategoricalAccuracy(k=2)(one_hot, probs)) == pytest.approx((rank < 2).mean())
    assert float(metrics.SparseTopKCategoricalAccuracy(k=3)(labels, probs, sample_weight=sw)) == pytest.approx(
        _weighted_mean((rank < 3).astype(float), sw))


def test_crossentropy_metrics(backend_name):
    probs = rand(4, 3, seed=5, low=0.1, high=1.0)
    probs = probs / probs.sum(-1, keepdims=True)
    labels = np.array([0, 2, 1, 2])
    one_hot = np.eye(3, dtype=np.float32)[labels]
    per_sample = -np.log(probs[np.arange(4), labels].astype(np.float64))
    assert float(metrics.CategoricalCrossentropy()(one_hot, probs)) == pytest.approx(per_sample.mean(), rel=1e-5)
    assert float(metrics.SparseCategoricalCrossentropy()(labels, probs, sample_weight=W)) == pytest.approx(
        _weighted_mean(per_sample, W), rel=1e-5)
    bt = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    logits = np.array([[2.0, -1.0], [0.5, 3.0]], np.float32)
    z = logits.astype(np.float64)
    bce = (np.maximum(z, 0) - z * bt + np.log1p(np.exp(-np.abs(z)))).mean(-1)
    assert float(metrics.BinaryCrossentropy(from_logits=True)(bt, logits)) == pytest.approx(bce.mean(), rel=1e-5)


# ------------------------------------------------------------------ confusion-matrix metrics
Y_TRUE = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], np.float32)
Y_PRED = np.array([[0.9, 0.2, 0.8, 0.1], [0.2, 0.9, 0.7, 0.6], [0.1, 0.2, 0.4, 0.3], [0.0, 1.0, 0.7, 0.3]], np.float32)
SW = np.array([[1, 2, 3, 5], [7, 11, 13, 17], [19, 23, 29, 31], [5, 15, 10, 0]], np.float32)


def _cells(thresholds, y=Y_TRUE, p=Y_PRED, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for th in thresholds:
        pos, lab = p > th, y != 0
        out["tp"].append((w * (pos & lab)).sum())
        out["fp"].append((w * (pos & ~lab)).sum())
        out["tn"].append((w * (~pos & ~lab)).sum())
        out["fn"].append((w * (~pos & lab)).sum())
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("cls,cell", [(metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                                      (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")])
def test_confusion_counts(backend_name, cls, cell):
    thresholds = [0.15, 0.5, 0.85]
    np.testing.assert_allclose(_val(cls(thresholds=thresholds)(Y_TRUE, Y_PRED, sample_weight=SW)),
                               _cells(thresholds, w=SW)[cell])
    m = cls()
    m(Y_TRUE[:2], Y_PRED[:2])
    assert float(m(Y_TRUE[2:], Y_PRED[2:])) == _cells([0.5])[cell][0]
    with pytest.raises(ValueError, match="Threshold values must be in"):
        cls(thresholds=[-1, 0.5, 2])


def test_precision_and_recall_with_thresholds(backend_name):
    c = _cells([0.3, 0.7], w=SW)
    np.testing.assert_allclose(_val(metrics.Precision(thresholds=[0.3, 0.7])(Y_TRUE, Y_PRED, sample_weight=SW)),
                               c["tp"] / (c["tp"] + c["fp"]), rtol=1e-6)
    np.testing.assert_allclose(_val(metrics.Recall(thresholds=[0.3, 0.7])(Y_TRUE, Y_PRED, sample_weight=SW)),
                               c["tp"] / (c["tp"] + c["fn"]), rtol=1e-6)
    assert float(metrics.Precision()(np.zeros((2, 2)), np.zeros((2, 2)))) == 0.0  # no predicted positive


def test_precision_recall_top_k_and_class_id(backend_name):
    # top_k keeps the k largest predictions of each row (ties: lower index first).
    top2 = np.zeros_like(Y_PRED, bool)
    for i, row in enumerate(Y_PRED):
        top2[i, np.argsort(-row, kind="stable")[:2]] = True
    lab = Y_TRUE != 0
    tp, fp, fn = (top2 & lab).sum(), (top2 & ~lab).sum(), (~top2 & lab).sum()
    assert float(metrics.Precision(top_k=2)(Y_TRUE, Y_PRED)) == pytest.approx(tp / (tp + fp))
    assert float(metrics.Recall(top_k=2)(Y_TRUE, Y_PRED)) == pytest.approx(tp / (tp + fn))
    col = 2
    pos = Y_PRED[:, col] > 0.5
    tp, fp = (pos & lab[:, col]).sum(), (pos & ~lab[:, col]).sum()
    assert float(metrics.Precision(class_id=col)(Y_TRUE, Y_PRED)) == pytest.approx(tp / (tp + fp))
    pos = top2[:, col]
    tp, fn = (pos & lab[:, col]).sum(), (~pos & lab[:, col]).sum()
    assert float(metrics.Recall(top_k=2, class_id=col)(Y_TRUE, Y_PRED)) == pytest.approx(tp / (tp + fn))
    np.testing.assert_allclose(_val(metrics_utils.filter_top_k(K.constant([[0.3, 0.9, 0.9, 0.1]]), 2)),
                               [[-1e10, 0.9, 0.9, -1e10]], rtol=1e-6)


def _evenly(n):
    return [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]


@pytest.mark.parametrize("cls,target,match,read", [
    (metrics.SensitivityAtSpecificity, 0.7, ("tn", "fp"), ("tp", "fn")),
    (metrics.SpecificityAtSensitivity, 0.4, ("tp", "fn"), ("tn", "fp")),
    (metrics.PrecisionAtRecall, 0.6, ("tp", "fn"), ("tp", "fp")),
])
def test_rate_at_rate(backend_name, cls, target, match, read):
    y = (rand(40, seed=21) > 0.0).astype(np.float32)
    p = rand(40, seed=22, low=0.0)
    w = rand(40, seed=23, low=0.1)
    c = _cells(_evenly(11), y=y, p=p, w=w)

    def rate(a, b):
        return np.where(c[a] + c[b] > 0, c[a] / np.where(c[a] + c[b] > 0, c[a] + c[b], 1), 0.0)

    i = np.argmin(np.abs(rate(*match) - target))
    m = cls(target, num_thresholds=11)
    m(y[:20], p[:20], sample_weight=w[:20])
    assert float(m(y[20:], p[20:], sample_weight=w[20:])) == pytest.approx(rate(*read)[i], rel=1e-5)
    with pytest.raises(ValueError, match="must be in the range"):
        cls(1.5)


def _auc_ref(y, p, w, thresholds, curve, method):
    c = _cells(thresholds, y=y, p=p, w=w)

    def div(a, b):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)

    recall = div(c["tp"], c["tp"] + c["fn"])
    if curve == "PR" and method == "interpolation":
        tp, p_ = c["tp"], c["tp"] + c["fp"]
        dtp, dp = tp[:-1] - tp[1:], np.maximum(p_[:-1] - p_[1:], 0)
        slope = div(dtp, dp)
        intercept = tp[1:] - slope * p_[1:]
        ratio = np.where((p_[:-1] > 0) & (p_[1:] > 0), div(p_[:-1], p_[1:]), 1.0)
        return div(slope * (dtp + intercept * np.log(ratio)), tp[1:] + c["fn"][1:]).sum()
    x, yy = (div(c["fp"], c["fp"] + c["tn"]), recall) if curve == "ROC" else (recall, div(c["tp"], c["tp"] + c["fp"]))
    heights = {"interpolation": (yy[:-1] + yy[1:]) / 2, "minoring": np.minimum(yy[:-1], yy[1:]),
               "majoring": np.maximum(yy[:-1], yy[1:])}[method]
    return ((x[:-1] - x[1:]) * heights).sum()


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_auc_matches_riemann_sums(backend_name, curve, method):
    y = (rand(50, seed=31) > 0.0).astype(np.float32)
    p = np.clip(0.5 * y + 0.6 * rand(50, seed=32, low=0.0), 0, 1).astype(np.float32)
    w = rand(50, seed=33, low=0.1)
    m = metrics.AUC(num_thresholds=13, curve=curve, summation_method=method)
    assert m.curve == metrics_utils.AUCCurve(curve)
    assert m.summation_method == metrics_utils.AUCSummationMethod(method)
    m(y[:25], p[:25], sample_weight=w[:25])
    got = float(m(y[25:], p[25:], sample_weight=w[25:]))
    eps = K.epsilon()
    thresholds = [-eps] + [(i + 1) / 12 for i in range(11)] + [1 + eps]
    assert got == pytest.approx(_auc_ref(y, p, w, thresholds, curve, method), rel=1e-4, abs=1e-6)


def test_auc_manual_thresholds_and_errors(backend_name):
    y = np.array([0, 0, 1, 1], np.float32)
    p = np.array([0.0, 0.5, 0.3, 0.9], np.float32)
    m = metrics.AUC(thresholds=[0.6, 0.4])
    assert m.num_thresholds == 4
    assert float(m(y, p)) == pytest.approx(_auc_ref(y, p, None, [-K.epsilon(), 0.4, 0.6, 1 + K.epsilon()],
                                                    "ROC", "interpolation"))
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="Invalid")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="Invalid")


def test_mean_iou(backend_name):
    y = np.array([[0, 1], [2, 1], [2, 2]], np.float32)
    p = np.array([[0, 2], [2, 1], [1, 2]], np.float32)
    w = np.array([[0.5, 1.0], [2.0, 1.0], [0.0, 3.0]], np.float32)
    cm = np.zeros((3, 3))
    np.add.at(cm, (y.astype(int).ravel(), p.astype(int).ravel()), w.ravel())
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    expected = (tp[denom > 0] / denom[denom > 0]).mean()
    m = metrics.MeanIoU(num_classes=3)
    m(y[:1], p[:1], sample_weight=w[:1])
    assert float(m(y[1:], p[1:], sample_weight=w[1:])) == pytest.approx(expected, rel=1e-6)
    m.reset_states()
    assert float(m.result()) == 0.0


def test_custom_metric_subclass(backend_name):
    class MaxSoFar(metrics.Metric):
        def __init__(self, name="max_so_far", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.best = self.add_weight("best", initializer="zeros")

        def update_state(self, values, sample_weight=None):
            return K.update(self.best, K.maximum(self.best, K.max(K.cast(values, self.dtype))))

        def result(self):
            return K.identity(self.best)

    m = MaxSoFar()
    m([1.0, 4.0])
    assert float(m([2.0])) == 4.0
    m.reset_states()
    assert float(m.result()) == 0.0
