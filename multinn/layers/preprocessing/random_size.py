"""RandomHeight and RandomWidth (tf.keras 2): resize by a random factor in training."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.argument_validation import check_choice

from .image_ops import INTERPOLATIONS, resize
from .random_base import RandomImageLayer, factor_range

__all__ = ["RandomHeight", "RandomWidth"]


class _RandomSize(RandomImageLayer):
    axis = 1

    def __init__(self, factor: Any, interpolation: str = "bilinear", seed: "int | None" = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = factor_range(factor, "factor", minimum=-1.0)
        if self.lower <= -1.0:
            raise ValueError(f"The `factor` argument's lower bound must be above -1. Received: factor={factor!r}")
        self.factor = list(factor) if isinstance(factor, (list, tuple)) else factor
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATIONS)

    def augment(self, images: Any) -> Any:
        # one size for the whole batch: it sets the output's shape, so it is read back (one scalar)
        scale = float(K.eval(self.uniform((), 1.0 + self.lower, 1.0 + self.upper)))
        h, w = int(images.shape[1]), int(images.shape[2])
        size = max(1, int(scale * (h if self.axis == 1 else w)))
        return resize(images, size, w, self.interpolation) if self.axis == 1 else resize(images, h, size, self.interpolation)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(super().compute_output_shape(input_shape))
        shape[len(shape) - 4 + self.axis] = None
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "interpolation": self.interpolation}


class RandomHeight(_RandomSize):
    """In training, resizes the batch to a random height `int(h * (1 + u))`, u drawn from
    [lower, upper] (a number f means [-f, f]); the width stays. Identity at inference.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomHeight
        >>> RandomHeight((0.5, 0.5))(K.ones((2, 4, 3, 1)), training=True).shape
        (2, 6, 3, 1)
    """

    axis = 1


class RandomWidth(_RandomSize):
    """In training, resizes the batch to a random width `int(w * (1 + u))`, u drawn from
    [lower, upper] (a number f means [-f, f]); the height stays. Identity at inference.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomWidth
        >>> RandomWidth((-0.5, -0.5))(K.ones((2, 4, 4, 1)), training=True).shape
        (2, 4, 2, 1)
    """

    axis = 2
