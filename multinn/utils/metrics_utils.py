"""Helpers of the stateful metrics (Keras 2.3's `keras.utils.metrics_utils`), written with K.

The confusion-matrix metrics (TruePositives, Precision, AUC, ...) all count, for each
threshold, the (weighted) predictions above it against the positive labels:
`update_confusion_matrix_variables` does that counting into their state variables.

Example:
    >>> from multinn import backend as K
    >>> tp = K.variable([0.0, 0.0])
    >>> _ = update_confusion_matrix_variables({ConfusionMatrix.TRUE_POSITIVES: tp}, [1, 1, 0], [0.9, 0.4, 0.8],
    ...                                       thresholds=[0.3, 0.5])
    >>> K.get_value(tp).tolist()
    [2.0, 1.0]
"""
from __future__ import annotations

from enum import Enum
from typing import Any, Mapping

from multinn import backend as K

from . import losses_utils

NEG_INF = -1e10


class Reduction:
    """How a `Reduce` metric turns its (weighted) values into a result.

    `SUM`: the weighted sum. `SUM_OVER_BATCH_SIZE`: that sum over the number of values.
    `WEIGHTED_MEAN`: that sum over the sum of the weights.

    Example:
        >>> Reduction.WEIGHTED_MEAN
        'weighted_mean'
    """

    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    WEIGHTED_MEAN = "weighted_mean"


class ConfusionMatrix(Enum):
    """The four cells of a binary confusion matrix, the keys of `update_confusion_matrix_variables`.

    Example:
        >>> ConfusionMatrix("fp") is ConfusionMatrix.FALSE_POSITIVES
        True
    """

    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve(Enum):
    """The curve whose area `AUC` computes: ROC or precision-recall.

    Example:
        >>> AUCCurve.from_str("pr") is AUCCurve.PR
        True
    """

    ROC = "ROC"
    PR = "PR"

    @staticmethod
    def from_str(key: str) -> "AUCCurve":
        """The curve named 'ROC' / 'roc' or 'PR' / 'pr'."""
        if key in ("pr", "PR"):
            return AUCCurve.PR
        if key in ("roc", "ROC"):
            return AUCCurve.ROC
        raise ValueError(f"Invalid AUC curve value: expected 'ROC' or 'PR'. Received: curve={key!r}")


class AUCSummationMethod(Enum):
    """The Riemann sum `AUC` uses between thresholds.

    'interpolation': trapezoids for ROC; for PR, true and false positives interpolated
    linearly (Davis & Goadrich 2006). 'minoring': the lower of the two heights;
    'majoring': the higher.

    Example:
        >>> AUCSummationMethod.from_str("Majoring") is AUCSummationMethod.MAJORING
        True
    """

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key: str) -> "AUCSummationMethod":
        """The method named in lower case or capitalized."""
        for method in AUCSummationMethod:
            if key in (method.value, method.value.capitalize()):
                return method
        raise ValueError(
            "Invalid AUC summation method value: expected 'interpolation', 'majoring' or 'minoring'. "
            f"Received: summation_method={key!r}"
        )


def to_list(x: Any) -> list:
    """`x` itself when a list, else `[x]` (Keras 2.3 keeps tuples whole here).

    Example:
        >>> to_list(0.5), to_list([0.1, 0.2])
        ([0.5], [0.1, 0.2])
    """
    return x if isinstance(x, list) else [x]


