"""MeanIoU: the mean intersection-over-union of classes, from a running confusion matrix.

Keras 2.3 offers it on TensorFlow 2 only (it is tf.keras's metric); this one is written
with K and runs on every backend.

Example:
    >>> m = MeanIoU(num_classes=2)
    >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1])), 4)
    0.3333
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from .base import Metric, div_no_nan


class MeanIoU(Metric):
    """The mean over classes of tp / (tp + fp + fn), for integer class labels and predictions.

    Labels and predictions of any shape are flattened and cast to integers; the (weighted)
    pairs accumulate in a `(num_classes, num_classes)` confusion matrix (rows: labels,
    columns: predictions). Classes absent from both count for nothing.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> round(float(m([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.2, 0.3, 0.4, 0.1])), 4)
        0.1736
    """

    def __init__(self, num_classes: int, name: "str | None" = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        # float64, as tf.keras keeps it: counts stay exact over long runs.
        self.total_cm = self.add_weight("total_confusion_matrix", shape=(self.num_classes, self.num_classes),
                                        dtype="float64")
        self._diagonal = K.eye(self.num_classes, dtype="float64")  # made beside total_cm, on its device

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> K.Variable:  # type: ignore[override]
        """Adds the batch's (weighted) label/prediction pairs to the confusion matrix."""
        labels = K.cast(K.reshape(K.cast(y_true, self.dtype), (-1,)), "int32")
        predictions = K.cast(K.reshape(K.cast(y_pred, self.dtype), (-1,)), "int32")
        rows = K.cast(K.one_hot(labels, self.num_classes), "float64")
        if sample_weight is not None:
            weights = K.cast(K.reshape(sample_weight, (-1,)), "float64")
            rows = rows * K.expand_dims(weights, -1)
        columns = K.cast(K.one_hot(predictions, self.num_classes), "float64")
        return K.update_add(self.total_cm, K.dot(K.transpose(rows), columns))

    def result(self) -> K.Tensor:
        cm = self.total_cm
        predicted = K.sum(cm, axis=0)
        actual = K.sum(cm, axis=1)
        true_positives = K.sum(cm * self._diagonal, axis=1)
        denominator = predicted + actual - true_positives
        present = K.sum(K.cast(K.not_equal(denominator, 0), "float64"))
        iou = div_no_nan(true_positives, denominator)
        return K.cast(div_no_nan(K.sum(iou), present), self.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}
