"""Keras 2.3.1's `keras.backend.numpy_backend`: an eager NumPy reference of K's functions, for
testing K against an independent computation.

It is NOT the backend multinn computes on (K runs on `multinn.backends.numpy_backend` and
`cupy_backend`). Its functions take and return plain NumPy arrays, carry K's names, signatures
and Keras 2.3.1 semantics, and are written as direct formulas and loops, without K, autodiff or
K's kernels (`multinn.backends.reference` holds them; only `backends/` may import NumPy). So
`K.eval(K.f(K.variable(x)))` agreeing with `numpy_backend.f(x)` checks K. It reads K's floatx,
epsilon and image data format.

Example:
    >>> import numpy as np
    >>> from multinn import backend as K
    >>> from multinn.backend import numpy_backend as KNP
    >>> x = np.array([[1.0, -2.0], [3.0, 0.5]])
    >>> bool(np.allclose(K.eval(K.softmax(K.variable(x))), KNP.softmax(x)))
    True
"""
from __future__ import annotations

from multinn.backends import reference as _reference
from multinn.backends import reference_settings as _settings

from . import config as _config

_settings.use(floatx=_config.floatx, epsilon=_config.epsilon, image_data_format=_config.image_data_format)

__all__ = list(_reference.__all__)
globals().update({name: getattr(_reference, name) for name in __all__})
