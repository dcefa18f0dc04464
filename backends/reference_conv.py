"""NumPy reference, part 3: convolutions, pooling, bias and batch normalization.

A convolution here is its definition: a loop over the kernel's taps, each tap adding a strided
window of the (padded) input times that tap's weights. Padding follows TensorFlow, which
Keras 2.3.1 wraps: 'same' pads (total // 2) before and the rest after. Written for clarity,
not speed; see `reference.py` for what the reference is for.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from . import reference_settings as settings
from .reference_shape import _pad

Array = np.ndarray


def _tuple(value: Any, n: int) -> tuple:
    return (int(value),) * n if np.ndim(value) == 0 else tuple(int(v) for v in value)


def _channels_last(x: Array, data_format: "str | None") -> Array:
    x = np.asarray(x)
    return np.moveaxis(x, 1, -1) if settings.data_format(data_format) == "channels_first" else x


def _restore(y: Array, data_format: "str | None") -> Array:
    return np.moveaxis(y, -1, 1) if settings.data_format(data_format) == "channels_first" else y


def _input_pads(sizes: Sequence[int], spans: Sequence[int], strides: Sequence[int], padding: str) -> list:
    """(before, after) zero padding of each spatial axis for a window of `span` taps."""
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    if padding == "same":
        pads = []
        for n, span, s in zip(sizes, spans, strides):
            out = -(-n // s)
            total = builtins.max((out - 1) * s + span - n, 0)
            pads.append((total // 2, total - total // 2))
        return pads
    if padding == "causal":
        return [(span - 1, 0) for span in spans]
    raise ValueError(f"padding must be 'valid', 'same' or 'causal' (1D only). Received: padding={padding!r}")


def _tap_windows(x: Array, taps: Sequence[int], strides: Sequence[int], dilation: Sequence[int], out: Sequence[int]):
    """For each kernel tap, the strided window of x (batch, *spatial, channels) it multiplies."""
    for tap in np.ndindex(*taps):
        index = tuple(
            builtins.slice(t * d, t * d + (n - 1) * s + 1, s) for t, d, n, s in zip(tap, dilation, out, strides)
        )
        yield tap, x[(builtins.slice(None),) + index]


def _prepare(x, kernel, strides, padding, dilation_rate, data_format):
    x = _channels_last(x, data_format)
    kernel = np.asarray(kernel)
    nd = x.ndim - 2
    taps = kernel.shape[:nd]
    strides, dilation = _tuple(strides, nd), _tuple(dilation_rate, nd)
    spans = [(k - 1) * d + 1 for k, d in zip(taps, dilation)]
    x = _pad(x, [(0, 0)] + _input_pads(x.shape[1:-1], spans, strides, padding) + [(0, 0)])
    out = [(n - span) // s + 1 for n, span, s in zip(x.shape[1:-1], spans, strides)]
    return x, kernel, taps, strides, dilation, out


def conv(
    x: Array,
    kernel: Array,
    strides: Any = 1,
    padding: str = "valid",
    data_format: "str | None" = None,
    dilation_rate: Any = 1,
) -> Array:
    """N-d convolution (cross-correlation, as TensorFlow's): kernel (*taps, in, out).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1)
        >>> R.conv(x, np.array([1.0, 10.0]).reshape(2, 1, 1))[0, :, 0].tolist()
        [21.0, 32.0, 43.0]
    """
    x, kernel, taps, strides, dilation, out = _prepare(x, kernel, strides, padding, dilation_rate, data_format)
    y = np.zeros((x.shape[0], *out, kernel.shape[-1]), dtype=np.result_type(x, kernel))
    for tap, window in _tap_windows(x, taps, strides, dilation, out):
        y += np.tensordot(window, kernel[tap], axes=([-1], [0]))
    return _restore(y, data_format)


def conv1d(x: Array, kernel: Array, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = 1) -> Array:
    """1D convolution: x (batch, steps, in) or channels_first, kernel (taps, in, out); 'causal' pads the start.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv1d(np.ones((1, 4, 1)), np.ones((2, 1, 1)), padding="causal")[0, :, 0].tolist()
        [1.0, 2.0, 2.0, 2.0]
    """
    return conv(x, kernel, strides, padding, data_format, dilation_rate)


def conv2d(x: Array, kernel: Array, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Array:
    """2D convolution: kernel (rows, cols, in, out).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), padding="same")[0, :, :, 0].tolist()
        [[4.0, 4.0, 2.0], [4.0, 4.0, 2.0], [2.0, 2.0, 1.0]]
    """
    return conv(x, kernel, strides, padding, data_format, dilation_rate)


def conv3d(x: Array, kernel: Array, strides: Any = (1, 1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1)) -> Array:
    """3D convolution: kernel (depth, rows, cols, in, out).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv3d(np.ones((1, 2, 2, 2, 1)), np.ones((2, 2, 2, 1, 3))).reshape(-1).tolist()
        [8.0, 8.0, 8.0]
    """
    return conv(x, kernel, strides, padding, data_format, dilation_rate)


def conv_transpose(
    x: Array,
    kernel: Array,
    output_shape: Any = None,
    strides: Any = 1,
    padding: str = "valid",
    data_format: "str | None" = None,
    dilation_rate: Any = 1,
) -> Array:
    """Transposed convolution (the gradient of `conv` with respect to its input): every input
    entry scatters itself times each tap into the output; kernel (*taps, out, in).
    `output_shape` (data_format's layout) picks among the sizes that fit; None: the smallest.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> x = np.array([1.0, 2.0]).reshape(1, 2, 1)
        >>> R.conv_transpose(x, np.array([1.0, 10.0]).reshape(2, 1, 1), strides=2)[0, :, 0].tolist()
        [1.0, 10.0, 2.0, 20.0]
    """
    x = _channels_last(x, data_format)
    kernel = np.asarray(kernel)
    nd = x.ndim - 2
    taps = kernel.shape[:nd]
    strides, dilation = _tuple(strides, nd), _tuple(dilation_rate, nd)
    spans = [(k - 1) * d + 1 for k, d in zip(taps, dilation)]
    inputs = x.shape[1:-1]
    if output_shape is None:
        if padding == "same":
            sizes = [n * s for n, s in zip(inputs, strides)]
        else:
            sizes = [(n - 1) * s + span for n, s, span in zip(inputs, strides, spans)]
    else:
        shape = tuple(int(v) for v in output_shape)
        sizes = list(shape[2:] if settings.data_format(data_format) == "channels_first" else shape[1:-1])
    if padding == "same":
        befores = [builtins.max((n - 1) * s + span - size, 0) // 2 for n, s, span, size in zip(inputs, strides, spans, sizes)]
    elif padding == "valid":
        befores = [0] * nd
    else:
        raise ValueError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")
    full = [builtins.max((n - 1) * s + span, b + size) for n, s, span, b, size in zip(inputs, strides, spans, befores, sizes)]
    canvas = np.zeros((x.shape[0], *full, kernel.shape[-2]), dtype=np.result_type(x, kernel))
    for tap in np.ndindex(*taps):
        contribution = np.tensordot(x, kernel[tap], axes=([-1], [1]))  # (batch, *inputs, out)
        index = tuple(builtins.slice(t * d, t * d + (n - 1) * s + 1, s) for t, d, n, s in zip(tap, dilation, inputs, strides))
        canvas[(builtins.slice(None),) + index] += contribution
    crop = tuple(builtins.slice(b, b + size) for b, size in zip(befores, sizes))
    return _restore(canvas[(builtins.slice(None),) + crop], data_format)


def conv1d_transpose(x: Array, kernel: Array, output_shape: Any = None, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = 1) -> Array:
    """1D transposed convolution: kernel (taps, out, in).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv1d_transpose(np.ones((1, 2, 1)), np.ones((2, 1, 1)))[0, :, 0].tolist()
        [1.0, 2.0, 1.0]
    """
    return conv_transpose(x, kernel, output_shape, strides, padding, data_format, dilation_rate)


def conv2d_transpose(x: Array, kernel: Array, output_shape: Any = None, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Array:
    """2D transposed convolution: kernel (rows, cols, out, in).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)))[0, :, :, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    return conv_transpose(x, kernel, output_shape, strides, padding, data_format, dilation_rate)


def conv3d_transpose(x: Array, kernel: Array, output_shape: Any = None, strides: Any = (1, 1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1)) -> Array:
    """3D transposed convolution: kernel (depth, rows, cols, out, in).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.conv3d_transpose(np.ones((1, 1, 1, 1, 1)), np.ones((2, 2, 2, 1, 1))).shape
        (1, 2, 2, 2, 1)
    """
    return conv_transpose(x, kernel, output_shape, strides, padding, data_format, dilation_rate)


def depthwise_conv(
    x: Array,
    depthwise_kernel: Array,
    strides: Any = 1,
    padding: str = "valid",
    data_format: "str | None" = None,
    dilation_rate: Any = 1,
) -> Array:
    """Each input channel c convolved alone with kernel[..., c, m] for each multiplier m; output
    channel c * multiplier + m. Kernel (*taps, in, multiplier).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> x = np.array([[[[1.0, 10.0]]]])
        >>> R.depthwise_conv(x, np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))[0, 0, 0].tolist()
        [1.0, 2.0, 30.0, 40.0]
    """
    x, kernel, taps, strides, dilation, out = _prepare(x, depthwise_kernel, strides, padding, dilation_rate, data_format)
    channels, multiplier = kernel.shape[-2:]
    y = np.zeros((x.shape[0], *out, channels, multiplier), dtype=np.result_type(x, kernel))
    for tap, window in _tap_windows(x, taps, strides, dilation, out):
        y += window[..., :, None] * kernel[tap]
    return _restore(y.reshape(y.shape[:-2] + (channels * multiplier,)), data_format)


def depthwise_conv2d(x: Array, depthwise_kernel: Array, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Array:
    """2D depthwise convolution: kernel (rows, cols, in, multiplier).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.depthwise_conv2d(np.ones((1, 3, 3, 2)), np.ones((2, 2, 2, 3))).shape
        (1, 2, 2, 6)
    """
    return depthwise_conv(x, depthwise_kernel, strides, padding, data_format, dilation_rate)


def separable_conv(
    x: Array,
    depthwise_kernel: Array,
    pointwise_kernel: Array,
    padding: str = "valid",
    data_format: "str | None" = None,
    strides: Any = 1,
    dilation_rate: Any = 1,
) -> Array:
    """A depthwise convolution followed by a 1x1 convolution mixing its channels.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.separable_conv(np.ones((1, 3, 3, 2)), np.ones((2, 2, 2, 1)), np.ones((1, 1, 2, 4))).shape
        (1, 2, 2, 4)
    """
    depthwise = depthwise_conv(x, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def separable_conv1d(x: Array, depthwise_kernel: Array, pointwise_kernel: Array, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = 1) -> Array:
    """1D separable convolution: depthwise (taps, in, multiplier), pointwise (1, in * multiplier, out).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.separable_conv1d(np.ones((1, 4, 2)), np.ones((3, 2, 1)), np.ones((1, 2, 5))).shape
        (1, 2, 5)
    """
    return separable_conv(x, depthwise_kernel, pointwise_kernel, padding, data_format, strides, dilation_rate)


def separable_conv2d(x: Array, depthwise_kernel: Array, pointwise_kernel: Array, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Array:
    """2D separable convolution: depthwise (rows, cols, in, multiplier), pointwise (1, 1, in * multiplier, out).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.separable_conv2d(np.ones((1, 3, 3, 2)), np.ones((2, 2, 2, 1)), np.ones((1, 1, 2, 4))).shape
        (1, 2, 2, 4)
    """
    return separable_conv(x, depthwise_kernel, pointwise_kernel, padding, data_format, strides, dilation_rate)


def pool(
    x: Array,
    pool_size: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: "str | None" = None,
    pool_mode: str = "max",
) -> Array:
    """Max or average over each window; with 'same' padding the padded cells take no part
    (an edge average divides by the real cells only).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> x = np.array([1.0, 5.0, 3.0]).reshape(1, 3, 1)
        >>> R.pool(x, 2, padding="same", pool_mode="avg")[0, :, 0].tolist()
        [3.0, 4.0, 3.0]
    """
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"pool_mode must be 'max' or 'avg'. Received: pool_mode={pool_mode!r}")
    x = _channels_last(x, data_format)
    nd = x.ndim - 2
    size, strides = _tuple(pool_size, nd), _tuple(strides, nd)
    pads = [(0, 0)] + _input_pads(x.shape[1:-1], size, strides, padding) + [(0, 0)]
    real = _pad(np.ones(x.shape, dtype=bool), pads)
    x = _pad(x, pads)
    out = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:-1], size, strides)]
    best = np.full((x.shape[0], *out, x.shape[-1]), -np.inf)
    total = np.zeros(best.shape)
    count = np.zeros(best.shape)
    ones = (1,) * nd
    real_windows = dict(_tap_windows(real, size, strides, ones, out))
    for tap, window in _tap_windows(x, size, strides, ones, out):
        inside = real_windows[tap]
        best = np.where(inside & (window > best), window, best)
        total = total + np.where(inside, window, 0)
        count = count + inside
    y = best if pool_mode == "max" else total / count
    return _restore(y.astype(x.dtype), data_format)


