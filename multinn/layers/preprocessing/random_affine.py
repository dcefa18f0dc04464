"""RandomRotation, RandomZoom and RandomTranslation (tf.keras 2): per-image affine warps."""
from __future__ import annotations

import math
from typing import Any

from multinn import backend as K
from multinn.utils.argument_validation import check_choice, check_number

from .image_ops import FILL_MODES, affine_sample
from .random_base import RandomImageLayer, factor_range

__all__ = ["RandomRotation", "RandomZoom", "RandomTranslation"]


class _RandomAffine(RandomImageLayer):
    def __init__(self, fill_mode: str, interpolation: str, seed: "int | None", fill_value: float, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = check_choice(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = check_choice(interpolation, "interpolation", ("bilinear", "nearest"))
        self.fill_value = check_number(fill_value, "fill_value")

    def transforms(self, batch: int, h: int, w: int) -> Any:
        """(batch, 6) rows [a0, a1, a2, a3, a4, a5]: output (x, y) reads input (a0 x + a1 y + a2, a3 x + a4 y + a5)."""
        raise NotImplementedError

    def augment(self, images: Any) -> Any:
        batch, h, w = (int(d) for d in images.shape[:3])
        return affine_sample(images, self.transforms(batch, h, w), self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


def _column(x: Any) -> Any:
    return K.reshape(x, (-1, 1))


class RandomRotation(_RandomAffine):
    """In training, rotates each image about its centre by an angle drawn from
    [lower, upper] * 2 pi (a number f means [-f, f]; f = 0.5 is up to half a turn either way).

    Args:
        factor: a number or a pair (lower, upper), fractions of a full turn.
        fill_mode: how points outside the image are filled: 'reflect' (default), 'wrap',
            'constant' (with `fill_value`) or 'nearest'.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: optional integer seed.
        fill_value: the value outside the image in 'constant' mode.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomRotation
        >>> x = K.reshape(K.arange(9), (1, 3, 3, 1))
        >>> (RandomRotation((0.25, 0.25))(x, training=True).numpy()[0, :, :, 0].round(4) + 0.0).tolist()  # counter-clockwise
        [[2.0, 5.0, 8.0], [1.0, 4.0, 7.0], [0.0, 3.0, 6.0]]
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: "int | None" = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.lower, self.upper = factor_range(factor, "factor")
        self.factor = list(factor) if isinstance(factor, (list, tuple)) else factor

    def transforms(self, batch: int, h: int, w: int) -> Any:
        angle = K.cast(self.uniform((batch,), self.lower * 2 * math.pi, self.upper * 2 * math.pi), "float64")
        cos, sin = K.cos(angle), K.sin(angle)
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        # the output pixel p reads R(p - c) + c: a rotation about the centre c
        rows = [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]
        return K.concatenate([_column(r) for r in rows], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_RandomAffine):
    """In training, zooms each image about its centre: the output shows a window `1 + u` times
    the image's size, u drawn from [lower, upper] (a number f means [-f, f]); u > 0 zooms out.

    Args:
        height_factor: a number or a pair (lower, upper), each above -1.
        width_factor: the same for the width; None (default) zooms both axes by the same draw.
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomZoom
        >>> x = K.reshape(K.arange(9), (1, 3, 3, 1))
        >>> RandomZoom((1.0, 1.0), fill_mode="constant", interpolation="nearest")(x, training=True).numpy()[0, :, :, 0].tolist()
        [[0.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: "int | None" = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor")
        self.height_factor = list(height_factor) if isinstance(height_factor, (list, tuple)) else height_factor
        self.width_factor = list(width_factor) if isinstance(width_factor, (list, tuple)) else width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(width_factor, "width_factor")
        for name, low in (("height_factor", self.height_lower), ("width_factor", getattr(self, "width_lower", 0.0))):
            if low <= -1.0:
                raise ValueError(f"The `{name}` argument's lower bound must be above -1. "
                                 f"Received: {name}={getattr(self, name)!r}")

    def transforms(self, batch: int, h: int, w: int) -> Any:
        zy = K.cast(self.uniform((batch,), 1.0 + self.height_lower, 1.0 + self.height_upper), "float64")
        zx = zy if self.width_factor is None else K.cast(
            self.uniform((batch,), 1.0 + self.width_lower, 1.0 + self.width_upper), "float64")
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        zero = zx * 0.0
        rows = [zx, zero, cx - zx * cx, zero, zy, cy - zy * cy]
        return K.concatenate([_column(r) for r in rows], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_RandomAffine):
    """In training, shifts each image by fractions of its size drawn from [lower, upper]
    (a number f means [-f, f]); a positive height shift moves the content down.

    Args:
        height_factor, width_factor: numbers or pairs (lower, upper) in [-1, 1].
        fill_mode, interpolation, seed, fill_value: as RandomRotation.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomTranslation
        >>> x = K.reshape(K.arange(3), (1, 1, 3, 1))
        >>> RandomTranslation(0.0, (1 / 3, 1 / 3), fill_mode="constant")(x, training=True).numpy().ravel().tolist()
        [0.0, 0.0, 1.0]
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: "int | None" = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor", minimum=-1.0, maximum=1.0)
        self.width_lower, self.width_upper = factor_range(width_factor, "width_factor", minimum=-1.0, maximum=1.0)
        self.height_factor = list(height_factor) if isinstance(height_factor, (list, tuple)) else height_factor
        self.width_factor = list(width_factor) if isinstance(width_factor, (list, tuple)) else width_factor

    def transforms(self, batch: int, h: int, w: int) -> Any:
        dy = K.cast(self.uniform((batch,), self.height_lower, self.height_upper), "float64") * h
        dx = K.cast(self.uniform((batch,), self.width_lower, self.width_upper), "float64") * w
        one, zero = dx * 0.0 + 1.0, dx * 0.0
        rows = [one, zero, -dx, zero, one, -dy]
        return K.concatenate([_column(r) for r in rows], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
