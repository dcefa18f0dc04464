"""Layer: the base class of every layer and model (Keras 2's `keras.engine.base_layer`).

A layer owns weights (K Variables made by `add_weight`), is built lazily from the shape
of its first input, and is called on either

- real tensors (K Tensors, NumPy or CuPy arrays): `call` runs eagerly and returns tensors;
- symbolic tensors (from `Input`): nothing is computed; the call is recorded as a Node of
  a model graph and symbolic outputs with the static output shape are returned.

Output shapes come from `compute_output_shape`. A layer that does not define it gets
its output shape by running `call` once under `K.no_grad()` on small dummy batches of
zeros (two batch sizes, so dimensions that follow the input's unknown ones are reported
as None). Such a run records nothing, adds no losses and uses the test phase.
"""
from __future__ import annotations

import inspect
import re
from typing import Any, Iterable

from multinn import backend as K
from multinn.utils import generic_utils
from multinn.utils.generic_utils import to_list, unpack_singleton  # noqa: F401  (the engine's modules import them from here)

from . import call_state
from .call_state import FROZEN, INSIDE, OUTSIDE, call_level, no_updates_scope, training_step_scope  # noqa: F401  (imported from here)
from .conditions import condition_of, same_condition
from .input_spec import InputSpec
from .model_files import charge_allocation
from .keras_tensor import KerasTensor, is_symbolic
from .layer_registry import register_layer
from .node import Node
from .shape_inference import infer_output_shape as _infer_output_shape

_ADD_WEIGHT_ARGS = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")
_LAYER_KWARGS = (
    "input_shape", "batch_input_shape", "batch_size", "dtype", "name", "trainable", "weights", "input_dtype", "input_dim",
    "dynamic",
)


