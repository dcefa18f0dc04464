"""Saving and loading models: one zip file, written with the standard library only.

Layout of a model file:

    model.json        {"format", "keras_version", "backend", "model_config", "training_config"}
    weights.json      {"layer_names": [...], "layers": {name: [{"name", "dtype", "shape", "file"}]}}
    weights/<i>.bin   each weight as little-endian C-order bytes (K.to_bytes)
    optimizer.json    {"weights": [{"dtype", "shape", "file"}]}   (when saved with the optimizer)
    optimizer/<i>.bin

Weights are plain bytes with their dtype and shape, so a file written on one backend
loads on the other. Files are written to a temporary file in the same folder and then
moved into place with `os.replace`: an interrupted save leaves the previous file intact.
"""
from __future__ import annotations

import json
import warnings
import os
import tempfile
import zipfile
from typing import Any

from multinn import backend as K

from .weight_conversion import preprocess_weights_for_loading  # noqa: F401  (Keras 2's `saving.preprocess_weights_for_loading`)

FORMAT = "multinn-model"


# ---------------------------------------------------------------------- atomic writing
def _atomic_zip(filepath: str, overwrite: bool, write) -> None:
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists and overwrite=False. Received: filepath={filepath!r}")
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(filepath) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
                write(archive)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _write_arrays(archive: zipfile.ZipFile, folder: str, tensors: list, names: "list | None" = None) -> list:
    entries = []
    for i, t in enumerate(tensors):
        path = f"{folder}/{i}.bin"
        archive.writestr(path, K.to_bytes(t))
        entry = {"dtype": K.dtype(t), "shape": list(K.int_shape(t)), "file": path}
        if names is not None:
            entry["name"] = names[i]
        entries.append(entry)
    return entries


def _weights_manifest(model: Any, archive: zipfile.ZipFile) -> dict:
    layers = {}
    names = []
    counter = 0
    for layer in model.layers:
        weights = layer.weights
        names.append(layer.name)
        entries = []
        for w in weights:
            path = f"weights/{counter}.bin"
            counter += 1
            archive.writestr(path, K.to_bytes(w))
            entries.append({"name": w.name, "dtype": K.dtype(w), "shape": list(K.int_shape(w)), "file": path})
        layers[layer.name] = entries
    return {"layer_names": names, "layers": layers}


