"""Saving and loading models and weights, in two formats chosen by the file name on saving
and read from the file's signature on loading:

- `.h5` / `.hdf5`: Keras 2's HDF5 layout through h5py (`hdf5_format.py`), the format Keras
  2.x and tf.keras 2.x read and write;
- any other name: multinn's own zip archive, written with the standard library only.

Loading is safe by default (`safe_mode=True`: no code stored in a file runs), never
unpickles, checks sizes against the file before allocating, and reports any malformed file
as one `ModelFileError` (a ValueError) naming it.

Layout of a multinn zip model file:

    model.json        {"format", "keras_version", "backend", "model_config", "training_config"}
    weights.json      {"layer_names": [...], "layers": {name: [{"name", "dtype", "shape", "file"}]}}
    weights/<i>.bin   each weight as little-endian C-order bytes (K.to_bytes)
    optimizer.json    {"weights": [{"dtype", "shape", "file"}]}   (when saved with the optimizer)
    optimizer/<i>.bin

Weights are plain bytes with their dtype and shape, so a file written on one backend
loads on the other. Files are written to a temporary file in the same folder and then
moved into place with `os.replace`: an interrupted save leaves the previous file intact
(`model_files.atomic_output`).
"""
from __future__ import annotations

import contextlib
import json
import warnings
import os
import zipfile
from typing import Any, Iterator

from multinn import backend as K

from .layer_registry import deserialize_layer
from .config_compat import normalize_config, normalize_optimizer_config, normalize_training_config
from .model_files import (ModelFileError, allocation_budget, atomic_output, check_array_entry, file_format,
                          format_for_saving, MAX_CONFIG_BYTES)
from .weight_conversion import preprocess_weights_for_loading  # noqa: F401  (Keras 2.3.1 import path)
from .hdf5_format import (load_attributes_from_hdf5_group, load_weights_from_hdf5_group,  # noqa: F401  (same)
                          load_weights_from_hdf5_group_by_name, save_attributes_to_hdf5_group,
                          save_weights_to_hdf5_group)

FORMAT = "multinn-model"