def to_snake_case(name: str) -> str:
    """'BatchNormalization' -> 'batch_normalization' (Keras 2's default layer-name prefixes)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return snake if snake[0] != "_" else "private" + snake


def _check_layer_kwargs(layer: Any, kwargs: dict) -> None:
    """TypeError for a keyword no layer takes, suggesting the closest of the layer's own
    arguments and the common layer keywords (`Dense(unit=3)` -> 'units')."""
    unknown = [k for k in kwargs if k not in _LAYER_KWARGS]
    if not unknown:
        return
    own = [p for p in _call_args(type(layer).__init__) if p not in ("self", "kwargs", "args")]
    key = unknown[0]
    raise TypeError(
        f"{type(layer).__name__}.__init__() got an unexpected keyword argument {key!r}."
        f"{generic_utils.suggest(key, list(_LAYER_KWARGS) + own)}"
    )


def _call_args(fn) -> frozenset:
    try:
        return frozenset(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return frozenset()


@register_layer
class Layer:
    """The base class of layers (Keras 2 API).

    Subclasses implement `build(input_shape)` (create weights with `add_weight`),
    `call(inputs, **kwargs)` (the computation, in K functions) and, ideally,
    `compute_output_shape(input_shape)`.

    Args (keywords):
        name: the layer's name (default: snake-case class name + counter, e.g. 'dense_1').
        trainable: whether its weights are updated by training.
        dtype: the dtype of its weights (floatx by default).
        input_shape / batch_input_shape / batch_size / input_dim: for a model's first layer.
        weights: initial weights (a list of arrays), set when the layer is built.
        dynamic: tf.keras 2's flag for layers that must run eagerly; accepted and kept in the
            config (every multinn layer runs eagerly).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Layer
        >>> class Double(Layer):
        ...     def call(self, inputs):
        ...         return inputs * 2
        >>> Double()(K.constant([[1.0, 2.0]])).numpy().tolist()
        [[2.0, 4.0]]
    """

    _is_metric = False  # True for metric objects (multinn.metrics.Metric)

    def __init__(self, **kwargs: Any):
        _check_layer_kwargs(self, kwargs)
        d = self.__dict__
        d.setdefault("_tracked_layers", [])
        d.setdefault("_metrics", [])  # metric objects of `add_metric` and metric attributes
        self.input_spec = getattr(self, "input_spec", None)
        self.supports_masking = getattr(self, "supports_masking", False)
        self.stateful = getattr(self, "stateful", False)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._regularized = []  # (regularizer, weight) pairs: evaluated afresh for every `losses`
        self._persistent_losses = []  # add_loss outside `call`
        self._loss_inputs_from = []  # (first index in _persistent_losses, the inputs they were added for)
        self._symbolic_loss_inputs = []  # (graph-tensor loss, the inputs it was added for)
        self._explicit_updates = []  # (condition, update) pairs from add_update outside `call`
        self._node_updates = {}  # node index -> the updates that symbolic call makes in training
        self._call_losses = []  # add_loss inside `call` and activity regularization, per top-level call
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._built = False
        self._initial_weights = kwargs.get("weights")
        self._call_fn_args = _call_args(self.call)
        self._trainable = bool(kwargs.get("trainable", True))

        name = kwargs.get("name")
        if not name:
            prefix = to_snake_case(type(self).__name__)
            name = f"{prefix}_{K.get_uid(prefix)}"
        self.name = name

        if "input_shape" not in kwargs and "input_dim" in kwargs:
            kwargs["input_shape"] = (kwargs["input_dim"],)
        if "batch_input_shape" in kwargs and kwargs["batch_input_shape"] is not None:
            self.batch_input_shape = tuple(kwargs["batch_input_shape"])
        elif "input_shape" in kwargs and kwargs["input_shape"] is not None:
            shape = kwargs["input_shape"]
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            self.batch_input_shape = (kwargs.get("batch_size"),) + shape
        dtype = kwargs.get("dtype") or kwargs.get("input_dtype") or K.floatx()
        self.dtype = str(getattr(dtype, "name", dtype))
        # tf.keras 2's `dynamic`: its layers that cannot be traced into a graph. multinn runs
        # every layer eagerly, so the flag only travels with the layer (and its config).
        self._dynamic = bool(kwargs.get("dynamic", False))

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, key: str, value: Any) -> None:
        # Layers kept as attributes (or in lists of attributes) are sub-layers: their
        # weights and losses are this layer's too.
        if isinstance(value, Layer) and value._is_metric:
            # A metric object kept as an attribute reports in the training logs (Keras 2.3); its
            # state is no weight of this layer.
            metrics = self.__dict__.setdefault("_metrics", [])
            if not any(value is m for m in metrics):
                metrics.append(value)
            object.__setattr__(self, key, value)
            return
        if isinstance(value, Layer) or (isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value)):
            tracked = self.__dict__.setdefault("_tracked_layers", [])
            for layer in value if isinstance(value, (list, tuple)) else [value]:
                if not any(layer is t for t in tracked) and layer is not self:
                    tracked.append(layer)
                    call_state.structure_changed()
        elif isinstance(value, K.Variable) and "_trainable_weights" in self.__dict__ and not self.__dict__.get("_built"):
            # A variable kept as an attribute (`self.w = K.variable(...)`) in __init__ or build
            # is a weight of the layer, as in Keras 2; one made by `add_weight` is already listed.
            # Once built, attributes may hold other tensors for a while (a call swapping its bias).
            self._track_variable(value)
        object.__setattr__(self, key, value)

    def _track_variable(self, variable: K.Variable) -> None:
        if any(variable is w for w in self._trainable_weights + self._non_trainable_weights):
            return
        (self._trainable_weights if variable.trainable else self._non_trainable_weights).append(variable)

    @property
    def _layers(self) -> list:
        """The layers this layer holds as attributes (for a graph network: its layers), Keras 2's `_layers`."""
        return self._sublayers()

    @property
    def built(self) -> bool:
        return self._built

    @built.setter
    def built(self, value: bool) -> None:
        self._built = bool(value)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        name: "str | None" = None,
        shape: Any = None,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        constraint: Any = None,
        **kwargs: Any,
    ) -> K.Variable:
        """Creates a weight of this layer and returns it (a K Variable).

        The initializer is called as `initializer(shape, dtype=dtype)` and may return a K
        tensor, a NumPy array or a CuPy array; the value is moved to the current default
        backend. A regularizer adds `regularizer(weight)` to `layer.losses`.

        Keras 2.3.1's signature: `name` is optional (an unnamed weight is named `weight`,
        `weight_1`, ... within the layer); `shape` is required.

        Example:
            >>> from multinn.layers import Layer
            >>> layer = Layer()
            >>> w = layer.add_weight("w", (2, 3), initializer="zeros")
            >>> w.shape, layer.count_params()
            ((2, 3), 6)
            >>> layer.add_weight(shape=(2,)).name
            'layer_1/weight:0'
        """
        generic_utils.check_kwargs(kwargs, _ADD_WEIGHT_ARGS, "add_weight()")
        from multinn import constraints, initializers, regularizers

        if shape is None:
            raise TypeError(f"{self.name}.add_weight() needs a `shape`. Received: name={name!r}, shape=None")
        if name is None:
            taken = {w.name for w in self._trainable_weights + self._non_trainable_weights}
            count = 0
            name = "weight"
            while f"{self.name}/{name}:0" in taken:
                count += 1
                name = f"weight_{count}"

        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        charge_allocation(shape, name)  # a model rebuilt from a file allocates no more than the file holds
        dtype = str(getattr(dtype, "name", dtype)) if dtype is not None else self.dtype
        init = initializers.get("glorot_uniform" if initializer is None else initializer)
        value = init(shape, dtype=dtype)
        weight = K.variable(_on_default_backend(value), dtype=dtype, name=f"{self.name}/{name}:0")
        weight.constraint = constraints.get(constraint)
        weight.trainable = bool(trainable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((regularizer, weight))
        if trainable:
            self._trainable_weights.append(weight)
        else:
            self._non_trainable_weights.append(weight)
        return weight

    def _sublayers(self) -> list:
        return self.__dict__.get("_tracked_layers", [])

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for layer in self._sublayers():
            weights += layer.trainable_weights
        return _unique(weights)

    @trainable_weights.setter
    def trainable_weights(self, value: list) -> None:
        self._trainable_weights = list(value)

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            weights = self._trainable_weights + self._non_trainable_weights
            for layer in self._sublayers():
                weights = weights + layer.weights
            return _unique(weights)
        weights = list(self._non_trainable_weights)
        for layer in self._sublayers():
            weights += layer.non_trainable_weights
        return _unique(weights)

    @non_trainable_weights.setter
    def non_trainable_weights(self, value: list) -> None:
        self._non_trainable_weights = list(value)

    @property
    def weights(self) -> list:
        """Trainable weights first, then non-trainable ones (Keras 2's order)."""
        return self.trainable_weights + self.non_trainable_weights

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays.

        Example:
            >>> from multinn.layers import Dense
            >>> layer = Dense(2, kernel_initializer="ones")
            >>> layer.build((None, 3))
            >>> [w.shape for w in layer.get_weights()]
            [(3, 2), (2,)]
        """
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: list) -> None:
        """Sets the weights from arrays of the same shapes, in `weights` order.

        Raises ValueError naming the layer and both shapes on a mismatch.

        Example:
            >>> import numpy as np
            >>> from multinn.layers import Dense
            >>> layer = Dense(2)
            >>> layer.build((None, 3))
            >>> layer.set_weights([np.ones((3, 2)), np.zeros(2)])
            >>> float(layer.get_weights()[0].sum())
            6.0
        """
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer {self.name!r} with a weight list of length "
                f"{len(weights)}, but the layer was expecting {len(params)} weights. "
                f"Received: weights with shapes {[tuple(getattr(w, 'shape', ())) for w in weights]}"
            )
        pairs = []
        for p, w in zip(params, weights):
            shape = tuple(getattr(w, "shape", None) or K.int_shape(K.convert_to_tensor(w)))
            check_weight_shape(self.name, p, shape)
            pairs.append((p, w))
        for p, w in pairs:
            p.assign(_host(w))

    def count_params(self) -> int:
        """The number of scalars in the layer's weights."""
        if not self.built:
            if self.weights or type(self).build is Layer.build:
                pass  # weights made by hand, or nothing to build
            else:
                raise ValueError(
                    f"You tried to call `count_params` on {self.name}, but the layer isn't built. "
                    f"You can build it manually via: `{self.name}.build(batch_input_shape)`."
                )
        return sum(K.count_params(w) for w in self.weights)

    # ------------------------------------------------------------------ losses
    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds loss tensors to `layer.losses`.

        Inside `call`, the losses belong to that call (they depend on its inputs) and
        are replaced at the next top-level call. Outside `call`, pass a zero-argument
        callable (e.g. `lambda: 1e-3 * K.sum(K.square(layer.kernel))`) so the loss is
        recomputed from the current weights each time it is needed; a tensor added
        there is a constant.

        Example:
            >>> from multinn import backend as K
            >>> from multinn.layers import Layer
            >>> class Penalized(Layer):
            ...     def call(self, inputs):
            ...         self.add_loss(0.5 * K.sum(K.square(inputs)))
            ...         return inputs
            >>> layer = Penalized()
            >>> _ = layer(K.constant([[1.0, 2.0]]))
            >>> [float(loss) for loss in layer.losses]
            [2.5]
        """
        if call_state.inferring():
            return
        nested = call_state.in_layer_call()
        if not nested:
            self._loss_inputs_from.append((len(self._persistent_losses), condition_of(inputs)))
            for item in losses if isinstance(losses, (list, tuple)) else [losses]:
                if type(item) is KerasTensor:  # kept apart from the others once graph losses are allowed
                    self._symbolic_loss_inputs.append((item, condition_of(inputs)))
        items = losses if isinstance(losses, (list, tuple)) else [losses]
        target = self._call_losses if nested else self._persistent_losses
        for item in items:
            if type(item) is KerasTensor:
                # A loss on graph tensors: the model whose inputs determine it computes it
                # with its outputs on every run (Network.add_loss).
                self.__dict__.setdefault("_symbolic_losses", []).append(item)
            elif item is not None:
                target.append(item)

    def add_metric(self, value: Any, name: "str | None" = None, aggregation: "str | None" = None) -> None:
        """Reports `value` in the training logs under `name`, as its running mean over the epoch.

        Called inside `call` on this batch's tensors, each call adds the batch's value (the
        mean of its elements) to a `metrics.Mean` named `name`; the model resets it at each
        epoch start. The result of a metric object (`add_metric(metrics.Mean(name="m")(x))`)
        reports that metric, already updated. `aggregation` may be None or 'mean' (tf.keras's
        argument).

        Example:
            >>> from multinn import backend as K
            >>> class Scores(Layer):
            ...     def call(self, inputs):
            ...         self.add_metric(K.mean(inputs), name="mean_input")
            ...         return inputs
            >>> layer = Scores()
            >>> _ = layer(K.constant([[1.0, 3.0]])); _ = layer(K.constant([[6.0, 6.0]]))
            >>> [(m.name, float(m.result())) for m in layer._metrics]
            [('mean_input', 4.0)]
        """
        if aggregation not in (None, "mean"):
            raise ValueError(
                f"add_metric() supports aggregation=None or 'mean' (a running mean). Received: aggregation={aggregation!r}"
            )
        if type(value) is KerasTensor:
            # A metric of graph tensors: the model whose inputs determine it computes it
            # with its outputs on every run (Network), then updates the metric here.
            made_by = value._keras_history[0] if value._keras_history else None
            made_by = getattr(made_by, "function", made_by)  # a metric called on graph tensors is a KOperation
            owner = made_by if getattr(made_by, "_is_metric", False) else None
            metric = self._register_metric(name, owner)
            self.__dict__.setdefault("_symbolic_metrics", []).append((value, None if owner is not None else metric))
            return
        owner = getattr(value, "_metric_obj", None)
        metric = self._register_metric(name, owner)
        if owner is None and not call_state.inferring():  # shape inference runs `call` on dummy zeros: no data
            with K.no_grad():
                metric.update_state(value)

    def _register_metric(self, name: "str | None", owner: Any) -> Any:
        """The metric `add_metric` reports under `name`: `owner` (a metric object whose result was
        given, which has counted the batch itself) or a running `metrics.Mean`, made once."""
        metrics = self.__dict__.setdefault("_metrics", [])
        wanted = name or (owner.name if owner is not None else "mean")
        if sum(m.name == wanted for m in metrics) > 1:
            raise ValueError(
                f"Please provide different names for the metrics you have added to {self.name}. Found "
                f"{sum(m.name == wanted for m in metrics)} metrics with the name: {wanted!r}"
            )
        if owner is not None:
            if not any(owner is m for m in metrics):
                metrics.append(owner)
            return owner
        from multinn.metrics import Mean

        matches = [m for m in metrics if m.name == wanted]
        if matches:
            return matches[0]
        metric = Mean(name=wanted)
        metrics.append(metric)
        return metric

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Records updates for `updates` / `get_updates_for` (Keras 2).

        multinn runs eagerly: an update made inside `call` (e.g. `K.moving_average_update`)
        has already happened, so only updates added outside `call` are kept, filed under
        `inputs` (None: unconditional).

        Example:
            >>> from multinn.layers import Dense
            >>> layer = Dense(1)
            >>> layer.add_update(1)
            >>> layer.get_updates_for(None)
            [1]
        """
        if call_state.inferring() or call_state.in_layer_call():
            return
        condition = condition_of(inputs)
        for item in updates if isinstance(updates, (list, tuple)) else [updates]:
            self._explicit_updates.append((condition, item))

    def _symbolic_updates(self, arguments: dict) -> list:
        """The updates a symbolic call with keyword `arguments` makes when the model trains
        (e.g. BatchNormalization's moving statistics); none for most layers."""
        return []

    def _updates_at_node(self, node_index: int) -> list:
        return list(self._node_updates.get(node_index, ()))

    def _updates_frozen(self) -> bool:
        # Keras 2: a frozen layer reports no updates, unless it keeps state between batches.
        return not self.trainable and not self.stateful

    @property
    def updates(self) -> list:
        """Keras 2's updates of this layer and the layers it holds: what a training step
        changes besides the trainable weights (for BatchNormalization, its moving mean and
        variance). Empty for a frozen layer.

        Example:
            >>> import multinn
            >>> from multinn.layers import BatchNormalization
            >>> bn = BatchNormalization()
            >>> _ = bn(multinn.Input(shape=(3,)))
            >>> len(bn.updates)
            2
        """
        if self._updates_frozen():
            return []
        out = [item for _, item in self._explicit_updates]
        for index in sorted(self._node_updates):
            out += self._updates_at_node(index)
        for layer in self._sublayers():
            out += layer.updates
        return out

    def get_updates_for(self, inputs: Any) -> list:
        """The updates made for `inputs` (Keras 2); `None` gives the unconditional ones.

        Example:
            >>> import multinn
            >>> from multinn.layers import BatchNormalization
            >>> bn = BatchNormalization()
            >>> x = multinn.Input(shape=(3,))
            >>> _ = bn(x)
            >>> len(bn.get_updates_for(x)), len(bn.get_updates_for(None))
            (2, 0)
        """
        if self._updates_frozen():
            return []
        out = [item for condition, item in self._explicit_updates if same_condition(condition, inputs)]
        if inputs is not None:
            for index, node in enumerate(self._inbound_nodes):
                if same_condition(condition_of(node.input_tensors), inputs):
                    out += self._updates_at_node(index)
        for layer in self._update_sublayers():
            out += layer.get_updates_for(inputs)
        return out

    def _update_sublayers(self) -> list:
        """The held layers whose updates count as this layer's (a graph network counts its calls instead)."""
        return self._sublayers()

    @property
    def losses(self) -> list:
        """Weight regularization, `add_loss` losses, and activity regularization of the last call."""
        out = []
        for layer in self._self_and_sublayers():
            for regularizer, weight in layer._regularized:
                out.append(regularizer(weight))
            for item in layer._persistent_losses:
                out.append(item() if callable(item) else item)
            out.extend(layer._call_losses)
        return out

    def get_losses_for(self, inputs: Any) -> list:
        """The losses added for `inputs` (Keras 2); `None` gives the unconditional ones
        (weight regularization and `add_loss(..., inputs=None)`).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> a = multinn.Input(shape=(2,))
            >>> layer = Dense(1)
            >>> layer.add_loss(0, inputs=a)
            >>> layer.add_loss(1)
            >>> layer.get_losses_for(a), layer.get_losses_for(None)
            ([0], [1])
        """
        out = [regularizer(weight) for regularizer, weight in self._regularized] if inputs is None else []
        marks = self._loss_inputs_from
        for i, item in enumerate(self._persistent_losses):
            condition = next((c for start, c in reversed(marks) if start <= i), None)
            if same_condition(condition, inputs):
                out.append(item() if callable(item) else item)
        out += [item for item, condition in self._symbolic_loss_inputs if same_condition(condition, inputs)]
        record = self.__dict__.get("_activity_losses_for")
        if inputs is not None and record is not None and record[0] == _ids(inputs) and record[2] <= len(self._call_losses):
            out += list(self._call_losses[record[1]:record[2]])  # activity regularization of the last call
        for layer in self._sublayers():
            out += layer.get_losses_for(inputs)
        return out

    def _self_and_sublayers(self) -> list:
        # Cached: the training loop asks twice per step (clearing and collecting losses).
        cache = self.__dict__.get("_flat_cache")
        version = call_state.structure_version
        if cache is not None and cache[0] == version:
            return cache[1]
        seen = {}
        stack = [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen[id(layer)] = layer
            stack.extend(reversed(layer._sublayers()))
        flat = list(seen.values())
        self.__dict__["_flat_cache"] = (version, flat)
        return flat

    def _clear_call_losses(self) -> None:
        for layer in self._self_and_sublayers():
            if layer._call_losses:
                layer._call_losses = []

    def _detach_call_losses(self) -> None:
        """Keeps the last call's loss values but lets go of the graph behind them (after backward)."""
        for layer in self._self_and_sublayers():
            if layer._call_losses:
                layer._call_losses = K.stop_gradient(list(layer._call_losses))

    # ------------------------------------------------------------------ building and calling
    def build(self, input_shape: Any) -> None:
        """Creates the weights for inputs of `input_shape` (tuples with None for the batch)."""
        self.built = True

    def call(self, inputs: Any, **kwargs: Any) -> Any:
        """The layer's computation on real tensors (identity here)."""
        return inputs

    def _runs_updates(self) -> bool:
        """Whether this call may change the layer's non-trainable state (e.g. BatchNormalization's
        moving statistics), Keras 2's "updates".

        Keras 2 runs a layer's updates only in a training step, and never for a layer with
        `trainable=False` or one inside a frozen network (a GAN's discriminator frozen inside
        the combined model). evaluate, predict and K.function run none; a direct eager call
        (`layer(x, training=True)`) runs them, as tf.keras does eagerly; shape inference never.

        Example:
            >>> from multinn.layers import BatchNormalization
            >>> bn = BatchNormalization()
            >>> bn._runs_updates()
            True
            >>> bn.trainable = False
            >>> bn._runs_updates()
            False
        """
        return call_state.runs_updates(self)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for `input_shape`, by running `call` on dummy zeros (see the module doc).

        A subclass that defines its own `compute_output_shape` and calls this one gets Keras 2's
        base answer, `input_shape` unchanged.
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return input_shape
        return _infer_output_shape(self, input_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask: the input mask for layers that support masking, else None."""
        if not self.supports_masking:
            if mask is not None and any(m is not None for m in to_list(mask)):
                raise TypeError(f"Layer {self.name} does not support masking, but was passed an input_mask: {mask}")
            return None
        return mask

    def _produces_mask(self) -> bool:
        """Whether this layer may output a mask of its own (then model runs track masks)."""
        return type(self).compute_mask is not Layer.compute_mask

    def _maybe_build(self, input_shapes: Any) -> None:
        if not self._built:
            self.build(input_shapes)
            self._built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Calls the layer: eagerly on tensors or arrays, symbolically on `Input` tensors."""
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [x if isinstance(x, K.Tensor) else K.convert_to_tensor(x) for x in inputs]
        elif not isinstance(inputs, K.Tensor):
            inputs = K.convert_to_tensor(inputs)
        if not self._built:
            self._assert_input_compatibility(inputs)
            if isinstance(inputs, list):
                self._maybe_build([(None,) + tuple(x.shape[1:]) for x in inputs])
            else:
                self._maybe_build((None,) + tuple(inputs.shape[1:]))
        level = call_level.get()  # this thread's: another thread's model calls are its own
        if level == OUTSIDE:
            # A direct call: check the input against the built layer (inside a model the
            # model's own input check already covers it).
            self._assert_input_compatibility(inputs)
            self._clear_call_losses()
        inner = level
        if level != FROZEN and not self.trainable and self is not call_state.trained_model():  # the property: wrappers delegate it
            # Keras 2: a frozen layer or network runs no updates, nor do the layers inside it.
            inner = FROZEN
        elif level == OUTSIDE:
            inner = INSIDE
        if inner == level:  # nested in a call at the same level: nothing to set
            outputs = self.call(inputs, **kwargs)
        else:
            call_level.set(inner)
            try:
                outputs = self.call(inputs, **kwargs)
            finally:
                call_level.set(level)  # by value: see call_state's module doc
        if getattr(self, "activity_regularizer", None) is not None and not call_state.inferring():
            start = len(self._call_losses)
            for out in to_list(outputs):
                self._call_losses.append(self.activity_regularizer(out))
            # These losses belong to this call's inputs (get_losses_for); ids, so that no batch is kept alive.
            self.__dict__["_activity_losses_for"] = (_ids(inputs), start, len(self._call_losses))
        return outputs

    def _symbolic_call(self, inputs: Any, kwargs: dict) -> Any:
        input_list = list(to_list(inputs, allow_tuple=True))  # a copy: the caller may append to its list later
        for x in input_list:
            if type(x) is not KerasTensor:
                raise TypeError(
                    f"Layer {self.name} was called with a mix of symbolic and real inputs. All inputs to a layer "
                    f"in a model graph must come from `Input()` or other layers. Received: {x!r}"
                )
        self._assert_input_compatibility(inputs)
        input_shapes = unpack_singleton([x._keras_shape for x in input_list])
        self._maybe_build(input_shapes)
        self._symbolic_input_dtypes = [x.dtype for x in input_list]
        self._inferred_output_dtypes = None
        output_shapes = self.compute_output_shape(input_shapes)
        inferred_dtypes = self._inferred_output_dtypes
        masks = [x._keras_mask for x in input_list]
        has_mask = any(m is not None for m in masks)
        # Symbolic masks are markers (True: "a mask exists here"); real masks are computed
        # when the graph runs, by `compute_mask` on real tensors.
        output_mask = None
        if self._produces_mask():
            output_mask = True
        elif has_mask and type(self).compute_mask is Layer.compute_mask:
            if not self.supports_masking:
                raise TypeError(f"Layer {self.name} does not support masking, but was passed an input_mask.")
            output_mask = True
        elif has_mask and self.supports_masking:
            output_mask = True  # it combines its inputs' masks (merge layers); computed when the graph runs
        multi = isinstance(output_shapes, list)
        shape_list = output_shapes if multi else [output_shapes]
        if inferred_dtypes is not None and len(inferred_dtypes) == len(shape_list):
            dtypes = inferred_dtypes
        else:
            dtypes = [self._output_dtype(input_list)] * len(shape_list)
        outputs = [KerasTensor(tuple(s), d, name=f"{self.name}/out:{i}") for i, (s, d) in enumerate(zip(shape_list, dtypes))]
        mask_list = to_list(output_mask) if output_mask is not None else [None] * len(outputs)
        if len(mask_list) != len(outputs):
            mask_list = [None] * len(outputs)
        node_index = len(self._inbound_nodes)
        Node(
            self,
            inbound_layers=[x._keras_history[0] for x in input_list],
            node_indices=[x._keras_history[1] for x in input_list],
            tensor_indices=[x._keras_history[2] for x in input_list],
            input_tensors=input_list,
            output_tensors=outputs,
            input_masks=masks,
            output_masks=mask_list,
            input_shapes=[x._keras_shape for x in input_list],
            output_shapes=[tuple(s) for s in shape_list],
            arguments=kwargs,
        )
        updates = self._symbolic_updates(kwargs)
        if updates:
            self._node_updates[node_index] = updates
        for i, (out, m) in enumerate(zip(outputs, mask_list)):
            out._keras_history = (self, node_index, i)
            out._keras_mask = m
            out._uses_learning_phase = any(x._uses_learning_phase for x in input_list) or self._uses_learning_phase_in(kwargs)
        return outputs if multi else outputs[0]

    def _uses_learning_phase_in(self, arguments: dict) -> bool:
        """Whether a call with keyword `arguments` behaves differently in training and test;
        an explicit `training=` fixes the phase (Keras 2's `_uses_learning_phase`)."""
        return "training" in self._call_fn_args and "training" not in arguments

    def _output_dtype(self, input_list: list) -> str:
        return self.dtype if self.dtype else input_list[0].dtype

    def _assert_input_compatibility(self, inputs: Any) -> None:
        if not self.input_spec:
            return
        specs = to_list(self.input_spec)
        xs = to_list(inputs, allow_tuple=True)
        if len(specs) != len(xs):
            raise ValueError(
                f"Layer {self.name} expects {len(specs)} inputs, but it received {len(xs)} input tensors."
            )
        for i, (spec, x) in enumerate(zip(specs, xs)):
            if spec is None:
                continue
            shape = K.int_shape(x)
            ndim = len(shape)
            if spec.ndim is not None and ndim != spec.ndim:
                raise ValueError(
                    f"Input {i} is incompatible with layer {self.name}: expected ndim={spec.ndim}, found ndim={ndim}. "
                    f"Received: input shape {shape}"
                )
            if spec.max_ndim is not None and ndim > spec.max_ndim:
                raise ValueError(
                    f"Input {i} is incompatible with layer {self.name}: expected max_ndim={spec.max_ndim}, "
                    f"found ndim={ndim}. Received: input shape {shape}"
                )
            if spec.min_ndim is not None and ndim < spec.min_ndim:
                raise ValueError(
                    f"Input {i} is incompatible with layer {self.name}: expected min_ndim={spec.min_ndim}, "
                    f"found ndim={ndim}. Received: input shape {shape}"
                )
            for axis, value in spec.axes.items():
                if value is not None and shape[int(axis)] not in (value, None):
                    raise ValueError(
                        f"Input {i} is incompatible with layer {self.name}: expected axis {axis} of input shape to have "
                        f"value {value}, but got shape {shape}."
                    )
            if spec.shape is not None:
                for expected, got in zip(spec.shape, shape):
                    if expected is not None and got is not None and expected != got:
                        raise ValueError(
                            f"Input {i} is incompatible with layer {self.name}: expected shape={spec.shape}, "
                            f"found shape={shape}."
                        )

    # ------------------------------------------------------------------ graph facts
    def _node_attr(self, node_index: int, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no defined {what}.")
        if len(self._inbound_nodes) <= node_index:
            raise ValueError(
                f"Asked to get {what} at node {node_index}, but the layer has only {len(self._inbound_nodes)} inbound nodes."
            )
        return unpack_singleton(getattr(self._inbound_nodes[node_index], attr))

    def _single_node_attr(self, attr: str, what: str, getter: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                f"Layer {self.name} has multiple inbound nodes, hence the notion of \"layer {what}\" is ill-defined. "
                f"Use `{getter}(node_index)` instead."
            )
        return self._node_attr(0, attr, what)

    def get_input_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "output_shapes", "output shape")

    def get_input_mask_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "input_masks", "input mask")

    def get_output_mask_at(self, node_index: int) -> Any:
        return self._node_attr(node_index, "output_masks", "output mask")

    @property
    def input(self) -> Any:
        return self._single_node_attr("input_tensors", "input", "get_input_at")

    @property
    def output(self) -> Any:
        return self._single_node_attr("output_tensors", "output", "get_output_at")

    @property
    def input_mask(self) -> Any:
        return self._single_node_attr("input_masks", "input mask", "get_input_mask_at")

    @property
    def output_mask(self) -> Any:
        return self._single_node_attr("output_masks", "output mask", "get_output_mask_at")

    def _shape_attr(self, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        shapes = {repr(getattr(node, attr)) for node in self._inbound_nodes}
        if len(shapes) == 1:
            return unpack_singleton(getattr(self._inbound_nodes[0], attr))
        raise AttributeError(
            f"The layer {self.name} has multiple inbound nodes, with different {what}s. Hence the notion of "
            f"\"{what}\" is ill-defined for the layer. Use `get_{what.replace(' ', '_')}_at(node_index)` instead."
        )

    @property
    def input_shape(self) -> Any:
        return self._shape_attr("input_shapes", "input shape")

    @property
    def output_shape(self) -> Any:
        return self._shape_attr("output_shapes", "output shape")

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments as a JSON-serializable dict (Keras 2's base keys)."""
        config = {"name": self.name, "trainable": self.trainable}
        if hasattr(self, "batch_input_shape"):
            config["batch_input_shape"] = self.batch_input_shape
        config["dtype"] = self.dtype
        if self.dynamic:
            config["dynamic"] = True  # as tf.keras 2: written only when set
        return config

    @property
    def dynamic(self) -> bool:
        """tf.keras 2's flag for layers that run only eagerly; every multinn layer does.

        Example:
            >>> from multinn.layers import Layer
            >>> Layer(dynamic=True).dynamic, Layer().dynamic
            (True, False)
        """
        return self.__dict__.get("_dynamic", False)

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """Creates a layer from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


# ---------------------------------------------------------------------- helpers
def _unique(items: Iterable) -> list:
    seen = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _ids(inputs: Any) -> tuple:
    return tuple(id(x) for x in to_list(inputs, allow_tuple=True))


def check_weight_shape(layer_name: str, weight: Any, shape: tuple) -> None:
    """Raises the ValueError of `set_weights` when a value of `shape` cannot go into `weight`.

    Example:
        >>> from multinn import backend as K
        >>> check_weight_shape("dense", K.variable([1.0, 2.0], name="bias"), (2,))
    """
    if tuple(weight.shape) != shape:
        raise ValueError(
            f"Layer {layer_name!r}: weight {weight.name!r} has shape {tuple(weight.shape)}, which is not compatible "
            f"with the provided weight shape {shape}."
        )


def _host(value: Any) -> Any:
    """Something `Variable.assign` accepts from any backend: tensors of another backend go via the host."""
    if isinstance(value, K.Tensor):
        return value if value.backend is K.default_backend() else value.numpy()
    return _on_default_backend(value)


def _on_default_backend(value: Any) -> Any:
    """`value` (K tensor, NumPy or CuPy array, list) as data of the current default backend."""
    default = K.default_backend()
    if isinstance(value, K.Tensor):
        return value if value.backend is default else value.numpy()
    t = K.convert_to_tensor(value, dtype=getattr(value, "dtype", None))
    return t if t.backend is default else t.numpy()
