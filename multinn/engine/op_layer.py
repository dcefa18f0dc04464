"""K calls on graph tensors: `K.mean(x)`, `x * 2 + 1`, `x[:, 0]` on an Input or a layer output.

A K function called with a KerasTensor among its arguments computes nothing: the call
becomes a layer of its own, a `KOperation` holding the K function and its other
arguments, called on the graph tensors. So it is part of the model like any layer: it
runs when the model runs, is differentiated with it, saves by the K function's name and
shows in the summary as `k_<function>`. `K.gradients` of a graph tensor is a
`KGradients` layer, which the model runs with its inputs watched.

This is the one mechanism for K on graph tensors: a `K.placeholder` is an input layer's
KerasTensor too, so a K.placeholder graph is made of the same layers. The engine registers
`KerasGraph` with K (ops/core.py's `symbolic` hooks) when imported; it also makes K's
placeholders and K.function's callables.

A concrete tensor among a K call's arguments that autodiff recorded (computed from trainable
variables, as `w * 2`) is recomputed on each run, so the graph follows later changes of `w`.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from multinn import backend as K
from multinn.backend.ops.core import Primitive, primitive_named
from multinn.backend.ops.symbolic import PROBE_SIZES, ancestors, needs_recompute, probe_shape, recompute, resolve_shape_param

from multinn.compat import add_note

from .base_layer import Layer, to_list
from .keras_tensor import KerasTensor, upstream
from .layer_registry import register_layer


class _Slot:
    """Where the `index`-th graph tensor goes among a recorded call's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _extract(value: Any, found: list) -> Any:
    """`value` with each KerasTensor replaced by a _Slot; the tensors are appended to `found`."""
    if type(value) is KerasTensor:
        for i, t in enumerate(found):
            if t is value:
                return _Slot(i)
        found.append(value)
        return _Slot(len(found) - 1)
    if isinstance(value, list):
        return [_extract(v, found) for v in value]
    if isinstance(value, tuple):
        return tuple(_extract(v, found) for v in value)
    if isinstance(value, dict):
        return {k: _extract(v, found) for k, v in value.items()}
    return value


def _fill(template: Any, values: list, fresh: "dict | None" = None) -> Any:
    """`template` with slots replaced by `values`, and tensors whose ids `fresh` maps by their new values."""
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, list):
        return [_fill(v, values, fresh) for v in template]
    if isinstance(template, tuple):
        return tuple(_fill(v, values, fresh) for v in template)
    if isinstance(template, dict):
        return {k: _fill(v, values, fresh) for k, v in template.items()}
    if fresh and id(template) in fresh:
        return fresh[id(template)]
    return template


def _leaves(template: Any) -> list:
    """The slots and other values held in `template` (a recorded call's arguments), in order."""
    if isinstance(template, (list, tuple)):
        return [leaf for v in template for leaf in _leaves(v)]
    if isinstance(template, dict):
        return [leaf for v in template.values() for leaf in _leaves(v)]
    return [template]


