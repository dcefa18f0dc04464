"""Highway and MaxoutDense: Keras 1 layers that Keras 2.3.1 kept (`keras.legacy.layers`),
with their Keras 1 arguments (`init`, `W_regularizer`, `b_constraint`, `bias`, ...) and
Keras 1 weight names and shapes."""
from __future__ import annotations

import warnings
from typing import Any

from multinn import activations, constraints, initializers, regularizers
from multinn import backend as K
from multinn.engine.base_layer import InputSpec, Layer
from multinn.utils.argument_validation import check_int

__all__ = ["Highway", "MaxoutDense"]


class _Keras1Dense(Layer):
    """Options shared by Highway and MaxoutDense (Keras 1 names)."""

    def __init__(self, init: Any, activation: Any, weights: Any, W_regularizer: Any, b_regularizer: Any,  # noqa: N803
                 activity_regularizer: Any, W_constraint: Any, b_constraint: Any, bias: bool,  # noqa: N803
                 input_dim: "int | None", **kwargs: Any):
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (check_int(input_dim, "input_dim"),)
        super().__init__(**kwargs)
        warnings.warn(f"The `{type(self).__name__}` layer is deprecated (a Keras 1 layer kept by Keras 2).",
                      DeprecationWarning, stacklevel=3)
        self.init = initializers.get(init)
        self.activation = activations.get(activation)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bool(bias)
        self.input_dim = None if input_dim is None else check_int(input_dim, "input_dim")
        self.initial_weights = weights
        self.input_spec = InputSpec(ndim=2)

    def _weight(self, name: str, shape: tuple, initializer: Any, bias: bool = False) -> Any:
        return self.add_weight(name=name, shape=shape, initializer=initializer,
                               regularizer=self.b_regularizer if bias else self.W_regularizer,
                               constraint=self.b_constraint if bias else self.W_constraint)

    def _finish_build(self, input_dim: int) -> None:
        self.input_spec = InputSpec(ndim=2, axes={-1: input_dim})
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None
        self.built = True

    def get_config(self) -> dict:
        config = {
            "init": initializers.serialize(self.init),
            "activation": activations.serialize(self.activation),
            "W_regularizer": regularizers.serialize(self.W_regularizer),
            "b_regularizer": regularizers.serialize(self.b_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "W_constraint": constraints.serialize(self.W_constraint),
            "b_constraint": constraints.serialize(self.b_constraint),
            "bias": self.bias,
            "input_dim": self.input_dim,
        }
        return {**super().get_config(), **config}


class Highway(_Keras1Dense):
    """Densely connected highway layer: `t * activation(x W + b) + (1 - t) * x` with the
    transform gate `t = sigmoid(x W_carry + b_carry)` (b_carry starts at 1).

    Args:
        init: initializer of W and W_carry.
        activation: activation of the transform (linear when None).
        weights: initial weights [W, W_carry, b, b_carry] (without the biases when bias=False).
        W_regularizer, b_regularizer, activity_regularizer: regularizers.
        W_constraint, b_constraint: constraints.
        bias: whether to use the biases.
        input_dim: the input size (instead of `input_shape`).

    Example:
        >>> import warnings
        >>> from multinn import backend as K
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     layer = Highway(activation="relu")
        >>> layer(K.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, init: Any = "glorot_uniform", activation: Any = None, weights: Any = None,
                 W_regularizer: Any = None, b_regularizer: Any = None, activity_regularizer: Any = None,  # noqa: N803
                 W_constraint: Any = None, b_constraint: Any = None, bias: bool = True,  # noqa: N803
                 input_dim: "int | None" = None, **kwargs: Any):
        if kwargs.pop("transform_bias", None) is not None:
            warnings.warn("`transform_bias` is gone: b_carry is a bias like b, initialized to 1 "
                          "(set it with `weights`).", stacklevel=2)
        super().__init__(init, activation, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim, **kwargs)

    def build(self, input_shape: tuple) -> None:
        size = int(input_shape[-1])
        self.W = self._weight("W", (size, size), self.init)
        self.W_carry = self._weight("W_carry", (size, size), self.init)
        self.b = self._weight("b", (size,), "zeros", bias=True) if self.bias else None
        self.b_carry = self._weight("b_carry", (size,), "ones", bias=True) if self.bias else None
        self._finish_build(size)

    def call(self, inputs: Any) -> Any:
        gate = K.dot(inputs, self.W_carry)
        transform = K.dot(inputs, self.W)
        if self.bias:
            gate = gate + self.b_carry
            transform = transform + self.b
        gate = K.sigmoid(gate)
        return self.activation(transform) * gate + (1.0 - gate) * inputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)


class MaxoutDense(_Keras1Dense):
    """Maxout dense layer: the element-wise maximum of `nb_feature` dense projections,
    `max_k (x W[k] + b[k])`, giving `output_dim` units.

    Args:
        output_dim: the number of units.
        nb_feature: the number of projections the maximum is taken over.
        init, weights, W_regularizer, b_regularizer, activity_regularizer, W_constraint,
        b_constraint, bias, input_dim: as for Highway; W has shape
        (nb_feature, input_dim, output_dim) and b (nb_feature, output_dim).

    Example:
        >>> import warnings
        >>> from multinn import backend as K
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     layer = MaxoutDense(4, nb_feature=3)
        >>> layer(K.ones((2, 5))).shape
        (2, 4)
    """

    def __init__(self, output_dim: int, nb_feature: int = 4, init: Any = "glorot_uniform", weights: Any = None,
                 W_regularizer: Any = None, b_regularizer: Any = None, activity_regularizer: Any = None,  # noqa: N803
                 W_constraint: Any = None, b_constraint: Any = None, bias: bool = True,  # noqa: N803
                 input_dim: "int | None" = None, **kwargs: Any):
        super().__init__(init, None, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim, **kwargs)
        self.output_dim = check_int(output_dim, "output_dim")
        self.nb_feature = check_int(nb_feature, "nb_feature")

    def build(self, input_shape: tuple) -> None:
        size = int(input_shape[-1])
        self.W = self._weight("W", (self.nb_feature, size, self.output_dim), self.init)
        self.b = self._weight("b", (self.nb_feature, self.output_dim), "zeros", bias=True) if self.bias else None
        self._finish_build(size)

    def call(self, inputs: Any) -> Any:
        size = int(self.W.shape[1])
        # one matmul for all projections: (in, nb_feature * output_dim)
        kernel = K.reshape(K.permute_dimensions(self.W, (1, 0, 2)), (size, self.nb_feature * self.output_dim))
        projections = K.reshape(K.dot(inputs, kernel), (-1, self.nb_feature, self.output_dim))
        if self.bias:
            projections = projections + self.b
        return K.max(projections, axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.output_dim)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activation")
        return {**config, "output_dim": self.output_dim, "nb_feature": self.nb_feature}
