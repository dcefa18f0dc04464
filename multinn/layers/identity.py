"""Identity: tf.keras 2's placeholder layer that returns its inputs unchanged."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer

__all__ = ["Identity"]


class Identity(Layer):
    """Returns its inputs (a tensor, or a list of tensors) unchanged; masks pass through.

    Handy as a stand-in where an architecture has an optional block, so the model's
    layer list keeps its shape. It has no weights and no options of its own.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Identity
        >>> Identity()(K.constant([[1.0, 2.0]])).numpy().tolist()
        [[1.0, 2.0]]
        >>> [t.shape for t in Identity()([K.ones((2, 3)), K.ones((2, 1))])]
        [(2, 3), (2, 1)]
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        # A fresh tensor per input (not the input object itself), so the graph has a node
        # for this layer's output as it has for any other layer's.
        if isinstance(inputs, (list, tuple)):
            return [K.identity(x) for x in inputs]
        return K.identity(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape
