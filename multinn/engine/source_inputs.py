"""`get_source_inputs`: the Input tensors a symbolic tensor was computed from."""
from __future__ import annotations

from typing import Any


def get_source_inputs(tensor: Any, layer: Any = None, node_index: "int | None" = None) -> list:
    """The input tensors (outputs of `Input()`) that `tensor`'s graph starts from, in the
    order they are first reached, each once.

    A value that is not a symbolic tensor is returned as it is (Keras 2.3.1's behaviour).

    Args:
        tensor: a symbolic tensor.
        layer, node_index: the node to start from; `tensor`'s own history when not given.

    Example:
        >>> from multinn.layers import Input, Dense, concatenate
        >>> a, b = Input(shape=(2,)), Input(shape=(3,))
        >>> c = Dense(1)(concatenate([a, Dense(2)(b)]))
        >>> [t is s for t, s in zip(get_source_inputs(c), [a, b])]
        [True, True]
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor
    if layer is None or node_index is None:
        layer, node_index, _ = history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inbound_layers:
        return list(node.input_tensors)
    sources: list = []
    for x, inbound, index in zip(node.input_tensors, node.inbound_layers, node.node_indices):
        for source in get_source_inputs(x, inbound, index):
            if not any(source is seen for seen in sources):
                sources.append(source)
    return sources
