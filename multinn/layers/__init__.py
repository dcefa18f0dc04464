"""Layers (Keras 2 API): the Layer base and the catalogue, one module per layer."""
from multinn.engine.base_layer import InputSpec, Layer  # noqa: F401
from multinn.engine.input_layer import Input, InputLayer  # noqa: F401
