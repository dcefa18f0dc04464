"""CTC: K.ctc_batch_cost, K.ctc_decode, K.ctc_label_dense_to_sparse against brute force over
every frame-level path (the definition of CTC), not against the lattice recursions K uses."""
import itertools
import math

import numpy as np
import pytest

from multinn import backend as K

EPS = 1e-7


def _normalised(p):
    """Per-frame probabilities as Keras 2 feeds them to CTC: log(p + eps), renormalised."""
    q = np.asarray(p, np.float64) + EPS
    return q / q.sum(axis=-1, keepdims=True)


def _collapse(path, blank):
    out = []
    previous = None
    for c in path:
        if c != previous and c != blank:
            out.append(c)
        previous = c
    return tuple(out)


def _labelings(probs, blank):
    """P(labeling) for every labeling reachable from frames `probs` (time, classes)."""
    totals = {}
    steps, classes = probs.shape
    for path in itertools.product(range(classes), repeat=steps):
        p = np.prod([probs[t, c] for t, c in enumerate(path)])
        key = _collapse(path, blank)
        totals[key] = totals.get(key, 0.0) + p
    return totals


def _probs(batch, steps, classes, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 1.0, size=(batch, steps, classes))
    return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------- ctc_batch_cost
def test_ctc_batch_cost_is_minus_log_of_the_summed_paths(backend_name):
    probs = _probs(3, 5, 4, seed=0)
    labels = np.array([[0, 1, 1], [2, 0, -1], [1, -1, -1]])
    label_len = np.array([[3], [2], [1]])
    input_len = np.array([[5], [4], [3]])  # frames past the length are ignored
    got = K.ctc_batch_cost(K.constant(labels, dtype="int32"), K.constant(probs), K.constant(input_len, dtype="int32"),
                           K.constant(label_len, dtype="int32"))
    assert got.shape == (3, 1) and got.dtype == np.float32
    for i in range(3):
        frames = _normalised(probs[i, : input_len[i, 0]])
        want = -math.log(_labelings(frames, blank=3)[tuple(labels[i, : label_len[i, 0]])])
        np.testing.assert_allclose(got.numpy()[i, 0], want, rtol=1e-5)


def test_ctc_batch_cost_of_an_impossible_label_is_inf(backend_name):
    # two equal labels need a blank between them: three frames at least
    probs = _probs(1, 2, 3, seed=1)
    got = K.ctc_batch_cost(K.constant([[1, 1]]), K.constant(probs), K.constant([[2]]), K.constant([[2]]))
    assert np.isinf(got.numpy()[0, 0])


def test_ctc_batch_cost_accepts_float_labels_and_empty_labels(backend_name):
    probs = _probs(2, 3, 3, seed=2)
    got = K.ctc_batch_cost(K.constant([[1.0, 0.0], [0.0, 0.0]]), K.constant(probs), K.constant([[3], [3]]),
                           K.constant([[2], [0]])).numpy()
    frames = _normalised(probs)
    np.testing.assert_allclose(got[0, 0], -math.log(_labelings(frames[0], 2)[(1, 0)]), rtol=1e-5)
    np.testing.assert_allclose(got[1, 0], -math.log(np.prod(frames[1, :, 2])), rtol=1e-5)  # all blanks


def test_ctc_batch_cost_gradient(backend_name):
    probs = _probs(2, 4, 3, seed=3).astype(np.float64)
    labels = K.constant([[0, 1], [1, -1]], dtype="int32")
    in_len = K.constant([[4], [3]], dtype="int32")
    lab_len = K.constant([[2], [1]], dtype="int32")
    K.check_gradients(lambda p: K.ctc_batch_cost(labels, p, in_len, lab_len), [probs])


def test_ctc_batch_cost_gradient_reaches_a_softmax(backend_name):
    logits = np.random.default_rng(4).normal(size=(1, 4, 3))
    labels = K.constant([[1, 0]], dtype="int32")
    n = K.constant([[4]], dtype="int32")
    m = K.constant([[2]], dtype="int32")
    K.check_gradients(lambda z: K.ctc_batch_cost(labels, K.softmax(z), n, m), [logits])


def test_ctc_batch_cost_rejects_mismatched_rows(backend_name):
    with pytest.raises(ValueError, match="input_length"):
        K.ctc_batch_cost(K.constant([[0], [1]]), K.constant(_probs(2, 3, 3, 0)), K.constant([[3]]), K.constant([[1], [1]]))
    with pytest.raises(ValueError, match="y_pred"):
        K.ctc_batch_cost(K.constant([[0]]), K.constant(np.ones((3, 3), np.float32)), K.constant([[3]]), K.constant([[1]]))


