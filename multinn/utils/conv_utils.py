"""Shape arithmetic for convolutions and pooling (Keras 2's `keras.utils.conv_utils`).

Pure Python: used by K's conv functions to place padding and by the layers to
compute output shapes (where a spatial size may be None).
"""
from __future__ import annotations

from typing import Any

from multinn.utils.argument_validation import int_tuple

_PADDINGS = ("valid", "same", "causal", "full")


class PaddingError(ValueError, AssertionError):
    """An unknown `padding` name. Keras 2.3.1's shape helpers raised AssertionError here, so
    this error is both a ValueError and an AssertionError: code catching either keeps working."""


def _unknown_padding(padding: Any) -> PaddingError:
    return PaddingError(f"Unknown padding {padding!r}; expected one of {_PADDINGS}. Received: padding={padding!r}")


def convert_kernel(kernel: Any) -> Any:
    """A 3D, 4D or 5D convolution kernel with its spatial axes flipped, as a NumPy array.

    Converts kernels between Theano's convolution (which flips the kernel) and
    cross-correlation (TensorFlow's and multinn's); the conversion is its own inverse. The
    last two axes (input and output channels) stay as they are.

    Example:
        >>> import numpy as np
        >>> convert_kernel(np.arange(4.0).reshape(4, 1, 1))[:, 0, 0].tolist()
        [3.0, 2.0, 1.0, 0.0]
    """
    from multinn import backend as K

    with K.no_grad():
        tensor = K.convert_to_tensor(kernel)
        if not 3 <= tensor.ndim <= 5:
            raise ValueError(
                "convert_kernel takes a 3D, 4D or 5D kernel. "
                f"Received: kernel with shape {tuple(tensor.shape)}"
            )
        return K.reverse(tensor, axes=list(range(tensor.ndim - 2))).numpy()


def normalize_tuple(value: Any, n: int, name: str) -> tuple:
    """An int or an iterable of n ints as a tuple of n ints (of any sign: the layers bound
    their own sizes with `argument_validation.int_tuple`).

    Example:
        >>> normalize_tuple(3, 2, "kernel_size")
        (3, 3)
    """
    return int_tuple(value, n, name, minimum=None)


def normalize_padding(value: Any, allowed: tuple = ("valid", "same", "causal")) -> str:
    """Lower-cases `padding` and checks it is one of `allowed`."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={value!r}")
    return padding


def dilated(kernel: int, dilation: int) -> int:
    """The span of a kernel of `kernel` taps spaced `dilation` apart."""
    return (kernel - 1) * dilation + 1


def conv_output_length(length: "int | None", kernel: int, padding: str, stride: int, dilation: int = 1) -> "int | None":
    """Output length of a convolution or pooling along one dimension (None stays None).

    Example:
        >>> conv_output_length(28, 3, "valid", 1), conv_output_length(28, 3, "same", 2)
        (26, 14)
    """
    if length is None:
        return None
    span = dilated(kernel, dilation)
    if padding in ("same", "causal"):
        out = length
    elif padding == "valid":
        out = length - span + 1
    elif padding == "full":
        out = length + span - 1
    else:
        raise _unknown_padding(padding)
    return (out + stride - 1) // stride


def conv_input_length(length: "int | None", kernel: int, padding: str, stride: int) -> "int | None":
    """The input length a convolution needs for an output of `length` (Keras 2's inverse)."""
    if length is None:
        return None
    pads = {"same": kernel // 2, "valid": 0, "full": kernel - 1}
    if padding not in pads:
        raise _unknown_padding(padding)
    return (length - 1) * stride - 2 * pads[padding] + kernel


def deconv_length(
    length: "int | None", stride: int, kernel: int, padding: str, output_padding: "int | None" = None, dilation: int = 1
) -> "int | None":
    """Output length of a transposed convolution (Keras 2's formula).

    Example:
        >>> deconv_length(7, 2, 3, "same"), deconv_length(7, 2, 3, "valid")
        (14, 15)
    """
    if length is None:
        return None
    span = dilated(kernel, dilation)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(span - stride, 0)
        if padding == "full":
            return length * stride - (stride + span - 2)
        if padding == "same":
            return length * stride
        raise ValueError(
            f"Transposed convolutions take padding 'valid', 'same' or 'full'. Received: padding={padding!r}"
        )
    pad = {"same": span // 2, "valid": 0, "full": span - 1}[padding]
    return (length - 1) * stride + span - 2 * pad + output_padding


def padding_before(length: int, out: int, kernel: int, padding: str, stride: int, dilation: int = 1) -> int:
    """Zeros added before the input so that `out` windows fit (TF's placement: the odd one after)."""
    span = dilated(kernel, dilation)
    if padding == "valid":
        return 0
    if padding == "causal":
        return span - 1
    if padding == "full":
        return span - 1
    total = max((out - 1) * stride + span - length, 0)
    return total // 2
