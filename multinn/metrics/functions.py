"""Stateless metric functions (Keras 2.3 names and formulas), written with K.

A metric function takes `(y_true, y_pred)` and returns one value per sample; the
training engine averages them. The loss functions double as metrics (Keras 2 offers them
from its metrics module too), except `cosine_proximity`, whose metric is the positive
cosine similarity.

Example:
    >>> from multinn import backend as K
    >>> categorical_accuracy(K.constant([[0.0, 1.0]]), K.constant([[0.3, 0.7]])).numpy().tolist()
    [1.0]
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn import losses
from multinn.losses import (  # noqa: F401  (Keras 2's metrics module offers the loss functions too)
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)


def accuracy(y_true: Any, y_pred: Any) -> K.Tensor:
    """1 where the prediction equals the target exactly, else 0 (elementwise; Keras 2.3's `Accuracy`).

    Example:
        >>> accuracy(K.constant([1.0, 2.0]), K.constant([1.0, 3.0])).numpy().tolist()
        [1.0, 0.0]
    """
    y_pred = K.convert_to_tensor(y_pred)
    y_true = K.cast(y_true, K.dtype(y_pred))
    return K.cast(K.equal(y_true, y_pred), K.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> K.Tensor:
    """Fraction along the last axis where `y_pred > threshold` equals the 0/1 target.

    Example:
        >>> binary_accuracy(K.constant([[1.0, 0.0]]), K.constant([[0.9, 0.6]])).numpy().tolist()
        [0.5]
    """
    y_pred = K.convert_to_tensor(y_pred)
    y_true = K.cast(y_true, K.dtype(y_pred))
    predicted = K.cast(K.greater(y_pred, threshold), K.dtype(y_pred))
    return K.mean(K.cast(K.equal(y_true, predicted), K.floatx()), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> K.Tensor:
    """1 where the arg-max of the prediction is the arg-max of the one-hot target, else 0.

    Example:
        >>> categorical_accuracy(K.constant([[0.0, 1.0], [1.0, 0.0]]), K.constant([[0.2, 0.8], [0.3, 0.7]])).numpy().tolist()
        [1.0, 0.0]
    """
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def _labels(y_true: Any, y_pred: K.Tensor) -> K.Tensor:
    """Integer targets of shape y_pred.shape[:-1] (a trailing 1-sized axis is dropped)."""
    y_true = K.convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = K.squeeze(y_true, -1)
    return y_true


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> K.Tensor:
    """1 where the arg-max of the prediction equals the integer target, else 0.

    Example:
        >>> sparse_categorical_accuracy(K.constant([[1.0], [1.0]]), K.constant([[0.2, 0.8], [0.3, 0.2]])).numpy().tolist()
        [1.0, 0.0]
    """
    y_pred = K.convert_to_tensor(y_pred)
    y_true = _labels(y_true, y_pred)
    predicted = K.cast(K.argmax(y_pred, axis=-1), K.floatx())
    return K.cast(K.equal(K.cast(y_true, K.floatx()), predicted), K.floatx())


def _in_top_k(y_pred: K.Tensor, targets: K.Tensor, k: int) -> K.Tensor:
    """K.in_top_k over any leading shape (K's version takes (batch, classes))."""
    lead = tuple(y_pred.shape[:-1])
    hits = K.in_top_k(K.reshape(y_pred, (-1, y_pred.shape[-1])), K.reshape(targets, (-1,)), k)
    return K.reshape(K.cast(hits, K.floatx()), lead)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> K.Tensor:
    """1 where the one-hot target's class is among the `k` highest predictions, else 0.

    Example:
        >>> top_k_categorical_accuracy(K.constant([[0.0, 0.0, 1.0]]), K.constant([[0.5, 0.3, 0.2]]), k=2).numpy().tolist()
        [0.0]
    """
    y_pred = K.convert_to_tensor(y_pred)
    return _in_top_k(y_pred, K.cast(K.argmax(y_true, axis=-1), "int32"), k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> K.Tensor:
    """1 where the integer target is among the `k` highest predictions, else 0.

    Example:
        >>> sparse_top_k_categorical_accuracy(K.constant([1.0]), K.constant([[0.5, 0.3, 0.2]]), k=2).numpy().tolist()
        [1.0]
    """
    y_pred = K.convert_to_tensor(y_pred)
    return _in_top_k(y_pred, K.cast(_labels(y_true, y_pred), "int32"), k)


def cosine_proximity(y_true: Any, y_pred: Any, axis: int = -1) -> K.Tensor:
    """Cosine similarity along `axis` (+1 for parallel vectors): Keras 2.3's metric sign.

    The loss `losses.cosine_proximity` is its negative (-1 for parallel vectors).

    Example:
        >>> cosine_proximity(K.constant([[1.0, 0.0]]), K.constant([[2.0, 0.0]])).numpy().tolist()
        [1.0]
    """
    return -losses.cosine_proximity(y_true, y_pred, axis=axis)


cosine = cosine_similarity = cosine_proximity


MSE, MAE, MAPE, MSLE = mse, mae, mape, msle

FUNCTIONS = (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_proximity,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    hinge, squared_hinge, categorical_hinge, logcosh, kullback_leibler_divergence, poisson,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
)
ALIASES = {
    "mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape, "msle": msle, "MSLE": msle,
    "kld": kld, "KLD": kld, "cosine": cosine, "cosine_similarity": cosine_similarity,
}
