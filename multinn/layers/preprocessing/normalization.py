"""Normalization (tf.keras 2): `(x - mean) / max(sqrt(variance), epsilon)`, statistics given
or learned by `adapt()`."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer

from .adapt_data import adapt_batches

__all__ = ["Normalization"]


def _axis_argument(axis: Any) -> "tuple | None":
    if axis is None:
        return None
    listed = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in listed):
        raise TypeError(f"Normalization: `axis` must be an int, a tuple of ints or None. Received: axis={axis!r}")
    return tuple(listed)


class Normalization(Layer):
    """Shifts and scales the inputs to mean 0 and standard deviation 1 per index of `axis`.

    `(x - mean) / max(sqrt(variance), K.epsilon())`, or with `invert=True`
    `mean + x * max(sqrt(variance), K.epsilon())`. The statistics are given (`mean`,
    `variance`, kept in the config) or learned by `adapt(data)` over every axis but `axis`
    (kept as the non-trainable weights `mean`, `variance`, `count`, so they save with the model).

    Args:
        axis: the axis or axes that keep one mean and variance per index (default the last);
            None for one scalar mean and variance. The batch axis 0 cannot be one of them.
        mean, variance: the statistics (numbers or nested lists broadcastable to the kept axes);
            both or neither.
        invert: undo the normalization instead.

    Example:
        >>> from multinn.layers import Normalization
        >>> layer = Normalization(axis=None)
        >>> layer.adapt([1.0, 2.0, 3.0, 4.0, 5.0])
        >>> layer(K.constant([1.0, 2.0, 3.0])).numpy().astype("float64").round(4).tolist()
        [-1.4142, -0.7071, 0.0]
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = _axis_argument(axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: pass both `mean` and `variance`, or neither to learn them with "
                             f"adapt(). Received: mean={mean!r}, variance={variance!r}")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self._kept: "list | None" = None

    def _kept_axes(self, input_shape: tuple) -> list:
        ndim = len(input_shape)
        if self.axis is None:
            return []
        kept = []
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"Normalization: invalid axis {a} for inputs of {ndim} dimensions. Received: axis={self.axis}")
            kept.append(a % ndim)
        if 0 in kept:
            raise ValueError(f"Normalization: the batch axis 0 cannot be normalized per index. Received: axis={self.axis}")
        return sorted(set(kept))

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        self._kept = self._kept_axes(input_shape)
        shape = tuple(input_shape[a] for a in self._kept)
        if any(d is None for d in shape):
            raise ValueError(f"Normalization: the kept axes {self._kept} need known sizes. Received: input_shape={input_shape}")
        self._stats_shape = shape
        self._broadcast = tuple(input_shape[a] if a in self._kept else 1 for a in range(1, len(input_shape)))
        if self.input_mean is not None:
            self.mean = K.constant(K.broadcast_to(K.constant(self.input_mean, dtype="float64"), shape), dtype=self.dtype)
            self.variance = K.constant(K.broadcast_to(K.constant(self.input_variance, dtype="float64"), shape), dtype=self.dtype)
        else:
            self.mean = self.add_weight("mean", shape, dtype=self.dtype, initializer="zeros", trainable=False)
            self.variance = self.add_weight("variance", shape, dtype=self.dtype, initializer="ones", trainable=False)
            self.count = self.add_weight("count", (), dtype="int64", initializer="zeros", trainable=False)
        self.built = True

    def adapt(self, data: Any, batch_size: "int | None" = None, steps: "int | None" = None) -> None:
        """Learns the mean and variance of `data` (an array, or an iterable of batches), in float64.

        Example:
            >>> layer = Normalization()
            >>> layer.adapt([[0.0, 7.0], [2.0, 9.0]])
            >>> K.get_value(layer.mean).tolist(), K.get_value(layer.variance).tolist()
            ([1.0, 8.0], [1.0, 1.0])
        """
        if self.input_mean is not None:
            raise ValueError("Normalization: adapt() cannot run on a layer built with `mean` and `variance`. "
                             f"Received: mean={self.input_mean!r}")
        count, mean, m2 = 0, None, None
        for batch in adapt_batches(data, batch_size, steps, "Normalization", dtype="float64"):
            if not self.built:
                self.build((None,) + tuple(batch.shape[1:]))
            reduce = [a for a in range(batch.ndim) if a not in self._kept]
            n = 1
            for a in reduce:
                n *= int(batch.shape[a])
            b_mean = K.mean(batch, axis=reduce)
            b_m2 = K.var(batch, axis=reduce) * n
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
                continue
            total = count + n
            delta = b_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + b_m2 + K.square(delta) * (count * n / total)
            count = total
        K.set_value(self.mean, K.eval(mean).astype(self.dtype))
        K.set_value(self.variance, K.eval(m2 / count).astype(self.dtype))
        K.set_value(self.count, count)

    def call(self, inputs: Any) -> Any:
        x = K.cast(inputs, self.dtype)
        mean = K.reshape(self.mean, (1,) + self._broadcast)
        scale = K.maximum(K.sqrt(K.reshape(self.variance, (1,) + self._broadcast)), K.epsilon())
        return mean + x * scale if self.invert else (x - mean) / scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        def listed(v: Any) -> Any:
            return K.eval(K.constant(v, dtype="float64")).tolist() if v is not None else None

        return {**super().get_config(), "axis": list(self.axis) if self.axis is not None else None,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance), "invert": self.invert}
