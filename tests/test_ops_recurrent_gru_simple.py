"""K.gru_sequence and K.simple_rnn_sequence, and the recurrent dropout and hard_sigmoid of the
fused kernels (K.lstm_sequence too): values against NumPy loops, float64 gradients, equality
with K.rnn over the cells (values, gradients, second order), and the GRU/SimpleRNN/LSTM layers
training alike whichever path ran, dropout and seeds included."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import GRU, LSTM, Embedding, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from tests.helpers import check_op

B, T, D, U = 3, 5, 4, 2
MASK = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=bool)
CASES = [(None, False), (None, True), (MASK, False), (MASK, True)]


def _sig(z, kind="sigmoid"):
    return 1.0 / (1.0 + np.exp(-z)) if kind == "sigmoid" else np.clip(0.2 * z + 0.5, 0.0, 1.0)


def _np_loop(step, x, h, mask, go_backwards):
    """Runs `step(x_t, h) -> h_new` as K.rnn does, masked steps holding h and the output."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    out, outs = np.zeros_like(h), []
    for t in order:
        h_new = step(x[:, t], h)
        if mask is None:
            out = h = h_new
        else:
            m = mask[:, t:t + 1]
            out, h = np.where(m, h_new, out), np.where(m, h_new, h)
        outs.append(out)
    return np.stack(outs, axis=1), h


def _np_gru(x, kernel, rk, bias, h, mask=None, go_backwards=False, reset_after=False, rec_mask=None, kind="sigmoid"):
    u = rk.shape[0]
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))

    def step(x_t, h):
        hd = h if rec_mask is None else h * rec_mask
        xz = x_t @ kernel + b_in
        hz = hd @ rk + b_rec
        z = _sig(xz[:, :u] + hz[:, :u], kind)
        r = _sig(xz[:, u:2 * u] + hz[:, u:2 * u], kind)
        if reset_after:
            cand = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        else:
            cand = np.tanh(xz[:, 2 * u:] + (r * hd) @ rk[:, 2 * u:])
        return z * hd + (1 - z) * cand

    return _np_loop(step, x, h, mask, go_backwards)


def _np_simple(x, kernel, rk, bias, h, mask=None, go_backwards=False, activation="tanh", rec_mask=None):
    act = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "linear": lambda v: v}[activation]

    def step(x_t, h):
        hd = h if rec_mask is None else h * rec_mask
        return act(x_t @ kernel + (0 if bias is None else bias) + hd @ rk)

    return _np_loop(step, x, h, mask, go_backwards)


def _np_lstm(x, kernel, rk, bias, h, c, rec_mask=None, kind="sigmoid"):
    outs = []
    for t in range(x.shape[1]):
        hd = h if rec_mask is None else h * rec_mask
        i, f, g, o = np.split(x[:, t] @ kernel + hd @ rk + bias, 4, axis=1)
        c = _sig(f, kind) * c + _sig(i, kind) * np.tanh(g)
        h = _sig(o, kind) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), h, c


def _data(gates, reset_after=False, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    bias = rng.uniform(-0.3, 0.3, (2, gates * U) if reset_after else (gates * U,))
    return [a.astype(dtype) for a in (
        rng.uniform(-1, 1, (B, T, D)), rng.uniform(-0.6, 0.6, (D, gates * U)),
        rng.uniform(-0.6, 0.6, (U, gates * U)), bias, rng.uniform(-1, 1, (B, U)))]


REC_MASK = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])


def _pick(part, last, outputs, states):
    return {"outputs": outputs, "last": last, "h": states[0]}[part]


