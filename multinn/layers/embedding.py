"""Embedding: turns integer indices into dense vectors of fixed size."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn import constraints, initializers, regularizers
from multinn.engine.base_layer import Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_int, optional_sizes

from .legacy_interfaces import EMBEDDING


def _as_lengths(input_length: Any) -> "tuple | None":
    return None if input_length is None else optional_sizes(input_length, "input_length")


class Embedding(Layer):
    """Looks up rows of an `(input_dim, output_dim)` matrix: `[[4], [20]] -> [[v4], [v20]]` (Keras 2).

    Args:
        input_dim: size of the vocabulary (largest index + 1), > 0.
        output_dim: size of each vector, > 0.
        embeddings_initializer: initializer of the matrix ('uniform': U(-0.05, 0.05)).
        embeddings_regularizer, activity_regularizer, embeddings_constraint: optional.
        mask_zero: whether index 0 is padding; then the layer emits a mask (`index != 0`)
            that the following layers receive, and index 0 is not part of the vocabulary.
        input_length: length of the input sequences when fixed (an int, or a tuple for
            inputs of more than two dimensions); needed before Flatten + Dense.

    Inputs of any integer shape `(batch, ...)` give `(batch, ..., output_dim)`; float
    inputs are cast to int32 as in Keras 2. An index outside [0, input_dim) raises.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Embedding
        >>> layer = Embedding(10, 3, mask_zero=True)
        >>> x = K.constant([[1, 0, 4]], dtype="int32")
        >>> layer(x).shape, layer.compute_mask(x).numpy().tolist()
        ((1, 3, 3), [[True, False, True]])
    """

    @legacy_support(EMBEDDING)
    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        activity_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        input_length: Any = None,
        **kwargs: Any,
    ):
        lengths = _as_lengths(input_length)
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # Keras 2 gives every Embedding an input shape, so it can open a Sequential model.
            kwargs["input_shape"] = lengths if lengths else (None,)
        super().__init__(**kwargs)
        self.input_dim = check_int(input_dim, "input_dim")
        self.output_dim = check_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # kept as given (an int, a list or a tuple), its NumPy integers made plain for the config
        if lengths is None or isinstance(input_length, (list, tuple)):
            self.input_length = lengths if lengths is None else type(input_length)(lengths)
        else:
            self.input_length = lengths[0]

    def build(self, input_shape: Any) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def _produces_mask(self) -> bool:
        # Without mask_zero the layer emits no mask, so models need not track masks.
        return self.mask_zero

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return K.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        lengths = _as_lengths(self.input_length)
        if lengths is None:
            return input_shape + (self.output_dim,)
        if len(lengths) != len(input_shape) - 1 or any(
            a is not None and b is not None and a != b for a, b in zip(lengths, input_shape[1:])
        ):
            raise ValueError(
                f"Embedding {self.name!r}: `input_length` is {self.input_length}, but the input has shape "
                f"{input_shape}. Received: input_length={self.input_length!r}"
            )
        dims = tuple(b if a is None else a for a, b in zip(lengths, input_shape[1:]))
        return (input_shape[0],) + dims + (self.output_dim,)

    def call(self, inputs: Any) -> Any:
        if not K.dtype(inputs).startswith(("int", "uint")):
            inputs = K.cast(inputs, "int32")
        try:
            # K.gather refuses an index outside [0, input_dim) (NumPy would wrap negative ones, CuPy
            # every one), reading the bounds once on a GPU: no second check here.
            return K.gather(self.embeddings, inputs)
        except ValueError as error:
            raise ValueError(
                f"Embedding {self.name!r} got an index outside the vocabulary [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}): {error}"
            ) from None

    def get_config(self) -> dict:
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }
        return {**super().get_config(), **config}