def assert_thresholds_range(thresholds: "list | None") -> None:
    """ValueError naming the thresholds outside [0, 1] (or None).

    Example:
        >>> assert_thresholds_range([0.0, 0.5, 1.0])
    """
    invalid = [t for t in (thresholds or []) if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: invalid thresholds {invalid}")


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list:
    """The thresholds as a list: `default_threshold` when None, else checked to lie in [0, 1].

    Example:
        >>> parse_init_thresholds(None), parse_init_thresholds((0.2, 0.8))
        ([0.5], [0.2, 0.8])
    """
    if thresholds is None:
        return to_list(default_threshold)
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    assert_thresholds_range(values)
    return values


def filter_top_k(x: Any, k: int) -> K.Tensor:
    """`x` with all but the `k` largest values of its last axis set to NEG_INF.

    Ties go to the lower index, as TensorFlow's top_k picks them.

    Example:
        >>> from multinn import backend as K
        >>> filter_top_k(K.constant([[0.1, 0.7, 0.7, 0.2]]), 2).numpy().tolist()
        [[-10000000000.0, 0.699999988079071, 0.699999988079071, -10000000000.0]]
    """
    x = K.convert_to_tensor(x)
    row = K.expand_dims(x, -1)  # x_i along axis -2
    col = K.expand_dims(x, -2)  # x_j along axis -1
    # rank_i = #{j: x_j > x_i} + #{j < i: x_j == x_i}: a strict order without a sort.
    index = K.cumsum(K.ones_like(x), axis=-1)  # 1..n along the last axis, on x's device
    earlier = K.cast(K.less(K.expand_dims(index, -2), K.expand_dims(index, -1)), K.dtype(x))
    beats = K.cast(K.greater(col, row), K.dtype(x)) + K.cast(K.equal(col, row), K.dtype(x)) * earlier
    keep = K.cast(K.less(K.sum(beats, axis=-1), float(k)), K.dtype(x))
    return x * keep + NEG_INF * (1.0 - keep)


def _weighted_count(label: K.Tensor, pred: K.Tensor, weights: "K.Tensor | None") -> K.Tensor:
    """Per threshold (rows), the (weighted) number of entries where both conditions hold."""
    both = K.cast(K.logical_and(label, pred), K.floatx())
    if weights is not None:
        both = both * weights
    return K.sum(both, axis=1)


def update_confusion_matrix_variables(
    variables_to_update: "Mapping[ConfusionMatrix, Any] | None",
    y_true: Any,
    y_pred: Any,
    thresholds: Any = 0.5,
    top_k: "int | None" = None,
    class_id: "int | None" = None,
    sample_weight: Any = None,
) -> list:
    """Adds this batch's counts to the confusion-matrix variables given, one entry per threshold.

    An entry is predicted positive when `y_pred > threshold`; a label is positive when
    non-zero. With `top_k`, only the k largest predictions of each row can be positive;
    with `class_id`, only that column of the last axis counts. `sample_weight` (a scalar,
    or broadcastable to `y_pred` after aligning ranks) weights each entry.

    Returns the updated variables.

    Example:
        >>> from multinn import backend as K
        >>> fn = K.variable([0.0])
        >>> _ = update_confusion_matrix_variables({ConfusionMatrix.FALSE_NEGATIVES: fn}, [[1, 1]], [[0.2, 0.9]],
        ...                                       sample_weight=[3.0])
        >>> K.get_value(fn).tolist()
        [3.0]
    """
    if variables_to_update is None:
        return []
    valid = list(ConfusionMatrix)
    invalid = [key for key in variables_to_update if key not in valid]
    if not variables_to_update or invalid:
        raise ValueError(
            f"Please provide confusion matrix variables to update; valid keys are {valid}. "
            f"Received: invalid keys {invalid or list(variables_to_update)}"
        )
    y_true = K.cast(y_true, K.floatx())
    y_pred = K.cast(y_pred, K.floatx())
    if sample_weight is None:
        y_pred, y_true = losses_utils.squeeze_or_expand_dimensions(y_pred, y_true)
    else:
        y_pred, y_true, sample_weight = losses_utils.squeeze_or_expand_dimensions(
            y_pred, y_true, K.cast(sample_weight, K.floatx())
        )
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"y_true and y_pred must have the same shape. Received: y_true of shape {tuple(y_true.shape)}, "
            f"y_pred of shape {tuple(y_pred.shape)}"
        )
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = y_true[..., class_id]
        y_pred = y_pred[..., class_id]
    thresholds = to_list(thresholds)
    # One row per threshold, one column per entry.
    predictions = K.reshape(y_pred, (1, -1))
    with K.backend_scope(predictions.backend.name):  # the thresholds live where the predictions do
        cuts = K.reshape(K.constant(thresholds, dtype=K.floatx()), (-1, 1))
    pred_pos = K.greater(predictions, cuts)
    pred_neg = K.logical_not(pred_pos)
    label_pos = K.not_equal(K.reshape(y_true, (1, -1)), 0.0)
    label_neg = K.logical_not(label_pos)
    weights = None
    if sample_weight is not None:
        weights = K.reshape(losses_utils.broadcast_weights(y_pred, sample_weight), (1, -1))
    cells = {
        ConfusionMatrix.TRUE_POSITIVES: (label_pos, pred_pos),
        ConfusionMatrix.FALSE_POSITIVES: (label_neg, pred_pos),
        ConfusionMatrix.TRUE_NEGATIVES: (label_neg, pred_neg),
        ConfusionMatrix.FALSE_NEGATIVES: (label_pos, pred_neg),
    }
    updated = []
    for key, variable in variables_to_update.items():
        label, pred = cells[key]
        updated.append(K.update_add(variable, _weighted_count(label, pred, weights)))
    return updated
