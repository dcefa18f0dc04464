"""multinn.utils.losses_utils and metrics_utils (Keras 2.3's helpers) against NumPy references."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import losses
from multinn.utils import losses_utils, metrics_utils

Y_TRUE = np.array([1, 9, 2, -5, -2, 6], np.float32).reshape(2, 3)
Y_PRED = np.array([4, 8, 12, 8, 1, 3], np.float32).reshape(2, 3)
PER_SAMPLE = ((Y_PRED - Y_TRUE) ** 2).mean(-1)  # mse per sample


def test_reduction_values():
    assert losses_utils.Reduction.all() == ("none", "sum", "sum_over_batch_size")
    assert losses.Reduction is losses_utils.Reduction
    assert losses.LossFunctionWrapper(losses.mse).reduction == losses_utils.Reduction.SUM_OVER_BATCH_SIZE
    with pytest.raises(ValueError, match="reduction='mean'"):
        losses_utils.Reduction.validate("mean")
    assert metrics_utils.Reduction.WEIGHTED_MEAN == "weighted_mean"


def test_squeeze_or_expand_dimensions(backend_name):
    p, t = losses_utils.squeeze_or_expand_dimensions(K.zeros((4, 1)), K.zeros((4,)))
    assert p.shape == (4,) and t.shape == (4,)
    p, t = losses_utils.squeeze_or_expand_dimensions(K.zeros((4,)), K.zeros((4, 1)))
    assert p.shape == (4,) and t.shape == (4,)
    p, _, w = losses_utils.squeeze_or_expand_dimensions(K.zeros((4, 3)), None, K.zeros((4,)))
    assert w.shape == (4, 1)
    p, _, w = losses_utils.squeeze_or_expand_dimensions(K.zeros((4,)), None, K.zeros((4, 1)))
    assert w.shape == (4,)
    p, _, w = losses_utils.squeeze_or_expand_dimensions(K.zeros((4,)), None, K.constant(2.0))
    assert w.shape == ()


def test_broadcast_weights(backend_name):
    got = losses_utils.broadcast_weights(K.zeros((2, 3, 2)), K.constant([[1.0], [2.0]]))
    np.testing.assert_array_equal(K.eval(got), np.broadcast_to(np.array([1.0, 2.0])[:, None, None], (2, 3, 2)))
    with pytest.raises(ValueError, match="Incompatible shapes"):
        losses_utils.broadcast_weights(K.zeros((2, 3)), K.zeros((2, 2)))
    with pytest.raises(ValueError, match="Incompatible shapes"):
        losses_utils.broadcast_weights(K.zeros((2,)), K.zeros((2, 3)))


@pytest.mark.parametrize("reduction", ["none", "sum", "sum_over_batch_size"])
def test_compute_weighted_loss(backend_name, reduction):
    w = np.array([1.2, 3.4], np.float32)
    got = K.eval(losses_utils.compute_weighted_loss(K.constant(PER_SAMPLE), K.constant(w), reduction))
    weighted = PER_SAMPLE.astype(np.float64) * w
    expected = {"none": weighted, "sum": weighted.sum(), "sum_over_batch_size": weighted.mean()}[reduction]
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_loss_objects_with_keras_2_3_weights(backend_name):
    mse = losses.MeanSquaredError()
    sq = (Y_PRED.astype(np.float64) - Y_TRUE) ** 2
    assert float(mse(Y_TRUE, Y_PRED)) == pytest.approx(sq.mean(), rel=1e-5)
    assert float(mse(Y_TRUE, Y_PRED, sample_weight=2.3)) == pytest.approx(2.3 * sq.mean(), rel=1e-5)
    assert float(mse(Y_TRUE, Y_PRED, sample_weight=0)) == 0.0
    w = np.array([[1.2], [3.4]], np.float32)
    assert float(mse(Y_TRUE, Y_PRED, sample_weight=w)) == pytest.approx((sq.mean(-1) * w[:, 0]).sum() / 2, rel=1e-5)
    # Per-timestep weights on (batch, time, 1) values: one loss per timestep, averaged over all.
    tw = np.array([3, 6, 5, 0, 4, 2], np.float32).reshape(2, 3)
    got = mse(Y_TRUE.reshape(2, 3, 1), Y_PRED.reshape(2, 3, 1), sample_weight=tw)
    assert float(got) == pytest.approx((sq * tw).sum() / 6, rel=1e-5)
    with pytest.raises(ValueError, match="Incompatible shapes"):
        mse(Y_TRUE.reshape(2, 3, 1), Y_PRED.reshape(2, 3, 1), sample_weight=np.ones((2, 2), np.float32))
    got = losses.MeanAbsoluteError(reduction="none")(Y_TRUE, Y_PRED, sample_weight=2.3)
    np.testing.assert_allclose(K.eval(got), 2.3 * np.abs(Y_PRED - Y_TRUE).mean(-1), rtol=1e-5)


def test_enums_and_thresholds():
    assert metrics_utils.AUCCurve.from_str("roc") is metrics_utils.AUCCurve.ROC
    assert metrics_utils.AUCSummationMethod.from_str("Minoring") is metrics_utils.AUCSummationMethod.MINORING
    with pytest.raises(ValueError, match="curve='x'"):
        metrics_utils.AUCCurve.from_str("x")
    with pytest.raises(ValueError, match="summation_method='x'"):
        metrics_utils.AUCSummationMethod.from_str("x")
    assert metrics_utils.parse_init_thresholds(None, default_threshold=0.3) == [0.3]
    assert metrics_utils.parse_init_thresholds(0.7) == [0.7]
    with pytest.raises(ValueError, match=r"\[None\]"):
        metrics_utils.parse_init_thresholds([None])


def test_update_confusion_matrix_variables(backend_name):
    y = np.array([[1, 0], [1, 1], [0, 0]], np.float32)
    p = np.array([[0.6, 0.7], [0.2, 0.9], [0.4, 0.1]], np.float32)
    w = np.array([2.0, 1.0, 3.0], np.float32)
    cells = {c: K.variable([0.0, 0.0]) for c in metrics_utils.ConfusionMatrix}
    metrics_utils.update_confusion_matrix_variables(cells, y, p, thresholds=[0.3, 0.65], sample_weight=w)
    ww = np.broadcast_to(w[:, None], p.shape)
    for c, cond in [("tp", lambda pos, lab: pos & lab), ("fp", lambda pos, lab: pos & ~lab),
                    ("tn", lambda pos, lab: ~pos & ~lab), ("fn", lambda pos, lab: ~pos & lab)]:
        expected = [(ww * cond(p > th, y != 0)).sum() for th in (0.3, 0.65)]
        np.testing.assert_allclose(K.eval(cells[metrics_utils.ConfusionMatrix(c)]), expected)
    with pytest.raises(ValueError, match="valid keys"):
        metrics_utils.update_confusion_matrix_variables({"tp": K.variable([0.0])}, y, p)
    with pytest.raises(ValueError, match="same shape"):
        metrics_utils.update_confusion_matrix_variables(
            {metrics_utils.ConfusionMatrix.TRUE_POSITIVES: K.variable([0.0])}, y, p[:, :1])
