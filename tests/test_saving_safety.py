"""Files and trust: no code from a file runs by default (safe_mode), limits are checked before
allocating, every malformed file gives one ModelFileError naming it, and saves leave no
temporaries behind (stale ones of a dead process are removed; files get the umask's mode)."""
import json
import os
import random
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import multinn
from multinn.engine import saving
from multinn.engine.model_files import ModelFileError
from multinn.layers import Dense, Lambda
from multinn.models import Sequential, load_model, model_from_config, model_from_json
from multinn.utils.safe_mode import UnsafeCodeError

FORMATS = [".keras", ".h5"]


def _needs(suffix):
    if suffix == ".h5":
        pytest.importorskip("h5py", reason="h5py is in the 'test' extra; the .h5 format needs it")


def _spy_model(marker):
    # the Lambda writes a file when it runs: while the model is rebuilt, if its code is loaded
    return Sequential([Dense(2, input_shape=(3,)),
                       Lambda(lambda x, path=str(marker): (open(path, "w").write("ran"), x)[1])])


# ---------------------------------------------------------------------- safe mode
@pytest.mark.parametrize("suffix", FORMATS)
def test_malicious_lambda_file_runs_no_code_by_default(tmp_path, suffix):
    _needs(suffix)
    marker = tmp_path / "marker"
    path = str(tmp_path / f"evil{suffix}")
    _spy_model(marker).save(path)
    marker.unlink()  # building the model above ran the function once
    for kwargs in ({}, {"compile": False}):
        with pytest.raises(UnsafeCodeError, match="safe_mode=False"):
            load_model(path, **kwargs)
        assert not marker.exists()
    load_model(path, safe_mode=False)  # the caller's explicit opt-in
    assert marker.exists()


def test_model_from_json_and_config_refuse_code_by_default(tmp_path):
    marker = tmp_path / "marker"
    model = _spy_model(marker)
    marker.unlink()
    with pytest.raises(UnsafeCodeError, match="safe_mode=False"):
        model_from_json(model.to_json())
    with pytest.raises(UnsafeCodeError):
        model_from_config({"class_name": "Sequential", "config": model.get_config()})
    assert not marker.exists()
    model_from_json(model.to_json(), safe_mode=False)
    assert marker.exists()


def test_output_shape_lambda_is_refused_too():
    model = Sequential([Lambda(lambda x: x, output_shape=lambda s: s, input_shape=(3,))])
    config = json.loads(model.to_json())
    config["config"]["layers"][-1]["config"]["function"] = "relu"
    config["config"]["layers"][-1]["config"]["function_type"] = "function"
    config["config"]["layers"][-1]["config"]["module"] = "multinn.activations"
    with pytest.raises(UnsafeCodeError):
        model_from_json(json.dumps(config))


def test_functions_from_arbitrary_modules_are_refused_but_named_ones_load():
    model = Sequential([Lambda(lambda x: x, input_shape=(3,))])
    config = json.loads(model.to_json())
    layer = config["config"]["layers"][-1]["config"]
    layer.update(function="getcwd", function_type="function", module="os")
    with pytest.raises(UnsafeCodeError, match="custom_objects"):
        model_from_json(json.dumps(config))

    def double(x):
        return x * 2

    layer.update(function="double", module=__name__)
    rebuilt = model_from_json(json.dumps(config), custom_objects={"double": double})
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 3), np.float32)), 2 * np.ones((1, 3)))
    layer.update(function="relu", module="multinn.activations")  # multinn's own functions by name
    model_from_json(json.dumps(config))


def test_layer_from_config_outside_a_load_keeps_keras2_behaviour():
    layer = Lambda(lambda x: x + 1)
    assert Lambda.from_config(layer.get_config()).function(1) == 2


# ---------------------------------------------------------------------- limits before allocating
def _rewrite_zip(path, name, transform):
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = transform(members[name])
    with zipfile.ZipFile(path, "w") as archive:
        for n, data in members.items():
            archive.writestr(n, data)


def _huge_units(config):
    config["config"]["layers"][0]["config"]["units"] = 10 ** 12
    return config


@pytest.mark.parametrize("suffix", FORMATS)
def test_config_asking_for_more_than_the_file_holds_is_refused_before_allocating(tmp_path, suffix):
    _needs(suffix)
    path = str(tmp_path / f"m{suffix}")
    Sequential([Dense(2, input_shape=(3,))]).save(path)
    if suffix == ".h5":
        import h5py

        with h5py.File(path, "a") as f:
            f.attrs["model_config"] = json.dumps(_huge_units(json.loads(f.attrs["model_config"])))
    else:
        def transform(data):
            doc = json.loads(data)
            doc["model_config"] = _huge_units(doc["model_config"])
            return json.dumps(doc)

        _rewrite_zip(path, "model.json", transform)
    with pytest.raises(ModelFileError, match="more than the file's weights hold"):
        load_model(path)


