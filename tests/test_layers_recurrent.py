"""Recurrent layers against hand-written NumPy loops of Keras 2.3.1's formulas."""
from __future__ import annotations

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import (
    GRU, LSTM, RNN, Bidirectional, Dense, GRUCell, Input, LSTMCell, SimpleRNN, SimpleRNNCell, StackedRNNCells,
)
from multinn.models import Model, Sequential
from tests.layer_test import _with_weights, layer_test


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _loop(step, x, states, go_backwards=False, mask=None):
    """Keras 2's loop: masked steps keep the states and repeat the previous output (zeros first)."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    outputs, prev = [], np.zeros(0)
    for t in order:
        out, new = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            out = np.where(keep, out, prev if outputs else np.zeros_like(out))
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        outputs.append(out)
        prev, states = out, new
    return outputs[-1], np.stack(outputs, axis=1), states


def _simple_step(W, U, b, in_mask=1.0, rec_mask=1.0):
    return lambda x, s: (lambda h: (h, [h]))(np.tanh((x * in_mask) @ W + b + (s[0] * rec_mask) @ U))


def _lstm_step(W, U, b, act=np.tanh, ract=_sigmoid):
    u = U.shape[0]

    def step(x, s):
        z = x @ W + s[0] @ U + b
        i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
        c = ract(f) * s[1] + ract(i) * act(g)
        h = ract(o) * act(c)
        return h, [h, c]

    return step


def _gru_step(W, U, b, reset_after=False):
    u = U.shape[0]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))

    def step(x, s):
        h = s[0]
        xz, xr, xh = (x @ W[:, k * u:(k + 1) * u] + b_in[k * u:(k + 1) * u] for k in range(3))
        hz, hr = (h @ U[:, k * u:(k + 1) * u] + b_rec[k * u:(k + 1) * u] for k in range(2))
        z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
        if reset_after:
            hh = np.tanh(xh + r * (h @ U[:, 2 * u:] + b_rec[2 * u:]))
        else:
            hh = np.tanh(xh + (r * h) @ U[:, 2 * u:])
        h = z * h + (1 - z) * hh
        return h, [h]

    return step


def _random(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


def _reference(layer, x, mask=None):
    w = layer.get_weights()
    cell = layer.cell
    if isinstance(cell, LSTMCell):
        step, n_states = _lstm_step(*w), 2
    elif isinstance(cell, GRUCell):
        step, n_states = _gru_step(*w, reset_after=cell.reset_after), 1
    else:
        step, n_states = _simple_step(*w), 1
    zeros = [np.zeros((x.shape[0], cell.units), "float32")] * n_states
    last, seq, states = _loop(step, x, zeros, layer.go_backwards, mask)
    out = seq if layer.return_sequences else last
    return [out] + states if layer.return_state else out


def _check(layer, x, mask=None):
    got = layer(K.constant(x), **({"mask": K.constant(mask, dtype="bool")} if mask is not None else {}))
    want = _reference(layer, x, mask)
    got, want = (got, want) if isinstance(got, list) else ([got], [want])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=1e-5)


LAYERS = [
    lambda **kw: SimpleRNN(3, **kw),
    lambda **kw: LSTM(3, **kw),
    lambda **kw: GRU(3, **kw),
    lambda **kw: GRU(3, reset_after=True, bias_initializer="uniform", **kw),
]


@pytest.mark.parametrize("make", LAYERS, ids=["simple_rnn", "lstm", "gru", "gru_reset_after"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_numpy_loop(backend_name, make, return_sequences, go_backwards):
    layer = make(return_sequences=return_sequences, go_backwards=go_backwards)
    _check(layer, _random((2, 5, 4)))


@pytest.mark.parametrize("make", LAYERS, ids=["simple_rnn", "lstm", "gru", "gru_reset_after"])
def test_return_state_and_mask(backend_name, make):
    x = _random((3, 5, 4), seed=1)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [0, 1, 1, 1, 1]], bool)
    _check(make(return_state=True, return_sequences=True), x, mask)
    _check(make(return_state=True, go_backwards=True), x, mask)


def test_weight_shapes_order_and_defaults():
    lstm = LSTM(3)
    lstm.build((None, 5, 4))
    assert [w.shape for w in lstm.get_weights()] == [(4, 12), (3, 12), (12,)]
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])  # unit_forget_bias
    recurrent = lstm.get_weights()[1]
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)  # orthogonal (3 x 12)
    config = lstm.get_config()
    assert config["recurrent_activation"] == "sigmoid" and config["implementation"] == 2
    gru = GRU(2)
    assert gru.get_config()["reset_after"] is False and gru.recurrent_activation is multinn.activations.sigmoid
    gru.build((None, 3, 4))
    assert [w.shape for w in gru.get_weights()] == [(4, 6), (2, 6), (6,)]
    rnn = SimpleRNN(2)
    rnn.build((None, 3, 4))
    assert [w.shape for w in rnn.get_weights()] == [(4, 2), (2, 2), (2,)]
    assert lstm.units == 3 and lstm.kernel is lstm.cell.kernel


def test_lstm_implementation_1_matches_2_and_hard_sigmoid():
    x = _random((2, 4, 3))
    a = LSTM(2, implementation=1, recurrent_activation="hard_sigmoid")
    b = LSTM(2, implementation=2, recurrent_activation="hard_sigmoid")
    ya = a(K.constant(x))
    b(K.constant(x))
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(ya.numpy(), b(K.constant(x)).numpy(), rtol=1e-6, atol=1e-6)
    hard = lambda z: np.clip(0.2 * z + 0.5, 0, 1)  # noqa: E731
    step = _lstm_step(*a.get_weights(), ract=hard)
    want, _, _ = _loop(step, x, [np.zeros((2, 2), "float32")] * 2)
    np.testing.assert_allclose(ya.numpy(), want, rtol=1e-5, atol=1e-5)


def test_dropout_masks_constant_over_time_and_only_in_training():
    x = _random((2, 5, 4))
    layer = SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    plain = _loop(_simple_step(*_weights_after_build(layer, x)), x, [np.zeros((2, 3), "float32")])[1]
    np.testing.assert_allclose(layer(K.constant(x), training=False).numpy(), plain, rtol=1e-5, atol=1e-5)
    multinn.utils.set_random_seed(3)
    got = layer(K.constant(x), training=True).numpy()
    in_mask = layer.cell._dropout_mask[0].numpy()
    rec_mask = layer.cell._recurrent_dropout_mask[0].numpy()
    assert set(np.unique(in_mask)) <= {0.0, 2.0} and (in_mask == 0).any()
    want = _loop(_simple_step(*layer.get_weights(), in_mask, rec_mask), x, [np.zeros((2, 3), "float32")])[1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, plain)


def _weights_after_build(layer, x):
    layer(K.constant(x), training=False)
    return layer.get_weights()


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_dropout_implementation_1_in_training(cls):
    x = _random((2, 3, 4))
    layer = cls(2, dropout=0.3, recurrent_dropout=0.3, implementation=1)
    y = layer(K.constant(x), training=True).numpy()
    assert len(layer.cell._dropout_mask) == (4 if cls is LSTM else 3) and np.isfinite(y).all()


def test_stacked_cells_match_two_layers():
    x = _random((2, 4, 3))
    stacked = RNN([LSTMCell(4), SimpleRNNCell(2)], return_sequences=True, return_state=True)
    out = stacked(K.constant(x))
    assert [t.shape for t in out] == [(2, 4, 2), (2, 4), (2, 4), (2, 2)]
    w = stacked.get_weights()
    first = LSTM(4, return_sequences=True, weights=w[:3])
    second = SimpleRNN(2, return_sequences=True, weights=w[3:])
    np.testing.assert_allclose(out[0].numpy(), second(first(K.constant(x))).numpy(), rtol=1e-5, atol=1e-6)
    config = stacked.get_config()
    rebuilt = RNN.from_config(config)
    assert isinstance(rebuilt.cell, StackedRNNCells) and rebuilt.get_config()["cell"] == config["cell"]
    assert stacked.compute_output_shape((None, None, 3)) == [(None, None, 2), (None, 4), (None, 4), (None, 2)]


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("time", [None, 6])
def test_compute_output_shape(return_sequences, return_state, time):
    layer = LSTM(3, return_sequences=return_sequences, return_state=return_state)
    out = (None, time, 3) if return_sequences else (None, 3)
    want = [out, (None, 3), (None, 3)] if return_state else out
    assert layer.compute_output_shape((None, time, 5)) == want
    symbolic = layer(Input((time, 5)))
    shapes = [tuple(t.shape) for t in symbolic] if return_state else tuple(symbolic.shape)
    assert shapes == want


def test_gradients_wrt_cell_weights_float64():
    for layer in [LSTM(2, return_sequences=True, dtype="float64"), GRU(2, reset_after=True, dtype="float64"),
                  SimpleRNN(2, go_backwards=True, dtype="float64")]:
        x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 3))
        layer(K.constant(x, dtype="float64"))
        start = [K.get_value(w) for w in layer.trainable_weights]
        assert all(w.dtype == np.float64 for w in start)

        def f(xt, *ws, layer=layer):
            return _with_weights(layer.cell, list(ws), lambda: layer.call(xt))

        K.check_gradients(f, [x] + start, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("cls,kwargs", [
    (SimpleRNN, {"units": 2}),
    (LSTM, {"units": 2, "return_sequences": True}),
    (GRU, {"units": 2, "reset_after": True, "go_backwards": True}),
    (GRU, {"units": 2, "return_sequences": True}),
])
def test_layer_test(cls, kwargs):
    layer_test(cls, kwargs, input_shape=(2, 3, 3))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    x = _random((2, 4, 3))
    bi = Bidirectional(GRU(2, return_sequences=True), merge_mode=merge_mode)
    out = bi(K.constant(x))
    w = bi.get_weights()
    fwd = GRU(2, return_sequences=True, weights=w[:3])(K.constant(x)).numpy()
    bwd = GRU(2, return_sequences=True, go_backwards=True, weights=w[3:])(K.constant(x)).numpy()[:, ::-1]
    want = {"concat": lambda: np.concatenate([fwd, bwd], -1), "sum": lambda: fwd + bwd, "mul": lambda: fwd * bwd,
            "ave": lambda: (fwd + bwd) / 2, None: lambda: [fwd, bwd]}[merge_mode]()
    got = [t.numpy() for t in out] if merge_mode is None else out.numpy()
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    shape = bi.compute_output_shape((None, 4, 3))
    assert shape == ([(None, 4, 2)] * 2 if merge_mode is None else (None, 4, 4 if merge_mode == "concat" else 2))


def test_bidirectional_return_state_config_and_layer_test():
    bi = Bidirectional(LSTM(2, return_state=True))
    out = bi(K.constant(_random((2, 4, 3))))
    assert [t.shape for t in out] == [(2, 4), (2, 2), (2, 2), (2, 2), (2, 2)]
    assert bi.compute_output_shape((None, None, 3)) == [(None, 4)] + [(None, 2)] * 4
    rebuilt = Bidirectional.from_config(bi.get_config())
    assert rebuilt.get_config()["layer"] == bi.get_config()["layer"]
    with pytest.raises(ValueError, match="merge_mode='max'"):
        Bidirectional(LSTM(2), merge_mode="max")
    layer_test(Bidirectional, {"layer": SimpleRNN(2), "merge_mode": "sum"}, input_shape=(2, 3, 3), gradcheck=False)


def test_mask_from_masking_layer_in_model():
    x = _random((2, 4, 3))
    x[0, 2:] = 0.0  # padded
    inputs = Input((4, 3))
    masked = multinn.layers.Masking(0.0)(inputs)
    out = LSTM(2, return_sequences=True)(masked)
    model = Model(inputs, out)
    got = model.predict(x)
    want = _reference(model.layers[-1], x, np.any(x != 0, axis=-1))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[0, 2], got[0, 1])  # masked steps repeat the last output


def test_sequence_model_learns_sum():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (128, 5, 1)).astype("float32")
    y = x.sum(axis=1)
    multinn.utils.set_random_seed(0)
    model = Sequential([LSTM(8, input_shape=(5, 1)), Dense(1)])
    model.compile(multinn.optimizers.Adam(lr=0.03), "mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.1 * first


def test_save_load_round_trip_with_lstm(tmp_path):
    model = Sequential([Bidirectional(LSTM(3, return_sequences=True), input_shape=(4, 2)), GRU(2), Dense(1)])
    model.compile("sgd", "mse")
    x = _random((3, 4, 2))
    path = str(tmp_path / "rnn_model.h5")
    model.save(path)
    loaded = multinn.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-6)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]


def test_initial_state_from_an_encoder_in_a_model(tmp_path):
    enc_in, dec_in = Input((5, 3)), Input((4, 2))
    encoder = LSTM(3, return_state=True)
    decoder = LSTM(3, return_sequences=True)
    _, h, c = encoder(enc_in)
    model = Model([enc_in, dec_in], decoder(dec_in, initial_state=[h, c]))
    xe, xd = _random((2, 5, 3)), _random((2, 4, 2), seed=1)
    got = model.predict([xe, xd])
    _, h0, c0 = encoder(K.constant(xe))
    want = _loop(_lstm_step(*decoder.get_weights()), xd, [h0.numpy(), c0.numpy()])[1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, model.predict([xe[::-1], xd]))  # the encoder's states matter
    with pytest.raises(ValueError, match="expects 2 initial state"):
        decoder(K.constant(xd), initial_state=[h0])
    path = str(tmp_path / "seq2seq.h5")
    model.save(path)
    np.testing.assert_allclose(multinn.models.load_model(path, compile=False).predict([xe, xd]), got, rtol=1e-6, atol=1e-6)


def test_regularizers_and_constraints_reach_the_cell_weights():
    layer = GRU(2, kernel_regularizer="l2", recurrent_regularizer="l1", activity_regularizer="l2",
                bias_constraint="non_neg")
    layer(K.constant(_random((2, 3, 3))))
    assert len(layer.losses) == 3
    assert layer.bias.constraint is not None
    assert GRU.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_recurrent_dropout_implementation_2_matches_keras_formula(cls):
    x = _random((2, 4, 3))
    layer = cls(2, dropout=0.4, recurrent_dropout=0.5, return_sequences=True)
    multinn.utils.set_random_seed(5)
    got = layer(K.constant(x), training=True).numpy()
    in_mask = layer.cell._dropout_mask[0].numpy()
    rec_mask = layer.cell._recurrent_dropout_mask[0].numpy()
    assert len(layer.cell._dropout_mask) == 1 and (rec_mask == 0).any()
    w = layer.get_weights()
    inner = _lstm_step(*w) if cls is LSTM else _gru_step(*w)

    def step(xt, states):
        # Keras 2.3.1 implementation 2: inputs and h_tm1 multiplied by one mask each (in place)
        return inner(xt * in_mask, [states[0] * rec_mask] + states[1:])

    states = [np.zeros((2, 2), "float32")] * (2 if cls is LSTM else 1)
    np.testing.assert_allclose(got, _loop(step, x, states)[1], rtol=1e-5, atol=1e-5)


def test_input_dim_and_input_length_shorthand_and_rank_check():
    with pytest.warns(UserWarning, match="Keras 1"):  # Keras 2 converts them and says so
        model = Sequential([SimpleRNN(2, input_dim=3, input_length=4)])
    assert model.output_shape == (None, 2) and model.input_shape == (None, 4, 3)
    with pytest.warns(UserWarning, match="Keras 1"):
        assert Sequential([LSTM(2, input_dim=3)]).input_shape == (None, None, 3)
    with pytest.raises(ValueError, match="ndim"):
        LSTM(2)(K.ones((2, 3)))


def test_layer_test_rnn_with_cells():
    # the same cell objects are reused by layer_test's rebuilt layers, so no float64 check here;
    # test_gradients_wrt_cell_weights_float64 covers the cells' gradients
    layer_test(RNN, {"cell": SimpleRNNCell(2)}, input_shape=(2, 3, 3), gradcheck=False)
    layer_test(RNN, {"cell": [LSTMCell(2), GRUCell(2)], "return_sequences": True}, input_shape=(2, 3, 3),
               gradcheck=False)


def test_keras2_config_dicts_deserialize():
    keras_lstm = {"class_name": "LSTM", "config": {
        "name": "lstm_1", "trainable": True, "batch_input_shape": [None, 5, 3], "dtype": "float32",
        "return_sequences": False, "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
        "units": 4, "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
        "kernel_initializer": {"class_name": "VarianceScaling",
                               "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
        "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 0}}
    bi = multinn.layers.deserialize({"class_name": "Bidirectional", "config": {
        "name": "bidirectional_1", "trainable": True, "layer": keras_lstm, "merge_mode": "ave"}})
    assert bi.forward_layer.cell.implementation == 1 and bi.merge_mode == "ave"
    assert bi.forward_layer.recurrent_activation is multinn.activations.hard_sigmoid
    assert bi.backward_layer.go_backwards and bi.compute_output_shape((None, 5, 3)) == (None, 4)


def test_bidirectional_initial_state_in_a_model_and_reset_states():
    enc_in, dec_in = Input((3, 2)), Input((4, 2))
    encoder = Bidirectional(GRU(2, return_state=True))
    _, h1, h2 = encoder(enc_in)
    bi = Bidirectional(GRU(2, return_sequences=True), merge_mode="sum")
    model = Model([enc_in, dec_in], bi(dec_in, initial_state=[h1, h2]))
    assert model.output_shape == (None, 4, 2)
    xe, xd = _random((2, 3, 2)), _random((2, 4, 2), seed=1)
    got = model.predict([xe, xd])
    _, s1, s2 = encoder(K.constant(xe))
    w = bi.get_weights()
    fwd = _loop(_gru_step(*w[:3]), xd, [s1.numpy()])[1]
    bwd = _loop(_gru_step(*w[3:]), xd, [s2.numpy()], go_backwards=True)[1][:, ::-1]
    np.testing.assert_allclose(got, fwd + bwd, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="even number"):
        bi(K.constant(xd), initial_state=[s1])
    with pytest.raises(AttributeError, match="not stateful"):
        LSTM(2).reset_states()


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_implementation_1_matches_numpy(reset_after):
    layer = GRU(3, implementation=1, reset_after=reset_after, bias_initializer="uniform", return_sequences=True)
    _check(layer, _random((2, 4, 3)))


class _MinimalCell(multinn.layers.Layer):
    """A user cell, as in Keras 2's RNN docs, taking an extra constant: h = x W + h_prev U + c."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        # with constants, Keras 2 builds a cell on [step shape, *constant shapes]
        assert isinstance(input_shape, list) and input_shape[1] == (None, 2), input_shape
        input_shape = input_shape[0]
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), initializer="uniform")
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units), initializer="uniform")
        self.built = True

    def call(self, inputs, states, constants=None):
        h = K.dot(inputs, self.kernel) + K.dot(states[0], self.recurrent_kernel)
        if constants:
            h = h + constants[0]
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cell_with_constants_in_a_model(tmp_path):
    x_in, c_in = Input((4, 3)), Input((2,))
    layer = RNN(_MinimalCell(2), return_sequences=True)
    model = Model([x_in, c_in], layer(x_in, constants=[c_in]))
    x, c = _random((2, 4, 3)), _random((2, 2), seed=1)
    got = model.predict([x, c])
    W, U = layer.get_weights()
    want = _loop(lambda xt, s: (lambda h: (h, [h]))(xt @ W + s[0] @ U + c), x, [np.zeros((2, 2), "float32")])[1]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert layer.get_config()["num_constants"] == 1
    path = str(tmp_path / "constants.h5")
    model.save(path)
    loaded = multinn.models.load_model(path, custom_objects={"_MinimalCell": _MinimalCell}, compile=False)
    np.testing.assert_allclose(loaded.predict([x, c]), got, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="does not support constants"):
        LSTM(2)(K.constant(x), constants=[K.constant(c)])


