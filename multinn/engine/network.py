"""Network: a graph of layers (functional API) or a subclassed model, usable as a layer.

A graph network is made from symbolic tensors: `Network(inputs, outputs)` walks the
Nodes back from `outputs` to `inputs`, orders them, and turns the walk into a flat
execution plan over numbered slots, so running the model on real tensors is one
Python loop over layer calls. Call-time keyword arguments recorded in the graph
(`training=True`, ...) are replayed on every run.

Without `inputs`/`outputs`, a Network is subclassed: the user defines `call`, and the
layers assigned as attributes are its layers.
"""
from __future__ import annotations

import copy
import functools
import json
from typing import Any

from multinn import backend as K
from .layer_registry import deserialize_layer, register_layer
from .legacy import legacy_support
from .legacy_interfaces import MODEL

from . import call_state
from .base_layer import Layer, check_weight_shape, to_list, unpack_singleton
from .conditions import condition_of, same_condition
from .input_layer import InputLayer
from .keras_tensor import KerasTensor, is_symbolic
from .saving import json_default
from .source_inputs import get_source_inputs  # noqa: F401  (Keras 2.3.1's import path)
from .shape_inference import infer_output_shape


class NotAGraphTensorError(ValueError, TypeError):
    """A model's input or output that is no graph tensor: Keras 2.3.1 raised ValueError, earlier
    multinn TypeError; both catch it."""


def _node_key(layer: Layer, node_index: int) -> str:
    return f"{layer.name}_ib-{node_index}"



def _own_node_index(layer: Any, index: int) -> int:
    """A config's node index as a position in `layer._inbound_nodes`: Keras numbers a nested
    model's calls from 1 (its node 0 links its own inputs to its outputs), multinn from 0."""
    return index - 1 if isinstance(layer, Network) and index > 0 else index

