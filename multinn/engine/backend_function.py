"""K.function's one executor: `K.function(inputs, outputs, updates)` on graph tensors.

Graph tensors (placeholders, `Input()`s, layer outputs, K calls on them) hold no values; the
engine registers this executor with K, which makes the graph from the given inputs to the
given outputs a network and runs it on the values fed. Keras lets any tensor be fed: an
intermediate graph tensor (the graph above it is then not run), or a concrete tensor that the
outputs were computed from. Concrete outputs and update values computed from trainable
variables (`w * 2`) are recomputed on each call, so they follow later changes of `w`.
"""
from __future__ import annotations

from typing import Any, Sequence

from multinn import backend as K
from multinn.backend.ops.symbolic import recompute

from .call_state import no_updates_scope
from .keras_tensor import KerasTensor, upstream
from .network import Network
from .training_utils import to_backend_tensor


def _check_feed(slot: KerasTensor, value: Any) -> None:
    got = tuple(value.shape)
    if len(got) != slot.ndim or any(d is not None and d != g for d, g in zip(slot.shape, got)):
        name = slot.name or "a tensor"
        raise ValueError(f"Cannot feed a value of shape {got} for {name!r}, which has shape {tuple(slot.shape)}.")


class GraphFunction:
    """The callable K.function returns: `f(list_of_values) -> list of NumPy arrays`.

    Outputs are computed from the fed values; then each update (variable, new value) is
    applied, every new value computed before any variable changes. An input that is
    `K.learning_phase()` (an int) takes 0 (test) or 1 (train) for that call.

    Example:
        >>> import multinn
        >>> from multinn import backend as K
        >>> from multinn.layers import Dense
        >>> x = multinn.Input(shape=(2,))
        >>> hidden = Dense(1, kernel_initializer="ones")(x)
        >>> K.function([x], [hidden])([[[1.0, 2.0]]])[0].tolist()
        [[3.0]]
    """

    def __init__(self, inputs: Sequence[Any], outputs: Any, updates: Any = None, name: Any = None):
        self.name = name
        self.single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self.single else list(outputs)
        # (variable, new value) pairs, as Keras 2's hand-written training steps pass them
        # (`[(w, w - lr * g) for w, g in zip(weights, K.gradients(loss, weights))]`): the new values
        # are computed in the same run as the outputs, then assigned, all from the old values.
        self.updates = []
        for update in updates or []:
            if not (isinstance(update, (list, tuple)) and len(update) == 2 and isinstance(update[0], K.Variable)):
                raise TypeError(f"K.function expects updates as (variable, new_value) pairs. Received: {update!r}")
            self.updates.append((update[0], update[1]))
        self.inputs = list(inputs)
        self._kinds = []  # per input: "graph", "tensor" (a concrete tensor fed) or "phase"
        for i, item in enumerate(self.inputs):
            if type(item) is KerasTensor:
                self._kinds.append("graph")
            elif isinstance(item, K.Tensor):
                self._kinds.append("tensor")
            elif isinstance(item, int) and not isinstance(item, bool):
                self._kinds.append("phase")  # K.learning_phase() among the inputs
            else:
                raise TypeError(
                    "K.function takes graph tensors, tensors and K.learning_phase() as inputs. "
                    f"Received: inputs[{i}]={item!r}"
                )
        graph_inputs = [t for t, kind in zip(self.inputs, self._kinds) if kind == "graph"]
        targets = self.outputs + [value for _, value in self.updates]
        self._graph_targets = []
        for t in targets:
            if type(t) is KerasTensor and all(t is not g for g in self._graph_targets):
                self._graph_targets.append(t)
        self._concrete_targets = [t for t in targets if isinstance(t, K.Tensor)]
        self._check_fed(graph_inputs)
        self._network = None
        if self._graph_targets:
            # An explicit name: no default model name is used up.
            self._network = _FunctionGraph(graph_inputs, self._graph_targets, name="k_function")
        self._dtypes = [t.dtype for t in graph_inputs]
        # Fed values go where the graph's weights live, else to the backend it was built in
        # (`with K.backend_scope("cupy"):` around a placeholder graph and its K.function).
        self._feed_backend = next((w.backend for w in self._network.weights), None) if self._network else None
        self._feed_backend = self._feed_backend or K.default_backend()

    def _check_fed(self, graph_inputs: list) -> None:
        fed = {id(t) for t in graph_inputs}
        for t in upstream(self._graph_targets, fed):
            layer = t._keras_history[0] if t._keras_history else None
            if id(t) not in fed and getattr(layer, "is_placeholder", False) is True:
                raise ValueError(
                    f"K.function: the outputs depend on placeholder {t.name!r} (shape {t.shape}), which is not "
                    f"among the inputs. Received: inputs={[getattr(i, 'name', i) for i in self.inputs]}"
                )

    def __call__(self, values: Sequence[Any]) -> Any:
        if not isinstance(values, (list, tuple)) or len(values) != len(self.inputs):
            count = len(values) if isinstance(values, (list, tuple)) else 1
            raise ValueError(
                f"This K.function takes a list of {len(self.inputs)} values, one per input. "
                f"Received: {type(values).__name__} of {count}"
            )
        phase = None
        tensors, fed = [], {}
        backend = self._feed_backend
        for slot, kind, value in zip(self.inputs, self._kinds, values):
            if kind == "phase":
                phase = int(value)
            elif kind == "tensor":
                fed[id(slot)] = to_backend_tensor(value, slot.backend, slot.dtype)
            else:
                t = to_backend_tensor(value, backend, self._dtypes[len(tensors)])
                _check_feed(slot, t)
                tensors.append(t)
        # Keras 2's K.function runs only the updates it is given: no moving statistics change.
        with K.no_grad(), no_updates_scope():
            if phase is None:
                computed = self._run(tensors, fed)
            else:
                with K.learning_phase_scope(phase):
                    computed = self._run(tensors, fed)
        if self.updates:
            new_values = [computed.get(id(value), value) for _, value in self.updates]
            for (variable, _), value in zip(self.updates, new_values):
                K.set_value(variable, value)
        outs = [self._host(computed.get(id(o), o)) for o in self.outputs]
        return outs[0] if self.single else outs

    def _run(self, tensors: list, fed: dict) -> dict:
        """Values of the graph and concrete targets, by id."""
        computed = {}
        if self._network is not None:
            outs = self._network(tensors if len(tensors) != 1 else tensors[0])
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            computed.update((id(t), v) for t, v in zip(self._graph_targets, outs))
        if self._concrete_targets:
            fresh = recompute(self._concrete_targets, fed)
            computed.update((id(t), v) for t, v in zip(self._concrete_targets, fresh))
        return computed

    @staticmethod
    def _host(value: Any) -> Any:
        return value.numpy() if isinstance(value, K.Tensor) else value


class _FunctionGraph(Network):
    """The network K.function runs: its inputs may be any graph tensors, not only `Input()`s."""

    _inputs_anywhere = True
