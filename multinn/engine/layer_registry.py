"""The engine's table of layer classes by name, which `deserialize_layer` reads.

A config names its layer by class name (`{'class_name': 'Dense', 'config': {...}}`), but the
engine sits below the catalogue (`multinn.layers` imports the engine, never the other way), so
the catalogue is handed to it: a class registers itself with `@register_layer` (the engine's
models do), and a package registers its whole namespace once with
`register_layer_namespace(globals())` (`multinn.layers` does when it is imported). A namespace
is read at lookup time, so aliases (`Convolution2D`) and names bound after the call count too.

Lookups prefer, in order: the `custom_objects` argument, the custom objects in scope
(`CustomObjectScope`, `get_custom_objects()`), then this table, as Keras 2 did.
"""
from __future__ import annotations

from typing import Any, Mapping

__all__ = ["register_layer", "register_layer_namespace", "layer_classes", "deserialize_layer"]

_NAMED: "dict[str, type]" = {}
_NAMESPACES: "list[Mapping[str, Any]]" = []


def register_layer(cls: "type | None" = None, *, name: "str | None" = None) -> Any:
    """Registers a layer class under `name` (its class name by default); usable as a decorator.

    Example:
        >>> from multinn.engine.base_layer import Layer
        >>> @register_layer
        ... class Doubler(Layer):
        ...     def call(self, inputs):
        ...         return inputs * 2
        >>> deserialize_layer({"class_name": "Doubler", "config": {}}).__class__.__name__
        'Doubler'
        >>> _ = _NAMED.pop("Doubler")  # keep the example out of the shared table
    """

    def register(target: type) -> type:
        if not isinstance(target, type):
            raise TypeError(f"register_layer expects a layer class. Received: {target!r}")
        key = target.__name__ if name is None else name
        if not isinstance(key, str) or not key:
            raise TypeError(f"register_layer expects a non-empty string name. Received: name={name!r}")
        _NAMED[key] = target
        return target

    return register if cls is None else register(cls)


def register_layer_namespace(namespace: Mapping[str, Any]) -> None:
    """Registers every Layer class bound in `namespace` (a package's `globals()`) under the
    name it is bound to; the mapping is kept and read again at each lookup.

    Example:
        >>> from multinn.engine.input_layer import InputLayer
        >>> catalogue = {"Start": InputLayer}
        >>> register_layer_namespace(catalogue)
        >>> layer_classes()["Start"] is InputLayer
        True
        >>> _NAMESPACES.remove(catalogue)  # keep the example out of the shared table
    """
    if not isinstance(namespace, Mapping):
        raise TypeError(f"register_layer_namespace expects a mapping of names to objects. Received: {namespace!r}")
    if not any(known is namespace for known in _NAMESPACES):
        _NAMESPACES.append(namespace)


def layer_classes() -> "dict[str, type]":
    """Every registered layer class by name (a new dict).

    Example:
        >>> import multinn.layers
        >>> layer_classes()["Dense"] is multinn.layers.Dense
        True
    """
    from .base_layer import Layer  # the base layer module registers itself here, so it loads later

    found: "dict[str, type]" = {}
    for namespace in list(_NAMESPACES):
        for key, obj in list(namespace.items()):
            if isinstance(obj, type) and issubclass(obj, Layer):
                found[key] = obj
    found.update(_NAMED)
    return found


def deserialize_layer(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The layer (or model) that a `{'class_name', 'config'}` dict describes.

    `custom_objects` stay in scope while the layer is built, so a wrapper's or a model's
    inner layers find them too.

    Example:
        >>> import multinn.layers
        >>> deserialize_layer({"class_name": "Dense", "config": {"units": 3}}).units
        3
        >>> deserialize_layer({"class_name": "Dence", "config": {}})
        Traceback (most recent call last):
        ...
        ValueError: Unknown layer 'Dence'. Did you mean 'Dense'? A layer class of your own is found through \
custom_objects={'Dence': Dence} or a CustomObjectScope. Received: class_name='Dence'
    """
    from multinn.utils.generic_utils import custom_object_scope, get_custom_objects, get_object, suggest

    classes = layer_classes()
    if isinstance(config, Mapping) and "class_name" in config:
        name = config["class_name"]
        known = {**classes, **get_custom_objects(), **(custom_objects or {})}
        if name not in known:
            raise ValueError(
                f"Unknown layer {name!r}.{suggest(name, known)} A layer class of your own is found through "
                f"custom_objects={{{name!r}: {name}}} or a CustomObjectScope. Received: class_name={name!r}"
            )
    with custom_object_scope(custom_objects or {}):
        return get_object(config, classes, kind="layer", custom_objects=custom_objects)
