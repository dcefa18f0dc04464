"""Noise layers: regularizers that perturb their inputs while training and pass them through otherwise.

GaussianNoise adds N(0, stddev^2) noise; GaussianDropout multiplies by N(1, rate / (1 - rate))
noise; AlphaDropout drops to SELU's negative saturation value and rescales so that the
mean and variance of standardized inputs are kept (Keras 2's formulas).
"""
from __future__ import annotations

import math
from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_number, check_rate

from .dropout import set_dropout_options
from .legacy_interfaces import GAUSSIAN_DROPOUT, GAUSSIAN_NOISE

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout"]

# SELU's constants (Klambauer et al., 2017); alpha' = -scale * alpha is its negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev`, in training only.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GaussianNoise
        >>> layer = GaussianNoise(0.1)
        >>> layer(K.ones((1, 3))).numpy().tolist()  # test phase: unchanged
        [[1.0, 1.0, 1.0]]
        >>> layer(K.ones((1, 3)), training=True).shape
        (1, 3)
    """

    @legacy_support(GAUSSIAN_NOISE)
    def __init__(self, stddev: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = check_number(stddev, "stddev", minimum=0)

    def call(self, inputs: Any, training: Any = None) -> Any:
        def noised():
            return inputs + K.random_normal(K.int_shape(inputs), mean=0.0, stddev=self.stddev, dtype=K.dtype(inputs))

        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(Layer):
    """Multiplies by 1-centred Gaussian noise of standard deviation sqrt(rate / (1 - rate)), in training only.

    Args:
        rate: drop probability in [0, 1], as in Dropout; at 0 or 1 the layer does nothing.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GaussianDropout
        >>> GaussianDropout(0.2)(K.ones((1, 2))).numpy().tolist()
        [[1.0, 1.0]]
    """

    @legacy_support(GAUSSIAN_DROPOUT)
    def __init__(self, rate: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.rate = check_rate(rate)

    def call(self, inputs: Any, training: Any = None) -> Any:
        if 0 < self.rate < 1:
            def noised():
                stddev = math.sqrt(self.rate / (1.0 - self.rate))
                return inputs * K.random_normal(K.int_shape(inputs), mean=1.0, stddev=stddev, dtype=K.dtype(inputs))

            return K.in_train_phase(noised, inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(Layer):
    """Dropout for SELU networks: keeps the mean and variance of its inputs, in training only.

    Dropped entries take alpha' = -scale * alpha (SELU's saturation value); then
    `a * x + b` with `a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5` and
    `b = -a * alpha' * rate` restores zero mean and unit variance.

    Args:
        rate: drop probability in [0, 1]; at 0 or 1 the layer does nothing.
        noise_shape: shape of the keep/drop mask, broadcast over the input (None entries
            take the input's size).
        seed: optional seed; a seeded layer draws a reproducible sequence of masks.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import AlphaDropout
        >>> AlphaDropout(0.1)(K.zeros((1, 2))).numpy().tolist()
        [[0.0, 0.0]]
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: "int | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        set_dropout_options(self, rate, noise_shape, seed)

    def _get_noise_shape(self, inputs: Any) -> tuple:
        shape = K.int_shape(inputs)
        if self.noise_shape is None:
            return shape
        return tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not 0.0 < self.rate < 1.0:
            return inputs
        rate = float(self.rate)

        def dropped():
            dtype = K.dtype(inputs)
            # K.dropout's per-seed stream gives a new mask every step (a seeded K.random_uniform
            # would repeat one); only which entries survive is used here.
            survivors = K.dropout(K.ones(self._get_noise_shape(inputs), dtype=dtype), rate, seed=self.seed)
            kept = K.cast(K.not_equal(survivors, 0), dtype)
            alpha_p = -_SELU_ALPHA * _SELU_SCALE
            a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
            b = -a * alpha_p * rate
            x = inputs * kept + alpha_p * (1 - kept)
            return a * x + b

        return K.in_train_phase(dropped, inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        noise_shape = list(self.noise_shape) if self.noise_shape is not None else None
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}
