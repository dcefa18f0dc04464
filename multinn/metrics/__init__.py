"""Metrics (Keras 2.3's `keras.metrics`): stateless metric functions and stateful metric objects.

A metric function takes `(y_true, y_pred)` and returns one value per sample; the training
engine averages it over each epoch. A metric object (`Metric` subclass: `Mean`,
`CategoricalAccuracy`, `AUC`, `Precision`, ...) keeps running state: the engine resets it at
every epoch start and reports its running result. 'accuracy' / 'acc' (and 'crossentropy' /
'ce') in `compile` depend on the loss and the output shape: the engine resolves them with
`resolve`, as Keras 2 does. Any callable `f(y_true, y_pred)` works as a metric too.

Modules: `functions` (stateless), `base` (Metric, Mean, Sum, MeanMetricWrapper),
`mean_metrics` (the wrappers of the functions), `confusion` (confusion-matrix metrics),
`auc` and `iou`.

Example:
    >>> from multinn import metrics
    >>> from multinn import backend as K
    >>> metrics.get("categorical_accuracy")(K.constant([[0.0, 1.0]]), K.constant([[0.3, 0.7]])).numpy().tolist()
    [1.0]
    >>> m = metrics.CategoricalAccuracy()
    >>> float(m([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.7], [0.4, 0.6]]))
    0.5
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from multinn import losses
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object, unknown

from . import functions as _functions
from .auc import AUC
from .base import Mean, MeanMetricWrapper, Metric, MetricResult, Reduce, Sum
from .confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    SensitivityAtSpecificity,
    SensitivitySpecificityBase,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .confusion import CLASSES as _CONFUSION_CLASSES
from .functions import (  # noqa: F401
    MAE,
    MAPE,
    MSE,
    MSLE,
    accuracy,
    binary_accuracy,
    binary_crossentropy,
    categorical_accuracy,
    categorical_crossentropy,
    categorical_hinge,
    cosine,
    cosine_proximity,
    cosine_similarity,
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
    sparse_categorical_accuracy,
    sparse_categorical_crossentropy,
    sparse_top_k_categorical_accuracy,
    squared_hinge,
    top_k_categorical_accuracy,
)
from .iou import MeanIoU
from .mean_metrics import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)
from .mean_metrics import CLASSES as _MEAN_CLASSES

_METRICS: dict = {
    **{fn.__name__: fn for fn in _functions.FUNCTIONS},
    **_functions.ALIASES,
    **{cls.__name__: cls for cls in (*_MEAN_CLASSES, *_CONFUSION_CLASSES, AUC, MeanIoU, Mean, Sum)},
}
# Names whose metric depends on the loss and the output shape ('accuracy' alone is also
# Keras 2.3's elementwise `accuracy` function, which `get` returns).
_CONTEXT_NAMES = ("acc", "crossentropy", "ce")


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


def resolve(identifier: Any, loss: Any = None, output_shape: "Sequence | None" = None) -> Any:
    """A metric function or object for what the user wrote in `compile(metrics=...)`.

    'accuracy' / 'acc' and 'crossentropy' / 'ce' depend on the output's loss and
    shape; anything else goes through `get`.

    Example:
        >>> resolve("acc", "binary_crossentropy", (None, 3)) is binary_accuracy
        True
    """
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        return resolve_accuracy(loss, output_shape or ())
    if isinstance(identifier, str) and identifier in ("crossentropy", "ce"):
        return resolve_crossentropy(loss, output_shape or ())
    return get(identifier)


def clone_metric(metric: Any) -> Any:
    """A fresh copy (zero state) of a metric object; a metric function as it is.

    Example:
        >>> m = Mean(name="m")
        >>> clone_metric(m) is not m and clone_metric(m).name == "m"
        True
    """
    if isinstance(metric, Metric):
        return type(metric).from_config(metric.get_config())
    return metric


def clone_metrics(metrics: Any) -> Any:
    """`clone_metric` over a list or a dict of metrics (None stays None).

    Example:
        >>> clone_metrics(["mae"])
        ['mae']
    """
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {key: clone_metric(value) for key, value in metrics.items()}
    return [clone_metric(metric) for metric in metrics]


def serialize(metric: Any) -> Any:
    """The name of a metric function, or {'class_name', 'config'} of a metric object.

    Example:
        >>> serialize(binary_accuracy)
        'binary_accuracy'
        >>> serialize(Mean(name="m"))
        {'class_name': 'Mean', 'config': {'name': 'm', 'dtype': 'float32'}}
    """
    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The metric named by `config`: a function for a function name, an object for a
    class name or a {'class_name', 'config'} dict.

    Example:
        >>> deserialize("mae") is mean_absolute_error
        True
        >>> deserialize({"class_name": "AUC", "config": {"num_thresholds": 5}}).num_thresholds
        5
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


def get(identifier: Any) -> Any:
    """Resolves None, a name, a config dict, a metric object or a callable.

    Example:
        >>> get("top_k_categorical_accuracy") is top_k_categorical_accuracy
        True
        >>> type(get("AUC")).__name__
        'AUC'
    """
    return resolve_identifier(identifier, deserialize, "metric function", "metric")
