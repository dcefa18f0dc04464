"""Sequential: a linear stack of layers (Keras 2's `keras.models.Sequential`)."""
from __future__ import annotations

import copy
import warnings
from typing import Any

from multinn import backend as K

from . import call_state
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .layer_registry import deserialize_layer, register_layer
from .network import Network
from .training import Model


@register_layer
class Sequential(Model):
    """A model whose layers run one after the other.

    The model is built (its graph made) as soon as the first layer knows its input shape
    (`input_shape=`, `batch_input_shape=`, `input_dim=`, or an `InputLayer` first);
    otherwise on the first call, `build(input_shape)`, or `fit`/`predict` (from the data).

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential()
        >>> model.add(Dense(4, input_shape=(3,)))
        >>> model.add(Dense(1))
        >>> model.output_shape
        (None, 1)
    """

    def __init__(self, layers: Any = None, name: "str | None" = None):
        self._base_init(name)
        self._seq_layers = []
        self._seq_outputs = []
        self._build_input_shape = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return list(self._seq_layers)

    def _sublayers(self) -> list:
        return list(self._seq_layers)

    def add(self, layer: Layer) -> None:
        """Adds a layer on top of the stack."""
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: layer={layer!r}")
        if not self._seq_layers and not self._is_graph_network:
            x = None
            if isinstance(layer, InputLayer):
                self._input_layer = layer
                self._seq_input = layer._inbound_nodes[0].output_tensors[0]
                self._apply_graph()
                return
            if getattr(layer, "batch_input_shape", None) is not None:
                x = Input(batch_shape=layer.batch_input_shape, dtype=layer.dtype, name=f"{layer.name}_input")
            elif isinstance(layer, Network) and layer._is_graph_network and len(layer.inputs) == 1:
                t = layer.inputs[0]
                x = Input(batch_shape=t._keras_shape, dtype=t.dtype, name=f"{layer.name}_input")
            self._seq_layers.append(layer)
            call_state.structure_changed()
            if x is not None:
                self._seq_input = x
                self._chain_from(0, x)
            return
        self._seq_layers.append(layer)
        call_state.structure_changed()
        if self._is_graph_network:
            self._chain_from(len(self._seq_layers) - 1, self._seq_outputs[-1] if self._seq_outputs else self._seq_input)

    def _chain_from(self, start: int, x: Any) -> None:
        del self._seq_outputs[start:]
        for layer in self._seq_layers[start:]:
            out = layer(x)
            if isinstance(out, list):
                raise TypeError(
                    f"All layers in a Sequential model should have a single output tensor; layer {layer.name!r} has "
                    f"{len(out)}. For multi-output layers, use the functional API."
                )
            self._seq_outputs.append(out)
            x = out
        self._apply_graph()

    def _apply_graph(self) -> None:
        output = self._seq_outputs[-1] if self._seq_outputs else self._seq_input
        compiled = getattr(self, "_compiled", False)
        self._set_graph([self._seq_input], [output])
        self._built = True
        if compiled:
            self._output_setup = None
            self._setup_outputs([tuple(t._keras_shape) for t in self.outputs], list(self.output_names))
            self._collected_trainable_weights = None  # collected again at the next training step
        self._trainable_cache = None

    def pop(self) -> None:
        """Removes the last layer."""
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        call_state.structure_changed()
        if self._is_graph_network:
            del self._seq_outputs[len(self._seq_layers):]
            if not self._seq_layers and not hasattr(self, "_input_layer"):
                self._is_graph_network = False
                self._built = False
                self.inputs, self.outputs = [], []
                return
            self._apply_graph()

    def build(self, input_shape: Any = None) -> None:
        """Makes the graph for inputs of `input_shape` (with the batch dimension, None allowed)."""
        if self._is_graph_network:
            self._built = True
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument to build a Sequential model with no input shape.")
        if isinstance(input_shape, list):
            if len(input_shape) != 1:
                raise ValueError(f"A Sequential model has one input. Received: input_shape={input_shape!r}")
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        first = self._seq_layers[0] if self._seq_layers else None
        name = f"{first.name}_input" if first is not None else None
        self._seq_input = Input(batch_shape=input_shape, name=name, dtype=getattr(first, "dtype", None) if first is not None and _is_float(first.dtype) else None)
        self._build_input_shape = input_shape
        self._chain_from(0, self._seq_input)

    def _maybe_build(self, input_shapes: Any) -> None:
        if not self._is_graph_network:
            self.build(input_shapes)
        self._built = True

    def _build_from_data(self, x: Any) -> None:
        if isinstance(x, list):
            x = x[0]
        self.build((None,) + tuple(x.shape[1:]))

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if not self._is_graph_network:
            x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            self.build((None,) + tuple(K.int_shape(x)[1:]))
        return super().call(inputs, training=training, mask=mask)

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """`predict`, warning when the outputs are not probabilities (outside [0, 1]).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(2, activation="softmax", input_shape=(1,))])
            >>> round(float(model.predict_proba([[1.0]]).sum()), 4)
            1.0
        """
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn(
                "Network returning invalid probability values. The last layer might not normalize predictions into "
                "probabilities (like softmax or sigmoid would).",
                UserWarning,
                stacklevel=2,
            )
        return preds

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """Class indices: the argmax of the last axis, or `output > 0.5` (int32) for one unit.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            >>> model.predict_classes([[2.0], [-1.0]]).tolist()
            [[1], [0]]
        """
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def get_config(self) -> dict:
        """{'name': ..., 'layers': [layer configs]} (Keras 2.2's format), plus the build shape when deferred."""
        layers = []
        if hasattr(self, "_input_layer"):
            layers.append({"class_name": "InputLayer", "config": self._input_layer.get_config()})
        for layer in self._seq_layers:
            layers.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        config = {"name": self.name, "layers": copy.deepcopy(layers)}
        if self._build_input_shape is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config: Any, custom_objects: "dict | None" = None) -> "Sequential":
        from multinn.utils.generic_utils import custom_object_scope

        if isinstance(config, dict):
            name, layer_configs, build_shape = config.get("name"), config["layers"], config.get("build_input_shape")
        else:
            name, layer_configs, build_shape = None, config, None
        model = cls(name=name)
        with custom_object_scope(custom_objects or {}):
            for conf in layer_configs:
                model.add(deserialize_layer(conf))
        if build_shape is not None and not model._is_graph_network:
            model.build(tuple(build_shape))
        return model


def _is_float(dtype: Any) -> bool:
    return str(dtype).startswith("float")
