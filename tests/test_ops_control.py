"""switch, rnn, map_fn, foldl, foldr against hand-written loops, with float64 gradients."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, rand


# ------------------------------------------------------------------ switch
def test_switch_elementwise(backend_name):
    cond = np.array([[True, False, True], [False, False, True]])

    def ref(a, b):
        out = b.copy()
        for idx in zip(*np.nonzero(cond)):
            out[idx] = a[idx]
        return out

    check_op(lambda a, b: K.switch(K.constant(cond, dtype="bool"), a, b), ref, [rand(2, 3), rand(2, 3, seed=1)])


def test_switch_lower_rank_condition_selects_leading_axes(backend_name):
    cond = np.array([True, False, True])  # one flag per row, as Keras 2 on TensorFlow

    def ref(a, b):
        return np.stack([a[i] if cond[i] else b[i] for i in range(3)])

    check_op(lambda a, b: K.switch(K.constant(cond, dtype="bool"), a, b), ref, [rand(3, 2, 2), rand(3, 2, 2, seed=4)])


def test_switch_numeric_condition_is_cast_to_bool(backend_name):
    out = K.switch(K.constant([0.0, 2.0]), K.constant([1.0, 1.0]), K.constant([5.0, 5.0]))
    np.testing.assert_array_equal(out.numpy(), [5.0, 1.0])


def test_switch_scalar_condition_calls_only_the_chosen_branch(backend_name):
    calls = []

    def branch(v):
        return lambda: calls.append(v) or K.constant(v)

    assert float(K.switch(K.constant(True, dtype="bool"), branch(1.0), branch(2.0))) == 1.0
    assert float(K.switch(0, branch(1.0), branch(2.0))) == 2.0
    assert calls == [1.0, 2.0]


def test_switch_rejects_higher_rank_condition(backend_name):
    with pytest.raises(ValueError, match="Rank of `condition`"):
        K.switch(K.ones((2, 2)), K.ones(2), K.zeros(2))


# ------------------------------------------------------------------ rnn
def _cell(w, u):
    """A simple tanh cell with two states (h, running sum), so state handling is exercised."""

    def step(x, states):
        h, total = states[0], states[1]
        new_h = K.tanh(K.dot(x, w) + K.dot(h, u))
        return new_h, [new_h, total + new_h]

    return step


def _reference_rnn(x, h0, w, u, mask=None, go_backwards=False):
    batch, steps, _ = x.shape
    h, total = h0.copy(), h0.copy()
    prev_out = np.zeros_like(h0)
    outs = []
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        new_h = np.tanh(x[:, t] @ w + h @ u)
        new_total = total + new_h
        out = new_h
        if mask is not None:
            keep = mask[:, t][:, None]
            out = np.where(keep, new_h, prev_out)
            new_h = np.where(keep, new_h, h)
            new_total = np.where(keep, new_total, total)
        h, total, prev_out = new_h, new_total, out
        outs.append(out)
    return outs[-1], np.stack(outs, axis=1), [h, total]


_MASK = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [1, 0, 0, 0, 1]], bool)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_rnn_matches_hand_written_loop(backend_name, go_backwards, masked):
    x, h0 = rand(3, 5, 2), rand(3, 4, seed=1)
    w, u = rand(2, 4, seed=2), rand(4, 4, seed=3)
    mask = _MASK if masked else None
    last, outputs, states = K.rnn(
        _cell(K.constant(w), K.constant(u)), K.constant(x), [K.constant(h0), K.constant(h0)],
        go_backwards=go_backwards, mask=None if mask is None else K.constant(mask, dtype="bool"),
    )
    ref_last, ref_outputs, ref_states = _reference_rnn(x, h0, w, u, mask, go_backwards)
    assert outputs.shape == (3, 5, 4) and outputs.dtype == np.float32
    np.testing.assert_allclose(last.numpy(), ref_last, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs.numpy(), ref_outputs, rtol=1e-5, atol=1e-6)
    for got, want in zip(states, ref_states):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_rnn_mask_with_trailing_axis_and_constants(backend_name):
    x, h0 = rand(3, 5, 2), rand(3, 4, seed=1)
    w, u = rand(2, 4, seed=2), rand(4, 4, seed=3)
    seen = []

    def step(inp, states):
        seen.append(len(states))
        h, total, scale = states
        new_h = K.tanh(K.dot(inp, w) + K.dot(h, u)) * scale
        return new_h, [new_h, total + new_h]

    mask = K.constant(_MASK[..., None].astype(np.float32))
    last, outputs, _ = K.rnn(step, K.constant(x), [K.constant(h0)] * 2, mask=mask, constants=[K.constant(1.0)])
    _, ref_outputs, _ = _reference_rnn(x, h0, w, u, _MASK)
    np.testing.assert_allclose(outputs.numpy(), ref_outputs, rtol=1e-5, atol=1e-6)
    assert seen == [3] * 5


@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_gradients(backend_name, go_backwards):
    mask = K.constant(_MASK[:2, :4], dtype="bool")

    def f(x, h0, w, u):
        last, outputs, states = K.rnn(_cell(w, u), x, [h0, h0], go_backwards=go_backwards, mask=mask)
        return K.sum(outputs, axis=1) + states[1] * 0.5 + last

    K.check_gradients(f, [rand(2, 4, 3), rand(2, 2, seed=1), rand(3, 2, seed=2), rand(2, 2, seed=3)])


def test_rnn_unroll_gives_the_same_result(backend_name):
    x, h0 = K.constant(rand(2, 3, 2)), K.constant(rand(2, 4, seed=1))
    cell = _cell(K.constant(rand(2, 4, seed=2)), K.constant(rand(4, 4, seed=3)))
    rolled = K.rnn(cell, x, [h0, h0])[1]
    unrolled = K.rnn(cell, x, [h0, h0], unroll=True, input_length=3)[1]
    np.testing.assert_array_equal(rolled.numpy(), unrolled.numpy())


def test_rnn_rejects_2d_input(backend_name):
    with pytest.raises(ValueError, match="3D"):
        K.rnn(lambda x, s: (x, s), K.ones((2, 3)), [K.zeros((2, 3))])


def test_rnn_long_sequence_unstacks_every_step(backend_name):
    x = rand(2, 13, 1)

    def step(inp, states):
        return inp + states[0], [inp + states[0]]

    last, outputs, _ = K.rnn(step, K.constant(x), [K.constant(np.zeros((2, 1), np.float32))])
    np.testing.assert_allclose(outputs.numpy(), np.cumsum(x, axis=1), rtol=1e-5, atol=1e-6)
    check_op(lambda v: K.rnn(step, v, [K.zeros_like(v[:, 0])])[1], lambda v: np.cumsum(v, axis=1), [x])


# ------------------------------------------------------------------ map / fold
def test_map_fn(backend_name):
    def ref(x):
        return np.stack([row @ row for row in x])

    check_op(lambda x: K.map_fn(lambda row: K.sum(row * row), x), ref, [rand(7, 3)])


def test_foldl_and_foldr(backend_name):
    def fold_ref(x, order, init):
        acc = init
        for i in order:
            acc = acc * 0.5 + x[i]
        return acc

    x = rand(6, 2)
    check_op(lambda v: K.foldl(lambda a, b: a * 0.5 + b, v), lambda v: fold_ref(v, range(1, 6), v[0]), [x])
    check_op(lambda v: K.foldr(lambda a, b: a * 0.5 + b, v), lambda v: fold_ref(v, range(4, -1, -1), v[5]), [x])
    check_op(
        lambda v: K.foldl(lambda a, b: a * 0.5 + b, v, initializer=K.ones_like(v[0])),
        lambda v: fold_ref(v, range(6), np.ones(2, np.float32)),
        [x],
    )


def test_fold_of_empty_needs_initializer(backend_name):
    with pytest.raises(ValueError, match="initializer"):
        K.foldl(lambda a, b: a + b, K.zeros((0, 2)))
