"""Keras 1 spellings that Keras 2's layers still read, one `Interface` per layer family.

Keras 2 (keras/legacy/interfaces.py) converted these calls and warned with the Keras 2
spelling; the tables below carry the same conversions:

- Dense: output_dim -> units, init -> kernel_initializer, W_/b_regularizer and
  W_/b_constraint -> kernel_/bias_..., bias -> use_bias.
- Dropout, GaussianDropout: p -> rate. GaussianNoise: sigma -> stddev.
- Conv1D: nb_filter, filter_length, subsample_length, border_mode, input_dim/input_length.
- Conv2D, Conv3D, Conv2DTranspose, SeparableConv2D: nb_filter, subsample, border_mode,
  dim_ordering ('tf', 'th', 'default'), the kernel size as nb_row/nb_col
  (`Conv2D(32, 3, 3)`) or kernel_dim1..3, output_shape (dropped), init (both kernels of a
  separable convolution).
- Pooling: pool_length, stride, border_mode, dim_ordering; global 2-D/3-D: dim_ordering.
- Embedding: init, W_regularizer, W_constraint; dropout is dropped.
- BatchNormalization: beta_init, gamma_init, mode=0 (dropped); keywords only.
- SimpleRNN, LSTM, GRU: output_dim, init, inner_init, inner_activation, W_/U_/b_regularizer,
  dropout_W, dropout_U, consume_less, forget_bias_init, input_dim/input_length.
- ConvLSTM2D: the Conv2D and recurrent renames together (nb_row/nb_col, subsample, inner_init, ...).
- AtrousConvolution1D/2D: Conv1D/Conv2D with atrous_rate -> dilation_rate.
- LocallyConnected1D/2D: as Conv1D/Conv2D.
- SpatialDropout1D/2D/3D: p -> rate (and dim_ordering). UpSampling1D: length -> size.
- UpSampling2D/3D, ZeroPadding3D, Cropping2D/3D: dim_ordering. ZeroPadding2D: dim_ordering and
  a dict padding {top_pad, bottom_pad, left_pad, right_pad}.
- PReLU: init -> alpha_initializer; Keras 1's positional `weights` (a list) after it.
- Lambda: at most two positional arguments (Keras 1's third was `arguments`, Keras 2's is `mask`).

The models' tables (MODEL, INPUT_LAYER, FIT, GENERATOR_METHODS) live in the engine
(`multinn/engine/legacy_interfaces.py`) and are re-exported here for the old import path.

Example:
    >>> import warnings
    >>> from multinn.layers import Conv2D
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     layer = Conv2D(32, 3, 3, border_mode="same")
    >>> layer.kernel_size, layer.strides, layer.padding
    ((3, 3), (1, 1), 'same')
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    Conv2D was called with Keras 1 arguments (`nb_row/nb_col`, `border_mode`);
    in the Keras 2 API the call reads `Conv2D(32, (3, 3), padding='same')`.
"""
from __future__ import annotations

from typing import Any, Callable

from multinn.engine.legacy import (
    Call, Interface, conflict_error, convert, is_int as _is_int, positional_params, signature, warn_legacy_call,
)
from multinn.engine.legacy_interfaces import FIT, GENERATOR_METHODS, INPUT_LAYER, MODEL  # noqa: F401

__all__ = [
    "DENSE", "DROPOUT", "GAUSSIAN_NOISE", "GAUSSIAN_DROPOUT", "EMBEDDING", "POOLING1D", "POOLING",
    "GLOBAL_POOLING", "CONV1D", "CONV2D", "CONV3D", "CONV2D_TRANSPOSE", "SEPARABLE_CONV2D",
    "BATCH_NORMALIZATION", "RECURRENT", "SIMPLE_RNN", "CONVLSTM2D", "AtrousConvolution1D", "AtrousConvolution2D",
    "LOCALLY_CONNECTED1D", "LOCALLY_CONNECTED2D", "SPATIAL_DROPOUT1D", "SPATIAL_DROPOUT", "UPSAMPLING1D",
    "DIM_ORDERING", "ZERO_PADDING2D", "PRELU", "LAMBDA", "MODEL", "INPUT_LAYER", "FIT", "GENERATOR_METHODS",
]

_DIM_ORDERING = {"dim_ordering": {"tf": "channels_last", "th": "channels_first", "default": None}}
_BIAS = (("b_regularizer", "bias_regularizer"), ("b_constraint", "bias_constraint"), ("bias", "use_bias"))
_KERNEL_BIAS = (("init", "kernel_initializer"), ("W_regularizer", "kernel_regularizer"),
                ("W_constraint", "kernel_constraint")) + _BIAS
_CONV = (("nb_filter", "filters"), ("subsample", "strides"), ("border_mode", "padding"),
         ("dim_ordering", "data_format"))


