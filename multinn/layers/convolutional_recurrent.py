"""Convolutional LSTMs: Keras 2.3.1's ConvLSTM2DCell (one step) and ConvLSTM2D (the layer),
and tf.keras 2's ConvLSTM1D and ConvLSTM3D, one code path by the number of spatial dims.

Each layer is the RNN base (recurrent.py) with a cell whose input and recurrent transforms
are convolutions, so its states are feature maps (batch, *spatial, filters) (or channels
first) rather than vectors. Weight layout follows Keras 2 so exported weights load:
kernel (*kernel_size, in_channels, 4 filters), recurrent_kernel (*kernel_size, filters,
4 filters), bias (4 filters,), gates in the order i, f, c, o.
"""
from __future__ import annotations

from typing import Any

from multinn import activations, regularizers
from multinn import backend as K
from multinn.engine.base_layer import InputSpec
from multinn.engine.legacy import legacy_support
from multinn.utils import conv_utils
from multinn.utils.argument_validation import check_int, forwarded_arguments, int_tuple

from .legacy_interfaces import CONVLSTM2D
from .recurrent import RNN
from .recurrent_cells import _RecurrentCell

__all__ = ["ConvLSTM1D", "ConvLSTM2DCell", "ConvLSTM2D", "ConvLSTM3D"]

_GATES = 4


# The cell's options that are not the shared recurrent ones (_RecurrentCell reads those).
_CONV_OWN = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "recurrent_activation",
             "unit_forget_bias")


class _ConvLSTMCell(_RecurrentCell):
    """One step of a convolutional LSTM over `rank` spatial dims (ConvLSTM2DCell documents
    the formula and the arguments; `rank` is a class attribute of each subclass)."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs: Any):
        super().__init__(**forwarded_arguments(locals(), exclude=_CONV_OWN))
        rank = self.rank
        self.filters = check_int(filters, "filters")
        self.kernel_size = int_tuple(kernel_size, rank, "kernel_size")
        self.strides = int_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding, ("valid", "same"))
        self.data_format = K.normalize_data_format(data_format)
        self.dilation_rate = int_tuple(dilation_rate, rank, "dilation_rate")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = (self.filters, self.filters)

    @property
    def output_size(self) -> int:
        return self.filters

    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def output_spatial(self, *sizes: "int | None") -> tuple:
        """The spatial sizes of h and c for inputs of spatial `sizes` (None stays None)."""
        return tuple(conv_utils.conv_output_length(n, k, self.padding, s, d)
                     for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate))

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects one step of shape (batch, {self.rank} spatial dims, "
                f"channels) or (batch, channels, {self.rank} spatial dims). Received: input_shape={input_shape}"
            )
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {self.name!r} should be defined. Found `None`. "
                f"Received: input_shape={input_shape}"
            )
        width = _GATES * self.filters
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (int(channels), width), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=self.kernel_size + (self.filters, width),
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            init = self._forget_bias_init if self.unit_forget_bias else self.bias_initializer
            self.bias = self.add_weight(name="bias", shape=(width,), initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _forget_bias_init(self, shape: tuple, dtype: Any = None) -> Any:
        # forget-gate bias starts at 1 (Jozefowicz et al., 2015), the other gates as asked
        base, filters = self.bias_initializer, self.filters
        parts = [base((filters,), dtype=dtype), K.ones((filters,), dtype=dtype), base((2 * filters,), dtype=dtype)]
        return K.concatenate([K.convert_to_tensor(p) for p in parts], axis=0)

    def _gate(self, z: Any, g: int) -> Any:
        """Gate g's channels of a (.., 4 filters) or (batch, 4 filters, ..) map."""
        f = self.filters
        return z[:, g * f:(g + 1) * f] if self.data_format == "channels_first" else z[..., g * f:(g + 1) * f]

    def input_conv(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        """The input transform: a convolution with the layer's strides, padding and dilation."""
        out = self._conv_fn()(x, kernel, strides=self.strides, padding=self.padding, data_format=self.data_format,
                              dilation_rate=self.dilation_rate)
        return out if bias is None else K.bias_add(out, bias, data_format=self.data_format)

    def recurrent_conv(self, h: Any, kernel: Any) -> Any:
        """The recurrent transform: strides 1 and 'same' padding, so h keeps its size."""
        return self._conv_fn()(h, kernel, strides=1, padding="same", data_format=self.data_format)

    def _conv_fn(self):
        return (K.conv1d, K.conv2d, K.conv3d)[self.rank - 1]

    def call(self, inputs: Any, states: Any, training: Any = None):
        h_prev, c_prev = states[0], states[1]
        masks, rec_masks = self._input_masks(inputs, training, _GATES), self._recurrent_masks(h_prev, training, _GATES)
        f = self.filters
        if masks:
            xs = [self.input_conv(inputs * masks[g], self.kernel[..., g * f:(g + 1) * f],
                                  None if self.bias is None else self.bias[g * f:(g + 1) * f]) for g in range(_GATES)]
        else:
            # no per-gate masks: one convolution for the four gates, then split
            z = self.input_conv(inputs, self.kernel, self.bias)
            xs = [self._gate(z, g) for g in range(_GATES)]
        if rec_masks:
            hs = [self.recurrent_conv(h_prev * rec_masks[g], self.recurrent_kernel[..., g * f:(g + 1) * f])
                  for g in range(_GATES)]
        else:
            z = self.recurrent_conv(h_prev, self.recurrent_kernel)
            hs = [self._gate(z, g) for g in range(_GATES)]
        i = self.recurrent_activation(xs[0] + hs[0])
        forget = self.recurrent_activation(xs[1] + hs[1])
        c = forget * c_prev + i * self.activation(xs[2] + hs[2])
        o = self.recurrent_activation(xs[3] + hs[3])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            **self._weights_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **self._rest_config(),
        }
        return {**super().get_config(), **config}


