"""Tensor (one backend array plus its place in the autodiff graph) and Variable."""
from __future__ import annotations

import struct
from typing import Any

from . import config

# struct formats of the IEEE float widths, by item size: Python rounds to them as the arrays do.
_FLOAT_FORMATS = {2: "<e", 4: "<f", 8: "<d"}


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
    __slots__ = ("data", "backend", "node", "needs_grad", "seq", "_phase_flag", "__weakref__")
    __array_priority__ = 1000  # NumPy defers to our operators: np_array * tensor is a Tensor

    @property
    def _uses_learning_phase(self) -> bool:
        """Keras 2's mark of a layer output whose values followed the learning phase (dropout
        run with `training` unset). Kept only where a layer sets it; False otherwise."""
        return getattr(self, "_phase_flag", False)

    @_uses_learning_phase.setter
    def _uses_learning_phase(self, value: bool) -> None:
        self._phase_flag = bool(value)

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

    # _host: (array, number) when `number` is known to be the value of the one-element `array`
    # (see host_value); None when unknown.
    __slots__ = ("name", "trainable", "constraint", "_keras_shape", "_host", "__dict__")

    def __init__(self, data: Any, backend: Any, name: "str | None" = None, trainable: bool = True, constraint: Any = None):
        super().__init__(data, backend, None, bool(trainable))
        self.name = name
        self.trainable = bool(trainable)
        self.constraint = constraint

    def __setattr__(self, key, value):
        if key == "trainable":
            object.__setattr__(self, "needs_grad", bool(value))
        elif key == "data":
            # Every rebinding, `v.data += x` included, may change the value.
            object.__setattr__(self, "_host", None)
        object.__setattr__(self, key, value)

    def host_value(self):
        """The value of this one-element variable as a Python number, read from the device only
        when it may have changed since it was last read or written.

        On a GPU each read is a copy to the host that waits for all queued work, so code that
        needs a scalar variable on the host every step (an optimizer's learning rate and step
        count) reads it here. Writes through `assign`, `assign_add`, `assign_sub`, K.set_value,
        K.batch_set_value, K.update* and rebinding `v.data` are all seen; writing a Python number
        costs no read at all. Writes into the array behind the variable's back (`v.data[...] = x`,
        a kernel writing into `v.data`) are not seen: rebind (`v.data = v.data`) after those.

        Example:
            >>> from multinn import backend as K
            >>> v = K.variable(0.5)
            >>> v.host_value()
            0.5
            >>> _ = v.assign_add(0.25)
            >>> v.host_value()
            0.75
        """
        known = self._host
        if known is not None and known[0] is self.data:
            return known[1]
        if self.data.size != 1:
            raise ValueError(
                f"host_value() needs a variable of one element. Received: {self.name!r} of shape {self.shape}"
            )
        value = self.item()
        object.__setattr__(self, "_host", (self.data, value))
        return value

    def note_host_value(self, value) -> None:
        """Records `value` as the current value of this one-element variable, for a caller that has
        just written it into `self.data` in place and knows what it wrote (an optimizer's step
        counter): the next `host_value()` then reads nothing.

        Example:
            >>> from multinn import backend as K
            >>> step = K.variable(3, dtype="int64")
            >>> step.data += 1
            >>> step.note_host_value(4)
            >>> step.host_value()
            4
        """
        object.__setattr__(self, "_host", (self.data, value))

    def _remember_written(self, value) -> None:
        """After `value` was written into the whole array: keep it as the host value when Python can
        tell exactly what the array now holds, else forget the host value."""
        known = None
        if self.data.size == 1:
            number = _stored_number(value, self.data.dtype, self.backend)
            if number is not None:
                known = (self.data, number)
        object.__setattr__(self, "_host", known)

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
        if isinstance(value, Tensor) and value.data is self.data:
            return self  # onto itself (K.function's update of an optimizer's `iterations`): nothing changes
        self.data[...] = self._coerce(value)
        self._remember_written(value)
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


def _stored_number(value, dtype, backend):
    """What `.item()` gives after the Python or NumPy number `value` is written into an array of
    `dtype`; None when Python cannot tell for sure (other values, other dtypes, overflow)."""
    if type(value) not in (int, float):
        value = backend.python_scalar(value)
        if type(value) not in (int, float):
            return None
    if dtype.kind == "f":
        fmt = _FLOAT_FORMATS.get(dtype.itemsize)
        # Integers past 2**24 may round differently on the way from int to float.
        if fmt is None or (type(value) is int and abs(value) > 2**24):
            return None
        try:
            return struct.unpack(fmt, struct.pack(fmt, value))[0]
        except OverflowError:  # the array holds inf here; let a read tell
            return None
    if dtype.kind in "iu" and type(value) is int:
        bits = 8 * dtype.itemsize
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if dtype.kind == "i" else (0, 2**bits)
        return value if low <= value < high else None
    return None


def floatx_dtype(backend):
    return backend.dtype(config.floatx())