def test_bidirectional_with_mask():
    x = _random((2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    bi = Bidirectional(SimpleRNN(2, return_sequences=True))
    got = bi(K.constant(x), mask=K.constant(mask, dtype="bool")).numpy()
    w = bi.get_weights()
    zeros = [np.zeros((2, 2), "float32")]
    fwd = _loop(_simple_step(*w[:3]), x, zeros, mask=mask)[1]
    bwd = _loop(_simple_step(*w[3:]), x, zeros, go_backwards=True, mask=mask)[1][:, ::-1]
    np.testing.assert_allclose(got, np.concatenate([fwd, bwd], -1), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bi.compute_mask(None, K.constant(mask, dtype="bool")).numpy(), mask)


def test_trainable_flag_follows_the_layer():
    layer = LSTM(2, trainable=False)
    layer.build((None, 3, 4))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    layer.trainable = True
    assert len(layer.trainable_weights) == 3 and layer.non_trainable_weights == []


def test_stacked_cells_state_order_and_constants():
    cells = [SimpleRNNCell(2), LSTMCell(3)]
    assert RNN(cells).cell.state_size == (2, 3, 3)
    with pytest.warns(UserWarning, match="reverse_state_order"):
        reversed_cells = multinn.layers.StackedRNNCells([SimpleRNNCell(2), LSTMCell(3)], reverse_state_order=True)
    assert reversed_cells.state_size == (3, 3, 2)
    x, s_lstm, s_simple = _random((2, 4, 3)), _random((2, 3), seed=1), _random((2, 2), seed=2)
    forward = RNN(cells)
    want = forward(K.constant(x), initial_state=[K.constant(s_simple), K.constant(s_lstm), K.constant(s_lstm)]).numpy()
    backward = RNN(reversed_cells)
    backward.build((None, 4, 3))
    backward.set_weights(forward.get_weights())
    got = backward(K.constant(x), initial_state=[K.constant(s_lstm), K.constant(s_lstm), K.constant(s_simple)]).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("layer_class,gates", [(SimpleRNN, 1), (GRU, 3), (LSTM, 4)])
def test_identity_recurrent_initializer_gives_one_identity_per_gate(layer_class, gates):
    layer = layer_class(3, recurrent_initializer=multinn.initializers.Identity(gain=2.0))
    layer(K.ones((1, 2, 4)))
    np.testing.assert_array_equal(layer.get_weights()[1], np.concatenate([2 * np.eye(3)] * gates, axis=1))


def test_rnn_with_dropout_marks_outputs_that_follow_the_learning_phase():
    layer = LSTM(2, dropout=0.5, recurrent_dropout=0.5)
    x = K.ones((2, 3, 4))
    assert layer(x)._uses_learning_phase
    assert not layer(x, training=True)._uses_learning_phase
    assert not LSTM(2)(x)._uses_learning_phase


def test_real_initial_states_beside_a_model_input():
    x_in = Input((4, 3))
    state = K.variable(_random((2, 2), seed=3))
    layer = SimpleRNN(2)
    model = Model(x_in, layer(x_in, initial_state=state))
    x = _random((2, 4, 3))
    np.testing.assert_allclose(model.predict(x), layer(K.constant(x), initial_state=state).numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="implementation"):
        SimpleRNN(2, implementation=2)


def test_bidirectional_passes_constants_to_both_directions(tmp_path):
    x_in, c_in = Input((4, 3)), Input((2,))
    bi = Bidirectional(RNN(_MinimalCell(2), return_sequences=True))
    model = Model([x_in, c_in], bi(x_in, constants=c_in))
    x, c = _random((2, 4, 3)), _random((2, 2), seed=1)
    got = model.predict([x, c])
    W, U, W_back, U_back = bi.get_weights()
    zeros = [np.zeros((2, 2), "float32")]
    step = lambda W, U: (lambda xt, s: (lambda h: (h, [h]))(xt @ W + s[0] @ U + c))
    forward = _loop(step(W, U), x, zeros)[1]
    backward = _loop(step(W_back, U_back), x[:, ::-1], zeros)[1][:, ::-1]
    np.testing.assert_allclose(got, np.concatenate([forward, backward], axis=-1), rtol=1e-5, atol=1e-6)
    config = bi.get_config()
    assert config["num_constants"] == 1
    with multinn.utils.CustomObjectScope({"_MinimalCell": _MinimalCell}):
        rebuilt = Bidirectional.from_config(config)
    flat = Model([x_in, c_in], rebuilt([x_in, c_in]))  # a flat list: the constants counted from the config
    flat.set_weights(model.get_weights())
    np.testing.assert_allclose(flat.predict([x, c]), got, rtol=1e-6)
