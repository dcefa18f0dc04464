"""Keras 2.3.1's recurrent cells: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells.

A cell computes one time step: `call(inputs, states, training=None) -> (output, new_states)`,
and says how big its states are with `state_size` (an int or a list of ints) and its output
with `output_size`. `RNN` (recurrent.py) runs a cell over the time axis with `K.rnn`.

Weight shapes, their order and the gate order follow Keras 2 so weights exported from
Keras 2 load: kernel (input_dim, k * units), recurrent_kernel (units, k * units), bias.
"""
from __future__ import annotations

import warnings
from typing import Any

from multinn import activations, constraints, initializers, regularizers
from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int, check_rate, forwarded_arguments

from .kernel_bias import KernelBiasLayer

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


def _dropout_masks(like: Any, rate: float, training: Any, count: int) -> list:
    """`count` Keras 2 dropout masks shaped like `like`: scaled 0/1 in training, ones otherwise."""
    ones = K.ones_like(like)
    return [K.in_train_phase(lambda: K.dropout(ones, rate), ones, training=training) for _ in range(count)]


def _fusable(inputs: Any, states: list, mask: Any) -> bool:
    """Concrete tensors of one floating dtype, (batch, time, features) inputs: what the fused
    sequence kernels take (graph tensors and odd shapes go step by step through K.rnn)."""
    if not isinstance(inputs, K.Tensor) or inputs.ndim != 3 or inputs.shape[1] == 0:
        return False
    if mask is not None and not isinstance(mask, K.Tensor):
        return False
    return all(isinstance(s, K.Tensor) and s.dtype == inputs.dtype for s in states) and K.dtype(inputs).startswith("float")


_GATE_NAMES = ((activations.sigmoid, "sigmoid"), (activations.hard_sigmoid, "hard_sigmoid"))
_ACTIVATION_NAMES = ((activations.tanh, "tanh"), (activations.relu, "relu"), (activations.linear, "linear"))


def _kernel_name(fn: Any, known: tuple) -> "str | None":
    """The fused kernels' name for one of Keras's activation functions, by identity."""
    return next((name for f, name in known if fn is f), None)


def _gated_fused_inputs(cell: Any, own: type, inputs: Any, states: list, mask: Any, training: Any) -> "tuple | None":
    """(inputs after dropout, recurrent dropout mask, gate name) for LSTMCell's and GRUCell's
    fused kernels, or None where the step-by-step loop must run (a subclass's own `call`,
    an activation other than tanh, a recurrent one other than sigmoid/hard_sigmoid, graph
    tensors, implementation 1 with dropout)."""
    gate = _kernel_name(cell.recurrent_activation, _GATE_NAMES)
    if not (type(cell).call is own.call and cell.activation is activations.tanh and gate
            and _fusable(inputs, states, mask)):
        return None
    dropped = _fused_dropout(cell, inputs, states[0], training)
    return None if dropped is None else (*dropped, gate)


def _fused_dropout(cell: Any, inputs: Any, h0: Any, training: Any) -> "tuple | None":
    """(inputs with the input dropout applied, the recurrent dropout mask or None), drawn as
    the cell's first step draws them (input masks, then recurrent ones); None where
    implementation 1's per-gate masks need the step-by-step loop."""
    dropping = 0.0 < cell.dropout < 1.0 or 0.0 < cell.recurrent_dropout < 1.0
    if dropping and getattr(cell, "implementation", 2) == 1:
        return None
    masks = cell._input_masks(inputs[:, 0], training, 1)
    rec_masks = cell._recurrent_masks(h0, training, 1)
    x = inputs * K.expand_dims(masks[0], 1) if masks else inputs
    return x, (rec_masks[0] if rec_masks else None)


