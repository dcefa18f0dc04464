"""Control flow K functions: switch, rnn, map_fn, foldl, foldr (Keras 2 names, eager meaning).

Each is a Python loop or choice over K functions, so gradients flow through it.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..tensor import Tensor
from .core import deferred_on_graph, symbolic, to_tensor
from .indexing import getitem, stack
from .math import reshape, transpose, where

__all__ = ["switch", "rnn", "map_fn", "foldl", "foldr"]


def _ndim(x: Any) -> int:
    return x.ndim if isinstance(x, Tensor) or symbolic.any(x) else to_tensor(x).ndim


def _bool(x: Any):
    from .state import cast

    x = to_tensor(x)
    return x if x.dtype == bool else cast(x, "bool")


def _align(condition: Any, ndim: int):
    """A lower-rank condition lines up with the leading axes (Keras 2 / TF 1 `where`)."""
    extra = ndim - condition.ndim
    return reshape(condition, tuple(condition.shape) + (1,) * extra) if extra > 0 else condition


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """`then_expression` where `condition` holds, else `else_expression`.

    A scalar condition picks one branch (callables are called only when picked);
    a tensor condition selects elementwise, a lower-rank one applying along the
    leading axes, as in Keras 2.

    Example:
        >>> from multinn import backend as K
        >>> K.switch(K.constant([True, False], dtype="bool"), K.ones((2, 2)), K.zeros((2, 2))).numpy().tolist()
        [[1.0, 1.0], [0.0, 0.0]]
        >>> K.switch(True, lambda: 1.0, lambda: 2.0)
        1.0
    """
    cond_ndim = _ndim(condition)
    if cond_ndim == 0 and not symbolic.any(condition):
        chosen = then_expression if bool(condition) else else_expression
        return chosen() if callable(chosen) else chosen
    then_value = then_expression() if callable(then_expression) else then_expression
    else_value = else_expression() if callable(else_expression) else else_expression
    expr_ndim = max(_ndim(then_value), _ndim(else_value))
    if cond_ndim > expr_ndim:
        raise ValueError(
            "Rank of `condition` should be less than or equal to rank of `then_expression` and "
            f"`else_expression`. Received: ndim(condition)={cond_ndim}, ndim(then_expression)={expr_ndim}"
        )
    return where(_align(_bool(condition), expr_ndim), then_value, else_value)


def _unstack(x: Any, start: int = 0, stop: "int | None" = None) -> list:
    """x[start], ..., x[stop - 1] along axis 0.

    Halving before indexing keeps the backward pass O(T log T): each step's gradient
    is scattered into its half, not into the whole sequence.
    """
    stop = x.shape[0] if stop is None else stop
    count = stop - start
    if count <= 4:
        return [getitem(x, i) for i in range(start, stop)]
    mid = (start + stop) // 2
    left = getitem(x, slice(start, mid))
    right = getitem(x, slice(mid, stop))
    return _unstack(left, 0, mid - start) + _unstack(right, 0, stop - mid)


def _step_mask(mask_t: Any, like: Any):
    """A (batch,) mask shaped to broadcast over `like` (batch, ...)."""
    return reshape(mask_t, (-1,) + (1,) * (like.ndim - 1))


@deferred_on_graph
def rnn(
    step_function: Callable,
    inputs: Any,
    initial_states: Sequence[Any],
    go_backwards: bool = False,
    mask: Any = None,
    constants: "Sequence[Any] | None" = None,
    unroll: bool = False,
    input_length: "int | None" = None,
):
    """Iterates `step_function` over the time axis (axis 1) of `inputs`.

    Args:
        step_function: `(input_t, states + constants) -> (output_t, new_states)`,
            with input_t of shape (batch, ...) and a list of states.
        inputs: tensor of shape (batch, time, ...), at least 3D.
        initial_states: list of tensors (batch, ...).
        go_backwards: iterate from the last step to the first (outputs come out in
            that order too, as in Keras 2).
        mask: (batch, time) or (batch, time, 1); where it is false the step keeps
            the previous states and repeats the previous output (zeros at first).
        constants: extra tensors appended to the states passed to every step.
        unroll, input_length: accepted for Keras 2 compatibility; eager execution
            always runs the loop step by step.

    Returns:
        (last_output, outputs, new_states): last_output (batch, ...), outputs
        (batch, time, ...), new_states the list of final states.

    Example:
        >>> from multinn import backend as K
        >>> step = lambda x, states: (x + states[0], [x + states[0]])
        >>> last, outputs, states = K.rnn(step, K.ones((2, 3, 1)), [K.zeros((2, 1))])
        >>> last.numpy().tolist(), outputs.shape
        ([[3.0], [3.0]], (2, 3, 1))
    """
    inputs = to_tensor(inputs)
    if inputs.ndim < 3:
        raise ValueError(
            f"K.rnn: input should be at least 3D (batch, time, ...). Received: inputs with shape {inputs.shape}"
        )
    steps = inputs.shape[1]
    xs = _unstack(transpose(inputs, (1, 0) + tuple(range(2, inputs.ndim))))
    masks = None
    if mask is not None:
        mask = _bool(mask)
        if mask.ndim == 3:
            mask = reshape(mask, (-1, steps)) if mask.shape[2] == 1 else mask
        if mask.ndim != 2:
            raise ValueError(f"K.rnn: mask should have shape (batch, time). Received: mask with shape {mask.shape}")
        masks = _unstack(transpose(mask, (1, 0)))
    order = list(range(steps))
    if go_backwards:
        order.reverse()
    constants = list(constants or [])
    states = list(initial_states)
    outputs = []
    for t in order:
        output, new_states = step_function(xs[t], states + constants)
        new_states = list(new_states)
        if masks is not None:
            previous = outputs[-1] if outputs else 0.0
            output = where(_step_mask(masks[t], output), output, previous)
            new_states = [where(_step_mask(masks[t], new), new, old) for new, old in zip(new_states, states)]
        outputs.append(output)
        states = new_states
    if not outputs:
        raise ValueError("K.rnn needs at least one time step. Received: inputs with 0 steps")
    return outputs[-1], stack(outputs, axis=1), states


@deferred_on_graph
def map_fn(fn: Callable, elems: Any, name: Any = None, dtype: Any = None) -> Tensor:
    """fn applied to each entry of `elems` along axis 0, the results stacked.

    Example:
        >>> from multinn import backend as K
        >>> K.map_fn(lambda row: K.sum(row), K.ones((3, 2))).numpy().tolist()
        [2.0, 2.0, 2.0]
    """
    from .state import cast

    elems = to_tensor(elems)
    results = [fn(e) for e in _unstack(elems)]
    out = stack(results, axis=0)
    return out if dtype is None else cast(out, dtype)


def _fold(fn: Callable, items: list, initializer: Any, name: str):
    if initializer is None:
        if not items:
            raise ValueError(f"K.{name} of an empty tensor needs an initializer. Received: initializer=None")
        acc, items = items[0], items[1:]
    else:
        acc = initializer
    for item in items:
        acc = fn(acc, item)
    return acc


@deferred_on_graph
def foldl(fn: Callable, elems: Any, initializer: Any = None, name: Any = None) -> Any:
    """Reduces `elems` along axis 0 from the first entry: fn(fn(init, e0), e1) ...

    Without an initializer the first entry starts the accumulation.

    Example:
        >>> from multinn import backend as K
        >>> K.foldl(lambda acc, x: acc * 10 + x, K.constant([1.0, 2.0, 3.0])).numpy().tolist()
        123.0
    """
    return _fold(fn, _unstack(to_tensor(elems)), initializer, "foldl")


@deferred_on_graph
def foldr(fn: Callable, elems: Any, initializer: Any = None, name: Any = None) -> Any:
    """Reduces `elems` along axis 0 from the last entry: fn(fn(init, e_last), ...).

    Example:
        >>> from multinn import backend as K
        >>> K.foldr(lambda acc, x: acc * 10 + x, K.constant([1.0, 2.0, 3.0])).numpy().tolist()
        321.0
    """
    return _fold(fn, _unstack(to_tensor(elems))[::-1], initializer, "foldr")
