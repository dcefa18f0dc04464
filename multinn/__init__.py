"""multinn: Keras 2's API on NumPy and CuPy.

Example:
    >>> import multinn
    >>> from multinn.layers import Dense
    >>> model = multinn.Sequential([Dense(1, input_shape=(2,))])
    >>> model.output_shape
    (None, 1)
"""
__version__ = "0.1.0"

from . import backend  # noqa: E402,F401
from . import layers  # noqa: E402,F401
from . import models  # noqa: E402,F401
from .engine.input_layer import Input  # noqa: E402,F401
from .engine.sequential import Sequential  # noqa: E402,F401
from .engine.training import Model  # noqa: E402,F401
from . import activations, callbacks, constraints, initializers, losses, metrics, optimizers, regularizers, utils  # noqa: E402,F401
from . import preprocessing  # noqa: E402,F401
from . import wrappers  # noqa: E402,F401
