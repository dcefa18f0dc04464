"""Layers (Keras 2 API): the Layer base and the catalogue, one module per layer."""
from multinn.engine.base_layer import InputSpec, Layer  # noqa: F401
from multinn.engine.input_layer import Input, InputLayer  # noqa: F401
# Convolutional family (convolutions, pooling, locally connected, spatial reshaping)
from .convolutional import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .local import *  # noqa: F401,F403
from .spatial import *  # noqa: F401,F403
