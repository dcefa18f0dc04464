"""multinn.preprocessing against small hand-computed references (Keras 2.3.1 / keras-preprocessing 1.1 behaviour)."""
import hashlib
import json
import math
import random
import warnings

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.preprocessing.sequence import (
    TimeseriesGenerator, make_sampling_table, pad_sequences, skipgrams, timeseries_generator_from_json,
)
from multinn.preprocessing.text import Tokenizer, hashing_trick, one_hot, text_to_word_sequence, tokenizer_from_json

SEQS = [[1], [2, 3], [4, 5, 6]]


# --------------------------------------------------------------------------- pad_sequences
def test_package_exports_both_submodules():
    assert multinn.preprocessing.sequence.pad_sequences is pad_sequences
    assert multinn.preprocessing.text.Tokenizer is Tokenizer


@pytest.mark.parametrize("padding, truncating, maxlen, expected", [
    ("pre", "pre", None, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ("post", "pre", None, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
    ("pre", "pre", 2, [[0, 1], [2, 3], [5, 6]]),
    ("post", "pre", 2, [[1, 0], [2, 3], [5, 6]]),
    ("pre", "post", 2, [[0, 1], [2, 3], [4, 5]]),
    ("post", "post", 2, [[1, 0], [2, 3], [4, 5]]),
    ("pre", "post", 4, [[0, 0, 0, 1], [0, 0, 2, 3], [0, 4, 5, 6]]),
    ("post", "post", 1, [[1], [2], [4]]),
    ("pre", "pre", 1, [[1], [3], [6]]),
])
def test_pad_sequences_padding_and_truncating(backend_name, padding, truncating, maxlen, expected):
    out = pad_sequences(SEQS, maxlen=maxlen, padding=padding, truncating=truncating)
    assert isinstance(out, np.ndarray) and out.dtype == np.int32
    assert out.tolist() == expected


def test_pad_sequences_value_and_empty_sequences(backend_name):
    assert pad_sequences([[], [1, 2], []], value=-1).tolist() == [[-1, -1], [1, 2], [-1, -1]]
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=3).shape == (0, 3)
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)
    assert pad_sequences([[1, 2], [3]], maxlen=0, truncating="post").shape == (2, 0)


def test_pad_sequences_accepts_arrays_tuples_and_tensors(backend_name):
    rows = np.arange(12).reshape(3, 4)
    assert pad_sequences(rows, maxlen=2).tolist() == [[2, 3], [6, 7], [10, 11]]
    assert pad_sequences([(1, 2), K.constant([3.0, 4.0, 5.0])], padding="post").tolist() == [[1, 2, 0], [3, 4, 5]]


def test_pad_sequences_dtypes(backend_name):
    out = pad_sequences([[0.25, 1.5], [2.0]], dtype="float32", value=0.5)
    assert out.dtype == np.float32 and out.tolist() == [[0.25, 1.5], [0.5, 2.0]]
    out = pad_sequences([[1.7, -2.9]], maxlen=3, value=0.5)  # int32 keeps the integer part, as NumPy casts
    assert out.dtype == np.int32 and out.tolist() == [[0, 1, -2]]
    out = pad_sequences([[1.5]], maxlen=2, dtype="float64", value=np.float64(0.1))
    assert out.dtype == np.float64 and out.tolist() == [[0.1, 1.5]]
    out = pad_sequences([[3], [1, 2]], dtype=float)
    assert out.dtype == np.float64 and out.tolist() == [[0.0, 3.0], [1.0, 2.0]]
    assert pad_sequences([[7]], maxlen=2, dtype="int64").dtype == np.int64


def test_pad_sequences_strings_need_an_object_or_string_dtype(backend_name):
    out = pad_sequences([["a", "bcd"], ["x"], []], dtype=object, value="<pad>")
    assert out.dtype == object and out.tolist() == [["a", "bcd"], ["<pad>", "x"], ["<pad>", "<pad>"]]
    out = pad_sequences([["hello"]], maxlen=2, dtype="<U6", value="-", padding="post")
    assert out.dtype == np.dtype("<U6") and out.tolist() == [["hello", "-"]]
    for dtype in ("int32", "float32"):
        with pytest.raises(ValueError, match=r"dtype=object.*Received: dtype='%s', value='<pad>'" % dtype):
            pad_sequences([["a"]], dtype=dtype, value="<pad>")


