"""Symbolic tensors: what K.placeholder returns, and what K functions return when given one.

K is eager, so a placeholder cannot hold values. Instead, a primitive called with a
symbolic argument records a node (primitive, arguments, parameters) and returns a new
symbolic tensor; K.function later replays the nodes on the values it is fed.

Shapes may have unknown (None) dimensions. Each symbolic tensor carries two small
concrete "probe" values, computed by running the real forward on dummy inputs whose
unknown dimensions take two different sizes; a dimension that differs between the
probes is unknown in the output. So every K function, however it is written, gets an
exact output shape without a shape rule of its own. (A dimension that the forward
shrinks to the same size from both probe sizes, e.g. after many poolings, is reported
as known.)

Two ways to cope with K functions whose Python code uses sizes:
- reshape and broadcast_to accept None in `shape=` (a size copied from a placeholder's
  shape); it is resolved from the actual input shape at probe time and at replay;
- a K function that does arithmetic on sizes guards itself after `to_tensor`:
  `if not isinstance(x, Tensor): return symbolic.defer(this_function, x, **kwargs)`,
  which records the whole call as one node, run eagerly at replay (mean, dot, rnn, ...).

Concrete tensors whose computation autodiff recorded (those computed from trainable
variables) are recomputed at replay too, so `w * 2` follows later changes to `w`.
"""
from __future__ import annotations

from typing import Any, Iterable

from ...compat import add_note
from ..tensor import Tensor
from .core import symbolic

# Sizes that stand in for an unknown dimension in the two probes: small for the first
# axis (usually the batch), larger elsewhere so that valid convolutions and a few
# poolings along unknown spatial or time axes still have room.
PROBE_SIZES = ((2, 3), (32, 48))


class SymbolicTensor:
    """A value known by shape and dtype only, until K.function feeds it.

    Attributes:
        shape: a tuple of ints, None for unknown dimensions.
        dtype: the backend dtype.
        backend: the backend its values will live on.
        name: a name for error messages.
        op, args, params: how it is computed (None for a placeholder).

    Example:
        >>> from multinn import backend as K
        >>> x = K.placeholder(shape=(None, 3))
        >>> K.int_shape(K.sum(x * 2, axis=1, keepdims=True))
        (None, 1)
    """

    __array_priority__ = 1000  # NumPy defers to our operators

    def __init__(self, shape, dtype, backend, probes, op=None, args=(), params=None, name=None):
        self._shape = tuple(shape)
        self.dtype = dtype
        self.backend = backend
        self.probes = probes
        self.op = op
        self.args = tuple(args)
        self.params = params or {}
        self.name = name or (f"{op.name}_output" if op is not None else "placeholder")

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def _keras_shape(self) -> tuple:
        # Keras 2 code reads a graph tensor's static shape here (K.int_shape does too).
        return self._shape

    @property
    def size(self) -> "int | None":
        n = 1
        for d in self._shape:
            if d is None:
                return None
            n *= d
        return n

    def _no_values(self, *_args, **_kwargs):
        raise TypeError(
            f"{self.name!r} is symbolic (a K.placeholder or computed from one): it has no values. "
            "Evaluate it with K.function(inputs, [outputs])(values)."
        )

    data = property(_no_values)
    numpy = _no_values
    __array__ = _no_values
    __bool__ = _no_values
    __float__ = _no_values
    __int__ = _no_values
    __index__ = _no_values
    item = _no_values

    def __len__(self) -> int:
        if not self._shape or self._shape[0] is None:
            raise TypeError(f"len() of symbolic {self.name!r} with shape {self._shape} is unknown.")
        return self._shape[0]

    def __iter__(self):
        for i in range(len(self)):  # without this, Python would iterate by indexing until the probes ran out
            yield self[i]

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<SymbolicTensor {self.name!r} shape={self._shape} dtype={self.dtype} backend={self.backend.name}>"


