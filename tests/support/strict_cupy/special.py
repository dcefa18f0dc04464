"""`cupyx.scipy.special` of the stand-in: the functions the backend uses."""
from __future__ import annotations

import math

import numpy as _np

from .core import ndarray, wrap

try:
    from scipy.special import erf as _erf
except ImportError:  # SciPy is a test extra; the slow path keeps the stand-in usable without it
    _erf = _np.vectorize(math.erf, otypes=[float])


def erf(x, out=None):
    """The error function, elementwise (float16/32 in, same dtype out, as CuPy's kernel)."""
    if type(x) is not ndarray:
        raise TypeError(f"Unsupported type {type(x)}")
    result = _np.asarray(_erf(x._a))
    if x.dtype.kind == "f":
        result = result.astype(x.dtype, copy=False)
    if out is not None:
        out._a[...] = result
        return out
    return wrap(result)
