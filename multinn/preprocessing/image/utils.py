"""Image files and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`, `list_pictures` (Pillow).

`data_format` and `dtype` default to K's `image_data_format()` and `floatx()`, as in Keras 2.3.1.
"""
from __future__ import annotations

import io
import os
import warnings
from typing import Any, Sequence

from multinn import backend as K
from multinn.backends import host_image as host

from ._arrays import host_array

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = ("grayscale", "rgb", "rgba")


def check_data_format(data_format: "str | None", where: str) -> str:
    """`data_format`, or K's `image_data_format()` when None; anything else than 'channels_last' or
    'channels_first' is a ValueError naming `where`.

    Example:
        >>> check_data_format(None, "img_to_array")
        'channels_last'
        >>> check_data_format("channels_lats", "img_to_array")
        Traceback (most recent call last):
        ValueError: img_to_array: `data_format` should be "channels_last" ...
    """
    if data_format is None:
        return K.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f'{where}: `data_format` should be "channels_last" (channel after row and column) or '
                         f'"channels_first" (channel before row and column). Received: data_format={data_format!r}')
    return data_format


def _pil_image(purpose: str) -> Any:
    return host.require("PIL.Image", purpose)


def load_img(path: Any, grayscale: bool = False, color_mode: str = "rgb", target_size: "Sequence[int] | None" = None,
             interpolation: str = "nearest") -> Any:
    """Loads an image file as a Pillow image (needs Pillow).

    Args:
        path: the file's path (or a binary file object).
        grayscale: deprecated, the same as color_mode='grayscale'.
        color_mode: 'grayscale', 'rgb' or 'rgba': the image is converted to it (16- and 32-bit
            grayscale images stay as they are for 'grayscale').
        target_size: None to keep the file's size, or (height, width) to resize to.
        interpolation: the resampling for a resize: 'nearest', 'bilinear', 'bicubic', 'hamming',
            'box' or 'lanczos'.

    Example:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> with tempfile.TemporaryDirectory() as d:
        ...     Image.new("RGB", (6, 4), (255, 0, 0)).save(os.path.join(d, "red.png"))
        ...     img = load_img(os.path.join(d, "red.png"), color_mode="grayscale", target_size=(2, 3))
        >>> img.mode, img.size
        ('L', (3, 2))
    """
    if grayscale is True:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"', stacklevel=2)
        color_mode = "grayscale"
    if color_mode not in _COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}')
    image_module = _pil_image("load_img")
    if isinstance(path, (str, bytes, os.PathLike)):
        # Read the bytes first so no file handle stays open behind Pillow's lazy loading.
        with open(path, "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    else:
        img = image_module.open(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height:
            if interpolation not in _INTERPOLATIONS:
                raise ValueError(f"Invalid interpolation method {interpolation!r} specified. "
                                 f"Supported methods are {', '.join(_INTERPOLATIONS)}. "
                                 f"Received: interpolation={interpolation!r}")
            resampling = getattr(image_module, "Resampling", image_module)
            img = img.resize(width_height, getattr(resampling, interpolation.upper()))
    return img


def img_to_array(img: Any, data_format: "str | None" = None, dtype: "str | None" = None) -> Any:
    """A Pillow image as a 3-D NumPy array: (height, width, channels) for 'channels_last',
    (channels, height, width) for 'channels_first'; a one-band image gets one channel.

    Example:
        >>> from PIL import Image
        >>> img_to_array(Image.new("L", (5, 2), 7)).shape
        (2, 5, 1)
        >>> img_to_array(Image.new("RGB", (5, 2)), data_format="channels_first").shape
        (3, 2, 5)
    """
    data_format = check_data_format(data_format, "img_to_array")
    return host.image_to_array(img, data_format, dtype or K.floatx())


def array_to_img(x: Any, data_format: "str | None" = None, scale: bool = True, dtype: "str | None" = None) -> Any:
    """A 3-D array as a Pillow image (needs Pillow): 1 channel gives mode 'L' (or 'I' above 255),
    3 'RGB', 4 'RGBA'. With `scale`, values are first mapped onto [0, 255] (min to 0, max to 255).

    Example:
        >>> import numpy as np
        >>> img = array_to_img(np.array([[[0.0], [1.0]]]))
        >>> img.mode, img.size, list(img.tobytes())
        ('L', (2, 1), [0, 255])
    """
    data_format = check_data_format(data_format, "array_to_img")
    x = host_array(x)
    if len(x.shape) != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {tuple(x.shape)}")
    return host.array_to_image(x, data_format, scale, dtype or K.floatx())


def save_img(path: Any, x: Any, data_format: "str | None" = None, file_format: "str | None" = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Saves a 3-D array as an image file (needs Pillow); the format comes from the name's extension
    unless `file_format` says it (needed for a file object). Extra keywords go to Pillow's `save`.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> with tempfile.TemporaryDirectory() as d:
        ...     save_img(os.path.join(d, "a.png"), np.zeros((4, 6, 3)))
        ...     load_img(os.path.join(d, "a.png")).size
        (6, 4)
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def list_pictures(directory: str, ext: "str | Sequence[str]" = IMAGE_EXTENSIONS) -> list:
    """The paths of the files under `directory` (recursively) whose extension is one of `ext`
    (case-insensitive; a string may list several as 'jpg|png').

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     for name in ("a.PNG", "b.txt", "c.jpg"):
        ...         open(os.path.join(d, name), "w").close()
        ...     sorted(os.path.basename(p) for p in list_pictures(d))
        ['a.PNG', 'c.jpg']
    """
    suffixes = tuple("." + e.lower().lstrip(".") for e in (ext.split("|") if isinstance(ext, str) else ext))
    return [os.path.join(root, name) for root, _, files in os.walk(directory)
            for name in sorted(files) if name.lower().endswith(suffixes)]


def is_image_file(path: str, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> bool:
    """Whether `path` names an existing file with one of `extensions` (case-insensitive).

    Example:
        >>> is_image_file(__file__), is_image_file("missing.png")
        (False, False)
    """
    return path.lower().endswith(tuple("." + e for e in extensions)) and os.path.isfile(path)
