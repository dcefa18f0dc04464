"""Wrappers: layers that take another layer and change how it is applied (Keras 2's `wrappers`)."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.backend.ops.core import symbolic
from multinn.engine.base_layer import InputSpec, Layer
from multinn.utils import generic_utils

__all__ = ["Wrapper", "TimeDistributed"]


class Wrapper(Layer):
    """Base of the wrappers: owns `layer`, whose weights, trainability and losses are its own.

    `get_config` nests the wrapped layer's config under 'layer' ({'class_name', 'config'});
    `from_config` rebuilds it with `multinn.layers.deserialize`.

    Example:
        >>> from multinn.layers import Dense, TimeDistributed
        >>> config = TimeDistributed(Dense(4)).get_config()
        >>> config["layer"]["class_name"], TimeDistributed.from_config(config).layer.units
        ('Dense', 4)
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Please initialize `{type(self).__name__}` with a layer instance. Received: layer={layer!r}"
            )
        self.layer = layer
        kwargs.setdefault("dtype", layer.dtype)  # the output has the wrapped layer's dtype
        super().__init__(**kwargs)
        if "trainable" in kwargs:
            self.layer.trainable = kwargs["trainable"]

    @property
    def trainable(self) -> bool:
        return self.layer.trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.layer.trainable = value

    @property
    def activity_regularizer(self) -> Any:
        # The wrapped layer's regularizer applies to the wrapper's output (once, by Layer.__call__).
        return getattr(self.layer, "activity_regularizer", None)

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def _symbolic_updates(self, arguments: dict) -> list:
        # A call of the wrapper makes the updates of a call of the wrapped layer.
        return self.layer._symbolic_updates(arguments)

    def get_config(self) -> dict:
        config = {"layer": {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "Wrapper":
        from multinn.layers import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies `layer` to every temporal slice (axis 1) of an input of at least 3 dimensions.

    The input `(batch, time, ...)` is reshaped to `(batch * time, ...)`, passed through
    the layer once, and reshaped back to `(batch, time, ...)`, so every timestep shares
    the layer's weights. A mask on the input is handed to the wrapped layer per slice.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Dense, TimeDistributed
        >>> TimeDistributed(Dense(8))(K.ones((32, 10, 16))).shape
        (32, 10, 8)
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        # Keras 2.3.1's bookkeeping, kept under its name: the uid of each graph input this
        # wrapper was called on -> that input reshaped to the slices the inner layer sees.
        self._input_map: dict = {}

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Calls the wrapper; on a model's tensors it also records the reshaped slices in
        `_input_map` (keyed by `object_list_uid(inputs)`), as Keras 2.3.1 does."""
        outputs = super().__call__(inputs, **kwargs)
        if symbolic.any(inputs) and not isinstance(inputs, (list, tuple)):
            shape = tuple(inputs.shape)
            self._input_map[generic_utils.object_list_uid(inputs)] = K.reshape(inputs, (-1,) + shape[2:])
        return outputs

    @staticmethod
    def _inner_shape(input_shape: tuple) -> tuple:
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed {self.name!r} needs inputs of at least 3 dimensions (batch, time, ...). "
                f"Received: input_shape={input_shape}"
            )
        # Only the rank is fixed here: the wrapped layer checks each slice (Keras 2 also fixed the
        # build's time length, which would tie eager calls to the length of the first one).
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.layer._maybe_build(self._inner_shape(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        inner = tuple(self.layer.compute_output_shape(self._inner_shape(input_shape)))
        return (inner[0], input_shape[1]) + inner[1:]

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        kwargs = {}
        if "training" in self.layer._call_fn_args:
            kwargs["training"] = training
        shape = tuple(inputs.shape)
        if "mask" in self.layer._call_fn_args and mask is not None:
            kwargs["mask"] = K.reshape(mask, (-1,) + tuple(mask.shape[2:]))
        slices = K.reshape(inputs, (-1,) + shape[2:])
        try:
            self.layer._assert_input_compatibility(slices)
        except ValueError as exc:
            raise ValueError(
                f"TimeDistributed {self.name!r} passes its input of shape {shape} to {self.layer.name!r} as "
                f"slices of shape {tuple(slices.shape)}, which it refuses: {exc}"
            ) from None
        y = self.layer.call(slices, **kwargs)
        return K.reshape(y, shape[:2] + tuple(y.shape[1:]))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if symbolic.any(inputs, mask):
            # On a model's tensors (Keras 2 code asks for masks so): sizes are needed below, so
            # the whole computation is one node of the graph, run on the real tensors.
            return symbolic.defer(self.compute_mask, inputs, mask)
        shape = tuple(inputs.shape)
        inner_mask = None if mask is None else K.reshape(mask, (-1,) + tuple(mask.shape[2:]))
        inner = self.layer.compute_mask(K.reshape(inputs, (-1,) + shape[2:]), inner_mask)
        if inner is None:
            if mask is None:
                return None
            # The wrapped layer drops the mask (its compute_mask gives None): a timestep stays
            # if any entry of it was kept (Keras 2).
            out = mask
            while out.ndim > 2:
                out = K.any(out, axis=-1)
            return out
        return K.reshape(inner, shape[:2] + tuple(inner.shape[1:]))
from .wrappers_bidirectional import Bidirectional  # noqa: E402,F401  (Keras 2.3.1 import path)
