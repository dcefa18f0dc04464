"""K.lstm_sequence: a whole LSTM sequence (Keras 2.3.1's LSTM cell) as one primitive.

K.rnn runs any cell step by step and records every op of every step; for the built-in
LSTM that bookkeeping costs more than the arithmetic. Here the sequence is one primitive:
the backend's `lstm_forward` / `lstm_backward` kernels (backends/recurrent_kernels.py) run
the loop on raw arrays, and the backward through time is written by hand. Its result is
the same as K.rnn over the LSTM cell to float rounding, masks and go_backwards included.

Gradients of gradients (create_graph) differentiate the same recurrence written with K
functions (`_lstm_with_k`), so second order works as through K.rnn.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .core import Primitive, recording, symbolic, to_tensor
from .indexing import concatenate, stack
from .math import dot, reverse_along, sigmoid, tanh

__all__ = ["lstm_sequence"]

_BLOCKS = 7  # per unit of the packed result: output, h, c, gates i, f, g, o


def _needs(t: Any) -> bool:
    return isinstance(t, Tensor) and t.needs_grad


def _raw(t: Any) -> Any:
    return None if t is None else t.data


def _lstm_fwd(b, xw, recurrent_kernel, h0, c0, mask, go_backwards):
    return b.lstm_forward(xw, recurrent_kernel, h0, c0, mask, go_backwards)


def _lstm_with_k(xw, recurrent_kernel, h0, c0, mask, go_backwards) -> Tensor:
    """The packed sequence computed with K functions (what the kernels compute, recorded)."""
    from .state import cast

    u = recurrent_kernel.shape[0]
    if go_backwards:
        xw = reverse_along(xw, 1)
        mask = None if mask is None else reverse_along(mask, 1)
    kept = None if mask is None else cast(mask, xw.dtype)
    h, c, out = h0, c0, h0 * 0
    steps = []
    for t in range(xw.shape[1]):
        z = xw[:, t] + dot(h, recurrent_kernel)
        i, f, g, o = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u]), tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * tanh(c_new)
        if kept is None:
            out = h_new
        else:
            m = kept[:, t:t + 1]
            out = m * h_new + (1 - m) * out
            h_new = m * h_new + (1 - m) * h
            c_new = m * c_new + (1 - m) * c
        steps.append(concatenate([out, h_new, c_new, i, f, g, o], axis=-1))
        h, c = h_new, c_new
    return stack(steps, axis=1)


def _lstm_grad(dy, y, xw, recurrent_kernel, h0, c0, mask, go_backwards):
    inputs = (xw, recurrent_kernel, h0, c0)
    needs = tuple(_needs(t) for t in inputs)
    if not recording.on:  # a plain backward pass: the backend's kernel on raw arrays
        b = dy.backend
        raw = b.lstm_backward(dy.data, y.data, recurrent_kernel.data, h0.data, c0.data, _raw(mask), go_backwards, needs)
        return tuple(None if g is None else Tensor(g, b) for g in raw) + (None,)
    # create_graph: the gradient of the K-function recurrence, itself recorded
    from ..autodiff import gradients

    u3 = 3 * recurrent_kernel.shape[0]
    again = _lstm_with_k(xw, recurrent_kernel, h0, c0, mask, go_backwards)
    wanted = [t for t, need in zip(inputs, needs) if need]
    # dy as the seed, not as a factor of the loss: it depends on the inputs too, and only the
    # path through the recurrence belongs to this gradient
    found = iter(gradients(again[..., :u3], wanted, output_gradients=dy[..., :u3], create_graph=True))
    return tuple(next(found) if need else None for need in needs) + (None,)


_lstm = Primitive("lstm_sequence", _lstm_fwd, _lstm_grad)


def _check(x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Any, h0: Tensor, c0: Tensor, mask: Any) -> None:
    def fail(what: str) -> None:
        raise ValueError(
            f"K.lstm_sequence: {what}. Received: inputs {tuple(x.shape)}, kernel {tuple(kernel.shape)}, "
            f"recurrent_kernel {tuple(recurrent_kernel.shape)}, bias {None if bias is None else tuple(bias.shape)}, "
            f"initial states {tuple(h0.shape)} and {tuple(c0.shape)}, mask {None if mask is None else tuple(mask.shape)}"
        )

    if x.ndim != 3 or x.shape[1] == 0:
        fail("inputs must be (batch, time, features) with at least one time step")
    units = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else -1
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != 4 * units:
        fail("recurrent_kernel must be (units, 4 * units)")
    if kernel.ndim != 2 or kernel.shape != (x.shape[2], 4 * units):
        fail("kernel must be (features, 4 * units)")
    if bias is not None and tuple(bias.shape) != (4 * units,):
        fail("bias must be (4 * units,)")
    if tuple(h0.shape) != (x.shape[0], units) or tuple(c0.shape) != (x.shape[0], units):
        fail("initial states must be (batch, units)")
    if mask is not None and tuple(mask.shape) != tuple(x.shape[:2]):
        fail("mask must be (batch, time)")
    dtypes = {t.dtype for t in (x, kernel, recurrent_kernel, h0, c0) + (() if bias is None else (bias,))}
    if len(dtypes) != 1 or x.dtype.kind != "f":
        fail(f"all tensors must share one floating dtype, got {sorted(str(d) for d in dtypes)}")


def lstm_sequence(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_h: Any,
    initial_c: Any,
    mask: Any = None,
    go_backwards: bool = False,
) -> tuple:
    """Runs Keras 2.3.1's LSTM cell (tanh, sigmoid gates; gate order i, f, c, o) over a sequence.

    Equal to `K.rnn` over `LSTMCell` to float rounding, as one fused op.

    Args:
        inputs: (batch, time, features).
        kernel: (features, 4 * units). recurrent_kernel: (units, 4 * units).
        bias: (4 * units,) or None.
        initial_h, initial_c: the initial states, (batch, units) each.
        mask: None, or (batch, time) (bool or 0/1): where false a step keeps the previous
            states and repeats the previous output (zeros before the first kept step).
        go_backwards: iterate from the last step; the outputs come out in that order.

    Returns:
        (last_output, outputs, [h, c]) as K.rnn returns them: (batch, units),
        (batch, time, units) and the final states.

    Example:
        >>> from multinn import backend as K
        >>> x, k, r = K.ones((2, 3, 4)), K.ones((4, 8)) * 0.1, K.zeros((2, 8))
        >>> last, outputs, (h, c) = K.lstm_sequence(x, k, r, None, K.zeros((2, 2)), K.zeros((2, 2)))
        >>> outputs.shape, h.shape
        ((2, 3, 2), (2, 2))
    """
    args = (inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask)
    if symbolic.any(*args):  # a K.placeholder graph: computed when K.function replays it
        flat = symbolic.defer(_lstm_flat, *args, go_backwards=go_backwards)
        return flat[0], flat[1], [flat[2], flat[3]]
    x = to_tensor(inputs)
    b = x.backend
    kernel, recurrent_kernel = to_tensor(kernel, b), to_tensor(recurrent_kernel, b)
    bias = None if bias is None else to_tensor(bias, b)
    h0, c0 = to_tensor(initial_h, b), to_tensor(initial_c, b)
    if mask is not None:
        from .state import cast

        mask = to_tensor(mask, b)
        if mask.ndim == 3 and mask.shape[2] == 1:
            mask = mask[:, :, 0]
        mask = mask if mask.dtype == bool else cast(mask, "bool")
    _check(x, kernel, recurrent_kernel, bias, h0, c0, mask)
    u = recurrent_kernel.shape[0]
    xw = dot(x, kernel)  # every step's input projection in one product, differentiated by K
    if bias is not None:
        xw = xw + bias
    packed = _lstm(xw, recurrent_kernel, h0, c0, mask, go_backwards=bool(go_backwards))
    outputs = packed[:, :, :u]
    return packed[:, -1, :u], outputs, [packed[:, -1, u:2 * u], packed[:, -1, 2 * u:3 * u]]


def _lstm_flat(*args: Any, go_backwards: bool) -> list:
    last, outputs, (h, c) = lstm_sequence(*args, go_backwards=go_backwards)
    return [last, outputs, h, c]
