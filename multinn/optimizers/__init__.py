"""Optimizers with Keras 2's names, defaults and update formulas.

Example:
    >>> from multinn import optimizers
    >>> opt = optimizers.get("adam")
    >>> type(opt).__name__, round(float(opt.lr), 4)
    ('Adam', 0.001)
"""
from __future__ import annotations

from typing import Any

from multinn.utils.generic_utils import get_object, serialize_keras_object

from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

# Keras 2's lower-case aliases.
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamw = AdamW
adamax = Adamax
nadam = Nadam

_CLASSES = {cls.__name__: cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam)}
_OBJECTS = {**_CLASSES, **{name.lower(): cls for name, cls in _CLASSES.items()}, "Optimizer": Optimizer}

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam",
    "schedules", "get", "serialize", "deserialize",
]


def serialize(optimizer: Optimizer) -> dict:
    """{'class_name': ..., 'config': ...} describing `optimizer`.

    Example:
        >>> from multinn import optimizers
        >>> optimizers.serialize(optimizers.SGD(momentum=0.9))["config"]["momentum"]
        0.9
    """
    return serialize_keras_object(optimizer)


def deserialize(config: dict, custom_objects: Any = None) -> Optimizer:
    """The optimizer a `serialize` dict describes; class names match case-insensitively (Keras 2).

    As in Keras 2, a built-in optimizer's class name in `config` is lower-cased in place.

    Example:
        >>> from multinn import optimizers
        >>> type(optimizers.deserialize({"class_name": "RMSprop", "config": {}})).__name__
        'RMSprop'
        >>> config = optimizers.serialize(optimizers.SGD())
        >>> _ = optimizers.deserialize(config)
        >>> config["class_name"]
        'sgd'
    """
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        name = config["class_name"]
        if name.lower() in _OBJECTS and not (custom_objects and name in custom_objects):
            # In place, as Keras 2 does: code written for it compares the dict it passed in
            # with a later serialize() whose class name it lower-cased.
            config["class_name"] = name.lower()
    return get_object(config, _OBJECTS, kind="optimizer", custom_objects=custom_objects)


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name ('sgd', 'Adam', ...), a config dict, or an instance (returned as is).

    Raises:
        ValueError: for an unknown name (with close matches) or anything else.

    Example:
        >>> from multinn import optimizers
        >>> type(optimizers.get("rmsprop")).__name__
        'RMSprop'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
