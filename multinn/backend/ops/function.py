"""K.placeholder and K.function: Keras 2's symbolic style on top of eager K.

A placeholder is a SymbolicTensor (see ops/symbolic.py): K functions called on it record
what they would compute, and `K.function(inputs, outputs)` returns a callable that
replays that record on the values it is given.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Sequence

from .. import config
from ..tensor import Tensor, Variable
from .core import to_tensor
from .symbolic import GRADIENTS, SymbolicTensor, ancestors, is_symbolic, placeholder_probes, replay

__all__ = ["placeholder", "function", "is_placeholder", "Function", "SymbolicTensor"]

# Keras 2 (TensorFlow) passes these on to Session.run; eager K has no session and ignores them.
_SESSION_KWARGS = ("name", "fetches", "feed_dict", "options", "run_metadata", "session_kwargs")


def placeholder(
    shape: "Sequence[int | None] | None" = None,
    ndim: "int | None" = None,
    dtype: Any = None,
    sparse: bool = False,
    name: "str | None" = None,
) -> SymbolicTensor:
    """A symbolic input of known rank: None marks a dimension of unknown size.

    Args:
        shape: the shape, with None for unknown sizes; or None with `ndim`.
        ndim: the rank, all sizes unknown, when `shape` is None.
        dtype: dtype name; floatx when None.
        sparse: accepted for Keras 2 compatibility; fed values are dense.
        name: a name for error messages.

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(None, 2))
        >>> f = K.function([x], [K.sum(x, axis=1)])
        >>> f([[[1.0, 2.0], [3.0, 4.0]]])[0].tolist()
        [3.0, 7.0]
    """
    if shape is None:
        if ndim is None:
            raise ValueError(
                "K.placeholder needs `shape` or `ndim`: multinn tensors have a known rank. "
                "Received: shape=None, ndim=None"
            )
        shape = (None,) * int(ndim)
    elif isinstance(shape, int):
        shape = (shape,)
    shape = tuple(None if d is None else int(d) for d in shape)
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"K.placeholder sizes must be non-negative or None. Received: shape={shape}")
    backend = config.default_backend()
    dt = backend.dtype(dtype or config.floatx())
    from .state import get_uid

    probes = placeholder_probes(shape, dt, backend)
    ph = SymbolicTensor(shape, dt, backend, probes, name=name or f"placeholder_{get_uid('placeholder')}")
    ph.sparse = bool(sparse)
    return ph


def is_placeholder(x: Any) -> bool:
    """True for tensors made by K.placeholder (not for tensors computed from one).

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(ndim=2)
        >>> K.is_placeholder(x), K.is_placeholder(x * 2), K.is_placeholder(K.ones((2,)))
        (True, False, False)
    """
    return is_symbolic(x) and x.op is None


def _check_feed(slot: Any, value: Tensor) -> None:
    got = tuple(value.shape)
    if len(got) != slot.ndim or any(d is not None and d != g for d, g in zip(slot.shape, got)):
        name = getattr(slot, "name", None) or "a tensor"
        raise ValueError(f"Cannot feed a value of shape {got} for {name!r}, which has shape {tuple(slot.shape)}.")


class Function:
    """The callable K.function returns: `f(list_of_values) -> list of NumPy arrays`.

    Outputs are computed from the fed values; then each update (variable, new value)
    is applied, every new value computed before any variable changes.
    """

    def __init__(self, inputs: Sequence[Any], outputs: Any, updates: "Sequence[Any] | None" = None, name: Any = None):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"K.function expects `inputs` to be a list or tuple. Received: inputs={inputs!r}")
        self.inputs = list(inputs)
        self.single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self.single else list(outputs)
        self.updates = [self._update_pair(u) for u in (updates or [])]
        self.name = name
        fed = {id(i) for i in self.inputs if is_symbolic(i) or isinstance(i, Tensor)}
        targets = self.outputs + [value for _, value in self.updates]
        self._order = ancestors(targets, fed)
        for node in self._order:
            if is_placeholder(node) and id(node) not in fed:
                raise ValueError(
                    f"K.function: the outputs depend on placeholder {node.name!r} (shape {node.shape}), "
                    f"which is not among the inputs. Received: inputs={[getattr(i, 'name', i) for i in self.inputs]}"
                )
        # Tensors differentiated by (symbolic K.gradients) are watched: placeholders when fed,
        # intermediate tensors when replay computes them.
        self._watched = set()
        self._needs_recording = False
        for node in self._order:
            if is_symbolic(node) and node.op is GRADIENTS:
                self._needs_recording = True
                self._watched.update(id(a) for a in node.args[1:] if is_symbolic(a))

    @staticmethod
    def _update_pair(update: Any) -> tuple:
        if isinstance(update, (list, tuple)) and len(update) == 2 and isinstance(update[0], Variable):
            return update[0], update[1]
        raise TypeError(f"K.function expects updates as (variable, new_value) pairs. Received: {update!r}")

    def __call__(self, inputs: Sequence[Any]) -> Any:
        from ..autodiff import enable_grad, no_grad
        from .state import learning_phase_scope

        if not isinstance(inputs, (list, tuple)) or len(inputs) != len(self.inputs):
            raise ValueError(
                f"This K.function takes a list of {len(self.inputs)} values, one per input. "
                f"Received: {type(inputs).__name__} of {len(inputs) if isinstance(inputs, (list, tuple)) else 1}"
            )
        memo: dict = {}
        phase = None
        for slot, value in zip(self.inputs, inputs):
            if is_symbolic(slot) or isinstance(slot, Tensor):  # Keras lets any tensor be fed
                t = to_tensor(value, slot.backend, slot.dtype)
                _check_feed(slot, t)
                if id(slot) in self._watched:
                    t = Tensor(t.data, t.backend, None, True)
                memo[id(slot)] = t
            elif isinstance(slot, int) and value in (0, 1):
                phase = int(value)  # K.learning_phase() among the inputs: Keras feeds 0 or 1 there
        with (enable_grad() if self._needs_recording else no_grad()):
            if phase is None:
                replay(self._order, memo, self._watched)
            else:
                with learning_phase_scope(phase):
                    replay(self._order, memo, self._watched)
        results = [self._value(o, memo) for o in self.outputs]
        if self.updates:
            new_values = [self._value(v, memo, as_tensor=True) for _, v in self.updates]
            for (variable, _), value in zip(self.updates, new_values):
                variable.assign(value)
        return results[0] if self.single else results

    @staticmethod
    def _value(x: Any, memo: dict, as_tensor: bool = False) -> Any:
        if is_symbolic(x) or isinstance(x, Tensor):
            x = memo[id(x)]
        if as_tensor:
            return x
        if isinstance(x, Tensor):
            return x.numpy()
        return x


_builders: dict = {}


def register_function_builder(kind: type, builder: Callable) -> None:
    """Lets a library above K make K.function accept its own symbolic tensors.

    When an input or output of K.function is an instance of `kind`, the call returns
    `builder(inputs, outputs, updates)` instead (the engine registers its KerasTensor,
    so that `K.function([model.input], [layer.output])` works as in Keras 2).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.function import register_function_builder
        >>> class Marker: pass
        >>> register_function_builder(Marker, lambda inputs, outputs, updates: "built")
        >>> K.function([Marker()], [])
        'built'
    """
    _builders[kind] = builder


def _builder_for(values: Sequence[Any]) -> "Callable | None":
    for v in values:
        for kind, builder in _builders.items():
            if isinstance(v, kind):
                return builder
    return None


def function(inputs: Sequence[Any], outputs: Any, updates: "Sequence[Any] | None" = None, **kwargs: Any) -> Function:
    """A callable computing `outputs` from values fed for the placeholders in `inputs`.

    Args:
        inputs: list of placeholders (a K.learning_phase() entry is fed 0 or 1).
        outputs: list of tensors computed from them (or one tensor: one array back).
        updates: list of (variable, new_value) pairs applied after each call.
        **kwargs: `name` and Keras 2's Session.run arguments, accepted and ignored.

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(None, 2))
        >>> w = K.variable([[1.0], [2.0]])
        >>> count = K.variable(0.0)
        >>> f = K.function([x], [K.dot(x, w)], updates=[(count, count + 1)])
        >>> f([[[1.0, 1.0]]])[0].tolist(), float(K.get_value(count))
        ([[3.0]], 1.0)
    """
    for key in kwargs:
        if key not in _SESSION_KWARGS:
            close = difflib.get_close_matches(key, _SESSION_KWARGS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"K.function got an unexpected keyword argument {key!r}.{hint}")
    if _builders and isinstance(inputs, (list, tuple)):
        builder = _builder_for(list(inputs) + (list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]))
        if builder is not None:
            return builder(inputs, outputs, updates)
    return Function(inputs, outputs, updates=updates, name=kwargs.get("name"))
