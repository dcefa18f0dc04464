"""K: the backend interface the whole multinn stack is written against.

`from multinn import backend as K` gives Keras 2's backend functions with eager
meaning, on NumPy or CuPy, with reverse-mode autodiff.

Example:
    >>> from multinn import backend as K
    >>> w = K.variable([[1.0, -2.0]])
    >>> loss = K.sum(K.abs(w)) * 0.5
    >>> [g.numpy().tolist() for g in K.gradients(loss, [w])]
    [[[0.5, -0.5]]]
"""
from .config import (
    backend,
    backend_scope,
    default_backend,
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from .tensor import Tensor, Variable
from .ops import *  # noqa: F401,F403
from .ops import Primitive, primitive
from .autodiff import GradientTape, enable_grad, gradients, is_recording, no_grad, stop_gradient
from .gradcheck import check_gradients, numerical_gradient
from .common import eager, symbolic
from . import load_backend  # noqa: F401  (Keras 2.3.1's `keras.backend.load_backend`)