class _RecurrentCell(KernelBiasLayer):
    """The options and dropout every built-in cell has (these three and ConvLSTM2DCell):
    activation, use_bias, the kernel's, recurrent kernel's and bias's initializer,
    regularizer and constraint, and the dropout of the inputs and of the state.

    Dropout masks are drawn at the first step of a sequence and reused for every step
    (Keras 2: the same units drop at all time steps); `RNN` clears them before each call.
    """

    # No defaults: each cell's own signature holds them (Keras 2's), and hands them all on.
    def __init__(self, *, activation: Any, use_bias: bool, kernel_initializer: Any, recurrent_initializer: Any,
                 bias_initializer: Any, kernel_regularizer: Any, recurrent_regularizer: Any, bias_regularizer: Any,
                 kernel_constraint: Any, recurrent_constraint: Any, bias_constraint: Any, dropout: float,
                 recurrent_dropout: float, **kwargs: Any):
        super().__init__(**kwargs)
        self._set_kernel_bias_options(activation=activation, use_bias=use_bias,
                                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                                      kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                                      kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self._set_part_options("recurrent", recurrent_initializer, recurrent_regularizer, recurrent_constraint)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        self.reset_dropout_masks()

    def reset_dropout_masks(self) -> None:
        """Forgets the masks so the next sequence draws new ones."""
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _input_masks(self, inputs: Any, training: Any, count: int) -> "list | None":
        if 0.0 < self.dropout < 1.0 and self._dropout_mask is None:
            self._dropout_mask = _dropout_masks(inputs, self.dropout, training, count)
        return self._dropout_mask

    def _recurrent_masks(self, h: Any, training: Any, count: int) -> "list | None":
        if 0.0 < self.recurrent_dropout < 1.0 and self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = _dropout_masks(h, self.recurrent_dropout, training, count)
        return self._recurrent_dropout_mask

    def _weights_config(self) -> dict:
        return {
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _rest_config(self) -> dict:
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


class _CellBase(_RecurrentCell):
    """SimpleRNNCell, LSTMCell and GRUCell: `units` wide, with `_gates` blocks of columns
    in the kernels."""

    _gates = 1

    def __init__(self, units: int, **options: Any):
        super().__init__(**options)
        self.units = check_int(units, "units")

    @property
    def output_size(self) -> int:
        return self.units

    def _build_kernels(self, input_shape: Any, bias_shape: "tuple | None" = None, bias_initializer: Any = None) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to {self.name!r} must be known. Received: input_shape={input_shape}")
        width = self._gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        recurrent_initializer = self.recurrent_initializer
        if isinstance(recurrent_initializer, initializers.Identity) and self._gates > 1:
            # Keras 2.3.1: one identity per gate, side by side, not one padded with zeros
            gain = recurrent_initializer.gain

            def recurrent_initializer(shape: Any, dtype: Any = None) -> K.Tensor:
                eye = K.eye(shape[0], dtype=dtype) * gain
                return K.concatenate([eye] * (shape[1] // shape[0]), axis=1)

        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width), initializer=recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=bias_shape or (width,),
                                        initializer=bias_initializer or self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _base_config(self) -> dict:
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
        }


class SimpleRNNCell(_CellBase):
    """One step of a fully connected RNN: `h = activation(x W + b + h_prev U)` (Keras 2).

    Args:
        units: size of the output and the state.
        activation: 'tanh' by default.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), *_regularizer, *_constraint: as in Keras 2.
        dropout, recurrent_dropout: fractions of the inputs / of the state to drop in training.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RNN, SimpleRNNCell
        >>> RNN(SimpleRNNCell(3))(K.ones((2, 4, 5))).shape
        (2, 3)
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        super().__init__(**forwarded_arguments(locals()))
        self.state_size = self.units

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape)

    def call(self, inputs: Any, states: Any, training: Any = None):
        h_prev = states[0]
        masks = self._input_masks(inputs, training, 1)
        rec_masks = self._recurrent_masks(h_prev, training, 1)
        x = inputs * masks[0] if masks else inputs
        h = K.dot(x, self.kernel)
        if self.bias is not None:
            h = K.bias_add(h, self.bias)
        if rec_masks:
            h_prev = h_prev * rec_masks[0]
        output = h + K.dot(h_prev, self.recurrent_kernel)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output]

    def fused_sequence(self, inputs: Any, states: list, mask: Any, go_backwards: bool, training: Any = None):
        """The whole sequence through K.simple_rnn_sequence, as (last, outputs, states) like
        K.rnn; None where this cell's setup needs the step-by-step loop (an activation other
        than tanh, relu or linear, a subclass's own `call`)."""
        name = "linear" if self.activation is None else _kernel_name(self.activation, _ACTIVATION_NAMES)
        if not (type(self).call is SimpleRNNCell.call and name and _fusable(inputs, states, mask)):
            return None
        x, rec_mask = _fused_dropout(self, inputs, states[0], training)
        return K.simple_rnn_sequence(x, self.kernel, self.recurrent_kernel, self.bias, states[0], mask=mask,
                                     go_backwards=go_backwards, activation=name, recurrent_dropout_mask=rec_mask)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._base_config(), **self._weights_config(), **self._rest_config()}


# The options LSTMCell and GRUCell read themselves, beyond those of _CellBase.
_LSTM_OWN = ("recurrent_activation", "unit_forget_bias", "implementation")
_GRU_OWN = ("recurrent_activation", "implementation", "reset_after")


class LSTMCell(_CellBase):
    """One step of a Long Short-Term Memory (Hochreiter 1997), Keras 2.3.1's formula.

    With gates in Keras's order i, f, c, o in the kernel columns:
    i = ra(x Wi + bi + h Ui), f = ra(x Wf + bf + h Uf), o = ra(x Wo + bo + h Uo),
    c = f * c_prev + i * a(x Wc + bc + h Uc), h = o * a(c); states [h, c].

    Args:
        units: size of the output and of each state.
        activation (a): 'tanh'. recurrent_activation (ra): 'sigmoid' (Keras 2.3.1's default;
            Keras 2.2 used 'hard_sigmoid').
        unit_forget_bias: True adds 1 to the forget gate's bias at initialization.
        implementation: 1 or 2 (Keras 2.3.1 default 2); the result is the same, 1 draws a
            separate dropout mask per gate.
        Others as in SimpleRNNCell.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LSTMCell
        >>> cell = LSTMCell(3)
        >>> h, (h2, c) = cell(K.ones((2, 4)), states=[K.zeros((2, 3)), K.zeros((2, 3))])
        >>> h.shape, c.shape
        ((2, 3), (2, 3))
    """

    _gates = 4

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 implementation: int = 2, **kwargs: Any):
        super().__init__(**forwarded_arguments(locals(), exclude=_LSTM_OWN))
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = check_choice(implementation, "implementation", (1, 2))
        self.state_size = [self.units, self.units]

    def build(self, input_shape: Any) -> None:
        init = None
        if self.use_bias and self.unit_forget_bias:
            def init(shape, dtype=None):
                # forget-gate bias starts at 1 (Jozefowicz et al., 2015), the rest as asked
                parts = [base((units,), dtype=dtype), K.ones((units,), dtype=dtype), base((2 * units,), dtype=dtype)]
                return K.concatenate([K.convert_to_tensor(p) for p in parts], axis=0)

            base, units = self.bias_initializer, self.units
        self._build_kernels(input_shape, bias_initializer=init)

    def call(self, inputs: Any, states: Any, training: Any = None):
        h_prev, c_prev = states[0], states[1]
        count = 4 if self.implementation == 1 else 1
        masks = self._input_masks(inputs, training, count)
        rec_masks = self._recurrent_masks(h_prev, training, count)
        u = self.units
        xs = [inputs * masks[min(g, count - 1)] if masks else inputs for g in range(4)]
        hs = [h_prev * rec_masks[min(g, count - 1)] if rec_masks else h_prev for g in range(4)]
        if count == 1:
            z = K.dot(xs[0], self.kernel) + K.dot(hs[0], self.recurrent_kernel)
            if self.bias is not None:
                z = K.bias_add(z, self.bias)
            zs = [z[:, g * u:(g + 1) * u] for g in range(4)]
        else:
            zs = []
            for g in range(4):
                z = K.dot(xs[g], self.kernel[:, g * u:(g + 1) * u]) + K.dot(hs[g], self.recurrent_kernel[:, g * u:(g + 1) * u])
                if self.bias is not None:
                    z = K.bias_add(z, self.bias[g * u:(g + 1) * u])
                zs.append(z)
        i = self.recurrent_activation(zs[0])
        f = self.recurrent_activation(zs[1])
        c = f * c_prev + i * self.activation(zs[2])
        o = self.recurrent_activation(zs[3])
        h = o * self.activation(c)
        return h, [h, c]

    def fused_sequence(self, inputs: Any, states: list, mask: Any, go_backwards: bool, training: Any = None):
        """The whole sequence through K.lstm_sequence, as (last, outputs, states) like K.rnn;
        None where this cell's setup needs the step-by-step loop (an activation other than
        tanh, a recurrent activation other than sigmoid/hard_sigmoid, a subclass's own
        `call`, implementation 1 with dropout)."""
        ready = _gated_fused_inputs(self, LSTMCell, inputs, states, mask, training)
        if ready is None:
            return None
        x, rec_mask, gate = ready
        return K.lstm_sequence(x, self.kernel, self.recurrent_kernel, self.bias, states[0], states[1], mask=mask,
                               go_backwards=go_backwards, recurrent_dropout_mask=rec_mask, recurrent_activation=gate)

    def get_config(self) -> dict:
        config = {**self._base_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                  **self._weights_config(), "unit_forget_bias": self.unit_forget_bias, **self._rest_config(),
                  "implementation": self.implementation}
        return {**super().get_config(), **config}


