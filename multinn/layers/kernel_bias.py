"""KernelBiasLayer: the options, weights and config shared by the layers that own a
kernel and an optional bias (Dense, the convolutions, the locally connected layers, the
recurrent cells).
"""
from __future__ import annotations

from typing import Any

from multinn import activations, constraints, initializers, regularizers
from multinn.engine.base_layer import Layer

__all__ = ["KernelBiasLayer"]


class KernelBiasLayer(Layer):
    """A layer computing `activation(op(inputs, kernel) + bias)`; subclasses supply `op`.

    Subclasses call `_set_kernel_bias_options` in `__init__`, create their weights in
    `build` with `_add_kernel` / `_make_bias`, and end `get_config` with
    `_kernel_bias_config()`, so every such layer reads and writes these options alike.

    Example:
        >>> from multinn import backend as K
        >>> class Scale(KernelBiasLayer):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self._set_kernel_bias_options(activation=None, use_bias=True, kernel_initializer="ones",
        ...                                       bias_initializer="zeros", kernel_regularizer=None,
        ...                                       bias_regularizer=None, kernel_constraint=None, bias_constraint=None)
        ...     def build(self, input_shape):
        ...         self.kernel = self._add_kernel((input_shape[-1],))
        ...         self.bias = self._make_bias((input_shape[-1],))
        ...         self.built = True
        ...     def call(self, inputs):
        ...         return self.activation(K.bias_add(inputs * self.kernel, self.bias))
        >>> Scale()(K.ones((2, 3))).shape
        (2, 3)
        >>> sorted(Scale()._kernel_bias_config())[:3]
        ['activation', 'activity_regularizer', 'bias_constraint']
    """

    def _set_kernel_bias_options(self, *, activation: Any, use_bias: bool, kernel_initializer: Any,
                                 bias_initializer: Any, kernel_regularizer: Any, bias_regularizer: Any,
                                 kernel_constraint: Any, bias_constraint: Any,
                                 activity_regularizer: Any = None) -> None:
        """Reads the activation, `use_bias` and the kernel's and bias's initializer,
        regularizer and constraint (identifiers as Keras 2 takes them)."""
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._set_part_options("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self._set_part_options("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def _set_part_options(self, part: str, initializer: Any, regularizer: Any, constraint: Any) -> None:
        """Sets `{part}_initializer`, `{part}_regularizer` and `{part}_constraint`, the options
        `_add_kernel(shape, part)` and `_part_config(part)` read ('recurrent', 'depthwise', ...)."""
        setattr(self, f"{part}_initializer", initializers.get(initializer))
        setattr(self, f"{part}_regularizer", regularizers.get(regularizer))
        setattr(self, f"{part}_constraint", constraints.get(constraint))

    def _add_kernel(self, shape: tuple, part: str = "kernel"):
        """The weight `part` ('kernel', or e.g. 'depthwise' for `depthwise_kernel`), made with
        the layer's `{part}_initializer`, `{part}_regularizer` and `{part}_constraint`."""
        return self.add_weight(name="kernel" if part == "kernel" else f"{part}_kernel", shape=shape,
                               initializer=getattr(self, f"{part}_initializer"),
                               regularizer=getattr(self, f"{part}_regularizer"),
                               constraint=getattr(self, f"{part}_constraint"))

    def _make_bias(self, shape: tuple):
        """The bias weight of `shape`, or None when the layer has `use_bias=False`."""
        if not self.use_bias:
            return None
        return self.add_weight(name="bias", shape=shape, initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _part_config(self, part: str) -> dict:
        """The serialized initializer, regularizer and constraint of the weight `part`."""
        return {
            f"{part}_initializer": initializers.serialize(getattr(self, f"{part}_initializer")),
            f"{part}_regularizer": regularizers.serialize(getattr(self, f"{part}_regularizer")),
            f"{part}_constraint": constraints.serialize(getattr(self, f"{part}_constraint")),
        }

    def _kernel_bias_config(self) -> dict:
        """The config entries of the options `_set_kernel_bias_options` sets, in Keras 2's order."""
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
