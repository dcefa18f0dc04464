"""Rescaling, Normalization, Discretization, CategoryEncoding, Hashing: layer_test, NumPy
references, adapt(), saving, bad arguments. (tf.keras parity: test_preprocessing_tf_reference.py.)"""
import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import CategoryEncoding, Dense, Discretization, Hashing, Input, Normalization, Rescaling
from multinn.models import Model, Sequential, load_model
from tests.layer_test import layer_test

rng = np.random.default_rng(5)


def test_rescaling(backend_name):
    x = rng.random((3, 4)).astype(np.float32) * 255
    layer_test(Rescaling, kwargs={"scale": 1 / 127.5, "offset": -1.0}, input_data=x, expected_output=x / 127.5 - 1,
               rtol=1e-6)


def test_rescaling_casts_integer_images_to_floatx(backend_name):
    out = Rescaling(0.5)(K.constant([[2, 4]], dtype="uint8"))
    assert K.dtype(out) == "float32" and out.numpy().tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize("bad", [{"scale": "2"}, {"scale": 1.0, "offset": None}, {"scale": float("nan")}])
def test_rescaling_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="Received: "):
        Rescaling(**bad)


@pytest.mark.parametrize("axis,shape", [(-1, (6, 3)), (None, (6, 3)), ((1, 2), (6, 2, 3)), (1, (6, 2, 3))])
def test_normalization_adapt_matches_numpy(backend_name, axis, shape):
    data = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    layer = Normalization(axis=axis)
    layer.adapt(data, batch_size=4)          # two batches: the merge of statistics is exercised
    kept = () if axis is None else tuple(a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis))
    reduce = tuple(a for a in range(len(shape)) if a not in kept)
    mean, var = data.astype(np.float64).mean(axis=reduce, keepdims=True), data.astype(np.float64).var(axis=reduce, keepdims=True)
    np.testing.assert_allclose(K.get_value(layer.mean), mean.reshape([shape[a] for a in kept]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(K.get_value(layer.variance), var.reshape([shape[a] for a in kept]), rtol=1e-5)
    assert int(K.get_value(layer.count)) == int(np.prod([shape[a] for a in reduce]))
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), (x - mean) / np.sqrt(var), rtol=1e-4, atol=1e-5)


def test_normalization_given_statistics_and_invert(backend_name):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    mean, var = [1.0, 2.0, 3.0], [4.0, 0.5, 0.25]
    out = layer_test(Normalization, kwargs={"mean": mean, "variance": var}, input_data=x,
                     expected_output=(x - mean) / np.sqrt(var), rtol=1e-5)
    back = layer_test(Normalization, kwargs={"mean": mean, "variance": var, "invert": True}, input_data=out)
    np.testing.assert_allclose(back, x, rtol=1e-5, atol=1e-5)
    # a zero variance divides by K.epsilon(), not by 0
    zero = Normalization(mean=[1.0], variance=[0.0])(K.constant([[1.5]])).numpy()
    np.testing.assert_allclose(zero, [[0.5 / K.epsilon()]], rtol=1e-5)
    assert Normalization(mean=2.0, variance=4.0, axis=None).get_config()["mean"] == 2.0


def test_normalization_adapted_state_saves_with_the_model(backend_name, tmp_path):
    data = (rng.standard_normal((20, 3)) * [1, 5, 10] + [0, 1, -2]).astype(np.float32)
    norm = Normalization()
    norm.adapt(data)
    inp = Input((3,))
    model = Model(inp, Dense(2)(norm(inp)))
    want = model.predict(data)
    assert [w.name.split("/")[-1] for w in norm.weights] == ["mean:0", "variance:0", "count:0"]
    assert not norm.trainable_weights
    for name in ("m.h5", "m.zip"):
        model.save(str(tmp_path / name))
        np.testing.assert_allclose(load_model(str(tmp_path / name)).predict(data), want, rtol=1e-6)
    model.compile("sgd", "mse")
    before = K.get_value(norm.mean).copy()
    model.fit(data, want + 1, epochs=1, verbose=0)
    np.testing.assert_array_equal(K.get_value(norm.mean), before)   # statistics are not trained


@pytest.mark.parametrize("bad,error", [({"axis": "x"}, TypeError), ({"mean": 1.0}, ValueError)])
def test_normalization_rejects_bad_arguments(bad, error):
    with pytest.raises(error, match="Received: "):
        Normalization(**bad)


def test_normalization_rejects_batch_axis_and_adapt_with_given_statistics():
    with pytest.raises(ValueError, match="batch axis"):
        Normalization(axis=0).build((None, 3))
    with pytest.raises(ValueError, match="adapt"):
        Normalization(mean=0.0, variance=1.0).adapt([[1.0]])


def test_normalization_adapt_reads_an_iterable_of_batches_and_steps(backend_name):
    batches = [rng.standard_normal((5, 2)).astype(np.float32) for _ in range(3)]
    layer = Normalization()
    layer.adapt(iter(batches), steps=2)
    both = np.concatenate(batches[:2]).astype(np.float64)
    np.testing.assert_allclose(K.get_value(layer.mean), both.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(K.get_value(layer.variance), both.var(0), rtol=1e-5)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_modes(backend_name, mode):
    bounds = [-0.5, 0.0, 0.7]
    x = np.array([[-1.0, -0.5, 0.2], [0.7, 2.0, 0.0]], np.float32)
    index = np.searchsorted(bounds, x, side="right")
    if mode == "int":
        want = index
    elif mode == "one_hot":
        want = np.eye(4, dtype=np.float32)[index]
    else:
        counts = np.stack([np.bincount(r, minlength=4) for r in index]).astype(np.float32)
        want = np.minimum(counts, 1) if mode == "multi_hot" else counts
    out = layer_test(Discretization, kwargs={"bin_boundaries": bounds, "output_mode": mode}, input_data=x,
                     expected_output=want, expected_output_dtype="int64" if mode == "int" else "float32",
                     gradcheck=False, train=mode != "int")
    assert out.shape == want.shape


def test_discretization_adapt_quantiles_and_config(backend_name):
    data = rng.standard_normal((200, 1)).astype(np.float32)
    layer = Discretization(num_bins=5)
    layer.adapt(data, batch_size=64)
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(data.astype(np.float64), [0.2, 0.4, 0.6, 0.8]), rtol=1e-12)
    out = layer(K.constant(data)).numpy()
    assert sorted(np.bincount(out.ravel())) == [40, 40, 40, 40, 40]
    again = Discretization.from_config(layer.get_config())
    np.testing.assert_array_equal(again(K.constant(data)).numpy(), out)


