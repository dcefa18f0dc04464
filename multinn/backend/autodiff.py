"""Reverse-mode autodiff over the graph that primitive calls record.

Recording is on by default and costs nothing where no input needs a gradient
(constants, non-trainable weights, `K.no_grad()`). Whether it is on is per thread (and asyncio
task): a `K.no_grad()` block in one thread leaves another's recording on. Each recorded tensor holds its
inputs, so a graph lives exactly as long as the tensors computed from it.
"""
from __future__ import annotations

import heapq
from typing import Any

from .context_scope import ContextVarScope
from .ops.core import deferred_on_graph, recording, symbolic, to_tensor
from .tensor import Tensor


class _RecordingScope(ContextVarScope):
    """Sets recording on or off inside the block, for this thread (or asyncio task) only."""

    __slots__ = ()
    variable = recording
    _value = True


class no_grad(_RecordingScope):
    """Turns recording off inside the block: results carry no graph.

    Only in the thread (or asyncio task) that enters it: other threads keep recording.

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([1.0])
        >>> with K.no_grad():
        ...     y = v * 2
        >>> y.node is None
        True
    """

    __slots__ = ()
    _value = False


class enable_grad(_RecordingScope):
    """Turns recording back on inside the block (e.g. within `no_grad`).

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([1.0])
        >>> with K.no_grad(), K.enable_grad():
        ...     y = v * 2
        >>> y.node is None
        False
    """

    __slots__ = ()
    _value = True


def is_recording() -> bool:
    """Whether K calls in this thread record a graph for `K.gradients` (False inside `K.no_grad()`).

    Each thread and asyncio task has its own setting; a new thread starts recording.

    Example:
        >>> from multinn import backend as K
        >>> with K.no_grad():
        ...     K.is_recording()
        False
        >>> K.is_recording()
        True
    """
    return recording.get()


@deferred_on_graph
def stop_gradient(variables: Any) -> Any:
    """Returns the same values cut from the graph (a list in, a list out, as in Keras).

    Example:
        >>> from multinn import backend as K
        >>> v = K.variable([3.0])
        >>> K.gradients(K.sum(v * K.stop_gradient(v)), [v])[0].numpy().tolist()
        [3.0]
    """
    if isinstance(variables, (list, tuple)):
        return [stop_gradient(v) for v in variables]
    t = to_tensor(variables)
    return Tensor(t.data, t.backend)


def gradients(loss: Any, variables: Any, output_gradients: Any = None, create_graph: bool = False) -> Any:
    """Gradients of `loss` (summed, if not a scalar) with respect to `variables`.

    Args:
        loss: a Tensor computed from the variables while recording was on.
        variables: one Tensor/Variable or a list of them.
        output_gradients: the gradient flowing into `loss` (ones when None).
        create_graph: record the backward pass too, so the result can be
            differentiated again (higher-order gradients).

    Returns:
        A list with one gradient per variable, also for a single variable (as
        Keras 2's `K.gradients(loss, x)[0]` expects); None for a variable `loss`
        does not depend on, as in Keras.

    Example:
        >>> from multinn import backend as K
        >>> w = K.variable([1.0, -2.0])
        >>> K.gradients(K.sum(K.square(w)), [w])[0].numpy().tolist()
        [2.0, -4.0]
    """
    if symbolic.types and isinstance(loss, symbolic.types):
        return symbolic.gradients(loss, variables)  # a graph tensor: gradients the graph computes when run
    targets = [variables] if isinstance(variables, Tensor) else list(variables)
    if not isinstance(loss, Tensor):
        raise TypeError(f"K.gradients expects `loss` to be a Tensor. Received: loss={loss!r}")
    for v in targets:
        if not isinstance(v, Tensor):
            raise TypeError(f"K.gradients expects Tensors or Variables to differentiate by. Received: {v!r}")
    target_ids = {id(v) for v in targets}
    grads: dict = {}
    if loss.needs_grad or id(loss) in target_ids:
        if output_gradients is None:
            seed = Tensor(loss.backend.xp.ones_like(loss.data), loss.backend)
        else:
            seed = to_tensor(output_gradients, loss.backend, loss.dtype)
        grads[id(loss)] = seed
        # Newest first: a tensor is created after all of its inputs, so by the time the
        # heap yields it every consumer has passed its gradient on (no separate sort pass).
        pending = [(-loss.seq, loss)] if loss.node is not None else []
        with (enable_grad() if create_graph else no_grad()):
            while pending:
                t = heapq.heappop(pending)[1]
                key = id(t)
                g = grads.get(key) if key in target_ids else grads.pop(key)
                prim, inputs, params = t.node
                in_grads = prim.grad(g, t, *inputs, **params)
                for inp, gi in zip(inputs, in_grads):
                    if gi is None or not isinstance(inp, Tensor) or not inp.needs_grad:
                        continue
                    k = id(inp)
                    previous = grads.get(k)
                    if previous is not None:
                        grads[k] = previous + gi
                        continue
                    grads[k] = gi
                    if inp.node is not None:
                        heapq.heappush(pending, (-inp.seq, inp))
    return [grads.get(id(v)) for v in targets]


class GradientTape:
    """Records operations inside its block so that `tape.gradient` can differentiate them.

    Variables are watched automatically when trainable; `tape.watch(t)` adds any tensor.

    Example:
        >>> from multinn import backend as K
        >>> x = K.constant([3.0])
        >>> with K.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.gradient(y, x).numpy().tolist()
        [6.0]
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: list = []
        self._previous = None
        self._used = False

    def __enter__(self) -> "GradientTape":
        self._previous = recording.get()
        recording.set(True)
        return self

    def __exit__(self, *exc) -> None:
        recording.set(self._previous)

    def watch(self, tensor: Any) -> None:
        tensors = tensor if isinstance(tensor, (list, tuple)) else [tensor]
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch expects Tensors. Received: {t!r}")
            if not t.needs_grad:
                t.needs_grad = True
                self._watched.append(t)

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None) -> Any:
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can compute gradients only once; use persistent=True.")
        self._used = True
        result = gradients(target, sources, output_gradients=output_gradients)
        if isinstance(sources, Tensor):
            result = result[0]
        if not self.persistent:
            self._release()
        return result

    def _release(self) -> None:
        for t in self._watched:
            if t.node is None:
                t.needs_grad = False
        self._watched = []

    def __del__(self):
        self._release()
