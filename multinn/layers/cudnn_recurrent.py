"""Keras 2's CuDNNLSTM and CuDNNGRU, on every backend (NumPy, CuPy, ...).

Keras 2 runs these two layers only on a GPU through cuDNN and raises anywhere else.
multinn computes cuDNN's formulas with K, so a script written for them runs unchanged on
the CPU too, and weights saved by Keras 2 load by shape. What makes them differ from
LSTM / GRU is cuDNN's bias: one for the inputs and one for the recurrent state.

- CuDNNLSTM: bias (8 units,) = input bias (4 units) then recurrent bias (4 units). The
  two only ever appear summed, so the step is LSTMCell's with bias[:4u] + bias[4u:]
  (tanh, sigmoid gates).
- CuDNNGRU: bias (6 units,) = input bias (3 units) then recurrent bias (3 units); the step
  is GRUCell's with reset_after=True (the reset gate scales the recurrent part after its
  matmul, recurrent bias included), bias viewed as (2, 3 units).

As in cuDNN there is no masking, no dropout and no choice of activation.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn import constraints, initializers, regularizers
from multinn.engine.base_layer import InputSpec, Layer

from .recurrent import RNN
from .recurrent_cells import GRUCell, LSTMCell

__all__ = ["CuDNNLSTM", "CuDNNGRU"]


class _CuDNNLSTMCell(LSTMCell):
    """LSTMCell holding cuDNN's (8 units,) bias; each step uses the sum of its two halves."""

    def build(self, input_shape: Any) -> None:
        units, base = self.units, self.bias_initializer
        init = base
        if self.unit_forget_bias:
            def init(shape, dtype=None):
                # Keras 2 puts the forget gate's 1 in the recurrent half (the input half is zero)
                parts = [base((5 * units,), dtype=dtype), K.ones((units,), dtype=dtype), base((2 * units,), dtype=dtype)]
                return K.concatenate([K.convert_to_tensor(p) for p in parts], axis=0)

        self._build_kernels(input_shape, bias_shape=(8 * units,), bias_initializer=init)

    def call(self, inputs: Any, states: Any, training: Any = None):
        full, width = self.bias, 4 * self.units
        # LSTMCell's formula takes one bias: hand it cuDNN's two summed, for this step only
        self.bias = full[:width] + full[width:]
        try:
            return super().call(inputs, states, training=training)
        finally:
            self.bias = full


class _CuDNNGRUCell(GRUCell):
    """GRUCell(reset_after=True) holding cuDNN's flat (6 units,) bias: input half, recurrent half."""

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape, bias_shape=(6 * self.units,))

    def call(self, inputs: Any, states: Any, training: Any = None):
        full = self.bias
        # GRUCell with reset_after reads bias[0] (input) and bias[1] (recurrent)
        self.bias = K.reshape(full, (2, 3 * self.units))
        try:
            return super().call(inputs, states, training=training)
        finally:
            self.bias = full


# Constructor options kept on the layer and shown in get_config, in Keras 2's order.
_OPTIONS = ("units", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
            "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
            "recurrent_constraint", "bias_constraint")