@register_layer
class Network(Layer):
    """A model as a layer: functional (`Network(inputs, outputs)`) or subclassed (override `call`).

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> x = multinn.Input(shape=(3,))
        >>> model = multinn.Model(x, Dense(2)(x))
        >>> model.predict([[1.0, 2.0, 3.0]]).shape
        (1, 2)
    """

    @legacy_support(MODEL)  # Keras 1's Model(input=..., output=...)
    def __init__(self, *args: Any, **kwargs: Any):
        if len(args) == 2 or ("inputs" in kwargs and "outputs" in kwargs) or (len(args) == 1 and "outputs" in kwargs):
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) == 2 else kwargs.pop("outputs")
            self._init_graph_network(inputs, outputs, **kwargs)
        else:
            if args:
                raise TypeError(
                    f"{type(self).__name__}() takes `inputs` and `outputs` (or no positional arguments, for a "
                    f"subclassed model). Received: {len(args)} positional arguments"
                )
            self._init_subclassed_network(**kwargs)

    # K.function's network (backend_function.py) may be fed intermediate graph tensors.
    _inputs_anywhere = False

    def _base_init(self, name: "str | None", trainable: bool = True, dtype: Any = None) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._is_graph_network = False
        self._graph_layers = []
        self.inputs = []
        self.outputs = []
        self._input_layers = []
        self._output_layers = []
        self._network_nodes = set()
        self._plan = []
        # (kind, graph tensor, metric) computed beside the outputs on every run: the losses and
        # metrics added as graph tensors (`add_loss(K.mean(...))`, `add_metric(K.sum(y))`).
        self._hidden = []
        self._records_gradients = False
        self.supports_masking = False

    def _init_subclassed_network(
        self, name: "str | None" = None, trainable: bool = True, dtype: Any = None, **kwargs: Any
    ) -> None:
        from multinn.utils import generic_utils

        generic_utils.check_kwargs(kwargs, ("name", "trainable", "dtype"), f"{type(self).__name__}.__init__()")
        self._base_init(name, trainable, dtype)
        self._built = False

    # ------------------------------------------------------------------ graph
    def _init_graph_network(self, inputs: Any, outputs: Any, name: "str | None" = None, trainable: bool = True) -> None:
        self._base_init(name, trainable)
        self._set_graph(inputs, outputs)

    def _set_graph(self, inputs: Any, outputs: Any) -> None:
        """Makes this network the graph from `inputs` to `outputs` (also used to rebuild a Sequential)."""
        call_state.structure_changed()
        self._is_graph_network = True
        inputs = to_list(inputs, allow_tuple=True)
        outputs = to_list(outputs, allow_tuple=True)
        for kind, tensors in (("input", inputs), ("output", outputs)):
            for t in tensors:
                if type(t) is not KerasTensor or t._keras_history is None:
                    raise NotAGraphTensorError(
                        f"{kind.capitalize()} tensors to a Model must come from `multinn.Input` or from layers called on "
                        f"them. Received: {kind}s={t!r} (missing previous layer metadata)."
                    )
        for t in inputs:
            if not isinstance(t._keras_history[0], InputLayer) and not self._inputs_anywhere:
                raise ValueError(
                    f"Input tensors to a Model must come from `multinn.Input`. Received: {t!r} (produced by layer "
                    f"{t._keras_history[0].name!r})."
                )
        if len({id(t) for t in inputs}) != len(inputs):
            raise ValueError(f"The list of inputs passed to the model is redundant: all inputs should only appear once. Received: {inputs}")
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self._input_layers = [t._keras_history[0] for t in inputs]
        self._output_layers = [t._keras_history[0] for t in outputs]
        self._output_coordinates = [t._keras_history for t in outputs]
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._build_graph()
        hidden = self._collect_hidden()
        if hidden:
            self._hidden = hidden
            self._build_graph()
        self._built = True

    def _collect_hidden(self) -> list:
        """The losses and metrics this network and its layers added as graph tensors
        (`layer.add_loss(K.mean(layer.output))`) that its inputs determine; nested networks
        compute their own."""
        own = set(id(t) for t in self.inputs)
        found = []
        for layer in [self] + [layer for layer in self._layers if not isinstance(layer, Network)]:
            entries = [("loss", t, None) for t in layer.__dict__.get("_symbolic_losses", [])]
            entries += [("metric", t, m) for t, m in layer.__dict__.get("_symbolic_metrics", [])]
            for kind, t, metric in entries:
                if layer is self or all(id(s) in own for s in _source_inputs(t)):
                    found.append((kind, t, metric))
        return found

    def _add_hidden(self, key: str, what: str) -> None:
        """Checks the graph tensor just added by add_loss/add_metric and runs it from now on."""
        added = self.__dict__.get(key, [])
        if not self._is_graph_network or not added:
            return
        last = added[-1][0] if key == "_symbolic_metrics" else added[-1]
        if any(t is last for _, t, _ in self._hidden):
            return
        missing = [s for s in _source_inputs(last) if all(s is not i for i in self.inputs)]
        if missing:
            added.pop()
            raise ValueError(
                f"{self.name}.{what}(): the tensor {last!r} depends on the input {missing[0]!r}, which is not an "
                f"input of the model. Model inputs: {self.inputs}"
            )
        self._hidden = self._collect_hidden()
        self._build_graph()

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds losses; graph tensors of a functional model (the VAE's `K.mean(...)` of its
        tensors) are computed with the outputs on every run and minimized with them."""
        for item in losses if isinstance(losses, (list, tuple)) else [losses]:
            super().add_loss(item, inputs)
            self._add_hidden("_symbolic_losses", "add_loss")

    def add_metric(self, value: Any, name: "str | None" = None, aggregation: "str | None" = None) -> None:
        """Adds a metric; a graph tensor of a functional model (`model.add_metric(K.sum(y),
        name="s")`) is computed with the outputs on every run and averaged over the epoch."""
        super().add_metric(value, name=name, aggregation=aggregation)
        if type(value) is KerasTensor:
            self._add_hidden("_symbolic_metrics", "add_metric")

    def _build_graph(self) -> None:
        finished: set = set()
        in_progress: set = set()
        ordered_nodes: list = []
        layer_order: dict = {}
        network_nodes: set = set()

        # Fed intermediate tensors (K.function's) are where the walk stops.
        fed = {id(t) for t in self.inputs if not isinstance(t._keras_history[0], InputLayer)}

        def enter(tensor):
            """The node that made `tensor`, marked as in progress; None when already finished or fed."""
            if id(tensor) in fed:
                return None
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            if id(node) in in_progress:
                raise ValueError(f"The tensor {tensor!r} at layer {layer.name!r} is part of a cycle.")
            if id(node) in finished:
                return None
            network_nodes.add(_node_key(layer, node_index))
            layer_order.setdefault(id(layer), (len(layer_order), layer))
            in_progress.add(id(node))
            return node

        # Depth-first from each output, inputs before the nodes that use them (an explicit
        # stack, so very deep models do not hit Python's recursion limit).
        for t in self.outputs + [t for _, t, _ in self._hidden]:
            node = enter(t)
            if node is None:
                continue
            stack = [(node, iter(node.input_tensors if node.inbound_layers else ()))]
            while stack:
                node, pending = stack[-1]
                x = next(pending, None)
                if x is None:
                    stack.pop()
                    in_progress.discard(id(node))
                    finished.add(id(node))
                    ordered_nodes.append(node)
                    continue
                child = enter(x)
                if child is not None:
                    stack.append((child, iter(child.input_tensors if child.inbound_layers else ())))

        # Keras 2's depth ordering of layers: deepest (inputs) first, ties by discovery.
        node_depth: dict = {}
        layer_depth: dict = {}
        for node in reversed(ordered_nodes):
            depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.outbound_layer), 0))
            layer_depth[id(node.outbound_layer)] = depth
            node_depth[id(node)] = depth
            for layer, index in zip(node.inbound_layers, node.node_indices):
                inbound = layer._inbound_nodes[index]
                node_depth[id(inbound)] = max(depth + 1, node_depth.get(id(inbound), 0))
        layers = sorted(layer_order.values(), key=lambda item: (-layer_depth[id(item[1])], item[0]))
        self._graph_layers = [layer for _, layer in layers]
        self._network_nodes = network_nodes
        self._nodes_by_depth = {}
        for node in ordered_nodes:
            self._nodes_by_depth.setdefault(node_depth[id(node)], []).append(node)
        self._layers_by_depth = {}
        for layer in self._graph_layers:
            self._layers_by_depth.setdefault(layer_depth[id(layer)], []).append(layer)

        names = [layer.name for layer in self._graph_layers]
        for n in set(names):
            if names.count(n) > 1:
                raise ValueError(f"The name {n!r} is used {names.count(n)} times in the model. All layer names should be unique.")

        # Execution plan over numbered slots; a node runs once all its inputs are known.
        slots: dict = {}
        for t in self.inputs:
            slots[id(t)] = len(slots)
        self._input_slots = [slots[id(t)] for t in self.inputs]
        plan = []
        uses_masks = False
        for node in ordered_nodes:
            if not node.inbound_layers:
                continue
            in_slots = []
            for t in node.input_tensors:
                if id(t) not in slots:
                    done = [p[0].name for p in plan]
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {t!r} at layer {node.outbound_layer.name!r}. "
                        f"The following previous layers were accessed without issue: {done}"
                    )
                in_slots.append(slots[id(t)])
            out_slots = []
            for t in node.output_tensors:
                slots.setdefault(id(t), len(slots))
                out_slots.append(slots[id(t)])
                uses_masks = uses_masks or t._keras_mask is not None
            layer = node.outbound_layer
            plan.append((layer, in_slots, out_slots, dict(node.arguments), len(node.input_tensors) == 1))
        for t in self.outputs + [t for _, t, _ in self._hidden]:
            if id(t) not in slots:
                raise ValueError(f"Graph disconnected: cannot obtain value for output tensor {t!r}.")
        self._output_slots = [slots[id(t)] for t in self.outputs]
        self._hidden_slots = [slots[id(t)] for _, t, _ in self._hidden]
        self._n_slots = len(slots)
        self._records_gradients = any(getattr(layer, "records_gradients", False) for layer in self._layers)
        # Each step also lists the slots nobody reads afterwards, so a test-mode run frees
        # activations as it goes (while training, the autodiff graph keeps what it needs).
        last_use: dict = {}
        for step, (_, in_slots, _, _, _) in enumerate(plan):
            for slot in in_slots:
                last_use[slot] = step
        keep = set(self._output_slots + self._hidden_slots)
        release = [[] for _ in plan]
        for slot, step in last_use.items():
            if slot not in keep:
                release[step].append(slot)
        self._plan = [entry + (tuple(free),) for entry, free in zip(plan, release)]
        self._uses_masks = uses_masks
        self.supports_masking = uses_masks

    def _run_graph(self, inputs: list, masks: "list | None" = None) -> list:
        values = [None] * self._n_slots
        for slot, x in zip(self._input_slots, inputs):
            values[slot] = x
        if self._uses_masks or masks is not None:
            return self._run_graph_with_masks(values, masks)
        for layer, ins, outs, kwargs, single, free in self._plan:
            y = layer(values[ins[0]] if single else [values[i] for i in ins], **kwargs)
            if len(outs) == 1:
                values[outs[0]] = y
            else:
                for slot, t in zip(outs, y):
                    values[slot] = t
            for slot in free:
                values[slot] = None
        return [values[s] for s in self._output_slots + self._hidden_slots]

    def _run_graph_with_masks(self, values: list, masks: "list | None") -> list:
        mask_values = [None] * self._n_slots
        for slot, m in zip(self._input_slots, masks or []):
            mask_values[slot] = m
        for layer, ins, outs, kwargs, single, _ in self._plan:
            x = values[ins[0]] if single else [values[i] for i in ins]
            in_mask = mask_values[ins[0]] if single else [mask_values[i] for i in ins]
            has_mask = in_mask is not None if single else any(m is not None for m in in_mask)
            call_kwargs = dict(kwargs)
            if has_mask and "mask" in layer._call_fn_args and "mask" not in call_kwargs:
                call_kwargs["mask"] = in_mask
            y = layer(x, **call_kwargs)
            out_mask = None
            if has_mask or layer._produces_mask():
                out_mask = layer.compute_mask(x, in_mask if has_mask else None)
            ys = [y] if len(outs) == 1 else list(y)
            ms = to_list(out_mask) if isinstance(out_mask, list) else [out_mask] * len(outs)
            for slot, t, m in zip(outs, ys, ms):
                values[slot] = t
                mask_values[slot] = m
        self._last_output_masks = [mask_values[s] for s in self._output_slots]
        return [values[s] for s in self._output_slots + self._hidden_slots]

    # ------------------------------------------------------------------ Layer API
    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Runs the graph on real tensors (a subclassed model overrides this)."""
        if not self._is_graph_network:
            raise NotImplementedError(f"Model {self.name!r} has no graph: a subclassed model must define `call`.")
        xs = to_list(inputs, allow_tuple=True)
        if len(xs) != len(self._input_slots):
            raise ValueError(
                f"Model {self.name!r} expects {len(self._input_slots)} input(s), but it received {len(xs)} input tensors."
            )
        masks = to_list(mask) if mask is not None else None
        if training is None:
            outs = self._run(xs, masks)
        else:
            with K.learning_phase_scope(1 if training else 0):
                outs = self._run(xs, masks)
        n = len(self._output_slots)
        inferring = call_state.inferring()
        if not inferring:
            self.__dict__["_has_run"] = True
        if len(outs) > n and not inferring:
            for (kind, _, metric), value in zip(self._hidden, outs[n:]):
                if kind == "loss":
                    self._call_losses.append(value)
                elif metric is not None:  # a metric object in the graph has counted the batch itself
                    with K.no_grad():
                        metric.update_state(value)
        outs = outs[:n]
        return outs[0] if len(outs) == 1 else outs

    @property
    def losses(self) -> list:
        """Weight regularization, `add_loss` losses, and the losses of the last run. Before its
        first run a functional model lists, in place of the values runs compute (activity
        regularization of its layers' calls, losses added as graph tensors), the graph tensors
        of those losses, as Keras 2 does.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> x = multinn.Input(shape=(2,))
            >>> model = multinn.Model(x, Dense(1, activity_regularizer="l2")(x))
            >>> len(model.losses)
            1
        """
        values = super().losses
        if self._is_graph_network and not self.__dict__.get("_has_run"):
            values += self._pending_losses()
        return values

    def _pending_losses(self) -> list:
        cached = self.__dict__.get("_pending_cache")
        version = call_state.structure_version
        if cached is not None and cached[0] == version:
            return list(cached[1])
        pending = [t for kind, t, _ in self._hidden if kind == "loss"]
        for layer in self._layers:
            calls = sum(_node_key(layer, i) in self._network_nodes for i in range(len(layer._inbound_nodes)))
            if isinstance(layer, Network):
                if layer._is_graph_network:
                    pending += layer._pending_losses() * calls  # once per call of the inner model here
                continue
            regularizer = getattr(layer, "activity_regularizer", None)
            if regularizer is None:
                continue
            for i, node in enumerate(layer._inbound_nodes):
                if _node_key(layer, i) in self._network_nodes:
                    pending += [regularizer(t) for t in node.output_tensors]
        self.__dict__["_pending_cache"] = (version, pending)
        return list(pending)

    def _run(self, xs: list, masks: "list | None") -> list:
        if not self._records_gradients:
            return self._run_graph(xs, masks)
        # K.gradients on this graph's tensors (a KGradients layer): record the run, with
        # the inputs watched, whatever the caller's recording state (predict, K.function).
        with K.GradientTape(persistent=True) as tape:
            tape.watch([x for x in xs if K.dtype(x).startswith("float")])
            return self._run_graph(xs, masks)

    def _produces_mask(self) -> bool:
        return self._is_graph_network and self._uses_masks

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output masks (one per output; None where an output carries no mask)."""
        if not self._is_graph_network:
            return None
        if not self._uses_masks:
            return unpack_singleton([None] * len(self.outputs))
        if is_symbolic(inputs):
            return unpack_singleton([t._keras_mask for t in self.outputs])
        masks = getattr(self, "_last_output_masks", None)
        return unpack_singleton(masks) if masks else None

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not self._is_graph_network:
            return infer_output_shape(self, input_shape)
        shapes = to_list(input_shape) if isinstance(input_shape, list) else [input_shape]
        shapes = [tuple(s) for s in shapes]
        if shapes == [tuple(t._keras_shape) for t in self.inputs]:
            return unpack_singleton([tuple(t._keras_shape) for t in self.outputs])
        known = [None] * self._n_slots
        for slot, s in zip(self._input_slots, shapes):
            known[slot] = s
        for layer, ins, outs, _, single, _ in self._plan:
            s = known[ins[0]] if single else [known[i] for i in ins]
            out = layer.compute_output_shape(s)
            for slot, o in zip(outs, out if isinstance(out, list) else [out]):
                known[slot] = tuple(o)
        return unpack_singleton([known[s] for s in self._output_slots])

    def _maybe_build(self, input_shapes: Any) -> None:
        # A subclassed model's layers build themselves when `call` first reaches them.
        if not self._is_graph_network:
            self._built = True
        else:
            super()._maybe_build(input_shapes)

    def build(self, input_shape: Any = None) -> None:
        """Builds a subclassed model by calling it on zeros of `input_shape` (None dims become 1)."""
        if self._is_graph_network:
            self.built = True
            return
        self._built = True
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument to build a subclassed model.")
        multi = isinstance(input_shape, list)
        shapes = input_shape if multi else [input_shape]
        xs = [K.constant(0.0, shape=tuple(1 if d is None else d for d in s)) for s in shapes]
        with call_state.shape_inference_scope(), K.no_grad(), K.learning_phase_scope(0):
            self(xs if multi else xs[0])
        self.built = True

    def _sublayers(self) -> list:
        return self.layers

    @property
    def layers(self) -> list:
        if self._is_graph_network:
            return list(self._graph_layers)
        return list(self.__dict__.get("_tracked_layers", []))

    def get_layer(self, name: "str | None" = None, index: "int | None" = None) -> Layer:
        """A layer by name or by index in `model.layers`.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(2, input_shape=(3,), name="hidden"), Dense(1)])
            >>> model.get_layer("hidden").units, model.get_layer(index=1).units
            (2, 1)
        """
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(self.layers)} layers.")
            return self.layers[index]
        if not name:
            raise ValueError("Provide either a layer name or layer index.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        from multinn.utils.generic_utils import suggest

        raise ValueError(f"No such layer: {name!r}.{suggest(name, [l.name for l in self.layers])}")

    def get_weights(self) -> list:
        """All weights' values, layer by layer (each layer's trainable weights first)."""
        weights = []
        for layer in self.layers:
            weights += layer.weights
        return K.batch_get_value(weights)

    def set_weights(self, weights: list) -> None:
        """Sets all weights from a list ordered as `get_weights()` returns it."""
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"You called `set_weights(weights)` on model {self.name!r} with a weight list of length {len(weights)}, "
                f"but the model was expecting {expected} weights."
            )
        pairs = []
        for layer in self.layers:
            n = len(layer.weights)
            chunk, weights = weights[:n], weights[n:]
            for p, w in zip(layer.weights, chunk):
                shape = tuple(w.shape) if hasattr(w, "shape") else tuple(K.int_shape(K.convert_to_tensor(w)))
                check_weight_shape(layer.name, p, shape)
            pairs.append((layer, chunk))
        for layer, chunk in pairs:
            if chunk:
                layer.set_weights(chunk)

    @property
    def input(self) -> Any:
        if self._is_graph_network:
            return unpack_singleton(self.inputs)
        return super().input

    @property
    def output(self) -> Any:
        if self._is_graph_network:
            return unpack_singleton(self.outputs)
        return super().output

    @property
    def input_shape(self) -> Any:
        if self._is_graph_network:
            return unpack_singleton([t._keras_shape for t in self.inputs])
        return super().input_shape

    @property
    def output_shape(self) -> Any:
        if self._is_graph_network:
            return unpack_singleton([t._keras_shape for t in self.outputs])
        return super().output_shape

    @property
    def state_updates(self) -> list:
        return []

    def _graph_calls(self):
        """(layer, node) for each layer call that is part of this graph (input layers excluded)."""
        for layer in self.layers:
            for index, node in enumerate(layer._inbound_nodes):
                if node.inbound_layers and _node_key(layer, index) in self._network_nodes:
                    yield layer, node

    @property
    def updates(self) -> list:
        """The updates of the layer calls in this graph (Keras 2), none when the model is frozen.

        Example:
            >>> import multinn
            >>> from multinn.layers import BatchNormalization
            >>> x = multinn.Input(shape=(3,))
            >>> model = multinn.Model(x, BatchNormalization()(x))
            >>> len(model.updates)
            2
            >>> model.trainable = False
            >>> model.updates
            []
        """
        if not self._is_graph_network or self._updates_frozen():
            return super().updates
        out = []
        for layer, node in self._graph_calls():
            out += layer.get_updates_for(node.input_tensors)
        for layer in self.layers:
            out += layer.get_updates_for(None)
        return out + [item for condition, item in self._explicit_updates if condition is None]

    def _update_sublayers(self) -> list:
        return [] if self._is_graph_network else self._sublayers()

    def _updates_at_node(self, node_index: int) -> list:
        # Calling a network on new inputs runs every update inside it.
        return self.updates

    def get_losses_for(self, inputs: Any) -> list:
        """Keras 2's losses for `inputs`: for the model's own inputs, those of its layer calls;
        for None, the unconditional ones (weight regularization) of all its layers.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> x = multinn.Input(shape=(3,))
            >>> model = multinn.Model(x, Dense(2, kernel_regularizer="l2")(x))
            >>> len(model.get_losses_for(None))
            1
        """
        out = super().get_losses_for(inputs)
        if inputs is not None and self._is_graph_network and same_condition(condition_of(self.inputs), inputs):
            for layer, node in self._graph_calls():
                out += [t for t in layer.get_losses_for(node.input_tensors) if not any(t is o for o in out)]
        return out

    @property
    def uses_learning_phase(self) -> bool:
        return any(t._uses_learning_phase for t in self.outputs)

    def _uses_learning_phase_in(self, arguments: dict) -> bool:
        if not self._is_graph_network:
            return super()._uses_learning_phase_in(arguments)
        return self.uses_learning_phase and "training" not in arguments

    @property
    def stateful(self) -> bool:
        """True when any of its layers keeps state between batches (Keras 2)."""
        return any(getattr(layer, "stateful", False) for layer in self._all_layers())

    @stateful.setter
    def stateful(self, value: bool) -> None:
        if value:
            raise AttributeError("A model is stateful when one of its layers is: set `stateful` on the layers.")

    def _all_layers(self) -> list:
        try:
            return self.layers
        except AttributeError:  # during construction, before the graph exists
            return []

    def reset_states(self) -> None:
        for layer in self.layers:
            if hasattr(layer, "reset_states") and getattr(layer, "stateful", False):
                layer.reset_states()

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The architecture: layers, their inbound nodes, and the model's inputs and outputs."""
        if not self._is_graph_network:
            raise NotImplementedError(
                f"Model {self.name!r} is subclassed: its architecture is Python code, so it has no config. "
                "Save its weights with `save_weights`."
            )
        conversion: dict = {}
        for layer in self.layers:
            # Keras counts a nested model's own input-to-output link as its node 0, so its calls
            # are numbered from 1 in configs (files move both ways with Keras and tf.keras).
            kept = 1 if isinstance(layer, Network) else 0
            for i in range(len(layer._inbound_nodes)):
                key = _node_key(layer, i)
                if key in self._network_nodes:
                    conversion[key] = kept
                    kept += 1
        layer_configs = []
        for layer in self.layers:
            inbound = []
            for i, node in enumerate(layer._inbound_nodes):
                if _node_key(layer, i) not in self._network_nodes or not node.inbound_layers:
                    continue
                kwargs = _json_safe(node.arguments)
                data = []
                for inbound_layer, node_index, tensor_index in zip(node.inbound_layers, node.node_indices, node.tensor_indices):
                    new_index = conversion.get(_node_key(inbound_layer, node_index), 0)
                    data.append([inbound_layer.name, new_index, tensor_index, kwargs])
                inbound.append(data)
            layer_configs.append(
                {"name": layer.name, "class_name": type(layer).__name__, "config": layer.get_config(), "inbound_nodes": inbound}
            )

        def coordinates(tensors):
            out = []
            for t in tensors:
                layer, node_index, tensor_index = t._keras_history
                out.append([layer.name, conversion.get(_node_key(layer, node_index), 0), tensor_index])
            return out

        config = {
            "name": self.name,
            "layers": layer_configs,
            "input_layers": coordinates(self.inputs),
            "output_layers": coordinates(self.outputs),
        }
        own_losses = self.__dict__.get("_symbolic_losses", [])
        if own_losses:
            config["loss_tensors"] = coordinates(own_losses)
        own_metrics = self.__dict__.get("_symbolic_metrics", [])
        if own_metrics:
            names = [None if metric is None else metric.name for _, metric in own_metrics]
            config["metric_tensors"] = [c + [n] for c, n in zip(coordinates([t for t, _ in own_metrics]), names)]
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "Network":
        """Rebuilds a functional model from `get_config()` (layers, then their calls, shared layers included)."""
        from multinn.utils.generic_utils import custom_object_scope

        created: dict = {}
        pending: dict = {}

        def output_of(inbound_name, node_index, tensor_index):
            inbound = created[inbound_name]
            node_index = _own_node_index(inbound, node_index)
            if len(inbound._inbound_nodes) <= node_index:
                return None
            return inbound._inbound_nodes[node_index].output_tensors[tensor_index]

        def is_coordinate(value):
            # tf.keras 2.4+ writes a tensor passed by keyword (MultiHeadAttention's `value`) as
            # [layer name, node index, tensor index] among the call's keyword arguments.
            return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and value[0] in created
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))

        def process_node(layer, node_data):
            tensors = []
            kwargs = {}
            for item in node_data:
                kwargs = dict(item[3]) if len(item) > 3 and item[3] else {}
                tensor = output_of(item[0], item[1], item[2])
                if tensor is None:
                    return False
                tensors.append(tensor)
            for key, value in kwargs.items():
                if is_coordinate(value):
                    kwargs[key] = output_of(*value)
                    if kwargs[key] is None:
                        return False
            layer(unpack_singleton(tensors), **kwargs)
            return True

        with custom_object_scope(custom_objects or {}):
            for layer_data in config["layers"]:
                layer = deserialize_layer({"class_name": layer_data["class_name"], "config": layer_data["config"]})
                created[layer_data["name"]] = layer
                pending[layer_data["name"]] = list(layer_data.get("inbound_nodes") or [])
            while any(pending.values()):
                progressed = False
                for layer_data in config["layers"]:
                    name = layer_data["name"]
                    queue = pending[name]
                    while queue:
                        if not process_node(created[name], queue[0]):
                            break
                        queue.pop(0)
                        progressed = True
                if not progressed:
                    raise ValueError("Cannot rebuild the model from its config: some layer calls refer to calls that never happen.")

        def tensors(coords):
            out = []
            for name, node_index, tensor_index in coords:
                layer = created[name]
                out.append(layer._inbound_nodes[_own_node_index(layer, node_index)].output_tensors[tensor_index])
            return out

        model = cls(inputs=tensors(config["input_layers"]), outputs=tensors(config["output_layers"]), name=config.get("name"))
        if config.get("loss_tensors"):
            model.add_loss(tensors(config["loss_tensors"]))
        for entry in config.get("metric_tensors") or []:
            model.add_metric(tensors([entry[:3]])[0], name=entry[3])
        return model

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (Keras 2's format); `kwargs` go to `json.dumps`.

        Example:
            >>> import json
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
            >>> json.loads(model.to_json())["class_name"]
            'Sequential'
        """
        from multinn import __version__

        data = {"class_name": type(self).__name__, "config": self.get_config(), "keras_version": __version__, "backend": K.backend()}
        return json.dumps(data, default=functools.partial(json_default, name_callables=True), **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        """The architecture as a YAML string (needs PyYAML); `kwargs` go to `yaml.safe_dump`.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> "class_name: Sequential" in multinn.Sequential([Dense(2, input_shape=(3,))]).to_yaml()
            True
        """
        from .yaml_config import to_yaml

        return to_yaml(self, **kwargs)

    def summary(self, line_length: "int | None" = None, positions: Any = None, print_fn: Any = None) -> None:
        """Prints Keras 2's summary table: layers, output shapes, parameter counts."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


def _source_inputs(tensor: KerasTensor) -> list:
    """The Input tensors that `tensor` is computed from."""
    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen or t._keras_history is None:
            continue
        seen.add(id(t))
        layer, node_index, _ = t._keras_history
        node = layer._inbound_nodes[node_index]
        if not node.inbound_layers:
            found.append(t)
        stack.extend(node.input_tensors if node.inbound_layers else ())
    return found


def _json_safe(kwargs: dict) -> dict:
    try:
        json.dumps(kwargs)
        return copy.deepcopy(kwargs)
    except (TypeError, ValueError):
        return {}