def test_oversized_config_member_is_refused_unread(tmp_path, monkeypatch):
    path = str(tmp_path / "m.keras")
    Sequential([Dense(2, input_shape=(3,))]).save(path)
    _rewrite_zip(path, "model.json", lambda data: data + b" " * 10_000)  # a zip bomb's shape, small
    monkeypatch.setattr(saving, "MAX_CONFIG_BYTES", 5_000)
    with pytest.raises(ModelFileError, match="over the limit"):
        load_model(path)


def test_weight_entry_declaring_more_than_its_bytes_is_refused(tmp_path):
    path = str(tmp_path / "w.keras")
    model = Sequential([Dense(2, input_shape=(3,))])
    model.save_weights(path)

    def transform(data):
        doc = json.loads(data)
        for entries in doc["layers"].values():
            for entry in entries:
                entry["dtype"] = "float64"  # the shape the layer expects, twice the bytes stored
        return json.dumps(doc)

    _rewrite_zip(path, "weights.json", transform)
    with pytest.raises(ModelFileError, match="stores"):
        model.load_weights(path)
    with pytest.raises(ModelFileError, match="w.keras"):
        _rewrite_zip(path, "weights.json", lambda data: data.replace(b"float64", b"object"))
        model.load_weights(path)


def test_h5_dataset_without_storage_or_outside_the_file_is_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    model = Sequential([Dense(2, input_shape=(3,), name="d")])
    for kind in ("unallocated", "external"):
        path = str(tmp_path / f"{kind}.h5")
        with h5py.File(path, "w") as f:
            f.attrs["layer_names"] = [b"d"]
            f.attrs["keras_version"] = b"2.3.1"
            g = f.create_group("d")
            g.attrs["weight_names"] = [b"kernel", b"bias"]
            if kind == "unallocated":
                g.create_dataset("kernel", shape=(10 ** 9,), dtype="float32", chunks=(1024,))  # never written
            else:
                secret = tmp_path / "secret.bin"
                secret.write_bytes(bytes(24))
                g.create_dataset("kernel", shape=(3, 2), dtype="float32", external=[(str(secret), 0, 24)])
            g["bias"] = np.zeros(2, np.float32)
        with pytest.raises(ModelFileError, match="unallocated.h5|external.h5"):
            model.load_weights(path)


# ---------------------------------------------------------------------- one error type
def _saved_bytes(tmp_path, suffix):
    path = str(tmp_path / f"good{suffix}")
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0)
    model.save(path)
    return open(path, "rb").read()


def _load_or_error(path):
    try:
        load_model(path)
    except ModelFileError as exc:
        assert os.path.basename(path) in str(exc)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{os.path.basename(path)}: {type(exc).__name__}: {exc}")


