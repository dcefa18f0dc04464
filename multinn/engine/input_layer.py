"""InputLayer and Input(): where a model graph starts."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from .layer_registry import register_layer
from .legacy import legacy_support
from .legacy_interfaces import INPUT_LAYER

from .base_layer import Layer
from .fed_tensors import holds_value
from .keras_tensor import KerasTensor
from .node import Node


class UnsupportedInputError(NotImplementedError, ValueError):
    """`Input(sparse=True)` / `Input(ragged=True)`: tf.keras 2 tensor kinds multinn models do not take.
    A NotImplementedError (what it is) and a ValueError (what Keras 2 code may catch)."""


_INSTEAD = {
    "sparse": "feed dense arrays instead (a SciPy matrix's `.toarray()`); K's sparse tensors "
    "(K.is_sparse, K.to_dense) serve K-level code",
    "ragged": "pad the sequences to one length instead (multinn.preprocessing.sequence.pad_sequences) "
    "and mask the padding (Embedding(mask_zero=True) or Masking)",
}


def _refuse_tensor_kind(kind: str, value: Any) -> None:
    if value:
        raise UnsupportedInputError(
            f"multinn models take dense tensors: {kind}=True is not supported; {_INSTEAD[kind]}. "
            f"Received: {kind}={value!r}"
        )


@register_layer
class InputLayer(Layer):
    """The layer behind `Input()`: it holds a model's input placeholder and has no weights.

    Args:
        input_shape: shape without the batch dimension.
        batch_size: fixed batch size, or None.
        batch_input_shape: shape with the batch dimension (instead of the two above).
        dtype: dtype of the data (floatx by default).
        sparse: accepted for Keras 2 compatibility; must be False.
        ragged: accepted for tf.keras 2 compatibility; must be False.
        name: layer name ('input_1' style by default).

    Example:
        >>> from multinn.layers import InputLayer
        >>> InputLayer(input_shape=(4,)).output.shape
        (None, 4)
    """

    @legacy_support(INPUT_LAYER)  # Keras 1's input_dtype
    def __init__(
        self,
        input_shape: Any = None,
        batch_size: "int | None" = None,
        batch_input_shape: Any = None,
        dtype: Any = None,
        input_tensor: Any = None,
        sparse: bool = False,
        name: "str | None" = None,
        ragged: bool = False,
        **kwargs: Any,
    ):
        _refuse_tensor_kind("sparse", sparse)
        _refuse_tensor_kind("ragged", ragged)
        if not name:
            name = f"input_{K.get_uid('input')}"
        if dtype is None and (isinstance(input_tensor, K.Tensor) or K.is_placeholder(input_tensor)):
            dtype = K.dtype(input_tensor)
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.trainable = False
        self.built = True
        self.sparse = False
        # A tensor with a value stands in for this input's data (Keras 2's `Input(tensor=...)`);
        # a placeholder only gives the shape.
        self.input_tensor_value = None
        if input_tensor is not None:
            if not (isinstance(input_tensor, K.Tensor) or K.is_placeholder(input_tensor)):
                raise TypeError(
                    "InputLayer(input_tensor=...) takes a tensor (a K variable, constant or placeholder). "
                    f"Received: input_tensor={input_tensor!r}"
                )
            if batch_input_shape is None and input_shape is None:
                batch_input_shape = tuple(K.int_shape(input_tensor))
            if holds_value(input_tensor):
                # Data, not a weight: bypass the tracking of variables kept as attributes.
                object.__setattr__(self, "input_tensor_value", input_tensor)
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError("An InputLayer needs `input_shape` or `batch_input_shape`.")
            input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            batch_input_shape = (batch_size,) + input_shape
        elif input_shape is not None or batch_size is not None:
            raise ValueError("Give InputLayer either `batch_input_shape`, or `input_shape` and `batch_size`, not both.")
        self.batch_input_shape = tuple(None if d is None else int(d) for d in batch_input_shape)
        self.is_placeholder = self.input_tensor_value is None
        tensor = KerasTensor(self.batch_input_shape, self.dtype, name=self.name)
        tensor._keras_history = (self, 0, 0)
        Node(
            self,
            inbound_layers=[],
            node_indices=[],
            tensor_indices=[],
            input_tensors=[tensor],
            output_tensors=[tensor],
            input_masks=[None],
            output_masks=[None],
            input_shapes=[self.batch_input_shape],
            output_shapes=[self.batch_input_shape],
        )

    def get_config(self) -> dict:
        return {"batch_input_shape": self.batch_input_shape, "dtype": self.dtype, "sparse": self.sparse, "name": self.name}


def Input(  # noqa: N802  (Keras 2's name)
    shape: Any = None,
    batch_shape: Any = None,
    name: "str | None" = None,
    dtype: Any = None,
    sparse: bool = False,
    tensor: Any = None,
    batch_size: "int | None" = None,
    ragged: bool = False,
) -> KerasTensor:
    """A symbolic input of a model: `Input(shape=(784,))` stands for batches of shape (None, 784).

    Args:
        shape: shape without the batch dimension (None for unknown sizes).
        batch_shape: the full shape including the batch dimension (instead of `shape`).
        name: name of the input layer.
        dtype: dtype of the data the model expects (floatx by default).
        tensor: a tensor whose value the model takes as this input's data (training then
            needs no `x` for it); its shape is the input's shape unless `shape` is given.
        batch_size: a fixed batch size, or None.
        sparse, ragged: tf.keras 2's tensor kinds; True raises a NotImplementedError saying
            what to use instead.

    Example:
        >>> import multinn
        >>> x = multinn.Input(shape=(3,), name="features")
        >>> x.shape, x._keras_history[0].name
        ((None, 3), 'features')
    """
    _refuse_tensor_kind("sparse", sparse)
    _refuse_tensor_kind("ragged", ragged)
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError(
            "Please provide to Input either a `shape` or a `batch_shape` argument. Note that `shape` does not include "
            "the batch dimension."
        )
    if batch_shape is not None:
        layer = InputLayer(batch_input_shape=tuple(batch_shape), name=name, dtype=dtype, sparse=sparse, input_tensor=tensor)
    elif shape is None:
        layer = InputLayer(name=name, dtype=dtype, sparse=sparse, input_tensor=tensor)
    else:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse, input_tensor=tensor)
    return layer._inbound_nodes[0].output_tensors[0]


def placeholder_input(shape: tuple, dtype: Any, sparse: bool = False, name: "str | None" = None) -> KerasTensor:
    """What `K.placeholder` returns: the tensor of an input layer of its own, named `name` in
    error messages. Its layer's name is unique, so placeholders named alike can meet in one graph.

    Example:
        >>> from multinn import backend as K
        >>> x = placeholder_input((None, 3), "float32", name="x")
        >>> type(x) is type(Input(shape=(3,))), x.name, K.is_keras_tensor(x)
        (True, 'x', False)
    """
    layer = InputLayer(batch_input_shape=shape, dtype=str(getattr(dtype, "name", dtype)), name=f"placeholder_{K.get_uid('placeholder')}")
    tensor = layer._inbound_nodes[0].output_tensors[0]
    tensor.name = name or layer.name
    tensor.sparse = bool(sparse)  # Keras 2 code asks K.is_sparse; fed values are dense
    tensor._placeholder_graph = True  # not a Keras tensor, as in Keras 2
    return tensor