def test_pad_sequences_of_vectors_keep_the_sample_shape(backend_name):
    seqs = [[[1, 2], [3, 4], [5, 6]], [[7, 8]], []]
    out = pad_sequences(seqs, maxlen=2, value=9)
    assert out.shape == (3, 2, 2)
    assert out.tolist() == [[[3, 4], [5, 6]], [[9, 9], [7, 8]], [[9, 9], [9, 9]]]
    out = pad_sequences([np.ones((1, 2, 3)), np.zeros((2, 2, 3))], dtype="float32", padding="post")
    assert out.shape == (2, 2, 2, 3) and out[0, 0].tolist() == [[1.0] * 3] * 2 and out[0, 1].sum() == 0
    with pytest.raises(ValueError, match=r"Shape of sample \(3,\) of sequence at position 1 is different from expected shape \(2,\)"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    for nested in ([[1, 2], [[5], [6]]], [[1, 2], [[5]]]):  # numbers first, then one-item vectors
        with pytest.raises(ValueError, match=r"Shape of sample \(1,\) of sequence at position 1 .* expected shape \(\)"):
            pad_sequences(nested)
    with pytest.raises(ValueError, match="items of different shapes"):
        pad_sequences([[1], [1, [2, 3]]])


def test_pad_sequences_bad_arguments():
    with pytest.raises(ValueError, match=r"`padding` must be 'pre' or 'post'. Received: padding='middle'$"):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match=r"Received: truncating='end'$"):
        pad_sequences(SEQS, truncating="end")
    with pytest.raises(ValueError, match="Found non-iterable: 1"):
        pad_sequences([1, 2])
    with pytest.raises(ValueError, match="must be a list of sequences"):
        pad_sequences(5)
    with pytest.raises(ValueError, match=r"Received: maxlen=-1"):
        pad_sequences(SEQS, maxlen=-1)
    with pytest.raises(TypeError, match="not a data type"):
        pad_sequences(SEQS, dtype="int33")


# --------------------------------------------------------------------------- text
CORPUS = ["The cat sat", "the dog sat down", "A cat, a dog!"]


def fitted(**kwargs):
    tok = Tokenizer(**kwargs)
    tok.fit_on_texts(CORPUS)
    return tok


def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello,  World!\tIt's\nfine") == ["hello", "world", "it's", "fine"]
    assert text_to_word_sequence("Hello World", lower=False) == ["Hello", "World"]
    assert text_to_word_sequence("a-b--c d", filters="", split="-") == ["a", "b", "c d"]
    assert text_to_word_sequence("a.b", filters="") == ["a.b"]


def test_hashing_trick_and_one_hot():
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ("the", "cat", "the", "hat")]
    assert hashing_trick("The cat. The hat", 10, hash_function="md5") == expected
    assert hashing_trick("ab c", 5, hash_function=len) == [3, 2]
    codes = one_hot("the cat saw the dog", 7)
    assert len(codes) == 5 and codes[0] == codes[3] and all(1 <= c <= 6 for c in codes)
    assert codes == [hash(w) % 6 + 1 for w in ("the", "cat", "saw", "the", "dog")]
    with pytest.raises(ValueError, match="Received: hash_function='sha1'"):
        hashing_trick("a", 5, hash_function="sha1")
    with pytest.raises(ValueError, match="Received: n=1"):
        hashing_trick("a", 1)


def test_tokenizer_counts_and_orders_words_by_frequency_with_ties_in_first_seen_order():
    tok = fitted()
    # counts: the 2, cat 2, sat 2, dog 2, down 1, a 2 -> 'a' (seen after 'down') ranks before it
    assert list(tok.word_index.items()) == [("the", 1), ("cat", 2), ("sat", 3), ("dog", 4), ("a", 5), ("down", 6)]
    assert tok.index_word == {1: "the", 2: "cat", 3: "sat", 4: "dog", 5: "a", 6: "down"}
    assert list(tok.word_counts.items()) == [("the", 2), ("cat", 2), ("sat", 2), ("dog", 2), ("down", 1), ("a", 2)]
    assert dict(tok.word_docs) == {"the": 2, "cat": 2, "sat": 2, "dog": 2, "down": 1, "a": 1}
    assert dict(tok.index_docs) == {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1}
    assert tok.document_count == 3


