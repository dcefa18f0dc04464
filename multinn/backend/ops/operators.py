"""Python operators on Tensor, defined through K functions so they record gradients."""
from __future__ import annotations

from ..tensor import Tensor
from . import math as m
from .indexing import getitem

__all__: list = []


Tensor.__add__ = lambda self, other: m._add(self, other)
Tensor.__radd__ = lambda self, other: m._add(other, self)
Tensor.__sub__ = lambda self, other: m._subtract(self, other)
Tensor.__rsub__ = lambda self, other: m._subtract(other, self)
Tensor.__mul__ = lambda self, other: m._multiply(self, other)
Tensor.__rmul__ = lambda self, other: m._multiply(other, self)
Tensor.__truediv__ = lambda self, other: m._divide(self, other)
Tensor.__rtruediv__ = lambda self, other: m._divide(other, self)
Tensor.__pow__ = lambda self, other: m._pow(self, other)
Tensor.__rpow__ = lambda self, other: m._pow(other, self)
Tensor.__matmul__ = lambda self, other: m.matmul(self, other)
Tensor.__rmatmul__ = lambda self, other: m.matmul(other, self)
Tensor.__neg__ = lambda self: m.negative(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: m.abs(self)
Tensor.__lt__ = lambda self, other: m.less(self, other)
Tensor.__le__ = lambda self, other: m.less_equal(self, other)
Tensor.__gt__ = lambda self, other: m.greater(self, other)
Tensor.__ge__ = lambda self, other: m.greater_equal(self, other)
Tensor.__and__ = lambda self, other: m.logical_and(self, other)
Tensor.__or__ = lambda self, other: m.logical_or(self, other)
Tensor.__invert__ = lambda self: m.logical_not(self)
Tensor.__getitem__ = lambda self, index: getitem(self, index)
# == stays identity-based: Tensors are dict keys in the autodiff and the engine; use K.equal.
