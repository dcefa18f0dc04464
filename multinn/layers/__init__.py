"""Layers (Keras 2 API): the Layer base and the catalogue, one module per layer.

`serialize(layer)` gives {'class_name', 'config'}; `deserialize(config, custom_objects)`
rebuilds any layer exported here (models included), or a user's class found in
`custom_objects` / the global custom-object registry.
"""
from typing import Any

from multinn.engine.base_layer import InputSpec, Layer  # noqa: F401
from multinn.engine.input_layer import Input, InputLayer  # noqa: F401
from multinn.engine.layer_registry import deserialize_layer, register_layer_namespace

from .activation import Activation  # noqa: F401
from .activity_regularization import ActivityRegularization  # noqa: F401
from .batch_normalization import BatchNormalization  # noqa: F401
from .dense import Dense  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .elu import ELU  # noqa: F401
from .flatten import Flatten  # noqa: F401
from .identity import Identity  # noqa: F401  (tf.keras 2)
from .lambda_layer import Lambda  # noqa: F401
from .merge import (  # noqa: F401
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
    add, average, concatenate, dot, maximum, minimum, multiply, subtract,
)
from .leaky_relu import LeakyReLU  # noqa: F401
from .permute import Permute  # noqa: F401
from .prelu import PReLU  # noqa: F401
from .relu import ReLU  # noqa: F401
from .repeat_vector import RepeatVector  # noqa: F401
from .reshape import Reshape  # noqa: F401
from .softmax import Softmax  # noqa: F401
from .thresholded_relu import ThresholdedReLU  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .masking import Masking  # noqa: F401
from .noise import AlphaDropout, GaussianDropout, GaussianNoise  # noqa: F401
from .wrappers import TimeDistributed, Wrapper  # noqa: F401

# tf.keras 2 layers: attention and normalization
from .einsum_dense import EinsumDense  # noqa: F401
from .attention import Attention  # noqa: F401
from .additive_attention import AdditiveAttention  # noqa: F401
from .multi_head_attention import MultiHeadAttention  # noqa: F401
from .layer_normalization import LayerNormalization  # noqa: F401
from .group_normalization import GroupNormalization  # noqa: F401
from .unit_normalization import UnitNormalization  # noqa: F401

# tf.keras 2 preprocessing layers
from .preprocessing import CategoryEncoding, Discretization, Hashing, Normalization, Rescaling  # noqa: F401
from .preprocessing import (  # noqa: F401
    CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomHeight, RandomRotation,
    RandomTranslation, RandomWidth, RandomZoom, Resizing,
)
from .preprocessing import IntegerLookup, StringLookup, TextVectorization  # noqa: F401


def serialize(layer: Layer) -> dict:
    """{'class_name': ..., 'config': ...} for `layer`.

    Example:
        >>> serialize(Dense(2))["class_name"]
        'Dense'
    """
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict, custom_objects: "dict | None" = None) -> Layer:
    """The layer (or model) a `serialize` dict describes.

    Classes are looked up in `custom_objects`, then the custom objects in scope, then the
    engine's layer registry (`multinn.engine.layer_registry`), which this package fills with
    its catalogue when imported.

    Example:
        >>> deserialize({"class_name": "Dense", "config": {"units": 3}}).units
        3
    """
    return deserialize_layer(config, custom_objects)


# Convolutional family (convolutions, pooling, locally connected, spatial reshaping)
from .convolutional import *  # noqa: F401,F403,E402
from .pooling import *  # noqa: F401,F403,E402
from .local import *  # noqa: F401,F403,E402
from .spatial import *  # noqa: F401,F403,E402

# Recurrent family (cells, RNN, SimpleRNN, LSTM, GRU, Bidirectional)
from .recurrent import *  # noqa: F401,F403,E402
from .convolutional_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM2DCell, ConvLSTM3D  # noqa: F401,E402
from .wrappers_bidirectional import Bidirectional  # noqa: F401,E402
from .cudnn_recurrent import CuDNNGRU, CuDNNLSTM  # noqa: F401,E402

# Keras 2 kept Keras 1's dilated convolutions as functions (legacy interfaces).
from .legacy_interfaces import AtrousConvolution1D, AtrousConvolution2D  # noqa: E402

from .keras1_dense import Highway, MaxoutDense  # noqa: E402,F401  (Keras 1 layers Keras 2 kept)
from multinn.utils.generic_utils import deserialize_keras_object  # noqa: E402,F401  (Keras 2.3.1 import path)

# The engine reads layer classes by name from this namespace (at lookup time, so every name
# bound above or below counts) when it rebuilds layers from configs.
register_layer_namespace(globals())
