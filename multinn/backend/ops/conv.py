"""Convolution, transposed convolution, pooling and locally connected products (Keras 2 names).

Every function works on channels_last data internally (channels_first input is
transposed in and out). Three primitives carry all convolutions, and each one's
gradient is written with the other two, so gradients of any order work:

    conv(x, w)                      y = x * w
    conv_backprop_input(dy, w)      dL/dx, a transposed convolution
    conv_backprop_filter(x, dy)     dL/dw
"""
from __future__ import annotations

from typing import Any

from .. import config
from ...utils import conv_utils
from ...utils.generic_utils import as_int
from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .math import broadcast_to, dot, matmul, reshape, transpose
from .nn import _relu_backward

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose",
    "separable_conv1d", "separable_conv2d", "depthwise_conv2d", "pool1d", "pool2d", "pool3d",
    "local_conv1d", "local_conv2d", "extract_patches", "conv_nd",
]


def _wants(t) -> bool:
    return isinstance(t, Tensor) and t.needs_grad


# ------------------------------------------------------------------ the three convolution primitives
# `stash` (a dict, or None) carries the forward's patches to the filter gradient, so
# im2col runs once per training step; the other gradients recompute what they need.
def _conv_grad(dy, y, x, w, bias, strides, dilation, pad_lo, out, groups, stash=None, activation="linear"):
    if not recording.get():  # a plain backward pass: the backend's fused kernel on raw arrays
        b = dy.backend
        grads = b.conv_backward(dy.data, y.data, x.data, w.data, activation, _wants(x), _wants(w), _wants(bias),
                                strides, dilation, pad_lo, groups, stash)
        return tuple(None if g is None else Tensor(g, b) for g in grads)
    if activation == "relu":  # create_graph: the backward as K ops, differentiable again
        dy = _relu_backward(dy, y)
    elif activation == "tanh":
        dy = dy * (1 - y * y)
    nd = len(out)
    gx = _conv_bpi(dy, w, in_spatial=x.shape[1:-1], strides=strides, dilation=dilation, pad_lo=pad_lo,
                   groups=groups) if _wants(x) else None
    gw = _conv_bpf(x, dy, ksize=w.shape[:nd], strides=strides, dilation=dilation, pad_lo=pad_lo,
                   groups=groups, stash=stash) if _wants(w) else None
    gb = _channel_sum(dy) if _wants(bias) else None
    return gx, gw, gb


def _bpi_grad(g, dx, dy, w, in_spatial, strides, dilation, pad_lo, groups):
    nd = len(in_spatial)
    gdy = _conv(g, w, None, strides=strides, dilation=dilation, pad_lo=pad_lo, out=dy.shape[1:-1],
                groups=groups) if _wants(dy) else None
    gw = _conv_bpf(g, dy, ksize=w.shape[:nd], strides=strides, dilation=dilation, pad_lo=pad_lo,
                   groups=groups) if _wants(w) else None
    return gdy, gw


def _bpf_grad(g, dw, x, dy, ksize, strides, dilation, pad_lo, groups, stash=None):
    gx = _conv_bpi(dy, g, in_spatial=x.shape[1:-1], strides=strides, dilation=dilation, pad_lo=pad_lo,
                   groups=groups) if _wants(x) else None
    gdy = _conv(x, g, None, strides=strides, dilation=dilation, pad_lo=pad_lo, out=dy.shape[1:-1],
                groups=groups) if _wants(dy) else None
    return gx, gdy


_conv = Primitive("conv", lambda b, x, w, bias, **p: b.conv_forward(x, w, bias=bias, **p), _conv_grad)
# The gradient of a per-channel bias: a sum over every axis but the last.
_channel_sum = Primitive("channel_sum", lambda b, dy: b.channel_sum(dy), lambda g, s, dy: (broadcast_to(g, dy.shape),))
_conv_bpi = Primitive("conv_backprop_input", lambda b, dy, w, **p: b.conv_backprop_input(dy, w, **p), _bpi_grad)
_conv_bpf = Primitive("conv_backprop_filter", lambda b, x, dy, **p: b.conv_backprop_filter(x, dy, **p), _bpf_grad)


