"""Loss functions and Loss classes (Keras 2 names, defaults and formulas), written with K.

A loss function takes `(y_true, y_pred)` and returns one value per sample (the mean
over the last axis, as in Keras 2); the training engine applies sample weights and the
batch mean. A `Loss` object does both itself when called, by its `reduction`.

Example:
    >>> from multinn import losses
    >>> from multinn import backend as K
    >>> losses.get("mse")(K.constant([[0.0, 1.0]]), K.constant([[1.0, 1.0]])).numpy().tolist()
    [0.5]
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.utils.losses_utils import Reduction, compute_weighted_loss  # noqa: F401  (also offered here)
from multinn.utils.generic_utils import check_kwargs, get_object, resolve_identifier, serialize_keras_object


def _prepare(y_true: Any, y_pred: Any) -> tuple:
    """Tensors, with the targets in the predictions' dtype (integer labels included)."""
    y_pred = K.convert_to_tensor(y_pred)
    y_true = K.cast(y_true, K.dtype(y_pred))
    return y_true, y_pred


def mean_squared_error(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(square(y_pred - y_true), axis=-1)`.

    Example:
        >>> mean_squared_error(K.constant([[0.0, 2.0]]), K.constant([[1.0, 0.0]])).numpy().tolist()
        [2.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(abs(y_pred - y_true), axis=-1)`.

    Example:
        >>> mean_absolute_error(K.constant([[0.0, 2.0]]), K.constant([[1.0, 0.0]])).numpy().tolist()
        [1.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> K.Tensor:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`.

    Example:
        >>> mean_absolute_percentage_error(K.constant([[2.0, 4.0]]), K.constant([[1.0, 4.0]])).numpy().tolist()
        [25.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = K.abs((y_true - y_pred) / K.maximum(K.abs(y_true), K.epsilon()))
    return 100.0 * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`.

    Example:
        >>> round(float(mean_squared_logarithmic_error(K.constant([[0.0]]), K.constant([[1.0]]))[0]), 4)
        0.4805
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    first = K.log(K.maximum(y_pred, K.epsilon()) + 1.0)
    second = K.log(K.maximum(y_true, K.epsilon()) + 1.0)
    return K.mean(K.square(first - second), axis=-1)


def _maybe_convert_labels(y_true: K.Tensor) -> K.Tensor:
    """Maps 0/1 targets to -1/1 when every target is 0 or 1 (tf.keras 2's hinge rule).

    Chosen with K.where rather than a Python `if`, so no device value is read back.
    """
    binary = K.all(K.logical_or(K.equal(y_true, 0.0), K.equal(y_true, 1.0)))
    return K.where(binary, 2.0 * y_true - 1.0, y_true)


def squared_hinge(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`; 0/1 targets become -1/1.

    Example:
        >>> squared_hinge(K.constant([[1.0, 0.0]]), K.constant([[0.5, 0.5]])).numpy().tolist()
        [1.25]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return K.mean(K.square(K.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def hinge(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; 0/1 targets become -1/1.

    Example:
        >>> hinge(K.constant([[1.0, -1.0]]), K.constant([[0.5, 0.5]])).numpy().tolist()
        [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return K.mean(K.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> K.Tensor:
    """`max(0, max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1)` over the last axis.

    Example:
        >>> categorical_hinge(K.constant([[0.0, 1.0]]), K.constant([[0.25, 0.75]])).numpy().tolist()
        [0.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(neg - pos + 1.0, 0.0)


def logcosh(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflow.

    Example:
        >>> round(float(logcosh(K.constant([[0.0]]), K.constant([[1.0]]))[0]), 5)
        0.43378
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + log(1 + exp(-2x)) - log(2): finite for large |x|.
    return K.mean(x + K.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> K.Tensor:
    """Huber loss: `0.5 * e**2` where |e| <= delta, `delta * |e| - 0.5 * delta**2` beyond; mean over axis -1.

    Example:
        >>> huber(K.constant([[0.0, 0.0]]), K.constant([[0.5, 3.0]])).numpy().tolist()
        [1.3125]
    """
    return K.mean(huber_loss(y_true, y_pred, delta), axis=-1)


def huber_loss(y_true: Any, y_pred: Any, delta: float = 1.0) -> K.Tensor:
    """Keras 2.3's Huber loss, one value per element (no mean over the last axis).

    `0.5 * e**2` where |e| <= delta, `delta * |e| - 0.5 * delta**2` beyond; `huber` is its
    mean over the last axis (tf.keras's shape).

    Example:
        >>> huber_loss(K.constant([[0.0, 0.0]]), K.constant([[0.5, 3.0]])).numpy().tolist()
        [[0.125, 2.5]]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    abs_error = K.abs(y_pred - y_true)
    quadratic = K.minimum(abs_error, delta)
    return 0.5 * K.square(quadratic) + delta * (abs_error - quadratic)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> K.Tensor:
    """Cross-entropy of one-hot (or soft) targets and class probabilities (or logits).

    With `label_smoothing` s, targets become `y_true * (1 - s) + s / num_classes`.

    Example:
        >>> y = categorical_crossentropy(K.constant([[0.0, 1.0]]), K.constant([[0.5, 0.5]]))
        >>> round(float(y[0]), 5)
        0.69315
    """
    y_pred = K.convert_to_tensor(y_pred)
    y_true = K.cast(y_true, K.dtype(y_pred))
    if label_smoothing:
        num_classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    # Straight to K: its fused softmax + cross-entropy path depends on seeing y_pred as is.
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, axis: int = -1) -> K.Tensor:
    """Cross-entropy of integer class targets and class probabilities (or logits).

    Example:
        >>> y = sparse_categorical_crossentropy(K.constant([1], dtype="int32"), K.constant([[0.5, 0.5]]))
        >>> round(float(y[0]), 5)
        0.69315
    """
    if axis == -1:
        return K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
    return K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> K.Tensor:
    """Mean over the last axis of elementwise binary cross-entropy.

    With `label_smoothing` s, targets become `y_true * (1 - s) + 0.5 * s`.

    Example:
        >>> y = binary_crossentropy(K.constant([[1.0, 0.0]]), K.constant([[0.5, 0.5]]))
        >>> round(float(y[0]), 5)
        0.69315
    """
    y_pred = K.convert_to_tensor(y_pred)
    y_true = K.cast(y_true, K.dtype(y_pred))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return K.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=-1)


def kullback_leibler_divergence(y_true: Any, y_pred: Any) -> K.Tensor:
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to [epsilon, 1].

    Example:
        >>> round(float(kullback_leibler_divergence(K.constant([[0.5, 0.5]]), K.constant([[0.25, 0.75]]))[0]), 5)
        0.14384
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = K.clip(y_true, K.epsilon(), 1.0)
    y_pred = K.clip(y_pred, K.epsilon(), 1.0)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> K.Tensor:
    """`mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`.

    Example:
        >>> poisson(K.constant([[0.0]]), K.constant([[2.0]])).numpy().tolist()
        [2.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> K.Tensor:
    """Negative cosine similarity along `axis` (-1 for parallel vectors), Keras 2's sign.

    Example:
        >>> cosine_similarity(K.constant([[1.0, 0.0]]), K.constant([[2.0, 0.0]])).numpy().tolist()
        [-1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = K.l2_normalize(y_true, axis=axis)
    y_pred = K.l2_normalize(y_pred, axis=axis)
    return -K.sum(y_true * y_pred, axis=axis)


# Keras 2's aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence = kullback_leibler_divergence
log_cosh = logcosh
cosine_proximity = cosine = cosine_similarity


# ------------------------------------------------------------------ Loss classes
class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample losses.

    Calling the object applies `sample_weight` and the `reduction`.

    Example:
        >>> class MeanCube(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return K.mean(K.pow(K.abs(y_pred - y_true), 3), axis=-1)
        >>> float(MeanCube()(K.constant([[0.0, 0.0]]), K.constant([[1.0, 2.0]])))
        4.5
    """

    def __init__(self, reduction: str = Reduction.SUM_OVER_BATCH_SIZE, name: "str | None" = None):
        self.reduction = Reduction.validate(reduction)
        self.name = name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> K.Tensor:
        return compute_weighted_loss(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true: Any, y_pred: Any) -> K.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Loss":
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss object around a loss function `fn(y_true, y_pred, **kwargs)`.

    Example:
        >>> float(LossFunctionWrapper(mean_absolute_error)(K.constant([[0.0]]), K.constant([[2.0]])))
        2.0
    """

    def __init__(
        self, fn: Callable, reduction: str = Reduction.SUM_OVER_BATCH_SIZE, name: "str | None" = None, **kwargs: Any
    ):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> K.Tensor:
        y_pred = K.convert_to_tensor(y_pred)
        y_true = K.convert_to_tensor(y_true)
        # Targets of shape (batch,) against predictions of shape (batch, 1): give the
        # targets the trailing axis so the loss stays one value per sample.
        if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
            y_true = K.expand_dims(y_true, -1)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}


def _loss_class(class_name: str, fn: Callable, default_name: str, params: tuple = ()) -> type:
    """A LossFunctionWrapper subclass with Keras 2's constructor (`params` are (name, default))."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = [p for p, _ in params] + ["reduction", "name"]
        if len(args) > len(names):
            raise TypeError(f"{class_name}() takes at most {len(names)} positional arguments. Received: {len(args)}")
        values = {**dict(params), "reduction": Reduction.SUM_OVER_BATCH_SIZE, "name": default_name}
        for key, value in zip(names, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                check_kwargs({key: value}, names, f"{class_name}()")
            values[key] = value
        reduction, name = values.pop("reduction"), values.pop("name")
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, **values)

    doc = f"Loss object for `{fn.__name__}`; arguments {', '.join(p for p, _ in params) or 'none'} besides reduction and name."
    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error"
)
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error"
)
Hinge = _loss_class("Hinge", hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
LogCosh = _loss_class("LogCosh", logcosh, "logcosh")
Huber = _loss_class("Huber", huber_loss, "huber_loss", (("delta", 1.0),))
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    (("from_logits", False), ("label_smoothing", 0.0)),
)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
    (("from_logits", False),),
)
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    (("from_logits", False), ("label_smoothing", 0.0)),
)
KLDivergence = _loss_class("KLDivergence", kullback_leibler_divergence, "kullback_leibler_divergence")
Poisson = _loss_class("Poisson", poisson, "poisson")
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, "cosine_similarity", (("axis", -1),))

_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    squared_hinge, hinge, categorical_hinge, logcosh, huber, huber_loss, categorical_crossentropy,
    sparse_categorical_crossentropy, binary_crossentropy, kullback_leibler_divergence, poisson, cosine_similarity,
)
_CLASSES = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Hinge,
    SquaredHinge, CategoricalHinge, LogCosh, Huber, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    BinaryCrossentropy, KLDivergence, Poisson, CosineSimilarity,
)
_LOSSES: dict = {
    **{fn.__name__: fn for fn in _FUNCTIONS},
    **{cls.__name__: cls for cls in _CLASSES},
    "mse": mse, "MSE": MSE, "mae": mae, "MAE": MAE, "mape": mape, "MAPE": MAPE, "msle": msle, "MSLE": MSLE,
    "kld": kld, "KLD": KLD, "kl_divergence": kl_divergence, "log_cosh": log_cosh,
    "cosine_proximity": cosine_proximity, "cosine": cosine,
}


def is_categorical_crossentropy(loss: Any) -> bool:
    """Whether `loss` is categorical cross-entropy: the function, its name, or a loss object
    wrapping it (the training loop checks targets against it).

    Example:
        >>> is_categorical_crossentropy("categorical_crossentropy"), is_categorical_crossentropy("mse")
        (True, False)
    """
    if isinstance(loss, CategoricalCrossentropy):
        return True
    if isinstance(loss, LossFunctionWrapper) and getattr(loss, "fn", None) is categorical_crossentropy:
        return True
    return getattr(loss, "__name__", None) == "categorical_crossentropy" or loss == "categorical_crossentropy"


def serialize(loss: Any) -> Any:
    """The name of a loss function, or {'class_name', 'config'} for a Loss object.

    Example:
        >>> serialize(mse)
        'mean_squared_error'
    """
    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The loss named by `config`: a function for a function name, an object for a class name or dict.

    Example:
        >>> deserialize("mae") is mean_absolute_error
        True
    """
    return get_object(config, _LOSSES, "loss function", custom_objects, instantiate=True)


def get(identifier: Any) -> "Callable | None":
    """Resolves None, a name, a config dict, a Loss object or a callable.

    Example:
        >>> get("categorical_crossentropy") is categorical_crossentropy
        True
    """
    return resolve_identifier(identifier, deserialize, "loss function", "loss")