def test_tokenizer_sequences_num_words_and_oov():
    tok = fitted()
    assert tok.texts_to_sequences(["the cat and the dog"]) == [[1, 2, 1, 4]]
    assert list(tok.texts_to_sequences_generator(["down", "zzz"])) == [[6], []]
    assert tok.sequences_to_texts([[1, 2, 99, 6]]) == ["the cat down"]
    tok = fitted(num_words=4)
    assert tok.texts_to_sequences(["the cat and the dog"]) == [[1, 2, 1]]
    assert tok.sequences_to_texts([[1, 4, 3]]) == ["the sat"]
    assert len(tok.word_index) == 6  # the cut-off applies when converting, not to the vocabulary
    tok = fitted(num_words=4, oov_token="<oov>")
    assert tok.word_index["<oov>"] == 1 and tok.word_index["the"] == 2 and tok.word_index["down"] == 7
    assert tok.texts_to_sequences(["the cat and the dog"]) == [[2, 3, 1, 2, 1]]
    assert tok.sequences_to_texts([[2, 3, 5, 42]]) == ["the cat <oov> <oov>"]


def test_tokenizer_char_level_and_token_lists():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["Ab a", "bc"])
    assert tok.word_index == {"a": 1, "b": 2, " ": 3, "c": 4}
    assert tok.texts_to_sequences(["cab!"]) == [[4, 1, 2]]
    tok = Tokenizer()
    tok.fit_on_texts([["Hello", "New York"], ["hello"]])
    assert tok.word_index == {"hello": 1, "new york": 2}
    assert tok.texts_to_sequences([["NEW YORK", "hello"]]) == [[2, 1]]


def test_tokenizer_matrix_modes():
    tok = fitted()
    texts = ["a a cat", "down the up"]  # sequences [5, 5, 2] and [6, 1]; 'up' is unknown
    binary = tok.texts_to_matrix(texts)
    assert isinstance(binary, np.ndarray) and binary.dtype == np.float64 and binary.shape == (2, 7)
    assert binary.tolist() == [[0, 0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 0, 1]]
    assert tok.texts_to_matrix(texts, mode="count").tolist() == [[0, 0, 1, 0, 0, 2, 0], [0, 1, 0, 0, 0, 0, 1]]
    freq = tok.texts_to_matrix(texts, mode="freq")
    np.testing.assert_allclose(freq, [[0, 0, 1 / 3, 0, 0, 2 / 3, 0], [0, 0.5, 0, 0, 0, 0, 0.5]], rtol=1e-15)
    # tf = 1 + ln(count), idf = ln(1 + documents / (1 + documents holding the word)); 3 documents.
    ln2, ln2_5 = math.log(2.0), math.log(2.5)
    expected = [[0, 0, ln2, 0, 0, (1 + ln2) * ln2_5, 0], [0, ln2, 0, 0, 0, 0, ln2_5]]
    np.testing.assert_allclose(tok.texts_to_matrix(texts, mode="tfidf"), expected, rtol=1e-14)
    # num_words narrows the matrix; indices past it are dropped (but still count in 'freq''s length).
    tok = fitted(num_words=3)
    np.testing.assert_allclose(tok.sequences_to_matrix([[5, 5, 2, 1]], mode="freq"), [[0, 0.25, 0.25]])


def test_sequences_to_matrix_after_fit_on_sequences():
    tok = Tokenizer(num_words=4)
    tok.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert tok.document_count == 2 and dict(tok.index_docs) == {1: 1, 2: 2, 3: 1}
    out = tok.sequences_to_matrix([[2, 2, 9], []], mode="tfidf")
    np.testing.assert_allclose(out, [[0, 0, (1 + math.log(2)) * math.log(1 + 2 / 3), 0], [0, 0, 0, 0]], rtol=1e-14)