def _stash_for(*inputs) -> "dict | None":
    """A dict for the forward to leave intermediates in, when a backward pass may follow."""
    return {} if recording.get() and any(_wants(t) for t in inputs) else None


# ------------------------------------------------------------------ argument checking
def _spatial_args(name, nd, strides, dilation_rate):
    return (conv_utils.normalize_tuple(strides, nd, "strides"),
            conv_utils.normalize_tuple(dilation_rate, nd, "dilation_rate"))


def _to_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    return transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))


def _from_channels_last(y: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return y
    return transpose(y, (0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))


def _check_input(name, x, nd, data_format):
    if x.ndim != nd + 2:
        raise ValueError(
            f"K.{name} expects a {nd + 2}-D input (batch, {nd} spatial dims, channels; {data_format}). "
            f"Received: x.shape={x.shape}"
        )


def _geometry(in_spatial, ksize, strides, dilation, padding, name):
    out, lo = [], []
    for i, (n, k, s, d) in enumerate(zip(in_spatial, ksize, strides, dilation)):
        o = conv_utils.conv_output_length(n, k, padding, s, d)
        if o < 1:
            raise ValueError(
                f"K.{name}: a window of {conv_utils.dilated(k, d)} does not fit in spatial dim {i} of size {n} "
                f"with padding {padding!r}. Received: kernel size {tuple(ksize)}, "
                f"input spatial shape {tuple(in_spatial)}"
            )
        out.append(o)
        lo.append(conv_utils.padding_before(n, o, k, padding, s, d))
    return tuple(out), tuple(lo)


def _conv_args(name, x, kernel, nd, strides, padding, data_format, dilation_rate, allowed, kernel_layout):
    """The checked arguments of a convolution: (x channels-last, kernel, strides, dilation, padding,
    data_format); `kernel_layout` names the kernel's last two axes in the error message."""
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding, allowed)
    strides, dilation = _spatial_args(name, nd, strides, dilation_rate)
    x = to_tensor(x)
    kernel = to_tensor(kernel, x.backend)
    _check_input(name, x, nd, data_format)
    if kernel.ndim != nd + 2:
        raise ValueError(f"K.{name} expects a {nd + 2}-D kernel (*kernel_size, {kernel_layout}). "
                         f"Received: kernel.shape={kernel.shape}")
    return _to_channels_last(x, data_format), kernel, strides, dilation, padding, data_format


# The activations conv_nd applies in the convolution's own pass (their derivative is read off the output).
_ACTIVATIONS = {None: "linear", "linear": "linear", "relu": "relu", "tanh": "tanh"}


def _convnd(name, x, kernel, nd, strides, padding, data_format, dilation_rate, groups=1, allowed=("valid", "same"),
            bias=None, activation="linear"):
    x, kernel, strides, dilation, padding, data_format = _conv_args(
        name, x, kernel, nd, strides, padding, data_format, dilation_rate, allowed,
        "in_channels // groups, out_channels")
    count = as_int(groups)
    if count is None or count < 1:
        raise ValueError(f"K.{name}: `groups` must be a positive int. Received: groups={groups!r}")
    groups = count
    if kernel.shape[-1] % groups:
        raise ValueError(f"K.{name}: the kernel's {kernel.shape[-1]} output channels must be divisible by "
                         f"`groups`. Received: groups={groups}, kernel.shape={kernel.shape}")
    if x.shape[-1] != kernel.shape[-2] * groups:
        raise ValueError(
            f"K.{name}: the input has {x.shape[-1]} channels but the kernel of shape {kernel.shape} expects "
            f"{kernel.shape[-2] * groups} (kernel.shape[-2] * groups). Received: groups={groups}"
        )
    out, lo = _geometry(x.shape[1:-1], kernel.shape[:nd], strides, dilation, padding, name)
    if bias is not None:
        bias = to_tensor(bias, x.backend)
        if bias.shape != (kernel.shape[-1],):
            raise ValueError(f"K.{name}: the bias must have one value per output channel, shape "
                             f"({kernel.shape[-1]},). Received: bias.shape={bias.shape}")
    y = _conv(x, kernel, bias, strides=strides, dilation=dilation, pad_lo=lo, out=out, groups=groups,
              stash=_stash_for(kernel), activation=activation)
    return _from_channels_last(y, data_format)