# The same Python operators as Tensor: they are K calls, which record nodes here.
for _name in (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__", "__abs__", "__lt__", "__le__",
    "__gt__", "__ge__", "__and__", "__or__", "__invert__", "__getitem__",
):
    setattr(SymbolicTensor, _name, getattr(Tensor, _name))


def is_symbolic(x: Any) -> bool:
    return isinstance(x, SymbolicTensor)


def placeholder_probes(shape: tuple, dtype, backend) -> tuple:
    """Two dummy values for a placeholder: 0.5 for floats (safe under log, sqrt, 1/(1-x)), 0 else."""
    xp = backend.xp
    fill = 0.5 if dtype.kind in "fc" else 0
    probes = []
    for k in (0, 1):
        dims = tuple(PROBE_SIZES[min(i, 1)][k] if d is None else d for i, d in enumerate(shape))
        probes.append(Tensor(xp.full(dims, fill, dtype=dtype), backend))
    if probes[0].shape == probes[1].shape:
        probes[1] = probes[0]
    return tuple(probes)


# ------------------------------------------------------------------ resolving None in shape parameters
def _resolve_shape(target: tuple, known: tuple, actual: tuple, broadcast: bool) -> tuple:
    """Replaces each None in `target` with a size, given the input's symbolic and actual shapes.

    broadcast_to aligns shapes on the right, so a None takes the input's actual size
    there. For reshape, a single None becomes -1 (inferred from the size, always
    right); otherwise a None inside a leading or trailing run of sizes copied from
    the input takes the input's size at that place, and a last one is left to -1.
    """
    out = list(target)
    n, m = len(target), len(known)
    if broadcast:
        return tuple(actual[i - (n - m)] if d is None and i >= n - m else d for i, d in enumerate(target))
    missing = [i for i, d in enumerate(target) if d is None]
    if len(missing) == 1 and -1 not in target:
        out[missing[0]] = -1
        return tuple(out)
    for i in missing:
        if i < m and tuple(target[: i + 1]) == tuple(known[: i + 1]):
            out[i] = actual[i]
        elif n - i <= m and tuple(target[i:]) == tuple(known[m - (n - i):]):
            out[i] = actual[m - (n - i)]
        else:
            out[i] = -1
    return tuple(out)


def resolve_shape_param(op: Any, params: dict, known: tuple, actual: tuple) -> dict:
    """`params` with each None in its `shape=` (reshape, broadcast_to) replaced by a size,
    given the first input's graph shape `known` and its shape `actual` when run."""
    shape = params.get("shape")
    if not isinstance(shape, tuple) or None not in shape:
        return params
    resolved = dict(params)
    resolved["shape"] = _resolve_shape(shape, tuple(known), tuple(actual), getattr(op, "name", "") == "broadcast_to")
    return resolved


def resolve_params(op: Any, params: dict, args: tuple, concrete: list) -> dict:
    shape = params.get("shape")
    if not isinstance(shape, tuple) or None not in shape or not args:
        return params
    first = args[0]
    known = first.shape if is_symbolic(first) else tuple(getattr(first, "shape", ()))
    return resolve_shape_param(op, params, known, tuple(getattr(concrete[0], "shape", ())))


# ------------------------------------------------------------------ recording
def _backend(args: Iterable[Any]):
    for a in args:
        if is_symbolic(a) or isinstance(a, Tensor):
            return a.backend
    raise TypeError("A symbolic node needs at least one tensor argument.")


def _probe(op, args: tuple, params: dict, k: int, aligned: bool = False):
    concrete = [_aligned_probe(a, args, k) if aligned else a.probes[k] if is_symbolic(a) else a for a in args]
    return op(*concrete, **resolve_params(op, params, args, concrete))


