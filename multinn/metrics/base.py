"""Stateful metrics (Keras 2.3's `Metric` API): `Metric`, `Reduce`, `Sum`, `Mean`, `MeanMetricWrapper`.

A metric object keeps its running statistics in non-trainable K variables made with
`add_weight`. `update_state(...)` adds a batch to them, `result()` reads the value from
them, `reset_states()` zeroes them, and calling the object does the first two. The
training loop resets the metrics of `compile(metrics=[...])` at every epoch start, so
their per-batch values are running values over the epoch.

Example:
    >>> m = Mean()
    >>> _ = m.update_state([1.0, 3.0])
    >>> float(m([5.0, 7.0], sample_weight=[1.0, 0.0]))
    3.0
    >>> m.reset_states(); float(m.result())
    0.0
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils import losses_utils, metrics_utils


class MetricResult(K.Tensor):
    """The tensor a metric call returns: its value, and the metric that made it (`_metric_obj`),
    which is how `add_metric(metric(values))` finds the metric object (as in Keras 2.3).

    Example:
        >>> m = Sum()
        >>> m(2.0)._metric_obj is m
        True
    """

    __slots__ = ("_metric_obj",)


def div_no_nan(numerator: Any, denominator: Any) -> K.Tensor:
    """`numerator / denominator`, 0 where the denominator is 0 (a metric with no data reads 0).

    Example:
        >>> div_no_nan(K.constant([1.0, 2.0]), K.constant([2.0, 0.0])).numpy().tolist()
        [0.5, 0.0]
    """
    denominator = K.convert_to_tensor(denominator)
    nonzero = K.not_equal(denominator, 0)
    return K.where(nonzero, numerator / K.where(nonzero, denominator, K.ones_like(denominator)), 0.0)


class Metric(Layer):
    """Base class of stateful metrics: subclasses make their state with `add_weight` in
    `__init__`, and implement `update_state(...)` and `result()`.

    Args:
        name: the metric's name (the key of its value in the training logs).
        dtype: the dtype of its state and result (floatx by default).

    Example:
        >>> class CountPositives(Metric):
        ...     def __init__(self, name="count_positives", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.count = self.add_weight("count")
        ...     def update_state(self, values, sample_weight=None):
        ...         return K.update_add(self.count, K.sum(K.cast(K.greater(values, 0), self.dtype)))
        ...     def result(self):
        ...         return self.count
        >>> m = CountPositives()
        >>> _ = m([1.0, -2.0, 3.0])
        >>> float(m([4.0]))
        3.0
    """

    _is_metric = True

    def __init__(self, name: "str | None" = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.stateful = True
        self.built = True
        self.dtype = str(getattr(dtype, "name", dtype)) if dtype is not None else K.floatx()

    def __call__(self, *args: Any, **kwargs: Any) -> MetricResult:
        """Adds a batch (`update_state(*args, **kwargs)`) and returns the running result.

        On a model's graph tensors (`metrics.Mean()(layer.output)`) the call is a node of
        the graph: each run of the model adds its batch.
        """
        from multinn.backend.ops.core import symbolic
        from multinn.engine.call_state import inferring

        if symbolic.any(*args, *kwargs.values()):
            return symbolic.defer(self, *args, **kwargs)
        with K.no_grad():
            if not inferring():  # inferring a graph's shapes runs calls on dummy data: count none
                self.update_state(*args, **kwargs)
            value = K.identity(self.result())  # a copy: later updates must not change it
        out = MetricResult(value.data, value.backend)
        out._metric_obj = self
        return out

    def update_state(self, *args: Any, **kwargs: Any) -> Any:
        """Adds a batch to the state; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self) -> K.Tensor:
        """The metric's value from its state; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_states(self) -> None:
        """Sets every state variable to zeros (the training loop calls it at each epoch start)."""
        for weight in self.weights:
            K.set_value(weight, K.zeros_like(weight))

    def add_weight(self, name: str, shape: Any = (), initializer: Any = None, dtype: Any = None, **kwargs: Any) -> K.Variable:  # type: ignore[override]
        """A non-trainable state variable, zeros unless `initializer` says otherwise."""
        weight = super().add_weight(
            name=name, shape=shape, dtype=self.dtype if dtype is None else dtype,
            initializer="zeros" if initializer is None else initializer, trainable=False, **kwargs,
        )
        weight.name = f"{name}:0"  # Keras 2.3 names metric state without the metric's scope
        return weight

    def get_config(self) -> dict:
        """{'name', 'dtype'} plus the subclass's own arguments."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Metric":
        """A fresh metric (zero state) with the arguments of `config`."""
        return cls(**config)