# ------------------------------------------------------------------ against NumPy, gradients in float64
@pytest.mark.parametrize("mask, go_backwards", CASES)
@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("part", ["outputs", "h"])
def test_gru_sequence_against_numpy(backend_name, mask, go_backwards, reset_after, part):
    def k_fn(x, k, r, b, h):
        m = None if mask is None else K.constant(mask, dtype="bool")
        return _pick(part, *K.gru_sequence(x, k, r, b, h, mask=m, go_backwards=go_backwards, reset_after=reset_after))

    def np_fn(x, k, r, b, h):
        outs, h = _np_gru(x, k, r, b, h, mask, go_backwards, reset_after)
        return _pick(part, outs[:, -1], outs, [h])

    check_op(k_fn, np_fn, _data(3, reset_after), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mask, go_backwards", CASES)
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_simple_rnn_sequence_against_numpy(backend_name, mask, go_backwards, activation):
    def k_fn(x, k, r, b, h):
        m = None if mask is None else K.constant(mask, dtype="bool")
        return K.simple_rnn_sequence(x, k, r, b, h, mask=m, go_backwards=go_backwards, activation=activation)[1]

    def np_fn(x, k, r, b, h):
        return _np_simple(x, k, r, b, h, mask, go_backwards, activation)[0]

    check_op(k_fn, np_fn, _data(1, seed=1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["lstm", "gru", "gru_reset_after", "simple_rnn"])
def test_recurrent_dropout_mask_and_hard_sigmoid_against_numpy(backend_name, op):
    rec = K.constant(REC_MASK, dtype="float32")
    if op == "lstm":
        data = _data(4, seed=2) + [np.random.default_rng(3).uniform(-1, 1, (B, U)).astype("float32")]

        def k_fn(x, k, r, b, h, c):
            return K.lstm_sequence(x, k, r, b, h, c, recurrent_dropout_mask=rec, recurrent_activation="hard_sigmoid")[1]

        def np_fn(x, k, r, b, h, c):
            return _np_lstm(x, k, r, b, h, c, REC_MASK, "hard_sigmoid")[0]
    elif op.startswith("gru"):
        reset_after = op == "gru_reset_after"
        data = _data(3, reset_after, seed=2)

        def k_fn(x, k, r, b, h):
            return K.gru_sequence(x, k, r, b, h, reset_after=reset_after, recurrent_dropout_mask=rec,
                                  recurrent_activation="hard_sigmoid")[1]

        def np_fn(x, k, r, b, h):
            return _np_gru(x, k, r, b, h, reset_after=reset_after, rec_mask=REC_MASK, kind="hard_sigmoid")[0]
    else:
        data = _data(1, seed=2)

        def k_fn(x, k, r, b, h):
            return K.simple_rnn_sequence(x, k, r, b, h, recurrent_dropout_mask=rec)[1]

        def np_fn(x, k, r, b, h):
            return _np_simple(x, k, r, b, h, rec_mask=REC_MASK)[0]

    # gradients of the float64 copy, where the mask must be float64 too
    def k_fn64(*args):
        nonlocal rec
        rec = K.constant(REC_MASK, dtype=str(args[0].dtype))
        return k_fn(*args)

    check_op(k_fn64, np_fn, data, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ equal to K.rnn over the cells
def _cell(kind, k, r, b, **options):
    cls = {"gru": GRUCell, "simple_rnn": SimpleRNNCell, "lstm": LSTMCell}[kind]
    cell = cls(U, dtype="float64", **options)
    cell.build((B, D))
    cell.kernel, cell.recurrent_kernel, cell.bias = k, r, b
    return cell


def _stepped(cell, x, states, mask, go_backwards, rec_mask):
    if rec_mask is not None:
        cell._recurrent_dropout_mask = [rec_mask]  # what the first step would have drawn
    n = len(states)
    return K.rnn(lambda x_t, s: cell.call(x_t, list(s[:n])), x, states, mask=mask, go_backwards=go_backwards)


SETUPS = [
    ("gru", {}), ("gru", {"reset_after": True}), ("gru", {"recurrent_activation": "hard_sigmoid"}),
    ("simple_rnn", {}), ("simple_rnn", {"activation": "relu"}), ("lstm", {"recurrent_activation": "hard_sigmoid"}),
]


def _fused(kind, options, x, k, r, b, states, mask, go_backwards, rec_mask):
    kw = {"mask": mask, "go_backwards": go_backwards, "recurrent_dropout_mask": rec_mask}
    if kind == "gru":
        return K.gru_sequence(x, k, r, b, states[0], reset_after=options.get("reset_after", False),
                              recurrent_activation=options.get("recurrent_activation", "sigmoid"), **kw)
    if kind == "simple_rnn":
        return K.simple_rnn_sequence(x, k, r, b, states[0], activation=options.get("activation", "tanh"), **kw)
    return K.lstm_sequence(x, k, r, b, states[0], states[1], recurrent_activation="hard_sigmoid", **kw)


def _variables(kind, options, seed):
    gates = {"gru": 3, "simple_rnn": 1, "lstm": 4}[kind]
    x, k, r, b, h = _data(gates, options.get("reset_after", False), seed, np.float64)
    states = [h] + ([np.random.default_rng(seed).uniform(-1, 1, (B, U))] if kind == "lstm" else [])
    return [K.variable(a, dtype="float64") for a in (x, k, r, b)], [K.variable(s, dtype="float64") for s in states]


@pytest.mark.parametrize("kind, options", SETUPS)
@pytest.mark.parametrize("mask, go_backwards", [(None, False), (MASK, True)])
@pytest.mark.parametrize("dropped", [False, True])
def test_fused_equals_k_rnn_over_the_cell(backend_name, kind, options, mask, go_backwards, dropped):
    (x, k, r, b), states = _variables(kind, options, seed=4)
    m = None if mask is None else K.constant(mask, dtype="bool")
    rec = K.constant(REC_MASK, dtype="float64") if dropped else None
    weights = K.constant(np.random.default_rng(5).normal(size=(B, T, U)), dtype="float64")

    def loss(last, outputs, final):
        return K.sum(outputs * weights) + K.sum(K.square(last)) + sum(K.sum(s * (j + 2.0)) for j, s in enumerate(final))

    fused = loss(*_fused(kind, options, x, k, r, b, states, m, go_backwards, rec))
    stepped = loss(*_stepped(_cell(kind, k, r, b, **options), x, states, m, go_backwards, rec))
    np.testing.assert_allclose(float(fused), float(stepped), rtol=1e-12)
    wrt = [x, k, r, b, *states]
    for got, want in zip(K.gradients(fused, wrt), K.gradients(stepped, wrt)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind, options", [("gru", {}), ("gru", {"reset_after": True}), ("simple_rnn", {})])
def test_second_order_equals_k_rnn(backend_name, kind, options):
    (x, k, r, b), states = _variables(kind, options, seed=6)
    m = K.constant(MASK, dtype="bool")
    rec = K.constant(REC_MASK, dtype="float64")
    penalties = []
    for run in (lambda: _fused(kind, options, x, k, r, b, states, m, False, rec),
                lambda: _stepped(_cell(kind, k, r, b, **options), x, states, m, False, rec)):
        gx = K.gradients(K.sum(K.square(run()[1])), [x], create_graph=True)[0]
        penalty = K.sum(K.square(gx))
        penalties.append((float(penalty), [g.numpy() for g in K.gradients(penalty, [k, r, b])]))
    (p1, g1), (p2, g2) = penalties
    np.testing.assert_allclose(p1, p2, rtol=1e-10)
    for a, e in zip(g1, g2):
        np.testing.assert_allclose(a, e, rtol=1e-8, atol=1e-12)


# ------------------------------------------------------------------ argument errors, placeholders
@pytest.mark.parametrize("call, expected", [
    (lambda d: K.gru_sequence(d[0], d[1][:, :5], d[2], d[3], d[4]), "K.gru_sequence: kernel must be"),
    (lambda d: K.gru_sequence(d[0], d[1], d[2], d[3], d[4], reset_after=True), "K.gru_sequence: bias must be"),
    (lambda d: K.gru_sequence(d[0], d[1], d[2], d[3], d[4], recurrent_dropout_mask=K.ones((B, 3))),
     "recurrent_dropout_mask must be"),
    (lambda d: K.gru_sequence(d[0], d[1], d[2], d[3], d[4], recurrent_activation="relu"), "recurrent_activation must"),
    (lambda d: K.simple_rnn_sequence(d[0], d[1][:, :2], d[2][:2, :2], None, d[4], activation="elu"),
     "activation must be"),
    (lambda d: K.simple_rnn_sequence(d[0], d[1][:, :2], d[2][:2, :2], None, d[4][:1]), "initial states"),
])
def test_errors_name_what_was_received(backend_name, call, expected):
    with pytest.raises(ValueError, match=f"{expected}.*Received"):
        call(_data(3))


def test_gru_sequence_on_placeholders_runs_in_k_function(backend_name):
    x_p, h_p = K.placeholder(shape=(None, T, D)), K.placeholder(shape=(None, U))
    x, k, r, b, h = _data(3, True, seed=7)
    outputs = K.gru_sequence(x_p, k, r, b, h_p, reset_after=True)[1]
    got = K.function([x_p, h_p], [outputs])([x, h])[0]
    np.testing.assert_allclose(got, _np_gru(x, k, r, b, h, reset_after=True)[0], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ the layers: same results on either path
def _train_and_predict(make_model, x, y, seed):
    multinn.utils.set_random_seed(seed)
    model = make_model()
    model.compile("sgd", "binary_crossentropy")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    return model.predict(x), model.get_weights()


def _embedded(layer):
    return lambda: multinn.Sequential([Embedding(20, 4, input_length=6, mask_zero=True), layer(),
                                       multinn.layers.Dense(1, activation="sigmoid")])


MODELS = {
    "gru, dropout and recurrent dropout": _embedded(lambda: GRU(3, dropout=0.3, recurrent_dropout=0.3)),
    "gru reset_after, backwards, hard_sigmoid": _embedded(lambda: GRU(
        3, reset_after=True, go_backwards=True, recurrent_dropout=0.2, recurrent_activation="hard_sigmoid")),
    "gru implementation 1, no dropout": _embedded(lambda: GRU(3, implementation=1)),
    "simple_rnn, both dropouts": _embedded(lambda: SimpleRNN(3, dropout=0.2, recurrent_dropout=0.3)),
    "simple_rnn relu": _embedded(lambda: SimpleRNN(3, activation="relu")),
    "lstm, recurrent dropout, hard_sigmoid": _embedded(lambda: LSTM(
        3, recurrent_dropout=0.3, dropout=0.2, recurrent_activation="hard_sigmoid")),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_layers_train_alike_on_both_paths(backend_name, monkeypatch, name):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 20, (8, 6))
    x[:3, :2] = 0  # padded starts
    y = rng.integers(0, 2, (8, 1)).astype("float32")
    calls = []
    for cls in (GRUCell, SimpleRNNCell, LSTMCell):
        fused_method = cls.fused_sequence
        monkeypatch.setattr(cls, "fused_sequence",
                            lambda self, *a, _f=fused_method, **k: calls.append(1) or _f(self, *a, **k))
    fused = _train_and_predict(MODELS[name], x, y, seed=7)
    assert calls  # the fused path ran
    for cls in (GRUCell, SimpleRNNCell, LSTMCell):
        monkeypatch.setattr(cls, "fused_sequence", lambda self, *a, **k: None)
    stepped = _train_and_predict(MODELS[name], x, y, seed=7)
    np.testing.assert_allclose(fused[0], stepped[0], rtol=1e-5, atol=1e-6)
    for a, e in zip(fused[1], stepped[1]):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cell", [
    lambda: GRUCell(2, recurrent_dropout=0.2, implementation=1), lambda: GRUCell(2, dropout=0.2, implementation=1),
    lambda: GRUCell(2, activation="relu"), lambda: GRUCell(2, recurrent_activation="tanh"),
    lambda: SimpleRNNCell(2, activation="elu"), lambda: LSTMCell(2, recurrent_dropout=0.2, implementation=1),
])
def test_setups_the_kernels_do_not_cover_go_step_by_step(backend_name, cell):
    cell = cell()
    cell.build((1, 3))
    states = [K.zeros((1, 2))] * (2 if isinstance(cell, LSTMCell) else 1)
    assert cell.fused_sequence(K.ones((1, 4, 3)), states, None, False) is None


def test_subclasses_with_their_own_call_go_step_by_step(backend_name):
    class MyGRU(GRUCell):
        def call(self, inputs, states, training=None):
            return super().call(inputs, states, training)

    class MyRNN(SimpleRNNCell):
        def call(self, inputs, states, training=None):
            return super().call(inputs, states, training)

    for cell in (MyGRU(2), MyRNN(2)):
        cell.build((1, 3))
        assert cell.fused_sequence(K.ones((1, 4, 3)), [K.zeros((1, 2))], None, False) is None
