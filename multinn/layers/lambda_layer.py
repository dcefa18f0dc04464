"""Lambda: wraps any function of tensors as a layer."""
from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from multinn import backend as K  # noqa: F401  (deserialized lambdas look K up in this module's globals)
from multinn.engine.base_layer import Layer
from multinn.engine.legacy import legacy_support
from multinn.engine.shape_inference import infer_output_shape
from multinn.utils.generic_utils import func_dump as _func_dump, func_load as _func_load

from .legacy_interfaces import LAMBDA


def _has_arg(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Lambda(Layer):
    """Applies `function(inputs, **arguments)` (written with K functions).

    Args:
        function: the function; it may take a `mask` argument.
        output_shape: the output shape without the batch dimension, or a function of the
            input shape returning the full output shape. None: inferred by running the
            function once on small dummy batches (see `multinn.engine.base_layer`).
        mask: an output mask, or a function `(inputs, mask) -> mask`.
        arguments: extra keyword arguments for `function`.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Lambda
        >>> Lambda(lambda x: K.sum(x, axis=-1, keepdims=True))(K.ones((2, 3))).numpy().tolist()
        [[3.0], [3.0]]
    """

    @legacy_support(LAMBDA)
    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None, arguments: "dict | None" = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"The `function` argument of a Lambda layer must be callable. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments) if arguments else {}
        self.supports_masking = mask is not None
        self.mask = mask
        if output_shape is None or callable(output_shape):
            self._output_shape = output_shape
        else:
            self._output_shape = tuple(output_shape)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        # Keras 2.3.1 keeps the dtype(s) the function last saw
        self._input_dtypes = [K.dtype(x) for x in inputs] if isinstance(inputs, (list, tuple)) else K.dtype(inputs)
        arguments = dict(self.arguments)
        if _has_arg(self.function, "mask"):
            arguments["mask"] = mask
        return self.function(inputs, **arguments)

    def _produces_mask(self) -> bool:
        return self.mask is not None

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return infer_output_shape(self, input_shape)
        if callable(self._output_shape):
            shape = self._output_shape(input_shape)
            if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
                return [tuple(s) for s in shape]
            return tuple(shape)
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + self._output_shape

    @staticmethod
    def _serialize_fn(fn: Any) -> tuple:
        # A lambda, or a function defined inside another (not reachable by name), is stored as
        # code as Keras 2 stores every function; loading it from a file needs safe_mode=False.
        local = "<locals>" in getattr(fn, "__qualname__", "")
        if isinstance(fn, types.LambdaType) and (fn.__name__ == "<lambda>" or local):
            return _func_dump(fn), "lambda", getattr(fn, "__module__", None)
        return getattr(fn, "__name__", repr(fn)), "function", getattr(fn, "__module__", None)

    def get_config(self) -> dict:
        function, function_type, module = self._serialize_fn(self.function)
        config = {"function": function, "function_type": function_type, "module": module}
        if self._output_shape is None:
            config.update(output_shape=None, output_shape_type="raw")
        elif callable(self._output_shape):
            shape, shape_type, shape_module = self._serialize_fn(self._output_shape)
            config.update(output_shape=shape, output_shape_type=shape_type, output_shape_module=shape_module)
        else:
            config.update(output_shape=list(self._output_shape), output_shape_type="raw")
        config["arguments"] = self.arguments
        if self.mask is not None and not callable(self.mask):
            config["mask"] = self.mask
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict, custom_objects: "dict | None" = None) -> "Lambda":
        from multinn.utils.generic_utils import get_custom_objects
        from multinn.utils.safe_mode import UnsafeCodeError, describe_refused_lookup, module_lookup_allowed, refuse_code

        config = dict(config)
        objects = {**get_custom_objects(), **(custom_objects or {})}

        def load(value, kind, module):
            if kind == "lambda":
                refuse_code("a Lambda layer's marshalled function")
                globs = dict(globals())
                if module in sys.modules:
                    globs.update(vars(sys.modules[module]))
                globs.update(objects)
                return _func_load(value, globs=globs)
            if kind == "function":
                if value in objects:
                    return objects[value]
                if module in sys.modules and hasattr(sys.modules[module], value):
                    if not module_lookup_allowed(module):
                        raise UnsafeCodeError(describe_refused_lookup(value, module))
                    return getattr(sys.modules[module], value)
                raise ValueError(
                    f"Unknown function {value!r} in a Lambda layer config: pass it in `custom_objects`. "
                    f"Received: function={value!r}"
                )
            return value

        function = load(config.pop("function"), config.pop("function_type", "function"), config.pop("module", None))
        shape_type = config.pop("output_shape_type", "raw")
        shape = load(config.pop("output_shape", None), shape_type, config.pop("output_shape_module", None))
        return cls(function, output_shape=shape, **config)
