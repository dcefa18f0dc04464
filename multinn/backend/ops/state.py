"""Creating tensors and variables, reading and writing their values, and global state."""
from __future__ import annotations

import collections
import contextlib
import contextvars
import sys
import threading
from typing import Any, Callable, Sequence

from .. import config
from ..context_scope import ContextVarScope
from ..tensor import Tensor, Variable
from .core import Primitive, backend_of, deferred_on_graph, symbolic, to_array_on, to_tensor
from .sparse import SparseTensor, from_matrix, is_sparse_matrix, to_dense

__all__ = [
    "name_scope", "control_dependencies",
    "variable", "constant", "is_tensor", "is_variable", "is_keras_tensor", "is_sparse", "shape", "int_shape", "get_variable_shape",
    "ndim", "dtype", "eval", "get_value", "set_value", "batch_get_value", "batch_set_value", "zeros", "ones",
    "eye", "identity", "count_params", "cast", "cast_to_floatx", "update", "update_add", "update_sub",
    "moving_average_update", "print_tensor", "clear_session", "get_uid", "reset_uids", "learning_phase",
    "set_learning_phase", "learning_phase_scope", "in_train_phase", "in_test_phase", "to_numpy", "convert_to_tensor",
    "arange", "size",
]


def _dtype_name(dtype: Any) -> str:
    return config.floatx() if dtype is None else str(getattr(dtype, "name", dtype))


def variable(value: Any, dtype: Any = None, name: "str | None" = None, constraint: Any = None, trainable: bool = True) -> Variable:
    """A Variable holding a copy of `value` on the default backend (or the backend of a tensor value).

    Args:
        value: array-like initial value.
        dtype: dtype name; floatx when None (integer host data keeps floatx too, as in Keras).
        name: optional name.
        constraint: optional projection applied after optimizer updates.

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([[1, 2], [3, 4]], name="w")
        >>> (v.name, K.int_shape(v), K.dtype(v))
        ('w', (2, 2), 'float32')
    """
    if is_sparse_matrix(value):
        # As Keras 2's TensorFlow backend: a sparse matrix becomes a SparseTensor, not a Variable.
        return from_matrix(value, _dtype_name(dtype))
    backend = backend_of((value,))
    array = to_array_on(value, backend, _dtype_name(dtype))
    if isinstance(value, Tensor) or not backend.owns(array) and array is value:
        array = array.copy()
    else:
        array = backend.xp.array(array, copy=True)
    v = Variable(array, backend, name=name or f"variable_{get_uid('variable')}", trainable=trainable, constraint=constraint)
    v._remember_written(value)  # a scalar hyperparameter made from a Python number is known without a read
    return v


def constant(value: Any, dtype: Any = None, shape: Any = None, name: Any = None) -> Tensor:
    """A constant tensor; a scalar `value` with `shape` fills that shape.

    Example:
        >>> from multinn import backend as K
        >>> K.constant(2.0, shape=(2,)).numpy().tolist()
        [2.0, 2.0]
    """
    backend = backend_of((value,))
    array = to_array_on(value, backend, _dtype_name(dtype))
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if array.size == 1:
            array = backend.xp.full(shape, array.reshape(()), dtype=array.dtype)
        else:
            array = array.reshape(shape)
    return Tensor(array, backend)


def convert_to_tensor(value: Any, dtype: Any = None) -> Tensor:
    """Wraps `value` as a Tensor without copying where it can (floatx for host floats)."""
    return to_tensor(value, dtype=dtype)


def to_numpy(x: Any):
    """The values of `x` as a NumPy array (from either backend)."""
    if isinstance(x, Tensor):
        return x.numpy()
    return to_tensor(x).numpy()


def is_tensor(x: Any) -> bool:
    """True for K tensors and variables."""
    return isinstance(x, Tensor)