def pool1d(x: Array, pool_size: Any, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None, pool_mode: str = "max") -> Array:
    """1D pooling over (batch, steps, channels).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.pool1d(np.array([1.0, 5.0, 3.0, 2.0]).reshape(1, 4, 1), 2, 2)[0, :, 0].tolist()
        [5.0, 3.0]
    """
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool2d(x: Array, pool_size: Any, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None, pool_mode: str = "max") -> Array:
    """2D pooling.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.pool2d(np.arange(16.0).reshape(1, 4, 4, 1), (2, 2), (2, 2))[0, :, :, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
    """
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x: Array, pool_size: Any, strides: Any = (1, 1, 1), padding: str = "valid", data_format: "str | None" = None, pool_mode: str = "max") -> Array:
    """3D pooling.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.pool3d(np.arange(8.0).reshape(1, 2, 2, 2, 1), (2, 2, 2), pool_mode="avg").reshape(-1).tolist()
        [3.5]
    """
    return pool(x, pool_size, strides, padding, data_format, pool_mode)


def bias_add(x: Array, bias: Array, data_format: "str | None" = None) -> Array:
    """x plus the bias along the channel axis. A bias of rank x.ndim - 1 is laid out
    (*spatial, channels) for both data formats (Keras 2.3.1 reshapes it, channels first).

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.bias_add(np.zeros((1, 2, 2)), np.array([1.0, 2.0]), "channels_first")[0].tolist()
        [[1.0, 1.0], [2.0, 2.0]]
    """
    x, bias = np.asarray(x), np.asarray(bias)
    first = settings.data_format(data_format) == "channels_first"
    if bias.ndim not in (1, x.ndim - 1):
        raise ValueError(f"bias_add: the bias must have rank 1 or {x.ndim - 1}. Received: bias.shape={bias.shape}")
    if bias.ndim == 1:
        shape = [1] * x.ndim
        shape[1 if first else -1] = bias.shape[0]
        return x + bias.reshape(shape)
    if first:
        bias = bias.reshape((bias.shape[-1],) + bias.shape[:-1])
    return x + bias[None]


def batch_normalization(
    x: Array, mean: Array, var: Array, beta: Array, gamma: Array, axis: int = -1, epsilon: float = 1e-3
) -> Array:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta. The statistics broadcast against x; a
    vector lies along `axis`; None for beta or gamma means 0 and 1.

    Example:
        >>> from multinn.backends import reference_conv as R
        >>> R.batch_normalization(np.array([3.0]), np.array([1.0]), np.array([4.0]), None, None, epsilon=0.0).tolist()
        [1.0]
    """
    x = np.asarray(x)

    def along_axis(statistic: Any, default: float) -> Any:
        if statistic is None:
            return default
        statistic = np.asarray(statistic)
        if statistic.ndim == 1 and x.ndim > 1:  # per-channel vector: lay it along `axis`
            shape = [1] * x.ndim
            shape[axis] = statistic.shape[0]
            statistic = statistic.reshape(shape)
        return statistic

    mean, var = along_axis(mean, 0.0), along_axis(var, 1.0)
    beta, gamma = along_axis(beta, 0.0), along_axis(gamma, 1.0)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta
