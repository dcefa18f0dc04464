"""Every K function, grouped as Keras groups them. Each module lists its public names in `__all__`.

The package's own `__all__` is the union of those lists, so `from .ops import *` gives K
the functions and never the submodules (K.shape is the function, not ops/shape.py).
"""
from . import operators  # noqa: F401  (attaches Python operators to Tensor; first, others rely on them)
from . import indexing, math, state, shape, nn, dense, random, linalg, control, conv, io, function  # noqa: E401
from . import sparse, ctc, ctc_decode, recurrent, einsum, layer_norm  # noqa: E401
from .core import Primitive, primitive

_MODULES = (indexing, math, state, shape, nn, dense, random, linalg, control, conv, io, function, sparse, ctc, ctc_decode,
            recurrent, einsum, layer_norm)
__all__ = sorted({name for module in _MODULES for name in module.__all__}) + ["Primitive", "primitive"]
globals().update({name: getattr(module, name) for module in _MODULES for name in module.__all__})
