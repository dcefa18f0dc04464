"""Host (NumPy) kernels for Keras 2's image preprocessing, `multinn.preprocessing.image`.

Augmentation prepares data on the host whichever backend trains on it, and batches leave as
NumPy arrays, as in Keras 2; `multinn.preprocessing.image` keeps the logic (parameters, file
lists, labels) and calls these kernels for the array work. SciPy (affine transforms, ZCA
whitening) and Pillow (image files, brightness) are optional: `require` names the missing
package and the extra that installs it. Random draws use NumPy's global generator, as Keras 2
does, so `numpy.random.seed(s)` and the `seed=` arguments reproduce Keras 2's augmentations.
"""
from __future__ import annotations

import importlib
from typing import Any, Sequence

import numpy

_DISTRIBUTIONS = {"PIL": "Pillow", "scipy": "SciPy", "pandas": "pandas"}


def require(module: str, purpose: str) -> Any:
    """Imports `module`, or raises an ImportError naming the package to install and what needs it.

    Example:
        >>> from multinn.backends.host_image import require
        >>> require("math", "Trigonometry").__name__
        'math'
        >>> require("no_such_module_xyz", "Nothing")
        Traceback (most recent call last):
        ImportError: Nothing requires no_such_module_xyz, which is not installed ...
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        package = _DISTRIBUTIONS.get(module.split(".")[0], module)
        raise ImportError(f"{purpose} requires {package}, which is not installed (import {module} failed). "
                          f"Install it with: pip install {package}  (or: pip install 'multinn[image]')") from None


# --- arrays ---------------------------------------------------------------------------------------------

def asarray(x: Any, dtype: Any = None) -> Any:
    """`x` as a host array (no copy when it already is one of `dtype`).

    Example:
        >>> from multinn.backends.host_image import asarray
        >>> asarray([[1, 2]], "float32").dtype.name
        'float32'
    """
    return numpy.asarray(x, dtype=dtype)


def copy(x: Any, dtype: Any = None) -> Any:
    """A new, writable host array holding `x` (cast to `dtype` when given).

    Example:
        >>> from multinn.backends.host_image import copy
        >>> copy([1, 2], "float64").tolist()
        [1.0, 2.0]
    """
    return numpy.array(x, dtype=dtype, copy=True)


def zeros(shape: Sequence[int], dtype: Any) -> Any:
    """A host array of zeros.

    Example:
        >>> from multinn.backends.host_image import zeros
        >>> zeros((2, 1), "float32").tolist()
        [[0.0], [0.0]]
    """
    return numpy.zeros(tuple(shape), dtype=dtype)


def arange(n: int) -> Any:
    """0, 1, ..., n - 1 as a host integer array.

    Example:
        >>> from multinn.backends.host_image import arange
        >>> arange(3).tolist()
        [0, 1, 2]
    """
    return numpy.arange(n)


def is_numeric_scalar(value: Any) -> bool:
    """Whether `value` is a real number (Python's or NumPy's), as a sample weight must be.

    Example:
        >>> from multinn.backends.host_image import is_numeric_scalar
        >>> is_numeric_scalar(2), is_numeric_scalar(0.5), is_numeric_scalar("a"), is_numeric_scalar(True)
        (True, True, False, False)
    """
    return isinstance(value, (int, float, numpy.integer, numpy.floating)) and not isinstance(value, (bool, numpy.bool_))


def same_values(a: Any, b: Any) -> bool:
    """Whether two label arrays hold the same set of distinct values (`numpy.unique` of each).

    Example:
        >>> from multinn.backends.host_image import same_values
        >>> same_values([0, 1, 1], [1, 0]), same_values([0, 0], [0, 1])
        (True, False)
    """
    return bool(numpy.array_equal(numpy.unique(numpy.asarray(a)), numpy.unique(numpy.asarray(b))))


def one_hot(rows: Sequence[Any], num_classes: int, dtype: Any) -> Any:
    """One row per sample with 1 at its class index (or at each of its indices, for a list of classes).

    Example:
        >>> from multinn.backends.host_image import one_hot
        >>> one_hot([1, [0, 2]], 3, "float32").tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    out = numpy.zeros((len(rows), num_classes), dtype=dtype)
    for i, classes in enumerate(rows):
        out[i, classes] = 1
    return out


