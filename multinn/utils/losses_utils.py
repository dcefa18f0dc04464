"""Weighting and reducing per-sample values (Keras 2.3's `keras.utils.losses_utils`), written with K.

Loss objects and the stateful metrics share these rules: targets and predictions whose
ranks differ by one trailing 1-sized axis are aligned, sample weights are squeezed or
expanded by one axis and then broadcast to the values, and the weighted values are
reduced by a `Reduction`.

Example:
    >>> from multinn import backend as K
    >>> float(compute_weighted_loss(K.constant([1.0, 3.0]), [1.0, 0.0]))
    0.5
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K


class Reduction:
    """How a Loss object reduces its weighted values (Keras 2.3's names and values).

    `NONE` keeps them, `SUM` adds them up, `SUM_OVER_BATCH_SIZE` divides that sum by the
    number of values. `AUTO` (tf.keras's name) is accepted and reduces as
    `SUM_OVER_BATCH_SIZE`.

    Example:
        >>> Reduction.all()
        ('none', 'sum', 'sum_over_batch_size')
        >>> Reduction.validate("sum")
        'sum'
    """

    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    AUTO = "auto"

    @classmethod
    def all(cls) -> tuple:
        """Keras 2.3's reductions."""
        return (cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key: str) -> str:
        """`key` when it names a reduction, else ValueError naming the valid ones."""
        if key not in cls.all() and key != cls.AUTO:
            raise ValueError(f"Invalid loss reduction: expected one of {cls.all()}. Received: reduction={key!r}")
        return key


def squeeze_or_expand_dimensions(y_pred: Any, y_true: Any = None, sample_weight: Any = None) -> tuple:
    """Aligns ranks: drops a trailing 1-sized axis of `y_pred` or `y_true` when their ranks
    differ by one, then squeezes or expands the last axis of `sample_weight` when its rank
    differs by one from `y_pred`'s (a scalar weight stays a scalar).

    Returns `(y_pred, y_true)` when `sample_weight` is None, else `(y_pred, y_true, sample_weight)`.

    Example:
        >>> from multinn import backend as K
        >>> p, t = squeeze_or_expand_dimensions(K.zeros((4, 1)), K.zeros((4,)))
        >>> p.shape, t.shape
        ((4,), (4,))
    """
    if y_true is not None:
        y_pred, y_true = K.convert_to_tensor(y_pred), K.convert_to_tensor(y_true)
        if y_pred.ndim - y_true.ndim == 1 and y_pred.shape[-1] == 1:
            y_pred = K.squeeze(y_pred, -1)
        elif y_true.ndim - y_pred.ndim == 1 and y_true.shape[-1] == 1:
            y_true = K.squeeze(y_true, -1)
    if sample_weight is None:
        return y_pred, y_true
    y_pred, sample_weight = K.convert_to_tensor(y_pred), K.convert_to_tensor(sample_weight)
    if sample_weight.ndim != 0:
        if y_pred.ndim == 0 and sample_weight.ndim == 1:
            y_pred = K.expand_dims(y_pred, -1)
        elif sample_weight.ndim - y_pred.ndim == 1 and sample_weight.shape[-1] == 1:
            sample_weight = K.squeeze(sample_weight, -1)
        elif y_pred.ndim - sample_weight.ndim == 1:
            sample_weight = K.expand_dims(sample_weight, -1)
    return y_pred, y_true, sample_weight


def broadcast_weights(values: Any, sample_weight: Any) -> K.Tensor:
    """`sample_weight` with trailing axes added and 1-sized axes repeated to `values`' shape.

    Raises ValueError when the weights have more axes than the values or an axis that is
    neither 1 nor the values' size.

    Example:
        >>> from multinn import backend as K
        >>> broadcast_weights(K.zeros((2, 3)), K.constant([1.0, 2.0])).numpy().tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    values, sample_weight = K.convert_to_tensor(values), K.convert_to_tensor(sample_weight)
    values_shape, weights_shape = tuple(values.shape), tuple(sample_weight.shape)
    if values_shape == weights_shape:
        return sample_weight
    if len(weights_shape) > len(values_shape) or any(
        have not in (1, want) for have, want in zip(weights_shape, values_shape)
    ):
        raise ValueError(f"Incompatible shapes: `values` {values_shape} vs `sample_weight` {weights_shape}")
    # Trailing axes are added (not leading ones, as NumPy would): weights follow the batch axis.
    expanded = K.reshape(sample_weight, weights_shape + (1,) * (len(values_shape) - len(weights_shape)))
    return K.broadcast_to(expanded, values_shape)


def reduce_weighted_loss(weighted_losses: Any, reduction: str = Reduction.SUM_OVER_BATCH_SIZE) -> K.Tensor:
    """The weighted values themselves (`NONE`), their sum (`SUM`) or their mean (otherwise).

    Example:
        >>> from multinn import backend as K
        >>> float(reduce_weighted_loss(K.constant([1.0, 2.0, 6.0]), "sum"))
        9.0
    """
    weighted_losses = K.convert_to_tensor(weighted_losses)
    if reduction == Reduction.NONE:
        return weighted_losses
    total = K.sum(weighted_losses)
    if reduction == Reduction.SUM:
        return total
    return total / K.size(weighted_losses)


def compute_weighted_loss(losses: Any, sample_weight: Any = None, reduction: str = Reduction.SUM_OVER_BATCH_SIZE,
                          name: "str | None" = None) -> K.Tensor:
    """Multiplies `losses` by `sample_weight` (a scalar, or broadcastable to `losses`) and reduces them.

    The result has the dtype of `losses`; a scalar unless `reduction` is 'none'.

    Example:
        >>> from multinn import backend as K
        >>> float(compute_weighted_loss(K.constant([[1.0], [3.0]]), K.constant([2.0, 1.0]), "sum"))
        5.0
    """
    Reduction.validate(reduction)
    losses = K.convert_to_tensor(losses)
    input_dtype = K.dtype(losses)
    floating = losses if input_dtype == K.floatx() else K.cast(losses, K.floatx())
    if sample_weight is None:
        weighted = floating
    else:
        weights = K.cast(sample_weight, K.floatx())
        floating, _, weights = squeeze_or_expand_dimensions(floating, None, weights)
        weighted = floating * broadcast_weights(floating, weights)
    loss = reduce_weighted_loss(weighted, Reduction.SUM_OVER_BATCH_SIZE if reduction == Reduction.AUTO else reduction)
    return loss if K.dtype(loss) == input_dtype else K.cast(loss, input_dtype)