class _CuDNNRNN(RNN):
    """The shared part: an RNN over a cuDNN-formula cell, without masking, dropout or unroll."""

    _options = _OPTIONS

    def __init__(self, cell: Any, activity_regularizer: Any, return_sequences: bool, return_state: bool,
                 go_backwards: bool, stateful: bool, **kwargs: Any):
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=False, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = False
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, key: str) -> Any:
        # units, initializers, kernel, bias, ... read through to the cell, as Keras 2's attributes
        cell = self.__dict__.get("cell")
        readable = self._options + ("kernel", "recurrent_kernel", "bias")
        if cell is not None and key in readable and key != "activity_regularizer":
            return getattr(cell, key)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def call(self, inputs: Any, mask: Any = None, training: Any = None, initial_state: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        if mask is not None:
            raise ValueError(f"Masking is not supported by {type(self).__name__} (as in cuDNN). "
                             f"Received: a mask for layer {self.name!r}")
        return super().call(inputs, mask=None, training=None, initial_state=initial_state)

    def get_config(self) -> dict:
        config = {"return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": self.stateful}
        for key in self._options:
            value = self.activity_regularizer if key == "activity_regularizer" else getattr(self.cell, key)
            if key.endswith("_initializer"):
                value = initializers.serialize(value)
            elif key.endswith("_regularizer"):
                value = regularizers.serialize(value)
            elif key.endswith("_constraint"):
                value = constraints.serialize(value)
            config[key] = value
        return {**Layer.get_config(self), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "_CuDNNRNN":
        return cls(**config)


class CuDNNLSTM(_CuDNNRNN):
    """Keras 2's CuDNNLSTM: an LSTM with cuDNN's weights and formula, on any backend.

    Keras 2 runs it only on a GPU with cuDNN; multinn computes the same formula with K, so
    it runs on NumPy and CuPy alike. The output equals `LSTM(units,
    recurrent_activation='sigmoid')` whose bias is `bias[:4*units] + bias[4*units:]`.

    Args:
        units: size of the output and of each state (h, c).
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'): as in Keras 2.
        unit_forget_bias: True sets the forget gate's recurrent bias to 1 at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as in Keras 2.
        return_sequences, return_state (output, h, c), go_backwards, stateful: as in RNN.

    Weights: kernel (input_dim, 4 units), recurrent_kernel (units, 4 units), bias
    (8 units,): input bias then recurrent bias, gates i, f, c, o in each. Activations are
    tanh and sigmoid; there is no masking and no dropout (as in cuDNN).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import CuDNNLSTM
        >>> layer = CuDNNLSTM(3, return_state=True)
        >>> [t.shape for t in layer(K.ones((2, 4, 5)))]
        [(2, 3), (2, 3), (2, 3)]
        >>> [w.shape for w in layer.weights]
        [(5, 12), (3, 12), (24,)]
    """

    _options = _OPTIONS[:4] + ("unit_forget_bias",) + _OPTIONS[4:]

    def __init__(self, units: int, kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, return_state: bool = False, stateful: bool = False,
                 go_backwards: bool = False, **kwargs: Any):
        cell = _CuDNNLSTMCell(units, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                              bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                              kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                              bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                              recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                              dtype=kwargs.get("dtype"))
        super().__init__(cell, activity_regularizer, return_sequences, return_state, go_backwards, stateful, **kwargs)


class CuDNNGRU(_CuDNNRNN):
    """Keras 2's CuDNNGRU: a GRU with cuDNN's weights and formula, on any backend.

    Keras 2 runs it only on a GPU with cuDNN; multinn computes the same formula with K, so
    it runs on NumPy and CuPy alike. The output equals `GRU(units, reset_after=True,
    recurrent_activation='sigmoid')` whose (2, 3 units) bias is this bias reshaped:
    bias[:3*units] for the inputs, bias[3*units:] for the recurrent state.

    Args:
        units: size of the output and the state.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), kernel_regularizer, recurrent_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: as in Keras 2.
        return_sequences, return_state (output, h), go_backwards, stateful: as in RNN.

    Weights: kernel (input_dim, 3 units), recurrent_kernel (units, 3 units), bias
    (6 units,), gates z, r, h in each. Activations are tanh and sigmoid; there is no
    masking and no dropout (as in cuDNN).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import CuDNNGRU
        >>> layer = CuDNNGRU(3, return_sequences=True)
        >>> layer(K.ones((2, 4, 5))).shape
        (2, 4, 3)
        >>> [w.shape for w in layer.weights]
        [(5, 9), (3, 9), (18,)]
    """

    def __init__(self, units: int, kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, return_sequences: bool = False,
                 return_state: bool = False, stateful: bool = False, go_backwards: bool = False, **kwargs: Any):
        cell = _CuDNNGRUCell(units, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, reset_after=True, dtype=kwargs.get("dtype"))
        super().__init__(cell, activity_regularizer, return_sequences, return_state, go_backwards, stateful, **kwargs)
