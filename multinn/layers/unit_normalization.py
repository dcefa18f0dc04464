"""UnitNormalization (tf.keras 2): scales each sample to unit L2 norm along some axes."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer

from .layer_normalization import check_axis_argument, validate_axes

__all__ = ["UnitNormalization"]


class UnitNormalization(Layer):
    """`x / sqrt(max(sum(x ** 2, axis), 1e-12))`: unit L2 norm along `axis` (tf.keras 2).

    Args:
        axis: the axis or list of axes the norm runs over (default the last).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import UnitNormalization
        >>> UnitNormalization()(K.constant([[3.0, 4.0]])).numpy().astype('float64').round(6).tolist()
        [[0.6, 0.8]]
    """

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = check_axis_argument(axis, "UnitNormalization")
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        validate_axes(self.axis, tuple(input_shape), "UnitNormalization")
        self.built = True

    def call(self, inputs: Any) -> Any:
        axes = validate_axes(self.axis, tuple(inputs.shape), "UnitNormalization")
        return K.l2_normalize(K.cast(inputs, self.dtype), axis=axes)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