# ---------------------------------------------------------------------- atomic writing
def _atomic_zip(filepath: str, overwrite: bool, write) -> None:
    with atomic_output(filepath, overwrite) as tmp:
        with open(tmp, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
                write(archive)


def _atomic_h5(filepath: Any, overwrite: bool, write) -> None:
    from .hdf5_format import _h5py

    h5py = _h5py()
    if isinstance(filepath, h5py.Group):  # an open file or group: written in place, as Keras 2 does
        write(filepath)
        return
    with atomic_output(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            write(f)


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


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
               save_format: "str | None" = None) -> None:
    """Saves the architecture, the weights and (optionally) the optimizer state in one file.

    A `.h5` / `.hdf5` name (or an open h5py File, or `save_format='h5'`) writes Keras 2's
    HDF5 layout, which Keras 2.x and tf.keras 2.x load; any other name writes multinn's
    zip archive.

    Example:
        >>> import os, tempfile
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> folder = tempfile.mkdtemp()
        >>> model.save(os.path.join(folder, "model.keras"))
        >>> model.save(os.path.join(folder, "model.h5"))
        >>> multinn.models.load_model(os.path.join(folder, "model.h5"), compile=False).get_weights()[0].shape
        (3, 2)
    """
    if format_for_saving(filepath, save_format) == "h5":
        from .hdf5_format import save_model_to_hdf5

        _atomic_h5(filepath, overwrite, lambda f: save_model_to_hdf5(model, f, include_optimizer))
        return
    config = _model_json(model, include_optimizer)

    def write(archive):
        archive.writestr("model.json", json.dumps(config, default=json_default))
        archive.writestr("weights.json", json.dumps(_weights_manifest(model, archive)))
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None and getattr(model, "_compiled", False):
            entries = _write_arrays(archive, "optimizer", list(optimizer.weights))
            archive.writestr("optimizer.json", json.dumps({"weights": entries}))

    _atomic_zip(filepath, overwrite, write)


def save_weights(model: Any, filepath: Any, overwrite: bool = True, save_format: "str | None" = None) -> None:
    """Saves the weights only (layer by layer, with names, dtypes and shapes): Keras 2's HDF5
    layout for `.h5` / `.hdf5` names, multinn's zip otherwise.

    Example:
        >>> import os, tempfile
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.h5")
        >>> save_weights(model, path)
        >>> load_weights(model, path)
    """
    if format_for_saving(filepath, save_format) == "h5":
        from .hdf5_format import save_weights_to_hdf5_group

        _atomic_h5(filepath, overwrite, lambda f: save_weights_to_hdf5_group(f, model.layers))
        return

    def write(archive):
        archive.writestr("weights.json", json.dumps(_weights_manifest(model, archive)))

    _atomic_zip(filepath, overwrite, write)


# ---------------------------------------------------------------------- loading
# Raised on purpose with their own meaning: passed through as they are.
_OWN_ERRORS = (ModelFileError, ImportError, MemoryError, FileNotFoundError, IsADirectoryError, PermissionError,
               Warning)  # a warning turned into an error (python -W error) stays what it is


@contextlib.contextmanager
def _malformed_file_errors(filepath: Any) -> Iterator[None]:
    """Turns whatever a damaged file makes the readers raise into one ModelFileError."""
    from multinn.utils.safe_mode import UnsafeCodeError

    try:
        yield
    except (*_OWN_ERRORS, UnsafeCodeError):
        raise
    except Exception as exc:  # noqa: BLE001  (h5py, zipfile and json raise many types on damaged input)
        raise ModelFileError(filepath, f"{type(exc).__name__}: {exc}") from exc


def _open(filepath: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(os.fspath(filepath), "r")
    except zipfile.BadZipFile as exc:
        raise ModelFileError(filepath, f"damaged zip archive ({exc})") from exc


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(archive.filename, f"the archive has no {name!r}") from None
    if info.file_size > limit:
        raise ModelFileError(archive.filename, f"{name!r} declares {info.file_size} bytes, over the limit of {limit}")
    with archive.open(info) as member:
        data = member.read(limit + 1)  # the header's size may lie: never read past the limit
    if len(data) > limit:
        raise ModelFileError(archive.filename, f"{name!r} holds more than {limit} bytes")
    return data


def _read_json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(_read_member(archive, name, MAX_CONFIG_BYTES))
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(archive.filename, f"{name!r} is not valid JSON ({exc})") from None


def _check_entry(archive: zipfile.ZipFile, entry: Any) -> int:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise ModelFileError(archive.filename, f"bad weight entry {entry!r}")
    try:
        stored = archive.getinfo(entry["file"]).file_size
    except KeyError:
        raise ModelFileError(archive.filename, f"weight data {entry['file']!r} is missing") from None
    return check_array_entry(archive.filename, entry.get("dtype"), entry.get("shape"), stored, exact=True)


def _read_tensor(archive: zipfile.ZipFile, entry: dict) -> K.Tensor:
    _check_entry(archive, entry)
    data = _read_member(archive, entry["file"], archive.getinfo(entry["file"]).file_size)
    return K.from_bytes(data, entry["dtype"], entry["shape"])


def _manifest(archive: zipfile.ZipFile) -> dict:
    manifest = _read_json(archive, "weights.json")
    if (not isinstance(manifest, dict) or not isinstance(manifest.get("layer_names"), list)
            or not isinstance(manifest.get("layers"), dict)):
        raise ModelFileError(archive.filename, "weights.json lacks 'layer_names' and 'layers'")
    for name in manifest["layer_names"]:
        if not isinstance(manifest["layers"].get(name), list):
            raise ModelFileError(archive.filename, f"weights.json lists layer {name!r} without its weights")
    return manifest


def _stored_elements_zip(archive: zipfile.ZipFile, manifest: dict) -> int:
    return sum(_check_entry(archive, e) for entries in manifest["layers"].values() for e in entries)


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
    manifest = _manifest(archive)
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
            except ValueError as exc:
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer {layer.name}: {exc}", stacklevel=3)
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
        for entry in entries:
            _check_entry(archive, entry)
    for layer, entries in jobs:
        layer.set_weights([_read_tensor(archive, e) for e in entries])


def _is_h5_object(filepath: Any) -> bool:
    if isinstance(filepath, (str, os.PathLike)):
        return False
    try:
        import h5py
    except ImportError:
        return False
    return isinstance(filepath, h5py.Group)


@contextlib.contextmanager
def _open_h5(filepath: Any) -> Iterator[Any]:
    if _is_h5_object(filepath):
        yield filepath
        return
    from .hdf5_format import _h5py

    with _h5py().File(os.fspath(filepath), "r") as f:
        yield f


def load_weights(model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                 reshape: bool = False) -> None:
    """Loads weights written by `save_weights` or `save` into `model`, from either format
    (read from the file's signature): Keras 2 / tf.keras `.h5` files included.

    Layers are matched in order (those with weights), or by name with `by_name=True`.
    A shape mismatch is refused naming the layer and both shapes (or skipped with a
    warning with `skip_mismatch=True` and `by_name=True`). `reshape=True` reshapes a
    convolution kernel that holds the right number of values (HDF5 files).

    Example:
        >>> import os, tempfile
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,), name="a")])
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.keras")
        >>> model.save_weights(path)
        >>> other = multinn.Sequential([Dense(2, input_shape=(3,), name="a"), Dense(1, name="b")])
        >>> load_weights(other, path, by_name=True)
        >>> bool((other.get_weights()[0] == model.get_weights()[0]).all())
        True
    """
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to True when by_name is True.")
    h5 = _is_h5_object(filepath) or file_format(filepath) == "h5"
    with _malformed_file_errors(filepath):
        if h5:
            from .hdf5_format import load_weights_from_hdf5_group, load_weights_from_hdf5_group_by_name

            with _open_h5(filepath) as f:
                if by_name:
                    load_weights_from_hdf5_group_by_name(f, model.layers, skip_mismatch=skip_mismatch, reshape=reshape,
                                                         filepath=filepath)
                else:
                    load_weights_from_hdf5_group(f, model.layers, reshape=reshape, filepath=filepath)
            return
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


def model_from_config(config: dict, custom_objects: "dict | None" = None, safe_mode: bool = True) -> Any:
    """A model (or layer) from {'class_name', 'config'}.

    Configs written by newer tf.keras (keys Keras 2 never wrote, such as `ragged`) load.
    With `safe_mode=True` (the default) a Lambda's marshalled function is refused.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> type(multinn.models.model_from_config({"class_name": "Sequential", "config": model.get_config()})).__name__
        'Sequential'
    """
    from multinn.utils.safe_mode import safe_mode_scope

    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Maybe you meant to use `Sequential.from_config(config)`?")
    with safe_mode_scope(safe_mode):
        return deserialize_layer(normalize_config(config), custom_objects=custom_objects)


def model_from_json(json_string: str, custom_objects: "dict | None" = None, safe_mode: bool = True) -> Any:
    """A model from `model.to_json()` (architecture only; weights are fresh).

    With `safe_mode=True` (the default) a Lambda's marshalled function is refused; pass
    `safe_mode=False` for JSON you trust.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,))])
        >>> model_from_json(model.to_json()).layers[0].units
        2
    """
    return model_from_config(json.loads(json_string), custom_objects=custom_objects, safe_mode=safe_mode)


def _compile_from(model: Any, training: dict, custom_objects: dict) -> Any:
    """Compiles `model` as its training config says; returns the optimizer, or None when the
    config (one written by a newer tf.keras) names what multinn cannot rebuild: the model
    then stays uncompiled, with a warning saying why."""
    from multinn import optimizers

    training = normalize_training_config(training, len(getattr(model, "outputs", None) or [None]))
    try:
        optimizer = optimizers.deserialize(normalize_optimizer_config(training["optimizer_config"]),
                                           custom_objects=custom_objects)
        model.compile(
            optimizer=optimizer,
            loss=_deserialize_named(training.get("loss"), custom_objects),
            metrics=_deserialize_named(training.get("metrics"), custom_objects, "metric"),
            weighted_metrics=_deserialize_named(training.get("weighted_metrics"), custom_objects, "metric"),
            loss_weights=training.get("loss_weights"),
            sample_weight_mode=training.get("sample_weight_mode"),
        )
    except (TypeError, ValueError, KeyError) as exc:
        warnings.warn(
            f"The saved training configuration could not be rebuilt ({type(exc).__name__}: {exc}): the model was "
            "*not* compiled. Compile it manually.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return optimizer


def _set_optimizer_state(model: Any, optimizer: Any, values: list) -> None:
    if not values:
        return
    if len(values) != len(optimizer.weights):  # slots exist only once it has trained
        optimizer.build(model.trainable_weights)
    try:
        optimizer.set_weights(values)
    except ValueError as exc:
        # Another optimizer's layout (tf.keras 2.11+ orders its slots differently): Keras 2 also
        # goes on with a fresh optimizer state here.
        warnings.warn(
            f"Error in loading the saved optimizer state ({exc}). As a result, your model is starting with a freshly "
            "initialized optimizer.",
            UserWarning,
            stacklevel=3,
        )


def _warn_not_compiled() -> None:
    warnings.warn(
        "No training configuration found in save file: the model was *not* compiled. Compile it manually.",
        UserWarning,
        stacklevel=3,
    )


def _load_h5_model(f: Any, filepath: Any, custom_objects: dict, compile: bool, safe_mode: bool) -> Any:  # noqa: A002
    from .hdf5_format import load_optimizer_weights, load_weights_from_hdf5_group, read_json_attribute, stored_elements

    config = read_json_attribute(filepath, f, "model_config")
    if config is None:
        raise ModelFileError(filepath, "no model found in config file (it holds weights only: build the model and use `load_weights`)")
    weights_group = f["model_weights"] if "model_weights" in f else f
    with allocation_budget(filepath, stored_elements(weights_group)):
        model = model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
    load_weights_from_hdf5_group(weights_group, model.layers, filepath=filepath)
    training = read_json_attribute(filepath, f, "training_config")
    if compile and not training:
        _warn_not_compiled()
    if compile and training:
        optimizer = _compile_from(model, training, custom_objects)
        if optimizer is not None:
            _set_optimizer_state(model, optimizer, load_optimizer_weights(filepath, f))
    return model


def _load_zip_model(filepath: Any, custom_objects: dict, compile: bool, safe_mode: bool) -> Any:  # noqa: A002
    with _open(filepath) as archive:
        names = set(archive.namelist())
        if "model.json" not in names:
            raise ModelFileError(filepath, "it holds weights only (no model config): build the model and use `load_weights`")
        config = _read_json(archive, "model.json")
        if not isinstance(config, dict) or not isinstance(config.get("model_config"), dict):
            raise ModelFileError(filepath, "model.json has no 'model_config'")
        manifest = _manifest(archive)
        with allocation_budget(filepath, _stored_elements_zip(archive, manifest)):
            model = model_from_config(config["model_config"], custom_objects=custom_objects, safe_mode=safe_mode)
        _load_weights_from_archive(model, archive)
        training = config.get("training_config")
        if compile and not training:
            _warn_not_compiled()
        if compile and training:
            optimizer = _compile_from(model, training, custom_objects)
            if optimizer is not None and "optimizer.json" in names:
                listing = _read_json(archive, "optimizer.json")
                entries = listing.get("weights") if isinstance(listing, dict) else None
                if not isinstance(entries, list):
                    raise ModelFileError(filepath, "optimizer.json has no 'weights' list")
                _set_optimizer_state(model, optimizer, [_read_tensor(archive, e) for e in entries])
    return model


def load_model(filepath: Any, custom_objects: "dict | None" = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """Loads a model saved by `model.save` (either format, read from the file's signature),
    or by Keras 2.x / tf.keras 2.x as `.h5`: architecture, weights, and the compiled
    optimizer state.

    Args:
        filepath: the file (or an open h5py File).
        custom_objects: {name: class or function} for user layers, losses, metrics, ...
        compile: compile the model with the saved training configuration.
        safe_mode: refuse code stored in the file (a Lambda's marshalled function): loading
            such a file raises `UnsafeCodeError` unless `safe_mode=False`.

    Raises:
        ModelFileError: (a ValueError naming the file) for any damaged or malformed file.

    Example:
        >>> import os, tempfile
        >>> import multinn
        >>> from multinn.layers import Dense, Lambda
        >>> model = multinn.Sequential([Dense(2, input_shape=(3,)), Lambda(lambda x: x * 2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
        >>> model.save(path)
        >>> load_model(path)
        Traceback (most recent call last):
        ...
        multinn.utils.safe_mode.UnsafeCodeError: Refused to load a Lambda layer's marshalled function: it is Python bytecode stored in the file or config, and running it would run whatever code the file holds. If you trust the source, pass `safe_mode=False` to `load_model` / `model_from_json` / `model_from_config` / `model_from_yaml`; or give the function by name in `custom_objects`.
        >>> load_model(path, safe_mode=False).layers[1].name.startswith("lambda")
        True
    """
    from multinn.utils.generic_utils import custom_object_scope

    custom_objects = dict(custom_objects or {})
    h5 = _is_h5_object(filepath) or file_format(filepath) == "h5"
    with _malformed_file_errors(filepath), custom_object_scope(custom_objects):
        if h5:
            with _open_h5(filepath) as f:
                return _load_h5_model(f, filepath, custom_objects, compile, safe_mode)
        return _load_zip_model(filepath, custom_objects, compile, safe_mode)


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
