"""K.function on a model's graph tensors: Keras 2's `K.function([model.input], [layer.output])`.

K serves K.function on its own placeholders; graph tensors (KerasTensor) hold no values,
so the engine registers this builder with K: it makes the graph from the given inputs to
the given outputs a network and runs it on the values fed.
"""
from __future__ import annotations

from typing import Any, Sequence

from multinn import backend as K

from .call_state import no_updates_scope
from .keras_tensor import KerasTensor
from .training_utils import to_backend_tensor


class GraphFunction:
    """The callable K.function returns for graph tensors: `f(list_of_values) -> list of NumPy arrays`.

    An input that is `K.learning_phase()` (an int) takes 0 (test) or 1 (train) for that call.

    Example:
        >>> import multinn
        >>> from multinn import backend as K
        >>> from multinn.layers import Dense
        >>> x = multinn.Input(shape=(2,))
        >>> hidden = Dense(1, kernel_initializer="ones")(x)
        >>> K.function([x], [hidden])([[[1.0, 2.0]]])[0].tolist()
        [[3.0]]
    """

    def __init__(self, inputs: Sequence[Any], outputs: Any, updates: Any = None):
        from .network import Network

        self.single = not isinstance(outputs, (list, tuple))
        outputs = [outputs] if self.single else list(outputs)
        # (variable, new value) pairs, as Keras 2's hand-written training steps pass them
        # (`[(w, w - lr * g) for w, g in zip(weights, K.gradients(loss, weights))]`): the new values
        # are computed in the same run as the outputs, then assigned, all from the old values.
        self.updates = []
        for update in updates or []:
            if not (isinstance(update, (list, tuple)) and len(update) == 2 and isinstance(update[0], K.Variable)):
                raise TypeError(f"K.function expects updates as (variable, new_value) pairs. Received: {update!r}")
            self.updates.append((update[0], update[1]))
        graph_updates = [value for _, value in self.updates if isinstance(value, KerasTensor)]
        self._phase_slots = []
        graph_inputs = []
        for i, item in enumerate(inputs):
            if isinstance(item, KerasTensor):
                graph_inputs.append(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                self._phase_slots.append(i)  # K.learning_phase() among the inputs
            else:
                raise TypeError(
                    "K.function on model tensors takes model tensors (and K.learning_phase()) as inputs. "
                    f"Received: inputs[{i}]={item!r}"
                )
        self.inputs = list(inputs)
        self.outputs = outputs
        # An explicit name: no default model name is used up.
        self._network = Network(graph_inputs, outputs + graph_updates, name="k_function")
        self._n_outputs = len(outputs)
        self._dtypes = [t.dtype for t in graph_inputs]

    def __call__(self, values: Sequence[Any]) -> Any:
        if not isinstance(values, (list, tuple)) or len(values) != len(self.inputs):
            count = len(values) if isinstance(values, (list, tuple)) else 1
            raise ValueError(
                f"This K.function takes a list of {len(self.inputs)} values, one per input. "
                f"Received: {type(values).__name__} of {count}"
            )
        phase = None
        tensors = []
        backend = self._backend()
        for i, value in enumerate(values):
            if i in self._phase_slots:
                phase = int(value)
            else:
                tensors.append(to_backend_tensor(value, backend, self._dtypes[len(tensors)]))
        # Keras 2's K.function runs only the updates it is given (none here): no moving statistics change.
        with K.no_grad(), no_updates_scope():
            if phase is None:
                outs = self._network(tensors if len(tensors) != 1 else tensors[0])
            else:
                with K.learning_phase_scope(phase):
                    outs = self._network(tensors if len(tensors) != 1 else tensors[0])
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        if self.updates:
            computed = iter(outs[self._n_outputs:])
            new_values = [next(computed) if isinstance(value, KerasTensor) else value for _, value in self.updates]
            for (variable, _), value in zip(self.updates, new_values):
                K.set_value(variable, value)
        outs = [o.numpy() for o in outs[:self._n_outputs]]
        return outs[0] if self.single else outs

    def _backend(self) -> Any:
        for w in self._network.weights:
            return w.backend
        return K.default_backend()


def _build(inputs: Sequence[Any], outputs: Any, updates: Any) -> GraphFunction:
    return GraphFunction(inputs, outputs, updates)


def register() -> None:
    """Makes K.function serve graph tensors (called once, when the engine is imported)."""
    from multinn.backend.ops.function import register_function_builder

    register_function_builder(KerasTensor, _build)
