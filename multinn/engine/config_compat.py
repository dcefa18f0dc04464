"""Model configs written by newer tf.keras (2.4 and later) and Keras 3, brought back to the
Keras 2.3.1 shape multinn reads: keys those versions added and Keras 2 never wrote are
dropped, renamed classes get their Keras 2 names. Applied to configs read from files and
from `model_from_json`; a config Keras 2.3.1 wrote passes through unchanged.
"""
from __future__ import annotations

from typing import Any

# Keys of a serialized object ({"class_name", "config", ...}) that only newer versions write.
_OBJECT_KEYS = ("module", "registered_name", "build_config", "compile_config", "shared_object_id")
# Layer config keys with no Keras 2.3.1 meaning (all default values in files that multinn can run).
_LAYER_KEYS = ("ragged", "optional", "time_major", "zero_output_for_mask", "synchronized")
# Keys newer versions added that Keras 2.3.1 can follow only at these values (dropped then).
_DEFAULT_ONLY = {"groups": 1}
# Layers for which such a key is their own argument, kept whatever its value.
_OWN_KEYS = {"GroupNormalization": ("groups",)}
_CLASS_NAMES = {"Functional": "Model"}


def _dtype(value: Any) -> Any:
    # Keras 3 writes a dtype policy object where Keras 2 wrote its name.
    if isinstance(value, dict) and isinstance(value.get("config"), dict) and "name" in value["config"]:
        return value["config"]["name"]
    return value


def _layer_config(config: dict, class_name: Any = None) -> dict:
    own = _OWN_KEYS.get(class_name, ())
    config = {k: v for k, v in config.items()
              if k not in _LAYER_KEYS and not (k in _DEFAULT_ONLY and v == _DEFAULT_ONLY[k] and k not in own)}
    if "dtype" in config:
        config["dtype"] = _dtype(config["dtype"])
    if "batch_shape" in config and "batch_input_shape" not in config:  # Keras 3's InputLayer
        config["batch_input_shape"] = config.pop("batch_shape")
    return config


def normalize_config(value: Any) -> Any:
    """`value` with tf.keras 2.4+ / Keras 3 additions removed (a new object; the input is
    not changed).

    Example:
        >>> cfg = {"class_name": "Functional", "module": "keras", "config": {"name": "m", "layers": [
        ...     {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "ragged": False}}]}}
        >>> normalize_config(cfg)
        {'class_name': 'Model', 'config': {'name': 'm', 'layers': [{'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 3]}}]}}
    """
    if isinstance(value, list):
        return [normalize_config(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and "config" in value:
        out = {k: normalize_config(v) for k, v in value.items() if k not in _OBJECT_KEYS}
        name = out["class_name"]
        if isinstance(name, str):
            out["class_name"] = _CLASS_NAMES.get(name, name)
        if isinstance(out["config"], dict):
            out["config"] = _layer_config(out["config"], out["class_name"])
        return out
    return {k: normalize_config(v) for k, v in value.items()}


def normalize_optimizer_config(config: Any) -> Any:
    """A tf.keras 2.11+ optimizer config in Keras 2 terms: `Custom>Adam` -> `Adam`, and the
    keys Keras 2's optimizers do not take (weight_decay, use_ema, jit_compile, ...) dropped
    when they hold their defaults.

    Example:
        >>> normalize_optimizer_config({"class_name": "Custom>Adam", "config": {"learning_rate": 0.01,
        ...     "use_ema": False, "jit_compile": False, "is_legacy_optimizer": False, "name": "Adam"}})
        {'class_name': 'Adam', 'config': {'learning_rate': 0.01}}
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        return config
    name = config.get("class_name")
    if isinstance(name, str) and name.startswith("Custom>"):
        name = name[len("Custom>"):]
    inner = dict(config["config"])
    defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
                "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": False,
                "is_legacy_optimizer": False, "loss_scale_factor": None, "gradient_accumulation_steps": None}
    for key, default in defaults.items():
        if key in inner and inner[key] == default:
            del inner[key]
    if isinstance(inner.get("name"), str) and isinstance(name, str) and inner["name"].lower() == name.lower():
        del inner["name"]
    return {"class_name": name, "config": inner}


# tf.keras wraps plain functions as MeanMetricWrapper / LossFunctionWrapper {"fn": name}.
_WRAPPERS = ("MeanMetricWrapper", "LossFunctionWrapper", "SumOverBatchSizeMetricWrapper")


def _loss_or_metric(value: Any) -> Any:
    if isinstance(value, list):
        return [_loss_or_metric(v) for v in value]
    if isinstance(value, dict) and not ("class_name" in value and "config" in value):
        return {k: _loss_or_metric(v) for k, v in value.items()}
    if not isinstance(value, dict):
        return value
    value = normalize_config(value)
    config = dict(value["config"]) if isinstance(value["config"], dict) else {}
    if value["class_name"] in _WRAPPERS:
        name, fn = config.get("name"), config.get("fn")
        return name if name in ("accuracy", "acc", "crossentropy", "ce") else fn or name
    # a built-in loss class names its own function: tf.keras repeats it as "fn"
    config.pop("fn", None)
    return {"class_name": value["class_name"], "config": config}


def normalize_training_config(training: Any, outputs: int) -> Any:
    """A training config written by tf.keras 2.x in Keras 2.3.1's terms: serialized losses and
    metrics without the keys tf.keras adds, wrapped functions by name, and the per-output
    metric lists of a one-output model flattened.

    Example:
        >>> normalize_training_config({"loss": {"class_name": "MeanSquaredError", "config": {"fn": "mse", "name": "m"}},
        ...     "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "fn": "acc"}}]]}, 1)
        {'loss': {'class_name': 'MeanSquaredError', 'config': {'name': 'm'}}, 'metrics': ['accuracy']}
    """
    if not isinstance(training, dict):
        return training
    out = dict(training)
    for key in ("loss", "metrics", "weighted_metrics"):
        if key in out:
            out[key] = _loss_or_metric(out[key])
    for key in ("metrics", "weighted_metrics"):
        value = out.get(key)
        if outputs == 1 and isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
            out[key] = value[0]
    return out
