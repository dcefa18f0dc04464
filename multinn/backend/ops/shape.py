"""Shape K functions: permuting, repeating, tiling, padding, resizing and slicing (Keras 2 names).

Most are composites of reshape, transpose, broadcast_to and getitem, so they are
differentiable for free; zero padding is one primitive whose gradient is a slice.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import config
from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, to_tensor
from .indexing import getitem
from .math import axis_index, broadcast_to, equal, reshape, transpose

__all__ = [
    "permute_dimensions", "resize_images", "resize_volumes", "repeat_elements", "repeat", "tile", "flatten",
    "batch_flatten", "temporal_padding", "spatial_2d_padding", "spatial_3d_padding", "one_hot", "reverse",
    "slice", "pad",
]

_slice = slice  # this module defines K.slice


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Tensor:
    """Permutes the axes of `x`: output axis i is input axis pattern[i].

    Example:
        >>> from multinn import backend as K
        >>> K.permute_dimensions(K.zeros((2, 3, 4)), (0, 2, 1)).shape
        (2, 4, 3)
    """
    x = to_tensor(x)
    pattern = tuple(int(p) for p in pattern)
    # Each axis once; negative entries count from the end (TensorFlow takes only [0, ndim)).
    if len(pattern) != x.ndim or sorted(p % x.ndim if -x.ndim <= p < x.ndim else -1 for p in pattern) != list(
        range(x.ndim)
    ):
        raise ValueError(
            f"K.permute_dimensions needs a permutation of the {x.ndim} axes of a tensor of shape "
            f"{x.shape}. Received: pattern={pattern}"
        )
    return transpose(x, tuple(p % x.ndim for p in pattern))


def repeat_elements(x: Any, rep: int, axis: int) -> Tensor:
    """Repeats each entry of `x` `rep` times along `axis`, like np.repeat.

    Example:
        >>> from multinn import backend as K
        >>> K.repeat_elements(K.constant([[1.0, 2.0]]), 2, axis=1).numpy().tolist()
        [[1.0, 1.0, 2.0, 2.0]]
    """
    x = to_tensor(x)
    rep = int(rep)
    axis = axis_index(axis, x.ndim, "K.repeat_elements")
    if rep < 0:
        raise ValueError(f"K.repeat_elements repeats each entry 0 or more times. Received: rep={rep}")
    shape = tuple(x.shape)
    # A new axis after `axis`, broadcast to `rep`, then merged into `axis`.
    spread = reshape(x, shape[: axis + 1] + (1,) + shape[axis + 1:])
    spread = broadcast_to(spread, shape[: axis + 1] + (rep,) + shape[axis + 1:])
    merged = shape[axis] * rep if shape[axis] is not None else -1
    return reshape(spread, shape[:axis] + (merged,) + shape[axis + 1:])


def repeat(x: Any, n: int) -> Tensor:
    """Repeats a 2D tensor `n` times along a new axis 1: (batch, dim) -> (batch, n, dim).

    Example:
        >>> from multinn import backend as K
        >>> K.repeat(K.ones((2, 3)), 4).shape
        (2, 4, 3)
    """
    x = to_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"K.repeat expects a 2D tensor (batch, dim). Received: x with shape {x.shape}")
    batch, dim = x.shape
    return broadcast_to(reshape(x, (batch, 1, dim)), (batch, int(n), dim))


@deferred_on_graph
def tile(x: Any, n: Any) -> Tensor:
    """Tiles `x` `n[i]` times along axis i (an int tiles the last axis), like np.tile.

    Example:
        >>> from multinn import backend as K
        >>> K.tile(K.constant([[1.0, 2.0]]), (2, 2)).numpy().tolist()
        [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    x = to_tensor(x)
    reps = [int(n)] if isinstance(n, int) else [int(r) for r in (n.numpy().tolist() if isinstance(n, Tensor) else n)]
    if any(r < 0 for r in reps):
        raise ValueError(f"K.tile repeats 0 or more times along each axis. Received: n={n!r}")
    shape = tuple(x.shape)
    if len(reps) > len(shape):
        shape = (1,) * (len(reps) - len(shape)) + shape
        x = reshape(x, shape)
    reps = [1] * (len(shape) - len(reps)) + reps
    # (d0, d1, ...) -> (1, d0, 1, d1, ...) -> broadcast (r0, d0, r1, d1, ...) -> (r0*d0, r1*d1, ...)
    spread = reshape(x, tuple(v for d in shape for v in (1, d)))
    spread = broadcast_to(spread, tuple(v for r, d in zip(reps, shape) for v in (r, d)))
    return reshape(spread, tuple(r * d for r, d in zip(reps, shape)))


def flatten(x: Any) -> Tensor:
    """All entries of `x` as a 1D tensor.

    Example:
        >>> from multinn import backend as K
        >>> K.flatten(K.zeros((2, 3))).shape
        (6,)
    """
    return reshape(x, (-1,))


def batch_flatten(x: Any) -> Tensor:
    """Flattens every axis but the first: (batch, d1, d2, ...) -> (batch, d1*d2*...).

    Example:
        >>> from multinn import backend as K
        >>> K.batch_flatten(K.zeros((2, 3, 4))).shape
        (2, 12)
    """
    x = to_tensor(x)
    rest = 1
    for d in x.shape[1:]:
        if d is None:
            return reshape(x, (x.shape[0], -1))
        rest *= d
    # -1 for the batch keeps this valid when the batch size is unknown (placeholders).
    return reshape(x, (-1, rest)) if rest else reshape(x, (x.shape[0], 0))


# ------------------------------------------------------------------ padding
def _pad_fwd(b, x, pads):
    out = b.xp.zeros(tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, pads)), dtype=x.dtype)
    out[_inner(x.shape, pads)] = x
    return out


