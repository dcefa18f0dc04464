"""Weights saved by older Keras versions or other backends, made to fit today's layers.

`preprocess_weights_for_loading` is Keras 2's hook between reading a layer's saved arrays
and `set_weights`: Keras 1 kept a recurrent layer's gates as separate arrays and some
kernels in (filters, channels, rows, cols) order; Theano flipped convolution kernels.
Wrappers and nested models pass their inner layers' slices through the same hook.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K

# Keras 1 kept one (kernel, recurrent kernel, bias) triple per gate; these are the
# positions of the triples in today's gate order (LSTM: Keras 1 had i, c, f, o; now i, f, c, o).
_KERAS1_GATES = {"GRU": (0, 1, 2), "LSTM": (0, 2, 1, 3), "ConvLSTM2D": (0, 2, 1, 3)}
_CONV_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D")


def _host(x: Any) -> Any:
    return K.eval(x) if isinstance(x, K.Tensor) else x


def _permute(x: Any, order: tuple) -> Any:
    return K.eval(K.permute_dimensions(K.convert_to_tensor(x, dtype=getattr(x, "dtype", None)), order))


def _join_gates(weights: list, order: tuple) -> list:
    """[k_0, rk_0, b_0, k_1, ...] (one triple per gate) -> [kernel, recurrent_kernel, bias]."""
    joined = []
    for part in range(3):
        pieces = [K.convert_to_tensor(weights[3 * gate + part], dtype=getattr(weights[3 * gate + part], "dtype", None)) for gate in order]
        joined.append(K.eval(K.concatenate(pieces, axis=-1)))
    return joined


def _nested_model(model: Any, weights: list, version: Any, backend: Any) -> list:
    # A model's weights are saved trainable ones first (layer by layer), then the rest.
    out = []
    for trainable in (True, False):
        for sub in model.layers:
            ids = {id(w) for w in sub.trainable_weights}
            n = len(sub.trainable_weights) if trainable else len([w for w in sub.weights if id(w) not in ids])
            if n:
                out += preprocess_weights_for_loading(sub, weights[:n], version, backend)
                weights = weights[n:]
    return out


def _keras1(layer: Any, weights: list) -> list:
    """Keras 1's layouts -> Keras 2's, for the layer kinds whose layout changed."""
    kind = type(layer).__name__
    data_format = getattr(layer, "data_format", "channels_last")
    if kind == "Conv1D":
        shape = tuple(weights[0].shape)
        if shape[:2] != (layer.kernel_size[0], 1) or shape[3] != layer.filters:
            # Keras 1.1: (filters, input_dim, length, 1)
            weights[0] = _permute(weights[0], (2, 3, 1, 0))
        weights[0] = weights[0][:, 0, :, :]
    elif kind == "Conv2D" and data_format == "channels_first":
        weights[0] = _permute(weights[0], (2, 3, 1, 0))
    elif kind == "Conv2DTranspose":
        # Keras 2 keeps (rows, cols, filters, channels); Keras 1 had channels before filters.
        weights[0] = _permute(weights[0], (0, 1, 3, 2) if data_format == "channels_last" else (2, 3, 0, 1))
    elif kind == "Conv3D" and data_format == "channels_first":
        weights[0] = _permute(weights[0], (2, 3, 4, 1, 0))
    elif kind in _KERAS1_GATES and len(weights) == 3 * len(_KERAS1_GATES[kind]):
        weights = _join_gates(weights, _KERAS1_GATES[kind])
        if kind == "ConvLSTM2D" and data_format == "channels_first":
            weights[0] = _permute(weights[0], (2, 3, 1, 0))
            weights[1] = _permute(weights[1], (2, 3, 1, 0))
    return weights


def _flips_kernels(original_backend: Any) -> bool:
    # Theano convolves (flipped kernels); multinn, like TensorFlow, correlates.
    return original_backend == "theano"


def preprocess_weights_for_loading(
    layer: Any,
    weights: list,
    original_keras_version: "str | None" = None,
    original_backend: "str | None" = None,
    reshape: bool = False,
) -> list:
    """`weights` (arrays saved for `layer`) converted to the layout `layer.set_weights` takes.

    Args:
        layer: the layer (or model) the weights are for.
        weights: the saved arrays, in the saved order.
        original_keras_version: the Keras version that saved them ('1' for Keras 1 layouts).
        original_backend: the backend that saved them ('theano' kernels get flipped).
        reshape: reshape a convolution kernel whose shape differs but size matches.

    Example:
        >>> import numpy as np
        >>> from multinn.layers import GRU
        >>> from multinn.models import Sequential
        >>> layer = GRU(2, input_shape=(3, 5))
        >>> _ = Sequential([layer])
        >>> keras1 = [np.zeros((5, 2)), np.zeros((2, 2)), np.zeros(2)] * 3  # one triple per gate
        >>> [w.shape for w in preprocess_weights_for_loading(layer, keras1, original_keras_version="1")]
        [(5, 6), (2, 6), (6,)]
    """
    from .network import Network

    weights = [_host(w) for w in weights]
    kind = type(layer).__name__
    if kind == "Bidirectional":
        half = len(weights) // 2
        weights = preprocess_weights_for_loading(layer.forward_layer, weights[:half], original_keras_version, original_backend) + (
            preprocess_weights_for_loading(layer.backward_layer, weights[half:], original_keras_version, original_backend)
        )
    elif kind == "TimeDistributed":
        weights = preprocess_weights_for_loading(layer.layer, weights, original_keras_version, original_backend)
    elif isinstance(layer, Network):
        weights = _nested_model(layer, weights, original_keras_version, original_backend)
    if original_keras_version == "1":
        weights = _keras1(layer, weights)
    if kind in _CONV_LAYERS and weights:
        expected = tuple(K.int_shape(layer.weights[0]))
        if _flips_kernels(original_backend):
            flipped = [0, 1] if kind == "ConvLSTM2D" else [0]
            for i in flipped:
                spatial = list(range(len(weights[i].shape) - 2))
                weights[i] = K.eval(K.reverse(K.convert_to_tensor(weights[i]), axes=spatial))
        if tuple(weights[0].shape) != expected:
            if reshape:
                size = 1
                for d in expected:
                    size *= d
                if K.count_params(K.convert_to_tensor(weights[0])) != size:
                    raise ValueError(
                        f"Weights for layer {layer.name!r} cannot be reshaped to {expected}. "
                        f"Received: weights of shape {tuple(weights[0].shape)}"
                    )
                weights[0] = K.eval(K.reshape(K.convert_to_tensor(weights[0]), expected))
            elif len(weights[0].shape) == 4:
                # (filters, channels, rows, cols) saved by a channels-first backend
                weights[0] = _permute(weights[0], (3, 2, 0, 1))
                if kind == "ConvLSTM2D":
                    weights[1] = _permute(weights[1], (3, 2, 0, 1))
    return weights