def _steps_input(call: Call) -> None:
    """input_dim (and input_length) -> input_shape=(input_length, input_dim)."""
    if "input_dim" in call.kwargs:
        shape = (call.kwargs.get("input_length"), call.kwargs["input_dim"])
        call.changed += [k for k in ("input_dim", "input_length") if k in call.kwargs]
        call.replace(("input_dim", "input_length"), "input_shape", shape)


def _kernel_size(rank: int) -> Callable[[Call], None]:
    """The Keras 1 kernel size: one integer per dimension after the filters, by position
    (`Conv2D(32, 3, 3)`), by keyword (nb_row=3, nb_col=3; kernel_dim1..3) or both."""
    names = ("nb_row", "nb_col") if rank == 2 else ("kernel_dim1", "kernel_dim2", "kernel_dim3")
    label = "/".join(names) if rank == 2 else "kernel_dim1/2/3"

    def prepare(call: Call) -> None:
        args, kwargs = call.args, call.kwargs
        shown = signature(call.name, args, kwargs)
        if len(args) > rank and all(_is_int(a) for a in args[1: rank + 1]):
            if len(args) > rank + 1:
                raise TypeError(
                    f"{shown} reads as a Keras 1 call ({', '.join(('nb_filter',) + names)}, then init, activation, "
                    f"...), and Keras 2 takes its positional arguments only up to the kernel size: pass the others "
                    f"by keyword. Received: {len(args)} positional arguments"
                )
            if rank == 2 and any(k in kwargs for k in ("padding", "strides", "data_format")):
                raise ValueError(
                    f"{shown} is ambiguous: the two integers after `filters` read as the Keras 1 kernel size "
                    f"(nb_row, nb_col), yet the Keras 2 keywords suggest the second one means `strides`. Write the "
                    f"kernel size as a tuple, {call.name}({args[0]!r}, ({args[1]}, {args[2]}), ...), or pass "
                    f"strides by keyword. Received: {shown}"
                )
            call.args = [args[0], tuple(int(a) for a in args[1:])]
            call.changed.append(label)
            return
        given = len(args) - 1  # kernel sizes given by position after the filters
        if given >= 1 and all(_is_int(a) for a in args[1:]) and all(n in kwargs for n in names[given:]):
            if "kernel_size" in kwargs:
                raise conflict_error(call, names[given], kwargs[names[given]], "kernel_size")
            call.args = [args[0], tuple(int(a) for a in args[1:]) + tuple(kwargs[n] for n in names[given:])]
            call.kwargs = {k: v for k, v in kwargs.items() if k not in names}
            call.changed.append(label)
        elif len(args) <= 1 and all(n in kwargs for n in names):
            call.replace(names, "kernel_size", tuple(kwargs[n] for n in names))
            call.changed.append(label)
        elif rank == 3 and len(args) == 3 and _is_int(args[1]) and _is_int(args[2]):
            raise TypeError(
                f"{shown} is ambiguous: Keras 1 reads it as nb_filter, kernel_dim1, kernel_dim2 (kernel_dim3 "
                f"missing), Keras 2 as filters, kernel_size, strides. Pass strides by keyword, "
                f"{call.name}({args[0]!r}, {args[1]}, strides={args[2]}), or give the whole kernel size. "
                f"Received: {shown}"
            )

    return prepare


def _deconv(call: Call) -> None:
    """Keras 1's Deconvolution2D took the output shape (4th positional or keyword); Keras 2
    computes it."""
    dropped = False
    if len(call.args) == 4 and isinstance(call.args[3], tuple):
        call.args = call.args[:3]
        dropped = True
    if "output_shape" in call.kwargs:
        call.kwargs = {k: v for k, v in call.kwargs.items() if k != "output_shape"}
        dropped = True
    if dropped:
        call.changed.append("output_shape")
        call.notes.append("`output_shape` was ignored: Keras 2 computes the output shape.")
    _kernel_size(2)(call)


def _separable(call: Call) -> None:
    """Keras 1's `init` initialized both kernels of a separable convolution."""
    if "init" in call.kwargs:
        init = call.kwargs["init"]
        for target in ("depthwise_initializer", "pointwise_initializer"):
            if call.given(target):
                raise conflict_error(call, "init", init, target)
        call.replace(("init",), "depthwise_initializer", init)
        call.replace((), "pointwise_initializer", init)
        call.changed.append("init")
    _kernel_size(2)(call)


def _embedding(call: Call) -> None:
    if "dropout" in call.kwargs:
        call.kwargs = {k: v for k, v in call.kwargs.items() if k != "dropout"}
        call.changed.append("dropout")
        call.notes.append("`dropout` was dropped: Keras 2's Embedding has none; a SpatialDropout1D layer right "
                          "after the Embedding gives the same effect.")


