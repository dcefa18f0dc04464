"""clone_model: a new model with the same architecture and fresh weights (Keras 2's `keras.models.clone_model`)."""
from __future__ import annotations

from typing import Any


def clone_model(model: Any, input_tensors: Any = None) -> Any:
    """Returns a copy of a functional or Sequential model with newly initialised weights.

    Args:
        model: the model to copy (subclassed models have no config and cannot be cloned).
        input_tensors: optional tensors to build the clone on (Keras tensors, or tensors with
            values, which become `Input(tensor=...)`); the result is then a functional model
            from them to the clone's outputs.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> twin = multinn.models.clone_model(model)
        >>> twin.output_shape, twin.layers[0] is model.layers[0]
        ((None, 2), False)
    """
    from .layer_registry import deserialize_layer
    from .network import Network
    from .training import Model

    if not isinstance(model, Network) or not (model._is_graph_network or type(model).__name__ == "Sequential"):
        raise ValueError(
            f"clone_model expects a functional or Sequential model; subclassed models have no config to copy. "
            f"Received: model={model!r}"
        )
    config = {"class_name": type(model).__name__, "config": model.get_config()}
    # Layer names are kept, as in Keras 2; the copies own new weights.
    # The model's own layer classes resolve their names, so user-defined layers clone too.
    classes = {}
    for layer in _all_layers(model):
        classes.setdefault(type(layer).__name__, type(layer))
    clone = deserialize_layer(config, custom_objects=classes)
    if input_tensors is None:
        return clone
    input_tensors = _as_keras_inputs(input_tensors)
    outputs = clone(input_tensors)
    return Model(input_tensors, outputs, name=f"{model.name}_clone")


def _as_keras_inputs(tensors: Any) -> Any:
    """Model inputs from `tensors`: Keras tensors stay, other tensors become `Input(tensor=...)`."""
    from .input_layer import Input
    from .keras_tensor import KerasTensor

    def wrap(t):
        return t if type(t) is KerasTensor else Input(tensor=t)

    if isinstance(tensors, (list, tuple)):
        return [wrap(t) for t in tensors]
    return wrap(tensors)


def _all_layers(model: Any) -> list:
    """The layers of `model` and of the models nested in it."""
    out, stack = [], [model]
    while stack:
        layer = stack.pop()
        out.append(layer)
        stack.extend(getattr(layer, "layers", None) or [])
        inner = getattr(layer, "layer", None)  # wrappers (TimeDistributed, Bidirectional)
        if inner is not None and not isinstance(inner, (list, tuple)):
            stack.append(inner)
    return out
