"""Graph tensors: what `Input()`, `K.placeholder` and layer or K calls on them return.

multinn has one graph-tensor type. `K.placeholder(shape)` is the tensor of an input layer
of its own, so a K.placeholder graph and a model graph are one graph: K calls on either
record KOperation layers (op_layer.py), K.function runs either (backend_function.py), and
the two mix. K cannot import the engine, so the engine registers this type and its handler
with K's graph hooks (ops/core.py's `symbolic`) when imported, and K.placeholder asks that
handler for the tensor. The one difference Keras 2 makes is kept: `K.is_keras_tensor` is
False for a placeholder and for K calls on placeholders only (`_placeholder_graph`), True
for `Input()` and what layers return.

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

    __slots__ = (
        "_keras_shape", "_keras_history", "_uses_learning_phase", "_keras_mask", "_placeholder_graph", "dtype", "name",
        "sparse", "__weakref__",
    )
    __array_priority__ = 1000  # NumPy defers to our operators: `array * x` builds a layer too

    def __init__(self, shape: tuple, dtype: str, name: "str | None" = None):
        self._keras_shape = tuple(shape)
        self._keras_history = None
        self._uses_learning_phase = False
        self._keras_mask = None
        self._placeholder_graph = False
        self.sparse = False
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

    @property
    def size(self) -> "int | None":
        """The number of entries, None when a size is unknown."""
        n = 1
        for d in self._keras_shape:
            if d is None:
                return None
            n *= d
        return n

    def __repr__(self) -> str:
        layer = self._keras_history[0].name if self._keras_history else None
        named = f" {self.name!r}" if self._placeholder_graph and self.name else ""
        return f"<KerasTensor{named} shape={self._keras_shape} dtype={self.dtype} from layer={layer!r}>"

    def __hash__(self) -> int:
        return id(self)

    def _not_a_value(self, *args: Any, **kwargs: Any):
        raise TypeError(
            f"{self!r} is symbolic: it has no values until the model runs. K functions and operators on it "
            "build graph layers; to get values, make a model or K.function(inputs, [outputs]) and call it on data."
        )

    @property
    def backend(self) -> Any:
        """The backend its values will live on (K's default one)."""
        from multinn import backend as K

        return K.default_backend()

    __array__ = _not_a_value
    numpy = _not_a_value
    item = _not_a_value
    data = property(_not_a_value)
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


def upstream(tensors: Any, stop: "set[int] | frozenset" = frozenset()) -> list:
    """Every graph tensor that `tensors` were computed from, themselves included, each once;
    the walk does not go past tensors whose ids are in `stop`.

    Example:
        >>> import multinn
        >>> x = multinn.Input(shape=(2,))
        >>> y = x * 2 + 1
        >>> [t.shape for t in upstream([y])] == [(None, 2)] * 3
        True
    """
    found, seen = [], set()
    stack = [t for t in tensors if type(t) is KerasTensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        found.append(t)
        if id(t) in stop or t._keras_history is None:
            continue
        layer, node_index, _ = t._keras_history
        stack.extend(layer._inbound_nodes[node_index].input_tensors)
    return found