def test_fuzzed_zip_files_give_one_error_type(tmp_path):
    data = _saved_bytes(tmp_path, ".keras")
    rng = random.Random(0)
    for i in range(300):
        damaged = bytearray(data)
        if i % 3 == 0:
            damaged = damaged[:rng.randrange(len(damaged))]
        else:
            for _ in range(rng.randint(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"fuzz{i}.keras"
        path.write_bytes(bytes(damaged))
        _load_or_error(str(path))


def test_truncated_h5_files_give_one_error_type(tmp_path):
    # Only truncations: arbitrary byte flips can crash HDF5's C library itself (not h5py or multinn)
    pytest.importorskip("h5py")
    data = _saved_bytes(tmp_path, ".h5")
    for i, cut in enumerate(range(0, len(data), max(1, len(data) // 60))):
        path = tmp_path / f"cut{i}.h5"
        path.write_bytes(data[:cut])
        _load_or_error(str(path))


def test_tampered_h5_structure_gives_one_error_type(tmp_path):
    h5py = pytest.importorskip("h5py")
    data = _saved_bytes(tmp_path, ".h5")

    def bad_json(f):
        f.attrs["model_config"] = "{not json"

    def deep_json(f):
        f.attrs["model_config"] = "[" * 100_000 + "]" * 100_000

    def no_weights(f):
        del f["model_weights"]

    def string_weight(f):
        group = f["model_weights"]
        name = group.attrs["layer_names"][0]
        layer = group[name]
        first = layer.attrs["weight_names"][0]
        del layer[first]
        layer[first] = "text"

    def group_for_dataset(f):
        layer = f["model_weights"][f["model_weights"].attrs["layer_names"][0]]
        first = layer.attrs["weight_names"][0]
        del layer[first]
        layer.create_group(first)

    def wrong_names(f):
        f["model_weights"].attrs["layer_names"] = [b"nope"]

    def config_not_a_model(f):
        f.attrs["model_config"] = json.dumps({"class_name": "NoSuchLayer", "config": {}})

    def numbers_for_names(f):
        f["model_weights"].attrs["layer_names"] = np.arange(3)

    for tamper in (bad_json, deep_json, no_weights, string_weight, group_for_dataset, wrong_names,
                   config_not_a_model, numbers_for_names):
        path = tmp_path / f"{tamper.__name__}.h5"
        path.write_bytes(data)
        with h5py.File(path, "a") as f:
            tamper(f)
        _load_or_error(str(path))


def test_not_a_model_file_names_the_file(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("hello")
    with pytest.raises(ModelFileError, match="notes.h5"):
        load_model(str(path))
    with pytest.raises(ValueError):  # ModelFileError is a ValueError
        Sequential([Dense(1, input_shape=(1,))]).load_weights(str(path))


def test_no_pickle_on_load_paths():
    import pathlib

    root = pathlib.Path(multinn.__file__).parent
    for name in ("engine/saving.py", "engine/hdf5_format.py", "engine/model_files.py", "utils/io_utils.py"):
        text = (root / name).read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text, name


# ---------------------------------------------------------------------- crash-safe saves
@pytest.mark.parametrize("suffix", FORMATS)
def test_failed_save_keeps_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch, suffix):
    _needs(suffix)
    path = tmp_path / f"m{suffix}"
    model = Sequential([Dense(2, input_shape=(3,))])
    model.save(str(path))
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    if suffix == ".h5":
        from multinn.engine import hdf5_format

        monkeypatch.setattr(hdf5_format, "save_weights_to_hdf5_group", boom)
    else:
        monkeypatch.setattr(saving, "_weights_manifest", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize("suffix", FORMATS)
def test_stale_temporary_of_a_dead_process_is_removed_on_next_save(tmp_path, suffix):
    _needs(suffix)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now names no process
    stale = tmp_path / f".m{suffix}.{child.pid}-abcd.tmp"
    stale.write_bytes(b"half a file")
    live = tmp_path / f".m{suffix}.{os.getppid()}-efgh.tmp"  # a running process's: left alone
    live.write_bytes(b"being written")
    Sequential([Dense(2, input_shape=(3,))]).save(str(tmp_path / f"m{suffix}"))
    assert not stale.exists() and live.exists()
    assert sorted(os.listdir(tmp_path)) == sorted([f"m{suffix}", live.name])


@pytest.mark.parametrize("suffix", FORMATS)
def test_saved_files_get_the_umask_mode(tmp_path, suffix):
    _needs(suffix)
    old = os.umask(0o027)
    try:
        path = tmp_path / f"m{suffix}"
        Sequential([Dense(2, input_shape=(3,))]).save(str(path))
        weights = tmp_path / f"w{suffix}"
        Sequential([Dense(2, input_shape=(3,))]).save_weights(str(weights))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    assert weights.stat().st_mode & 0o777 == 0o640


def test_h5_without_h5py_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if not installed
    model = Sequential([Dense(1, input_shape=(1,))])
    with pytest.raises(ImportError, match="h5py"):
        model.save(str(tmp_path / "m.h5"))
    model.save(str(tmp_path / "m.keras"))  # multinn's own format needs nothing more
    assert os.listdir(tmp_path) == ["m.keras"]


def test_h5_layer_holding_far_more_values_than_its_target_is_refused_unread(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = str(tmp_path / "big.h5")
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"d"]
        f.attrs["keras_version"] = b"2.3.1"
        g = f.create_group("d")
        g.attrs["weight_names"] = [b"kernel", b"bias"]
        g.create_dataset("kernel", data=np.zeros(100_000, np.float32), compression="gzip")  # 400 kB from ~1 kB
        g["bias"] = np.zeros(2, np.float32)
    model = Sequential([Dense(2, input_shape=(3,), name="d")])
    for by_name in (False, True):
        with pytest.raises(ModelFileError, match="far more than"):
            model.load_weights(path, by_name=by_name)
