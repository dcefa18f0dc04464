"""Keras 2's HDF5 layout, through h5py: the files that Keras 2.x and tf.keras 2.x write with
`model.save('x.h5')` / `save_weights('w.h5')` and read with `load_model` / `load_weights`.

    /                          attrs: keras_version, backend, model_config (JSON),
                                      training_config (JSON, when compiled)
    /model_weights             attrs: layer_names, keras_version, backend
    /model_weights/<layer>     attrs: weight_names ('dense_1/kernel:0', ...)
    /model_weights/<layer>/<weight name>   one dataset per weight
    /optimizer_weights         attrs: weight_names; one dataset per optimizer weight

A weights-only file is the `model_weights` group at the root. Every dataset read is checked
against the storage that backs it before it is read (no external or virtual datasets).
"""
from __future__ import annotations

import json
import math
import warnings
from typing import Any

from multinn import backend as K

from .model_files import ModelFileError, check_array_entry, MAX_CONFIG_BYTES
from .weight_conversion import preprocess_weights_for_loading

# The Keras API version these files follow; readers compare it with '1' only (Keras 1 layouts).
KERAS_VERSION = "2.3.1"
# An HDF5 object header holds at most 64 kB: longer name lists are split over attributes.
HDF5_OBJECT_HEADER_LIMIT = 64512


