"""LayerNormalization (tf.keras 2): normalizes each sample over its feature axes."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.generic_utils import as_int

from .center_scale import CenterScaleLayer

__all__ = ["LayerNormalization", "validate_axes", "check_axis_argument"]


def validate_axes(axis: Any, input_shape: tuple, layer: str) -> list:
    """`axis` (an int or a list of ints) as a sorted list of non-negative axes of `input_shape`.

    Example:
        >>> validate_axes(-1, (None, 3, 4), "LayerNormalization")
        [2]
    """
    ndim = len(input_shape)
    listed = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    out = []
    for given in listed:
        a = as_int(given)
        if a is None or not -ndim <= a < ndim:
            raise ValueError(f"{layer}: invalid axis {given!r} for inputs of {ndim} dimensions. Received: axis={axis!r}")
        a %= ndim
        if a == 0 and ndim > 1:
            raise ValueError(f"{layer} cannot normalize over the batch axis. Received: axis={axis!r}")
        if a in out:
            raise ValueError(f"{layer}: duplicate axis {a}. Received: axis={axis!r}")
        out.append(a)
    return sorted(out)


def check_axis_argument(axis: Any, layer: str) -> Any:
    """An int stays an int, a list or tuple of ints becomes a list (tf.keras); anything else is an error.

    Example:
        >>> check_axis_argument((1, 2), "LayerNormalization"), check_axis_argument(-1, "LayerNormalization")
        ([1, 2], -1)
    """
    if isinstance(axis, (list, tuple)) and all(as_int(a) is not None for a in axis):
        return [as_int(a) for a in axis]
    if as_int(axis) is not None:
        return as_int(axis)
    raise TypeError(f"{layer}: expected an int or a list/tuple of ints for `axis`. Received: axis={axis!r}")


class LayerNormalization(CenterScaleLayer):
    """`gamma * (x - mean) / sqrt(var + epsilon) + beta`, mean and var over `axis` of each sample.

    tf.keras 2's layer (Ba et al., 2016). The computation is one fused K primitive,
    `K.layer_normalization`, with its own backward.

    Args:
        axis: the axis or list of axes to normalize over (default the last); gamma and beta
            have the shape of these axes.
        epsilon: added to the variance (1e-3, as tf.keras).
        center, scale: learn beta / gamma.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint.

    Weights: `gamma`, then `beta` (tf.keras's order).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LayerNormalization
        >>> LayerNormalization(epsilon=0.0)(K.constant([[1.0, 3.0], [2.0, 6.0]])).numpy().tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.axis = check_axis_argument(axis, "LayerNormalization")
        self.epsilon = float(epsilon)
        self._set_center_scale_options(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                                       gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        self.axis = validate_axes(self.axis, tuple(input_shape), "LayerNormalization")
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization needs known sizes along axis {self.axis}. Received: input_shape={tuple(input_shape)}")
        self._add_gamma_beta(shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return K.layer_normalization(inputs, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, **self._center_scale_config()}
