"""Node: one call of a layer on symbolic inputs, the edge of a model graph."""
from __future__ import annotations

from typing import Any


class Node:
    """Connects the layers that made a call's inputs to the layer that was called.

    A node belongs to `outbound_layer` (it is in that layer's `_inbound_nodes`) and is
    listed in each inbound layer's `_outbound_nodes`. `arguments` keeps the call's
    keyword arguments (e.g. `training=True`) so that running the graph repeats them.
    """

    __slots__ = (
        "outbound_layer", "inbound_layers", "node_indices", "tensor_indices", "input_tensors",
        "output_tensors", "input_masks", "output_masks", "input_shapes", "output_shapes", "arguments",
    )

    def __init__(
        self,
        outbound_layer: Any,
        inbound_layers: list,
        node_indices: list,
        tensor_indices: list,
        input_tensors: list,
        output_tensors: list,
        input_masks: list,
        output_masks: list,
        input_shapes: list,
        output_shapes: list,
        arguments: "dict | None" = None,
    ):
        self.outbound_layer = outbound_layer
        self.inbound_layers = inbound_layers
        self.node_indices = node_indices
        self.tensor_indices = tensor_indices
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.input_masks = input_masks
        self.output_masks = output_masks
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes
        self.arguments = dict(arguments or {})
        for layer in inbound_layers:
            if layer is not None:
                layer._outbound_nodes.append(self)
        outbound_layer._inbound_nodes.append(self)

    def get_config(self) -> dict:
        return {
            "outbound_layer": self.outbound_layer.name,
            "inbound_layers": [layer.name if layer is not None else None for layer in self.inbound_layers],
            "node_indices": list(self.node_indices),
            "tensor_indices": list(self.tensor_indices),
        }
