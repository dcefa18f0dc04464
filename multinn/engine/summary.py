"""Keras 2's model summary table."""
from __future__ import annotations

from typing import Any, Callable


def _sequential_like(model: Any) -> bool:
    if type(model).__name__ == "Sequential" or not model._is_graph_network:
        return True
    nodes = []
    for group in model._nodes_by_depth.values():
        if len(group) > 1 or (len(group) == 1 and len(group[0].inbound_layers) > 1):
            return False
        nodes += group
    node_ids = {id(n) for n in nodes}
    for layer in model.layers:
        if sum(1 for node in layer._inbound_nodes if id(node) in node_ids) > 1:
            return False
    return True


def count_params(weights: list) -> int:
    """The number of scalars in `weights`, each weight counted once (Keras 2.3.1's
    `keras.utils.layer_utils.count_params`).

    Example:
        >>> from multinn import backend as K
        >>> w = K.zeros((3, 4))
        >>> count_params([w, w, K.zeros((4,))])
        16
    """
    seen = {}
    for w in weights:
        seen[id(w)] = w
    total = 0
    for w in seen.values():
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def print_summary(model: Any, line_length: "int | None" = None, positions: Any = None, print_fn: "Callable | None" = None) -> None:
    """Prints the summary of `model`: one row per layer, then the parameter totals.

    Non-trainable parameters (frozen layers, BatchNormalization's moving statistics)
    are counted apart.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,), name="d")])
        >>> model.summary(print_fn=lambda line: None)
    """
    print_fn = print_fn or print
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or calling `fit()` with "
            "some data, or specify an `input_shape` argument in the first layer(s) for automatic build."
        )
    sequential = _sequential_like(model)
    if sequential:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant = set()
        for group in model._nodes_by_depth.values():
            relevant.update(id(n) for n in group)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for i, field in enumerate(fields):
            if i > 0:
                line = line[:-1] + " "
            line += str(field)
            line = line[: positions[i]]
            line += " " * (positions[i] - len(line))
        print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    row(header)
    print_fn("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        try:
            output_shape = layer.output_shape
        except (AttributeError, ValueError):
            output_shape = "multiple"
        label = f"{layer.name} ({type(layer).__name__})"
        params = layer.count_params() if layer.built else 0
        if sequential:
            row([label, output_shape, params])
        else:
            connections = []
            for node in layer._inbound_nodes:
                if id(node) not in relevant:
                    continue
                for inbound, node_index, tensor_index in zip(node.inbound_layers, node.node_indices, node.tensor_indices):
                    connections.append(f"{inbound.name}[{node_index}][{tensor_index}]")
            row([label, output_shape, params, connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    # A compiled model trains the weights collected by compile (Keras 2 counts those).
    trainable_weights = getattr(model, "_collected_trainable_weights", None)
    if trainable_weights is None:
        trainable_weights = model.trainable_weights
    trainable = count_params(trainable_weights)
    trainable_ids = {id(w) for w in trainable_weights}
    non_trainable = count_params([w for w in model.weights if id(w) not in trainable_ids])
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)