def test_tokenizer_errors():
    with pytest.raises(ValueError, match="Specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="before using tfidf mode"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match=r"Did you mean 'tfidf'\? Received: mode='tfid'"):
        fitted().texts_to_matrix(["a"], mode="tfid")
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_word'. Did you mean 'num_words'"):
        Tokenizer(num_word=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Tokenizer(nb_words=7).num_words == 7
    assert "renamed `num_words`" in str(caught[0].message) and caught[0].filename == __file__


def test_tokenizer_json_round_trip():
    tok = fitted(num_words=5, oov_token="<oov>")
    config = tok.get_config()
    assert set(config) == {"num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count",
                           "word_counts", "word_docs", "index_docs", "index_word", "word_index"}
    assert json.loads(config["index_word"])["1"] == "<oov>"
    text = tok.to_json()
    assert json.loads(text)["class_name"] == "Tokenizer"
    copy = tokenizer_from_json(text)
    assert (copy.num_words, copy.oov_token, copy.document_count) == (5, "<oov>", 3)
    assert copy.word_index == tok.word_index and copy.index_word == tok.index_word
    assert list(copy.word_counts.items()) == list(tok.word_counts.items())
    assert dict(copy.index_docs) == dict(tok.index_docs) and dict(copy.word_docs) == dict(tok.word_docs)
    texts = ["the cat and the dog", "a down"]
    assert copy.texts_to_sequences(texts) == tok.texts_to_sequences(texts)
    np.testing.assert_array_equal(copy.texts_to_matrix(texts, mode="tfidf"), tok.texts_to_matrix(texts, mode="tfidf"))
    copy.fit_on_texts(["new words"])  # the restored counters keep counting
    assert copy.word_docs["new"] == 1 and copy.document_count == 4


# --------------------------------------------------------------------------- skip-grams
def test_make_sampling_table_matches_the_formula():
    table = make_sampling_table(6, sampling_factor=1e-3)
    assert isinstance(table, np.ndarray) and table.dtype == np.float64 and table.shape == (6,)
    expected = []
    for rank in [1, 1, 2, 3, 4, 5]:
        f = 1e-3 * (rank * (math.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
        expected.append(min(1.0, math.sqrt(f)))
    np.testing.assert_allclose(table, expected, rtol=1e-12)
    assert make_sampling_table(3, sampling_factor=10.0).tolist() == [1.0, 1.0, 1.0]
    assert make_sampling_table(0).shape == (0,)


def test_skipgrams_positive_couples():
    couples, labels = skipgrams([1, 2, 0, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1]] and labels == [1, 1]
    couples, labels = skipgrams([1, 2, 3], 4, window_size=2, negative_samples=0, shuffle=False, categorical=True)
    assert couples == [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]] and labels == [[0, 1]] * 6


def test_skipgrams_negatives_shuffle_and_seed():
    seq = [1, 2, 3, 4, 5, 0, 6]
    positives, _ = skipgrams(seq, 7, window_size=2, negative_samples=0, shuffle=False)
    state = random.getstate()
    couples, labels = skipgrams(seq, 7, window_size=2, negative_samples=0.5, seed=3)
    assert random.getstate() == state  # a seeded call leaves the global generator alone
    assert (couples, labels) == skipgrams(seq, 7, window_size=2, negative_samples=0.5, seed=3)
    assert (couples, labels) != skipgrams(seq, 7, window_size=2, negative_samples=0.5, seed=4)
    assert len(couples) == len(positives) + len(positives) // 2 and labels.count(0) == len(positives) // 2
    pairs = [tuple(c) for c, label in zip(couples, labels) if label == 1]
    assert sorted(pairs) == sorted(tuple(c) for c in positives)  # labels followed their couples through the shuffle
    centres = {c[0] for c in positives}
    assert all(c[0] in centres and 1 <= c[1] <= 6 for c, label in zip(couples, labels) if label == 0)
    random.seed(11)
    first = skipgrams(seq, 7)
    random.seed(11)
    assert skipgrams(seq, 7) == first  # unseeded calls follow Python's global generator


def test_skipgrams_sampling_table():
    seq = [1, 2, 3]
    assert skipgrams(seq, 4, sampling_table=[0.0] * 4, seed=0) == ([], [])
    kept, _ = skipgrams(seq, 4, sampling_table=[1.0] * 4, negative_samples=0, shuffle=False, seed=0)
    assert len(kept) == 6


# --------------------------------------------------------------------------- TimeseriesGenerator
def reference_batches(data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                      reverse=False, batch_size=128):
    end_index = len(data) - 1 if end_index is None else end_index
    steps = list(range(start_index + length, end_index + 1, stride))
    batches = []
    for k in range(0, len(steps), batch_size):
        rows = steps[k:k + batch_size]
        x = np.array([data[r - length:r:sampling_rate] for r in rows])
        batches.append((x[:, ::-1] if reverse else x, np.array([targets[r] for r in rows])))
    return batches


def test_timeseries_generator_documented_example(backend_name):
    data = np.array([[i] for i in range(50)])
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20
    x, y = gen[0]
    assert isinstance(x, np.ndarray) and x.dtype == data.dtype
    assert x.tolist() == [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]] and y.tolist() == [[10], [11]]


@pytest.mark.parametrize("kwargs", [
    dict(length=10, sampling_rate=2, batch_size=2),
    dict(length=5, stride=3, start_index=3, end_index=25, batch_size=4),
    dict(length=7, sampling_rate=3, reverse=True, batch_size=5),
    dict(length=1),
    dict(length=29, batch_size=1),
    dict(length=4, sampling_rate=4, stride=2, batch_size=3, reverse=True),
])
def test_timeseries_generator_matches_a_direct_loop(backend_name, kwargs):
    data = np.arange(60, dtype="float64").reshape(30, 2)
    targets = np.arange(30, dtype="float32") * 10
    gen = TimeseriesGenerator(data, targets, **kwargs)
    expected = reference_batches(data, targets, **kwargs)
    assert len(gen) == len(expected)
    for (x, y), (ex, ey) in zip(gen, expected):
        assert x.dtype == np.float64 and y.dtype == np.float32
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(gen[-1][0], expected[-1][0])
    with pytest.raises(IndexError, match=f"Received: index={len(expected)}"):
        gen[len(expected)]


def test_timeseries_generator_shuffle_draws_valid_windows():
    data = np.arange(40)
    gen = TimeseriesGenerator(data, data, length=6, sampling_rate=2, start_index=2, end_index=30, shuffle=True,
                              batch_size=16, reverse=True)
    random.seed(5)
    x, y = gen[0]
    random.seed(5)
    x2, y2 = gen[0]
    np.testing.assert_array_equal(x, x2)
    assert x.shape == (16, 3) and y.shape == (16,)
    assert all(8 <= step <= 30 for step in y.tolist())
    for window, step in zip(x.tolist(), y.tolist()):
        assert window == [step - 2, step - 4, step - 6]  # the target's own window, newest first
    assert len(set(y.tolist())) > 1


def test_timeseries_generator_errors_and_json():
    with pytest.raises(ValueError, match=r"Received: len\(data\)=3, len\(targets\)=2"):
        TimeseriesGenerator([1, 2, 3], [1, 2], length=1)
    with pytest.raises(ValueError, match=r"`start_index\+length=5 > end_index=4`"):
        TimeseriesGenerator(list(range(5)), list(range(5)), length=5)
    with pytest.raises(ValueError, match="Received: end_index=5"):
        TimeseriesGenerator(list(range(5)), list(range(5)), length=2, end_index=5)
    with pytest.raises(ValueError, match="Received: stride=0"):
        TimeseriesGenerator(list(range(5)), list(range(5)), length=2, stride=0)
    data = [[float(i)] for i in range(12)]
    gen = TimeseriesGenerator(data, data, length=3, stride=2, start_index=1, end_index=10, batch_size=2, reverse=True)
    copy = timeseries_generator_from_json(gen.to_json())
    assert len(copy) == len(gen) == 2
    for (x, y), (cx, cy) in zip(gen, copy):
        np.testing.assert_array_equal(x, cx)
        np.testing.assert_array_equal(y, cy)


def test_fit_generator_trains_on_a_timeseries_generator(backend_name):
    from multinn.layers import Dense
    from multinn.models import Sequential
    from multinn.optimizers import Adam
    from multinn.utils import Sequence, set_random_seed

    rng = np.random.RandomState(0)
    series = rng.uniform(-1, 1, size=160).astype("float32")
    targets = np.zeros((160, 1), dtype="float32")
    targets[2:, 0] = series[1:-1] - 0.5 * series[:-2]  # target at step i: a linear function of the two steps before
    gen = TimeseriesGenerator(series, targets, length=4, batch_size=32)
    assert isinstance(gen, Sequence) and len(gen) == 5
    set_random_seed(1)
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizer=Adam(lr=0.05), loss="mse")
    history = model.fit_generator(gen, epochs=8, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert len(losses) == 8 and losses[-1] < 0.1 * losses[0]
    predictions = model.predict_generator(gen)
    assert predictions.shape == (156, 1)