# ---------------------------------------------------------------- ctc_label_dense_to_sparse
def test_ctc_label_dense_to_sparse(backend_name):
    labels = np.array([[4, 2, 7], [1, 9, 9], [5, 5, 5]], np.int32)
    lengths = np.array([2, 1, 3], np.int32)
    s = K.ctc_label_dense_to_sparse(K.constant(labels, dtype="int32"), K.constant(lengths, dtype="int32"))
    assert K.is_sparse(s) and s.dense_shape == (3, 3)
    want = [(i, j) for i in range(3) for j in range(lengths[i])]
    assert [tuple(r) for r in K.eval(s.indices).tolist()] == want
    assert K.eval(s.values).tolist() == [labels[i, j] for i, j in want]
    dense = np.zeros_like(labels)
    for i, j in want:
        dense[i, j] = labels[i, j]
    np.testing.assert_array_equal(K.eval(s), dense)


# ---------------------------------------------------------------- ctc_decode
def test_ctc_decode_greedy(backend_name):
    probs = _probs(3, 6, 4, seed=5)
    probs[0, 1:3] = [[0.0, 0.9, 0.05, 0.05], [0.0, 0.9, 0.05, 0.05]]  # a repeat, merged
    lengths = np.array([6, 4, 0])
    decoded, log_prob = K.ctc_decode(K.constant(probs), K.constant(lengths, dtype="int32"))
    assert len(decoded) == 1 and decoded[0].dtype == np.int64 and log_prob.shape == (3, 1)
    rows = []
    for i in range(3):
        best = probs[i, : lengths[i]].argmax(axis=-1)
        rows.append(_collapse(best.tolist(), blank=3))
        want = -np.log(probs[i, np.arange(lengths[i]), best] + EPS).sum()
        np.testing.assert_allclose(log_prob.numpy()[i, 0], want, rtol=1e-5, atol=1e-6)
    longest = max(len(r) for r in rows)
    np.testing.assert_array_equal(decoded[0].numpy(), [list(r) + [-1] * (longest - len(r)) for r in rows])


@pytest.mark.parametrize("merge_repeated", [False, True])
def test_ctc_decode_beam_search_matches_exhaustive_search(backend_name, merge_repeated):
    # A beam wide enough to keep every prefix makes the search exact: the top paths are the
    # most probable labelings, scored by their log-probabilities.
    probs = _probs(2, 4, 3, seed=6)
    lengths = np.array([4, 3])
    decoded, log_prob = K.ctc_decode(K.constant(probs), K.constant(lengths, dtype="int32"), greedy=False,
                                     beam_width=64, top_paths=3, merge_repeated=merge_repeated)
    assert len(decoded) == 3 and log_prob.shape == (2, 3)
    for i in range(2):
        totals = _labelings(_normalised(probs[i, : lengths[i]]), blank=2)
        ranked = sorted(totals, key=totals.get, reverse=True)[:3]
        np.testing.assert_allclose(log_prob.numpy()[i], np.log([totals[r] for r in ranked]), rtol=1e-5)
        for k, labeling in enumerate(ranked):
            shown = [c for j, c in enumerate(labeling) if not (merge_repeated and j and labeling[j - 1] == c)]
            row = decoded[k].numpy()[i].tolist()
            assert row[: len(shown)] == shown and all(v == -1 for v in row[len(shown):])


def test_ctc_decode_beam_search_keeps_the_best_with_a_narrow_beam(backend_name):
    probs = np.array([[[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]], np.float32)
    decoded, log_prob = K.ctc_decode(K.constant(probs), K.constant([4], dtype="int32"), greedy=False, beam_width=2)
    totals = _labelings(_normalised(probs[0]), blank=2)
    best = max(totals, key=totals.get)
    assert decoded[0].numpy()[0].tolist() == list(best)
    # pruned prefixes lose some of their paths: the score lies between the best single
    # frame path and the labeling's whole probability
    frames = _normalised(probs[0])
    best_path = max((np.prod([frames[t, c] for t, c in enumerate(path)]), path)
                    for path in itertools.product(range(3), repeat=4) if _collapse(path, 2) == best)[0]
    assert math.log(best_path) - 1e-5 <= log_prob.numpy()[0, 0] <= math.log(totals[best]) + 1e-5


def test_ctc_decode_rejects_more_paths_than_the_beam(backend_name):
    with pytest.raises(ValueError, match="top_paths"):
        K.ctc_decode(K.constant(_probs(1, 3, 3, 0)), K.constant([3]), greedy=False, beam_width=2, top_paths=3)
