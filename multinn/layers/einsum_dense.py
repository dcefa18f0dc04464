"""EinsumDense (tf.keras 2): a dense layer whose product is any einsum of the input with a kernel."""
from __future__ import annotations

import re
from typing import Any

from multinn import backend as K

from .kernel_bias import KernelBiasLayer

__all__ = ["EinsumDense"]


def _shape_error(message: str, equation: str) -> ValueError:
    return ValueError(f"EinsumDense: {message}. Received: equation={equation!r}")


def analyze_einsum_equation(equation: str, bias_axes: "str | None", input_shape: tuple, output_shape: list) -> tuple:
    """(kernel shape, bias shape or None, full output shape) for an EinsumDense equation.

    `output_shape` excludes the batch axis; dimensions under `...` come from the input,
    as tf.keras's EinsumDense reads them. The equation is `ab,bc->ac`, `...ab,bc->...ac`
    (ellipsis on the left) or `abc...,cd->abd...` (on the right).

    Example:
        >>> analyze_einsum_equation("abc,cd->abd", "d", (None, 3, 4), [3, 5])
        ([4, 5], [5], [None, 3, 5])
    """
    dotted = equation.replace("...", "0")
    left_elided = False
    match = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dotted)
    if not match:
        match = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dotted)
        left_elided = bool(match)
    if not match:
        match = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dotted)
    if not match:
        raise _shape_error("the equation must be of the form 'ab,bc->ac', '...ab,bc->...ac' or 'abc...,cd->abd...'",
                           equation)
    input_spec, weight_spec, output_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (elided and "..." not in equation):
        raise _shape_error(f"the input has {len(input_shape)} dimensions but the equation names {len(input_spec)}", equation)
    full = [input_shape[0]] + list(output_shape)
    if elided > 0 and left_elided:
        for i in range(1, elided):  # the batch axis is already first
            full.insert(1, input_shape[i])
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided:])
    if len(full) != len(output_spec) + max(elided, 0) and not (left_elided and elided == 0):
        raise _shape_error(
            f"output_shape {list(output_shape)} (without the batch axis) does not match the output subscripts "
            f"{output_spec!r}", equation)
    if left_elided:
        input_at = {c: i + elided for i, c in enumerate(input_spec)}
        output_at = {c: i + elided for i, c in enumerate(output_spec)}
    else:
        input_at = {c: i for i, c in enumerate(input_spec)}
        output_at = {c: i for i, c in enumerate(output_spec)}
    for c in input_spec:
        if c in output_at and full[output_at[c]] is not None and full[output_at[c]] != input_shape[input_at[c]]:
            raise _shape_error(
                f"output_shape gives dimension {c!r} the size {full[output_at[c]]}, but the input has "
                f"{input_shape[input_at[c]]} (input shape {tuple(input_shape)})", equation)
    for c in output_spec:
        if c in input_at and full[output_at[c]] is None:  # a size read from the input
            full[output_at[c]] = input_shape[input_at[c]]
        if c not in input_spec and c not in weight_spec:
            raise _shape_error(f"output dimension {c!r} is in neither the input nor the weight subscripts", equation)
    kernel_shape = []
    for c in weight_spec:
        if c in input_at:
            kernel_shape.append(input_shape[input_at[c]])
        elif c in output_at:
            kernel_shape.append(full[output_at[c]])
        else:
            raise _shape_error(f"weight dimension {c!r} is in neither the input nor the output subscripts", equation)
    if any(d is None for d in kernel_shape):
        raise _shape_error(f"the kernel shape {kernel_shape} has unknown dimensions (input shape {tuple(input_shape)})",
                           equation)
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"EinsumDense: bias axis {c!r} is not among the output subscripts {output_spec!r}. "
                    f"Received: bias_axes={bias_axes!r}")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [full[output_at[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * elided)
    return kernel_shape, bias_shape, full


class EinsumDense(KernelBiasLayer):
    """A dense layer computing `activation(einsum(equation, inputs, kernel) + bias)` (tf.keras 2).

    Args:
        equation: the einsum, input first and kernel second, e.g. `'ab,bc->ac'` (Dense),
            `'abc,cd->abd'` (Dense on sequences), `'abc,cde->abde'` (a multi-head projection).
        output_shape: the output shape without the batch axis (an int for one axis); None
            entries are read from the input.
        activation: activation function (name or callable); None for linear.
        bias_axes: the output subscripts the bias spans (e.g. `'de'`); None for no bias.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as for Dense.

    Weights: `kernel` (shaped by the kernel subscripts) and `bias`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import EinsumDense
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 8), bias_axes="de")
        >>> layer(K.ones((4, 5, 16))).shape, layer.kernel.shape, layer.bias.shape
        ((4, 5, 2, 8), (16, 2, 8), (2, 8))
    """

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: "str | None" = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense `equation` must be a string such as 'ab,bc->ac'. Received: equation={equation!r}")
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = [output_shape]
        elif isinstance(output_shape, (list, tuple)):
            self.partial_output_shape = [None if d is None else int(d) for d in output_shape]
        else:
            raise TypeError(
                f"EinsumDense `output_shape` must be an int or a list of ints (None for sizes read from the input). "
                f"Received: output_shape={output_shape!r}")
        self.bias_axes = bias_axes
        self._set_kernel_bias_options(activation=activation, use_bias=bias_axes is not None,
                                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                                      activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                                      bias_constraint=bias_constraint)

    def build(self, input_shape: tuple) -> None:
        kernel_shape, bias_shape, _ = analyze_einsum_equation(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)
        self.kernel = self._add_kernel(tuple(kernel_shape))
        self.bias = self._make_bias(tuple(bias_shape)) if bias_shape is not None else None
        self.built = True

    def call(self, inputs: Any) -> Any:
        out = K.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(analyze_einsum_equation(self.equation, None, tuple(input_shape), self.partial_output_shape)[2])

    def get_config(self) -> dict:
        options = self._kernel_bias_config()
        del options["use_bias"]  # tf.keras spells it bias_axes
        config = {"output_shape": self.partial_output_shape, "equation": self.equation, "bias_axes": self.bias_axes}
        return {**super().get_config(), **config, **options}
