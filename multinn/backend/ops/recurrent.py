"""K.lstm_sequence, K.gru_sequence, K.simple_rnn_sequence: a whole sequence of one of
Keras 2.3.1's built-in cells as one primitive.

K.rnn runs any cell step by step and records every op of every step; for the built-in
cells that bookkeeping costs more than the arithmetic. Here the sequence is one primitive:
the backend's `*_forward` / `*_backward` kernels (backends/recurrent_kernels.py) run the
loop on raw arrays, and the backward through time is written by hand. The input projection
of all steps is one K product outside the primitive. Results equal K.rnn over the cell to
float rounding, masks, go_backwards and a recurrent dropout mask included.

Gradients of gradients (create_graph) differentiate the same recurrence written with K
functions (`_*_with_k`), so second order works as through K.rnn.
"""
from __future__ import annotations

from typing import Any, Callable

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, recording, to_tensor
from .dense import dense
from .indexing import concatenate, stack
from .math import dot, reshape, reverse_along, sigmoid, tanh
from .nn import hard_sigmoid, relu

__all__ = ["lstm_sequence", "gru_sequence", "simple_rnn_sequence"]

_GATES = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid}
_ACTIVATIONS = {"tanh": tanh, "relu": relu, "linear": lambda v: v}


def _needs(t: Any) -> bool:
    return isinstance(t, Tensor) and t.needs_grad


def _raw(t: Any) -> Any:
    return None if t is None else t.data


def _sequence_primitive(name: str, kernel: str, with_k: Callable, differentiable: int, seeded: int,
                        input_bias: bool = False) -> Primitive:
    """A primitive over `b.<kernel>_forward/_backward`: its first `differentiable` inputs get
    gradients (the rest, the step and dropout masks, none); create_graph differentiates
    `with_k`, seeded with dy's first `seeded` blocks (the output and the states).

    With `input_bias`, the last input is the bias of the input projection (or None): the
    forward kernel adds it to every step's projected input as it reads them (one pass less
    over the largest array of the op), and its gradient is the projected inputs' summed over
    batch and time."""

    def forward(b, *args, **params):
        if input_bias:
            *args, params["input_bias"] = args
        return getattr(b, kernel + "_forward")(*args, **params)

    def grad(dy, y, *inputs, **params):
        params.pop("gates", None)  # a forward that is differentiated always kept its gates
        bias = inputs[-1] if input_bias else None
        core = inputs[:-1] if input_bias else inputs
        tensors, rest = core[:differentiable], core[differentiable:]
        needs = tuple(_needs(t) for t in tensors)
        need_bias = _needs(bias)
        tail = (None,) * len(rest)
        if not recording.get():  # a plain backward pass: the backend's kernel on raw arrays
            b = dy.backend
            asked = (needs[0] or need_bias,) + needs[1:]
            raw = list(getattr(b, kernel + "_backward")(dy.data, y.data, *[_raw(t) for t in core[1:]], needs=asked,
                                                        **params))
            bias_grad = ()
            if input_bias:
                bias_grad = (Tensor(raw[0].sum(axis=(0, 1)), b) if need_bias else None,)
                raw[0] = raw[0] if needs[0] else None
            return tuple(None if g is None else Tensor(g, b) for g in raw) + tail + bias_grad
        # create_graph: the gradient of the K-function recurrence, itself recorded
        from ..autodiff import gradients

        cut = seeded * core[1].shape[0]
        again = with_k(*core, **params, **({"input_bias": bias} if input_bias else {}))
        everything = tensors + ((bias,) if input_bias else ())
        asked = needs + ((need_bias,) if input_bias else ())
        wanted = [t for t, need in zip(everything, asked) if need]
        # dy as the seed, not as a factor of the loss: it depends on the inputs too, and only the
        # path through the recurrence belongs to this gradient
        found = iter(gradients(again, wanted, output_gradients=dy[..., :cut], create_graph=True))
        grads = [next(found) if need else None for need in asked]
        return tuple(grads[:differentiable]) + tail + tuple(grads[differentiable:])

    return Primitive(name, forward, grad)


