"""Symbolic tensors: what `Input()` and layer calls on them return.

A KerasTensor holds no values. It records its static shape (`_keras_shape`, None for
unknown dimensions such as the batch) and where it came from (`_keras_history`: the
layer, the index of the node of that layer, and the index of the tensor among the
node's outputs). Models are built from these records; values flow only when a model
is run on real tensors.
"""
from __future__ import annotations

from typing import Any


class KerasTensor:
    """A placeholder in a model graph: a shape, a dtype and its history.

    Example:
        >>> import multinn
        >>> x = multinn.Input(shape=(3,))
        >>> x.shape, x.dtype == "float32"
        ((None, 3), True)
    """

    __slots__ = ("_keras_shape", "_keras_history", "_uses_learning_phase", "_keras_mask", "dtype", "name", "__weakref__")
    __array_priority__ = 1000  # NumPy defers to our operators: `array * x` builds a layer too

    def __init__(self, shape: tuple, dtype: str, name: "str | None" = None):
        self._keras_shape = tuple(shape)
        self._keras_history = None
        self._uses_learning_phase = False
        self._keras_mask = None
        # The backend's dtype object (as a Tensor's), so K functions can ask its kind.
        from multinn import backend as K

        self.dtype = K.default_backend().dtype(str(getattr(dtype, "name", dtype)))
        self.name = name

    @property
    def shape(self) -> tuple:
        return self._keras_shape

    @property
    def ndim(self) -> int:
        return len(self._keras_shape)

    def __repr__(self) -> str:
        layer = self._keras_history[0].name if self._keras_history else None
        return f"<KerasTensor shape={self._keras_shape} dtype={self.dtype} from layer={layer!r}>"

    def __hash__(self) -> int:
        return id(self)

    def _not_a_value(self, *args: Any, **kwargs: Any):
        raise TypeError(
            f"{self!r} is symbolic: it has no values until the model runs. K functions and operators on it "
            "build model layers; to get values, make a model (or K.function) and call it on data."
        )

    @property
    def backend(self) -> Any:
        """The backend its values will live on (K's default one)."""
        from multinn import backend as K

        return K.default_backend()

    __array__ = _not_a_value
    __float__ = _not_a_value
    __bool__ = _not_a_value
    __len__ = _not_a_value
    __iter__ = _not_a_value


# Python operators and indexing are K calls, which record layers on graph tensors (op_layer.py).
def _copy_operators() -> None:
    from multinn.backend import Tensor

    for name in (
        "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
        "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__", "__abs__", "__lt__", "__le__",
        "__gt__", "__ge__", "__and__", "__or__", "__invert__", "__getitem__",
    ):
        setattr(KerasTensor, name, getattr(Tensor, name))


_copy_operators()


def is_symbolic(value: Any) -> bool:
    """True for a KerasTensor or a (nested) list/tuple holding one."""
    if type(value) is KerasTensor:
        return True
    if isinstance(value, (list, tuple)):
        return any(is_symbolic(v) for v in value)
    return False
