"""AUC: the area under the ROC or precision-recall curve, by a Riemann sum over thresholds (Keras 2.3).

Example:
    >>> m = AUC(num_thresholds=3)
    >>> float(m([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]))
    0.75
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils import metrics_utils
from multinn.utils.metrics_utils import AUCCurve, AUCSummationMethod

from .base import Metric, div_no_nan
from .confusion import four_cells


class AUC(Metric):
    """The approximate area under the ROC curve (false-positive rate, recall) or the PR curve
    (recall, precision).

    Args:
        num_thresholds: thresholds evenly spaced in [0, 1] (ignored when `thresholds` is given).
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation' (trapezoids for ROC; Davis & Goadrich's
            interpolation for PR), 'minoring' (the lower height of each interval) or
            'majoring' (the higher).
        thresholds: explicit thresholds in [0, 1].

    Two end thresholds, just below 0 and just above 1, are always added, so predictions of
    exactly 0 or 1 count on the right side.

    Example:
        >>> float(AUC(num_thresholds=3, summation_method="majoring")([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]))
        1.0
    """

    def __init__(self, num_thresholds: int = 200, curve: Any = "ROC", summation_method: Any = "interpolation",
                 name: "str | None" = None, dtype: Any = None, thresholds: "list | None" = None):
        self.curve = curve if isinstance(curve, AUCCurve) else AUCCurve.from_str(curve)
        self.summation_method = (
            summation_method if isinstance(summation_method, AUCSummationMethod)
            else AUCSummationMethod.from_str(summation_method)
        )
        if thresholds is not None:
            inner = sorted(metrics_utils.parse_init_thresholds(thresholds))
            self.num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"`num_thresholds` must be > 1. Received: num_thresholds={num_thresholds!r}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - K.epsilon()] + inner + [1.0 + K.epsilon()]
        super().__init__(name=name, dtype=dtype)
        for cell in ("true_positives", "true_negatives", "false_positives", "false_negatives"):
            setattr(self, cell, self.add_weight(cell, shape=(self.num_thresholds,)))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds the batch's (weighted) confusion-matrix counts for every threshold."""
        return metrics_utils.update_confusion_matrix_variables(
            four_cells(self), y_true, y_pred, self.thresholds, sample_weight=sample_weight
        )

    def interpolate_pr_auc(self) -> K.Tensor:
        """PR-AUC with true and false positives linear between thresholds (Davis & Goadrich 2006).

        Within an interval, precision = (tp_a + slope * (p - p_a)) / p for predicted positives
        p; its integral over recall has the closed form
        slope * (dtp + intercept * log(p_b / p_a)) / positives.
        """
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = K.maximum(p[: n - 1] - p[1:], 0.0)
        slope = div_no_nan(dtp, dp)
        intercept = tp[1:] - slope * p[1:]
        both_positive = K.logical_and(K.greater(p[: n - 1], 0), K.greater(p[1:], 0))
        ratio = K.where(both_positive, div_no_nan(p[: n - 1], p[1:]), 1.0)
        numerator = slope * (dtp + intercept * K.log(ratio))
        denominator = K.maximum(tp[1:] + fn[1:], 0.0)
        return K.sum(div_no_nan(numerator, denominator))

    def result(self) -> K.Tensor:
        if self.curve == AUCCurve.PR and self.summation_method == AUCSummationMethod.INTERPOLATION:
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = div_no_nan(tp, tp + fn)
        if self.curve == AUCCurve.ROC:
            x, y = div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, div_no_nan(tp, tp + fp)
        if self.summation_method == AUCSummationMethod.INTERPOLATION:
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == AUCSummationMethod.MINORING:
            heights = K.minimum(y[: n - 1], y[1:])
        else:
            heights = K.maximum(y[: n - 1], y[1:])
        return K.sum((x[: n - 1] - x[1:]) * heights)

    def get_config(self) -> dict:
        # The end thresholds are left out: a metric made from this config adds them again.
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve.value,
                "summation_method": self.summation_method.value, "thresholds": self.thresholds[1:-1]}
