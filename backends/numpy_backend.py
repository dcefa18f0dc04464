"""The NumPy (CPU) backend."""
from __future__ import annotations

import numpy

from .base import ArrayBackend


class NumpyBackend(ArrayBackend):
    """CPU arrays through NumPy; BLAS does the matrix products."""

    name = "numpy"
    xp = numpy
    array_type = numpy.ndarray

    def asarray(self, value, dtype=None):
        if hasattr(value, "__cuda_array_interface__") and hasattr(value, "get"):
            value = value.get()
        return numpy.asarray(value, dtype=dtype)

    def to_numpy(self, array):
        return numpy.asarray(array)