def _h5py() -> Any:
    from multinn.utils.io_utils import _h5py as load

    return load("Saving or loading .h5 files")


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------- attributes
def save_attributes_to_hdf5_group(group: Any, name: str, data: list) -> None:
    """Stores a list of strings as the attribute `name`, split over `name0`, `name1`, ...
    when it is too long for one HDF5 object header.

    Example:
        >>> import io, h5py
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     save_attributes_to_hdf5_group(f, "layer_names", ["dense_1", "dense_2"])
        ...     load_attributes_from_hdf5_group(f, "layer_names")
        ['dense_1', 'dense_2']
    """
    items = [item.encode("utf8") if isinstance(item, str) else bytes(item) for item in data]
    too_long = [item for item in items if len(item) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            f"Attribute {name!r}: these names are longer than {HDF5_OBJECT_HEADER_LIMIT} bytes and cannot be stored "
            f"in HDF5: {[_text(x) for x in too_long]}"
        )
    chunks = [items]
    # h5py stores a list of bytes as fixed-length strings of the longest item.
    while any(len(chunk) * max([len(x) for x in chunk] or [1]) > HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
        count = len(chunks) + 1
        size = -(-len(items) // count)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
    if len(chunks) == 1:
        group.attrs[name] = items
        return
    for i, chunk in enumerate(chunks):
        group.attrs[f"{name}{i}"] = chunk


def load_attributes_from_hdf5_group(group: Any, name: str) -> list:
    """The list of strings `save_attributes_to_hdf5_group` stored (bytes or str in the file).

    Example:
        >>> import io, h5py
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     f.attrs["weight_names0"], f.attrs["weight_names1"] = [b"a"], [b"b"]
        ...     load_attributes_from_hdf5_group(f, "weight_names")
        ['a', 'b']
    """
    if name in group.attrs:
        return [_text(x) for x in _as_list(group.attrs[name])]
    data: list = []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(_text(x) for x in _as_list(group.attrs[f"{name}{chunk}"]))
        chunk += 1
    return data


def _as_list(value: Any) -> list:
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value.tolist() if hasattr(value, "tolist") else value)


# ---------------------------------------------------------------------- writing
def _unique_weight_names(weights: list) -> list:
    names = []
    for i, w in enumerate(weights):
        name = str(getattr(w, "name", "") or f"param_{i}")
        names.append(name if name not in names else f"param_{i}")
    return names


def _write_dataset(group: Any, name: str, value: Any) -> None:
    dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
    if value.shape:
        dataset[:] = value
    else:
        dataset[()] = value


def save_weights_to_hdf5_group(group: Any, layers: list) -> None:
    """Writes the weights of `layers` into `group` in Keras 2's layout.

    Example:
        >>> import io, h5py
        >>> from multinn.layers import Dense
        >>> from multinn.models import Sequential
        >>> model = Sequential([Dense(2, input_shape=(3,), name="d")])
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     save_weights_to_hdf5_group(f, model.layers)
        ...     load_attributes_from_hdf5_group(f["d"], "weight_names")
        ['d/kernel:0', 'd/bias:0']
    """
    save_attributes_to_hdf5_group(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = K.backend().encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in layers:
        sub = group.create_group(layer.name)
        weights = layer.weights
        names = _unique_weight_names(weights)
        save_attributes_to_hdf5_group(sub, "weight_names", names)
        for name, value in zip(names, K.batch_get_value(weights)):
            _write_dataset(sub, name, value)


def save_model_to_hdf5(model: Any, group: Any, include_optimizer: bool = True) -> None:
    """Writes a whole model (config, weights, training config and optimizer state) into an
    open h5py File or Group, as Keras 2's `save_model` does.

    Example:
        >>> import io, h5py, json
        >>> from multinn.layers import Dense
        >>> from multinn.models import Sequential
        >>> model = Sequential([Dense(2, input_shape=(3,))])
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     save_model_to_hdf5(model, f)
        ...     json.loads(f.attrs["model_config"])["class_name"], "model_weights" in f
        ('Sequential', True)
    """
    from multinn import __version__

    from .saving import _model_json, json_default

    meta = _model_json(model, include_optimizer)
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    group.attrs["backend"] = K.backend().encode("utf8")
    group.attrs["multinn_version"] = str(__version__).encode("utf8")
    group.attrs["model_config"] = json.dumps(meta["model_config"], default=json_default).encode("utf8")
    save_weights_to_hdf5_group(group.create_group("model_weights"), model.layers)
    optimizer = getattr(model, "optimizer", None)
    if meta["training_config"] is None or optimizer is None:
        return
    group.attrs["training_config"] = json.dumps(meta["training_config"], default=json_default).encode("utf8")
    weights = list(optimizer.weights)
    if weights:
        sub = group.create_group("optimizer_weights")
        names = _unique_weight_names(weights)
        save_attributes_to_hdf5_group(sub, "weight_names", names)
        for name, value in zip(names, K.batch_get_value(weights)):
            _write_dataset(sub, name, value)


# ---------------------------------------------------------------------- reading
def read_dataset(filepath: Any, dataset: Any) -> Any:
    """A weight dataset's values, after checking that it is a plain numeric array whose
    declared size the file actually stores.

    Example:
        >>> import io, h5py, numpy as np
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     f["w"] = np.ones((2, 2), "float32")
        ...     read_dataset("w.h5", f["w"]).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """
    h5py = _h5py()
    if not isinstance(dataset, h5py.Dataset):
        raise ModelFileError(filepath, f"{getattr(dataset, 'name', dataset)!r} should be a weight array, not a group")
    if dataset.is_virtual or dataset.external:
        raise ModelFileError(filepath, f"weight {dataset.name!r} refers to data outside the file")
    if dataset.dtype.kind not in "fiub":
        raise ModelFileError(filepath, f"weight {dataset.name!r} has non-numeric dtype {dataset.dtype}")
    compressed = dataset.compression is not None or bool(getattr(dataset, "_filters", None))
    check_array_entry(filepath, dataset.dtype.name, [int(s) for s in dataset.shape],
                      int(dataset.id.get_storage_size()), compressed=compressed)
    return dataset[()]


def stored_elements(group: Any) -> int:
    """How many weight elements the datasets under `group` declare (for allocation limits).

    Example:
        >>> import io, h5py, numpy as np
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     f["a/b"] = np.ones((2, 3))
        ...     stored_elements(f)
        6
    """
    h5py = _h5py()
    total = [0]

    def visit(_name, obj):
        if isinstance(obj, h5py.Dataset):
            total[0] += int(obj.size or 0)

    group.visititems(visit)
    return total[0]


def _weights_source(group: Any, filepath: Any) -> tuple:
    # (file name for errors, the group holding layer_names, Keras version, backend that wrote it)
    if filepath is None:
        filepath = getattr(getattr(group, "file", None), "filename", "<h5>")
    group = _weights_group(group)
    return (filepath, group) + _versions(group)


def _versions(group: Any) -> tuple:
    version = _text(group.attrs["keras_version"]) if "keras_version" in group.attrs else "1"
    backend = _text(group.attrs["backend"]) if "backend" in group.attrs else None
    return version, backend


def _saved_layer(filepath: Any, group: Any, name: str, targets: list) -> list:
    if name not in group:
        raise ModelFileError(filepath, f"layer {name!r} is listed in layer_names but has no group")
    sub = group[name]
    datasets = [_item(filepath, sub, weight) for weight in load_attributes_from_hdf5_group(sub, "weight_names")]
    # Checked before reading: a layer's saved values may outnumber its weights' only by
    # layout conversions (cuDNN's doubled biases), never by more.
    room = max(2 * sum(math.prod(K.int_shape(w)) for w in layer.weights) for layer in targets) + 1024
    declared = sum(int(getattr(d, "size", 0) or 0) for d in datasets)
    if declared > room:
        raise ModelFileError(
            filepath, f"saved layer {name!r} holds {declared} values, far more than the {room // 2} of layer "
            f"{targets[0].name!r} it would load into"
        )
    return [read_dataset(filepath, d) for d in datasets]


def _item(filepath: Any, group: Any, name: str) -> Any:
    if name not in group:
        raise ModelFileError(filepath, f"weight {name!r} is listed in {group.name}'s weight_names but not stored")
    return group[name]


def _weights_group(group: Any) -> Any:
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs and "model_weights" in group:
        return group["model_weights"]
    return group


def load_weights_from_hdf5_group(group: Any, layers: list, reshape: bool = False, filepath: Any = None) -> None:
    """Loads weights into `layers` in order (those with weights, matched to the saved layers
    that have weights), converting layouts as Keras 2 does.

    Raises:
        ValueError: the numbers of layers or of weights differ, or a shape differs.

    Example:
        >>> import io, h5py
        >>> from multinn.layers import Dense
        >>> from multinn.models import Sequential
        >>> a, b = Sequential([Dense(2, input_shape=(3,))]), Sequential([Dense(2, input_shape=(3,))])
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     save_weights_to_hdf5_group(f, a.layers)
        ...     load_weights_from_hdf5_group(f, b.layers)
        >>> bool((a.get_weights()[0] == b.get_weights()[0]).all())
        True
    """
    filepath, group, version, backend = _weights_source(group, filepath)
    targets = [layer for layer in layers if layer.weights]
    names = [n for n in load_attributes_from_hdf5_group(group, "layer_names")
             if n in group and load_attributes_from_hdf5_group(group[n], "weight_names")]
    if len(names) != len(targets):
        raise ValueError(
            f"You are trying to load a weight file containing {len(names)} layers into a model with "
            f"{len(targets)} layers."
        )
    pairs = []
    for k, (name, layer) in enumerate(zip(names, targets)):
        values = preprocess_weights_for_loading(layer, _saved_layer(filepath, group, name, [layer]), version, backend, reshape=reshape)
        weights = layer.weights
        if len(values) != len(weights):
            raise ValueError(
                f'Layer #{k} (named "{layer.name}" in the current model) was found to correspond to layer {name} in '
                f"the save file. However the new layer {layer.name} expects {len(weights)} weights, but the saved "
                f"weights have {len(values)} elements."
            )
        for w, v in zip(weights, values):
            if tuple(K.int_shape(w)) != tuple(v.shape):
                raise ValueError(
                    f"Layer {layer.name!r}: weight {w.name!r} has shape {tuple(K.int_shape(w))}, but the saved weight "
                    f"has shape {tuple(v.shape)}."
                )
        pairs += zip(weights, values)
    # All checks first, then the writes: a refused file changes nothing.
    K.batch_set_value(pairs)


def load_weights_from_hdf5_group_by_name(group: Any, layers: list, skip_mismatch: bool = False, reshape: bool = False,
                                         filepath: Any = None) -> None:
    """Loads weights into the layers whose names match saved layers; others are left as they
    are. With `skip_mismatch`, layers whose weight count or shapes differ are skipped with a
    warning instead of raising.

    Example:
        >>> import io, h5py
        >>> from multinn.layers import Dense
        >>> from multinn.models import Sequential
        >>> a = Sequential([Dense(2, input_shape=(3,), name="shared")])
        >>> b = Sequential([Dense(2, input_shape=(3,), name="shared"), Dense(1, name="new")])
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     save_weights_to_hdf5_group(f, a.layers)
        ...     load_weights_from_hdf5_group_by_name(f, b.layers)
        >>> bool((a.get_weights()[0] == b.get_weights()[0]).all())
        True
    """
    filepath, group, version, backend = _weights_source(group, filepath)
    index: dict = {}
    for layer in layers:
        index.setdefault(layer.name, []).append(layer)
    pairs = []
    for k, name in enumerate(load_attributes_from_hdf5_group(group, "layer_names")):
        if name not in index:
            continue
        saved = _saved_layer(filepath, group, name, index[name])
        for layer in index[name]:
            weights = layer.weights
            values = preprocess_weights_for_loading(layer, saved, version, backend, reshape=reshape)
            if len(values) != len(weights):
                message = (f'Layer #{k} (named "{layer.name}") expects {len(weights)} weight(s), but the saved weights '
                           f"have {len(values)} element(s).")
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer {layer.name}: {message}", stacklevel=3)
                    continue
                raise ValueError(message)
            mismatched = [(w, v) for w, v in zip(weights, values) if tuple(K.int_shape(w)) != tuple(v.shape)]
            if mismatched:
                w, v = mismatched[0]
                message = (f'Layer #{k} (named "{layer.name}"), weight {w.name!r} has shape {tuple(K.int_shape(w))}, '
                           f"but the saved weight has shape {tuple(v.shape)}.")
                if skip_mismatch:
                    warnings.warn(f"Skipping loading of weights for layer {layer.name} due to mismatch in shape: "
                                  f"{message}", stacklevel=3)
                    continue
                raise ValueError(message)
            pairs += zip(weights, values)
    K.batch_set_value(pairs)


def read_json_attribute(filepath: Any, group: Any, name: str) -> Any:
    """The JSON document stored as attribute `name` (None when absent), size-limited.

    Example:
        >>> import io, h5py
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     f.attrs["model_config"] = '{"class_name": "Sequential"}'
        ...     read_json_attribute("m.h5", f, "model_config")
        {'class_name': 'Sequential'}
    """
    if name not in group.attrs:
        return None
    raw = group.attrs[name]
    if not isinstance(raw, (str, bytes)):
        raise ModelFileError(filepath, f"attribute {name!r} should be a JSON string")
    if len(raw) > MAX_CONFIG_BYTES:
        raise ModelFileError(filepath, f"attribute {name!r} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(filepath, f"attribute {name!r} is not valid JSON ({exc})") from None


def load_optimizer_weights(filepath: Any, group: Any) -> list:
    """The optimizer state stored under `optimizer_weights`, in its saved order ([] if none).

    Example:
        >>> import io, h5py
        >>> with h5py.File(io.BytesIO(), "w") as f:
        ...     load_optimizer_weights("m.h5", f)
        []
    """
    if "optimizer_weights" not in group:
        return []
    sub = group["optimizer_weights"]
    names = load_attributes_from_hdf5_group(sub, "weight_names")
    return keras2_slot_order(names, [read_dataset(filepath, _item(filepath, sub, name)) for name in names])


def keras2_slot_order(names: list, values: list) -> list:
    """Optimizer state in Keras 2's order (the step count, then each slot for every weight).
    tf.keras 2.11+ saves the step count, then the slots weight by weight
    ('iteration:0', 'Adam/m/dense/kernel:0', 'Adam/v/dense/kernel:0', ...): regrouped here.

    Example:
        >>> keras2_slot_order(["iteration:0", "Adam/m/a:0", "Adam/v/a:0", "Adam/m/b:0", "Adam/v/b:0"],
        ...                   ["i", "ma", "va", "mb", "vb"])
        ['i', 'ma', 'mb', 'va', 'vb']
    """
    if not names or names[0] != "iteration:0" or not all(n.count("/") >= 2 for n in names[1:]):
        return values
    if len({n.split("/")[0] for n in names[1:]}) > 1:  # one optimizer's prefix on every slot
        return values
    slots: dict = {}
    for name, value in zip(names[1:], values[1:]):
        slots.setdefault(name.split("/")[1], []).append(value)
    return values[:1] + [v for group in slots.values() for v in group]