class GRUCell(_CellBase):
    """One step of a Gated Recurrent Unit (Cho et al. 2014), Keras 2.3.1's formula.

    Gates in Keras's order z, r, h in the kernel columns. With reset_after=False (default):
    z = ra(x Wz + bz + h Uz), r = ra(x Wr + br + h Ur), hh = a(x Wh + bh + (r * h) Uh).
    With reset_after=True (the CuDNN variant) the bias has shape (2, 3 * units), an input
    and a recurrent bias, and hh = a(x Wh + bh_in + r * (h Uh + bh_rec)).
    Then h_new = z * h + (1 - z) * hh.

    Args:
        units: size of the output and the state.
        activation: 'tanh'. recurrent_activation: 'sigmoid' (Keras 2.3.1; 2.2: 'hard_sigmoid').
        reset_after: False (Keras 2.3.1's default).
        implementation: 1 or 2 (default 2); 1 draws a dropout mask per gate.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RNN, GRUCell
        >>> RNN(GRUCell(3), return_sequences=True)(K.ones((2, 4, 5))).shape
        (2, 4, 3)
    """

    _gates = 3

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, implementation: int = 2,
                 reset_after: bool = False, **kwargs: Any):
        super().__init__(**forwarded_arguments(locals(), exclude=_GRU_OWN))
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = check_choice(implementation, "implementation", (1, 2))
        self.reset_after = bool(reset_after)
        self.state_size = self.units

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape, bias_shape=(2, 3 * self.units) if self.reset_after else None)

    def call(self, inputs: Any, states: Any, training: Any = None):
        h_prev = states[0]
        count = 3 if self.implementation == 1 else 1
        masks = self._input_masks(inputs, training, count)
        rec_masks = self._recurrent_masks(h_prev, training, count)
        u = self.units
        xs = [inputs * masks[min(g, count - 1)] if masks else inputs for g in range(3)]
        hs = [h_prev * rec_masks[min(g, count - 1)] if rec_masks else h_prev for g in range(3)]
        in_bias = rec_bias = None
        if self.bias is not None:
            in_bias, rec_bias = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)

        def cols(w, g):
            return w[..., g * u:(g + 1) * u]

        if count == 1:
            # implementation 2: one matmul for the three gates' inputs (and recurrent parts)
            x_all = K.dot(xs[0], self.kernel)
            if in_bias is not None:
                x_all = K.bias_add(x_all, in_bias)
            x_parts = [cols(x_all, g) for g in range(3)]
            width = 3 if self.reset_after else 2
            h_all = K.dot(hs[0], self.recurrent_kernel[:, :width * u])
            if rec_bias is not None:
                h_all = K.bias_add(h_all, rec_bias)
            h_parts = [cols(h_all, g) for g in range(width)]
        else:
            x_parts = []
            for g in range(3):
                xg = K.dot(xs[g], cols(self.kernel, g))
                x_parts.append(K.bias_add(xg, cols(in_bias, g)) if in_bias is not None else xg)
            h_parts = None

        def recurrent(g, h):
            hg = K.dot(h, cols(self.recurrent_kernel, g))
            return K.bias_add(hg, cols(rec_bias, g)) if rec_bias is not None else hg

        rz, rr = (h_parts[0], h_parts[1]) if h_parts is not None else (recurrent(0, hs[0]), recurrent(1, hs[1]))
        z = self.recurrent_activation(x_parts[0] + rz)
        r = self.recurrent_activation(x_parts[1] + rr)
        if self.reset_after:
            rh = h_parts[2] if h_parts is not None else recurrent(2, hs[2])
            hh = self.activation(x_parts[2] + r * rh)
        else:
            hh = self.activation(x_parts[2] + recurrent(2, r * hs[2]))
        # Keras 2's implementation 2 drops units of h_prev in place, so the blend below sees
        # the dropped state too; implementation 1 blends with the intact one.
        blend = hs[0] if count == 1 else h_prev
        h = z * blend + (1.0 - z) * hh
        return h, [h]

    def fused_sequence(self, inputs: Any, states: list, mask: Any, go_backwards: bool, training: Any = None):
        """The whole sequence through K.gru_sequence, as (last, outputs, states) like K.rnn;
        None where this cell's setup needs the step-by-step loop (as LSTMCell's)."""
        ready = _gated_fused_inputs(self, GRUCell, inputs, states, mask, training)
        if ready is None:
            return None
        x, rec_mask, gate = ready
        return K.gru_sequence(x, self.kernel, self.recurrent_kernel, self.bias, states[0], mask=mask,
                              go_backwards=go_backwards, reset_after=self.reset_after,
                              recurrent_dropout_mask=rec_mask, recurrent_activation=gate)

    def get_config(self) -> dict:
        config = {**self._base_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                  **self._weights_config(), **self._rest_config(), "implementation": self.implementation,
                  "reset_after": self.reset_after}
        return {**super().get_config(), **config}