# ------------------------------------------------------------------ arguments as JSON
def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, _Slot):
        return {"input": value.index}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, where) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v, where) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"slice": [_encode(value.start, where), _encode(value.stop, where), _encode(value.step, where)]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, K.Tensor):  # a constant, or a variable's value at the time of saving
        return {"tensor": K.eval(value).tolist(), "dtype": K.dtype(value)}
    if hasattr(value, "tolist") and hasattr(value, "dtype") and hasattr(value, "shape"):  # a host array
        return {"tensor": value.tolist(), "dtype": str(value.dtype)}
    if hasattr(value, "kind") and hasattr(value, "name") and hasattr(value, "itemsize"):
        return {"dtype": str(value.name)}  # a backend dtype object
    if hasattr(value, "item") and not hasattr(value, "shape"):
        return value.item()
    if callable(value):
        raise ValueError(
            f"{where}: the K call takes the Python function {value!r}, which a model config cannot hold. "
            "Put the computation in a Lambda layer (with the function in custom_objects) to save this model."
        )
    raise ValueError(f"{where}: cannot save an argument of type {type(value).__name__} in a model config: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "input" in value:
        return _Slot(int(value["input"]))
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    if "dict" in value:
        return {k: _decode(v) for k, v in value["dict"].items()}
    if "slice" in value:
        return slice(*(_decode(v) for v in value["slice"]))
    if "ellipsis" in value:
        return Ellipsis
    if "tensor" in value:
        return K.constant(value["tensor"], dtype=value["dtype"])
    if "dtype" in value:
        return value["dtype"]
    raise ValueError(f"Unknown argument encoding in a K operation's config: {value!r}")


# ------------------------------------------------------------------ functions by name
def _function_name(function: Any, where: str) -> Any:
    """'primitive:<name>' for a K primitive, 'K:<module>:<qualname>' for a K function, and a
    metric object's serialization for a metric called on graph tensors."""
    if isinstance(function, Primitive):
        return f"primitive:{function.name}"
    if getattr(function, "_is_metric", False):
        from multinn import metrics

        return {"metric": metrics.serialize(function)}
    module = getattr(function, "__module__", "") or ""
    qualname = getattr(function, "__qualname__", "")
    if module.startswith("multinn.") and qualname and "<" not in qualname:
        return f"K:{module}:{qualname}"
    raise ValueError(
        f"{where}: the K call uses the function {function!r}, which cannot be saved by name. "
        "Use a Lambda layer with a named function and custom_objects to save this model."
    )


def _function_from_name(name: Any) -> Callable:
    """The K function a config names; only multinn's own functions are looked up, so
    loading a config never imports or runs anything else."""
    if isinstance(name, dict) and "metric" in name:
        from multinn import metrics

        return metrics.deserialize(name["metric"])
    if not isinstance(name, str):
        raise ValueError(f"A K operation's config names {name!r}, which is not a multinn function.")
    kind, _, rest = name.partition(":")
    if kind == "primitive":
        return primitive_named(rest)
    module, _, qualname = rest.partition(":")
    if kind != "K" or not module.startswith("multinn.") or not qualname:
        raise ValueError(f"A K operation's config names {name!r}, which is not a multinn function.")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _short_name(function: Any) -> str:
    name = getattr(function, "name", None) if isinstance(function, Primitive) else getattr(function, "__name__", None)
    name = name or getattr(function, "name", None)  # a metric object
    return str(name or "op").strip("_")


def _one_or_list(result: Any) -> Any:
    # A graph runs a layer with one output slot on a tensor, not on a list of one.
    if isinstance(result, (list, tuple)):
        result = _flat(result, [])
        return result[0] if len(result) == 1 else result
    return result


def _flat(result: Any, found: list) -> list:
    """The tensors of a (nested) list result in order: K.ctc_decode returns ([decoded], log_prob)."""
    for r in result:
        if isinstance(r, (list, tuple)):
            _flat(r, found)
        else:
            found.append(r)
    return found


def _nesting_of(result: Any) -> Any:
    """The nesting of a list result, leaves as None."""
    return [_nesting_of(r) if isinstance(r, (list, tuple)) else None for r in result]


def _nest(nesting: Any, flat: list) -> Any:
    """`flat` (graph tensors) in `nesting` (`_nesting_of` the K call's result on stand-ins)."""
    position = iter(flat)

    def build(item: Any) -> Any:
        return [build(v) for v in item] if isinstance(item, list) else next(position)

    return build(nesting)


# ------------------------------------------------------------------ the layers
@register_layer
class KOperation(Layer):
    """One K function call on graph tensors, as a layer (made for you by K on Keras tensors).

    Args:
        function: the K function (or K primitive) to call.
        arguments: its positional arguments, graph tensors replaced by slots.
        keywords: its keyword arguments, likewise.
        **kwargs: Layer arguments (`name`, ...).

    Example:
        >>> import multinn
        >>> from multinn import backend as K
        >>> x = multinn.Input(shape=(2,))
        >>> model = multinn.Model(x, K.sum(x * 2 + 1, axis=-1))
        >>> model.predict([[1.0, 2.0]]).tolist()
        [8.0]
        >>> [layer.name.split("_")[0] for layer in model.layers]
        ['input', 'k', 'k', 'k']
    """

    def __init__(self, function: Any, arguments: Any = (), keywords: "dict | None" = None, **kwargs: Any):
        if isinstance(function, (str, dict)):
            function = _function_from_name(function)
        if not kwargs.get("name"):
            prefix = "k_" + _short_name(function)
            kwargs["name"] = f"{prefix}_{K.get_uid(prefix)}"
        super().__init__(**kwargs)
        # Not tracked as a sub-layer (a metric object called on graph tensors is the function:
        # the model that adds its result reports it, once).
        object.__setattr__(self, "function", function)
        self.arguments = list(arguments)
        self.keywords = dict(keywords or {})
        self.supports_masking = True  # masks pass through elementwise K calls, as through Lambda
        self._graph_shapes: list = []  # the graph shapes of its inputs, None for unknown sizes

    def call(self, inputs: Any) -> Any:
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        fresh = self._recomputed()
        keywords = _fill(self.keywords, values, fresh)
        first = self.arguments[0] if self.arguments else None
        if isinstance(first, _Slot) and self._graph_shapes:
            # reshape/broadcast_to sizes copied from a graph shape hold None for the batch
            known = self._graph_shapes[first.index]
            keywords = resolve_shape_param(self.function, keywords, known, K.int_shape(values[first.index]))
        result = self.function(*_fill(self.arguments, values, fresh), **keywords)
        if isinstance(result, (list, tuple)) and any(isinstance(r, (list, tuple)) for r in result):
            self._nesting = _nesting_of(result)
        return _one_or_list(result)

    def _recomputed(self) -> "dict | None":
        """New values of the argument tensors computed from trainable variables (`w * 2`), by id."""
        stale = [t for t in _leaves([self.arguments, self.keywords]) if needs_recompute(t)]
        if not stale:
            return None
        return {id(old): new for old, new in zip(stale, recompute(stale))}

    def compute_output_shape(self, input_shape: Any) -> Any:
        from .shape_inference import infer_output_shape

        self._graph_shapes = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else [tuple(input_shape)]
        try:
            output_shape = infer_output_shape(self, input_shape, fill_float=0.5, explain=False)
        except Exception as unaligned:
            # `K.ones((4, 2)) + x` with x of shape (None, None): the usual probe sizes do not
            # broadcast; retry with each unknown size taken from the other arguments' sizes.
            try:
                output_shape = infer_output_shape(
                    self, input_shape, fill_float=0.5, probe=self._aligned_shapes, explain=False
                )
            except Exception:
                add_note(
                    unaligned,
                    f"(while inferring the output shape of K op {_short_name(self.function)!r} on symbolic inputs "
                    f"of shapes {self._argument_shapes()}; unknown dimensions were probed with sizes {PROBE_SIZES})",
                )
                raise unaligned from None
        # An elementwise call of one tensor (x * 2, K.exp(x)) keeps its mask; a reduction drops it.
        self._keeps_mask = len(self._graph_shapes) == 1 and output_shape == self._graph_shapes[0]
        return output_shape

    def _aligned_shapes(self, shapes: list, k: int) -> list:
        """Probe k's shapes, each unknown size replaced by the size another argument has at the
        same place counted from the right, as broadcasting aligns shapes."""
        known: dict = {}
        for shape in self._argument_shapes():
            for offset, d in enumerate(reversed(shape)):
                if d is not None and d != 1:
                    known.setdefault(offset, d)
        aligned = []
        for shape in shapes:
            probe, n = probe_shape(shape, k), len(shape)
            aligned.append(tuple(known.get(n - 1 - i, probe[i]) if d is None else d for i, d in enumerate(shape)))
        return aligned

    def _argument_shapes(self) -> list:
        """The shapes of the call's tensor arguments in order, graph tensors' with None."""
        return [
            self._graph_shapes[v.index] if isinstance(v, _Slot) else tuple(v.shape)
            for v in _leaves([self.arguments, self.keywords])
            if isinstance(v, (_Slot, K.Tensor))
        ]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not getattr(self, "_keeps_mask", False):
            return None
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    def get_config(self) -> dict:
        where = f"Layer {self.name!r}"
        config = {
            "function": _function_name(self.function, where),
            "arguments": _encode(self.arguments, where),
            "keywords": _encode(self.keywords, where)["dict"],
        }
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config: dict) -> "KOperation":
        config = dict(config)
        config["arguments"] = _decode(config.get("arguments", []))
        config["keywords"] = {k: _decode(v) for k, v in (config.get("keywords") or {}).items()}
        return cls(**config)