# ------------------------------------------------------------------ convolutions
@deferred_on_graph
def conv1d(x: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None,
           dilation_rate: Any = 1, *, groups: int = 1) -> Tensor:
    """1-D convolution; padding 'valid', 'same' or 'causal' (zeros before the sequence only).

    Args:
        x: (batch, steps, channels) for channels_last, (batch, channels, steps) for channels_first.
        kernel: (kernel_size, in_channels // groups, filters).
        groups: the channels split into `groups` blocks, block g of the output computed from
            block g of the input only (tf.keras 2's grouped convolution); filters % groups == 0.

    Example:
        >>> from multinn import backend as K
        >>> K.conv1d(K.ones((2, 10, 3)), K.ones((3, 3, 4)), padding="causal").shape
        (2, 10, 4)
    """
    return _convnd("conv1d", x, kernel, 1, strides, padding, data_format, dilation_rate, groups=groups,
                   allowed=("valid", "same", "causal"))


@deferred_on_graph
def conv2d(x: Any, kernel: Any, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None,
           dilation_rate: Any = (1, 1), *, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras).

    Args:
        x: (batch, rows, cols, channels) or (batch, channels, rows, cols) for channels_first.
        kernel: (kernel_rows, kernel_cols, in_channels // groups, filters).
        groups: grouped convolution (see `conv1d`).

    Example:
        >>> from multinn import backend as K
        >>> K.conv2d(K.ones((1, 5, 5, 2)), K.ones((3, 3, 2, 4)), padding="same").shape
        (1, 5, 5, 4)
        >>> K.conv2d(K.ones((1, 5, 5, 4)), K.ones((3, 3, 2, 6)), groups=2).shape
        (1, 3, 3, 6)
    """
    return _convnd("conv2d", x, kernel, 2, strides, padding, data_format, dilation_rate, groups=groups)


@deferred_on_graph
def conv3d(x: Any, kernel: Any, strides: Any = (1, 1, 1), padding: str = "valid", data_format: "str | None" = None,
           dilation_rate: Any = (1, 1, 1), *, groups: int = 1) -> Tensor:
    """3-D convolution; kernel (k1, k2, k3, in_channels // groups, filters); `groups` as in `conv1d`.

    Example:
        >>> from multinn import backend as K
        >>> K.conv3d(K.ones((1, 4, 4, 4, 1)), K.ones((2, 2, 2, 1, 3))).shape
        (1, 3, 3, 3, 3)
    """
    return _convnd("conv3d", x, kernel, 3, strides, padding, data_format, dilation_rate, groups=groups)


@deferred_on_graph
def conv_nd(x: Any, kernel: Any, bias: Any = None, strides: Any = 1, padding: str = "valid",
            data_format: "str | None" = None, dilation_rate: Any = 1, *, groups: int = 1,
            activation: "str | None" = None) -> Tensor:
    """Convolution of any rank (taken from the kernel) with an optional bias and activation in the same pass.

    The same as `conv1d/2d/3d` followed by `bias_add` and the activation, but the bias
    and activation are applied in place to the convolution's output and the backward
    pass is one fused kernel: the convolution layers use it. `groups` as in `conv1d`;
    `activation` is None or "linear" (the identity), "relu" (max(x, 0)) or "tanh".

    Example:
        >>> from multinn import backend as K
        >>> y = K.conv_nd(K.ones((1, 4, 4, 2)), K.ones((3, 3, 2, 5)), K.constant([0.5] * 5))
        >>> y.shape, float(y[0, 0, 0, 0])
        ((1, 2, 2, 5), 18.5)
        >>> float(K.conv_nd(K.ones((1, 3, 3, 1)), -K.ones((3, 3, 1, 1)), activation="relu")[0, 0, 0, 0])
        0.0
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"K.conv_nd fuses only the activations {sorted(a for a in _ACTIVATIONS if a)} (or None); "
                         f"apply any other to its result. Received: activation={activation!r}")
    kernel = to_tensor(kernel)
    nd = kernel.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"K.conv_nd expects a 3-D to 5-D kernel (*kernel_size, in_channels, out_channels). "
                         f"Received: kernel.shape={kernel.shape}")
    return _convnd("conv_nd", x, kernel, nd, strides, padding, data_format, dilation_rate, groups=groups,
                   allowed=("valid", "same", "causal") if nd == 1 else ("valid", "same"), bias=bias,
                   activation=_ACTIVATIONS[activation])


