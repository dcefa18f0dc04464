"""Masking: skips timesteps whose features all equal a padding value."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer


class Masking(Layer):
    """Masks the timesteps where every feature equals `mask_value` (Keras 2).

    The output mask is `any(inputs != mask_value, axis=-1)`: layers that follow and
    support masking (recurrent layers, the loss) skip the masked timesteps. The
    masked timesteps of the output are zeroed.

    Args:
        mask_value: the padding value (0.0 by default).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Masking
        >>> x = K.constant([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
        >>> Masking().compute_mask(x).numpy().tolist()
        [[True, False, True]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * K.cast(keep, K.dtype(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
