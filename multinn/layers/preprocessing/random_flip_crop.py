"""RandomFlip and RandomCrop (tf.keras 2)."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.argument_validation import check_choice, check_int

from .image_ops import smart_resize
from .random_base import RandomImageLayer
from .resizing import check_image_rank

__all__ = ["RandomFlip", "RandomCrop"]

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(RandomImageLayer):
    """In training, flips each image left-right and/or top-bottom, each with probability 1/2.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default; two independent flips).
        seed: optional integer seed.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomFlip
        >>> x = K.reshape(K.arange(4), (1, 2, 2, 1))
        >>> sorted(RandomFlip("horizontal", seed=1)(x, training=True).numpy().ravel().tolist()) == [0, 1, 2, 3]
        True
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: "int | None" = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.mode = check_choice(mode, "mode", _MODES)

    def _flip(self, x: Any, axis: int) -> Any:
        keep = K.cast(K.less(self.uniform((int(x.shape[0]), 1, 1, 1), 0.0, 1.0), 0.5), K.dtype(x))
        return keep * K.reverse(x, axis) + (1.0 - keep) * x

    def augment(self, images: Any) -> Any:
        if self.mode != "vertical":
            images = self._flip(images, 2)
        if self.mode != "horizontal":
            images = self._flip(images, 1)
        return images

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class RandomCrop(RandomImageLayer):
    """In training, crops a random `(height, width)` window (one offset per batch); at
    inference, and for images smaller than that, crops the centred window of the output's
    aspect ratio and resizes it (bilinear), as tf.keras 2 does.

    The offset is drawn on the device and read back (one small device-to-host read per batch).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RandomCrop
        >>> RandomCrop(2, 3, seed=0)(K.ones((4, 5, 5, 3)), training=True).shape
        (4, 2, 3, 3)
    """

    def __init__(self, height: int, width: int, seed: "int | None" = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.height = check_int(height, "height")
        self.width = check_int(width, "width")

    def call(self, inputs: Any, training: Any = None) -> Any:
        check_image_rank(inputs.shape, "RandomCrop")
        x = self._float(inputs)
        return K.in_train_phase(lambda: self._augment_batched(x),
                                lambda: smart_resize(x, self.height, self.width, "bilinear"), training=training)

    def augment(self, images: Any) -> Any:
        in_h, in_w = int(images.shape[1]), int(images.shape[2])
        if in_h < self.height or in_w < self.width:
            return smart_resize(images, self.height, self.width, "bilinear")
        draws = K.eval(self.uniform((2,), 0.0, 1.0)).tolist()
        top = min(int(draws[0] * (in_h - self.height + 1)), in_h - self.height)
        left = min(int(draws[1] * (in_w - self.width + 1)), in_w - self.width)
        return images[:, top:top + self.height, left:left + self.width]

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_image_rank(tuple(input_shape), "RandomCrop")
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
