"""Weight layouts converted on loading, where Keras converted them: Keras 1 files (per-gate
RNN weights, channels-first convolution kernels), kernels from Theano (flipped spatial axes),
and CuDNNLSTM/CuDNNGRU weights to and from LSTM/GRU(reset_after=True).

`preprocess_weights_for_loading` takes and returns host arrays (NumPy), as Keras 2.3.1's.
"""
from __future__ import annotations

import math
from typing import Any

from multinn import backend as K

_CONV_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D")
# Theano convolves (flips the kernel); TensorFlow, CNTK and multinn correlate.
_CORRELATES = {"tensorflow": True, "cntk": True, "theano": False}


def _t(x: Any) -> Any:
    # keep the saved dtype: converting float64 weights is exact, casting them is not
    dtype = getattr(x, "dtype", None)
    return K.convert_to_tensor(x, dtype=None if dtype is None else str(dtype))


def _host(x: Any) -> Any:
    return K.eval(x)


def _transpose(x: Any, axes: tuple) -> Any:
    return _host(K.permute_dimensions(_t(x), axes))


def _concat(parts: list) -> Any:
    return _host(K.concatenate([_t(p) for p in parts], axis=-1))


def _split_last(x: Any, n: int) -> list:
    tensor = _t(x)
    size = K.int_shape(tensor)[-1] // n
    return [tensor[..., i * size:(i + 1) * size] for i in range(n)]


def _shape(x: Any) -> tuple:
    return tuple(int(s) for s in x.shape)


def _keras1_gates(weights: list, order: list) -> list:
    # Keras 1 kept one (kernel, recurrent kernel, bias) triple per gate; Keras 2 stacks them.
    return [_concat([weights[3 * g + j] for g in order]) for j in range(3)]


def _from_keras1(layer: Any, weights: list) -> list:
    name = type(layer).__name__
    if name == "Conv1D":
        shape = _shape(weights[0])
        if shape[:2] != (layer.kernel_size[0], 1) or shape[3] != layer.filters:
            # Keras 1.1: (filters, input_dim, filter_length, 1)
            weights[0] = _transpose(weights[0], (2, 3, 1, 0))
        weights[0] = _host(_t(weights[0])[:, 0, :, :])
    elif name == "Conv2D" and layer.data_format == "channels_first":
        weights[0] = _transpose(weights[0], (2, 3, 1, 0))  # (out, in, rows, cols) -> (rows, cols, in, out)
    elif name == "Conv2DTranspose":
        axes = (0, 1, 3, 2) if layer.data_format == "channels_last" else (2, 3, 0, 1)
        weights[0] = _transpose(weights[0], axes)
    elif name == "Conv3D" and layer.data_format == "channels_first":
        weights[0] = _transpose(weights[0], (2, 3, 4, 1, 0))
    elif name == "GRU" and len(weights) == 9:
        weights = _keras1_gates(weights, [0, 1, 2])
    elif name in ("LSTM", "ConvLSTM2D") and len(weights) == 12:
        weights = _keras1_gates(weights, [0, 2, 1, 3])  # Keras 1's gates: i, c, f, o; Keras 2's: i, f, c, o
        if name == "ConvLSTM2D" and layer.data_format == "channels_first":
            weights[0] = _transpose(weights[0], (2, 3, 1, 0))
            weights[1] = _transpose(weights[1], (2, 3, 1, 0))
    return weights


def _needs_kernel_flip(original_backend: "str | None") -> bool:
    if original_backend not in _CORRELATES:
        return False
    return not _CORRELATES[original_backend]


def _fit_conv_kernel(layer: Any, weights: list, original_backend: "str | None", reshape: bool) -> list:
    from multinn.utils.conv_utils import convert_kernel

    name = type(layer).__name__
    target = tuple(K.int_shape(layer.weights[0]))
    if _needs_kernel_flip(original_backend):
        weights[0] = convert_kernel(weights[0])
        if name == "ConvLSTM2D":
            weights[1] = convert_kernel(weights[1])
    source = _shape(weights[0])
    if reshape and source != target:
        if math.prod(source) != math.prod(target):
            raise ValueError(
                f"Weights must be of equal size to apply a reshape operation. Layer {layer.name}'s weights have shape "
                f"{target} and size {math.prod(target)}. The weights for loading have shape {source} and size "
                f"{math.prod(source)}."
            )
        weights[0] = _host(K.reshape(_t(weights[0]), target))
    elif source != target and len(source) == 4:
        # channels-first order (out, in, rows, cols) from an older layout
        weights[0] = _transpose(weights[0], (3, 2, 0, 1))
        if name == "ConvLSTM2D":
            weights[1] = _transpose(weights[1], (3, 2, 0, 1))
    return weights


def _per_gate(kernel: Any, n_gates: int, fn) -> Any:
    return _concat([fn(k) for k in _split_last(kernel, n_gates)])


def _swap_layout(from_cudnn: bool):
    # cuDNN keeps each gate's input kernel in Fortran order: same shape, elements transposed.
    def convert(kernel):
        rows, cols = K.int_shape(kernel)
        if from_cudnn:
            return K.transpose(K.reshape(kernel, (cols, rows)))
        return K.reshape(K.transpose(kernel), (rows, cols))

    return convert


def _convert_lstm(weights: list, from_cudnn: bool) -> list:
    kernel = _per_gate(weights[0], 4, _swap_layout(from_cudnn))
    recurrent = _per_gate(weights[1], 4, K.transpose)
    bias = _t(weights[2])
    if from_cudnn:
        half = K.int_shape(bias)[0] // 2
        bias = bias[:half] + bias[half:]  # cuDNN's input and recurrent biases act as their sum
    else:
        bias = K.concatenate([bias * 0.5, bias * 0.5])  # any split with the same sum works
    return [kernel, recurrent, _host(bias)]