def _differentiated(*tensors: Any) -> bool:
    """Whether the sequence's gradient may be asked for: only then do the kernels keep the
    gates (the backward's inputs) in the packed result; predict skips writing them."""
    return recording.get() and any(_needs(t) for t in tensors)


def _project(x: Tensor, kernel: Tensor, bias: Any) -> Tensor:
    """Every step's input projection `x @ kernel + bias` as one fused 2-D product (bias added
    in place), (batch, time, width)."""
    batch, steps, features = x.shape
    flat = dense(reshape(x, (batch * steps, features)), kernel, bias)
    return reshape(flat, (batch, steps, flat.shape[-1]))


def _output_block(mask: Any, units: int) -> slice:
    """The packed columns holding the outputs: without a mask every output is the new h, and
    the kernels leave the output block unwritten (one block less to store per step)."""
    return slice(0, units) if mask is not None else slice(units, 2 * units)


def _steps(xw: Tensor, mask: Any, go_backwards: bool) -> tuple:
    from .state import cast

    if go_backwards:
        xw = reverse_along(xw, 1)
        mask = None if mask is None else reverse_along(mask, 1)
    return xw, None if mask is None else cast(mask, xw.dtype)


def _keep(kept: Any, t: int, new: list, old: list) -> list:
    """K.rnn's masked step: where the mask is 0 the old values stay."""
    if kept is None:
        return new
    m = kept[:, t:t + 1]
    return [m * n + (1 - m) * o for n, o in zip(new, old)]