class Reduce(Metric):
    """A metric that reduces (weighted) values by a `metrics_utils.Reduction`: a running sum,
    or a running mean over the number of values or over the sum of the weights.

    Example:
        >>> m = Reduce(metrics_utils.Reduction.SUM_OVER_BATCH_SIZE, name="m")
        >>> float(m([2.0, 4.0], sample_weight=[1.0, 0.0]))
        1.0
    """

    def __init__(self, reduction: str, name: "str | None", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        known = (metrics_utils.Reduction.SUM, metrics_utils.Reduction.SUM_OVER_BATCH_SIZE,
                 metrics_utils.Reduction.WEIGHTED_MEAN)
        if reduction not in known:
            raise ValueError(f"Unknown metric reduction: expected one of {known}. Received: reduction={reduction!r}")
        self.reduction = reduction
        self.total = self.add_weight("total")
        if reduction != metrics_utils.Reduction.SUM:
            self.count = self.add_weight("count")

    def update_state(self, values: Any, sample_weight: Any = None) -> list:
        """Adds the (weighted) values; the count grows by their number, or by the weights' sum
        for a weighted mean."""
        values = K.cast(values, self.dtype)
        weights = None
        if sample_weight is not None:
            weights = K.cast(sample_weight, self.dtype)
            values, _, weights = losses_utils.squeeze_or_expand_dimensions(values, None, weights)
            weights = losses_utils.broadcast_weights(values, weights)
            values = values * weights
        updates = [K.update_add(self.total, K.sum(values))]
        if self.reduction == metrics_utils.Reduction.SUM:
            return updates
        if self.reduction == metrics_utils.Reduction.WEIGHTED_MEAN and weights is not None:
            count = K.sum(weights)
        else:
            count = float(K.size(values))
        updates.append(K.update_add(self.count, count))
        return updates

    def result(self) -> K.Tensor:
        if self.reduction == metrics_utils.Reduction.SUM:
            return K.identity(self.total)
        return div_no_nan(self.total, self.count)


class Sum(Reduce):
    """The running (weighted) sum of the values given.

    Example:
        >>> float(Sum()([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0]))
        4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(metrics_utils.Reduction.SUM, name=name, dtype=dtype)


class Mean(Reduce):
    """The running (weighted) mean of the values given: weighted sum over the sum of weights.

    Example:
        >>> float(Mean()([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0]))
        2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(metrics_utils.Reduction.WEIGHTED_MEAN, name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The running mean of a stateless metric `fn(y_true, y_pred, **kwargs)` over the samples.

    Targets and predictions are cast to the metric's dtype and their ranks aligned first.

    Example:
        >>> from multinn.metrics.functions import binary_accuracy
        >>> m = MeanMetricWrapper(binary_accuracy, name="acc", threshold=0.7)
        >>> float(m([[1.0], [1.0]], [[0.6], [0.9]]))
        0.5
    """

    def __init__(self, fn: Callable, name: "str | None" = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> list:  # type: ignore[override]
        """Adds `fn(y_true, y_pred)` of a batch, weighted by `sample_weight`."""
        y_true = K.cast(y_true, self.dtype)
        y_pred = K.cast(y_pred, self.dtype)
        y_pred, y_true = losses_utils.squeeze_or_expand_dimensions(y_pred, y_true)
        matches = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(matches, sample_weight=sample_weight)

    def get_config(self) -> dict:
        extra = {k: (K.eval(v) if K.is_tensor(v) else v) for k, v in self._fn_kwargs.items()}
        return {**super().get_config(), **extra}
