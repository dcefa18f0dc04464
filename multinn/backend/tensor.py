"""Tensor (one backend array plus its place in the autodiff graph) and Variable."""
from __future__ import annotations

from typing import Any

from . import config


class Tensor:
    """An immutable array on one backend.

    Attributes:
        data: the backend array (a NumPy or CuPy ndarray).
        backend: the ArrayBackend that owns `data`.
        node: how this tensor was computed, when that was recorded for autodiff:
            a tuple (primitive, inputs, params); None for leaves.
        needs_grad: whether ops on this tensor are recorded.

    Example:
        >>> from multinn import backend as K
        >>> t = K.constant([[1.0, 2.0]])
        >>> t.shape, str(t.dtype), t.ndim
        ((1, 2), 'float32', 2)
    """

    # seq: the creation order of a recorded tensor (set with its node), which the backward pass follows.
    __slots__ = ("data", "backend", "node", "needs_grad", "seq", "__weakref__")
    __array_priority__ = 1000  # NumPy defers to our operators: np_array * tensor is a Tensor

    def __init__(self, data: Any, backend: Any, node: Any = None, needs_grad: bool = False):
        self.data = data
        self.backend = backend
        self.node = node
        self.needs_grad = needs_grad

    # ------------------------------------------------------------ facts
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self):
        """The values as a NumPy array (copied off the device on CuPy)."""
        return self.backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        array = self.backend.to_numpy(self.data)
        return array if dtype is None else array.astype(dtype)

    def item(self):
        return self.data.item()

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"<{kind} shape={self.shape} dtype={self.dtype} backend={self.backend.name}\n{self.numpy()!r}>"

    def __str__(self) -> str:
        return str(self.numpy())

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __deepcopy__(self, memo):
        return type(self)._copy_for_deepcopy(self)

    @classmethod
    def _copy_for_deepcopy(cls, t):
        return Tensor(t.data.copy(), t.backend)

    # Operators are attached by multinn.backend.ops.operators, which defines them in K terms.


class Variable(Tensor):
    """A mutable, possibly trainable tensor: the weights of a model.

    Args:
        value: initial value (anything K accepts).
        dtype: dtype name; floatx for float input when None.
        name: a name for summaries and saving.
        trainable: whether gradients are taken with respect to it.
        constraint: optional callable applied after each optimizer update.

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([1.0, 2.0], name="v")
        >>> v.assign_add([1.0, 1.0]).numpy().tolist()
        [2.0, 3.0]
    """

    __slots__ = ("name", "trainable", "constraint", "_keras_shape", "__dict__")

    def __init__(self, data: Any, backend: Any, name: "str | None" = None, trainable: bool = True, constraint: Any = None):
        super().__init__(data, backend, None, bool(trainable))
        self.name = name
        self.trainable = bool(trainable)
        self.constraint = constraint

    def __setattr__(self, key, value):
        if key == "trainable":
            object.__setattr__(self, "needs_grad", bool(value))
        object.__setattr__(self, key, value)

    def _coerce(self, value):
        from .ops.core import to_array_on

        array = to_array_on(value, self.backend, self.data.dtype)
        if tuple(array.shape) != tuple(self.data.shape):
            try:
                return self.backend.xp.broadcast_to(array, self.data.shape)
            except ValueError:
                raise ValueError(
                    f"Cannot assign a value of shape {tuple(array.shape)} to variable {self.name!r} of shape {self.shape}."
                ) from None
        return array

    def assign(self, value):
        """Replaces the value in place (the array object is kept; its contents change)."""
        self.data[...] = self._coerce(value)
        return self

    def assign_add(self, value):
        self.data += self._coerce(value)
        return self

    def assign_sub(self, value):
        self.data -= self._coerce(value)
        return self

    @classmethod
    def _copy_for_deepcopy(cls, v):
        return Variable(v.data.copy(), v.backend, v.name, v.trainable, v.constraint)

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={self.dtype} backend={self.backend.name}\n{self.numpy()!r}>"


def floatx_dtype(backend):
    return backend.dtype(config.floatx())