@pytest.mark.parametrize("bad", [{}, {"bin_boundaries": [0.0], "num_bins": 4}, {"bin_boundaries": [1.0, 0.0]},
                                 {"num_bins": 0}, {"num_bins": 3, "output_mode": "tf_idf"}])
def test_discretization_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="Received: "):
        Discretization(**bad)


def test_discretization_needs_adapt_before_use():
    with pytest.raises(ValueError, match="adapt"):
        Discretization(num_bins=3)(K.constant([[1.0]]))
    with pytest.raises(ValueError, match="num_bins"):
        Discretization(bin_boundaries=[0.0]).adapt([[1.0]])


@pytest.mark.parametrize("mode,shape", [("one_hot", (5,)), ("one_hot", (5, 1)), ("one_hot", (5, 3)),
                                        ("multi_hot", (5, 3)), ("count", (5, 3)), ("count", (5,))])
def test_category_encoding(backend_name, mode, shape):
    x = rng.integers(0, 4, size=shape).astype(np.int64)
    hot = np.eye(4, dtype=np.float32)[x]
    if mode == "one_hot":
        want = hot.reshape(shape[:1] + (4,)) if len(shape) == 1 or shape[-1] == 1 else hot
    elif len(shape) == 1:
        want = hot
    else:
        want = hot.max(1) if mode == "multi_hot" else hot.sum(1)
    if len(shape) == 1:   # a model's predict reads rank-1 data as (n, 1), as Keras 2 does: call the layer
        out = CategoryEncoding(4, output_mode=mode)(K.constant(x))
        np.testing.assert_array_equal(out.numpy(), want)
        return
    layer_test(CategoryEncoding, kwargs={"num_tokens": 4, "output_mode": mode}, input_data=x, expected_output=want,
               expected_output_dtype="float32", gradcheck=False)


def test_category_encoding_count_weights_and_out_of_range(backend_name):
    x = K.constant([[0, 1, 1, 7]], dtype="int64")
    w = K.constant([[0.5, 1.0, 2.0, 9.0]])
    out = CategoryEncoding(3, output_mode="count")(x, count_weights=w).numpy()
    np.testing.assert_allclose(out, [[0.5, 3.0, 0.0]])     # index 7 is outside [0, 3): encodes as zeros
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(x, count_weights=w)
    with pytest.raises(ValueError, match="rank"):
        CategoryEncoding(3)(K.zeros((1, 2, 2), dtype="int64"))


@pytest.mark.parametrize("bad", [{"num_tokens": None}, {"num_tokens": 0}, {"num_tokens": 3, "output_mode": "int"}])
def test_category_encoding_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="Received: "):
        CategoryEncoding(**bad)


def _reference_bucket(value, bins, mask=None, salt=None):
    import hashlib

    key = b"" if salt is None else b"".join(int(s).to_bytes(8, "little") for s in ([salt, salt] if isinstance(salt, int) else salt))
    h = int.from_bytes(hashlib.blake2b(str(value).encode(), digest_size=8, key=key).digest(), "little")
    if mask is not None:
        return 0 if str(value) == str(mask) else 1 + h % (bins - 1)
    return h % bins


@pytest.mark.parametrize("kwargs", [{"num_bins": 5}, {"num_bins": 5, "mask_value": "b", "salt": 7},
                                    {"num_bins": 4, "salt": [1, 2]}])
def test_hashing_strings_on_the_host(backend_name, kwargs):
    words = np.array([["a", "b"], ["cat", ""], ["b", "dog"]], dtype=object)
    out = Hashing(**kwargs)(words)
    want = [[_reference_bucket(w, kwargs["num_bins"], kwargs.get("mask_value"), kwargs.get("salt")) for w in row] for row in words]
    assert K.dtype(out) == "int64" and out.numpy().tolist() == want


def test_hashing_integers_inside_a_model_and_encodings(backend_name):
    x = rng.integers(0, 100, size=(6, 2)).astype(np.int64)
    want = np.vectorize(lambda v: _reference_bucket(v, 8))(x)
    layer_test(Hashing, kwargs={"num_bins": 8}, input_data=x, expected_output=want, expected_output_dtype="int64",
               gradcheck=False, train=False)
    hot = Hashing(8, output_mode="multi_hot")(K.constant(x)).numpy()
    np.testing.assert_array_equal(hot, np.stack([np.isin(np.arange(8), r) for r in want]).astype(np.float32))
    assert Hashing(8)(["5"]).numpy().tolist() == Hashing(8)(K.constant([5], dtype="int64")).numpy().tolist()


@pytest.mark.parametrize("bad", [{"num_bins": 0}, {"num_bins": 1, "mask_value": ""}, {"num_bins": 3, "salt": "x"},
                                 {"num_bins": 3, "output_mode": "tf_idf"}])
def test_hashing_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="Received: "):
        Hashing(**bad)