def is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def is_keras_tensor(x: Any) -> bool:
    """True for the engine's graph tensors from `Input` or a layer call on one; False for
    K.placeholder and K calls on placeholders only, as in Keras 2.

    Raises ValueError for values that are not tensors at all, as Keras 2 does.
    """
    if getattr(x, "_keras_history", None) is not None:
        return not getattr(x, "_placeholder_graph", False)
    if not isinstance(x, Tensor) and not symbolic.any(x):
        raise ValueError(f"Unexpectedly found an instance of type {type(x)!r}. Expected a symbolic tensor instance.")
    return False


def is_sparse(x: Any) -> bool:
    """True for a SparseTensor (from `K.variable` of a sparse matrix).

    Example:
        >>> from multinn import backend as K
        >>> K.is_sparse(K.ones((2, 2)))
        False
    """
    return isinstance(x, SparseTensor)


def shape(x: Any) -> tuple:
    """The shape of `x` (eager: a tuple of ints)."""
    return tuple(to_tensor(x).shape) if not hasattr(x, "_keras_shape") else tuple(x._keras_shape)


def int_shape(x: Any) -> tuple:
    """The shape as a tuple of ints (None for unknown dimensions of symbolic tensors)."""
    if hasattr(x, "_keras_shape"):
        return tuple(x._keras_shape)
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(to_tensor(x).shape)


def get_variable_shape(x: Any) -> tuple:
    """The shape of a variable as a tuple of ints (Keras 2's older name for `int_shape`).

    Example:
        >>> from multinn import backend as K
        >>> K.get_variable_shape(K.variable([[1.0, 2.0, 3.0]]))
        (1, 3)
    """
    return int_shape(x)


def ndim(x: Any) -> int:
    return len(int_shape(x))


def size(x: Any) -> int:
    n = 1
    for d in int_shape(x):
        n *= d
    return n


_DTYPE_NAMES: dict = {}  # dtype object -> its name (NumPy computes `.name` in Python each time)


def dtype(x: Any) -> str:
    """The dtype as a string, e.g. 'float32'."""
    d = getattr(x, "dtype", None)
    if d is None:
        d = to_tensor(x).dtype
    name = _DTYPE_NAMES.get(d)
    if name is None:
        name = _DTYPE_NAMES[d] = str(getattr(d, "name", d))
    return name


def _snapshot(x: Any):
    """The values of `x` as a NumPy array that later in-place updates of `x` leave alone.

    On a host backend `to_numpy` may hand back the variable's own array; optimizers
    update that array in place, so a saved value (model.get_weights(), EarlyStopping's
    best weights) would silently follow training. Keras returns copies; so do we.
    """
    if isinstance(x, SparseTensor):
        return to_dense(x).numpy()
    value = to_numpy(x)
    # Only variables change in place; other tensors are immutable and need no copy.
    if isinstance(x, Variable) and (value is x.data or getattr(value, "base", None) is x.data):
        value = value.copy()
    return value


def eval(x: Any):
    """The value of `x` as a NumPy array (a copy, unaffected by later updates of `x`)."""
    return _snapshot(x)


def get_value(x: Any):
    """The value of a variable as a NumPy array (a copy, unaffected by later updates of `x`).

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([1.0])
        >>> before = K.get_value(v)
        >>> _ = v.assign_add([1.0])
        >>> before.tolist(), K.get_value(v).tolist()
        ([1.0], [2.0])
    """
    return _snapshot(x)


def batch_get_value(ops: Sequence[Any]) -> list:
    """The values of several tensors as NumPy arrays (copies)."""
    return [_snapshot(x) for x in ops]


def set_value(x: Variable, value: Any) -> None:
    """Sets a variable's value from host data or a tensor (shape must match)."""
    if not isinstance(x, Variable):
        raise TypeError(f"K.set_value expects a Variable. Received: x={x!r}")
    x.assign(value)


def batch_set_value(tuples: Sequence[tuple]) -> None:
    for x, value in tuples:
        set_value(x, value)