@register_layer
class KGradients(KOperation):
    """`K.gradients(loss, targets)` on graph tensors: the gradient of `loss` with respect to
    each target, computed when the graph runs (the model watches its inputs for it).

    Example:
        >>> import multinn
        >>> from multinn import backend as K
        >>> x = multinn.Input(shape=(2,))
        >>> grad = K.gradients(K.sum(K.square(x)), x)[0]
        >>> K.function([x], [grad])([[[1.0, 3.0]]])[0].tolist()
        [[2.0, 6.0]]
    """

    records_gradients = True

    def __init__(self, function: Any = None, arguments: Any = (), keywords: "dict | None" = None, **kwargs: Any):
        super().__init__(K.gradients, arguments, keywords, **kwargs)

    def call(self, inputs: Any) -> Any:
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        loss, targets = _fill(self.arguments, values)
        # Differentiated again (a gradient of this gradient): its backward is recorded too.
        grads = K.gradients(loss, list(targets), create_graph=bool(self.keywords.get("create_graph")))
        return _one_or_list([K.zeros_like(t) if g is None else g for g, t in zip(grads, targets)])

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = to_list(input_shape) if isinstance(input_shape, list) else [input_shape]
        targets = self.arguments[1]
        out = [tuple(shapes[t.index]) if isinstance(t, _Slot) else tuple(K.int_shape(t)) for t in targets]
        return out[0] if len(out) == 1 else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