def _batch_normalization(call: Call) -> None:
    if "mode" in call.kwargs:
        mode = call.kwargs["mode"]
        if mode != 0:
            raise TypeError(
                f"BatchNormalization's `mode` argument is gone in Keras 2, and with it modes 1 and 2; the layer "
                f"always normalizes feature-wise (Keras 1's mode 0). Received: mode={mode!r}"
            )
        call.kwargs = {k: v for k, v in call.kwargs.items() if k != "mode"}
        call.changed.append("mode")
        call.notes.append("`mode=0` is what the layer always does and was dropped.")


def _recurrent(call: Call) -> None:
    if "forget_bias_init" in call.kwargs:
        value = call.kwargs["forget_bias_init"]
        call.changed.append("forget_bias_init")
        if value == "one":
            call.replace(("forget_bias_init",), "unit_forget_bias", True)
        else:
            call.kwargs = {k: v for k, v in call.kwargs.items() if k != "forget_bias_init"}
            call.notes.append(f"`forget_bias_init={value!r}` was ignored: Keras 2 sets the forget-gate bias to ones "
                              f"with unit_forget_bias=True and otherwise uses bias_initializer.")
    _steps_input(call)


def _simple_rnn(call: Call) -> None:
    if "consume_less" in call.kwargs:
        call.kwargs = {k: v for k, v in call.kwargs.items() if k != "consume_less"}
        call.changed.append("consume_less")
        call.notes.append("`consume_less` was dropped: SimpleRNN has a single implementation.")
    _recurrent(call)


_PAD_KEYS = ("top_pad", "bottom_pad", "left_pad", "right_pad")


def _zero_padding2d(call: Call) -> None:
    """Keras 1's ZeroPadding2D also took padding={'top_pad': ..., 'bottom_pad': ..., ...}."""
    by_keyword = "padding" in call.kwargs
    value = call.kwargs["padding"] if by_keyword else (call.args[0] if call.args else None)
    if not isinstance(value, dict) or not set(value) <= set(_PAD_KEYS):
        return
    pairs = ((value.get("top_pad", 0), value.get("bottom_pad", 0)), (value.get("left_pad", 0), value.get("right_pad", 0)))
    if by_keyword:
        call.kwargs["padding"] = pairs
    else:
        call.args[0] = pairs
    call.changed.append("padding")
    call.notes.append("Keras 2's `padding` takes ((top_pad, bottom_pad), (left_pad, right_pad)), not a dict.")


def _prelu(call: Call) -> None:
    """Keras 1's PReLU(init, weights, shared_axes): a list second reads as the initial weights
    (Keras 2's second positional, alpha_regularizer, is never a list)."""
    if len(call.args) >= 2 and isinstance(call.args[1], (list, tuple)):
        shown = signature(call.name, call.args, call.kwargs)
        if len(call.args) > 3:
            raise TypeError(f"{shown} reads as a Keras 1 call (init, weights, shared_axes), which has three positional "
                            f"arguments. Received: {len(call.args)} positional arguments")
        keras1 = dict(zip(("init", "weights", "shared_axes"), call.args))
        twice = [k for k in keras1 if k in call.kwargs or (k == "init" and "alpha_initializer" in call.kwargs)]
        if twice:
            raise TypeError(f"{shown} reads as a Keras 1 call (init, weights, shared_axes) and sets `{twice[0]}` "
                            f"twice. Received: {shown}")
        call.args = []
        call.kwargs = {**keras1, **call.kwargs}
        call.changed.append("weights")
        call.notes.append("Keras 1's second positional argument, `weights`, is a keyword in Keras 2.")


def _lambda(call: Call) -> None:
    if len(call.args) > 2:
        raise TypeError(
            f"Lambda takes at most 2 positional arguments (function, output_shape): Keras 1's third one was "
            f"`arguments` and Keras 2's is `mask`, so pass the others by keyword. "
            f"Received: {signature(call.name, call.args, {})}"
        )


DENSE = Interface(renames=(("output_dim", "units"),) + _KERNEL_BIAS)
DROPOUT = Interface(renames=(("p", "rate"),))
GAUSSIAN_DROPOUT = DROPOUT
GAUSSIAN_NOISE = Interface(renames=(("sigma", "stddev"),))
EMBEDDING = Interface(renames=(("init", "embeddings_initializer"), ("W_regularizer", "embeddings_regularizer"),
                               ("W_constraint", "embeddings_constraint")), prepare=_embedding)