# ---------------------------------------------------------------------- configs
def _serialize_fn(value: Any) -> Any:
    from multinn.utils.generic_utils import serialize_keras_object

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {k: _serialize_fn(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_fn(v) for v in value]
    return serialize_keras_object(value)


def _training_config(model: Any) -> "dict | None":
    from multinn import optimizers

    if not getattr(model, "_compiled", False):
        return None
    return {
        "optimizer_config": optimizers.serialize(model.optimizer),
        "loss": _serialize_fn(model.loss),
        "metrics": _serialize_fn(model._compile_metrics),
        "weighted_metrics": _serialize_fn(model._compile_weighted_metrics),
        "sample_weight_mode": model.sample_weight_mode,
        "loss_weights": model.loss_weights,
    }


def _model_json(model: Any, include_optimizer: bool) -> dict:
    from multinn import __version__

    return {
        "format": FORMAT,
        "keras_version": __version__,
        "backend": K.backend(),
        "model_config": {"class_name": type(model).__name__, "config": model.get_config()},
        "training_config": _training_config(model) if include_optimizer else None,
    }


def save_model(model: Any, filepath: str, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Saves the architecture, the weights and (optionally) the optimizer state in one file.

    Example:
        >>> import os, tempfile
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> multinn.models.load_model(path, compile=False).get_weights()[0].shape
        (3, 2)
    """
    config = _model_json(model, include_optimizer)

    def write(archive):
        archive.writestr("model.json", json.dumps(config, default=json_default))
        archive.writestr("weights.json", json.dumps(_weights_manifest(model, archive)))
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None and getattr(model, "_compiled", False):
            entries = _write_arrays(archive, "optimizer", list(optimizer.weights))
            archive.writestr("optimizer.json", json.dumps({"weights": entries}))

    _atomic_zip(filepath, overwrite, write)


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Saves the weights only (layer by layer, with names, dtypes and shapes)."""

    def write(archive):
        archive.writestr("weights.json", json.dumps(_weights_manifest(model, archive)))

    _atomic_zip(filepath, overwrite, write)


# ---------------------------------------------------------------------- loading
def _open(filepath: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(os.fspath(filepath), "r")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{filepath!r} is not a multinn model or weights file (not a zip archive).") from exc


def _read_tensor(archive: zipfile.ZipFile, entry: dict) -> K.Tensor:
    return K.from_bytes(archive.read(entry["file"]), entry["dtype"], entry["shape"])


def _check_shapes(layer: Any, entries: list) -> None:
    weights = layer.weights
    if len(weights) != len(entries):
        raise ValueError(
            f"Layer {layer.name!r} (#{type(layer).__name__}) expects {len(weights)} weight(s), but the saved weights "
            f"have {len(entries)} element(s)."
        )
    for w, e in zip(weights, entries):
        if tuple(K.int_shape(w)) != tuple(e["shape"]):
            raise ValueError(
                f"Layer {layer.name!r}: weight {w.name!r} has shape {tuple(K.int_shape(w))}, but the saved weight "
                f"has shape {tuple(e['shape'])}."
            )


def _load_weights_from_archive(model: Any, archive: zipfile.ZipFile, by_name: bool = False, skip_mismatch: bool = False) -> None:
    manifest = json.loads(archive.read("weights.json"))
    saved_names = [n for n in manifest["layer_names"] if manifest["layers"][n]]
    if by_name:
        layers = {layer.name: layer for layer in model.layers}
        jobs = []
        for name in saved_names:
            layer = layers.get(name)
            if layer is None:
                continue
            entries = manifest["layers"][name]
            try:
                _check_shapes(layer, entries)
            except ValueError:
                if skip_mismatch:
                    continue
                raise
            jobs.append((layer, entries))
    else:
        layers = [layer for layer in model.layers if layer.weights]
        if len(layers) != len(saved_names):
            raise ValueError(
                f"You are trying to load a weight file containing {len(saved_names)} layers with weights into a model "
                f"with {len(layers)} layers with weights (model {model.name!r})."
            )
        jobs = []
        for layer, name in zip(layers, saved_names):
            entries = manifest["layers"][name]
            _check_shapes(layer, entries)
            jobs.append((layer, entries))
    # All checks first, then the writes: a refused file changes nothing.
    for layer, entries in jobs:
        layer.set_weights([_read_tensor(archive, e) for e in entries])


def load_weights(model: Any, filepath: str, by_name: bool = False, skip_mismatch: bool = False) -> None:
    """Loads weights written by `save_weights` or `save` into `model`.

    Layers are matched in order (those with weights), or by name with `by_name=True`.
    A shape mismatch is refused naming the layer and both shapes (or skipped with
    `skip_mismatch=True` and `by_name=True`).
    """
    with _open(filepath) as archive:
        _load_weights_from_archive(model, archive, by_name=by_name, skip_mismatch=skip_mismatch)


def _deserialize_named(value: Any, custom_objects: dict, kind: str = "loss") -> Any:
    """Names and configs of the training config back to objects; `kind` ('loss' or 'metric')
    picks the module whose classes a config names (both have a MeanSquaredError)."""
    if isinstance(value, str):
        return custom_objects.get(value, value)
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        from multinn import losses, metrics

        try:
            return (losses if kind == "loss" else metrics).deserialize(value, custom_objects=custom_objects)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _deserialize_named(v, custom_objects, kind) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_named(v, custom_objects, kind) for v in value]
    return value


def model_from_config(config: dict, custom_objects: "dict | None" = None) -> Any:
    """A model (or layer) from {'class_name', 'config'}.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> type(multinn.models.model_from_config({"class_name": "Sequential", "config": model.get_config()})).__name__
        'Sequential'
    """
    from multinn.layers import deserialize

    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Maybe you meant to use `Sequential.from_config(config)`?")
    return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string: str, custom_objects: "dict | None" = None) -> Any:
    """A model from `model.to_json()` (architecture only; weights are fresh)."""
    return model_from_config(json.loads(json_string), custom_objects=custom_objects)


def load_model(filepath: str, custom_objects: "dict | None" = None, compile: bool = True) -> Any:  # noqa: A002
    """Loads a model saved by `model.save`: architecture, weights, and the compiled optimizer state.

    Args:
        filepath: the file.
        custom_objects: {name: class or function} for user layers, losses, metrics, ...
        compile: compile the model with the saved training configuration.
    """
    from multinn import optimizers
    from multinn.utils.generic_utils import custom_object_scope

    custom_objects = dict(custom_objects or {})
    with _open(filepath) as archive:
        names = set(archive.namelist())
        if "model.json" not in names:
            raise ValueError(f"{filepath!r} holds weights only (no model config): build the model and use `load_weights`.")
        config = json.loads(archive.read("model.json"))
        with custom_object_scope(custom_objects):
            model = model_from_config(config["model_config"], custom_objects=custom_objects)
            _load_weights_from_archive(model, archive)
            training = config.get("training_config")
            if compile and not training:
                warnings.warn(
                    "No training configuration found in save file: the model was *not* compiled. Compile it manually.",
                    UserWarning,
                    stacklevel=2,
                )
            if compile and training:
                optimizer = optimizers.deserialize(training["optimizer_config"], custom_objects=custom_objects)
                model.compile(
                    optimizer=optimizer,
                    loss=_deserialize_named(training.get("loss"), custom_objects),
                    metrics=_deserialize_named(training.get("metrics"), custom_objects, "metric"),
                    weighted_metrics=_deserialize_named(training.get("weighted_metrics"), custom_objects, "metric"),
                    loss_weights=training.get("loss_weights"),
                    sample_weight_mode=training.get("sample_weight_mode"),
                )
                if "optimizer.json" in names:
                    entries = json.loads(archive.read("optimizer.json"))["weights"]
                    values = [_read_tensor(archive, e) for e in entries]
                    if len(values) != len(optimizer.weights):  # slots exist only once it has trained
                        optimizer.build(model.trainable_weights)
                    optimizer.set_weights(values)
    return model


def json_default(obj: Any, name_callables: bool = False) -> Any:
    """`json.dumps`'s `default` for configs: arrays and array scalars as plain values, sets
    sorted; with `name_callables` (Network.to_json), a named callable as its name.

    Example:
        >>> import json
        >>> json.dumps({"axes": {2, 1}}, default=json_default)
        '{"axes": [1, 2]}'
        >>> json_default(len, name_callables=True)
        'len'
    """
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if name_callables and callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"Not JSON serializable: {obj!r}")
from .yaml_config import model_from_yaml  # noqa: E402,F401  (Keras 2.3.1 import path)
