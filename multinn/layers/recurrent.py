"""Keras 2's recurrent layers: RNN (any cell over time), SimpleRNN, LSTM, GRU.

The time loop is `K.rnn`; the cells (recurrent_cells.py) hold the weights and the
per-step formula. A stateful layer (`stateful=True`, Keras 2) keeps its final states in
non-trainable variables of a fixed batch size and starts the next batch from them.
"""
from __future__ import annotations

import warnings
from typing import Any

from multinn import backend as K
from multinn import regularizers
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.call_state import inferring
from multinn.engine.keras_tensor import is_symbolic
from multinn.engine.legacy import legacy_support

from .legacy_interfaces import RECURRENT, SIMPLE_RNN
from .recurrent_cells import (
    GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _call_cell, _output_size, _state_sizes,
)

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


class RNN(Layer):
    """Runs a cell over the time axis of (batch, time, features) inputs (Keras 2).

    Args:
        cell: a cell (`call(inputs, states) -> (output, new_states)` and `state_size`),
            or a list of cells, which are stacked.
        return_sequences: return every step's output (batch, time, units), not only the last.
        return_state: also return the final states: [output, state_1, ...].
        go_backwards: run from the last step to the first (the output sequence comes out
            in that order, as in Keras 2).
        stateful: if True, the final states of sample i in a batch are the initial states
            of sample i in the next batch (in training, evaluation and prediction alike),
            until `reset_states()`. Needs a fixed batch size: `batch_input_shape` /
            `batch_size` on a Sequential model's first layer, `Input(batch_shape=...)` in
            the functional API, or an eager call on a concrete batch. Train with
            `fit(..., shuffle=False)`. The kept states are not weights: they are not saved.
        unroll: accepted for Keras 2 compatibility (the eager loop is always unrolled).

    Call arguments: `mask` (batch, time) — masked steps keep the previous state and repeat
    the previous output; `training` for dropout; `initial_state` a list of tensors;
    `constants` a list of tensors handed to every step (`cell.call(..., constants=...)`).
    Initial states and constants may be model tensors: they become extra inputs.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import RNN, SimpleRNNCell
        >>> RNN(SimpleRNNCell(3), return_sequences=True)(K.ones((2, 4, 5))).shape
        (2, 4, 3)
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False, **kwargs: Any):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(
                f"RNN `cell` needs a `call` method and a `state_size` attribute. Received: cell={cell!r}"
            )
        if "input_shape" not in kwargs and ("input_dim" in kwargs or "input_length" in kwargs):
            # Keras 2's shorthand for recurrent layers: input_shape = (input_length, input_dim)
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self._num_constants = None
        self._states = None  # stateful: one non-trainable (batch, size) Variable per state, made at build
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        if isinstance(cell, Layer) and "dtype" in kwargs and kwargs["dtype"] is not None and not cell.built:
            cell.dtype = self.dtype

    def __call__(self, inputs: Any, initial_state: Any = None, constants: Any = None, **kwargs: Any) -> Any:
        # Keras 2: initial states and constants (symbolic ones too, e.g. an encoder's states)
        # become extra inputs [x, *states, *constants], so the model graph records them.
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state, constants = self._split_inputs(list(inputs), initial_state, constants)
        if self.stateful and not self.built and not is_symbolic(inputs):
            # An eager call on a concrete batch fixes the batch size (the base class would
            # build with None in its place).
            self._assert_input_compatibility(inputs)
            self._maybe_build(K.int_shape(inputs))
        states = [] if initial_state is None else (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state])
        constants = [] if constants is None else (list(constants) if isinstance(constants, (list, tuple)) else [constants])
        if constants:
            if "constants" not in getattr(self.cell, "_call_fn_args", ()):
                raise ValueError(
                    f"RNN cell {self.cell!r} does not support constants: its `call` has no `constants` argument. "
                    f"Received: constants with {len(constants)} tensor(s)"
                )
            self._num_constants = len(constants)
        if not states and not constants:
            return super().__call__(inputs, **kwargs)
        extra = states + constants
        if is_symbolic(inputs) and not any(is_symbolic(t) for t in extra):
            # Real tensors (a K.variable as initial state) beside a graph input: call arguments of
            # the graph's node, not inputs, as Keras 2 does.
            return super().__call__(inputs, initial_state=states or None, constants=constants or None, **kwargs)
        if is_symbolic(inputs) and not all(is_symbolic(t) for t in extra):
            raise ValueError(
                f"Layer {self.name}: the initial states and constants must all be model tensors or all real "
                f"tensors. Received: initial_state={states}, constants={constants}"
            )
        saved = self.input_spec
        self.input_spec = [saved] + [None] * (len(states) + len(constants))
        try:
            return super().__call__([inputs] + states + constants, **kwargs)
        finally:
            self.input_spec = saved

    def _split_inputs(self, inputs: list, initial_state: Any = None, constants: Any = None) -> tuple:
        """[x, *states, *constants] -> (x, states or None, constants or None)."""
        count = self.__dict__.get("_num_constants") or 0
        rest = inputs[1:]
        if count and len(rest) >= count:
            constants, rest = rest[len(rest) - count:], rest[:len(rest) - count]
        return inputs[0], (rest or initial_state), constants

    def reset_states(self, states: Any = None) -> None:
        """Sets the kept states of a stateful layer to zeros, or to `states` (Keras 2).

        Args:
            states: None for zeros, else one array or tensor per state (LSTM: [h, c]),
                each of shape (batch_size, state_size).

        Example:
            >>> import numpy as np
            >>> from multinn.layers import SimpleRNN
            >>> layer = SimpleRNN(2, stateful=True)
            >>> layer.build((3, 4, 5))
            >>> layer.reset_states([np.ones((3, 2))])
            >>> layer.states[0].numpy().tolist()[0]
            [1.0, 1.0]
        """
        self._require_states()
        if states is None:
            for variable in self._states:
                K.update(variable, K.zeros_like(variable))
            return
        for value, variable in zip(self._checked_state_values(states), self._states):
            K.set_value(variable, value)

    def _require_states(self) -> None:
        if not self.stateful:
            raise AttributeError(
                f"Layer {self.name} is not stateful: only a layer made with stateful=True keeps states to reset. "
                "Received: stateful=False"
            )
        if self._states is None:
            raise ValueError(
                f"Layer {self.name} has no states yet: a stateful RNN makes them when it is built, which needs its "
                "batch size (call it on an input of fixed batch size, or build it with a full batch input shape)."
            )

    def _checked_state_values(self, states: Any) -> list:
        """`states` as a list of values, after checking their count and shapes against the kept states."""
        self._require_states()
        sizes = _state_sizes(self.cell)
        batch = int(self._states[0].shape[0])
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(values) != len(self._states):
            raise ValueError(
                f"Layer {self.name} expects {len(self._states)} state value(s) of shapes "
                f"{[(batch, size) for size in sizes]}, but it received {len(values)}. Received: states with shapes "
                f"{[tuple(K.int_shape(v)) for v in values]}"
            )
        for index, (value, size) in enumerate(zip(values, sizes)):
            shape = tuple(K.int_shape(value))
            if shape != (batch, size):
                raise ValueError(
                    f"State {index} is incompatible with layer {self.name}: expected shape={(batch, size)}, "
                    f"found shape={shape}."
                )
        return values

    @property
    def states(self) -> list:
        """The kept states of a built stateful layer (Variables), else one None per state."""
        if self._states is None:
            return [None] * len(_state_sizes(self.cell))
        return list(self._states)

    @states.setter
    def states(self, states: Any) -> None:
        self._states = None if states is None else list(states)

    def build(self, input_shape: Any) -> None:
        constants_shapes = []
        if isinstance(input_shape, list):
            count = self.__dict__.get("_num_constants") or 0
            constants_shapes = [tuple(s) for s in input_shape[len(input_shape) - count:]] if count else []
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        step_shape = (input_shape[0],) + input_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            # A cell taking constants builds on [step shape, *constant shapes] (Keras 2)
            takes_constants = constants_shapes and "constants" in getattr(self.cell, "_call_fn_args", ())
            self.cell.build([step_shape] + constants_shapes if takes_constants else step_shape)
            self.cell.built = True
        if self.stateful:
            self._build_states(input_shape)
        self.built = True

    def _build_states(self, input_shape: tuple) -> None:
        batch = input_shape[0]
        if batch is None:
            raise ValueError(
                f"Layer {self.name} is stateful, so it needs to know its batch size, which is unknown here. "
                "Fix it: in a Sequential model, pass `batch_input_shape=(batch, time, features)` (or "
                "`batch_size=`) to the first layer; in the functional API, pass `batch_shape=` (or `batch_size=`) "
                f"to the Input layer(s). Received: input_shape={input_shape}"
            )
        dtype = self.dtype or K.floatx()
        self._states = []
        for index, size in enumerate(_state_sizes(self.cell)):
            variable = K.zeros((int(batch), size), dtype=dtype, name=f"{self.name}/state_{index}")
            variable.trainable = False  # carried between batches, never trained
            self._states.append(variable)

    def _check_batch(self, inputs: Any) -> None:
        batch, kept = K.int_shape(inputs)[0], int(self._states[0].shape[0])
        if batch is not None and batch != kept:
            raise ValueError(
                f"Layer {self.name} is stateful with batch size {kept}: every batch it sees must hold {kept} "
                f"samples (in fit/evaluate/predict, pass batch_size={kept} and a number of samples divisible "
                f"by it). Received: a batch of {batch} samples, input shape {K.int_shape(inputs)}"
            )

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        units = _output_size(self.cell)
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1], units)
        else:
            output_shape = (input_shape[0], units)
        if self.return_state:
            return [output_shape] + [(input_shape[0], s) for s in _state_sizes(self.cell)]
        return output_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def _produces_mask(self) -> bool:
        # An RNN only passes a mask on (return_sequences) and never makes one of its own.
        return False

    def get_initial_state(self, inputs: Any) -> list:
        """Zero states (batch, size), on the inputs' backend and dtype."""
        first = inputs[:, 0]
        flat = K.reshape(first, (first.shape[0], -1))
        zero = K.zeros_like(flat[:, :1])  # (batch, 1)
        return [K.tile(zero, (1, size)) for size in _state_sizes(self.cell)]

    def call(self, inputs: Any, mask: Any = None, training: Any = None, initial_state: Any = None,
             constants: Any = None) -> Any:
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state, constants = self._split_inputs(list(inputs), initial_state, constants)
        constants = list(constants) if isinstance(constants, (list, tuple)) else ([] if constants is None else [constants])
        if isinstance(mask, list):
            mask = mask[0]
        # Shape inference runs `call` on dummy batches: those neither see nor change the kept states.
        stateful = self.stateful and self._states is not None and not inferring()
        if stateful:
            self._check_batch(inputs)
        if initial_state is None and stateful:
            # A copy: the variables change in place after this call, while autodiff may still
            # need the values this batch started from.
            initial_state = [K.identity(s) for s in self._states]
        elif initial_state is None:
            initial_state = self.get_initial_state(inputs)
        else:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            expected = len(_state_sizes(self.cell))
            if len(initial_state) != expected:
                raise ValueError(
                    f"Layer {self.name} expects {expected} initial state(s). Received: initial_state with "
                    f"{len(initial_state)} tensor(s)"
                )
        if hasattr(self.cell, "reset_dropout_masks"):
            self.cell.reset_dropout_masks()

        n_states = len(initial_state)

        def step(x_t, states):
            # K.rnn hands the constants over after the states
            output, new_states = _call_cell(self.cell, x_t, list(states[:n_states]), training, list(states[n_states:]))
            return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]

        fused = None
        if not constants and hasattr(self.cell, "fused_sequence"):
            # the built-in cells run a whole sequence as one K primitive where they can
            fused = self.cell.fused_sequence(inputs, list(initial_state), mask, self.go_backwards, training)
        if fused is not None:
            last, outputs, states = fused
        else:
            last, outputs, states = K.rnn(step, inputs, initial_state, go_backwards=self.go_backwards, mask=mask,
                                          constants=constants, unroll=self.unroll, input_length=inputs.shape[1])
        if stateful and all(isinstance(s, K.Tensor) for s in states):
            # Keras 2 keeps the final states after every batch, in training and inference
            # alike; the write is not recorded, so no gradient crosses batches.
            for variable, value in zip(self._states, states):
                K.update(variable, value)
        output = outputs if self.return_sequences else last
        if training is None and getattr(self.cell, "dropout", 0) + getattr(self.cell, "recurrent_dropout", 0) > 0:
            output._uses_learning_phase = True  # its dropout followed the learning phase (Keras 2)
        if self.return_state:
            return [output] + list(states)
        return output

    def get_config(self) -> dict:
        config = {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "cell": {"class_name": type(self.cell).__name__, "config": self.cell.get_config()},
        }
        if self.__dict__.get("_num_constants"):
            config["num_constants"] = self._num_constants
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "RNN":
        from multinn.layers import deserialize

        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        num_constants = config.pop("num_constants", None)
        layer = cls(cell, **config)
        layer._num_constants = num_constants
        return layer


