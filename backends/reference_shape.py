"""NumPy reference, part 2: shapes, indexing, padding, resizing and products (dot, batch_dot).

Written for clarity, not speed; see `reference.py` for what the reference is for.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from . import reference_settings as settings

Array = np.ndarray


def reshape(x: Array, shape: Sequence[int]) -> Array:
    """x with a new shape (one entry may be -1).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.reshape(np.arange(6), (2, -1)).shape
        (2, 3)
    """
    return np.reshape(x, tuple(shape))


def permute_dimensions(x: Array, pattern: Sequence[int]) -> Array:
    """Axis i of the result is axis pattern[i] of x.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.permute_dimensions(np.zeros((4, 2, 3)), (2, 0, 1)).shape
        (3, 4, 2)
    """
    return np.transpose(x, tuple(pattern))


def transpose(x: Array) -> Array:
    """All axes reversed.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.transpose(np.array([[1, 2, 3]])).tolist()
        [[1], [2], [3]]
    """
    x = np.asarray(x)
    return np.transpose(x, tuple(range(x.ndim))[::-1])


def flatten(x: Array) -> Array:
    """All entries in one axis, row-major.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.flatten(np.array([[1, 2], [3, 4]])).tolist()
        [1, 2, 3, 4]
    """
    return np.reshape(x, (-1,))


def batch_flatten(x: Array) -> Array:
    """(batch, ...) to (batch, product of the rest).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.batch_flatten(np.zeros((20, 2, 5))).shape
        (20, 10)
    """
    x = np.asarray(x)
    return np.reshape(x, (x.shape[0], -1))


def expand_dims(x: Array, axis: int = -1) -> Array:
    """x with a new axis of size 1 at `axis`.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.expand_dims(np.zeros((4, 3))).shape
        (4, 3, 1)
    """
    return np.expand_dims(x, axis)


def squeeze(x: Array, axis: int) -> Array:
    """x without its axis `axis` of size 1.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.squeeze(np.zeros((4, 1, 1)), 1).shape
        (4, 1)
    """
    x = np.asarray(x)
    if x.shape[axis] != 1:
        raise ValueError(f"squeeze: axis {axis} of shape {x.shape} is not of size 1. Received: axis={axis}")
    return np.squeeze(x, axis)


def repeat(x: Array, n: int) -> Array:
    """(batch, dim) to (batch, n, dim), each row repeated n times.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.repeat(np.array([[1, 2]]), 2).tolist()
        [[[1, 2], [1, 2]]]
    """
    x = np.asarray(x)
    return np.stack([x] * n, axis=1)


def repeat_elements(x: Array, rep: int, axis: int) -> Array:
    """Each slice along `axis` repeated `rep` times in place (1, 2 -> 1, 1, 2, 2).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.repeat_elements(np.array([1, 2]), 2, 0).tolist()
        [1, 1, 2, 2]
    """
    x = np.asarray(x)
    pieces = [np.take(x, [i], axis=axis) for i in range(x.shape[axis]) for _ in range(rep)]
    return np.concatenate(pieces, axis=axis)


def tile(x: Array, n: Any) -> Array:
    """x repeated n[i] times along axis i; a shorter n applies to the last axes.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.tile(np.array([[1, 2]]), 2).tolist()
        [[1, 2, 1, 2]]
    """
    x = np.asarray(x)
    reps = [int(n)] if np.ndim(n) == 0 else [int(r) for r in n]
    if len(reps) > x.ndim:
        raise ValueError(f"tile: {len(reps)} repetition counts for a tensor of rank {x.ndim}. Received: n={n}")
    reps = [1] * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        x = np.concatenate([x] * r, axis=axis) if r > 0 else np.take(x, [], axis=axis)
    return x


def concatenate(tensors: Sequence[Array], axis: int = -1) -> Array:
    """The tensors joined along `axis`.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.concatenate([np.zeros((2, 1)), np.ones((2, 2))]).shape
        (2, 3)
    """
    return np.concatenate([np.asarray(t) for t in tensors], axis=axis)


def stack(x: Sequence[Array], axis: int = 0) -> Array:
    """Equal-shaped tensors stacked along a new axis.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.stack([np.zeros(3), np.ones(3)], axis=1).shape
        (3, 2)
    """
    return np.stack([np.asarray(t) for t in x], axis=axis)


def reverse(x: Array, axes: Any) -> Array:
    """x read backwards along `axes` (int or list).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.reverse(np.array([[1, 2], [3, 4]]), 1).tolist()
        [[2, 1], [4, 3]]
    """
    x = np.asarray(x)
    index = [builtins.slice(None)] * x.ndim
    for axis in [axes] if np.ndim(axes) == 0 else axes:
        index[int(axis)] = builtins.slice(None, None, -1)
    return x[tuple(index)]


def slice(x: Array, start: Sequence[int], size: Sequence[int]) -> Array:
    """The block of `size` entries from `start` (a size of -1 takes the rest of the axis).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.slice(np.arange(10).reshape(2, 5), (0, 1), (2, 3)).tolist()
        [[1, 2, 3], [6, 7, 8]]
    """
    x = np.asarray(x)
    if len(start) != x.ndim or len(size) != x.ndim:
        raise ValueError(f"slice needs one start and size per axis of a rank-{x.ndim} tensor. Received: start={start}, size={size}")
    index = tuple(
        builtins.slice(b, x.shape[i] if s == -1 else b + s) for i, (b, s) in enumerate(zip(start, size))
    )
    return x[index]


def gather(reference: Array, indices: Array) -> Array:
    """Rows of `reference` picked by the integer `indices` (result: indices.shape + row shape).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.gather(np.array([[1, 2], [3, 4], [5, 6]]), np.array([2, 0])).tolist()
        [[5, 6], [1, 2]]
    """
    reference = np.asarray(reference)
    indices = np.asarray(indices).astype("int64")
    rows = [reference[i] for i in indices.reshape(-1)]
    out = np.stack(rows) if rows else np.zeros((0,) + reference.shape[1:], reference.dtype)
    return out.reshape(indices.shape + reference.shape[1:])


def _pad(x: Array, pads: Sequence[tuple]) -> Array:
    """Zero padding, one (before, after) pair per axis."""
    x = np.asarray(x)
    out = np.zeros(tuple(n + a + b for n, (a, b) in zip(x.shape, pads)), dtype=x.dtype)
    out[tuple(builtins.slice(a, a + n) for n, (a, _) in zip(x.shape, pads))] = x
    return out


def temporal_padding(x: Array, padding: Sequence[int] = (1, 1)) -> Array:
    """(batch, time, dim) with zeros added before and after the time axis.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.temporal_padding(np.ones((1, 1, 1)), (1, 2))[0, :, 0].tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    return _pad(x, [(0, 0), tuple(padding), (0, 0)])


