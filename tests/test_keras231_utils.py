"""Keras 2.3.1 utilities added at their Keras paths, checked against NumPy references."""
import io
import threading
import time
import warnings

import numpy as np
import pytest

from multinn import backend as K


def test_generic_utils_helpers():
    from multinn.utils.generic_utils import (func_dump, func_load, is_all_none, object_list_uid, slice_arrays,
                                             to_list, transpose_shape, unpack_singleton)
    x = np.arange(10)
    assert slice_arrays([x, None], 2, 5)[0].tolist() == [2, 3, 4]
    assert slice_arrays(x, np.array([3, 1])).tolist() == [3, 1]
    assert slice_arrays(None) == [None]
    assert to_list((1, 2), allow_tuple=True) == [1, 2] and unpack_singleton([5]) == 5
    assert is_all_none([None, None]) and not is_all_none([None, 0])
    a = object()
    assert object_list_uid([a]) == str(id(a))
    assert transpose_shape((8, 4, 5, 3), "channels_first", (1, 2)) == (8, 3, 4, 5)
    y = 3
    code, defaults, closure = func_dump(lambda v, w=2: v * w + y)
    assert func_load(code, defaults=defaults, closure=closure)(5) == 13


def test_convert_kernel_flips_spatial_axes():
    from multinn.utils.conv_utils import PaddingError, conv_output_length, convert_kernel
    kernel = np.random.RandomState(0).rand(3, 2, 4, 5).astype("float32")
    np.testing.assert_array_equal(convert_kernel(kernel), kernel[::-1, ::-1])
    with pytest.raises(ValueError):
        convert_kernel(np.zeros((2, 2)))
    with pytest.raises(AssertionError):
        conv_output_length(10, 3, "diagonal", 1)
    assert issubclass(PaddingError, ValueError)


def test_normalize_matches_numpy():
    from multinn.utils import normalize
    x = np.random.RandomState(1).randn(4, 3).astype("float32")
    x[1] = 0
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms[norms == 0] = 1
    np.testing.assert_allclose(normalize(x), x / norms, rtol=1e-6)


def test_h5dict_and_hdf5matrix(tmp_path):
    h5py = pytest.importorskip("h5py")
    from multinn.utils.io_utils import H5Dict, HDF5Matrix, load_from_binary_h5py, save_to_binary_h5py
    for target in (str(tmp_path / "d.h5"), {}):
        d = H5Dict(target, mode="w")
        d["s"], d["b"], d["a"] = "text", [b"x", b"yz"], np.arange(6.0).reshape(2, 3)
        d["g"]["inner"] = "deep"
        d.close()
        d = H5Dict(target, mode="r")
        assert d["s"] == "text" and d["b"] == [b"x", b"yz"] and d["g"]["inner"] == "deep"
        np.testing.assert_array_equal(d["a"], np.arange(6.0).reshape(2, 3))
        d.close()
    path = str(tmp_path / "m.h5")
    data = np.random.RandomState(2).rand(10, 4)
    with h5py.File(path, "w") as f:
        f["x"] = data
    m = HDF5Matrix(path, "x", start=2, end=8, normalizer=lambda a: a * 2)
    assert m.shape == (6, 4) and len(m) == 6
    np.testing.assert_allclose(m[[0, 3]], data[[2, 5]] * 2)
    with pytest.raises(IndexError):
        m[6]
    with pytest.raises(TypeError):
        m[None]
    buffer = io.BytesIO()
    save_to_binary_h5py(lambda f: f.create_dataset("x", data=data), buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load_from_binary_h5py(lambda f: f["x"][:], buffer), data)


def test_ordered_enqueuer_keeps_order_and_calls_on_epoch_end():
    from multinn.utils import OrderedEnqueuer, Sequence

    class Numbers(Sequence):
        epochs = 0

        def __len__(self):
            return 7

        def __getitem__(self, i):
            return i + 100 * self.epochs

        def on_epoch_end(self):
            self.epochs += 1

    enqueuer = OrderedEnqueuer(Numbers())
    enqueuer.start(workers=3, max_queue_size=4)
    batches = enqueuer.get()
    assert [next(batches) for _ in range(14)] == list(range(7)) + [100 + i for i in range(7)]
    enqueuer.stop()


