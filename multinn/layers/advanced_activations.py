"""Keras 2's import path `keras.layers.advanced_activations` (each layer lives in its own module)."""
from .elu import ELU  # noqa: F401
from .leaky_relu import LeakyReLU  # noqa: F401
from .prelu import PReLU  # noqa: F401
from .relu import ReLU  # noqa: F401
from .softmax import Softmax  # noqa: F401
from .thresholded_relu import ThresholdedReLU  # noqa: F401
