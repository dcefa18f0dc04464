"""The engine: Layer base, symbolic graph, models, training loop, summary and saving."""
from .base_layer import InputSpec, Layer  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .keras_tensor import KerasTensor  # noqa: F401
from .node import Node  # noqa: F401
from .source_inputs import get_source_inputs  # noqa: F401

# Keras 2.3.1's `keras.engine` exports the model classes too.
from .network import Network  # noqa: F401
from .training import Model  # noqa: F401
from .sequential import Sequential  # noqa: F401

from . import op_layer as _op_layer

_op_layer.register()