def _fill(fill: Callable, shape, dtype, name):
    backend = config.default_backend()
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    return variable(fill(backend.xp)(shape, dtype=_dtype_name(dtype)), dtype=dtype, name=name)


def zeros(shape: Any, dtype: Any = None, name: Any = None) -> Variable:
    """A variable of zeros (Keras 2 returns variables here)."""
    return _fill(lambda xp: xp.zeros, shape, dtype, name)


def ones(shape: Any, dtype: Any = None, name: Any = None) -> Variable:
    """A variable of ones."""
    return _fill(lambda xp: xp.ones, shape, dtype, name)


def eye(size: Any, dtype: Any = None, name: Any = None) -> Variable:
    """An identity-matrix variable; `size` is n or (rows, cols)."""
    backend = config.default_backend()
    rows, cols = (size, size) if isinstance(size, int) else tuple(size)
    return variable(backend.xp.eye(int(rows), int(cols), dtype=_dtype_name(dtype)), dtype=dtype, name=name)


_identity = Primitive("identity", lambda b, x: x.copy(), lambda dy, y, x: (dy,))


def identity(x: Any, name: Any = None) -> Tensor:
    """A tensor with the same content as `x` (differentiable)."""
    return _identity(x)


def count_params(x: Any) -> int:
    """Number of scalars in `x`."""
    return size(x)


def _cast_fwd(b, x, dtype):
    return x.astype(dtype)


def _cast_grad(dy, y, x, dtype):
    if x.dtype.kind != "f":
        return (None,)
    return (cast(dy, x.dtype),)


_cast = Primitive("cast", _cast_fwd, _cast_grad)


def cast(x: Any, dtype: Any) -> Tensor:
    """Casts to `dtype` (differentiable between float types)."""
    x = to_tensor(x)
    if x.dtype == dtype:
        return x
    return _cast(x, dtype=x.backend.dtype(dtype))


def cast_to_floatx(x: Any):
    """Host data cast to floatx, as a NumPy array (Keras 2 semantics)."""
    return to_numpy(cast(x, config.floatx()))


def update(x: Variable, new_x: Any) -> Variable:
    """Sets `x` to `new_x` in place and returns it."""
    return x.assign(new_x)


def update_add(x: Variable, increment: Any) -> Variable:
    return x.assign_add(increment)


def update_sub(x: Variable, decrement: Any) -> Variable:
    return x.assign_sub(decrement)


def moving_average_update(x: Variable, value: Any, momentum: float) -> Variable:
    """x = x * momentum + value * (1 - momentum), in place (Keras 2's moving statistics)."""
    from .autodiff_free import detached

    v = detached(value, x.backend)
    x.data *= momentum
    x.data += v.astype(x.dtype, copy=False) * (1 - momentum)
    return x


@deferred_on_graph
def print_tensor(x: Any, message: str = "") -> Any:
    """Prints `message` and the value of `x`, then returns `x` unchanged.

    On a graph tensor (a K.placeholder or a value computed from one) the printing happens
    each time the graph runs, as in Keras 2, not when the graph is built.

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(1, 2))
        >>> f = K.function([x], [K.print_tensor(x, "x is")])
        >>> _ = f([[[1.0, 2.0]]])
        x is [[1. 2.]]
    """
    if not symbolic.probing:  # a graph's shape probe runs it on stand-in values: stay silent there
        print(message, to_numpy(x), file=sys.stdout)
    return x


# Shared by all threads, as in Keras (layer names stay unique in the process); the lock makes
# two threads creating layers at once draw different numbers.
_uids: collections.defaultdict = collections.defaultdict(int)
_uids_lock = threading.Lock()


def get_uid(prefix: str = "") -> int:
    """A counter per prefix, starting at 1 (used for default layer names), shared by all threads."""
    with _uids_lock:
        _uids[prefix] += 1
        return _uids[prefix]


def reset_uids() -> None:
    with _uids_lock:
        _uids.clear()


