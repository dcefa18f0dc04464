"""GroupNormalization (tf.keras 2): normalizes each sample over groups of channels."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import InputSpec
from multinn.utils.generic_utils import as_int

from .center_scale import CenterScaleLayer

__all__ = ["GroupNormalization"]


class GroupNormalization(CenterScaleLayer):
    """Splits the channels along `axis` into `groups` and normalizes each group of each sample
    (Wu & He, 2018): `gamma * (x - mean) / sqrt(var + epsilon) + beta`, the statistics taken
    over the group's channels and every other non-batch axis.

    `groups=1` is layer normalization over all non-batch axes; `groups=-1` (one channel per
    group) is instance normalization. A mask (mask propagation) weights the statistics, as
    tf.keras's does; a (batch, steps) mask of (batch, steps, channels) inputs covers every
    channel of a step.

    Args:
        groups: number of groups; must divide the channel count (-1: one per channel).
        axis: the channels axis (default -1).
        epsilon: added to the variance.
        center, scale: learn beta / gamma (one value per channel).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GroupNormalization
        >>> x = K.constant([[1.0, 3.0, 10.0, 30.0]])
        >>> GroupNormalization(groups=2, epsilon=0.0)(x).numpy().tolist()
        [[-1.0, 1.0, -1.0, 1.0]]
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
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
        # as_int: NumPy integers count, bools do not (as for every layer's int arguments)
        count, axis_number = as_int(groups), as_int(axis)
        if count is None or (count <= 0 and count != -1):
            raise ValueError(f"GroupNormalization `groups` must be a positive integer or -1. Received: groups={groups!r}")
        if axis_number is None:
            raise TypeError(f"GroupNormalization `axis` must be an int. Received: axis={axis!r}")
        self.supports_masking = True
        self.groups = count
        self.axis = axis_number
        self.epsilon = float(epsilon)
        self._set_center_scale_options(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                                       gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"GroupNormalization: invalid axis {self.axis} for inputs of shape {tuple(input_shape)}.")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer received an input "
                f"with shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a divisor of the number of channels ({dim}).")
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        self._add_gamma_beta((dim,))
        self.built = True

    def _grouped_shape(self, shape: tuple) -> tuple:
        axis = self.axis % len(shape)
        return tuple(shape[:axis]) + (self.groups, shape[axis] // self.groups) + tuple(shape[axis + 1:])

    def call(self, inputs: Any, mask: Any = None) -> Any:
        shape = tuple(inputs.shape)
        ndim = len(shape)
        axis = self.axis % ndim
        grouped = K.reshape(inputs, self._grouped_shape(shape))
        # the statistics run over every non-batch axis but the groups' own
        reduce = [a for a in range(1, ndim + 1) if a != axis]
        if mask is None:
            normed = K.layer_normalization(grouped, None, None, axis=reduce, epsilon=self.epsilon)
        else:
            normed = self._masked_normalization(grouped, mask, shape, reduce)
        out = K.reshape(normed, shape)
        pshape = tuple(d if i == axis else 1 for i, d in enumerate(shape))
        if self.gamma is not None:
            out = out * K.reshape(self.gamma, pshape)
        if self.beta is not None:
            out = out + K.reshape(self.beta, pshape)
        return out

    def _masked_normalization(self, grouped: Any, mask: Any, shape: tuple, reduce: list) -> Any:
        weights = K.cast(mask, K.dtype(grouped))
        while weights.ndim < len(shape):  # a (batch, steps) mask covers every channel of a step
            weights = K.expand_dims(weights, -1)
        weights = K.reshape(K.broadcast_to(weights, shape), tuple(grouped.shape))
        total = K.sum(weights, axis=reduce, keepdims=True)
        mean = K.sum(weights * grouped, axis=reduce, keepdims=True) / total
        var = K.sum(weights * K.square(grouped - mean), axis=reduce, keepdims=True) / total
        return (grouped - mean) / K.sqrt(var + self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, **self._center_scale_config()}
        return {**super().get_config(), **config}