def _inner(shape, pads):
    return tuple(_slice(lo, lo + d) for d, (lo, _) in zip(shape, pads))


_pad = Primitive("pad", _pad_fwd, lambda dy, y, x, pads: (getitem(dy, _inner(x.shape, pads)),))


def pad(x: Any, pads: Sequence[Sequence[int]]) -> Tensor:
    """Zero-pads `x`: `pads` gives (before, after) for every axis.

    Example:
        >>> from multinn import backend as K
        >>> K.pad(K.ones((1, 2)), ((0, 0), (1, 2))).numpy().tolist()
        [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    x = to_tensor(x)
    pads = tuple((int(lo), int(hi)) for lo, hi in pads)
    if len(pads) != x.ndim or any(lo < 0 or hi < 0 for lo, hi in pads):
        raise ValueError(
            f"K.pad needs one non-negative (before, after) pair per axis of a tensor of shape {x.shape}. "
            f"Received: pads={pads}"
        )
    return _pad(x, pads=pads)


def _pairs(padding: Any, count: int, name: str) -> tuple:
    try:
        pairs = tuple((int(lo), int(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        pairs = ()
    if len(pairs) != count:
        raise ValueError(f"K.{name} expects {count} pairs of (before, after) padding. Received: padding={padding!r}")
    return pairs


def temporal_padding(x: Any, padding: Sequence[int] = (1, 1)) -> Tensor:
    """Zero-pads the middle axis of a 3D tensor (batch, steps, features).

    Example:
        >>> from multinn import backend as K
        >>> K.temporal_padding(K.ones((2, 3, 4)), (1, 2)).shape
        (2, 6, 4)
    """
    x = to_tensor(x)
    if x.ndim != 3 or len(padding) != 2:
        raise ValueError(
            f"K.temporal_padding expects a 3D tensor and a (before, after) pair. "
            f"Received: x with shape {x.shape}, padding={padding!r}"
        )
    return _pad(x, pads=((0, 0), (int(padding[0]), int(padding[1])), (0, 0)))


def _spatial_padding(x: Any, padding: Any, data_format: "str | None", rank: int, name: str) -> Tensor:
    x = to_tensor(x)
    data_format = config.normalize_data_format(data_format)
    pairs = _pairs(padding, rank, name)
    if x.ndim != rank + 2:
        raise ValueError(f"K.{name} expects a {rank + 2}D tensor. Received: x with shape {x.shape}")
    if data_format == "channels_first":
        pads = ((0, 0), (0, 0)) + pairs
    else:
        pads = ((0, 0),) + pairs + ((0, 0),)
    return _pad(x, pads=pads)


def spatial_2d_padding(x: Any, padding: Any = ((1, 1), (1, 1)), data_format: "str | None" = None) -> Tensor:
    """Zero-pads the rows and columns of a 4D tensor.

    Example:
        >>> from multinn import backend as K
        >>> K.spatial_2d_padding(K.ones((1, 2, 2, 3)), ((1, 0), (0, 2)), "channels_last").shape
        (1, 3, 4, 3)
    """
    return _spatial_padding(x, padding, data_format, 2, "spatial_2d_padding")


def spatial_3d_padding(
    x: Any, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: "str | None" = None
) -> Tensor:
    """Zero-pads depth, rows and columns of a 5D tensor.

    Example:
        >>> from multinn import backend as K
        >>> K.spatial_3d_padding(K.ones((1, 2, 2, 2, 3)), data_format="channels_last").shape
        (1, 4, 4, 4, 3)
    """
    return _spatial_padding(x, padding, data_format, 3, "spatial_3d_padding")


# ------------------------------------------------------------------ resizing
def _image_axes(data_format: "str | None", rank: int) -> tuple:
    data_format = config.normalize_data_format(data_format)
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


def _bilinear_along(x: Tensor, axis: int, factor: int) -> Tensor:
    # TensorFlow 1's resize_bilinear (align_corners=False, no half-pixel centres),
    # which Keras 2 calls: output row i reads input position i / factor.
    xp = x.backend.xp
    size = x.shape[axis]
    pos = xp.arange(size * factor, dtype="float64") / factor
    low = xp.floor(pos).astype("int64")
    high = xp.minimum(low + 1, size - 1)
    frac = (pos - low).astype(x.dtype)
    lead = (_slice(None),) * axis
    weight_shape = (-1,) + (1,) * (x.ndim - axis - 1)
    w = Tensor(frac.reshape(weight_shape), x.backend)
    return getitem(x, lead + (low,)) * (1 - w) + getitem(x, lead + (high,)) * w


def resize_images(
    x: Any, height_factor: int, width_factor: int, data_format: "str | None" = None, interpolation: str = "nearest"
) -> Tensor:
    """Upsamples the rows and columns of a 4D tensor by integer factors.

    `interpolation` is 'nearest' (repeat each pixel) or 'bilinear' (TensorFlow 1's
    resize_bilinear, as Keras 2 uses). data_format None means K.image_data_format().

    Example:
        >>> from multinn import backend as K
        >>> K.resize_images(K.ones((1, 2, 3, 1)), 2, 3, "channels_last").shape
        (1, 4, 9, 1)
    """
    x = to_tensor(x)
    rows, cols = _image_axes(data_format, 2)
    if x.ndim != 4:
        raise ValueError(f"K.resize_images expects a 4D tensor. Received: x with shape {x.shape}")
    if interpolation == "nearest":
        return repeat_elements(repeat_elements(x, height_factor, rows), width_factor, cols)
    if interpolation == "bilinear":
        return _bilinear_along(_bilinear_along(x, rows, int(height_factor)), cols, int(width_factor))
    raise ValueError(
        f"interpolation should be one of 'nearest' or 'bilinear'. Received: interpolation={interpolation!r}"
    )


def resize_volumes(
    x: Any, depth_factor: int, height_factor: int, width_factor: int, data_format: "str | None" = None
) -> Tensor:
    """Upsamples depth, rows and columns of a 5D tensor by repeating entries.

    Example:
        >>> from multinn import backend as K
        >>> K.resize_volumes(K.ones((1, 1, 2, 2, 2)), 2, 1, 3, "channels_first").shape
        (1, 1, 4, 2, 6)
    """
    x = to_tensor(x)
    axes = _image_axes(data_format, 3)
    if x.ndim != 5:
        raise ValueError(f"K.resize_volumes expects a 5D tensor. Received: x with shape {x.shape}")
    for axis, factor in zip(axes, (depth_factor, height_factor, width_factor)):
        x = repeat_elements(x, factor, axis)
    return x


# ------------------------------------------------------------------ the rest
def one_hot(indices: Any, num_classes: int) -> Tensor:
    """One-hot floatx encoding along a new last axis; out-of-range indices give zeros.

    Example:
        >>> from multinn import backend as K
        >>> K.one_hot(K.constant([2, 0], dtype="int32"), 3).numpy().tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    from .state import cast

    indices = to_tensor(indices)
    classes = Tensor(indices.backend.xp.arange(int(num_classes)), indices.backend)
    hit = equal(reshape(indices, tuple(indices.shape) + (1,)), classes)
    return cast(hit, config.floatx())