def _lstm_with_k(xw, recurrent_kernel, h0, c0, mask, recurrent_mask, go_backwards, recurrent_activation="sigmoid",
                 input_bias=None):
    """The packed sequence's output, h and c columns computed with K functions (recorded)."""
    gate = _GATES[recurrent_activation]
    u = recurrent_kernel.shape[0]
    if input_bias is not None:
        xw = xw + input_bias
    xw, kept = _steps(xw, mask, go_backwards)
    h, c, out = h0, c0, h0 * 0
    steps = []
    for t in range(xw.shape[1]):
        hd = h if recurrent_mask is None else h * recurrent_mask
        z = xw[:, t] + dot(hd, recurrent_kernel)
        i, f, g, o = gate(z[:, :u]), gate(z[:, u:2 * u]), tanh(z[:, 2 * u:3 * u]), gate(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * tanh(c_new)
        out, h, c = _keep(kept, t, [h_new, h_new, c_new], [out, h, c])
        steps.append(concatenate([out, h, c], axis=-1))
    return stack(steps, axis=1)


def _gru_with_k(xw, recurrent_kernel, recurrent_bias, h0, mask, recurrent_mask, go_backwards, reset_after=False,
                recurrent_activation="sigmoid"):
    gate = _GATES[recurrent_activation]
    u = recurrent_kernel.shape[0]
    xw, kept = _steps(xw, mask, go_backwards)
    h, out = h0, h0 * 0
    steps = []
    for t in range(xw.shape[1]):
        hd = h if recurrent_mask is None else h * recurrent_mask
        x = xw[:, t]
        zr = gate(x[:, :2 * u] + dot(hd, recurrent_kernel[:, :2 * u]))
        z, r = zr[:, :u], zr[:, u:]
        if reset_after:
            part = dot(hd, recurrent_kernel[:, 2 * u:])
            if recurrent_bias is not None:
                part = part + recurrent_bias
            cand = tanh(x[:, 2 * u:] + r * part)
        else:
            cand = tanh(x[:, 2 * u:] + dot(r * hd, recurrent_kernel[:, 2 * u:]))
        h_new = z * hd + (1 - z) * cand
        out, h = _keep(kept, t, [h_new, h_new], [out, h])
        steps.append(concatenate([out, h], axis=-1))
    return stack(steps, axis=1)


def _simple_rnn_with_k(xw, recurrent_kernel, h0, mask, recurrent_mask, go_backwards, activation="tanh"):
    act = _ACTIVATIONS[activation]
    xw, kept = _steps(xw, mask, go_backwards)
    h, out = h0, h0 * 0
    steps = []
    for t in range(xw.shape[1]):
        hd = h if recurrent_mask is None else h * recurrent_mask
        h_new = act(xw[:, t] + dot(hd, recurrent_kernel))
        out, h = _keep(kept, t, [h_new, h_new], [out, h])
        steps.append(concatenate([out, h], axis=-1))
    return stack(steps, axis=1)


_lstm = _sequence_primitive("lstm_sequence", "lstm", _lstm_with_k, differentiable=4, seeded=3, input_bias=True)
_gru = _sequence_primitive("gru_sequence", "gru", _gru_with_k, differentiable=4, seeded=2)
_simple = _sequence_primitive("simple_rnn_sequence", "simple_rnn", _simple_rnn_with_k, differentiable=3, seeded=2)


# ------------------------------------------------------------------ argument checks
def _checker(op: str, x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Any, states: list, mask: Any,
             recurrent_mask: Any) -> Callable:
    def fail(what: str) -> None:
        def shape(t):
            return None if t is None else tuple(t.shape)

        raise ValueError(
            f"K.{op}: {what}. Received: inputs {shape(x)}, kernel {shape(kernel)}, recurrent_kernel "
            f"{shape(recurrent_kernel)}, bias {shape(bias)}, initial states {[shape(s) for s in states]}, "
            f"mask {shape(mask)}, recurrent_dropout_mask {shape(recurrent_mask)}"
        )

    return fail


def _check(op: str, gates: int, bias_shapes: tuple, x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Any,
           states: list, mask: Any, recurrent_mask: Any) -> int:
    """Checks the shapes and dtypes; returns the number of units."""
    fail = _checker(op, x, kernel, recurrent_kernel, bias, states, mask, recurrent_mask)
    if x.ndim != 3 or x.shape[1] == 0:
        fail("inputs must be (batch, time, features) with at least one time step")
    units = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else -1
    wide = f"{gates} * units" if gates > 1 else "units"
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * units:
        fail(f"recurrent_kernel must be (units, {wide})")
    if kernel.ndim != 2 or kernel.shape != (x.shape[2], gates * units):
        fail(f"kernel must be (features, {wide})")
    allowed = [tuple(s(units)) for s in bias_shapes]
    if bias is not None and tuple(bias.shape) not in allowed:
        fail(f"bias must be {' or '.join(str(a) for a in allowed)}")
    if any(tuple(s.shape) != (x.shape[0], units) for s in states):
        fail("initial states must be (batch, units)")
    if mask is not None and tuple(mask.shape) != tuple(x.shape[:2]):
        fail("mask must be (batch, time)")
    if recurrent_mask is not None and tuple(recurrent_mask.shape) != (x.shape[0], units):
        fail("recurrent_dropout_mask must be (batch, units)")
    floats = [x, kernel, recurrent_kernel, *states] + [t for t in (bias, recurrent_mask) if t is not None]
    dtypes = {t.dtype for t in floats}
    if len(dtypes) != 1 or x.dtype.kind != "f":
        fail(f"all tensors must share one floating dtype, got {sorted(str(d) for d in dtypes)}")
    return units


def _prepare(op: str, inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any, states: list, mask: Any,
             recurrent_mask: Any, option: tuple, choices: tuple) -> tuple:
    """Tensors on one backend, a (batch, time) bool mask; checks the named string option."""
    from .state import cast

    name, value = option
    if value not in choices:
        raise ValueError(f"K.{op}: {name} must be one of {list(choices)}. Received: {name}={value!r}")
    x = to_tensor(inputs)
    b = x.backend
    kernel, recurrent_kernel = to_tensor(kernel, b), to_tensor(recurrent_kernel, b)
    bias = None if bias is None else to_tensor(bias, b)
    states = [to_tensor(s, b) for s in states]
    recurrent_mask = None if recurrent_mask is None else to_tensor(recurrent_mask, b)
    if mask is not None:
        mask = to_tensor(mask, b)
        if mask.ndim == 3 and mask.shape[2] == 1:
            mask = mask[:, :, 0]
        mask = mask if mask.dtype == bool else cast(mask, "bool")
    return x, kernel, recurrent_kernel, bias, states, mask, recurrent_mask


# ------------------------------------------------------------------ the public ops
@deferred_on_graph
def lstm_sequence(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_h: Any,
    initial_c: Any,
    mask: Any = None,
    go_backwards: bool = False,
    recurrent_dropout_mask: Any = None,
    recurrent_activation: str = "sigmoid",
) -> tuple:
    """Runs Keras 2.3.1's LSTM cell (tanh; gate order i, f, c, o) over a sequence.

    Equal to `K.rnn` over `LSTMCell` (implementation 2) to float rounding, as one fused op.

    Args:
        inputs: (batch, time, features).
        kernel: (features, 4 * units). recurrent_kernel: (units, 4 * units).
        bias: (4 * units,) or None.
        initial_h, initial_c: the initial states, (batch, units) each.
        mask: None, or (batch, time) (bool or 0/1): where false a step keeps the previous
            states and repeats the previous output (zeros before the first kept step).
        go_backwards: iterate from the last step; the outputs come out in that order.
        recurrent_dropout_mask: None, or (batch, units): multiplies h wherever a step reads
            it (Keras 2's recurrent dropout, implementation 2); the carried h stays whole.
        recurrent_activation: 'sigmoid' (Keras 2.3.1's default) or 'hard_sigmoid' (2.2's).

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
    params = {"go_backwards": bool(go_backwards), "recurrent_activation": recurrent_activation}
    x, kernel, recurrent_kernel, bias, (h0, c0), mask, rec_mask = _prepare(
        "lstm_sequence", inputs, kernel, recurrent_kernel, bias, [initial_h, initial_c], mask, recurrent_dropout_mask,
        ("recurrent_activation", recurrent_activation), tuple(_GATES))
    u = _check("lstm_sequence", 4, (lambda n: (4 * n,),), x, kernel, recurrent_kernel, bias, [h0, c0], mask,
               rec_mask)
    xw = _project(x, kernel, None)  # the kernels add the bias as they read each step
    packed = _lstm(xw, recurrent_kernel, h0, c0, mask, rec_mask, bias,
                   gates=_differentiated(xw, recurrent_kernel, h0, c0, bias), **params)
    out = _output_block(mask, u)
    return packed[:, -1, out], packed[:, :, out], [packed[:, -1, u:2 * u], packed[:, -1, 2 * u:3 * u]]


@deferred_on_graph
def gru_sequence(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_h: Any,
    mask: Any = None,
    go_backwards: bool = False,
    reset_after: bool = False,
    recurrent_dropout_mask: Any = None,
    recurrent_activation: str = "sigmoid",
) -> tuple:
    """Runs Keras 2.3.1's GRU cell (tanh; gate order z, r, h) over a sequence.

    Equal to `K.rnn` over `GRUCell` (implementation 2) to float rounding, as one fused op.
    The new state is `z * h + (1 - z) * candidate`, with `h` the previous state (times the
    recurrent dropout mask, as Keras 2's implementation 2 blends the dropped state).

    Args:
        inputs: (batch, time, features).
        kernel: (features, 3 * units). recurrent_kernel: (units, 3 * units).
        bias: None; (3 * units,) with reset_after False; (2, 3 * units) with reset_after
            True (the input bias, then the recurrent bias).
        initial_h: (batch, units).
        mask, go_backwards, recurrent_dropout_mask, recurrent_activation: as in
            `K.lstm_sequence`.
        reset_after: False applies the reset gate to h before the recurrent product
            (Keras 2.3.1's default), True after it (the CuDNN variant).

    Returns:
        (last_output, outputs, [h]) as K.rnn returns them.

    Example:
        >>> from multinn import backend as K
        >>> x, k, r = K.ones((2, 3, 4)), K.ones((4, 6)) * 0.1, K.zeros((2, 6))
        >>> last, outputs, (h,) = K.gru_sequence(x, k, r, None, K.zeros((2, 2)))
        >>> outputs.shape, h.shape
        ((2, 3, 2), (2, 2))
    """
    params = {"go_backwards": bool(go_backwards), "reset_after": bool(reset_after),
              "recurrent_activation": recurrent_activation}
    x, kernel, recurrent_kernel, bias, (h0,), mask, rec_mask = _prepare(
        "gru_sequence", inputs, kernel, recurrent_kernel, bias, [initial_h], mask, recurrent_dropout_mask,
        ("recurrent_activation", recurrent_activation), tuple(_GATES))
    bias_shape = (lambda n: (2, 3 * n)) if reset_after else (lambda n: (3 * n,))
    u = _check("gru_sequence", 3, (bias_shape,), x, kernel, recurrent_kernel, bias, [h0], mask, rec_mask)
    rec_bias = None
    if bias is not None and reset_after:
        # the z and r gates add both biases to sums: fold the recurrent ones into the inputs'
        # (the candidate's recurrent bias sits inside the reset product, so it stays apart)
        in_bias, rec_bias = bias[0], bias[1, 2 * u:]
        bias = concatenate([in_bias[:2 * u] + bias[1, :2 * u], in_bias[2 * u:]], axis=0)
    xw = _project(x, kernel, bias)
    packed = _gru(xw, recurrent_kernel, rec_bias, h0, mask, rec_mask,
                  gates=_differentiated(xw, recurrent_kernel, rec_bias, h0), **params)
    out = _output_block(mask, u)
    return packed[:, -1, out], packed[:, :, out], [packed[:, -1, u:2 * u]]


@deferred_on_graph
def simple_rnn_sequence(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_h: Any,
    mask: Any = None,
    go_backwards: bool = False,
    activation: str = "tanh",
    recurrent_dropout_mask: Any = None,
) -> tuple:
    """Runs Keras 2's SimpleRNN cell, `h = activation(x W + b + h_prev U)`, over a sequence.

    Equal to `K.rnn` over `SimpleRNNCell` to float rounding, as one fused op.

    Args:
        inputs: (batch, time, features).
        kernel: (features, units). recurrent_kernel: (units, units). bias: (units,) or None.
        initial_h: (batch, units).
        mask, go_backwards, recurrent_dropout_mask: as in `K.lstm_sequence`.
        activation: 'tanh' (Keras 2's default), 'relu' or 'linear'.

    Returns:
        (last_output, outputs, [h]) as K.rnn returns them.

    Example:
        >>> from multinn import backend as K
        >>> x, k, r = K.ones((2, 3, 4)), K.ones((4, 2)) * 0.1, K.zeros((2, 2))
        >>> last, outputs, (h,) = K.simple_rnn_sequence(x, k, r, None, K.zeros((2, 2)))
        >>> [round(v, 4) for v in last.numpy()[0].tolist()]
        [0.3799, 0.3799]
    """
    params = {"go_backwards": bool(go_backwards), "activation": activation}
    x, kernel, recurrent_kernel, bias, (h0,), mask, rec_mask = _prepare(
        "simple_rnn_sequence", inputs, kernel, recurrent_kernel, bias, [initial_h], mask, recurrent_dropout_mask,
        ("activation", activation), tuple(_ACTIVATIONS))
    u = _check("simple_rnn_sequence", 1, (lambda n: (n,),), x, kernel, recurrent_kernel, bias, [h0], mask,
               rec_mask)
    xw = _project(x, kernel, bias)
    packed = _simple(xw, recurrent_kernel, h0, mask, rec_mask, **params)
    out = _output_block(mask, u)
    return packed[:, -1, out], packed[:, :, out], [packed[:, -1, u:2 * u]]