# ------------------------------------------------------------------ K's hooks for KerasTensor
def _call_as_layer(layer_class: type, function: Any, args: tuple, kwargs: dict) -> Any:
    tensors: list = []
    arguments = _extract(list(args), tensors)
    keywords = _extract(dict(kwargs), tensors)
    layer = layer_class(function, arguments, keywords)
    out = layer(tensors if len(tensors) > 1 else tensors[0])
    # K calls on K.placeholder graphs only are not Keras tensors, as in Keras 2 (K.is_keras_tensor).
    only_placeholders = all(t._placeholder_graph for t in tensors)
    for t in to_list(out, allow_tuple=True):
        t._placeholder_graph = only_placeholders
    nesting = getattr(layer, "_nesting", None)
    return _nest(nesting, to_list(out)) if nesting is not None else out


def _reaches(loss: KerasTensor, target: Any) -> bool:
    """Whether `loss` is computed from `target` (a graph tensor, or a tensor or variable that a
    K call of the graph takes or a layer of it holds as a weight)."""
    graph = upstream([loss])
    if type(target) is KerasTensor:
        return any(t is target for t in graph)
    for t in graph:
        if t._keras_history is None:
            continue
        layer = t._keras_history[0]
        if isinstance(layer, KOperation):
            held = [v for v in _leaves([layer.arguments, layer.keywords]) if isinstance(v, K.Tensor)]
            if any(h is target for h in ancestors(held)):
                return True
        elif any(w is target for w in layer.weights) or callable(getattr(layer, "function", None)):
            return True  # a Lambda's function may use any variable: assume it does
    return False


class KerasGraph:
    """The engine's handler for K's graph-tensor hooks (see ops/core.py `symbolic`)."""

    @staticmethod
    def record(op: Any, args: tuple, params: dict) -> Any:
        return _call_as_layer(KOperation, op, args, params)

    @staticmethod
    def defer(fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return _call_as_layer(KOperation, fn, args, kwargs)

    @staticmethod
    def gradients(loss: KerasTensor, variables: Any) -> list:
        targets = list(variables) if isinstance(variables, (list, tuple)) else [variables]
        for t in targets:
            if not (type(t) is KerasTensor or isinstance(t, K.Tensor)):
                raise TypeError(
                    f"K.gradients expects Tensors, Variables or graph tensors to differentiate by. Received: {t!r}"
                )
        reached = [_reaches(loss, t) for t in targets]
        connected = [t for t, r in zip(targets, reached) if r]
        if connected:
            for t in upstream([loss]):
                layer = t._keras_history[0] if t._keras_history else None
                if isinstance(layer, KGradients):
                    layer.keywords["create_graph"] = True  # differentiated again: record its backward
        grads = to_list(_call_as_layer(KGradients, K.gradients, (loss, connected), {})) if connected else []
        out, position = [], 0
        for r in reached:
            if r:
                out.append(grads[position])
                position += 1
            else:
                out.append(None)  # as Keras: no path from the loss to this tensor
        return out

    @staticmethod
    def placeholder(shape: tuple, dtype: Any, sparse: bool, name: "str | None") -> KerasTensor:
        from .input_layer import placeholder_input

        return placeholder_input(shape, dtype, sparse, name)

    @staticmethod
    def function(inputs: Any, outputs: Any, updates: Any, name: Any) -> Any:
        from .backend_function import GraphFunction

        return GraphFunction(inputs, outputs, updates, name=name)


def register() -> None:
    """Makes K functions called on KerasTensors build layers, and K.placeholder and K.function
    use the engine's graph (called once, by the engine)."""
    from multinn.backend.ops.core import symbolic

    symbolic.register(KerasTensor, KerasGraph())
