"""Resizing and CenterCrop (tf.keras 2): fixed-size image outputs (channels_last)."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int

from .image_ops import INTERPOLATIONS, resize, smart_resize

__all__ = ["Resizing", "CenterCrop", "FixedSizeImageLayer", "check_image_rank", "float_dtype"]


def check_image_rank(shape: tuple, layer: str) -> None:
    """Image layers take (batch, height, width, channels) or one (height, width, channels) image."""
    if len(shape) not in (3, 4):
        raise ValueError(f"{layer} expects images of rank 4 (batch, height, width, channels) or 3. "
                         f"Received: inputs with shape {tuple(shape)}")


def float_dtype(layer: Layer) -> str:
    """The dtype an image layer outputs: its own when a float one, else floatx (uint8 pixels in)."""
    return layer.dtype if layer.dtype.startswith("float") else K.floatx()


class FixedSizeImageLayer(Layer):
    """Base of the layers whose images come out `(height, width)`: arguments, dtype, shape, config."""

    def __init__(self, height: int, width: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.height = check_int(height, "height")
        self.width = check_int(width, "width")

    def _output_dtype(self, input_list: list) -> str:
        return float_dtype(self)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_image_rank(tuple(input_shape), type(self).__name__)
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


class Resizing(FixedSizeImageLayer):
    """Resizes images to `(height, width)`, as TensorFlow 2's `tf.image.resize` (half-pixel
    centres, no antialiasing).

    Args:
        height, width: the output size.
        interpolation: 'bilinear' (default), 'nearest' or 'bicubic' (Keys' cubic, a = -0.5).
        crop_to_aspect_ratio: first crop the largest centred window of the output's aspect
            ratio, so the image is not distorted.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Resizing
        >>> Resizing(2, 2)(K.ones((1, 4, 6, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 **kwargs: Any):
        super().__init__(height, width, **kwargs)
        self.interpolation = check_choice(interpolation, "interpolation", INTERPOLATIONS)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs: Any) -> Any:
        check_image_rank(inputs.shape, "Resizing")
        x = K.cast(inputs, float_dtype(self))
        if self.crop_to_aspect_ratio:
            return smart_resize(x, self.height, self.width, self.interpolation)
        return resize(x, self.height, self.width, self.interpolation)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


class CenterCrop(FixedSizeImageLayer):
    """Crops the central `(height, width)` window of images; an image smaller than that is first
    resized (keeping its aspect ratio, bilinear) as tf.keras does.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import CenterCrop
        >>> x = K.reshape(K.arange(16), (1, 4, 4, 1))
        >>> CenterCrop(2, 2)(x).numpy().ravel().tolist()
        [5.0, 6.0, 9.0, 10.0]
    """

    def call(self, inputs: Any) -> Any:
        check_image_rank(inputs.shape, "CenterCrop")
        x = K.cast(inputs, float_dtype(self))
        h_axis = x.ndim - 3
        in_h, in_w = int(x.shape[h_axis]), int(x.shape[h_axis + 1])
        if in_h < self.height or in_w < self.width:
            return smart_resize(x, self.height, self.width, "bilinear")
        top, left = (in_h - self.height) // 2, (in_w - self.width) // 2
        return x[(slice(None),) * h_axis + (slice(top, top + self.height), slice(left, left + self.width))]