def _convert_gru(weights: list, from_cudnn: bool) -> list:
    kernel = _per_gate(weights[0], 3, _swap_layout(from_cudnn))
    recurrent = _per_gate(weights[1], 3, K.transpose)
    bias = _t(weights[2])
    bias = K.reshape(bias, (2, -1)) if from_cudnn else K.reshape(bias, (-1,))
    return [kernel, recurrent, _host(bias)]


def convert_rnn_weights(layer: Any, weights: list) -> list:
    """Converts (kernel, recurrent kernel, bias) between CuDNNLSTM and LSTM, and between
    CuDNNGRU and GRU(reset_after=True), reading the source layout from the bias's shape;
    weights already in `layer`'s layout come back unchanged.

    Raises:
        ValueError: a bias of no known layout, or GRU(reset_after=False) weights for a
            reset-after GRU (or the reverse).

    Example:
        >>> import numpy as np
        >>> from multinn.layers import LSTM
        >>> layer = LSTM(1)
        >>> bias = convert_rnn_weights(layer, [np.ones((2, 4)), np.ones((1, 4)), np.arange(8.0)])[2]
        >>> bias.tolist()
        [4.0, 6.0, 8.0, 10.0]
    """
    target = type(layer).__name__
    if target in ("LSTM", "CuDNNLSTM") and len(weights) == 3:
        units = _shape(weights[1])[0]
        bias = _shape(weights[2])
        if bias == (8 * units,):
            source = "CuDNNLSTM"
        elif bias == (4 * units,):
            source = "LSTM"
        else:
            raise ValueError(f"Invalid bias shape: {bias} for an LSTM of {units} units.")
        if source != target:
            weights = _convert_lstm(weights, from_cudnn=source == "CuDNNLSTM")
    if target in ("GRU", "CuDNNGRU") and len(weights) == 3:
        units = _shape(weights[1])[0]
        bias = _shape(weights[2])
        if bias == (6 * units,):
            source = "CuDNNGRU"
        elif bias == (2, 3 * units):
            source = "GRU(reset_after=True)"
        elif bias == (3 * units,):
            source = "GRU(reset_after=False)"
        else:
            raise ValueError(f"Invalid bias shape: {bias} for a GRU of {units} units.")
        if target == "CuDNNGRU":
            wanted = "CuDNNGRU"
        else:
            wanted = "GRU(reset_after=True)" if getattr(layer, "reset_after", False) else "GRU(reset_after=False)"
        if source != wanted:
            if "GRU(reset_after=False)" in (source, wanted):
                raise ValueError(f"{source} is not compatible with {wanted}")
            weights = _convert_gru(weights, from_cudnn=source == "CuDNNGRU")
    return weights


def _nested_model(layer: Any, weights: list, version: Any, backend: Any) -> list:
    # A nested model's weights come trainable ones first (layer by layer), then the rest.
    converted = []
    for trainable in (True, False):
        for sublayer in layer.layers:
            if trainable:
                count = len(sublayer.trainable_weights)
            else:
                seen = {id(w) for w in sublayer.trainable_weights}
                count = len([w for w in sublayer.weights if id(w) not in seen])
            if count:
                converted += preprocess_weights_for_loading(sublayer, weights[:count], version, backend)
                weights = weights[count:]
    return converted


def preprocess_weights_for_loading(layer: Any, weights: list, original_keras_version: "str | None" = None,
                                   original_backend: "str | None" = None, reshape: bool = False) -> list:
    """Converts saved weight values to the layout `layer` expects (Keras 2.3.1's conversions).

    Args:
        layer: the layer (or nested model) the weights are for.
        weights: the saved values, as arrays.
        original_keras_version: the Keras version that wrote them ('1' converts Keras 1
            layouts).
        original_backend: the backend that wrote them ('theano' flips convolution kernels).
        reshape: reshape a convolution kernel holding the right number of values into the
            layer's shape.

    Returns:
        The values as NumPy arrays, in `layer.weights`' order.

    Example:
        >>> import numpy as np
        >>> from multinn.models import Sequential
        >>> from multinn.layers import GRU
        >>> layer = GRU(2, input_shape=(3, 5))
        >>> _ = Sequential([layer])
        >>> per_gate = [np.ones((5, 2)), np.ones((2, 2)), np.zeros(2)] * 3   # Keras 1: one triple per gate
        >>> [w.shape for w in preprocess_weights_for_loading(layer, per_gate, original_keras_version="1")]
        [(5, 6), (2, 6), (6,)]
    """
    weights = list(weights)
    name = type(layer).__name__
    if name == "Bidirectional":
        half = len(weights) // 2
        weights = (preprocess_weights_for_loading(layer.forward_layer, weights[:half], original_keras_version, original_backend)
                   + preprocess_weights_for_loading(layer.backward_layer, weights[half:], original_keras_version, original_backend))
    if name == "TimeDistributed":
        weights = preprocess_weights_for_loading(layer.layer, weights, original_keras_version, original_backend)
    elif _is_network(layer):
        weights = _nested_model(layer, weights, original_keras_version, original_backend)
    if str(original_keras_version) == "1":
        weights = _from_keras1(layer, weights)
    if name in _CONV_LAYERS and layer.weights and weights:
        weights = _fit_conv_kernel(layer, weights, original_backend, reshape)
    weights = convert_rnn_weights(layer, weights)
    return [w if hasattr(w, "shape") and not isinstance(w, K.Tensor) else _host(_t(w)) for w in weights]


def _is_network(layer: Any) -> bool:
    from multinn.engine.network import Network

    return isinstance(layer, Network)
