"""Image arithmetic the image preprocessing layers share, written in K (channels_last).

Resizing is separable: each output row is a fixed weighted sum of input rows (and the same
for columns), so a resize is `A_h @ image @ A_w^T` with interpolation matrices computed here
in plain Python (they depend only on the sizes) and applied by `K.einsum` on either backend.
The weights follow TensorFlow 2's `tf.image.resize` (half-pixel centres, no antialiasing).
Geometric augmentations (rotation, zoom, translation) sample each output pixel at an affine
image of its position, bilinearly or at the nearest pixel, with tf.keras's fill modes.
"""
from __future__ import annotations

import math
from typing import Any

from multinn import backend as K

__all__ = ["INTERPOLATIONS", "FILL_MODES", "interpolation_matrix", "resize", "crop_box", "smart_resize",
           "affine_sample"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_CUBIC_STEPS = 1024


def _keys_cubic(x: float, a: float = -0.5) -> float:
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def interpolation_matrix(out_size: int, in_size: int, method: str) -> list:
    """The (out_size, in_size) weights that map a line of `in_size` pixels to `out_size` pixels.

    Example:
        >>> interpolation_matrix(2, 4, "bilinear")
        [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    """
    scale = in_size / out_size
    rows = []
    for o in range(out_size):
        row = [0.0] * in_size
        if method == "nearest":
            row[min(int(math.floor((o + 0.5) * scale)), in_size - 1)] = 1.0
        elif method == "bilinear":
            src = (o + 0.5) * scale - 0.5
            low = math.floor(src)
            frac = src - low
            row[min(max(low, 0), in_size - 1)] += 1.0 - frac
            row[min(max(low + 1, 0), in_size - 1)] += frac
        else:
            # bicubic: Keys' a = -0.5, at the fractional position rounded to 1/1024 as TensorFlow's
            # table of weights does; taps outside the image get no weight, the rest renormalized
            src = (o + 0.5) * scale - 0.5
            low = math.floor(src)
            frac = round((src - low) * _CUBIC_STEPS) / _CUBIC_STEPS
            taps = [(i, _keys_cubic(frac + low - i)) for i in range(low - 1, low + 3) if 0 <= i < in_size]
            total = sum(w for _, w in taps)
            for i, w in taps:
                row[i] += w / total
        rows.append(row)
    return rows


def resize(images: Any, height: int, width: int, method: str) -> Any:
    """`images` (batch, h, w, c) or (h, w, c) resized to (height, width), in floatx.

    Example:
        >>> from multinn import backend as K
        >>> resize(K.constant([[[[0.0], [4.0]]]]), 1, 4, "bilinear").numpy().ravel().tolist()
        [0.0, 1.0, 3.0, 4.0]
    """
    x = K.cast(images, K.floatx()) if not K.dtype(images).startswith("float") else images
    h_axis = x.ndim - 3
    in_h, in_w = int(x.shape[h_axis]), int(x.shape[h_axis + 1])
    if (in_h, in_w) == (height, width) and method != "bicubic":
        return x
    rows = K.constant(interpolation_matrix(height, in_h, method), dtype=K.dtype(x))
    cols = K.constant(interpolation_matrix(width, in_w, method), dtype=K.dtype(x))
    spec = "hH,bHWc,wW->bhwc" if x.ndim == 4 else "hH,HWc,wW->hwc"
    return K.einsum(spec, rows, x, cols)


def crop_box(in_h: int, in_w: int, height: int, width: int) -> tuple:
    """(top, left, crop_h, crop_w): the largest centred window of the aspect ratio width:height.

    Example:
        >>> crop_box(4, 8, 2, 2)
        (0, 2, 4, 4)
    """
    crop_h = min(in_h, int(in_w * height / width))
    crop_w = min(in_w, int(in_h * width / height))
    return (in_h - crop_h) // 2, (in_w - crop_w) // 2, crop_h, crop_w


def smart_resize(images: Any, height: int, width: int, method: str) -> Any:
    """Crops the centred window of the target aspect ratio, then resizes it (crop_to_aspect_ratio).

    Example:
        >>> from multinn import backend as K
        >>> smart_resize(K.ones((1, 4, 8, 1)), 2, 2, "bilinear").shape
        (1, 2, 2, 1)
    """
    h_axis = images.ndim - 3
    top, left, ch, cw = crop_box(int(images.shape[h_axis]), int(images.shape[h_axis + 1]), height, width)
    index = (slice(None),) * h_axis + (slice(top, top + ch), slice(left, left + cw))
    return resize(images[index], height, width, method)


def _fill_coordinates(coord: Any, size: int, mode: str) -> Any:
    """Source coordinates outside [0, size - 1] mapped back in as TensorFlow's image transform
    maps them (constant: kept; the pixels they read are then fill_value)."""
    if mode == "constant":
        return coord
    last = size - 1.0
    if size == 1 or mode == "nearest":
        return K.clip(coord, 0.0, last)
    if mode == "wrap":  # TensorFlow steps by whole widths counted in units of (size - 1)
        below = coord + size * (_floor(-coord / last) + 1.0)
        above = coord - size * _floor(coord / last)
        coord = K.switch(coord < 0.0, below, K.switch(coord > last, above, coord))
        return K.clip(coord, 0.0, last)
    # reflect: mirrored about the outer pixel edges -0.5 and size - 0.5 (d c b a | a b c d | d c b a)
    period = 2.0 * size
    c = coord + 0.5
    c = c - period * _floor(c / period)
    c = K.switch(c > size, period - c, c)
    return K.clip(c - 0.5, 0.0, last)


def _floor(x: Any) -> Any:
    """floor(x) for |x| < 2**30: casting truncates toward zero, so shift to positives first
    (in float64, where the shifted value keeps its fraction)."""
    shift = 2.0 ** 30
    return K.cast(K.cast(K.cast(x, "float64") + shift, "int64") - int(shift), K.dtype(x))


def affine_sample(images: Any, transforms: Any, method: str, fill_mode: str, fill_value: float) -> Any:
    """Each image of `images` (batch, h, w, c) sampled at `transforms` (batch, 6): output pixel
    (y, x) reads input (a3*x + a4*y + a5, a0*x + a1*y + a2) as (row, col) = (y', x'), where a row
    is [a0, a1, a2, a3, a4, a5] (tf.keras's projective transform without the perspective terms).

    Example:
        >>> from multinn import backend as K
        >>> img = K.constant([[[[1.0], [2.0], [3.0]]]])
        >>> shift = K.constant([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])  # read one pixel to the right
        >>> affine_sample(img, shift, "nearest", "constant", 0.0).numpy().ravel().tolist()
        [2.0, 3.0, 0.0]
    """
    dtype = K.dtype(images)
    batch, h, w, c = (int(d) for d in images.shape)
    t = K.cast(transforms, dtype)
    ys = K.reshape(K.cast(K.arange(h), dtype), (1, h, 1))
    xs = K.reshape(K.cast(K.arange(w), dtype), (1, 1, w))

    def coef(i: int) -> Any:
        return K.reshape(t[:, i], (batch, 1, 1))

    src_x = coef(0) * xs + coef(1) * ys + coef(2)
    src_y = coef(3) * xs + coef(4) * ys + coef(5)
    flat = K.reshape(images, (batch * h * w, c))
    base = K.reshape(K.arange(batch) * (h * w), (batch, 1, 1))

    def read(py: Any, px: Any) -> Any:
        """Pixels at integer coordinates (as floats); outside the image: fill_value."""
        inside = K.cast(K.greater_equal(py, 0.0), dtype) * K.cast(K.less_equal(py, h - 1.0), dtype) * \
            K.cast(K.greater_equal(px, 0.0), dtype) * K.cast(K.less_equal(px, w - 1.0), dtype)
        iy = K.cast(K.clip(py, 0.0, h - 1.0), "int64")
        ix = K.cast(K.clip(px, 0.0, w - 1.0), "int64")
        values = flat[K.cast(base, "int64") + iy * w + ix]
        inside = K.expand_dims(inside, -1)
        return values * inside + (1.0 - inside) * fill_value

    # as TensorFlow: the fill mode maps the sampling point, then its neighbours are read
    src_x, src_y = _fill_coordinates(src_x, w, fill_mode), _fill_coordinates(src_y, h, fill_mode)
    # as TensorFlow: the fill mode maps the sampling point, then its neighbours are read
    src_x, src_y = _fill_coordinates(src_x, w, fill_mode), _fill_coordinates(src_y, h, fill_mode)
    if method == "nearest":
        return read(_floor(src_y + 0.5), _floor(src_x + 0.5))
    y0, x0 = _floor(src_y), _floor(src_x)
    wy, wx = K.expand_dims(src_y - y0, -1), K.expand_dims(src_x - x0, -1)
    top = read(y0, x0) * (1.0 - wx) + read(y0, x0 + 1.0) * wx
    bottom = read(y0 + 1.0, x0) * (1.0 - wx) + read(y0 + 1.0, x0 + 1.0) * wx
    return top * (1.0 - wy) + bottom * wy