@deferred_on_graph
def depthwise_conv2d(x: Any, depthwise_kernel: Any, strides: Any = (1, 1), padding: str = "valid",
                     data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Tensor:
    """Depthwise 2-D convolution: each input channel convolved with its own filters.

    `depthwise_kernel` is (rows, cols, in_channels, depth_multiplier); output channel
    c * depth_multiplier + m comes from input channel c and filter m, as in Keras.

    Example:
        >>> from multinn import backend as K
        >>> K.depthwise_conv2d(K.ones((1, 5, 5, 3)), K.ones((3, 3, 3, 2))).shape
        (1, 3, 3, 6)
    """
    return _depthwise("depthwise_conv2d", x, depthwise_kernel, 2, strides, padding, data_format, dilation_rate)


def _depthwise(name, x, kernel, nd, strides, padding, data_format, dilation_rate):
    x = to_tensor(x)
    kernel = to_tensor(kernel, x.backend)
    if kernel.ndim != nd + 2:
        raise ValueError(f"K.{name} expects a {nd + 2}-D depthwise kernel (*kernel_size, in_channels, "
                         f"depth_multiplier). Received: depthwise_kernel.shape={kernel.shape}")
    cin, mult = kernel.shape[-2], kernel.shape[-1]
    # A depthwise kernel is a grouped kernel with one input channel per group.
    grouped = reshape(kernel, kernel.shape[:nd] + (1, cin * mult))
    return _convnd(name, x, grouped, nd, strides, padding, data_format, dilation_rate, groups=cin,
                   allowed=("valid", "same", "causal") if nd == 1 else ("valid", "same"))


def _separable(name, x, depthwise_kernel, pointwise_kernel, nd, strides, padding, data_format, dilation_rate):
    data_format = config.normalize_data_format(data_format)
    x = to_tensor(x)
    pointwise_kernel = to_tensor(pointwise_kernel, x.backend)
    y = _depthwise(name, _to_channels_last(x, data_format), depthwise_kernel, nd, strides, padding,
                   "channels_last", dilation_rate)
    if pointwise_kernel.ndim != nd + 2 or any(d != 1 for d in pointwise_kernel.shape[:nd]) \
            or pointwise_kernel.shape[-2] != y.shape[-1]:
        raise ValueError(
            f"K.{name} expects a pointwise kernel of shape {(1,) * nd + (y.shape[-1], 'filters')}. "
            f"Received: pointwise_kernel.shape={pointwise_kernel.shape}"
        )
    y = dot(y, reshape(pointwise_kernel, pointwise_kernel.shape[nd:]))
    return _from_channels_last(y, data_format)


@deferred_on_graph
def separable_conv1d(x: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1, padding: str = "valid",
                     data_format: "str | None" = None, dilation_rate: Any = 1) -> Tensor:
    """Depthwise 1-D convolution followed by a pointwise (1-wide) convolution.

    Example:
        >>> from multinn import backend as K
        >>> K.separable_conv1d(K.ones((2, 8, 3)), K.ones((3, 3, 2)), K.ones((1, 6, 5))).shape
        (2, 6, 5)
    """
    return _separable("separable_conv1d", x, depthwise_kernel, pointwise_kernel, 1, strides, padding, data_format,
                      dilation_rate)


@deferred_on_graph
def separable_conv2d(x: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = (1, 1),
                     padding: str = "valid", data_format: "str | None" = None, dilation_rate: Any = (1, 1)) -> Tensor:
    """Depthwise 2-D convolution followed by a pointwise (1x1) convolution.

    Example:
        >>> from multinn import backend as K
        >>> K.separable_conv2d(K.ones((1, 6, 6, 3)), K.ones((3, 3, 3, 1)), K.ones((1, 1, 3, 8)), padding="same").shape
        (1, 6, 6, 8)
    """
    return _separable("separable_conv2d", x, depthwise_kernel, pointwise_kernel, 2, strides, padding, data_format,
                      dilation_rate)


# ------------------------------------------------------------------ transposed convolutions
def _conv_transpose(name, x, kernel, output_shape, nd, strides, padding, data_format, dilation_rate, output_padding):
    x, kernel, strides, dilation, padding, data_format = _conv_args(
        name, x, kernel, nd, strides, padding, data_format, dilation_rate, ("valid", "same"),
        "out_channels, in_channels")
    ksize = kernel.shape[:nd]
    if x.shape[-1] != kernel.shape[-1]:
        raise ValueError(f"K.{name}: the input has {x.shape[-1]} channels but the kernel of shape {kernel.shape} "
                         f"expects {kernel.shape[-1]} (its last dimension).")
    if output_shape is None:
        pads = (None,) * nd if output_padding is None else conv_utils.normalize_tuple(
            output_padding, nd, "output_padding")
        spatial = tuple(
            conv_utils.deconv_length(x.shape[1 + i], strides[i], ksize[i], padding, pads[i], dilation[i])
            for i in range(nd)
        )
    else:
        output_shape = tuple(int(d) if d is not None else -1 for d in output_shape)
        if len(output_shape) == nd + 2:
            output_shape = output_shape[1:]
        if len(output_shape) != nd + 1:
            raise ValueError(f"K.{name}: `output_shape` must list the batch, {nd} spatial dims and the channels. "
                             f"Received: output_shape={output_shape}")
        if data_format == "channels_first":
            output_shape = output_shape[1:] + output_shape[:1]
        spatial = output_shape[:-1]
        if output_shape[-1] not in (-1, kernel.shape[-2]):
            raise ValueError(f"K.{name}: `output_shape` asks for {output_shape[-1]} channels but the kernel of shape "
                             f"{kernel.shape} gives {kernel.shape[-2]}. Received: output_shape={output_shape}")
    lo = []
    for i in range(nd):
        expect = conv_utils.conv_output_length(spatial[i], ksize[i], padding, strides[i], dilation[i])
        if expect != x.shape[1 + i]:
            raise ValueError(
                f"K.{name}: an output of spatial size {tuple(spatial)} does not match an input of spatial size "
                f"{x.shape[1:-1]} with kernel {tuple(ksize)}, strides {strides} and padding {padding!r}."
            )
        lo.append(conv_utils.padding_before(spatial[i], x.shape[1 + i], ksize[i], padding, strides[i], dilation[i]))
    y = _conv_bpi(x, kernel, in_spatial=tuple(spatial), strides=strides, dilation=dilation, pad_lo=tuple(lo), groups=1)
    return _from_channels_last(y, data_format)


@deferred_on_graph
def conv1d_transpose(x: Any, kernel: Any, output_shape: Any = None, strides: Any = 1, padding: str = "valid",
                     data_format: "str | None" = None, dilation_rate: Any = 1, output_padding: Any = None) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d with respect to its input).

    `kernel` is (kernel_size, out_channels, in_channels). `output_shape` (batch,
    steps, channels in data_format order) may be None: it is then computed as
    Keras's Conv1DTranspose does, from `output_padding`.

    Example:
        >>> from multinn import backend as K
        >>> K.conv1d_transpose(K.ones((2, 5, 3)), K.ones((3, 4, 3)), strides=2, padding="same").shape
        (2, 10, 4)
    """
    return _conv_transpose("conv1d_transpose", x, kernel, output_shape, 1, strides, padding, data_format,
                           dilation_rate, output_padding)


@deferred_on_graph
def conv2d_transpose(x: Any, kernel: Any, output_shape: Any = None, strides: Any = (1, 1), padding: str = "valid",
                     data_format: "str | None" = None, dilation_rate: Any = (1, 1),
                     output_padding: Any = None) -> Tensor:
    """2-D transposed convolution ("deconvolution"); kernel (rows, cols, out_channels, in_channels).

    Example:
        >>> from multinn import backend as K
        >>> K.conv2d_transpose(K.ones((1, 4, 4, 3)), K.ones((3, 3, 2, 3)), (1, 9, 9, 2), strides=(2, 2)).shape
        (1, 9, 9, 2)
    """
    return _conv_transpose("conv2d_transpose", x, kernel, output_shape, 2, strides, padding, data_format,
                           dilation_rate, output_padding)


@deferred_on_graph
def conv3d_transpose(x: Any, kernel: Any, output_shape: Any = None, strides: Any = (1, 1, 1), padding: str = "valid",
                     data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1),
                     output_padding: Any = None) -> Tensor:
    """3-D transposed convolution; kernel (k1, k2, k3, out_channels, in_channels).

    Example:
        >>> from multinn import backend as K
        >>> K.conv3d_transpose(K.ones((1, 2, 2, 2, 3)), K.ones((2, 2, 2, 1, 3)), strides=(2, 2, 2)).shape
        (1, 4, 4, 4, 1)
    """
    return _conv_transpose("conv3d_transpose", x, kernel, output_shape, 3, strides, padding, data_format,
                           dilation_rate, output_padding)


# ------------------------------------------------------------------ pooling
def _max_pool_fwd(b, x, pool_size, strides, pad_lo, out, stash):
    if stash is None:
        return b.pool_forward(x, "max", pool_size, strides, pad_lo, out)
    y, stash["arg"] = b.max_pool_with_argmax(x, pool_size, strides, pad_lo, out)
    return y


def _max_pool_grad(dy, y, x, pool_size, strides, pad_lo, out, stash):
    arg = (stash or {}).get("arg")
    if arg is None:
        arg = _max_pool_argmax(x, pool_size=pool_size, strides=strides, pad_lo=pad_lo, out=out)
    else:
        arg = Tensor(arg, dy.backend)
    return (_max_pool_bp(arg, dy, in_spatial=x.shape[1:-1], pool_size=pool_size, strides=strides, pad_lo=pad_lo),)


_max_pool = Primitive("max_pool", _max_pool_fwd, _max_pool_grad)
_max_pool_argmax = Primitive("max_pool_argmax", lambda b, x, **p: b.max_pool_with_argmax(x, **p)[1])
# `arg` holds, per output, the window tap of its maximum; the pair below are each other's adjoints.
_max_pool_bp = Primitive(
    "max_pool_backprop",
    lambda b, arg, dy, **p: b.max_pool_backprop(arg, dy, **p),
    lambda g, dx, arg, dy, in_spatial, **p: (None, _max_pool_gather(arg, g, **p)),
)
_max_pool_gather = Primitive(
    "max_pool_gather",
    lambda b, arg, g, **p: b.max_pool_gather(arg, g, **p),
    lambda gg, out, arg, g, **p: (None, _max_pool_bp(arg, gg, in_spatial=g.shape[1:-1], **p)),
)


def _avg_pool_grad(dy, y, x, pool_size, strides, pad_lo, out):
    return (_avg_pool_bp(dy, in_spatial=x.shape[1:-1], pool_size=pool_size, strides=strides, pad_lo=pad_lo),)


_avg_pool = Primitive("avg_pool", lambda b, x, **p: b.pool_forward(x, "avg", **p), _avg_pool_grad)
_avg_pool_bp = Primitive(
    "avg_pool_backprop",
    lambda b, dy, **p: b.avg_pool_backprop(dy, **p),
    lambda g, dx, dy, in_spatial, pool_size, strides, pad_lo: (
        _avg_pool(g, pool_size=pool_size, strides=strides, pad_lo=pad_lo, out=dy.shape[1:-1]),
    ),
)


def _poolnd(name, x, nd, pool_size, strides, padding, data_format, pool_mode):
    data_format = config.normalize_data_format(data_format)
    padding = conv_utils.normalize_padding(padding, ("valid", "same"))
    pool_size = conv_utils.normalize_tuple(pool_size, nd, "pool_size")
    strides = conv_utils.normalize_tuple(pool_size if strides is None else strides, nd, "strides")
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"K.{name}: `pool_mode` must be 'max' or 'avg'. Received: pool_mode={pool_mode!r}")
    x = to_tensor(x)
    _check_input(name, x, nd, data_format)
    x = _to_channels_last(x, data_format)
    out, lo = _geometry(x.shape[1:-1], pool_size, strides, (1,) * nd, padding, name)
    if pool_mode == "max":
        y = _max_pool(x, pool_size=pool_size, strides=strides, pad_lo=lo, out=out, stash=_stash_for(x))
    else:
        y = _avg_pool(x, pool_size=pool_size, strides=strides, pad_lo=lo, out=out)
    return _from_channels_last(y, data_format)


@deferred_on_graph
def pool1d(x: Any, pool_size: Any, strides: Any = 1, padding: str = "valid", data_format: "str | None" = None,
           pool_mode: str = "max") -> Tensor:
    """1-D max or average pooling over (batch, steps, channels).

    Example:
        >>> from multinn import backend as K
        >>> K.pool1d(K.ones((2, 9, 3)), 2, strides=2).shape
        (2, 4, 3)
    """
    return _poolnd("pool1d", x, 1, pool_size, strides, padding, data_format, pool_mode)


@deferred_on_graph
def pool2d(x: Any, pool_size: Any, strides: Any = (1, 1), padding: str = "valid", data_format: "str | None" = None,
           pool_mode: str = "max") -> Tensor:
    """2-D max or average pooling; 'same' averages count only the real (unpadded) cells.

    Example:
        >>> from multinn import backend as K
        >>> K.pool2d(K.ones((1, 5, 5, 2)), (2, 2), strides=(2, 2), padding="same", pool_mode="avg").shape
        (1, 3, 3, 2)
    """
    return _poolnd("pool2d", x, 2, pool_size, strides, padding, data_format, pool_mode)


@deferred_on_graph
def pool3d(x: Any, pool_size: Any, strides: Any = (1, 1, 1), padding: str = "valid", data_format: "str | None" = None,
           pool_mode: str = "max") -> Tensor:
    """3-D max or average pooling.

    Example:
        >>> from multinn import backend as K
        >>> K.pool3d(K.ones((1, 4, 4, 4, 1)), (2, 2, 2), strides=(2, 2, 2)).shape
        (1, 2, 2, 2, 1)
    """
    return _poolnd("pool3d", x, 3, pool_size, strides, padding, data_format, pool_mode)


# ------------------------------------------------------------------ patches and locally connected products
_patches = Primitive(
    "extract_patches",
    lambda b, x, ksize, strides, dilation, pad_lo, out: b.im2col(x, ksize, strides, dilation, pad_lo, out),
    lambda g, y, x, ksize, strides, dilation, pad_lo, out: (
        _patches_bp(g, in_spatial=x.shape[1:-1], strides=strides, dilation=dilation, pad_lo=pad_lo),
    ),
)
_patches_bp = Primitive(
    "extract_patches_backprop",
    lambda b, g, in_spatial, strides, dilation, pad_lo: b.col2im(g, in_spatial, strides, dilation, pad_lo),
    lambda gg, y, g, in_spatial, strides, dilation, pad_lo: (
        _patches(gg, ksize=g.shape[(g.ndim - 2) // 2 + 1:-1], strides=strides, dilation=dilation, pad_lo=pad_lo,
                 out=g.shape[1:(g.ndim - 2) // 2 + 1]),
    ),
)


@deferred_on_graph
def extract_patches(x: Any, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                    dilation_rate: Any = 1) -> Tensor:
    """The window under each output position of a channels_last convolution (differentiable).

    Returns shape (batch, *output_spatial, *kernel_size, channels).

    Example:
        >>> from multinn import backend as K
        >>> K.extract_patches(K.ones((2, 5, 5, 3)), (3, 3)).shape
        (2, 3, 3, 3, 3, 3)
    """
    x = to_tensor(x)
    nd = x.ndim - 2
    ksize = conv_utils.normalize_tuple(kernel_size, nd, "kernel_size")
    strides, dilation = _spatial_args("extract_patches", nd, strides, dilation_rate)
    padding = conv_utils.normalize_padding(padding, ("valid", "same"))
    out, lo = _geometry(x.shape[1:-1], ksize, strides, dilation, padding, "extract_patches")
    return _patches(x, ksize=ksize, strides=strides, dilation=dilation, pad_lo=lo, out=out)


def _local_conv(name, inputs, kernel, kernel_size, strides, out_spatial, data_format):
    data_format = config.normalize_data_format(data_format)
    x = to_tensor(inputs)
    kernel = to_tensor(kernel, x.backend)
    nd = x.ndim - 2
    ksize = conv_utils.normalize_tuple(kernel_size, nd, "kernel_size")
    strides = conv_utils.normalize_tuple(strides, nd, "strides")
    x = _to_channels_last(x, data_format)
    out, lo = _geometry(x.shape[1:-1], ksize, strides, (1,) * nd, "valid", name)
    if out_spatial is not None and tuple(out_spatial) != out:
        raise ValueError(f"K.{name}: `output_shape` {tuple(out_spatial)} does not match the {out} windows that "
                         f"fit the input. Received: output_shape={tuple(out_spatial)}")
    positions = 1
    for o in out:
        positions *= o
    cin = x.shape[-1]
    taps = 1
    for k in ksize:
        taps *= k
    if kernel.ndim != 3 or kernel.shape[0] != positions or kernel.shape[1] != taps * cin:
        raise ValueError(f"K.{name} expects a kernel of shape ({positions}, {taps * cin}, filters) for this input. "
                         f"Received: kernel.shape={kernel.shape}")
    patches = _patches(x, ksize=ksize, strides=strides, dilation=(1,) * nd, pad_lo=lo, out=out)
    n = x.shape[0]
    if data_format == "channels_first":
        # Keras flattens a channels_first window channel-major.
        patches = transpose(patches, tuple(range(1 + nd)) + (patches.ndim - 1,) + tuple(range(1 + nd, 1 + 2 * nd)))
    rows = transpose(reshape(patches, (n, positions, taps * cin)), (1, 0, 2))
    y = matmul(rows, kernel)  # (positions, batch, filters)
    y = reshape(transpose(y, (1, 0, 2)), (n,) + out + (kernel.shape[-1],))
    return _from_channels_last(y, data_format)


@deferred_on_graph
def local_conv1d(inputs: Any, kernel: Any, kernel_size: Any, strides: Any, data_format: "str | None" = None) -> Tensor:
    """1-D convolution with unshared weights: one kernel per output step.

    `kernel` is (output_length, kernel_size * input_dim, filters).

    Example:
        >>> from multinn import backend as K
        >>> K.local_conv1d(K.ones((2, 6, 3)), K.ones((4, 9, 5)), (3,), (1,)).shape
        (2, 4, 5)
    """
    return _local_conv("local_conv1d", inputs, kernel, kernel_size, strides, None, data_format)


@deferred_on_graph
def local_conv2d(inputs: Any, kernel: Any, kernel_size: Any, strides: Any, output_shape: Any,
                 data_format: "str | None" = None) -> Tensor:
    """2-D convolution with unshared weights: one kernel per output position.

    `kernel` is (output_rows * output_cols, kernel_rows * kernel_cols * input_channels, filters);
    `output_shape` is (output_rows, output_cols).

    Example:
        >>> from multinn import backend as K
        >>> K.local_conv2d(K.ones((2, 4, 4, 3)), K.ones((4, 12, 5)), (2, 2), (2, 2), (2, 2)).shape
        (2, 2, 2, 5)
    """
    return _local_conv("local_conv2d", inputs, kernel, kernel_size, strides, output_shape, data_format)
