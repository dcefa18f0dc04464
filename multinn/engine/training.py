"""Model: a Network that can be compiled, trained, evaluated and asked to predict (Keras 2 API)."""
from __future__ import annotations

import contextlib
import inspect
import warnings
from typing import Any, NamedTuple

from multinn import backend as K
from multinn.backend.ops.state import global_learning_phase_is_set
from .layer_registry import register_layer
from .legacy import legacy_support
from .legacy_interfaces import FIT, GENERATOR_METHODS

from . import training_arrays, training_generator
from . import training_utils as tu
from .base_layer import no_updates_scope, to_list, training_step_scope
from .fed_tensors import holds_value, resolve_target_tensors
from .loop_arguments import check_loop_arguments, check_samples, check_validation_split, split_validation_data
from .network import Network

_KEEP_PHASE = contextlib.nullcontext()


class OutputSetup(NamedTuple):
    """What compile resolved per model output (in output order), read by field name.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(1, input_shape=(2,))])
        >>> model.compile("sgd", "mae", loss_weights=[0.5])
        >>> model._output_setup.loss_weights, model._output_setup.loss_fns[0].__name__
        ([0.5], 'mean_absolute_error')
    """

    loss_fns: list  # the loss function or Loss object of each output; None: no loss, no targets
    loss_weights: list  # each output's weight (a float) in the total loss
    metric_fns: list  # per output, its (log name, metric function or object, weighted) triples
    output_names: list


def _phase_scope(value: int) -> Any:
    """The learning phase of a train (1) or test/predict (0) step, unless the user fixed one:
    Keras 2 feeds its own phase to these functions only while `K.learning_phase()` is not set."""
    return _KEEP_PHASE if global_learning_phase_is_set() else K.learning_phase_scope(value)


def _metric_name(metric: Any, fn: Any) -> str:
    if isinstance(metric, str):
        return metric
    return getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__)


def _unique_name(name: str, taken: list) -> str:
    """`name`, or `name_1`, `name_2`, ... when taken (Keras 2.3 keeps log keys distinct)."""
    base, j = name, 1
    while name in taken:
        name, j = f"{base}_{j}", j + 1
    return name


def _metrics_per_output(metrics: Any, output_names: list, kind: str) -> list:
    """One list of metrics per output: a dict by output name, a list of lists (one per output),
    or one list (or metric) for every output, as Keras 2 reads `metrics`."""
    n = len(output_names)
    if metrics is None:
        return [[] for _ in range(n)]
    if isinstance(metrics, dict):
        return [to_list(metrics.get(name, []), allow_tuple=True) for name in output_names]
    if isinstance(metrics, (list, tuple)) and any(isinstance(m, (list, tuple)) for m in metrics):
        return [to_list(m, allow_tuple=True) for m in tu.per_output(metrics, output_names, kind)]
    return [list(metrics) if isinstance(metrics, (list, tuple)) else [metrics] for _ in range(n)]


def _is_generator_or_sequence(x: Any) -> bool:
    """A Python generator or a `multinn.utils.Sequence`: data that fit/evaluate/predict hand to
    their generator versions (Keras 2.3)."""
    from multinn.utils.data_utils import Sequence

    return inspect.isgenerator(x) or isinstance(x, Sequence)


def _check_generator_arguments(y: Any, sample_weight: Any, validation_split: float = 0.0) -> None:
    if y is not None:
        raise ValueError(
            "`y` argument is not supported when data is a generator or Sequence instance. Instead pass targets as "
            "the second element of the generator."
        )
    if sample_weight is not None:
        raise ValueError(
            "`sample_weight` argument is not supported when data is a generator or Sequence instance. Instead pass "
            "sample weights as the third element of the generator."
        )
    if validation_split:
        raise ValueError(
            "If your data is in the form of a Python generator, you cannot use `validation_split`. "
            f"Received: validation_split={validation_split!r}"
        )


