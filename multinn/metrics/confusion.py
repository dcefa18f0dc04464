"""Confusion-matrix metrics (Keras 2.3's classes, plus tf.keras's `PrecisionAtRecall`).

Each keeps one running count per threshold of some of true positives, false positives,
true negatives and false negatives (see `metrics_utils.update_confusion_matrix_variables`):
a prediction is positive when it is above the threshold, a label when it is non-zero.

Example:
    >>> m = Precision()
    >>> float(m([0, 1, 1, 1], [1, 0, 1, 1]))
    0.6666666865348816
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils import metrics_utils
from multinn.utils.metrics_utils import ConfusionMatrix

from .base import Metric, div_no_nan


class _ConfusionMatrixConditionCount(Metric):
    """The running (weighted) count of one confusion-matrix cell, one value per threshold."""

    def __init__(self, confusion_matrix_cond: ConfusionMatrix, thresholds: Any = None, name: "str | None" = None,
                 dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self._confusion_matrix_cond = confusion_matrix_cond
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self.accumulator = self.add_weight("accumulator", shape=(len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds the batch's (weighted) count for every threshold."""
        return metrics_utils.update_confusion_matrix_variables(
            {self._confusion_matrix_cond: self.accumulator}, y_true, y_pred, thresholds=self.thresholds,
            sample_weight=sample_weight,
        )

    def result(self) -> K.Tensor:
        return self.accumulator[0] if len(self.thresholds) == 1 else K.identity(self.accumulator)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted above the threshold(s).

    Example:
        >>> float(TruePositives()([0, 1, 1, 1], [1, 0, 1, 1]))
        2.0
    """

    def __init__(self, thresholds: Any = None, name: "str | None" = None, dtype: Any = None):
        super().__init__(ConfusionMatrix.TRUE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted above the threshold(s).

    Example:
        >>> float(FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1]))
        2.0
    """

    def __init__(self, thresholds: Any = None, name: "str | None" = None, dtype: Any = None):
        super().__init__(ConfusionMatrix.FALSE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted at or below the threshold(s).

    Example:
        >>> float(TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0]))
        2.0
    """

    def __init__(self, thresholds: Any = None, name: "str | None" = None, dtype: Any = None):
        super().__init__(ConfusionMatrix.TRUE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted at or below the threshold(s).

    Example:
        >>> float(FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0]))
        2.0
    """

    def __init__(self, thresholds: Any = None, name: "str | None" = None, dtype: Any = None):
        super().__init__(ConfusionMatrix.FALSE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: true positives and one other cell per threshold."""

    _other: ConfusionMatrix
    _other_name: str

    def __init__(self, thresholds: Any = None, top_k: "int | None" = None, class_id: "int | None" = None,
                 name: "str | None" = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k alone, every one of the top k predictions counts as positive.
        default = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=default)
        self.true_positives = self.add_weight("true_positives", shape=(len(self.thresholds),))
        setattr(self, self._other_name, self.add_weight(self._other_name, shape=(len(self.thresholds),)))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds the batch's (weighted) counts for every threshold."""
        return metrics_utils.update_confusion_matrix_variables(
            {ConfusionMatrix.TRUE_POSITIVES: self.true_positives, self._other: getattr(self, self._other_name)},
            y_true, y_pred, thresholds=self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> K.Tensor:
        value = div_no_nan(self.true_positives, self.true_positives + getattr(self, self._other_name))
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """tp / (tp + fp): how many of the predicted positives are positive, per threshold.

    `top_k` counts only the k highest predictions of each row as positive; `class_id`
    looks at that class (column) only.

    Example:
        >>> float(Precision(top_k=1)([[0, 0, 1], [0, 1, 0]], [[0.2, 0.1, 0.7], [0.6, 0.3, 0.1]]))
        0.5
    """

    _other = ConfusionMatrix.FALSE_POSITIVES
    _other_name = "false_positives"


class Recall(_PrecisionRecall):
    """tp / (tp + fn): how many of the positive labels are predicted positive, per threshold.

    Example:
        >>> round(float(Recall()([0, 1, 1, 1], [1, 0, 1, 1])), 4)
        0.6667
    """

    _other = ConfusionMatrix.FALSE_NEGATIVES
    _other_name = "false_negatives"


def _evenly_spaced_thresholds(num_thresholds: int) -> list:
    """0, 1 and num_thresholds - 2 evenly spaced values between them (0.5 alone for one)."""
    if num_thresholds == 1:
        return [0.5]
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0] + inner + [1.0]


def four_cells(metric: Metric) -> dict:
    """A metric's true/false positive/negative variables keyed by their confusion-matrix cell."""
    return {
        ConfusionMatrix.TRUE_POSITIVES: metric.true_positives,
        ConfusionMatrix.TRUE_NEGATIVES: metric.true_negatives,
        ConfusionMatrix.FALSE_POSITIVES: metric.false_positives,
        ConfusionMatrix.FALSE_NEGATIVES: metric.false_negatives,
    }


class SensitivitySpecificityBase(Metric):
    """All four confusion-matrix cells over `num_thresholds` evenly spaced thresholds in [0, 1];
    subclasses read one rate at the threshold where another rate is closest to `value`."""

    def __init__(self, value: float, num_thresholds: int = 200, name: "str | None" = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"`num_thresholds` must be > 0. Received: num_thresholds={num_thresholds!r}")
        self.value = value
        self.num_thresholds = num_thresholds
        self.thresholds = _evenly_spaced_thresholds(num_thresholds)
        for cell in ("true_positives", "true_negatives", "false_positives", "false_negatives"):
            setattr(self, cell, self.add_weight(cell, shape=(num_thresholds,)))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds the batch's (weighted) counts for every threshold."""
        return metrics_utils.update_confusion_matrix_variables(
            four_cells(self), y_true, y_pred, thresholds=self.thresholds, sample_weight=sample_weight
        )

    def _rate_where_closest(self, match_num: K.Tensor, match_other: K.Tensor, read_num: K.Tensor,
                            read_other: K.Tensor) -> K.Tensor:
        """read_num / (read_num + read_other) at the first threshold where
        match_num / (match_num + match_other) is closest to `value`."""
        rates = div_no_nan(match_num, match_num + match_other)
        index = K.argmin(K.abs(rates - self.value), axis=0)
        # argmin's index is in range: plain indexing skips K.gather's bounds read (a GPU sync)
        num = read_num[index]
        return div_no_nan(num, num + read_other[index])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_thresholds": self.num_thresholds}


def _check_rate(name: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"`{name}` must be in the range [0, 1]. Received: {name}={value!r}")


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The sensitivity tp / (tp + fn) at the threshold whose specificity tn / (tn + fp) is
    closest to `specificity`.

    Example:
        >>> float(SensitivityAtSpecificity(0.5, num_thresholds=3)([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]))
        0.5
    """

    def __init__(self, specificity: float, num_thresholds: int = 200, name: "str | None" = None, dtype: Any = None):
        _check_rate("specificity", specificity)
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, name=name, dtype=dtype)

    def result(self) -> K.Tensor:
        return self._rate_where_closest(self.true_negatives, self.false_positives, self.true_positives,
                                        self.false_negatives)

    def get_config(self) -> dict:
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The specificity tn / (tn + fp) at the threshold whose sensitivity tp / (tp + fn) is
    closest to `sensitivity`.

    Example:
        >>> float(SpecificityAtSensitivity(0.5, num_thresholds=3)([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]))
        0.5
    """

    def __init__(self, sensitivity: float, num_thresholds: int = 200, name: "str | None" = None, dtype: Any = None):
        _check_rate("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, name=name, dtype=dtype)

    def result(self) -> K.Tensor:
        return self._rate_where_closest(self.true_positives, self.false_negatives, self.true_negatives,
                                        self.false_positives)

    def get_config(self) -> dict:
        return {**super().get_config(), "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The precision tp / (tp + fp) at the threshold whose recall tp / (tp + fn) is closest
    to `recall` (tf.keras's metric; Keras 2.3 has none).

    Example:
        >>> round(float(PrecisionAtRecall(1.0, num_thresholds=3)([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])), 4)
        0.5
    """

    def __init__(self, recall: float, num_thresholds: int = 200, name: "str | None" = None, dtype: Any = None):
        _check_rate("recall", recall)
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, name=name, dtype=dtype)

    def result(self) -> K.Tensor:
        return self._rate_where_closest(self.true_positives, self.false_negatives, self.true_positives,
                                        self.false_positives)

    def get_config(self) -> dict:
        return {**super().get_config(), "recall": self.recall}


CLASSES = (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, SensitivityAtSpecificity,
    SpecificityAtSensitivity, PrecisionAtRecall,
)
