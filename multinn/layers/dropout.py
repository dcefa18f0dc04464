"""Dropout: randomly zeroes a fraction of the inputs while training."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_rate, optional_sizes

from .legacy_interfaces import DROPOUT


def set_dropout_options(layer: Layer, rate: Any, noise_shape: Any, seed: "int | None") -> None:
    """Checks and sets the options Dropout and AlphaDropout share: `rate`, `noise_shape`
    (None, or the mask's shape with None where the mask takes the input's size), `seed`."""
    layer.rate = check_rate(rate)
    layer.noise_shape = None if noise_shape is None else optional_sizes(noise_shape, "noise_shape")
    layer.seed = seed
    layer.supports_masking = True


class Dropout(Layer):
    """Sets a fraction `rate` of the inputs to 0 in training (scaling the rest by 1/(1-rate)).

    Args:
        rate: fraction to drop, between 0 and 1 (at 1, as at 0, the layer passes its inputs on).
        noise_shape: shape of the binary mask, broadcast over the input (None entries take the
            input's size), e.g. (batch, 1, features) to drop the same features at every timestep.
        seed: optional seed for the masks.

    In test mode (predict, evaluate) it passes inputs through; call it with `training=True`
    to keep it on always.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Dropout
        >>> Dropout(0.5)(K.ones((1, 4))).numpy().tolist()
        [[1.0, 1.0, 1.0, 1.0]]
    """

    @legacy_support(DROPOUT)
    def __init__(self, rate: float, noise_shape: Any = None, seed: "int | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        set_dropout_options(self, rate, noise_shape, seed)

    def _get_noise_shape(self, inputs: Any) -> Any:
        if self.noise_shape is None:
            return None
        shape = inputs.shape
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def call(self, inputs: Any, training: Any = None) -> Any:
        if 0.0 < self.rate < 1.0:
            return K.in_train_phase(
                lambda: K.dropout(inputs, self.rate, self._get_noise_shape(inputs), seed=self.seed), inputs, training=training
            )
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {"rate": self.rate, "noise_shape": list(self.noise_shape) if self.noise_shape else None, "seed": self.seed}
        return {**super().get_config(), **config}
