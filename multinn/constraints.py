"""Weight constraints (Keras 2 names, defaults and formulas), written with K.

A constraint maps a weight tensor to its projection, applied after each optimizer
update. Any callable of one tensor works as one too.

Example:
    >>> from multinn import constraints
    >>> from multinn import backend as K
    >>> constraints.get("non_neg")(K.constant([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object


def _norms(w: Any, axis: Any) -> K.Tensor:
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


def _axis_config(axis: Any) -> Any:
    return list(axis) if isinstance(axis, tuple) else axis


def _axis_arg(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


class Constraint:
    """Base class: subclasses implement `__call__(w)` returning the constrained weights.

    Example:
        >>> from multinn import backend as K
        >>> class Clip(Constraint):
        ...     def __call__(self, w):
        ...         return K.clip(w, -1.0, 1.0)
        >>> Clip()(K.constant([-3.0, 0.5])).numpy().tolist()
        [-1.0, 0.5]
    """

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Constraint":
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each slice along `axis` whose L2 norm exceeds `max_value` to that norm.

    `axis=0` suits a Dense kernel (input_dim, units): each unit's incoming weights;
    `axis=[0, 1, 2]` suits a channels-last Conv2D kernel.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in MaxNorm(1.0)(K.constant([[3.0], [4.0]])).numpy().ravel().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, max_value: float = 2, axis: Any = 0):
        self.max_value = max_value
        self.axis = _axis_arg(axis)

    def __call__(self, w: Any) -> K.Tensor:
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": _axis_config(self.axis)}


class NonNeg(Constraint):
    """Sets negative weights to zero.

    Example:
        >>> from multinn import backend as K
        >>> NonNeg()(K.constant([-0.5, 0.5])).numpy().tolist()
        [0.0, 0.5]
    """

    def __call__(self, w: Any) -> K.Tensor:
        w = K.convert_to_tensor(w)
        # Keras 2 multiplies by the 0/1 mask; selecting gives the same values without -0.0.
        return K.where(K.greater_equal(w, 0.0), w, K.zeros_like(w))


class UnitNorm(Constraint):
    """Divides each slice along `axis` by its L2 norm.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in UnitNorm()(K.constant([[3.0], [4.0]])).numpy().ravel().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, axis: Any = 0):
        self.axis = _axis_arg(axis)

    def __call__(self, w: Any) -> K.Tensor:
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": _axis_config(self.axis)}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm into [min_value, max_value], a `rate` fraction of the way.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.

    Example:
        >>> from multinn import backend as K
        >>> [round(v, 4) for v in MinMaxNorm(1.0, 2.0)(K.constant([[0.3], [0.4]])).numpy().ravel().tolist()]
        [0.6, 0.8]
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = _axis_arg(axis)

    def __call__(self, w: Any) -> K.Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * K.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": _axis_config(self.axis),
        }


# Keras 2's lower-case aliases.
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CONSTRAINTS: dict = {
    "Constraint": Constraint,
    "MaxNorm": MaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm,
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
    # Keras 1 spellings that Keras 2 still reads.
    "maxnorm": MaxNorm,
    "nonneg": NonNeg,
    "unitnorm": UnitNorm,
}


def serialize(constraint: Any) -> Any:
    """{'class_name': ..., 'config': ...} for a constraint object.

    Example:
        >>> serialize(MaxNorm(3))
        {'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}
    """
    return serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The constraint described by `config` (a name or a {'class_name', 'config'} dict).

    Example:
        >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value
        3
    """
    return get_object(config, _CONSTRAINTS, "constraint", custom_objects, instantiate=True)


def get(identifier: Any) -> "Callable | None":
    """Resolves None, a name, a config dict, a constraint object or a callable.

    Example:
        >>> type(get("unit_norm")).__name__
        'UnitNorm'
    """
    return resolve_identifier(identifier, deserialize, "constraint", "constraint", base=Constraint)

# Keras 2.3.1's lower-case aliases
maxnorm = MaxNorm  # noqa: E305
nonneg = NonNeg
unitnorm = UnitNorm