# --- random draws (NumPy's global generator, as Keras 2) ------------------------------------------------

def seed(value: int) -> None:
    """Seeds NumPy's global generator (Keras 2 reseeds it for every seeded batch and transform).

    Example:
        >>> from multinn.backends.host_image import seed, uniform
        >>> seed(3); a = uniform(0, 1); seed(3); a == uniform(0, 1)
        True
    """
    numpy.random.seed(value)


def uniform(low: float, high: float, size: "int | None" = None) -> Any:
    """A draw (or `size` draws) from U[low, high), as a Python float (or a host array).

    Example:
        >>> from multinn.backends.host_image import uniform
        >>> 2.0 <= uniform(2.0, 3.0) < 3.0, uniform(0, 1, 2).shape
        (True, (2,))
    """
    draw = numpy.random.uniform(low, high, size)
    return float(draw) if size is None else draw


def choice(values: Any) -> Any:
    """One element of `values` (an int n draws from range(n)), as a Python number.

    Example:
        >>> from multinn.backends.host_image import choice
        >>> choice([5, 7]) in (5, 7), choice(2) in (0, 1)
        (True, True)
    """
    return numpy.asarray(numpy.random.choice(values)).item()


def random() -> float:
    """A draw from U[0, 1).

    Example:
        >>> from multinn.backends.host_image import random
        >>> 0.0 <= random() < 1.0
        True
    """
    return float(numpy.random.random())


def randint(high: int) -> int:
    """An integer drawn from [0, high).

    Example:
        >>> from multinn.backends.host_image import randint
        >>> 0 <= randint(10) < 10
        True
    """
    return int(numpy.random.randint(high))


def permutation(n: int) -> Any:
    """A random permutation of 0, ..., n - 1 as a host integer array.

    Example:
        >>> from multinn.backends.host_image import permutation
        >>> sorted(permutation(4).tolist())
        [0, 1, 2, 3]
    """
    return numpy.random.permutation(n)


# --- pixels ---------------------------------------------------------------------------------------------

def affine_transform(x: Any, matrix: Sequence[Sequence[float]], offset: Sequence[float], channel_axis: int,
                     fill_mode: str, cval: float, order: int) -> Any:
    """Resamples every channel of the 3-D image `x` (`scipy.ndimage.affine_transform`): output pixel o
    reads input point matrix @ o + offset, in the (first, second) spatial axes left after the channel
    axis, filling points outside by `fill_mode` ('constant' with `cval`, 'nearest', 'reflect', 'wrap').

    Example:
        >>> from multinn.backends.host_image import affine_transform, asarray
        >>> x = asarray([[[1.0], [2.0]], [[3.0], [4.0]]])          # 2x2, one channel last
        >>> affine_transform(x, [[0, 1], [1, 0]], [0, 0], 2, "nearest", 0.0, 1)[..., 0].tolist()
        [[1.0, 3.0], [2.0, 4.0]]
    """
    ndimage = require("scipy.ndimage", "Image transformations (rotation, shift, shear, zoom)")
    x = numpy.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"An affine transform takes one 3-D image (rows, columns and channels). "
                         f"Received: an array of shape {x.shape}")
    channels = numpy.moveaxis(x, channel_axis, 0)
    matrix = numpy.asarray(matrix, dtype="float64")
    offset = numpy.asarray(offset, dtype="float64")
    moved = numpy.stack([ndimage.affine_transform(channel, matrix, offset, order=order, mode=fill_mode, cval=cval)
                         for channel in channels])
    return numpy.moveaxis(moved, 0, channel_axis)


