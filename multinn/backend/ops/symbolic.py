"""What K gives the engine's graph tensors: the sizes that stand in for unknown dimensions,
None sizes in shape parameters, and recomputation of concrete tensors.

Graph tensors (the engine's KerasTensor: `Input()`, layer outputs, `K.placeholder`) have
shapes with unknown (None) dimensions. Their output shapes are found by running each K call
(or layer) on stand-in values whose unknown dimensions take two sizes, `PROBE_SIZES`: a
dimension that differs between the two runs is unknown in the output. So every K function,
however it is written, gets an exact output shape without a shape rule of its own.

K functions whose Python code uses sizes cope in two ways:
- reshape and broadcast_to accept None in `shape=` (a size copied from a graph tensor's
  shape); `resolve_shape_param` replaces it from the actual input shape when the graph runs;
- a K function that does arithmetic on sizes is decorated with `core.deferred_on_graph`: the
  whole call is one node, run eagerly when the graph runs (mean, dot, rnn, ...).

Concrete tensors whose computation autodiff recorded (those computed from trainable
variables) and that a graph uses are recomputed when it runs (`recompute`), so
`K.function([x], [x * (w * 2)])` follows later changes to `w`, as in Keras.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..tensor import Tensor

# Sizes that stand in for an unknown dimension in the two shape probes: small for the first
# axis (usually the batch), larger elsewhere so that valid convolutions and a few
# poolings along unknown spatial or time axes still have room.
PROBE_SIZES = ((2, 3), (32, 48))


def probe_shape(shape: tuple, k: int) -> tuple:
    """`shape` with each unknown size replaced by the size of probe `k` (0 or 1).

    Example:
        >>> from multinn.backend.ops.symbolic import probe_shape
        >>> probe_shape((None, 4, None), 0), probe_shape((None, 4, None), 1)
        ((2, 4, 32), (3, 4, 48))
    """
    return tuple(PROBE_SIZES[min(i, 1)][k] if d is None else int(d) for i, d in enumerate(shape))


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


# ------------------------------------------------------------------ recomputing concrete tensors
def ancestors(outputs: Iterable[Any], stop: "set[int] | frozenset" = frozenset()) -> list:
    """The tensors `outputs` were computed from through autodiff's record, themselves included,
    inputs first; traversal stops at ids in `stop`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.symbolic import ancestors
        >>> w = K.variable([1.0])
        >>> [t is w for t in ancestors([w * 2])]
        [True, False]
    """
    order, seen = [], set()
    stack = [(o, False) for o in outputs if isinstance(o, Tensor)]
    while stack:
        value, expanded = stack.pop()
        if expanded:
            order.append(value)
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        stack.append((value, True))
        node = None if id(value) in stop else value.node
        if node is not None:
            stack.extend((a, False) for a in node[1] if isinstance(a, Tensor) and id(a) not in seen)
    return order


def recompute(values: Iterable[Any], fed: "dict | None" = None) -> list:
    """`values` computed again from the current values of the variables they came from.

    A Tensor whose computation autodiff recorded (one computed from trainable variables) is
    recomputed; variables and other tensors are used as they are, and so are results of ops
    autodiff does not record (comparisons, random draws, anything computed from constants or
    non-trainable variables only). `fed` maps ids of tensors to values that replace them.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.symbolic import recompute
        >>> w = K.variable([1.0, 2.0])
        >>> doubled = w * 2
        >>> K.set_value(w, [5.0, 6.0])
        >>> recompute([doubled])[0].numpy().tolist()
        [10.0, 12.0]
    """
    values = list(values)
    fed = fed or {}
    memo = dict(fed)
    for value in ancestors(values, set(fed)):
        if id(value) in memo:
            continue
        node = value.node
        if node is None:
            memo[id(value)] = value
            continue
        op, args, params = node
        memo[id(value)] = op(*[memo[id(a)] if isinstance(a, Tensor) else a for a in args], **params)
    return [memo.get(id(v), v) for v in values]


def needs_recompute(value: Any) -> bool:
    """Whether `recompute` would compute `value` again (a tensor computed from trainable variables)."""
    return isinstance(value, Tensor) and value.node is not None
