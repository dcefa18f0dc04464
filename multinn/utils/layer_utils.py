"""Keras 2.3.1's `keras.utils.layer_utils`: parameter counts, the summary table, and kernel
conversions between data formats and between Theano's and TensorFlow's convolutions."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.source_inputs import get_source_inputs  # noqa: F401
from multinn.engine.summary import count_params, print_summary  # noqa: F401

from .conv_utils import convert_kernel

# the layers whose kernels Keras 2.3.1's convert_all_kernels_in_model flips
_CONV_CLASSES = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose")


def convert_all_kernels_in_model(model: Any) -> None:
    """Flips the spatial axes of every convolution kernel of `model` (Conv1D, Conv2D, Conv3D,
    Conv2DTranspose), converting weights between Theano's convolution and cross-correlation.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.models import Sequential
        >>> from multinn.layers import Conv1D
        >>> model = Sequential([Conv1D(1, 3, use_bias=False, input_shape=(5, 1))])
        >>> model.layers[0].set_weights([K.eval(K.reshape(K.arange(3.0), (3, 1, 1)))])
        >>> convert_all_kernels_in_model(model)
        >>> model.layers[0].get_weights()[0].ravel().tolist()
        [2.0, 1.0, 0.0]
    """
    updates = [(layer.kernel, convert_kernel(K.get_value(layer.kernel)))
               for layer in model.layers if type(layer).__name__ in _CONV_CLASSES]
    K.batch_set_value(updates)


def convert_dense_weights_data_format(dense: Any, previous_feature_map_shape: tuple,
                                      target_data_format: str = "channels_first") -> None:
    """Reorders the rows of a Dense kernel that follows a Flatten, for a model whose feature
    maps change data format.

    Args:
        dense: the Dense layer after the Flatten.
        previous_feature_map_shape: the feature map's shape (without the batch axis) in
            `target_data_format`.
        target_data_format: 'channels_first' (the kernel was trained on channels-last maps)
            or 'channels_last' (the other way round).

    Example:
        >>> from multinn.layers import Dense
        >>> dense = Dense(1, use_bias=False)
        >>> dense.build((None, 4))
        >>> dense.set_weights([K.eval(K.reshape(K.arange(4.0), (4, 1)))])
        >>> convert_dense_weights_data_format(dense, (2, 1, 2), "channels_first")
        >>> dense.get_weights()[0].ravel().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    if target_data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `target_data_format` argument must be 'channels_first' or 'channels_last'. "
            f"Received: target_data_format={target_data_format!r}"
        )
    weights = dense.get_weights()
    kernel = weights[0]
    rows, units = kernel.shape
    if target_data_format == "channels_first":
        channels, height, width = previous_feature_map_shape
        source_shape, order = (height, width, channels), (2, 0, 1, 3)
    else:
        height, width, channels = previous_feature_map_shape
        source_shape, order = (channels, height, width), (1, 2, 0, 3)
    with K.no_grad():
        maps = K.reshape(K.convert_to_tensor(kernel), source_shape + (units,))
        converted = K.reshape(K.permute_dimensions(maps, order), (rows, units))
    dense.set_weights([K.eval(converted)] + list(weights[1:]))