def _state_sizes(cell: Any) -> list:
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def _output_size(cell: Any) -> int:
    return getattr(cell, "output_size", None) or _state_sizes(cell)[0]


def _call_cell(cell: Any, inputs: Any, states: list, training: Any, constants: "list | None" = None):
    accepted = getattr(cell, "_call_fn_args", ())
    kwargs = {"training": training} if "training" in accepted else {}
    if constants:
        kwargs["constants"] = constants
    return cell.call(inputs, states, **kwargs)


class StackedRNNCells(Layer):
    """A list of cells run one after the other at each step, acting as one cell.

    Its states are the cells' states in order (Keras 2.3.1's order; 2.2 reversed them).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RNN, LSTMCell, StackedRNNCells
        >>> RNN(StackedRNNCells([LSTMCell(4), LSTMCell(2)]))(K.ones((2, 3, 5))).shape
        (2, 2)
    """

    def __init__(self, cells: list, reverse_state_order: bool = False, **kwargs: Any):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells takes a non-empty list of cells. Received: cells={cells!r}")
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs `call` and `state_size`. Received: cell={cell!r}")
        if reverse_state_order:
            warnings.warn(
                "`reverse_state_order=True` in StackedRNNCells gives the states in Keras 2.2's order (last cell "
                "first), for models saved then; Keras 2.3 dropped it."
            )
        super().__init__(**kwargs)
        self.cells = list(cells)
        self.reverse_state_order = bool(reverse_state_order)

    def _ordered_cells(self) -> list:
        return self.cells[::-1] if self.reverse_state_order else self.cells

    @property
    def state_size(self) -> tuple:
        return tuple(s for cell in self._ordered_cells() for s in _state_sizes(cell))

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def reset_dropout_masks(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_masks"):
                cell.reset_dropout_masks()

    def build(self, input_shape: Any) -> None:
        constants_shapes = []
        if isinstance(input_shape, list):  # [step shape, *constant shapes]: the RNN has constants
            input_shape, constants_shapes = input_shape[0], [tuple(s) for s in input_shape[1:]]
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                takes_constants = constants_shapes and "constants" in getattr(cell, "_call_fn_args", ())
                cell.build([shape] + constants_shapes if takes_constants else shape)
                cell.built = True
            shape = shape[:-1] + (_output_size(cell),)
        self.built = True

    def call(self, inputs: Any, states: Any, constants: Any = None, training: Any = None):
        per_cell, start = {}, 0
        for cell in self._ordered_cells():
            count = len(_state_sizes(cell))
            per_cell[id(cell)] = list(states[start:start + count])
            start += count
        new_states = {}
        for cell in self.cells:
            takes_constants = constants and "constants" in getattr(cell, "_call_fn_args", ())
            inputs, cell_states = _call_cell(cell, inputs, per_cell[id(cell)], training, constants if takes_constants else None)
            new_states[id(cell)] = list(cell_states)
        return inputs, [s for cell in self._ordered_cells() for s in new_states[id(cell)]]

    def get_config(self) -> dict:
        cells = [{"class_name": type(c).__name__, "config": c.get_config()} for c in self.cells]
        config = {**super().get_config(), "cells": cells}
        if self.reverse_state_order:
            config["reverse_state_order"] = True
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "StackedRNNCells":
        from multinn.layers import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
