"""Weight regularizers (Keras 2 names, defaults and formulas), written with K.

A regularizer maps a weight tensor to a scalar penalty added to the loss. Any callable
of one tensor works as one too: `lambda w: 0.01 * K.sum(K.abs(w))`.

Example:
    >>> from multinn import regularizers
    >>> from multinn import backend as K
    >>> float(regularizers.l2(0.5)(K.constant([1.0, 2.0])))
    2.5
"""
from __future__ import annotations

import inspect

from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object


class Regularizer:
    """Base class: subclasses implement `__call__(x)` returning a scalar tensor.

    Example:
        >>> from multinn import backend as K
        >>> class Max(Regularizer):
        ...     def __call__(self, x):
        ...         return K.max(K.abs(x))
        >>> float(Max()(K.constant([-3.0, 2.0])))
        3.0
    """

    def __call__(self, x: Any) -> K.Tensor:
        return K.zeros_like(K.sum(x))

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Regularizer":
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Example:
        >>> from multinn import backend as K
        >>> float(L1L2(l1=1.0, l2=1.0)(K.constant([-1.0, 2.0])))
        8.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x: Any) -> K.Tensor:
        penalty = None
        if self.l1:
            penalty = self.l1 * K.sum(K.abs(x))
        if self.l2:
            term = self.l2 * K.sum(K.square(x))
            penalty = term if penalty is None else penalty + term
        if penalty is None:
            return K.zeros_like(K.sum(x))
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|x|)` (tf.keras 2's L1 class; its config has only `l1`).

    Example:
        >>> from multinn import backend as K
        >>> float(L1(0.5)(K.constant([-1.0, 2.0])))
        1.5
    """

    def __init__(self, l1: float = 0.01, **kwargs: Any):
        super().__init__(l1=kwargs.pop("l", l1))
        if kwargs:
            raise TypeError(f"L1() got an unexpected keyword argument {next(iter(kwargs))!r}.")

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(x ** 2)` (tf.keras 2's L2 class; its config has only `l2`).

    Example:
        >>> from multinn import backend as K
        >>> float(L2(0.5)(K.constant([-1.0, 2.0])))
        2.5
    """

    def __init__(self, l2: float = 0.01, **kwargs: Any):
        super().__init__(l2=kwargs.pop("l", l2))
        if kwargs:
            raise TypeError(f"L2() got an unexpected keyword argument {next(iter(kwargs))!r}.")

    def get_config(self) -> dict:
        return {"l2": self.l2}


def _factor(function: str, keras2: "float | None", tf_keras: "float | None") -> float:
    # Keras 2.3.1 names the factor `l`, tf.keras 2 names it after the penalty (`l1=`/`l2=`).
    if keras2 is not None and tf_keras is not None:
        raise TypeError(
            f"{function}() takes its factor once, as `l` (Keras 2) or `{function}` (tf.keras). "
            f"Received: l={keras2!r}, {function}={tf_keras!r}"
        )
    value = keras2 if keras2 is not None else tf_keras
    return 0.01 if value is None else value


def l1(l: "float | None" = None, *, l1: "float | None" = None) -> L1L2:  # noqa: E741  (Keras 2's argument name)
    """An L1 penalty with factor `l` (default 0.01); tf.keras 2 spells the keyword `l1=`.

    Example:
        >>> l1(0.1).get_config(), l1(l1=0.1).get_config() == l1(l=0.1).get_config()
        ({'l1': 0.1, 'l2': 0.0}, True)
    """
    return L1L2(l1=_factor("l1", l, l1))


def l2(l: "float | None" = None, *, l2: "float | None" = None) -> L1L2:  # noqa: E741
    """An L2 penalty with factor `l` (default 0.01); tf.keras 2 spells the keyword `l2=`.

    Example:
        >>> l2(0.1).get_config(), l2(l2=0.1).get_config() == l2(l=0.1).get_config()
        ({'l1': 0.0, 'l2': 0.1}, True)
    """
    return L1L2(l2=_factor("l2", l, l2))


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """L1 and L2 penalties together.

    Example:
        >>> l1_l2().get_config()
        {'l1': 0.01, 'l2': 0.01}
    """
    return L1L2(l1=l1, l2=l2)


_REGULARIZERS: dict = {
    "Regularizer": Regularizer,
    "L1L2": L1L2,
    "L1": L1,
    "L2": L2,
    "l1": l1,
    "l2": l2,
    "l1_l2": l1_l2,
}


def serialize(regularizer: Any) -> Any:
    """{'class_name': ..., 'config': ...} for a regularizer object.

    Example:
        >>> serialize(l2(0.1))
        {'class_name': 'L1L2', 'config': {'l1': 0.0, 'l2': 0.1}}
    """
    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The regularizer described by `config` (a name or a {'class_name', 'config'} dict).

    A bare name gives the library object with its defaults ('l2' is `l2(0.01)`).

    Example:
        >>> deserialize("l1").get_config()
        {'l1': 0.01, 'l2': 0.0}
    """
    if isinstance(config, str):
        found = get_object(config, _REGULARIZERS, "regularizer", custom_objects)
        # Library factories and any class (a user's too, as Keras 2.3.1 does) are called with
        # their defaults; a user's function registered under a name is the regularizer itself.
        return found() if found in _REGULARIZERS.values() or inspect.isclass(found) else found
    if isinstance(config, Mapping) and config.get("class_name") in ("l1", "l2", "l1_l2"):
        return _REGULARIZERS[config["class_name"]](**dict(config.get("config") or {}))
    return get_object(config, _REGULARIZERS, "regularizer", custom_objects)


def get(identifier: Any) -> "Callable | None":
    """Resolves None, a name, a config dict, a regularizer object or a callable.

    Example:
        >>> from multinn import backend as K
        >>> reg = get(lambda w: 0.01 * K.sum(K.abs(w)))
        >>> round(float(reg(K.constant([1.0, -2.0]))), 6)
        0.03
    """
    return resolve_identifier(identifier, deserialize, "regularizer", "regularizer", base=Regularizer)