def _spatial_padding(x: Array, padding: Any, data_format: "str | None") -> Array:
    spatial = [tuple(p) for p in padding]
    if settings.data_format(data_format) == "channels_first":
        return _pad(x, [(0, 0), (0, 0)] + spatial)
    return _pad(x, [(0, 0)] + spatial + [(0, 0)])


def spatial_2d_padding(x: Array, padding: Any = ((1, 1), (1, 1)), data_format: "str | None" = None) -> Array:
    """Zeros around the two spatial axes: padding = ((top, bottom), (left, right)).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.spatial_2d_padding(np.ones((1, 1, 1, 1)), ((1, 0), (0, 1)), "channels_last")[0, :, :, 0].tolist()
        [[0.0, 0.0], [1.0, 0.0]]
    """
    return _spatial_padding(x, padding, data_format)


def spatial_3d_padding(x: Array, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: "str | None" = None) -> Array:
    """Zeros around the three spatial axes, one (before, after) pair each.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.spatial_3d_padding(np.ones((1, 1, 1, 1, 1)), data_format="channels_first").shape
        (1, 1, 3, 3, 3)
    """
    return _spatial_padding(x, padding, data_format)


def _repeat_spatial(x: Array, factors: Sequence[int], data_format: "str | None") -> Array:
    first_spatial = 2 if settings.data_format(data_format) == "channels_first" else 1
    for i, factor in enumerate(factors):
        x = repeat_elements(x, int(factor), first_spatial + i)
    return x