def channel_shift(x: Any, intensity: float, channel_axis: int) -> Any:
    """Adds `intensity` to every pixel, clipped to the image's own [min, max] (Keras 2's channel shift;
    every channel moves by the same amount, so `channel_axis` only names the layout).

    Example:
        >>> from multinn.backends.host_image import asarray, channel_shift
        >>> channel_shift(asarray([[[0.0, 5.0]], [[10.0, 2.0]]]), 3.0, 2).tolist()
        [[[3.0, 8.0]], [[10.0, 5.0]]]
    """
    x = numpy.asarray(x)
    del channel_axis
    return numpy.clip(x + intensity, x.min(), x.max())


def flip(x: Any, axis: int) -> Any:
    """`x` reversed along `axis` (a view).

    Example:
        >>> from multinn.backends.host_image import asarray, flip
        >>> flip(asarray([[1, 2], [3, 4]]), 1).tolist()
        [[2, 1], [4, 3]]
    """
    return numpy.flip(numpy.asarray(x), axis)


def image_to_array(img: Any, data_format: str, dtype: Any) -> Any:
    """A Pillow image's pixels as a 3-D array: (rows, cols, channels) for 'channels_last',
    (channels, rows, cols) for 'channels_first'; one-band images get a channel axis of 1.

    Example:
        >>> from PIL import Image
        >>> from multinn.backends.host_image import image_to_array
        >>> image_to_array(Image.new("RGB", (4, 2)), "channels_first", "float32").shape
        (3, 2, 4)
    """
    x = numpy.array(img, dtype=dtype)  # a copy: Pillow's buffer may be read-only
    if x.ndim == 2:
        x = x[:, :, numpy.newaxis]
    elif x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}. Expected (rows, cols) or (rows, cols, channels).")
    return numpy.ascontiguousarray(x.transpose(2, 0, 1)) if data_format == "channels_first" else x


def array_to_image(x: Any, data_format: str, scale: bool, dtype: Any) -> Any:
    """A Pillow image of the 3-D array `x` (1 channel: 'L', or 'I' when above 255; 3: 'RGB'; 4: 'RGBA').
    With `scale`, values are first mapped linearly onto [0, 255] (min to 0, max to 255).

    Example:
        >>> from multinn.backends.host_image import array_to_image, asarray
        >>> img = array_to_image(asarray([[[0.0], [0.5]], [[1.0], [0.25]]]), "channels_last", True, "float32")
        >>> img.mode, list(img.tobytes())
        ('L', [0, 127, 255, 63])
    """
    image_module = require("PIL.Image", "Converting an array to an image")
    x = numpy.array(x, dtype=dtype, copy=True)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_module.fromarray(numpy.ascontiguousarray(x.astype("uint8")))
    if channels == 1:
        plane = numpy.ascontiguousarray(x[:, :, 0])
        if plane.max() > 255:  # beyond 8 bits: Pillow's 32-bit integer mode
            return image_module.fromarray(plane.astype("int32"))
        return image_module.fromarray(plane.astype("uint8"))
    raise ValueError(f"Unsupported channel number: {channels}. Expected 1, 3 or 4 channels.")


def brightness(x: Any, factor: float, channel_axis: int, scale: bool) -> Any:
    """Pillow's brightness enhancement of a 3-D image (pixels times `factor`, clipped to [0, 255]).

    The image goes through 8-bit pixels: with `scale`, values are mapped onto [0, 255] first and the
    result stays there (Keras 2); without, an image outside [0, 255] is mapped back to its range.
    Each channel is enhanced on its own (as Pillow does for RGB), so any number of channels works.

    Example:
        >>> from multinn.backends.host_image import asarray, brightness
        >>> brightness(asarray([[[0.0], [100.0]], [[200.0], [255.0]]]), 0.5, 2, True)[..., 0].tolist()
        [[0.0, 50.0], [100.0, 127.0]]
    """
    image_module = require("PIL.Image", "A brightness shift")
    enhance = require("PIL.ImageEnhance", "A brightness shift")
    x = numpy.asarray(x)
    low, high = x.min(), x.max()
    out_of_range = low < 0 or high > 255
    values = numpy.moveaxis(x, channel_axis, -1).astype("float64")
    if scale or out_of_range:
        values = values - low
        if high - low != 0:
            values = values / (high - low)
        values = values * 255
    pixels = values.astype("uint8")
    planes = [numpy.asarray(enhance.Brightness(image_module.fromarray(numpy.ascontiguousarray(pixels[..., c])))
                            .enhance(factor)) for c in range(pixels.shape[-1])]
    out = numpy.stack(planes, axis=-1).astype(x.dtype if x.dtype.kind == "f" else "float32")
    if not scale and out_of_range:
        out = out / 255 * (high - low) + low
    return numpy.moveaxis(out, -1, channel_axis)