def _aligned_probe(a: Any, args: tuple, k: int) -> Any:
    """Probe k of `a`, its unknown sizes replaced by the size another argument has at the same
    place counted from the right, as broadcasting aligns shapes: `K.ones((4, 2)) + x` with x of
    shape (None, None) then probes x as (4, 2), where the usual probe sizes would not broadcast."""
    if not is_symbolic(a):
        return a
    probe = a.probes[k]
    if None not in a.shape or not isinstance(probe, Tensor):
        return probe
    known: dict = {}
    for other in args:
        if is_symbolic(other) or isinstance(other, Tensor):
            for offset, d in enumerate(reversed(other.shape)):
                if d is not None and d != 1:
                    known.setdefault(offset, d)
    n = len(a.shape)
    dims = tuple(known.get(n - 1 - i, probe.shape[i]) if d is None else d for i, d in enumerate(a.shape))
    return Tensor(a.backend.xp.full(dims, 0.5 if a.dtype.kind in "fc" else 0, dtype=a.dtype), a.backend)


def record(op, args: tuple, params: dict) -> Any:
    """The symbolic result of `op(*args, **params)`; runs the forward on the probes to learn its shape.

    An op returning a list or tuple gives a list of symbolic tensors.
    """
    from ..autodiff import no_grad

    backend = _backend(args)
    args = tuple(args)
    twin = all(a.probes[0] is a.probes[1] for a in args if is_symbolic(a))
    try:
        with no_grad(), symbolic.probe_scope():
            try:
                first = _probe(op, args, params, 0)
                second = first if twin else _probe(op, args, params, 1)
            except Exception as unaligned:
                try:
                    first = _probe(op, args, params, 0, aligned=True)
                    second = first if twin else _probe(op, args, params, 1, aligned=True)
                except Exception:
                    raise unaligned from None
    except Exception as error:
        shapes = [a.shape for a in args if is_symbolic(a) or isinstance(a, Tensor)]
        add_note(
            error,
            f"(while inferring the output shape of K op {getattr(op, 'name', op)!r} on symbolic inputs of "
            f"shapes {shapes}; unknown dimensions were probed with sizes {PROBE_SIZES})",
        )
        raise
    if isinstance(first, (list, tuple)):  # several results: a hidden node, then one node per entry
        whole = SymbolicTensor((), None, backend, (first, second), op, args, params, name=op.name)
        return [record(_PICK, (whole,), {"index": i}) for i in range(len(first))]
    if first.ndim != second.ndim:
        raise ValueError(f"K op {op.name!r}: the rank of its output depends on the values of its inputs.")
    shape = tuple(a if a == b else None for a, b in zip(first.shape, second.shape))
    return SymbolicTensor(shape, first.dtype, backend, (first, second), op, args, params)


class _Deferred:
    """Op of a node that runs a whole K function at replay (and on the probes)."""

    def __init__(self, fn, kwargs: dict):
        self.fn = fn
        self.kwargs = kwargs
        self.name = getattr(fn, "__name__", "deferred")

    def __call__(self, *args):
        return self.fn(*args, **self.kwargs)


class _Pick:
    """Op that takes entry `index` of a list-valued node."""

    name = "pick"

    def __call__(self, values, index):
        return values[index]


_PICK = _Pick()


