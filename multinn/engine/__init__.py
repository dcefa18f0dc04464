"""The engine: Layer base, symbolic graph, models, training loop, summary and saving."""
from .base_layer import InputSpec, Layer  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .keras_tensor import KerasTensor  # noqa: F401
from .node import Node  # noqa: F401

from . import backend_function as _backend_function

_backend_function.register()