# --- statistics -----------------------------------------------------------------------------------------

def fit_statistics(x: Any, channel_axis: int, center: bool, std_normalization: bool,
                   zca_epsilon: "float | None") -> tuple:
    """Keras 2's `ImageDataGenerator.fit` statistics of a batch `x` (samples first, rank 4).

    Returns (mean, std, principal_components), None where not asked for: mean and std per channel
    over samples, rows and columns, shaped to broadcast against one image; std is taken after
    centring; the ZCA matrix U diag(1 / sqrt(S + zca_epsilon)) U^T comes from the SVD of the
    covariance of the centred (and scaled) flattened samples.

    Example:
        >>> from multinn.backends.host_image import asarray, fit_statistics
        >>> x = asarray([[[[1.0, 10.0]]], [[[3.0, 30.0]]]])       # 2 samples of 1x1 pixels, 2 channels
        >>> mean, std, _ = fit_statistics(x, 3, True, True, None)
        >>> mean.tolist(), std.tolist()
        ([[[2.0, 20.0]]], [[[1.0, 10.0]]])
    """
    x = numpy.array(x, copy=True)
    spatial = tuple(axis for axis in range(1, 4) if axis != channel_axis)
    broadcast = [1, 1, 1]
    broadcast[channel_axis - 1] = x.shape[channel_axis]
    mean = std = components = None
    if center:
        mean = numpy.mean(x, axis=(0,) + spatial).reshape(broadcast)
        x -= mean
    if std_normalization:
        std = numpy.std(x, axis=(0,) + spatial).reshape(broadcast)
        x /= std + 1e-6
    if zca_epsilon is not None:
        linalg = require("scipy.linalg", "ZCA whitening (zca_whitening=True)")
        flat = x.reshape(x.shape[0], -1)
        sigma = flat.T @ flat / flat.shape[0]
        u, s, _ = linalg.svd(sigma)
        components = (u * (1.0 / numpy.sqrt(s[numpy.newaxis] + zca_epsilon))) @ u.T
    return mean, std, components


def normalize(x: Any, rescale: "float | None", samplewise_center: bool, samplewise_std_normalization: bool,
              mean: Any, std: Any, principal_components: Any) -> Any:
    """Keras 2's `ImageDataGenerator.standardize` arithmetic, in this order: times `rescale`, minus the
    sample's mean, divided by its std + 1e-6, minus `mean`, divided by `std` + 1e-6, and the ZCA
    projection (each step skipped when its argument is falsy or None). A float array is changed in
    place, as in Keras 2; anything else is converted first.

    Example:
        >>> from multinn.backends.host_image import asarray, normalize
        >>> normalize(asarray([2.0, 4.0]), 0.5, True, False, None, None, None).tolist()
        [-0.5, 0.5]
    """
    array = numpy.asarray(x)
    if array.dtype.kind != "f":
        array = array.astype("float32")
    x = array
    if rescale:
        x *= rescale
    if samplewise_center:
        x -= numpy.mean(x, keepdims=True)
    if samplewise_std_normalization:
        x /= numpy.std(x, keepdims=True) + 1e-6
    if mean is not None:
        x -= mean
    if std is not None:
        x /= std + 1e-6
    if principal_components is not None:
        features = int(numpy.prod(x.shape[-3:]))
        x = (x.reshape(-1, features) @ principal_components).reshape(x.shape)
    return x
