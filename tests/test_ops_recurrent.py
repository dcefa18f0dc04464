"""K.lstm_sequence, the fused LSTM: values against a NumPy loop, float64 gradients, equality
with K.rnn over LSTMCell (values, gradients, second order), and the LSTM layer giving the same
results whichever path ran."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import LSTM, LSTMCell, Bidirectional, Embedding
from tests.helpers import check_op

B, T, D, U = 3, 5, 4, 2


def _np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _np_lstm(x, kernel, recurrent_kernel, bias, h, c, mask=None, go_backwards=False):
    """Keras 2's LSTM, one step at a time in NumPy; masked steps as K.rnn keeps them."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    out = np.zeros_like(h)
    outs = []
    for t in order:
        z = x[:, t] @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
        i, f, g, o = np.split(z, 4, axis=1)
        c_new = _np_sigmoid(f) * c + _np_sigmoid(i) * np.tanh(g)
        h_new = _np_sigmoid(o) * np.tanh(c_new)
        if mask is None:
            out, h, c = h_new, h_new, c_new
        else:
            m = mask[:, t:t + 1]
            out, h, c = np.where(m, h_new, out), np.where(m, h_new, h), np.where(m, c_new, c)
        outs.append(out)
    return np.stack(outs, axis=1), h, c


def _data(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [a.astype(dtype) for a in (
        rng.uniform(-1, 1, (B, T, D)), rng.uniform(-0.6, 0.6, (D, 4 * U)), rng.uniform(-0.6, 0.6, (U, 4 * U)),
        rng.uniform(-0.3, 0.3, (4 * U,)), rng.uniform(-1, 1, (B, U)), rng.uniform(-1, 1, (B, U)))]


MASK = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=bool)  # a row fully masked too
CASES = [(None, False), (None, True), (MASK, False), (MASK, True)]


@pytest.mark.parametrize("mask, go_backwards", CASES)
@pytest.mark.parametrize("part", ["outputs", "last", "h", "c"])
def test_lstm_sequence_against_numpy(backend_name, mask, go_backwards, part):
    def pick(last, outputs, states):
        return {"outputs": outputs, "last": last, "h": states[0], "c": states[1]}[part]

    def k_fn(x, k, r, b, h, c):
        m = None if mask is None else K.constant(mask, dtype="bool")
        return pick(*K.lstm_sequence(x, k, r, b, h, c, mask=m, go_backwards=go_backwards))

    def np_fn(x, k, r, b, h, c):
        outs, h, c = _np_lstm(x, k, r, b, h, c, mask, go_backwards)
        return pick(outs[:, -1], outs, [h, c])

    check_op(k_fn, np_fn, _data(), rtol=1e-5, atol=1e-6)


def test_lstm_sequence_without_bias_and_with_a_float_mask(backend_name):
    x, k, r, _, h, c = _data(1)
    out = K.lstm_sequence(x, k, r, None, h, c, mask=K.constant(MASK[:, :, None].astype("float32")))[1]
    np.testing.assert_allclose(out.numpy(), _np_lstm(x, k, r, None, h, c, MASK)[0], rtol=1e-5, atol=1e-6)


def _cell_rnn(k, r, b, mask, go_backwards):
    cell = LSTMCell(U, dtype="float64")
    cell.build((B, D))
    cell.kernel, cell.recurrent_kernel, cell.bias = k, r, b

    def step(x_t, states):
        return cell.call(x_t, states[:2])

    return lambda x, h, c: K.rnn(step, x, [h, c], mask=mask, go_backwards=go_backwards)