def resize_images(
    x: Array, height_factor: int, width_factor: int, data_format: "str | None" = None, interpolation: str = "nearest"
) -> Array:
    """Nearest-neighbour upsampling: each pixel repeated height_factor x width_factor times.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.resize_images(np.array([[[[1], [2]]]]), 2, 1, "channels_last")[0, :, :, 0].tolist()
        [[1, 2], [1, 2]]
    """
    if interpolation != "nearest":
        raise NotImplementedError(f"The reference resizes by repetition only. Received: interpolation={interpolation!r}")
    return _repeat_spatial(x, (height_factor, width_factor), data_format)


def resize_volumes(
    x: Array, depth_factor: int, height_factor: int, width_factor: int, data_format: "str | None" = None
) -> Array:
    """Each voxel repeated depth_factor x height_factor x width_factor times.

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.resize_volumes(np.zeros((1, 1, 2, 2, 2)), 2, 2, 2, "channels_first").shape
        (1, 1, 4, 4, 4)
    """
    return _repeat_spatial(x, (depth_factor, height_factor, width_factor), data_format)


def dot(x: Array, y: Array) -> Array:
    """Sum over the last axis of x and the second-to-last of y (the last, for a vector y):
    result shape x.shape[:-1] + y.shape[:-2] + y.shape[-1:].

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.dot(np.ones((4, 2)), np.ones((5, 2, 3))).shape
        (4, 5, 3)
    """
    x, y = np.asarray(x), np.asarray(y)
    y_axis = 0 if y.ndim == 1 else y.ndim - 2
    if x.shape[-1] != y.shape[y_axis]:
        raise ValueError(f"dot: x.shape[-1] must equal y.shape[{y_axis}]. Received: x.shape={x.shape}, y.shape={y.shape}")
    return np.tensordot(x, y, axes=([x.ndim - 1], [y_axis]))


def batch_dot(x: Array, y: Array, axes: Any = None) -> Array:
    """For each sample b, x[b] and y[b] summed over axes (axes[0] of x, axes[1] of y, batch
    axis counted); the result keeps x's other axes then y's; two vectors give (batch, 1).
    axes None: the last axis of x with the second-to-last of y (the last, if y has rank 2).

    Example:
        >>> from multinn.backends import reference_shape as R
        >>> R.batch_dot(np.ones((4, 2, 3)), np.ones((4, 5, 3)), axes=(2, 2)).shape
        (4, 2, 5)
        >>> R.batch_dot(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), axes=1).tolist()
        [[11.0]]
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"batch_dot needs tensors of rank 2 or more. Received: x.shape={x.shape}, y.shape={y.shape}")
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif np.ndim(axes) == 0:
        axes = (int(axes), int(axes))
    ax, ay = [int(a) % n for a, n in zip(axes, (x.ndim, y.ndim))]
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot cannot sum over the batch axis. Received: axes={axes}")
    if x.shape[0] != y.shape[0] or x.shape[ax] != y.shape[ay]:
        raise ValueError(f"batch_dot: shapes {x.shape} and {y.shape} do not match over axes {axes}.")
    rows = [np.tensordot(x[b], y[b], axes=([ax - 1], [ay - 1])) for b in range(x.shape[0])]
    out = np.stack(rows)
    return out.reshape(-1, 1) if out.ndim == 1 else out