def reverse(x: Any, axes: Any) -> Tensor:
    """Reverses `x` along `axes` (an int or a list of ints).

    Example:
        >>> from multinn import backend as K
        >>> K.reverse(K.constant([[1.0, 2.0, 3.0]]), 1).numpy().tolist()
        [[3.0, 2.0, 1.0]]
    """
    x = to_tensor(x)
    axes = [axes] if isinstance(axes, int) else list(axes)
    index = [_slice(None)] * x.ndim
    for a in axes:
        index[axis_index(a, x.ndim, "K.reverse")] = _slice(None, None, -1)
    return getitem(x, tuple(index))


def slice(x: Any, start: Sequence[int], size: Sequence[int]) -> Tensor:
    """The block of `x` that begins at `start` with extent `size` per axis (-1: to the end).

    Example:
        >>> from multinn import backend as K
        >>> K.slice(K.reshape(K.arange(6), (2, 3)), (0, 1), (2, 2)).numpy().tolist()
        [[1, 2], [4, 5]]
    """
    x = to_tensor(x)
    start = [int(s) for s in start]
    size = [int(s) for s in size]
    if len(start) != x.ndim or len(size) != x.ndim:
        raise ValueError(
            f"K.slice needs one start and one size per axis of a tensor of shape {x.shape}. "
            f"Received: start={start}, size={size}"
        )
    index = tuple(_slice(b, None if n == -1 else b + n) for b, n in zip(start, size))
    return getitem(x, index)
