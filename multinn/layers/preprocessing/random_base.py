"""What the Random* image layers share: training-only application, seeded draws, factor
arguments."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.generic_utils import as_int
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_number

from .resizing import check_image_rank, float_dtype

__all__ = ["RandomImageLayer", "factor_range"]

_MASK63 = (1 << 63) - 1


def factor_range(factor: Any, name: str, *, minimum: "float | None" = None, maximum: "float | None" = None) -> tuple:
    """tf.keras's factor argument: a number f means (-f, f); a pair means (lower, upper).

    Example:
        >>> factor_range(0.2, "factor"), factor_range((-0.1, 0.3), "factor")
        ((-0.2, 0.2), (-0.1, 0.3))
    """
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"The `{name}` argument must be a number or a pair (lower, upper). Received: {name}={factor!r}")
        low, high = (check_number(f, name, minimum=minimum, maximum=maximum) for f in factor)
    else:
        high = abs(check_number(factor, name))
        low = -high
        if maximum is not None and high > maximum:
            raise ValueError(f"The `{name}` argument must be at most {maximum}. Received: {name}={factor!r}")
    if low > high:
        raise ValueError(f"The `{name}` argument's lower bound exceeds its upper bound. Received: {name}={factor!r}")
    return low, high


class RandomImageLayer(Layer):
    """Base of the Random* layers: `augment(images)` runs only in training (the learning phase,
    or `training=True`); at inference the images pass through (as floats).

    Draws come from K's Philox generator: with `seed=None` from the global stream (see
    `K.set_seed`); with a seed, from a stream of that seed that moves on at every call, so a
    seeded layer gives a reproducible sequence of augmentations, the same on every backend.

    Example:
        >>> from multinn import backend as K
        >>> class Shift(RandomImageLayer):
        ...     def augment(self, images):
        ...         return images + self.uniform((), 1.0, 2.0)
        >>> layer = Shift(seed=3)
        >>> float(layer(K.zeros((1, 1, 1, 1)))[0, 0, 0, 0])          # inference: unchanged
        0.0
        >>> 1.0 <= float(layer(K.zeros((1, 1, 1, 1)), training=True)[0, 0, 0, 0]) < 2.0
        True
    """

    def __init__(self, seed: "int | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        if seed is not None and as_int(seed) is None:
            raise TypeError(f"{type(self).__name__}: `seed` must be an integer or None. Received: seed={seed!r}")
        self.seed = None if seed is None else as_int(seed)
        self._draws = 0

    def uniform(self, shape: tuple, low: float, high: float) -> Any:
        """Uniform draws in [low, high) from this layer's stream."""
        seed = None
        if self.seed is not None:
            # splitmix-style step: call n of seed s gets its own, well-separated explicit seed
            seed = ((self.seed & _MASK63) * 0x9E3779B1 + (self._draws + 1) * 0x85EBCA77) & _MASK63
            self._draws += 1
        return K.random_uniform(shape, low, high, dtype="float32", seed=seed)

    def _float(self, x: Any) -> Any:
        return K.cast(x, float_dtype(self))

    def _output_dtype(self, input_list: list) -> str:
        return float_dtype(self)

    def augment(self, images: Any) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any, training: Any = None) -> Any:
        check_image_rank(inputs.shape, type(self).__name__)
        x = self._float(inputs)
        return K.in_train_phase(lambda: self._augment_batched(x), x, training=training)

    def _augment_batched(self, x: Any) -> Any:
        if x.ndim == 3:
            return self.augment(K.expand_dims(x, 0))[0]
        return self.augment(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_image_rank(tuple(input_shape), type(self).__name__)
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}
