"""A model's architecture as YAML (Keras 2.3.1's `to_yaml` / `model_from_yaml`).

PyYAML is optional (`pip install 'multinn[yaml]'`); without it both raise an ImportError
that names it. The YAML holds the same data as `to_json()` (plain lists, numbers and
strings: it is read with `yaml.safe_load`, which builds no Python objects).
"""
from __future__ import annotations

import json
from typing import Any


def _yaml(what: str) -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise ImportError(f"{what} needs the PyYAML package, which is not installed: "
                          "pip install pyyaml (or 'multinn[yaml]').") from exc
    return yaml


def to_yaml(model: Any, **kwargs: Any) -> str:
    """`model`'s architecture as a YAML string; `kwargs` go to `yaml.safe_dump`.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> text = to_yaml(multinn.Sequential([Dense(2, input_shape=(3,))]))
        >>> text.splitlines()[-1]
        'keras_version: 0.1.0'
    """
    yaml = _yaml("to_yaml")
    return yaml.safe_dump(json.loads(model.to_json()), **kwargs)


def model_from_yaml(yaml_string: str, custom_objects: "dict | None" = None, safe_mode: bool = True) -> Any:
    """A model from `model.to_yaml()` (architecture only; weights are fresh).

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> model_from_yaml(model.to_yaml()).layers[0].units
        2
    """
    from .saving import model_from_config

    yaml = _yaml("model_from_yaml")
    return model_from_config(yaml.safe_load(yaml_string), custom_objects=custom_objects, safe_mode=safe_mode)