@pytest.mark.parametrize("mask, go_backwards", CASES)
def test_lstm_sequence_equals_k_rnn_over_lstm_cell(backend_name, mask, go_backwards):
    x, k, r, b, h, c = [K.variable(a, dtype="float64") for a in _data(2, np.float64)]
    m = None if mask is None else K.constant(mask, dtype="bool")
    weights = K.constant(np.random.default_rng(3).normal(size=(B, T, U)), dtype="float64")

    def loss(last, outputs, states):  # every result takes part
        return K.sum(outputs * weights) + K.sum(K.square(last)) + K.sum(states[0] * 2.0) + K.sum(K.square(states[1]))

    fused = loss(*K.lstm_sequence(x, k, r, b, h, c, mask=m, go_backwards=go_backwards))
    stepped = loss(*_cell_rnn(k, r, b, m, go_backwards)(x, h, c))
    np.testing.assert_allclose(float(fused), float(stepped), rtol=1e-12)
    for got, want in zip(K.gradients(fused, [x, k, r, b, h, c]), K.gradients(stepped, [x, k, r, b, h, c])):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_sequence_second_order_equals_k_rnn(backend_name):
    x, k, r, b, h, c = [K.variable(a, dtype="float64") for a in _data(4, np.float64)]
    penalties = []
    for run in (lambda: K.lstm_sequence(x, k, r, b, h, c, mask=K.constant(MASK, dtype="bool")),
                lambda: _cell_rnn(k, r, b, K.constant(MASK, dtype="bool"), False)(x, h, c)):
        outputs = run()[1]
        gx = K.gradients(K.sum(K.square(outputs)), [x], create_graph=True)[0]
        penalty = K.sum(K.square(gx))  # a gradient penalty, as WGAN-GP writes it
        penalties.append((float(penalty), [g.numpy() for g in K.gradients(penalty, [k, r, b])]))
    (p1, g1), (p2, g2) = penalties
    np.testing.assert_allclose(p1, p2, rtol=1e-10)
    for a, e in zip(g1, g2):
        np.testing.assert_allclose(a, e, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("bad, expected", [
    (lambda d: (d[0][:, :, :3],) + tuple(d[1:]), "kernel must be"),
    (lambda d: (d[0], d[1], d[2][:, :5]) + tuple(d[3:]), "recurrent_kernel must be"),
    (lambda d: tuple(d[:3]) + (d[3][:4],) + tuple(d[4:]), "bias must be"),
    (lambda d: tuple(d[:4]) + (d[4][:1], d[5]), "initial states"),
    (lambda d: (d[0][0],) + tuple(d[1:]), "inputs must be"),
])
def test_lstm_sequence_names_the_bad_shape(backend_name, bad, expected):
    with pytest.raises(ValueError, match=f"K.lstm_sequence: {expected}.*Received"):
        K.lstm_sequence(*bad(_data()))


def test_lstm_sequence_refuses_mixed_dtypes(backend_name):
    x, k, r, b, h, c = _data()
    with pytest.raises(ValueError, match="one floating dtype"):
        K.lstm_sequence(K.constant(x, dtype="float64"), k, r, b, h, c)


def test_lstm_sequence_on_placeholders_runs_in_k_function(backend_name):
    x_p, h_p, c_p = K.placeholder(shape=(None, T, D)), K.placeholder(shape=(None, U)), K.placeholder(shape=(None, U))
    data = _data(5)
    last, outputs, (h, c) = K.lstm_sequence(x_p, data[1], data[2], data[3], h_p, c_p)
    run = K.function([x_p, h_p, c_p], [outputs, c])
    got_outputs, got_c = run([data[0], data[4], data[5]])
    want_outputs, _, want_c = _np_lstm(*data)
    np.testing.assert_allclose(got_outputs, want_outputs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_c, want_c, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ the layer: same results on either path
def _stepwise(monkeypatch):
    monkeypatch.setattr(LSTMCell, "fused_sequence", lambda self, *a, **k: None)


def _train_and_predict(make_model, x, y, seed):
    multinn.utils.set_random_seed(seed)
    model = make_model()
    model.compile("sgd", "binary_crossentropy")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    return model.predict(x), [w for w in model.get_weights()]


MODELS = {
    "masked embedding + dropout": lambda: multinn.Sequential([
        Embedding(20, 4, input_length=6, mask_zero=True), LSTM(3, dropout=0.3),
        multinn.layers.Dense(1, activation="sigmoid")]),
    "go_backwards, sequences, implementation 1": lambda: multinn.Sequential([
        LSTM(3, input_shape=(6, 2), go_backwards=True, return_sequences=True, implementation=1),
        multinn.layers.Flatten(), multinn.layers.Dense(1, activation="sigmoid")]),
    "bidirectional stacked": lambda: multinn.Sequential([
        Bidirectional(LSTM(3, return_sequences=True), input_shape=(6, 2)), LSTM(2, unit_forget_bias=False),
        multinn.layers.Dense(1, activation="sigmoid")]),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_lstm_layer_trains_alike_on_both_paths(backend_name, monkeypatch, name):
    rng = np.random.default_rng(6)
    if "embedding" in name:
        x = rng.integers(0, 20, (8, 6))
        x[:3, :2] = 0  # padded starts
    else:
        x = rng.normal(size=(8, 6, 2)).astype("float32")
    y = rng.integers(0, 2, (8, 1)).astype("float32")
    fused = _train_and_predict(MODELS[name], x, y, seed=7)
    _stepwise(monkeypatch)
    stepped = _train_and_predict(MODELS[name], x, y, seed=7)
    np.testing.assert_allclose(fused[0], stepped[0], rtol=1e-5, atol=1e-6)
    for a, e in zip(fused[1], stepped[1]):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)


def test_stateful_lstm_keeps_its_states_on_the_fused_path(backend_name, monkeypatch):
    x = np.random.default_rng(8).normal(size=(2, 4, 3)).astype("float32")
    results = []
    for patch in (False, True):
        if patch:
            _stepwise(monkeypatch)
        multinn.utils.set_random_seed(1)
        inputs = multinn.Input(batch_shape=(2, 4, 3))
        model = multinn.Model(inputs, LSTM(2, stateful=True, return_state=True)(inputs))
        first, second = model.predict(x), model.predict(x)
        results.append((np.concatenate(first, axis=1), np.concatenate(second, axis=1)))
    for a, e in zip(results[0], results[1]):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)
    assert not np.allclose(results[0][0], results[0][1])  # the second batch started from kept states


@pytest.mark.parametrize("cell_kwargs", [
    {"recurrent_dropout": 0.2, "implementation": 1}, {"dropout": 0.2, "implementation": 1},
    {"recurrent_activation": "tanh"}, {"activation": "relu"},
])
def test_setups_the_kernel_does_not_cover_go_step_by_step(backend_name, cell_kwargs):
    cell = LSTMCell(2, **cell_kwargs)
    cell.build((1, 3))
    assert cell.fused_sequence(K.ones((1, 4, 3)), [K.zeros((1, 2))] * 2, None, False) is None


def test_a_subclass_with_its_own_call_goes_step_by_step(backend_name):
    class Peephole(LSTMCell):
        def call(self, inputs, states, training=None):
            return super().call(inputs, states, training)

    cell = Peephole(2)
    cell.build((1, 3))
    assert cell.fused_sequence(K.ones((1, 4, 3)), [K.zeros((1, 2))] * 2, None, False) is None


@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize("op", ["lstm", "gru", "gru_reset_after"])
def test_inference_forward_without_gates_equals_the_differentiated_forward(backend_name, op, masked):
    """Under no_grad (predict) the kernels may skip saving the gates (the compiled LSTM then
    packs only the output, h and c blocks): outputs and states stay equal."""
    x, k, r, b, h, c = _data(5)
    mask = np.random.default_rng(6).random((B, T)) > 0.3 if masked else None

    def run():
        xs, ks, rs = (K.variable(a) for a in (x, k, r))
        if op == "lstm":
            return K.lstm_sequence(xs, ks, rs, K.variable(b), K.constant(h), K.constant(c),
                                   mask=None if mask is None else K.constant(mask))
        reset_after = op == "gru_reset_after"
        bias = np.stack([b[:3 * U], b[U:]]) if reset_after else b[:3 * U]
        return K.gru_sequence(xs, ks[:, :3 * U], rs[:, :3 * U], K.variable(bias), K.constant(h),
                              mask=None if mask is None else K.constant(mask), reset_after=reset_after)

    with K.backend_scope(backend_name):
        trained = run()
        with K.no_grad():
            inferred = run()
    for a, e in zip([trained[0], trained[1], *trained[2]], [inferred[0], inferred[1], *inferred[2]]):
        np.testing.assert_array_equal(a.numpy(), e.numpy())