# None: not set, the default (test) phase and the engine's own phases apply. Per thread and per
# asyncio task, so one thread's fit (phase 1) never turns Dropout on in another's predict; a new
# thread starts unset, Keras's default, whatever the thread that started it had set.
_learning_phase: contextvars.ContextVar = contextvars.ContextVar("multinn_learning_phase", default=None)


def learning_phase() -> int:
    """0 for test, 1 for train (0 unless set or inside training), in this thread.

    Example:
        >>> from multinn import backend as K
        >>> K.learning_phase()
        0
        >>> with K.learning_phase_scope(1):
        ...     K.learning_phase()
        1
    """
    phase = _learning_phase.get()
    return 0 if phase is None else phase


def global_learning_phase_is_set() -> bool:
    """Whether a learning phase is fixed (by `set_learning_phase` or inside `learning_phase_scope`)
    rather than left at its default (tf.keras 2's name).

    fit, evaluate and predict use their own phase (1, 0, 0) only while none is fixed: in Keras 2
    a fixed phase holds in them (`set_learning_phase(1)` keeps Dropout active in predict).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.state import global_learning_phase_is_set
        >>> global_learning_phase_is_set()
        False
        >>> with K.learning_phase_scope(1):
        ...     global_learning_phase_is_set()
        True
    """
    return _learning_phase.get() is not None


def set_learning_phase(value: int) -> None:
    """Fixes the learning phase (0: test, 1: train) until `clear_session()`; fit, evaluate and
    predict then run in it too, as in Keras 2.

    The phase belongs to the calling thread (or asyncio task): other threads, and threads
    started later, keep the default (not set).

    Example:
        >>> from multinn import backend as K
        >>> with K.learning_phase_scope(0):  # restores the unset phase on exit, as clear_session() would
        ...     K.set_learning_phase(1)
        ...     K.learning_phase()
        1
        >>> K.learning_phase()
        0
    """
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")
    _learning_phase.set(value)


class learning_phase_scope(ContextVarScope):
    """Fixes the learning phase within the scope, in this thread only, and restores the previous
    state (set or not) after.

    Example:
        >>> from multinn import backend as K
        >>> with K.learning_phase_scope(1):
        ...     K.learning_phase()
        1
        >>> K.learning_phase()
        0
    """

    __slots__ = ("_value",)
    variable = _learning_phase

    def __init__(self, value: int):
        if value not in (0, 1):
            raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")
        self._value = 1 if value else 0  # an int: the scope compares values by identity


@contextlib.contextmanager
def name_scope(name: str):
    """Keras 2's graph name scope; eager K names nothing, so the block just runs.

    Example:
        >>> from multinn import backend as K
        >>> with K.name_scope("encoder"):
        ...     float(K.sum(K.ones((2,))))
        2.0
    """
    yield


@contextlib.contextmanager
def control_dependencies(control_inputs: Any):
    """Keras 2's "run these first" scope; eager K has already run `control_inputs`, in order.

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable(1.0)
        >>> with K.control_dependencies([K.update_add(v, 1.0)]):
        ...     float(K.get_value(v))
        2.0
    """
    yield


def clear_session() -> None:
    """Resets the name counters (for all threads) and this thread's learning phase to its
    default, not set (eager: no graph to drop)."""
    reset_uids()
    _learning_phase.set(None)
    for backend in _active_backends():
        backend.free_memory()


def _active_backends():
    from multinn import backends as registry

    return list(registry._instances.values())


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the training phase, else `alt`; callables are called only when chosen."""
    if training is None:
        training = learning_phase()
    chosen = x if bool(training) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the test phase, else `alt`."""
    return in_train_phase(alt, x, training=training)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str = "int32") -> Tensor:
    """Integers from start to stop (Keras 2: one argument means the stop; default int32)."""
    backend = config.default_backend()
    if stop is None:
        start, stop = 0, start
    return Tensor(backend.xp.arange(start, stop, step, dtype=dtype), backend)