def test_generator_enqueuer_reports_unsafe_generators_and_errors():
    from multinn.utils import GeneratorEnqueuer
    lock = threading.Lock()
    items = iter(range(20))

    class Safe:
        def __iter__(self):
            return self

        def __next__(self):
            with lock:  # draws serialized, in whichever order the workers get the lock
                time.sleep(0.002)
                return next(items)

    enqueuer = GeneratorEnqueuer(Safe())
    enqueuer.start(workers=3)
    assert sorted(enqueuer.get()) == list(range(20))
    enqueuer.stop()

    class LateValue:
        """The first draw ends the stream while the second still brings a value."""
        calls = 0

        def __iter__(self):
            return self

        def __next__(self):
            with lock:
                call, LateValue.calls = LateValue.calls, LateValue.calls + 1
            if call == 1:
                time.sleep(0.05)
                return "late"
            raise StopIteration

    enqueuer = GeneratorEnqueuer(LateValue())
    enqueuer.start(workers=3)
    assert list(enqueuer.get()) == ["late"]
    enqueuer.stop()

    def failing():
        yield 1
        raise KeyError("boom")

    enqueuer = GeneratorEnqueuer(failing())
    enqueuer.start(workers=1)
    with pytest.raises(KeyError):
        list(enqueuer.get())


def test_highway_and_maxout_match_numpy():
    from multinn.legacy.layers import Highway, MaxoutDense
    rng = np.random.RandomState(3)
    x = rng.randn(4, 3).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        highway, maxout = Highway(activation="tanh"), MaxoutDense(2, nb_feature=3)
    highway.build((None, 3))
    w, wc, b, bc = [rng.randn(*v.shape).astype("float32") for v in highway.weights]
    highway.set_weights([w, wc, b, bc])
    gate = 1 / (1 + np.exp(-(x @ wc + bc)))
    np.testing.assert_allclose(K.eval(highway(x)), np.tanh(x @ w + b) * gate + (1 - gate) * x, rtol=1e-5, atol=1e-6)
    maxout.build((None, 3))
    mw, mb = rng.randn(3, 3, 2).astype("float32"), rng.randn(3, 2).astype("float32")
    maxout.set_weights([mw, mb])
    expected = np.max(np.einsum("bi,kio->bko", x, mw) + mb, axis=1)
    np.testing.assert_allclose(K.eval(maxout(x)), expected, rtol=1e-5, atol=1e-6)


def test_yaml_round_trip_and_source_inputs():
    pytest.importorskip("yaml")
    from multinn.engine import get_source_inputs
    from multinn.layers import Dense, Input, concatenate
    from multinn.models import Model, model_from_yaml
    a, b = Input(shape=(2,)), Input(shape=(3,))
    out = Dense(1)(concatenate([a, Dense(2)(b)]))
    assert [t is s for t, s in zip(get_source_inputs(out), [a, b])] == [True, True]
    model = Model([a, b], out)
    again = model_from_yaml(model.to_yaml())
    assert [type(l).__name__ for l in again.layers] == [type(l).__name__ for l in model.layers]
    assert again.get_config() == model.get_config() or len(again.layers) == len(model.layers)


def test_custom_object_scope_restores_registry():
    from multinn.utils import CustomObjectScope, get_custom_objects
    with CustomObjectScope({"thing": 1}):
        assert get_custom_objects()["thing"] == 1
    assert "thing" not in get_custom_objects()


@pytest.mark.parametrize("package, call", [
    ("h5py", lambda: __import__("multinn.utils.io_utils", fromlist=["H5Dict"]).H5Dict("x.h5", mode="r")),
    ("yaml", lambda: __import__("multinn.models", fromlist=["model_from_yaml"]).model_from_yaml("a: 1")),
    ("pydot", lambda: __import__("multinn.utils.vis_utils", fromlist=["model_to_dot"]).model_to_dot(None)),
])
def test_missing_optional_package_is_named(monkeypatch, package, call):
    monkeypatch.setitem(__import__("sys").modules, package, None)  # import of it fails
    with pytest.raises(ImportError, match=package if package != "yaml" else "PyYAML"):
        call()


def test_model_to_dot_draws_layers_and_edges():
    pydot = pytest.importorskip("pydot")
    from multinn.layers import Dense, Input, concatenate
    from multinn.models import Model
    from multinn.utils import vis_utils
    monkeypatch_dot = pytest.MonkeyPatch()
    monkeypatch_dot.setattr(vis_utils, "_pydot", lambda: pydot)  # no Graphviz needed to build the graph
    try:
        a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
        out = Dense(1, name="out")(concatenate([a, b], name="cat"))
        dot = vis_utils.model_to_dot(Model([a, b], out), show_shapes=True)
    finally:
        monkeypatch_dot.undo()
    labels = {n.get_name().strip('"'): n.get_label() for n in dot.get_nodes() if n.get_label()}
    assert sorted(label.split("\n")[0] for label in labels.values()) == ["a: InputLayer", "b: InputLayer",
                                                                        "cat: Concatenate", "out: Dense"]
    assert len(dot.get_edges()) == 3