class ConvLSTM2DCell(_ConvLSTMCell):
    """One step of a convolutional LSTM (Shi et al. 2015), Keras 2.3.1's formula.

    With `*` a convolution and gates in Keras's order i, f, c, o along the kernels' last axis:
    i = ra(W_i * x + b_i + U_i * h), f = ra(W_f * x + b_f + U_f * h),
    o = ra(W_o * x + b_o + U_o * h), c = f c_prev + i a(W_c * x + b_c + U_c * h),
    h = o a(c); states [h, c]. The input convolutions use the layer's strides, padding and
    dilation; the recurrent ones use strides 1 and 'same' padding (as in Keras 2).

    Args:
        filters: number of output channels (of h and c).
        kernel_size, strides ((1, 1)), dilation_rate ((1, 1)): an int or a tuple of 2 ints.
        padding: 'valid' (default) or 'same'.
        data_format: 'channels_last' or 'channels_first'; None means K.image_data_format().
        activation (a): 'tanh'. recurrent_activation (ra): 'hard_sigmoid' (Keras 2.3.1).
        unit_forget_bias: True adds 1 to the forget gate's bias at initialization.
        use_bias, initializers, regularizers, constraints: as in Keras 2's LSTMCell.
        dropout, recurrent_dropout: fractions of the inputs / of h dropped in training (one
            mask per gate, element-wise, drawn once per sequence).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ConvLSTM2DCell
        >>> cell = ConvLSTM2DCell(3, 3, padding="same")
        >>> h, (h2, c) = cell(K.ones((2, 5, 5, 1)), states=[K.zeros((2, 5, 5, 3))] * 2)
        >>> h.shape, c.shape
        ((2, 5, 5, 3), (2, 5, 5, 3))
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1), activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs: Any):
        super().__init__(**forwarded_arguments(locals()))


class _ConvLSTM1DCell(_ConvLSTMCell):
    """ConvLSTM1D's step: ConvLSTM2DCell's formula over (batch, steps, channels) maps."""

    rank = 1


class _ConvLSTM3DCell(_ConvLSTMCell):
    """ConvLSTM3D's step: ConvLSTM2DCell's formula over (batch, d1, d2, d3, channels) volumes."""

    rank = 3


# The cell's options a ConvLSTM2D forwards and exposes, in Keras 2.3.1's constructor order.
_CELL_OPTIONS = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)


class _ConvLSTM(RNN):
    """The convolutional LSTM layer over `rank` spatial dims: the RNN base with a `_cell_class`
    cell; its states are feature maps of the output's spatial size."""

    _cell_class: type = ConvLSTM2DCell

    def _setup(self, options: dict, kwargs: dict) -> None:
        """The constructor's body: `options` is its `locals()`, `kwargs` its extra keywords."""
        if kwargs.get("unroll"):
            raise TypeError("Unrolling isn't possible with convolutional RNNs (Keras 2). Received: unroll=True")
        kwargs.pop("unroll", None)
        return_state = bool(options.get("return_state", False) or kwargs.pop("return_state", False))
        cell = self._cell_class(**{k: options[k] for k in _CELL_OPTIONS}, dtype=kwargs.get("dtype"))
        RNN.__init__(self, cell, return_sequences=options["return_sequences"], return_state=return_state,
                     go_backwards=options["go_backwards"], stateful=options["stateful"], **kwargs)
        self.activity_regularizer = regularizers.get(options["activity_regularizer"])
        self.input_spec = InputSpec(ndim=cell.rank + 3)

    def __getattr__(self, key: str) -> Any:
        # filters, kernel, ... read through to the cell, as Keras 2's properties do
        cell = self.__dict__.get("cell")
        if cell is not None and key in _CELL_OPTIONS + ("kernel", "recurrent_kernel", "bias"):
            return getattr(cell, key)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def _state_shape(self, input_shape: tuple) -> tuple:
        """The shape of h and c for inputs of `input_shape` (samples, time, ...)."""
        cell = self.cell
        if cell.data_format == "channels_first":
            return (input_shape[0], cell.filters) + cell.output_spatial(*input_shape[3:])
        return (input_shape[0],) + cell.output_spatial(*input_shape[2:-1]) + (cell.filters,)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        state = self._state_shape(input_shape)
        output = (state[0], input_shape[1]) + state[1:] if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def get_initial_state(self, inputs: Any) -> list:
        """Zero h and c of the output's size, on the inputs' backend and dtype."""
        shape = self._state_shape(tuple(inputs.shape))
        if any(d is None for d in shape[1:]):
            raise ValueError(f"Layer {self.name} needs known spatial sizes. Received: input shape {inputs.shape}")
        zero = K.zeros_like(inputs[(slice(None), 0) + (slice(0, 1),) * (self.cell.rank + 1)])  # (samples, 1, ...)
        return [K.tile(zero, (1,) + shape[1:]) for _ in range(2)]

    def _build_states(self, input_shape: tuple) -> None:
        super()._build_states(input_shape)  # checks the batch size and names the variables
        shape = tuple(int(d) for d in self._state_shape(input_shape))
        dtype = self.dtype or K.floatx()
        for index in range(len(self._states)):
            variable = K.zeros(shape, dtype=dtype, name=f"{self.name}/state_{index}")
            variable.trainable = False  # carried between batches, never trained
            self._states[index] = variable

    def _checked_state_values(self, states: Any) -> list:
        self._require_states()
        shape = tuple(self._states[0].shape)
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        found = [tuple(K.int_shape(v)) for v in values]
        if len(values) != 2 or any(s != shape for s in found):
            raise ValueError(
                f"Layer {self.name} expects 2 state values (h, c) of shape {shape}. Received: states with shapes {found}"
            )
        return values

    def get_config(self) -> dict:
        cell_config = self.cell.get_config()
        config = {}
        for key in _CELL_OPTIONS:
            config[key] = cell_config[key]
            if key == "bias_regularizer":  # Keras 2's key order
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        base = RNN.get_config(self)
        del base["cell"]  # Keras 2.3.1 keeps return_state and unroll (False) in the config
        return {**base, **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "_ConvLSTM":
        return cls(**config)


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images (Keras 2.3.1's ConvLSTM2D).

    Like LSTM, but the input and recurrent transforms are convolutions (see ConvLSTM2DCell
    for the formula and the arguments it shares).

    Input: (samples, time, rows, cols, channels) with data_format 'channels_last', or
    (samples, time, channels, rows, cols) with 'channels_first'. Output: the last h,
    (samples, out_rows, out_cols, filters) (channels first: (samples, filters, out_rows,
    out_cols)), or with `return_sequences` every step's h with the time axis after the
    samples. With padding 'valid' out_rows = rows - (kh - 1) * dilation (over the strides).

    Args: filters, kernel_size, strides ((1, 1)), padding ('valid'), data_format (None:
    K.image_data_format()), dilation_rate ((1, 1)), activation ('tanh'), recurrent_activation
    ('hard_sigmoid'), use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer
    ('orthogonal'), bias_initializer ('zeros'), unit_forget_bias (True), kernel/recurrent/bias
    regularizers and constraints, activity_regularizer, return_sequences, go_backwards,
    stateful (the kept states are feature maps of the output's size), dropout,
    recurrent_dropout. A (samples, time) mask makes masked steps keep the states. As in
    Keras 2.3.1, `return_state=True` may come through the keyword arguments (output, h, c);
    `unroll=True` is refused.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ConvLSTM2D
        >>> ConvLSTM2D(4, (3, 3), return_sequences=True)(K.ones((2, 5, 8, 8, 1))).shape
        (2, 5, 6, 6, 4)
    """

    _cell_class = ConvLSTM2DCell

    @legacy_support(CONVLSTM2D)  # Keras 1's ConvLSTM2D(5, 3, 3, subsample=..., inner_init=...)
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1), activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, go_backwards: bool = False, stateful: bool = False,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        self._setup(dict(locals()), kwargs)


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-D maps (tf.keras 2's ConvLSTM1D).

    ConvLSTM2D with one spatial dim: input (samples, time, steps, channels) (channels first:
    (samples, time, channels, steps)); kernel (k, in_channels, 4 filters), recurrent_kernel
    (k, filters, 4 filters). Same arguments and formula as ConvLSTM2D, `return_state` in
    the signature as tf.keras has it.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ConvLSTM1D
        >>> out, h, c = ConvLSTM1D(4, 3, padding="same", return_state=True)(K.ones((2, 5, 8, 3)))
        >>> out.shape, c.shape
        ((2, 8, 4), (2, 8, 4))
    """

    _cell_class = _ConvLSTM1DCell

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        self._setup(dict(locals()), kwargs)


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes (tf.keras 2's ConvLSTM3D).

    ConvLSTM2D with three spatial dims: input (samples, time, d1, d2, d3, channels)
    (channels first: (samples, time, channels, d1, d2, d3)); kernel (k1, k2, k3,
    in_channels, 4 filters). Same arguments and formula as ConvLSTM2D, `return_state` in
    the signature as tf.keras has it.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import ConvLSTM3D
        >>> ConvLSTM3D(2, 2, return_sequences=True)(K.ones((1, 3, 4, 4, 4, 1))).shape
        (1, 3, 3, 3, 3, 2)
    """

    _cell_class = _ConvLSTM3DCell

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 data_format: "str | None" = None, dilation_rate: Any = (1, 1, 1), activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        self._setup(dict(locals()), kwargs)
