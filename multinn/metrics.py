"""Metric functions (Keras 2 names and formulas), written with K.

A metric function takes `(y_true, y_pred)` and returns one value per sample; the
training engine averages them. 'accuracy' / 'acc' (and 'crossentropy' / 'ce') depend on
the loss and the output shape: the engine resolves them with `resolve`, as Keras 2 does.
Any callable `f(y_true, y_pred)` works as a metric too.

Example:
    >>> from multinn import metrics
    >>> from multinn import backend as K
    >>> metrics.get("categorical_accuracy")(K.constant([[0.0, 1.0]]), K.constant([[0.3, 0.7]])).numpy().tolist()
    [1.0]
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from multinn import backend as K
from multinn import losses
from multinn.losses import (  # noqa: F401  (Keras 2's metrics module offers the loss functions too)
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_proximity,
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
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object, unknown


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


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> K.Tensor:
    """Cosine similarity along `axis` (+1 for parallel vectors), tf.keras 2's metric sign.

    `cosine_proximity`, as in Keras 2, is the loss of the same name (negative).

    Example:
        >>> cosine_similarity(K.constant([[1.0, 0.0]]), K.constant([[2.0, 0.0]])).numpy().tolist()
        [1.0]
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


_FUNCTIONS = (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_similarity,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    hinge, squared_hinge, categorical_hinge, logcosh, kullback_leibler_divergence, poisson,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
)
_METRICS: dict = {
    **{fn.__name__: fn for fn in _FUNCTIONS},
    "mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape, "msle": msle, "MSLE": msle,
    "kld": kld, "KLD": kld, "cosine_proximity": cosine_proximity, "cosine": cosine_proximity,
}
_CONTEXT_NAMES = ("accuracy", "acc", "crossentropy", "ce")


def _loss_kind(loss: Any) -> "str | None":
    """'binary', 'sparse' or 'categorical' for the library's cross-entropy losses, else None."""
    if isinstance(loss, str):
        loss = losses.get(loss)
    fn = getattr(loss, "fn", loss)  # Loss objects wrap the function
    if fn is losses.binary_crossentropy:
        return "binary"
    if fn is losses.sparse_categorical_crossentropy:
        return "sparse"
    if fn is losses.categorical_crossentropy:
        return "categorical"
    return None


def resolve_accuracy(loss: Any, output_shape: Sequence) -> Callable:
    """The accuracy function Keras 2 picks for 'accuracy' / 'acc'.

    Binary accuracy for a one-unit output or a binary cross-entropy loss; sparse
    categorical accuracy for a sparse categorical cross-entropy loss; categorical
    accuracy otherwise.

    Example:
        >>> resolve_accuracy("categorical_crossentropy", (None, 10)) is categorical_accuracy
        True
    """
    kind = _loss_kind(loss)
    if (output_shape and output_shape[-1] == 1) or kind == "binary":
        return binary_accuracy
    if kind == "sparse":
        return sparse_categorical_accuracy
    return categorical_accuracy


def resolve_crossentropy(loss: Any, output_shape: Sequence) -> Callable:
    """The cross-entropy function Keras 2 picks for 'crossentropy' / 'ce' (rules as for accuracy).

    Example:
        >>> resolve_crossentropy("mse", (None, 1)) is binary_crossentropy
        True
    """
    kind = _loss_kind(loss)
    if (output_shape and output_shape[-1] == 1) or kind == "binary":
        return binary_crossentropy
    if kind == "sparse":
        return sparse_categorical_crossentropy
    return categorical_crossentropy


def resolve(identifier: Any, loss: Any = None, output_shape: "Sequence | None" = None) -> Callable:
    """A metric function for what the user wrote in `compile(metrics=...)`.

    'accuracy' / 'acc' and 'crossentropy' / 'ce' depend on the output's loss and
    shape; anything else goes through `get`.

    Example:
        >>> resolve("acc", "binary_crossentropy", (None, 3)) is binary_accuracy
        True
    """
    if identifier in ("accuracy", "acc"):
        return resolve_accuracy(loss, output_shape or ())
    if identifier in ("crossentropy", "ce"):
        return resolve_crossentropy(loss, output_shape or ())
    return get(identifier)


def serialize(metric: Any) -> Any:
    """The name of a metric function (or the config of a metric object).

    Example:
        >>> serialize(binary_accuracy)
        'binary_accuracy'
    """
    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Callable:
    """The metric named by `config`.

    Example:
        >>> deserialize("mae") is mean_absolute_error
        True
    """
    if isinstance(config, str) and config in _CONTEXT_NAMES and config not in (custom_objects or {}):
        raise ValueError(
            f"The metric {config!r} depends on the loss and the output shape: resolve it with "
            f"metrics.resolve({config!r}, loss, output_shape). Received: metric={config!r}"
        )
    try:
        return get_object(config, _METRICS, "metric function", custom_objects, instantiate=True)
    except ValueError as error:
        if isinstance(config, str) and str(error).startswith("Unknown"):
            raise unknown("metric function", config, [*_METRICS, *_CONTEXT_NAMES]) from None
        raise


def get(identifier: Any) -> "Callable | None":
    """Resolves None, a name, a config dict or a callable to a metric function.

    Example:
        >>> get("top_k_categorical_accuracy") is top_k_categorical_accuracy
        True
    """
    return resolve_identifier(identifier, deserialize, "metric function", "metric")
