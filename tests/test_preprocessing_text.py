"""StringLookup, IntegerLookup, TextVectorization: index layout, adapt, OOV buckets, invert,
encodings, host strings in front of a model, saving, bad arguments. (tf.keras parity:
test_preprocessing_tf_reference.py.)"""
import math

import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import Dense, Embedding, GlobalAveragePooling1D, Input, IntegerLookup, StringLookup, TextVectorization
from multinn.layers.preprocessing.hashing import stable_hash
from multinn.models import Model, Sequential, load_model
from tests.layer_test import layer_test


def test_string_lookup_layout_with_mask_and_several_oov_indices(backend_name):
    layer = StringLookup(vocabulary=["a", "b"], mask_token="", num_oov_indices=3)
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "[UNK]", "a", "b"] and layer.vocabulary_size() == 6
    out = layer(np.array([["a", "", "zz"], ["b", "q", "a"]], dtype=object)).numpy()
    want = [[4, 0, 1 + stable_hash("zz") % 3], [5, 1 + stable_hash("q") % 3, 4]]
    assert out.tolist() == want and K.dtype(layer(["a"])) == "int64"


def test_string_lookup_adapt_orders_by_frequency_then_token_and_max_tokens(backend_name):
    layer = StringLookup(max_tokens=4)
    layer.adapt([["b", "a", "c"], ["a", "d", "b"], ["e", "a", "x"]])
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "x"]     # a:3, b:2, then ties by decreasing token
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b", "x"]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_string_lookup_encodings(backend_name, mode):
    idf = [0.5, 2.0, 1.0]
    layer = StringLookup(vocabulary=["a", "b", "c"], output_mode=mode, idf_weights=idf if mode == "tf_idf" else None)
    x = [["a", "b", "a"], ["c", "z", "c"]] if mode != "one_hot" else [["a"], ["z"]]
    ids = np.array([[1, 2, 1], [3, 0, 3]]) if mode != "one_hot" else np.array([[1], [0]])
    hot = np.eye(4, dtype=np.float32)[ids]
    if mode == "one_hot":
        want = hot[:, 0]
    elif mode == "multi_hot":
        want = hot.max(1)
    else:
        want = hot.sum(1)
        if mode == "tf_idf":
            want = want * np.array([np.mean(idf)] + idf, np.float32)
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-6)


def test_string_lookup_invert_and_tensor_inputs(backend_name):
    inverse = StringLookup(vocabulary=["a", "b"], invert=True)
    assert inverse(K.constant([[2, 0, 1]], dtype="int64")) == [["b", "[UNK]", "a"]]
    with pytest.raises(TypeError, match="host"):
        StringLookup(vocabulary=["a"]).call(K.constant([[1]], dtype="int64"))
    with pytest.raises(ValueError, match="invert"):
        StringLookup(invert=True, output_mode="count")


def test_string_lookup_without_oov_indices_raises_on_unknown_tokens():
    with pytest.raises(KeyError, match="'z'"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)([["z"]])


@pytest.mark.parametrize("bad,error", [
    ({"vocabulary": ["a", "a"]}, ValueError), ({"max_tokens": 2, "vocabulary": ["a", "b"]}, ValueError),
    ({"num_oov_indices": -1}, ValueError), ({"output_mode": "tf_idf", "vocabulary": ["a"]}, ValueError),
    ({"output_mode": "binary"}, ValueError), ({"vocabulary": ["a"], "idf_weights": [1.0, 2.0]}, ValueError),
    ({"pad_to_max_tokens": True}, ValueError), ({"mask_token": "", "vocabulary": ["", "a"]}, ValueError),
])
def test_string_lookup_rejects_bad_arguments(bad, error):
    with pytest.raises(error, match="Received"):
        StringLookup(**bad)


def test_integer_lookup_runs_inside_a_model_and_saves(backend_name, tmp_path):
    x = np.array([[12, 1138, 42], [42, 1000, 36]], np.int64)
    want = np.array([[1, 3, 4], [4, 0, 2]])
    layer_test(IntegerLookup, kwargs={"vocabulary": [12, 36, 1138, 42]}, input_data=x, expected_output=want,
               expected_output_dtype="int64", gradcheck=False, train=False)
    layer = IntegerLookup(output_mode="multi_hot")
    layer.adapt([[3, 3, 5], [5, 3, 9]])
    assert layer.get_vocabulary() == [-1, 3, 5, 9]
    inp = Input((2,), dtype="int64")
    model = Model(inp, Dense(1)(layer(inp)))
    data = np.array([[3, 9], [4, 4]], np.int64)
    model.save(str(tmp_path / "m.zip"))
    np.testing.assert_allclose(load_model(str(tmp_path / "m.zip")).predict(data), model.predict(data), rtol=1e-6)
    with pytest.raises(ValueError, match="mask_token"):
        IntegerLookup(mask_token="0")