def defer(fn, *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` recorded as one node, for K functions that need concrete shapes.

    Symbolic values may appear among `args` (not inside lists). A function returning
    a list or tuple of tensors gives a list of symbolic tensors.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.symbolic import defer
        >>> x = K.placeholder(shape=(None, 4))
        >>> K.int_shape(defer(K.mean, x, axis=0))
        (4,)
    """
    return record(_Deferred(fn, kwargs), args, {})




# ------------------------------------------------------------------ replay
def node_of(x: Any) -> "tuple | None":
    """(op, args, params) for a value K.function recomputes on each call; None for leaves.

    Symbolic tensors are recomputed, and so are concrete tensors whose computation
    autodiff recorded (those computed from trainable variables): K.function([x], [w * 2])
    reads w when called, as in Keras. Variables and other tensors are used as they are,
    and so are results of ops autodiff does not record (comparisons, argmax, random
    draws, anything computed from constants or non-trainable variables only).
    """
    if is_symbolic(x):
        return None if x.op is None else (x.op, x.args, x.params)
    if isinstance(x, Tensor):
        return x.node
    return None


def ancestors(outputs: Iterable[Any], stop: "set[int]") -> list:
    """The values `outputs` depend on, inputs first; traversal stops at ids in `stop`."""
    order, seen = [], set()
    stack = [(o, False) for o in outputs if is_symbolic(o) or isinstance(o, Tensor)]
    while stack:
        value, expanded = stack.pop()
        if expanded:
            order.append(value)
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        stack.append((value, True))
        node = None if id(value) in stop else node_of(value)
        if node is not None:
            stack.extend((a, False) for a in node[1] if (is_symbolic(a) or isinstance(a, Tensor)) and id(a) not in seen)
    return order


def replay(order: list, memo: dict, watched: "set[int] | frozenset" = frozenset()) -> dict:
    """Computes every value of `order` (topologically sorted) not already in `memo`.

    A value whose id is in `watched` (an intermediate tensor that a symbolic K.gradients
    differentiates by) is made to need a gradient even when nothing it came from does.
    """
    for value in order:
        if id(value) in memo:
            continue
        node = node_of(value)
        if node is None:
            if is_symbolic(value):
                raise ValueError(f"No value was fed for placeholder {value.name!r} (shape {value.shape}).")
            memo[id(value)] = value
            continue
        op, args, params = node
        concrete = [memo[id(a)] if is_symbolic(a) or isinstance(a, Tensor) else a for a in args]
        out = op(*concrete, **resolve_params(op, params, args, concrete))
        if id(value) in watched and isinstance(out, Tensor) and not out.needs_grad:
            out = Tensor(out.data, out.backend, None, True)  # computed from constants: a leaf of the gradient
        memo[id(value)] = out
    return memo


# ------------------------------------------------------------------ symbolic gradients
class _Gradients:
    """Op of the hidden node behind symbolic K.gradients: all gradients of args[0] wrt args[1:].

    Replayed with recording on (K.function arranges it), so the loss computed just
    before it carries its graph.
    """

    name = "gradients"

    def __call__(self, loss, *targets, create_graph=False):
        from ..autodiff import gradients
        from .math import zeros_like

        grads = gradients(loss, list(targets), create_graph=create_graph)
        return [zeros_like(t) if g is None else g for g, t in zip(grads, targets)]


GRADIENTS = _Gradients()


def symbolic_gradients(loss: SymbolicTensor, variables: Any) -> Any:
    """K.gradients of a symbolic loss: symbolic gradients (None where unconnected, as in Keras)."""
    single = not isinstance(variables, (list, tuple))
    targets = [variables] if single else list(variables)
    for t in targets:
        if not (is_symbolic(t) or isinstance(t, Tensor)):
            raise TypeError(
                f"K.gradients expects Tensors, Variables or placeholders to differentiate by. Received: {t!r}"
            )
    upstream = ancestors([loss], set())
    reached = {id(n) for n in upstream}
    for node in upstream:
        if is_symbolic(node) and node.op is GRADIENTS:
            node.params["create_graph"] = True  # differentiated again: its backward must be recorded
    group = SymbolicTensor(
        (), loss.dtype, loss.backend, (None, None), GRADIENTS, (loss, *targets), {"create_graph": False},
        name="gradients",
    )
    out = []
    for i, t in enumerate(targets):
        if id(t) not in reached:
            out.append(None)
            continue
        probes = t.probes if is_symbolic(t) else (t, t)
        out.append(SymbolicTensor(t.shape, t.dtype, t.backend, probes, _PICK, (group,), {"index": i}))
    return out  # a list even for one target, as eager K.gradients


class _PlaceholderGraph:
    """K.placeholder's handler for the graph-tensor hooks in ops/core.py."""

    record = staticmethod(record)
    defer = staticmethod(defer)
    gradients = staticmethod(symbolic_gradients)


symbolic.register(SymbolicTensor, _PlaceholderGraph())
