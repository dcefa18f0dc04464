"""Geometric and colour transforms of one image (Keras 2's `random_rotation`, `apply_affine_transform`, ...).

The transform matrices are built here in plain Python (Keras 2.3.1's formulas); the resampling,
clipping and Pillow work run on the host in `multinn.backends.host_image` (SciPy and Pillow).
The `random_*` functions draw from NumPy's global generator, as Keras 2 does.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from multinn.backends import host_image as host

from ._arrays import host_array

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
Matrix = list  # 3x3, rows of floats


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def transform_matrix(theta: float = 0, tx: float = 0, ty: float = 0, shear: float = 0, zx: float = 1,
                     zy: float = 1) -> "Matrix | None":
    """The 3x3 homogeneous matrix of Keras 2's affine augmentation, rotation @ shift @ shear @ zoom,
    mapping an output pixel's (row, col) to the input point it reads (before centring); None when
    every parameter is the identity. Angles are in degrees; `tx` moves along rows, `ty` along columns.

    Example:
        >>> transform_matrix(tx=2, zy=0.5)
        [[1.0, 0.0, 2.0], [0.0, 0.5, 0.0], [0.0, 0.0, 1.0]]
        >>> transform_matrix() is None
        True
    """
    parts = []
    if theta != 0:
        angle = math.radians(theta)
        parts.append([[math.cos(angle), -math.sin(angle), 0.0], [math.sin(angle), math.cos(angle), 0.0],
                      [0.0, 0.0, 1.0]])
    if tx != 0 or ty != 0:
        parts.append([[1.0, 0.0, float(tx)], [0.0, 1.0, float(ty)], [0.0, 0.0, 1.0]])
    if shear != 0:
        angle = math.radians(shear)
        parts.append([[1.0, -math.sin(angle), 0.0], [0.0, math.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    if zx != 1 or zy != 1:
        parts.append([[float(zx), 0.0, 0.0], [0.0, float(zy), 0.0], [0.0, 0.0, 1.0]])
    if not parts:
        return None
    matrix = parts[0]
    for part in parts[1:]:
        matrix = _matmul(matrix, part)
    return matrix


def transform_matrix_offset_center(matrix: Matrix, x: int, y: int) -> Matrix:
    """`matrix` applied about the point (x / 2 + 0.5, y / 2 + 0.5) of an image of x rows and y columns
    instead of about the origin (Keras 2.3.1's centre, half a pixel past the middle).

    Example:
        >>> transform_matrix_offset_center([[1, 0, 0], [0, 1, 0], [0, 0, 1]], 4, 4)
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0, 0, 1.0]]
        >>> transform_matrix_offset_center([[2, 0, 0], [0, 1, 0], [0, 0, 1]], 4, 4)[0]
        [2.0, 0.0, -2.5]
    """
    ox, oy = float(x) / 2 + 0.5, float(y) / 2 + 0.5
    to_center = [[1, 0, ox], [0, 1, oy], [0, 0, 1]]
    from_center = [[1, 0, -ox], [0, 1, -oy], [0, 0, 1]]
    return _matmul(_matmul(to_center, matrix), from_center)


def _axes(row_axis: int, col_axis: int, channel_axis: int) -> tuple:
    normalized = tuple(axis + 3 if -3 <= axis < 0 else axis for axis in (row_axis, col_axis, channel_axis))
    if sorted(normalized) != [0, 1, 2]:
        raise ValueError("row_axis, col_axis and channel_axis must name the three axes of one image (0, 1, 2). "
                         f"Received: row_axis={row_axis}, col_axis={col_axis}, channel_axis={channel_axis}")
    return normalized


def apply_affine_transform(x: Any, theta: float = 0, tx: float = 0, ty: float = 0, shear: float = 0,
                           zx: float = 1, zy: float = 1, row_axis: int = 0, col_axis: int = 1,
                           channel_axis: int = 2, fill_mode: str = "nearest", cval: float = 0.,
                           order: int = 1) -> Any:
    """Rotates, shifts, shears and zooms one 3-D image (SciPy's `ndimage.affine_transform`, per channel).

    Args:
        x: one image, a 3-D array.
        theta: rotation angle in degrees.
        tx, ty: shifts in pixels along rows and along columns (positive reads further down/right,
            so the content moves up/left).
        shear: shear angle in degrees.
        zx, zy: sampling steps along rows and columns (Keras 2's zoom): 2 reads every other pixel,
            so the content shrinks; 0.5 magnifies it.
        row_axis, col_axis, channel_axis: the axes of `x`.
        fill_mode: how points outside the image are filled: 'constant', 'nearest', 'reflect' or 'wrap'.
        cval: the value outside the image for fill_mode='constant'.
        order: spline order of the interpolation (0 nearest, 1 bilinear, ...).

    Returns:
        The transformed image, the same shape (`x` itself, as an array, when nothing is asked).

    Example:
        >>> import numpy as np
        >>> x = np.arange(16, dtype="float32").reshape(4, 4, 1)
        >>> apply_affine_transform(x, tx=1, fill_mode="constant")[..., 0].tolist()
        [[4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0], [0.0, 0.0, 0.0, 0.0]]
    """
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"fill_mode must be one of {list(_FILL_MODES)}. Received: fill_mode={fill_mode!r}")
    row_axis, col_axis, channel_axis = _axes(row_axis, col_axis, channel_axis)
    x = host_array(x)
    if len(x.shape) != 3:
        raise ValueError(f"apply_affine_transform takes one 3-D image. Received: an array of shape {tuple(x.shape)}")
    matrix = transform_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    if col_axis < row_axis:
        # Each channel plane then has columns first: conjugate by the swap of the two coordinates.
        matrix = [[matrix[1][1], matrix[1][0], matrix[1][2]], [matrix[0][1], matrix[0][0], matrix[0][2]],
                  matrix[2]]
    linear = [row[:2] for row in matrix[:2]]
    offset = [matrix[0][2], matrix[1][2]]
    return host.affine_transform(x, linear, offset, channel_axis, fill_mode, cval, order)


def _layout(row_axis: int, col_axis: int, channel_axis: int, fill_mode: str, cval: float, order: int) -> dict:
    return dict(row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                order=order)


def random_rotation(x: Any, rg: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                    fill_mode: str = "nearest", cval: float = 0., interpolation_order: int = 1) -> Any:
    """Rotates one image by an angle drawn from U[-rg, rg) degrees (channels first by default).

    The layout and fill arguments of every `random_*` transform are `apply_affine_transform`'s
    (`interpolation_order` is its `order`).

    Example:
        >>> import numpy as np
        >>> random_rotation(np.zeros((1, 5, 5)), 30).shape
        (1, 5, 5)
    """
    layout = _layout(row_axis, col_axis, channel_axis, fill_mode, cval, interpolation_order)
    return apply_affine_transform(x, theta=host.uniform(-rg, rg), **layout)


def random_shift(x: Any, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                 fill_mode: str = "nearest", cval: float = 0., interpolation_order: int = 1) -> Any:
    """Shifts one image by fractions of its size drawn from U[-hrg, hrg) (rows) and U[-wrg, wrg) (columns).

    Example:
        >>> import numpy as np
        >>> random_shift(np.zeros((1, 5, 5)), 0.2, 0.2).shape
        (1, 5, 5)
    """
    tx = host.uniform(-hrg, hrg) * x.shape[row_axis]
    ty = host.uniform(-wrg, wrg) * x.shape[col_axis]
    layout = _layout(row_axis, col_axis, channel_axis, fill_mode, cval, interpolation_order)
    return apply_affine_transform(x, tx=tx, ty=ty, **layout)


def random_shear(x: Any, intensity: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                 fill_mode: str = "nearest", cval: float = 0., interpolation_order: int = 1) -> Any:
    """Shears one image by an angle drawn from U[-intensity, intensity) degrees.

    Example:
        >>> import numpy as np
        >>> x = np.arange(25.0).reshape(1, 5, 5)
        >>> np.random.seed(0); first = random_shear(x, 20)
        >>> np.random.seed(0); bool((random_shear(x, 20) == first).all())   # the same seed, the same shear
        True
    """
    layout = _layout(row_axis, col_axis, channel_axis, fill_mode, cval, interpolation_order)
    return apply_affine_transform(x, shear=host.uniform(-intensity, intensity), **layout)


def random_zoom(x: Any, zoom_range: Sequence[float], row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                fill_mode: str = "nearest", cval: float = 0., interpolation_order: int = 1) -> Any:
    """Zooms one image by factors for rows and columns drawn from U[zoom_range[0], zoom_range[1]).

    Example:
        >>> import numpy as np
        >>> random_zoom(np.zeros((1, 5, 5)), (0.8, 1.2)).shape
        (1, 5, 5)
    """
    if len(zoom_range) != 2:
        raise ValueError(f"`zoom_range` should be a tuple or list of two floats. Received: zoom_range={zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = host.uniform(zoom_range[0], zoom_range[1], 2).tolist()
    layout = _layout(row_axis, col_axis, channel_axis, fill_mode, cval, interpolation_order)
    return apply_affine_transform(x, zx=zx, zy=zy, **layout)


def apply_channel_shift(x: Any, intensity: float, channel_axis: int = 0) -> Any:
    """Adds `intensity` to every pixel of one image, clipped to the image's own [min, max].

    Example:
        >>> import numpy as np
        >>> apply_channel_shift(np.array([[[0.0, 4.0]], [[8.0, 2.0]]]), 5.0).tolist()
        [[[5.0, 8.0]], [[8.0, 7.0]]]
    """
    return host.channel_shift(host_array(x), intensity, channel_axis)


def random_channel_shift(x: Any, intensity_range: float, channel_axis: int = 0) -> Any:
    """`apply_channel_shift` by an intensity drawn from U[-intensity_range, intensity_range).

    Example:
        >>> import numpy as np
        >>> random_channel_shift(np.zeros((1, 2, 2)), 10.0).tolist()
        [[[0.0, 0.0], [0.0, 0.0]]]
    """
    intensity = host.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x: Any, brightness: float, scale: bool = True) -> Any:
    """Pillow's brightness enhancement of one channels-last image (needs Pillow): 0 gives black,
    1 the image itself (mapped onto [0, 255] when `scale`), 2 twice as bright, clipped at 255.

    Example:
        >>> import numpy as np
        >>> apply_brightness_shift(np.array([[[10.0], [200.0]]]), 0.5)[..., 0].tolist()
        [[0.0, 127.0]]
    """
    return host.brightness(host_array(x), brightness, -1, scale)


def random_brightness(x: Any, brightness_range: Sequence[float], scale: bool = True) -> Any:
    """`apply_brightness_shift` by a factor drawn from U[brightness_range[0], brightness_range[1]).

    Example:
        >>> import numpy as np
        >>> random_brightness(np.zeros((2, 2, 3)), (0.5, 1.5)).shape
        (2, 2, 3)
    """
    if len(brightness_range) != 2:
        raise ValueError("`brightness_range should be tuple or list of two floats. "
                         f"Received: brightness_range={brightness_range}")
    factor = host.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, factor, scale)


def flip_axis(x: Any, axis: int) -> Any:
    """`x` reversed along `axis`.

    Example:
        >>> import numpy as np
        >>> flip_axis(np.array([[1, 2], [3, 4]]), 0).tolist()
        [[3, 4], [1, 2]]
    """
    return host.flip(host_array(x), axis)