def _standardized_tokens(text):
    text = text.lower()
    text = "".join(ch for ch in text if ch not in "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'")
    return text.split()


def test_text_vectorization_int_mode_against_a_python_reference(backend_name):
    corpus = ["Hello, world! Hello again.", "World peace; hello?", "It's a small world"]
    layer = TextVectorization(output_sequence_length=5)
    layer.adapt(corpus)
    counts = {}
    for doc in corpus:
        for t in _standardized_tokens(doc):
            counts[t] = counts.get(t, 0) + 1
    vocab = ["", "[UNK]"] + sorted(counts, key=lambda t: (-counts[t], [-ord(c) for c in t] + [1]))
    assert layer.get_vocabulary() == vocab
    texts = ["hello WORLD, its new", "peace peace peace peace peace peace"]
    want = [[vocab.index(t) if t in vocab else 1 for t in _standardized_tokens(s)][:5] for s in texts]
    want = [w + [0] * (5 - len(w)) for w in want]
    assert layer(texts).numpy().tolist() == want
    assert layer(np.array([["hello"]], dtype=object)).numpy().tolist() == [[vocab.index("hello"), 0, 0, 0, 0]]


def test_text_vectorization_tf_idf_formula(backend_name):
    corpus = ["a b", "a c", "a b a"]
    layer = TextVectorization(output_mode="tf_idf")
    layer.adapt(corpus)
    vocab = layer.get_vocabulary()
    assert vocab == ["[UNK]", "a", "b", "c"]
    idf = [math.log(1 + 3 / (1 + df)) for df in (3, 2, 1)]
    want = np.array([[np.mean(idf), 2 * idf[0], 1 * idf[1], 0.0]], np.float32)      # "zz" is OOV
    np.testing.assert_allclose(layer(["a a b zz"]).numpy(), want, rtol=1e-6)


def test_text_vectorization_custom_standardize_split_and_ngrams(backend_name):
    layer = TextVectorization(standardize=None, split="character", ngrams=(2,), vocabulary=["a b", "b c"])
    assert layer(["abcd"]).numpy().tolist() == [[2, 3, 1]]
    layer = TextVectorization(standardize=lambda s: s.upper(), split=lambda s: s.split("-"), vocabulary=["A", "B"])
    assert layer(["a-b-c"]).numpy().tolist() == [[2, 3, 1]]


def test_text_vectorization_feeds_a_model_and_its_config_keeps_the_vocabulary(backend_name, tmp_path):
    texts = ["good movie", "bad movie", "good good film", "bad film awful"]
    labels = np.array([[1], [0], [1], [0]], np.float32)
    vectorize = TextVectorization(output_sequence_length=4)
    vectorize.adapt(texts)
    model = Sequential([Embedding(vectorize.vocabulary_size(), 4, input_length=4), GlobalAveragePooling1D(),
                        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    ids = vectorize(texts)
    model.fit(ids.numpy(), labels, epochs=2, verbose=0)
    again = TextVectorization.from_config(vectorize.get_config())
    assert again.get_vocabulary() == vectorize.get_vocabulary()
    np.testing.assert_array_equal(again(texts).numpy(), ids.numpy())


@pytest.mark.parametrize("bad,error", [
    ({"standardize": "upper"}, ValueError), ({"split": "comma"}, ValueError), ({"ngrams": 0}, ValueError),
    ({"output_mode": "one_hot"}, ValueError), ({"output_mode": "count", "output_sequence_length": 3}, ValueError),
    ({"ragged": True}, NotImplementedError),
])
def test_text_vectorization_rejects_bad_arguments(bad, error):
    with pytest.raises(error, match="Received"):
        TextVectorization(**bad)


def test_text_vectorization_rejects_tensors_and_matrices():
    layer = TextVectorization(vocabulary=["a"])
    with pytest.raises(TypeError, match="host strings"):
        layer(K.constant([[1.0]]))
    with pytest.raises(ValueError, match=r"\(n,\) or \(n, 1\)"):
        layer([["a", "b"]])
