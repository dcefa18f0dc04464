"""Bidirectional: runs a recurrent layer forwards and a copy of it backwards, then merges."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.engine.keras_tensor import is_symbolic

__all__ = ["Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy(layer: Any, name: str, go_backwards: bool, dtype: "str | None") -> Any:
    config = dict(layer.get_config())
    config["name"] = name
    config["go_backwards"] = go_backwards
    if dtype is not None:
        config["dtype"] = dtype
    # The copy is made from the config: the classes it names (a user's cell) are the layer's own.
    from multinn.utils.generic_utils import custom_object_scope

    cells = getattr(getattr(layer, "cell", None), "cells", None) or [getattr(layer, "cell", None)]
    own_classes = {type(c).__name__: type(c) for c in cells if c is not None}
    with custom_object_scope(own_classes):
        return type(layer).from_config(config)


class Bidirectional(Layer):
    """Bidirectional wrapper for RNNs (Keras 2).

    Args:
        layer: a recurrent layer (RNN, SimpleRNN, LSTM, GRU). Two copies of its config are
            made: `forward_<name>` and `backward_<name>` (with go_backwards flipped).
        merge_mode: how the two outputs combine: 'concat' (default), 'sum', 'mul', 'ave',
            or None for a list [forward, backward].
        backward_layer: optional layer to use as the backward one instead of a copy.

    With return_sequences, the backward outputs are reversed in time before merging so
    step t of both lines up. With return_state the result is
    [merged output, *forward states, *backward states]. Weights: forward layer's, then
    backward layer's.

    A stateful layer makes both directions stateful (Keras 2): each keeps its own final
    states for the next batch (the backward one runs every batch from its last step to
    its first, starting from where it ended on the previous batch). `reset_states()`
    resets both.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import LSTM, Bidirectional
        >>> Bidirectional(LSTM(3, return_sequences=True))(K.ones((2, 4, 5))).shape
        (2, 4, 6)
    """

    def __init__(self, layer: Any, merge_mode: "str | None" = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any):
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. merge_mode should be one of {{'sum', 'mul', 'ave', 'concat', None}}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional needs a recurrent layer (RNN, LSTM, GRU...). Received: layer={layer!r}")
        dtype = kwargs.get("dtype")
        kwargs.setdefault("name", f"bidirectional_{K.get_uid('bidirectional')}")
        if dtype is None:
            kwargs["dtype"] = layer.dtype
        super().__init__(**kwargs)
        object.__setattr__(self, "layer", layer)  # the template: its weights are not this layer's
        self.forward_layer = _copy(layer, "forward_" + layer.name, layer.go_backwards, dtype)
        if backward_layer is None:
            self.backward_layer = _copy(layer, "backward_" + layer.name, not layer.go_backwards, dtype)
            object.__setattr__(self, "_custom_backward", None)
        else:
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(
                    "Bidirectional: `backward_layer.go_backwards` must be the opposite of `layer.go_backwards`. "
                    f"Received: layer.go_backwards={layer.go_backwards}, backward_layer.go_backwards={backward_layer.go_backwards}"
                )
            self.backward_layer = backward_layer
            object.__setattr__(self, "_custom_backward", backward_layer)
        self.merge_mode = merge_mode
        self.stateful = bool(getattr(layer, "stateful", False))
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        if weights is not None:
            self._initial_weights = list(weights)
        self._num_constants = None

    def __call__(self, inputs: Any, initial_state: Any = None, constants: Any = None, **kwargs: Any) -> Any:
        # As in RNN: initial states (forward ones, then backward ones) and constants become
        # extra inputs [x, *states, *constants] so a model graph records them.
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state, constants = self._split_inputs(list(inputs), initial_state, constants)
        if self.stateful and not self.built and not is_symbolic(inputs):
            # As in RNN: an eager call on a concrete batch fixes the stateful batch size.
            self._maybe_build(K.int_shape(inputs))
        states = [] if initial_state is None else (
            list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state])
        constants = [] if constants is None else (list(constants) if isinstance(constants, (list, tuple)) else [constants])
        if len(states) % 2:
            raise ValueError(
                "Bidirectional `initial_state` should hold the forward layer's states then the backward "
                f"layer's (an even number). Received: {len(states)} state tensor(s)"
            )
        if constants:
            self._num_constants = len(constants)
            self.forward_layer._num_constants = self.backward_layer._num_constants = len(constants)
        if not states and not constants:
            return super().__call__(inputs, **kwargs)
        return super().__call__([inputs] + states + constants, **kwargs)

    def _split_inputs(self, inputs: list, initial_state: Any = None, constants: Any = None) -> tuple:
        """[x, *states, *constants] -> (x, states or None, constants or None)."""
        count = self.__dict__.get("_num_constants") or 0
        rest = inputs[1:]
        if count:
            constants, rest = rest[len(rest) - count:], rest[:len(rest) - count]
        return inputs[0], (rest or initial_state), (constants or None)

    def reset_states(self, states: Any = None) -> None:
        """Resets the kept states of both directions (Keras 2); stateful layers only.

        Args:
            states: None for zeros, else the forward layer's state values followed by the
                backward layer's (each of shape (batch_size, state_size)).

        Example:
            >>> from multinn import backend as K
            >>> from multinn.layers import GRU, Bidirectional
            >>> bi = Bidirectional(GRU(2, stateful=True))
            >>> _ = bi(K.ones((3, 4, 5)))
            >>> bi.reset_states()
            >>> float(K.sum(K.abs(bi.backward_layer.states[0])))
            0.0
        """
        if not self.stateful:
            raise AttributeError(
                f"Layer {self.name} is not stateful: only a Bidirectional around a stateful=True layer keeps "
                "states to reset. Received: stateful=False"
            )
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        values = list(states) if isinstance(states, (list, tuple)) else [states]
        count = len(self.forward_layer.states)
        expected = count + len(self.backward_layer.states)
        if len(values) != expected:
            raise ValueError(
                f"Layer {self.name} expects {expected} state values (the forward layer's {count}, then the backward "
                f"layer's). Received: {len(values)} state value(s)"
            )
        # both checked before either changes, so a refused reset leaves all states as they were
        for layer, part in ((self.forward_layer, values[:count]), (self.backward_layer, values[count:])):
            layer._checked_state_values(part)
        self.forward_layer.reset_states(values[:count])
        self.backward_layer.reset_states(values[count:])

    def build(self, input_shape: Any) -> None:
        constants_shapes = []
        if isinstance(input_shape, list):
            count = self.__dict__.get("_num_constants") or 0
            constants_shapes = list(input_shape[len(input_shape) - count:]) if count else []
            input_shape = input_shape[0]
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build([input_shape] + constants_shapes if constants_shapes else input_shape)
                layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        output_shape = self.forward_layer.compute_output_shape(input_shape)
        state_shapes = []
        if self.return_state:
            state_shapes, output_shape = list(output_shape[1:]), output_shape[0]
        output_shape = tuple(output_shape)
        if self.merge_mode == "concat":
            last = None if output_shape[-1] is None else 2 * output_shape[-1]
            output_shape = output_shape[:-1] + (last,)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        outputs = output_shape if isinstance(output_shape, list) else [output_shape]
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return output_shape

    def _merge(self, y: Any, y_rev: Any) -> Any:
        if self.merge_mode == "concat":
            return K.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def call(self, inputs: Any, mask: Any = None, training: Any = None, initial_state: Any = None,
             constants: Any = None) -> Any:
        kwargs = {}
        if mask is not None:
            kwargs["mask"] = mask
        if training is not None:
            kwargs["training"] = training
        forward_state = backward_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state, constants = self._split_inputs(list(inputs), initial_state, constants)
        if constants:
            kwargs["constants"] = constants
        if isinstance(mask, list):
            mask = mask[0]
            kwargs["mask"] = mask
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(inputs, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(inputs, initial_state=backward_state, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = K.reverse(y_rev, 1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            n_states = len(self.forward_layer.states) * 2
            return masks + [None] * n_states
        return masks if self.merge_mode is None else output_mask

    def _produces_mask(self) -> bool:
        return False

    def _symbolic_updates(self, arguments: dict) -> list:
        return self.forward_layer._symbolic_updates(arguments) + self.backward_layer._symbolic_updates(arguments)

    def get_config(self) -> dict:
        config = {
            "layer": {"class_name": type(self.layer).__name__, "config": self.layer.get_config()},
            "merge_mode": self.merge_mode,
        }
        if self._custom_backward is not None:
            backward = self._custom_backward
            config["backward_layer"] = {"class_name": type(backward).__name__, "config": backward.get_config()}
        if self.__dict__.get("_num_constants"):
            config["num_constants"] = self._num_constants
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "Bidirectional":
        from multinn.layers import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        num_constants = config.pop("num_constants", None)
        if backward is not None:
            backward = deserialize(backward, custom_objects=custom_objects)
        bidirectional = cls(layer, backward_layer=backward, **config)
        bidirectional._num_constants = num_constants
        return bidirectional
