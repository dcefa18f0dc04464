"""Metric objects that average a stateless metric over the samples (Keras 2.3's classes and defaults).

Each is a `MeanMetricWrapper` around one function of `metrics.functions` (or of
`losses`), with Keras 2.3's default name; `RootMeanSquaredError` takes the square root of
the running mean squared error.

Example:
    >>> m = MeanAbsoluteError()
    >>> _ = m([[0.0, 1.0]], [[1.0, 1.0]])
    >>> float(m([[0.0, 0.0]], [[2.0, 2.0]]))
    1.25
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils import losses_utils

from . import functions as F
from .base import Mean, MeanMetricWrapper, div_no_nan


class Accuracy(MeanMetricWrapper):
    """How often the prediction equals the target exactly.

    Example:
        >>> float(Accuracy()([1, 2, 3, 4], [0, 2, 3, 4]))
        0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(F.accuracy, name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches the 0/1 target.

    Example:
        >>> float(BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]]))
        0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(F.binary_accuracy, name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the prediction is the arg-max of the one-hot target.

    Example:
        >>> float(CategoricalAccuracy()([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(F.categorical_accuracy, name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the prediction is the integer target.

    Example:
        >>> float(SparseCategoricalAccuracy()([[2], [1]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(F.sparse_categorical_accuracy, name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the `k` highest predictions.

    Example:
        >>> float(TopKCategoricalAccuracy(k=1)([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(F.top_k_categorical_accuracy, name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the `k` highest predictions.

    Example:
        >>> float(SparseTopKCategoricalAccuracy(k=1)([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(F.sparse_top_k_categorical_accuracy, name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    """The running mean squared error.

    Example:
        >>> float(MeanSquaredError()([0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]))
        0.75
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(F.mean_squared_error, name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The running mean absolute error.

    Example:
        >>> float(MeanAbsoluteError()([0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]))
        0.75
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(F.mean_absolute_error, name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The running mean absolute percentage error.

    Example:
        >>> float(MeanAbsolutePercentageError()([2.0, 4.0], [1.0, 4.0]))
        25.0
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(F.mean_absolute_percentage_error, name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The running mean squared logarithmic error.

    Example:
        >>> round(float(MeanSquaredLogarithmicError()([[0.0]], [[1.0]])), 4)
        0.4805
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(F.mean_squared_logarithmic_error, name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """The running hinge loss (0/1 targets are read as -1/1).

    Example:
        >>> round(float(Hinge()([-1.0, 1.0, 1.0], [0.6, -0.7, -0.5])), 4)
        1.6
    """

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(F.hinge, name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The running squared hinge loss (0/1 targets are read as -1/1).

    Example:
        >>> round(float(SquaredHinge()([-1.0, 1.0, 1.0], [0.6, -0.7, -0.5])), 4)
        2.5667
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(F.squared_hinge, name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The running categorical hinge loss.

    Example:
        >>> float(CategoricalHinge()([[0.0, 1.0, 1.0]], [[1.0, 0.0, 1.0]]))
        1.0
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(F.categorical_hinge, name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The running mean of log(cosh(y_pred - y_true)).

    Example:
        >>> round(float(LogCoshError()([[0.0]], [[1.0]])), 5)
        0.43378
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(F.logcosh, name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The running Poisson loss, `y_pred - y_true * log(y_pred)`.

    Example:
        >>> float(Poisson()([[0.0]], [[2.0]]))
        2.0
    """

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(F.poisson, name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The running Kullback-Leibler divergence of the predictions from the targets.

    Example:
        >>> round(float(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 5)
        0.14384
    """

    def __init__(self, name: str = "kullback_leibler_divergence", dtype: Any = None):
        super().__init__(F.kullback_leibler_divergence, name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """The running cosine similarity along `axis` (+1 for parallel vectors).

    Example:
        >>> round(float(CosineSimilarity()([[0.0, 1.0, 1.0]], [[1.0, 0.0, 1.0]])), 4)
        0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(F.cosine_similarity, name, dtype=dtype, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    """The running binary cross-entropy (of probabilities, or of logits with `from_logits`).

    Example:
        >>> round(float(BinaryCrossentropy()([[1.0, 0.0]], [[0.5, 0.5]])), 5)
        0.69315
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0):
        super().__init__(F.binary_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """The running categorical cross-entropy of one-hot targets.

    Example:
        >>> round(float(CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])), 5)
        0.69315
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0):
        super().__init__(F.categorical_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The running categorical cross-entropy of integer targets.

    Example:
        >>> round(float(SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])), 5)
        0.69315
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 axis: int = -1):
        super().__init__(F.sparse_categorical_crossentropy, name, dtype=dtype, from_logits=from_logits, axis=axis)


class RootMeanSquaredError(Mean):
    """The square root of the running (weighted) mean of squared errors over all entries.

    Example:
        >>> float(RootMeanSquaredError()([[0.0, 0.0]], [[3.0, 5.0]]))
        4.123105525970459
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds the squared errors of a batch, weighted by `sample_weight`."""
        y_true = K.cast(y_true, self.dtype)
        y_pred = K.cast(y_pred, self.dtype)
        y_pred, y_true = losses_utils.squeeze_or_expand_dimensions(y_pred, y_true)
        return super().update_state(K.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> K.Tensor:
        return K.sqrt(div_no_nan(self.total, self.count))


CLASSES = (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Hinge, SquaredHinge, CategoricalHinge, LogCoshError, Poisson, KLDivergence,
    CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, RootMeanSquaredError,
)
