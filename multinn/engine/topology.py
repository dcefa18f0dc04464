"""Keras 2's import path `keras.engine.topology`: the engine's public classes."""
from .base_layer import InputSpec, Layer  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .node import Node  # noqa: F401
from .network import Network  # noqa: F401
from .source_inputs import get_source_inputs  # noqa: F401