POOLING1D = Interface(renames=(("pool_length", "pool_size"), ("stride", "strides"), ("border_mode", "padding")))
POOLING = Interface(renames=(("border_mode", "padding"), ("dim_ordering", "data_format")), values=_DIM_ORDERING)
GLOBAL_POOLING = Interface(renames=(("dim_ordering", "data_format"),), values=_DIM_ORDERING)
CONV1D = Interface(renames=(("nb_filter", "filters"), ("filter_length", "kernel_size"),
                            ("subsample_length", "strides"), ("border_mode", "padding")) + _KERNEL_BIAS,
                   prepare=_steps_input)
CONV2D = Interface(renames=_CONV + _KERNEL_BIAS, values=_DIM_ORDERING, prepare=_kernel_size(2))
CONV3D = Interface(renames=_CONV + _KERNEL_BIAS, values=_DIM_ORDERING, prepare=_kernel_size(3))
CONV2D_TRANSPOSE = Interface(renames=_CONV + _KERNEL_BIAS, values=_DIM_ORDERING, prepare=_deconv)
SEPARABLE_CONV2D = Interface(renames=_CONV + _BIAS, values=_DIM_ORDERING, prepare=_separable)
BATCH_NORMALIZATION = Interface(renames=(("beta_init", "beta_initializer"), ("gamma_init", "gamma_initializer")),
                                prepare=_batch_normalization, keywords_only=True)
_RECURRENT_RENAMES = (
    ("output_dim", "units"), ("init", "kernel_initializer"), ("inner_init", "recurrent_initializer"),
    ("inner_activation", "recurrent_activation"), ("W_regularizer", "kernel_regularizer"),
    ("b_regularizer", "bias_regularizer"), ("U_regularizer", "recurrent_regularizer"), ("dropout_W", "dropout"),
    ("dropout_U", "recurrent_dropout"),
)
RECURRENT = Interface(renames=_RECURRENT_RENAMES + (("consume_less", "implementation"),),
                      values={"consume_less": {"cpu": 0, "mem": 1, "gpu": 2}}, prepare=_recurrent)
SIMPLE_RNN = Interface(renames=_RECURRENT_RENAMES, prepare=_simple_rnn)


def _convlstm2d(call: Call) -> None:
    _kernel_size(2)(call)
    _recurrent(call)


# ConvLSTM2D(5, 3, 3, subsample=..., inner_init=..., dropout_W=...): the convolution's and
# the recurrent layers' Keras 1 keywords together (no output_dim: it has filters)
CONVLSTM2D = Interface(renames=_CONV + _RECURRENT_RENAMES[1:], values=_DIM_ORDERING, prepare=_convlstm2d)
LOCALLY_CONNECTED1D = CONV1D
LOCALLY_CONNECTED2D = CONV2D
SPATIAL_DROPOUT1D = DROPOUT
SPATIAL_DROPOUT = Interface(renames=(("p", "rate"), ("dim_ordering", "data_format")), values=_DIM_ORDERING)
UPSAMPLING1D = Interface(renames=(("length", "size"),))
DIM_ORDERING = GLOBAL_POOLING  # UpSampling2D/3D, ZeroPadding3D, Cropping2D/3D: only dim_ordering changed
ZERO_PADDING2D = Interface(renames=(("dim_ordering", "data_format"),), values=_DIM_ORDERING, prepare=_zero_padding2d)
PRELU = Interface(renames=(("init", "alpha_initializer"),), prepare=_prelu)
LAMBDA = Interface(prepare=_lambda)


def _atrous(cls: type, interface: Interface, written: str, args: tuple, kwargs: dict) -> Any:
    atrous = Interface(renames=interface.renames + (("atrous_rate", "dilation_rate"),), values=interface.values,
                       prepare=interface.prepare)
    call = convert(atrous, cls.__name__, positional_params(cls.__init__), args, kwargs)
    warn_legacy_call(call, written=written)
    return cls(*call.args, **call.kwargs)


def AtrousConvolution1D(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (Keras's name)
    """Keras 1's dilated 1-D convolution, which Keras 2 kept as a function: a Conv1D whose
    `dilation_rate` is `atrous_rate`, with a warning.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     AtrousConvolution1D(4, 3, atrous_rate=2).dilation_rate
        (2,)
    """
    from .convolutional import Conv1D

    return _atrous(Conv1D, CONV1D, "AtrousConvolution1D", args, kwargs)


def AtrousConvolution2D(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (Keras's name)
    """Keras 1's dilated 2-D convolution, which Keras 2 kept as a function: a Conv2D whose
    `dilation_rate` is `atrous_rate`, with a warning.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     layer = AtrousConvolution2D(8, 3, 3, atrous_rate=(2, 2), border_mode="same")
        >>> layer.kernel_size, layer.dilation_rate, layer.padding
        ((3, 3), (2, 2), 'same')
    """
    from .convolutional import Conv2D

    return _atrous(Conv2D, CONV2D, "AtrousConvolution2D", args, kwargs)