@register_layer
@register_layer(name="Functional")  # tf.keras 2.4+ writes functional models as 'Functional'
class Model(Network):
    """A model with training: `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` methods.

    Example:
        >>> import numpy as np
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> x = multinn.Input(shape=(2,))
        >>> model = multinn.Model(x, Dense(1)(x))
        >>> model.compile("sgd", "mse")
        >>> history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0)
        >>> sorted(history.history)
        ['loss']
    """

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any,
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        sample_weight_mode: Any = None,
        weighted_metrics: Any = None,
        target_tensors: Any = None,
        **kwargs: Any,
    ) -> None:
        """Configures training: the optimizer, a loss per output, metrics and loss weights.

        Args:
            optimizer: a name ('sgd', 'adam', ...) or an optimizer instance.
            loss: a name, function or Loss object; or a list / dict (by output name) of them.
            metrics: a list of metrics for every output, or a dict by output name.
            loss_weights: a list or dict of scalars weighting each output's loss.
            sample_weight_mode: None (per-sample weights) or 'temporal' (per timestep).
            target_tensors: tensors to train against instead of fed targets: one tensor, a
                list (one entry per output) or a dict by output name; None or a placeholder
                leaves that output's targets fed.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
            >>> model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
            >>> model.metrics_names
            ['loss', 'accuracy']
        """
        from multinn import optimizers
        from multinn.utils.generic_utils import check_kwargs

        # The named parameters only serve the close-match hint of a misspelled keyword.
        check_kwargs(kwargs, tuple(inspect.signature(Model.compile).parameters)[1:-1], "compile()")
        self._target_tensors = target_tensors
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self._compile_metrics = metrics
        self._compile_weighted_metrics = weighted_metrics
        self._compiled = True
        self._output_setup = None
        self.stop_training = False
        # Keras 2 collects the trainable weights here: a later `trainable = False` takes
        # effect at the next compile (the GAN recipe relies on it). An unbuilt model
        # collects them at its first training step.
        self._collected_trainable_weights = self.trainable_weights if self.built else None
        # Likewise whether this model runs its layers' updates (BatchNormalization's moving
        # statistics) when it trains; its sub-networks' flags count as they are at each step.
        self._trainable_at_compile = self.trainable
        self._checked_collected_weights = False
        if self._is_graph_network:
            self._setup_outputs([tuple(t._keras_shape) for t in self.outputs], list(self.output_names))

    def _setup_outputs(self, output_shapes: list, output_names: list) -> None:
        """Resolves losses, loss weights and metrics per output (once the outputs are known)."""
        from multinn import losses as losses_module
        from multinn import metrics as metrics_module

        n = len(output_shapes)
        loss_list = tu.per_output(self.loss, output_names, "loss")
        missing = [name for name in output_names if name not in self.loss] if isinstance(self.loss, dict) else []
        for name in missing:
            warnings.warn(
                f"Output {name!r} missing from loss dictionary. We assume this was done on purpose, and we "
                f"will not be expecting any data to be passed to {name!r} during training.",
                UserWarning,
                stacklevel=3,
            )
        # loss=None is allowed, as in Keras 2, for models whose layers add their own losses
        # (add_loss); such a model trains without targets.
        loss_fns = [None if item is None else losses_module.get(item) for item in loss_list]
        targets = resolve_target_tensors(getattr(self, "_target_tensors", None), output_names)
        self._fixed_targets = [t if holds_value(t) else None for t in targets]

        weight_list = [1.0] * n
        if self.loss_weights is not None:  # Keras 2: a list or a dict, nothing else
            weight_list = [float(w) for w in tu.per_output(
                self.loss_weights, output_names, "loss_weights", sequences=(list,), others="error", default=1.0
            )]

        self._sample_weight_modes(output_names, [fn is not None for fn in loss_fns])  # errors at compile time, as Keras 2
        per_output = _metrics_per_output(self._compile_metrics, output_names, "metrics")
        weighted_per_output = _metrics_per_output(self._compile_weighted_metrics, output_names, "weighted_metrics")
        metric_fns = []
        used = set()  # metric objects already given to an output: another output gets a fresh copy
        for i in range(n):
            resolved = []
            if loss_fns[i] is None:  # an output without loss takes no targets: no metrics either
                metric_fns.append(resolved)
                continue
            for weighted, items in ((False, per_output[i]), (True, weighted_per_output[i])):
                for m in items:
                    fn = metrics_module.resolve(m, loss_list[i], output_shapes[i])
                    if isinstance(fn, metrics_module.Metric):
                        fn = metrics_module.clone_metric(fn) if id(fn) in used else fn
                        used.add(id(fn))
                        if isinstance(m, str):  # made from a name ('AUC'): the name the user wrote
                            fn.name = m
                        name = fn.name  # a metric object is named by itself, weighted or not (Keras 2.3)
                    else:
                        name = ("weighted_" if weighted else "") + _metric_name(m, fn)
                    resolved.append((name, fn, weighted))
            metric_fns.append(resolved)

        names = ["loss"]
        if n > 1:
            names += [f"{output_names[i]}_loss" for i in range(n) if loss_fns[i] is not None]
        stateful = set()
        for i in range(n):
            prefix = f"{output_names[i]}_" if n > 1 else ""
            for name, fn, _ in metric_fns[i]:
                name = _unique_name(prefix + name, names)
                names.append(name)
                if isinstance(fn, metrics_module.Metric):
                    stateful.add(name)
        self._compile_metrics_names = names
        self._stateful_compile_names = stateful
        self._output_setup = OutputSetup(loss_fns, weight_list, metric_fns, output_names)
        self._has_metrics = any(metric_fns)
        self._loss_list = loss_list

    def _set_inputs(self, inputs: Any, outputs: Any = None, training: Any = None) -> None:
        """Sets the model's inputs once (Keras 2): a functional model takes back the Input
        tensors it was built from (after `model.inputs = None`); a subclassed model is called
        on `inputs` (unless `outputs` are given) and keeps both.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> x = multinn.Input(shape=(2,))
            >>> model = multinn.Model(x, Dense(1)(x))
            >>> model.inputs = None
            >>> model._set_inputs(x)
            >>> model.predict([[1.0, 2.0]]).shape
            (1, 1)
        """
        if self.inputs:
            raise ValueError(f"Model inputs are already set: {self.inputs}. Received: inputs={inputs!r}")
        inputs = to_list(inputs, allow_tuple=True)
        if self._is_graph_network:
            own = [layer._inbound_nodes[0].output_tensors[0] for layer in self._input_layers]
            if len(inputs) != len(own) or any(a is not b for a, b in zip(inputs, own)):
                raise ValueError(
                    f"A functional model's inputs are the Input tensors it was built from: {own}. Received: inputs={inputs}"
                )
            self.inputs = list(inputs)
            return
        if outputs is None:
            kwargs = {} if training is None else {"training": training}
            outputs = self(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
        self.inputs = list(inputs)
        self.outputs = to_list(outputs, allow_tuple=True)
        self.input_names = [t._keras_history[0].name for t in self.inputs]
        self.output_names = [f"output_{i + 1}" for i in range(len(self.outputs))]

    def _check_compiled(self) -> None:
        if not getattr(self, "_compiled", False):
            raise RuntimeError("You must compile your model before training/testing. Use `model.compile(optimizer, loss)`.")

    # ------------------------------------------------------------------ data
    def _model_backend(self) -> Any:
        for w in self.weights:
            return w.backend
        return K.default_backend()

    def _ensure_built(self, x_first: Any) -> None:
        """Builds a deferred Sequential model from the shape of the data."""
        if self.built or self._is_graph_network:
            return
        build_graph = getattr(self, "_build_from_data", None)
        if build_graph is not None:
            build_graph(x_first)

    def _input_spec_lists(self) -> tuple:
        if self._is_graph_network:
            return list(self.input_names), [tuple(t._keras_shape) for t in self.inputs], [t.dtype for t in self.inputs]
        return None, None, None

    def _fixed_inputs(self) -> list:
        """Per input, the value of its `Input(tensor=...)`, or None where the data is fed."""
        return [getattr(layer, "input_tensor_value", None) for layer in getattr(self, "_input_layers", [])]

    def _standardize_x(self, x: Any, argument: str = "x") -> list:
        fixed = self._fixed_inputs() if self._is_graph_network else []
        if any(t is not None for t in fixed):
            return self._standardize_x_with_fixed(x, fixed, argument)
        if x is None:
            raise ValueError("No input data: pass `x` (an array, or a list / dict of arrays for several inputs).")
        names, shapes, dtypes = self._input_spec_lists()
        if names is None:
            if isinstance(x, dict):
                raise ValueError("A subclassed model takes its inputs as an array or a list of arrays, not a dict.")
            if isinstance(x, (list, tuple)) and not tu._is_number_list(x):
                count = len(x)
            else:
                count = 1
            names = [f"input_{i + 1}" for i in range(count)]
        # As Keras 2: a fixed batch size in the model's inputs (stateful RNNs) is not the number of
        # samples; data of any length is batched by the loops.
        return tu.standardize_input_data(
            x, names, shapes, self._model_backend(), dtypes, check_batch_axis=False, argument=argument
        )

    def _standardize_x_with_fixed(self, x: Any, fixed: list, argument: str = "x") -> list:
        """Inputs made with `Input(tensor=...)` take their tensor's value; `x` holds the others only."""
        names, shapes, dtypes = self._input_spec_lists()
        fed = [i for i, t in enumerate(fixed) if t is None]
        backend = self._model_backend()
        xs = [None if t is None else tu.to_backend_tensor(t, backend) for t in fixed]
        if fed or x is not None:
            values = tu.standardize_input_data(
                x, [names[i] for i in fed], [shapes[i] for i in fed], backend, [dtypes[i] for i in fed],
                check_batch_axis=False, argument=argument,
            )
            if fed and any(v is None for v in values):
                raise ValueError(f"No input data: pass `x` for the model's inputs {[names[i] for i in fed]}.")
            for i, value in zip(fed, values):
                xs[i] = value
        return xs

    def _check_stateful_batches(self, n_samples: int, batch_size: int, allow_one_batch: bool = False) -> None:
        """A stateful model gets whole batches only (Keras 2: the sample count must divide by the batch size)."""
        if not self.stateful or n_samples % batch_size == 0 or (allow_one_batch and n_samples <= batch_size):
            return
        raise ValueError(
            "In a stateful network, pass a number of samples that divides by the batch size. "
            f"Received: {n_samples} samples with batch_size={batch_size}"
        )

    def _target_shapes(self) -> "list | None":
        from multinn import losses as losses_module

        if not self._is_graph_network or self._output_setup is None:
            return None
        out = []
        for t, fn in zip(self.outputs, self._output_setup.loss_fns):
            shape = tuple(t._keras_shape)
            if fn is None or isinstance(fn, losses_module.Loss):
                out.append(None)
            elif fn is losses_module.sparse_categorical_crossentropy:
                out.append(shape[:-1] + (1,))
            elif getattr(losses_module, getattr(fn, "__name__", ""), None) is fn:
                out.append(shape)
            else:
                out.append(None)
        return out

    def _needs_targets(self) -> bool:
        if self._output_setup is not None:
            return bool(self._fed_outputs(len(self._output_setup.loss_fns)))
        return self.loss is not None

    def _with_fixed_targets(self, ys: list, n: int) -> list:
        """`ys` (one entry per output, or []) with the `target_tensors` values filled in."""
        fixed = getattr(self, "_fixed_targets", None) if self._output_setup is not None else None
        if not fixed or all(t is None for t in fixed):
            return ys
        ys = list(ys) or [None] * n
        backend = self._model_backend()
        for i, t in enumerate(fixed):
            if t is not None:
                ys[i] = tu.to_backend_tensor(t, backend)
        return ys

    def _standardize_y(self, y: Any, n_samples: int, argument: str = "y") -> list:
        if y is None:
            if not self._needs_targets():
                # the model's own losses (add_loss) and its target_tensors are all it needs
                return self._with_fixed_targets([], len(self._output_setup.loss_fns) if self._output_setup else 0)
            raise ValueError("No target data: pass `y` to train or evaluate a model compiled with a loss.")
        names = list(self.output_names) if self._is_graph_network else None
        if names is None:
            count = len(y) if isinstance(y, (list, tuple)) and not tu._is_number_list(y) else 1
            names = [f"output_{i + 1}" for i in range(count)]
        # Outputs without a loss take no targets (Keras 2): y covers the others, in order.
        fed = self._fed_outputs(len(names))
        ys = tu.standardize_input_data(
            y, [names[i] for i in fed], None, self._model_backend(), check_batch_axis=False, exception_prefix="target",
            argument=argument,
        )
        ys = self._with_fixed_targets(self._expand_to_outputs(ys, fed, len(names)), len(names))
        if self._output_setup is not None:
            shapes = [tuple(t._keras_shape) for t in self.outputs] if self._is_graph_network else [(None,)] * len(ys)
            tu.check_loss_and_target_compatibility(ys, self._output_setup.loss_fns, shapes)
        shapes = self._target_shapes()
        if shapes is not None:
            for t, name, shape in zip(ys, names, shapes):
                if shape is not None and t is not None:
                    tu._check_shape(t, tuple(shape), name, "target", False)
        return ys

    def _sample_weight_modes(self, names: list, weighted: "list | None" = None) -> list:
        """`sample_weight_mode` per output: one mode for all, a list, or a dict by output name
        (naming every output in `weighted`, those with a loss)."""
        mode = getattr(self, "sample_weight_mode", None)
        required = [n for n, w in zip(names, weighted or []) if w]
        return tu.per_output(mode, names, "sample_weight_mode", required=required)

    def _fed_outputs(self, n: int) -> list:
        """Indices of the outputs that take targets: those with a loss and no `target_tensors` value."""
        if self._output_setup is None:
            return list(range(n))
        fixed = getattr(self, "_fixed_targets", None) or [None] * n
        return [i for i, fn in enumerate(self._output_setup.loss_fns) if fn is not None and fixed[i] is None]

    @staticmethod
    def _expand_to_outputs(items: list, fed: list, n: int) -> list:
        """One entry per output: `items` at the `fed` positions, None elsewhere."""
        out = [None] * n
        for i, item in zip(fed, items):
            out[i] = item
        return out

    def _standardize_user_data(self, x: Any, y: Any, sample_weight: Any = None, class_weight: Any = None,
                               argument: "str | None" = None) -> tuple:
        """Inputs, targets and sample weights as lists of K tensors, one entry per input / output.

        Errors about the values name the argument they came from: `x`, `y` and `sample_weight`,
        or `argument` for all three (fit's 'validation_data').
        """
        xs = self._standardize_x(x, argument or "x")
        self._ensure_built(xs[0] if len(xs) == 1 else xs)
        ys = self._standardize_y(y, int(xs[0].shape[0]), argument or "y")
        if self._is_graph_network or getattr(self, "_output_setup", None) is not None:
            names = list(self.output_names)
        else:
            names = [f"output_{i + 1}" for i in range(len(ys))]
        fed = [i for i, t in enumerate(ys) if t is not None]
        fed_names = [names[i] for i in fed]
        sws = self._expand_to_outputs(tu.weights_per_output(sample_weight, fed_names, "sample_weight"), fed, len(ys))
        cws = self._expand_to_outputs(tu.weights_per_output(class_weight, fed_names, "class_weight"), fed, len(ys))
        modes = self._sample_weight_modes(names)
        weights = [
            None if yy is None else tu.standardize_weights(yy, sw, cw, mode, self._model_backend(), argument or "sample_weight")
            for yy, sw, cw, mode in zip(ys, sws, cws, modes)
        ]
        tu.check_array_lengths(xs, ys, weights)
        return xs, ys, weights

    # ------------------------------------------------------------------ steps
    def _forward(self, xs: list) -> list:
        return to_list(self(xs[0] if len(xs) == 1 else xs), allow_tuple=True)

    def _ensure_output_setup(self, outs: list) -> None:
        if self._output_setup is None:
            names = list(self.output_names) if self._is_graph_network else [f"output_{i + 1}" for i in range(len(outs))]
            self.output_names = names
            self._setup_outputs([(None,) + tuple(o.shape[1:]) for o in outs], names)

    def _losses_and_metrics(self, outs: list, ys: list, sws: list, with_metrics: bool) -> tuple:
        from multinn import losses as losses_module

        setup = self._output_setup
        loss_fns, loss_weights = setup.loss_fns, setup.loss_weights
        masks = self._output_masks(len(outs))
        total = None
        per_output = []
        if not ys:  # trained on its own losses only
            ys, sws, loss_fns = [None] * len(outs), [None] * len(outs), [None] * len(outs)
        for out, y, sw, mask, fn, weight in zip(outs, ys, sws, masks, loss_fns, loss_weights):
            if fn is None:
                continue
            if isinstance(fn, losses_module.Loss):
                value = fn(y, out, sample_weight=sw)
                if value.ndim:  # reduction='none': Keras 2.3 trains on and reports the mean
                    value = K.mean(value)
            else:
                value = tu.weighted_mean(fn(y, out), sw, mask)
            per_output.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        for item in self.losses:
            total = item if total is None else total + item
        if total is None:
            raise ValueError(
                f"Model {self.name!r} has nothing to minimize: compile it with a `loss`, or have its layers add "
                "losses with `add_loss`."
            )
        metric_values = self._metric_values(outs, ys, sws) if with_metrics and self._has_metrics else []
        return total, per_output, metric_values

    def _output_masks(self, n: int) -> list:
        """The output masks of the last run (Keras 2 masks the loss with them), or Nones."""
        if self._is_graph_network and self._uses_masks:
            masks = getattr(self, "_last_output_masks", None)
            if masks is not None and len(masks) == n:
                return list(masks)
        return [None] * n

    def _metric_values(self, outs: list, ys: list, sws: list) -> list:
        values = []
        masks = self._output_masks(len(outs))  # Keras 2 masks metrics as it masks the loss
        with K.no_grad():
            for out, y, sw, mask, fns in zip(outs, ys, sws, masks, self._output_setup.metric_fns):
                for _, fn, weighted in fns:
                    if getattr(fn, "_is_metric", False):
                        values.append(tu.update_metric_object(fn, y, out, sw if weighted else None, mask))
                    else:
                        values.append(tu.weighted_mean(fn(y, out), sw if weighted else None, mask))
        return values

    # ------------------------------------------------------------------ stateful metrics
    @property
    def metrics_names(self) -> list:
        """'loss', the per-output losses, the compiled metrics, then the metrics its layers add
        (`add_metric`): the order of the values of `evaluate` and the `*_on_batch` methods."""
        names = list(self.__dict__.get("_compile_metrics_names") or ["loss"])
        for metric in self._added_metrics():
            names.append(_unique_name(metric.name, names))
        return names

    @property
    def metrics(self) -> list:
        """The compiled metrics, per output (metric objects as they run, functions as resolved),
        then the metric objects the layers and the model add (Keras 2.3's `model.metrics`)."""
        setup = getattr(self, "_output_setup", None)
        compiled = [fn for fns in (setup.metric_fns if setup is not None else ()) for _, fn, _ in fns]
        return compiled + self._added_metrics()

    def _added_metrics(self) -> list:
        """The metric objects of `add_metric` (and metric attributes): the model's own, then its
        sublayers' (Keras 2.3's order)."""
        return [m for layer in self._self_and_sublayers() for m in layer.__dict__.get("_metrics", ())]

    def _stateful_metrics_names(self) -> set:
        """The names whose values are running values over the epoch (metric objects)."""
        names = self.metrics_names
        compiled = self.__dict__.get("_stateful_compile_names") or set()
        return compiled | set(names[len(names) - len(self._added_metrics()):])

    def reset_metrics(self) -> None:
        """Zeroes the state of the metric objects (compiled and added); the loops call it at each
        epoch start and before evaluating, as Keras 2.3 does.

        Example:
            >>> import multinn
            >>> from multinn import metrics
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            >>> model.compile("sgd", "mse", metrics=[metrics.MeanAbsoluteError()])
            >>> model.test_on_batch([[1.0]], [[3.0]], reset_metrics=False)
            [4.0, 2.0]
            >>> model.test_on_batch([[1.0]], [[1.0]], reset_metrics=False)
            [0.0, 1.0]
            >>> model.reset_metrics(); model.test_on_batch([[1.0]], [[1.0]])
            [0.0, 0.0]
        """
        setup = getattr(self, "_output_setup", None)
        for fns in (setup.metric_fns if setup is not None else ()):
            for _, fn, _ in fns:
                if getattr(fn, "_is_metric", False):
                    fn.reset_states()
        for metric in self._added_metrics():
            metric.reset_states()

    def _log_values(self, total, per_output, metric_values, as_float: bool = True) -> list:
        values = [total]
        if len(self._output_setup.loss_fns) > 1:
            values += per_output
        values += metric_values
        values += [m.result() for m in self._added_metrics()]
        if as_float:
            # A metric object with several thresholds reports one value per threshold.
            return [float(v) if K.size(v) == 1 else K.eval(v) for v in values]
        # Tensors cut from the graph: reading them later costs no device sync now.
        return K.stop_gradient(values)

    @contextlib.contextmanager
    def _training_scope(self):
        """While training, variables this model does not train take no gradients (nothing is
        computed for them); afterwards every variable's flag follows its own `trainable` again."""
        self._trainable_cache = None
        try:
            yield
        finally:
            self._trainable_cache = None
            for w in self.weights:
                w.needs_grad = w.trainable

    def _check_trainable_weights_consistency(self, stacklevel: int = 3) -> None:
        """Warns when `trainable` flags changed since compile: training still uses the weights
        compile collected (Keras 2)."""
        collected = getattr(self, "_collected_trainable_weights", None)
        if collected is not None and len(self.trainable_weights) != len(collected):
            warnings.warn(
                "Discrepancy between trainable weights and collected trainable weights, did you set "
                "`model.trainable` without calling `model.compile` after ?",
                UserWarning,
                stacklevel=stacklevel,
            )

    def summary(self, line_length: "int | None" = None, positions: Any = None, print_fn: Any = None) -> None:
        """Prints Keras 2's summary table (warning first if `trainable` changed since compile).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> multinn.Sequential([Dense(2, input_shape=(3,))]).summary(print_fn=lambda line: None)
        """
        self._check_trainable_weights_consistency()
        super().summary(line_length=line_length, positions=positions, print_fn=print_fn)

    def _sync_trainable(self) -> list:
        """Marks which variables record gradients for this model; returns the trainable weights
        collected at compile time."""
        trainable = getattr(self, "_collected_trainable_weights", None)
        if trainable is None:
            trainable = self._collected_trainable_weights = self.trainable_weights
        elif not getattr(self, "_checked_collected_weights", False):
            self._checked_collected_weights = True  # once per compile, as Keras 2 warns
            self._check_trainable_weights_consistency(stacklevel=5)
        ids = {id(w) for w in trainable}
        for w in self.weights:
            w.needs_grad = id(w) in ids
        return trainable

    def _train_step(self, xs: list, ys: list, sws: list, as_float: bool = True) -> list:
        with _phase_scope(1), training_step_scope(self, self._trainable_at_compile):
            outs = self._forward(xs)
            if self._output_setup is None:
                self._ensure_output_setup(outs)
            total, per_output, _ = self._losses_and_metrics(outs, ys, sws, with_metrics=False)
            weights = self._trainable_cache
            if weights is None:
                weights = self._trainable_cache = self._sync_trainable()
            grads = K.gradients(total, weights)
            self.optimizer.apply_gradients([(g, w) for g, w in zip(grads, weights) if g is not None])
            self._detach_call_losses()
        metric_values = self._metric_values(outs, ys, sws) if self._has_metrics else []
        return self._log_values(total, per_output, metric_values, as_float)

    def _test_step(self, xs: list, ys: list, sws: list) -> list:
        with K.no_grad(), _phase_scope(0), no_updates_scope():
            outs = self._forward(xs)
            if self._output_setup is None:
                self._ensure_output_setup(outs)
            total, per_output, metric_values = self._losses_and_metrics(outs, ys, sws, with_metrics=True)
            return self._log_values(total, per_output, metric_values)

    def _predict_step(self, xs: list) -> list:
        with K.no_grad(), _phase_scope(0), no_updates_scope():
            return self._forward(xs)

    # ------------------------------------------------------------------ batch API
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       reset_metrics: bool = True) -> Any:
        """One gradient update on one batch; returns the loss (and metrics) before the update.

        With `reset_metrics` (Keras 2.3), metric objects report this batch alone; without,
        they accumulate over calls until `reset_metrics()`.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(2,), kernel_initializer="zeros")])
            >>> model.compile("sgd", "mse")
            >>> model.train_on_batch([[1.0, 2.0]], [[3.0]])
            9.0
        """
        self._check_compiled()
        xs, ys, sws = self._standardize_user_data(x, y, sample_weight, class_weight)
        if reset_metrics:
            self.reset_metrics()
        with self._training_scope():
            out = self._train_step(xs, ys, sws)
        if reset_metrics:
            self.reset_metrics()
        return out[0] if len(out) == 1 else out

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, reset_metrics: bool = True) -> Any:
        """The loss (and metrics) on one batch, without updating the weights (`reset_metrics`
        as for `train_on_batch`).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            >>> model.compile("sgd", "mae")
            >>> model.test_on_batch([[1.0]], [[3.0]])
            2.0
        """
        self._check_compiled()
        xs, ys, sws = self._standardize_user_data(x, y, sample_weight)
        if reset_metrics:
            self.reset_metrics()
        out = self._test_step(xs, ys, sws)
        if reset_metrics:
            self.reset_metrics()
        return out[0] if len(out) == 1 else out

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as NumPy arrays."""
        xs = self._standardize_x(x)
        self._ensure_built(xs[0] if len(xs) == 1 else xs)
        outs = [o.numpy() for o in self._predict_step(xs)]
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------------ loops
    @legacy_support(FIT)  # Keras 1's nb_epoch
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: "int | None" = None,
        epochs: int = 1,
        verbose: int = 1,
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: Any = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: "int | None" = None,
        validation_steps: "int | None" = None,
        validation_freq: Any = 1,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Trains for `epochs` passes over the data and returns a History object.

        Args:
            x, y: arrays (NumPy, CuPy or K tensors), or lists / dicts of them for several inputs / outputs;
                or x a generator / `Sequence` of batches (no y), trained as by `fit_generator`.
            batch_size: samples per gradient update (32 when None).
            epochs: index of the last epoch (training runs from `initial_epoch` to `epochs`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: a list of Callback objects.
            validation_split: fraction of the data (taken from the end, before shuffling) held out for validation.
            validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val); overrides validation_split.
            shuffle: shuffle the samples before each epoch.
            class_weight: {class index: weight}, weighting the loss by each sample's class.
            sample_weight: per-sample weights (1-D; 2-D with sample_weight_mode='temporal').
            initial_epoch: epoch at which to start (to resume a previous run).
            steps_per_epoch: batches per epoch; the batches continue through the (reshuffled) data
                from one epoch to the next. None: one pass over the data.
            validation_freq: validate every this many epochs (an int), or at the 1-based epochs
                listed (e.g. [1, 5, 10]).
            max_queue_size, workers, use_multiprocessing: Keras 2's, for generator input (see
                `fit_generator`).

        Returns:
            A History callback: `history.history` maps each metric (and 'val_' metric) to its
            per-epoch values.

        Raises:
            TypeError / ValueError naming the argument ("... Received: batch_size=0"): loop
            arguments of the wrong type or range, data that are not numbers (strings, complex
            numbers, dates), data that leave no sample to train or validate on.

        Warns:
            UserWarning when `x`, `y` or the validation data hold NaN or infinity (checked once
            per call; training goes on, as in Keras, since a model may handle such values).

        Example:
            >>> import numpy as np
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(3,))])
            >>> model.compile("sgd", "mse", metrics=["mae"])
            >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, validation_split=0.25, verbose=0)
            >>> sorted(history.history), history.epoch
            (['loss', 'mae', 'val_loss', 'val_mae'], [0, 1])
        """
        from multinn import callbacks as cbks
        from multinn.utils.generic_utils import check_kwargs

        check_kwargs(kwargs, tuple(inspect.signature(Model.fit).parameters)[1:-1], "fit()")
        self._check_compiled()
        batch_size, epochs, verbose, initial_epoch, steps_per_epoch, validation_steps = check_loop_arguments(
            batch_size=batch_size, epochs=epochs, verbose=verbose, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
        )
        validation_split = check_validation_split(validation_split)
        if _is_generator_or_sequence(x):
            _check_generator_arguments(y, sample_weight, validation_split)
            return self.fit_generator(
                x, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                validation_data=validation_data, validation_steps=validation_steps, validation_freq=validation_freq,
                class_weight=class_weight, initial_epoch=initial_epoch, shuffle=shuffle, max_queue_size=max_queue_size,
                workers=workers, use_multiprocessing=use_multiprocessing,
            )
        batch_size = 32 if batch_size is None else batch_size
        xs, ys, sws = self._standardize_user_data(x, y, sample_weight, class_weight)
        n_samples = int(xs[0].shape[0])
        check_samples(n_samples, "fit", f"x with {n_samples} samples")
        self._check_stateful_batches(n_samples, batch_size)
        tu.warn_if_not_finite(xs, "x")
        tu.warn_if_not_finite(ys, "y")
        val_ins = None
        if validation_data is not None:
            vx, vy, vsw = split_validation_data(validation_data)
            val_ins = self._standardize_user_data(vx, vy, vsw, argument="validation_data")
            n_val = int(val_ins[0][0].shape[0])
            check_samples(n_val, "fit", f"validation_data with {n_val} samples", "the validation data are empty")
            tu.warn_if_not_finite(val_ins[0] + val_ins[1], "validation_data")
        elif validation_split:
            split = int(n_samples * (1.0 - validation_split))
            received = f"validation_split={validation_split!r} of {n_samples} samples"
            check_samples(split, "fit", received, "validation_split leaves no samples to train on")
            check_samples(n_samples - split, "fit", received, "validation_split leaves no samples to validate on")
            head, tail = slice(None, split), slice(split, None)
            val_ins = tuple([None if t is None else t[tail] for t in items] for items in (xs, ys, sws))
            xs, ys, sws = ([None if t is None else t[head] for t in items] for items in (xs, ys, sws))
        if self._output_setup is None:
            # A subclassed model shows its outputs only when run: one sample tells their
            # number and shapes, so the metric names are known before the first epoch.
            self._ensure_output_setup(self._predict_step([t[:1] for t in xs]))
        with self._training_scope():
            return training_arrays.fit_loop(
                self, xs, ys, sws, val_ins, batch_size, epochs, verbose, callbacks, shuffle, initial_epoch, steps_per_epoch,
                validation_freq,
            )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: "int | None" = None,
        verbose: int = 1,
        sample_weight: Any = None,
        steps: "int | None" = None,
        callbacks: Any = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
    ) -> Any:
        """The loss (and metrics) over the data, in test mode; a scalar or a list ordered as `metrics_names`.

        `max_queue_size`, `workers` and `use_multiprocessing` are Keras 2's, for generator input.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            >>> model.compile("sgd", "mse", metrics=["mae"])
            >>> model.evaluate([[1.0], [2.0]], [[1.0], [4.0]], verbose=0)
            [2.0, 1.0]
        """
        self._check_compiled()
        batch_size, verbose, steps = check_loop_arguments(batch_size=batch_size, verbose=verbose, steps=steps)
        if _is_generator_or_sequence(x):
            _check_generator_arguments(y, sample_weight)
            return self.evaluate_generator(
                x, steps=steps, callbacks=callbacks, verbose=verbose, max_queue_size=max_queue_size, workers=workers,
                use_multiprocessing=use_multiprocessing,
            )
        batch_size = 32 if batch_size is None else batch_size
        xs, ys, sws = self._standardize_user_data(x, y, sample_weight)
        n_samples = int(xs[0].shape[0])
        check_samples(n_samples, "evaluate", f"x with {n_samples} samples")
        self._check_stateful_batches(n_samples, batch_size)
        values = training_arrays.test_loop(self, xs, ys, sws, batch_size, verbose=verbose, callbacks=callbacks)
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: "int | None" = None, verbose: int = 0, steps: "int | None" = None,
                callbacks: Any = None, max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False) -> Any:
        """The model's outputs for `x`, batch by batch in test mode, as NumPy arrays.

        `max_queue_size`, `workers` and `use_multiprocessing` are Keras 2's, for generator input.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            >>> model.predict([1]).tolist()
            [[1.0]]
        """
        batch_size, verbose, steps = check_loop_arguments(batch_size=batch_size, verbose=verbose, steps=steps)
        if _is_generator_or_sequence(x):
            return self.predict_generator(
                x, steps=steps, callbacks=callbacks, verbose=verbose, max_queue_size=max_queue_size, workers=workers,
                use_multiprocessing=use_multiprocessing,
            )
        batch_size = 32 if batch_size is None else batch_size
        xs = self._standardize_x(x)
        self._ensure_built(xs[0] if len(xs) == 1 else xs)
        n_samples = int(xs[0].shape[0])
        check_samples(n_samples, "predict", f"x with {n_samples} samples")
        self._check_stateful_batches(n_samples, batch_size, allow_one_batch=True)
        return training_arrays.predict_loop(self, xs, batch_size, verbose=verbose, callbacks=callbacks)

    # Keras 2's generator-based methods (see training_generator); they read Keras 1's sample counts.
    @legacy_support(GENERATOR_METHODS)
    def fit_generator(self, generator: Any, steps_per_epoch: "int | None" = None, epochs: int = 1, verbose: int = 1,
                      callbacks: Any = None, validation_data: Any = None, validation_steps: "int | None" = None,
                      validation_freq: Any = 1, class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shuffle: bool = True, initial_epoch: int = 0) -> Any:
        """Trains on batches from a generator (or a `Sequence`): `steps_per_epoch` batches per epoch.

        `max_queue_size`, `workers` and `use_multiprocessing` are Keras 2's and accepted as such;
        multinn draws the batches in the calling thread, one at a time.
        """
        steps_per_epoch, epochs, verbose, validation_steps, initial_epoch = check_loop_arguments(
            steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, validation_steps=validation_steps,
            initial_epoch=initial_epoch,
        )
        with self._training_scope():
            return training_generator.fit_generator(
                self, generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                validation_data=validation_data, validation_steps=validation_steps, validation_freq=validation_freq,
                class_weight=class_weight, initial_epoch=initial_epoch, shuffle=shuffle,
            )

    @legacy_support(GENERATOR_METHODS)
    def evaluate_generator(self, generator: Any, steps: "int | None" = None, callbacks: Any = None,
                           max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                           verbose: int = 0) -> Any:
        """The loss (and metrics) averaged over `steps` batches of a generator (batches drawn in the calling thread)."""
        steps, verbose = check_loop_arguments(steps=steps, verbose=verbose)
        return training_generator.evaluate_generator(self, generator, steps=steps, callbacks=callbacks, verbose=verbose)

    @legacy_support(GENERATOR_METHODS)
    def predict_generator(self, generator: Any, steps: "int | None" = None, callbacks: Any = None,
                          max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                          verbose: int = 0) -> Any:
        """Predictions for `steps` batches of a generator, concatenated (NumPy; batches drawn in the calling thread)."""
        steps, verbose = check_loop_arguments(steps=steps, verbose=verbose)
        return training_generator.predict_generator(self, generator, steps=steps, callbacks=callbacks, verbose=verbose)

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str, overwrite: bool = True, include_optimizer: bool = True,
             save_format: "str | None" = None) -> None:
        """Saves architecture, weights and optimizer state to one file: Keras 2's HDF5 layout for
        `.h5`/`.hdf5` names, multinn's zip otherwise (see `multinn.models.load_model`)."""
        from .saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, save_format=save_format)

    def save_weights(self, filepath: str, overwrite: bool = True, save_format: "str | None" = None) -> None:
        """Saves the weights only, layer by layer (HDF5 for `.h5`/`.hdf5` names)."""
        from .saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, save_format=save_format)

    def load_weights(self, filepath: str, by_name: bool = False, skip_mismatch: bool = False,
                     reshape: bool = False) -> None:
        """Loads weights saved by `save_weights` (or `save`, or Keras / tf.keras as .h5); `by_name`
        matches layers by name."""
        from .saving import load_weights

        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, reshape=reshape)
