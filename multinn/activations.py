"""Built-in activation functions (Keras 2 names, defaults and formulas), written with K.

Any callable of one tensor is an activation too: `Dense(64, activation=K.tanh)`.
`get` turns what a user wrote (a name, a callable, None) into the function.

Example:
    >>> from multinn import activations
    >>> from multinn import backend as K
    >>> activations.get("relu")(K.constant([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object

# The SELU constants of Klambauer et al. (2017), as Keras 2 uses them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def linear(x: Any) -> Any:
    """The identity: returns `x` unchanged.

    Example:
        >>> from multinn import activations
        >>> activations.linear(3.0)
        3.0
    """
    return x


def elu(x: Any, alpha: float = 1.0) -> K.Tensor:
    """Exponential linear unit: `x` for x > 0, `alpha * (exp(x) - 1)` otherwise.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.elu(K.constant([1.0, 0.0])).numpy().tolist()
        [1.0, 0.0]
    """
    return K.elu(x, alpha)


def selu(x: Any) -> K.Tensor:
    """Scaled ELU: `scale * elu(x, alpha)` with Klambauer et al.'s constants.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> round(float(activations.selu(K.constant([1.0]))[0]), 6)
        1.050701
    """
    return K.selu(x)


def relu(x: Any, alpha: float = 0.0, max_value: "float | None" = None, threshold: float = 0.0) -> K.Tensor:
    """Rectified linear unit: `x` above `threshold`, `alpha * (x - threshold)` below, capped at `max_value`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.relu(K.constant([-10.0, 5.0, 10.0]), alpha=0.5, max_value=6.0).numpy().tolist()
        [-5.0, 5.0, 6.0]
    """
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def softmax(x: Any, axis: "int | tuple" = -1) -> K.Tensor:
    """Softmax along `axis` (exp(x) / sum(exp(x))); Keras 2 refuses 1-D input.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.softmax(K.constant([[0.0, 0.0]])).numpy().tolist()
        [[0.5, 0.5]]
    """
    x = K.convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"Cannot apply softmax to a tensor that is 1D: softmax needs a batch axis and a class axis. "
            f"Received: input of shape {tuple(x.shape)}"
        )
    if isinstance(axis, int):
        return K.softmax(x, axis=axis)
    # Several axes at once: the fused K.softmax takes one axis only.
    e = K.exp(x - K.stop_gradient(K.max(x, axis=axis, keepdims=True)))
    return e / K.sum(e, axis=axis, keepdims=True)


def softplus(x: Any) -> K.Tensor:
    """`log(exp(x) + 1)`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> round(float(activations.softplus(K.constant([0.0]))[0]), 6)
        0.693147
    """
    return K.softplus(x)


def softsign(x: Any) -> K.Tensor:
    """`x / (abs(x) + 1)`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.softsign(K.constant([-1.0, 1.0])).numpy().tolist()
        [-0.5, 0.5]
    """
    return K.softsign(x)


def tanh(x: Any) -> K.Tensor:
    """Hyperbolic tangent.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.tanh(K.constant([0.0])).numpy().tolist()
        [0.0]
    """
    return K.tanh(x)


def sigmoid(x: Any) -> K.Tensor:
    """`1 / (1 + exp(-x))`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.sigmoid(K.constant([0.0])).numpy().tolist()
        [0.5]
    """
    return K.sigmoid(x)


def hard_sigmoid(x: Any) -> K.Tensor:
    """Piecewise-linear sigmoid of Keras 2: 0 below -2.5, 1 above 2.5, `0.2 * x + 0.5` between.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> [round(v, 6) for v in activations.hard_sigmoid(K.constant([-3.0, 1.0, 3.0])).numpy().tolist()]
        [0.0, 0.7, 1.0]
    """
    return K.hard_sigmoid(x)


def exponential(x: Any) -> K.Tensor:
    """`exp(x)`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.exponential(K.constant([0.0])).numpy().tolist()
        [1.0]
    """
    return K.exp(x)


def swish(x: Any) -> K.Tensor:
    """`x * sigmoid(x)` (Ramachandran et al., 2017).

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.swish(K.constant([0.0])).numpy().tolist()
        [0.0]
    """
    return x * K.sigmoid(x)


def gelu(x: Any, approximate: bool = False) -> K.Tensor:
    """Gaussian error linear unit: `x * P(X <= x)` for X ~ N(0, 1).

    Exact form `0.5 * x * (1 + erf(x / sqrt(2)))`; with `approximate`, the tanh form
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))`.

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> round(float(activations.gelu(K.constant([1.0]))[0]), 5)
        0.84134
    """
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * K.pow(x, 3))
        # 0.5 * (1 + tanh(u)) == sigmoid(2u), without the cancellation of 1 + tanh(u) near -1.
        return x * K.sigmoid(2.0 * inner)
    return 0.5 * x * (1.0 + K.erf(x * (1.0 / math.sqrt(2.0))))


_ACTIVATIONS: dict = {
    fn.__name__: fn
    for fn in (
        linear, elu, selu, relu, softmax, softplus, softsign, tanh, sigmoid, hard_sigmoid,
        exponential, swish, gelu,
    )
}


_ACTIVATION_LAYERS = ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU")


def serialize(activation: Callable) -> Any:
    """The name of an activation function (or the config of an activation object).

    Example:
        >>> from multinn import activations
        >>> from multinn import backend as K
        >>> activations.serialize(K.tanh)
        'tanh'
    """
    return serialize_keras_object(activation)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Callable:
    """The activation named by `config` (a name, or a {'class_name', 'config'} dict; the
    config of an advanced activation layer such as LeakyReLU gives that layer).

    Example:
        >>> from multinn import activations
        >>> activations.deserialize("relu") is activations.relu
        True
    """
    if (isinstance(config, Mapping) and config.get("class_name") in _ACTIVATION_LAYERS
            and config["class_name"] not in (custom_objects or {})):
        # An advanced activation layer passed as `activation` serializes as its config (tf.keras 2).
        from multinn import layers  # here, not at the top: the layers import this module

        return layers.deserialize(dict(config), custom_objects)
    return get_object(config, _ACTIVATIONS, "activation", custom_objects)


def get(identifier: Any) -> Callable:
    """Resolves a name, a config dict, a callable or None (linear) to an activation.

    Example:
        >>> from multinn import activations
        >>> activations.get(None) is activations.linear
        True
    """
    from multinn.engine.base_layer import Layer

    if isinstance(identifier, Layer):
        warnings.warn(
            f"Do not pass a layer instance (such as {type(identifier).__name__}) as the activation argument of "
            "another layer: advanced activation layers are layers of the model, like any other layer."
        )
    return resolve_identifier(identifier, deserialize, "activation", "activation", default=linear)
