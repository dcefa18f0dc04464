"""RandomContrast and RandomBrightness (tf.keras 2)."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.argument_validation import check_number

from .random_base import RandomImageLayer, factor_range

__all__ = ["RandomContrast", "RandomBrightness"]


class RandomContrast(RandomImageLayer):
    """In training, scales each image's contrast by a factor drawn from [1 - lower, 1 + upper]:
    `(x - mean) * factor + mean`, the mean taken per image and channel over the pixels, then
    clipped to [0, 255] as tf.keras 2 does (inputs are expected in that range).

    Args:
        factor: a number f in [0, 1] (the range [1 - f, 1 + f]) or a pair (lower, upper).
        seed: optional integer seed.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomContrast
        >>> x = K.constant([[[[10.0], [30.0]]]])
        >>> y = RandomContrast(0.5, seed=2)(x, training=True).numpy().ravel()
        >>> bool(abs(y.mean() - 20.0) < 1e-4 and 5.0 <= y[1] - y[0] <= 30.0)
        True
    """

    def __init__(self, factor: Any, seed: "int | None" = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        pair = isinstance(factor, (list, tuple))
        if pair and len(factor) != 2:
            raise ValueError(f"The `factor` argument must be a number or a pair (lower, upper). Received: factor={factor!r}")
        # here a pair is (lower, upper) of the range [1 - lower, 1 + upper], both in [0, 1]
        self.lower, self.upper = (check_number(f, "factor", minimum=0.0, maximum=1.0) for f in (factor if pair else (factor, factor)))
        self.factor = list(factor) if pair else factor

    def augment(self, images: Any) -> Any:
        scale = K.cast(self.uniform((int(images.shape[0]), 1, 1, 1), 1.0 - self.lower, 1.0 + self.upper), K.dtype(images))
        mean = K.mean(images, axis=(1, 2), keepdims=True)
        return K.clip((images - mean) * scale + mean, 0.0, 255.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomBrightness(RandomImageLayer):
    """In training, adds to each image a brightness shift drawn from [lower, upper] times the
    width of `value_range`, then clips to `value_range`.

    Args:
        factor: a number f in [0, 1] (shifts in [-f, f]) or a pair (lower, upper) in [-1, 1].
        value_range: the (min, max) of the inputs (default (0, 255)).
        seed: optional integer seed.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomBrightness
        >>> y = RandomBrightness((0.5, 0.5), value_range=(0, 1))(K.constant([[[[0.2, 0.7]]]]), training=True)
        >>> y.numpy().astype("float64").ravel().round(4).tolist()
        [0.7, 1.0]
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: "int | None" = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = factor_range(factor, "factor", minimum=-1.0, maximum=1.0)
        self.factor = factor if not isinstance(factor, (list, tuple)) else list(factor)
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument must be a pair (min, max). Received: value_range={value_range!r}")
        low, high = (check_number(v, "value_range") for v in value_range)
        if low >= high:
            raise ValueError(f"The `value_range` argument needs min < max. Received: value_range={value_range!r}")
        self.value_range = [low, high]

    def augment(self, images: Any) -> Any:
        low, high = self.value_range
        delta = self.uniform((int(images.shape[0]), 1, 1, 1), self.lower, self.upper) * (high - low)
        return K.clip(images + K.cast(delta, K.dtype(images)), low, high)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