# Options forwarded from the layer to its cell, per layer (Keras 2.3.1's constructor order).
_CELL_OPTIONS = {
    "SimpleRNN": ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                  "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                  "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout"),
}
_CELL_OPTIONS["GRU"] = _CELL_OPTIONS["SimpleRNN"][:2] + ("recurrent_activation",) + _CELL_OPTIONS["SimpleRNN"][2:] + (
    "implementation", "reset_after")
_CELL_OPTIONS["LSTM"] = (_CELL_OPTIONS["SimpleRNN"][:2] + ("recurrent_activation",) + _CELL_OPTIONS["SimpleRNN"][2:6]
                         + ("unit_forget_bias",) + _CELL_OPTIONS["SimpleRNN"][6:] + ("implementation",))


class _CellLayer(RNN):
    """An RNN that builds its own cell from the constructor's options and exposes them."""

    _cell_class: Any = None

    def __init__(self, cell_kwargs: dict, activity_regularizer: Any, return_sequences: bool, return_state: bool,
                 go_backwards: bool, stateful: bool, unroll: bool, **kwargs: Any):
        if "implementation" in cell_kwargs and cell_kwargs["implementation"] == 0:
            cell_kwargs["implementation"] = 1  # Keras 2 maps the removed implementation 0 to 1
        cell = self._cell_class(**cell_kwargs, dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __getattr__(self, key: str) -> Any:
        # units, activation, kernel, ... read through to the cell, as Keras 2's properties do
        cell = self.__dict__.get("cell")
        if cell is not None and key in _CELL_OPTIONS[type(self)._keras_name()] + ("kernel", "recurrent_kernel", "bias"):
            return getattr(cell, key)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    @classmethod
    def _keras_name(cls) -> str:
        for klass in cls.__mro__:
            if klass.__name__ in _CELL_OPTIONS:
                return klass.__name__
        raise TypeError(f"{cls.__name__} is not a SimpleRNN, LSTM or GRU")

    def get_config(self) -> dict:
        cell_config = self.cell.get_config()
        config = {}
        for key in _CELL_OPTIONS[self._keras_name()]:
            config[key] = cell_config[key]
            if key == "bias_regularizer":  # Keras 2's key order
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        base = RNN.get_config(self)
        del base["cell"]
        return {**base, **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "RNN":
        config = dict(config)
        if "implementation" in config and config["implementation"] == 0:
            config["implementation"] = 1
        return cls(**config)


class SimpleRNN(_CellLayer):
    """Fully connected RNN whose output is fed back: `h = activation(x W + b + h_prev U)` (Keras 2).

    Args: units, activation ('tanh'), use_bias, kernel_initializer ('glorot_uniform'),
    recurrent_initializer ('orthogonal'), bias_initializer ('zeros'), kernel/recurrent/bias
    regularizers and constraints, activity_regularizer, dropout, recurrent_dropout (Keras 2
    masks: one per sequence, only in training), return_sequences, return_state, go_backwards,
    stateful, unroll. Weights: kernel (input_dim, units), recurrent_kernel
    (units, units), bias (units,).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import SimpleRNN
        >>> SimpleRNN(3)(K.ones((2, 4, 5))).shape
        (2, 3)
    """

    _cell_class = SimpleRNNCell

    @legacy_support(SIMPLE_RNN)
    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False, **kwargs: Any):
        if "implementation" in kwargs:  # Keras 2.3.1 accepts and drops it, with a warning
            kwargs.pop("implementation")
            warnings.warn("The `implementation` argument in `SimpleRNN` has been deprecated (it has one "
                          "implementation). Please remove it from your layer call.")
        options = dict(locals())
        options.pop("kwargs")
        cell_kwargs = {k: options[k] for k in _CELL_OPTIONS["SimpleRNN"]}
        super().__init__(cell_kwargs, activity_regularizer, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)


class LSTM(_CellLayer):
    """Long Short-Term Memory layer (Hochreiter 1997), Keras 2.3.1's defaults and formula.

    Args: units, activation ('tanh'), recurrent_activation ('sigmoid' as in Keras 2.3.1;
    Keras 2.2 used 'hard_sigmoid'), use_bias, kernel_initializer ('glorot_uniform'),
    recurrent_initializer ('orthogonal'), bias_initializer ('zeros'), unit_forget_bias (True),
    regularizers, constraints, dropout, recurrent_dropout, implementation (2), return_sequences,
    return_state (output, h, c), go_backwards, stateful, unroll. Weights:
    kernel (input_dim, 4 units), recurrent_kernel (units, 4 units), bias (4 units,), gates
    in the order i, f, c, o.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LSTM
        >>> [t.shape for t in LSTM(3, return_state=True)(K.ones((2, 4, 5)))]
        [(2, 3), (2, 3), (2, 3)]
    """

    _cell_class = LSTMCell

    @legacy_support(RECURRENT)
    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, implementation: int = 2, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, **kwargs: Any):
        options = dict(locals())
        cell_kwargs = {k: options[k] for k in _CELL_OPTIONS["LSTM"]}
        super().__init__(cell_kwargs, activity_regularizer, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)


class GRU(_CellLayer):
    """Gated Recurrent Unit layer (Cho et al. 2014), Keras 2.3.1's defaults and formula.

    Args: units, activation ('tanh'), recurrent_activation ('sigmoid', Keras 2.3.1),
    use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout,
    implementation (2), reset_after (False: reset gate before the recurrent matmul;
    True: after it, with a (2, 3 units) bias, CuDNNGRU-compatible), return_sequences,
    return_state, go_backwards, stateful, unroll. Weights: kernel
    (input_dim, 3 units), recurrent_kernel (units, 3 units), bias; gates z, r, h.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import GRU
        >>> GRU(3, return_sequences=True)(K.ones((2, 4, 5))).shape
        (2, 4, 3)
    """

    _cell_class = GRUCell

    @legacy_support(RECURRENT)
    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 implementation: int = 2, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 reset_after: bool = False, **kwargs: Any):
        options = dict(locals())
        cell_kwargs = {k: options[k] for k in _CELL_OPTIONS["GRU"]}
        super().__init__(cell_kwargs, activity_regularizer, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)
