"""CuDNNLSTM / CuDNNGRU against NumPy loops of cuDNN's formulas, LSTM / GRU, and Keras 2's layout."""
from __future__ import annotations

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import GRU, LSTM, CuDNNGRU, CuDNNLSTM, Dense, Masking, deserialize, serialize
from multinn.models import Sequential
from tests.layer_test import _with_weights, layer_test


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _cudnn_lstm_ref(x, W, R, b, h, c, go_backwards=False):
    """cuDNN's LSTM, gate by gate: each gate has its own input bias bW and recurrent bias bR."""
    u = R.shape[0]
    bW, bR = b[:4 * u], b[4 * u:]
    gate = lambda k, xt, h: xt @ W[:, k * u:(k + 1) * u] + bW[k * u:(k + 1) * u] + h @ R[:, k * u:(k + 1) * u] + bR[k * u:(k + 1) * u]  # noqa: E731
    outs = []
    for t in (range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])):
        xt = x[:, t]
        i, f, g, o = _sigmoid(gate(0, xt, h)), _sigmoid(gate(1, xt, h)), np.tanh(gate(2, xt, h)), _sigmoid(gate(3, xt, h))
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), [h, c]


def _cudnn_gru_ref(x, W, R, b, h, go_backwards=False):
    """cuDNN's GRU: the reset gate scales the recurrent part after its matmul and bias."""
    u = R.shape[0]
    bW, bR = b[:3 * u], b[3 * u:]
    part = lambda m, v, bias, k: v @ m[:, k * u:(k + 1) * u] + bias[k * u:(k + 1) * u]  # noqa: E731
    outs = []
    for t in (range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])):
        xt = x[:, t]
        z = _sigmoid(part(W, xt, bW, 0) + part(R, h, bR, 0))
        r = _sigmoid(part(W, xt, bW, 1) + part(R, h, bR, 1))
        hh = np.tanh(part(W, xt, bW, 2) + r * part(R, h, bR, 2))
        h = (1.0 - z) * hh + z * h
        outs.append(h)
    return np.stack(outs, axis=1), [h]


def _random(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).uniform(-1, 1, shape) * scale).astype("float32")


def _random_weights(layer, seed=1):
    """Random values (bias included, so both bias halves matter) set into a built layer."""
    weights = [_random(w.shape, seed + i, 0.7) for i, w in enumerate(layer.get_weights())]
    layer.set_weights(weights)
    return weights


@pytest.mark.parametrize("cls,kwargs", [
    (CuDNNLSTM, {"units": 2, "return_sequences": True}),
    (CuDNNLSTM, {"units": 3, "go_backwards": True}),
    (CuDNNGRU, {"units": 2, "return_sequences": True, "go_backwards": True}),
    (CuDNNGRU, {"units": 3}),
])
def test_layer_test(backend_name, cls, kwargs):
    layer_test(cls, kwargs, input_shape=(2, 3, 4))


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_lstm_matches_cudnn_formula(backend_name, go_backwards, return_sequences):
    x = _random((3, 5, 4))
    layer = CuDNNLSTM(3, return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    layer.build((None, 5, 4))
    W, R, b = _random_weights(layer)
    h0, c0 = _random((3, 3), 7), _random((3, 3), 8)
    out, h, c = layer(K.constant(x), initial_state=[K.constant(h0), K.constant(c0)])
    seq, (h_ref, c_ref) = _cudnn_lstm_ref(x, W, R, b, h0, c0, go_backwards)
    np.testing.assert_allclose(out.numpy(), seq if return_sequences else seq[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gru_matches_cudnn_formula(backend_name, go_backwards, return_sequences):
    x = _random((3, 5, 4))
    layer = CuDNNGRU(3, return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    layer.build((None, 5, 4))
    W, R, b = _random_weights(layer)
    out, h = layer(K.constant(x))
    seq, (h_ref,) = _cudnn_gru_ref(x, W, R, b, np.zeros((3, 3), "float32"), go_backwards)
    np.testing.assert_allclose(out.numpy(), seq if return_sequences else seq[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-5, atol=1e-6)


def test_equals_lstm_and_gru_with_converted_weights(backend_name):
    x = _random((2, 6, 4))
    cudnn = CuDNNLSTM(3, return_sequences=True)
    cudnn.build((None, 6, 4))
    W, R, b = _random_weights(cudnn)
    lstm = LSTM(3, recurrent_activation="sigmoid", return_sequences=True, weights=[W, R, b[:12] + b[12:]])
    np.testing.assert_allclose(cudnn(K.constant(x)).numpy(), lstm(K.constant(x)).numpy(), rtol=1e-6, atol=1e-6)

    cudnn = CuDNNGRU(3, return_sequences=True)
    cudnn.build((None, 6, 4))
    W, R, b = _random_weights(cudnn)
    gru = GRU(3, reset_after=True, recurrent_activation="sigmoid", return_sequences=True,
              weights=[W, R, b.reshape(2, 9)])
    np.testing.assert_allclose(cudnn(K.constant(x)).numpy(), gru(K.constant(x)).numpy(), rtol=1e-6, atol=1e-6)


def test_weights_as_keras2(backend_name):
    lstm = CuDNNLSTM(4, bias_initializer="ones")
    lstm.build((None, None, 5))
    assert [w.shape for w in lstm.weights] == [(5, 16), (4, 16), (32,)]
    assert [w.name.split("/")[-1] for w in lstm.weights] == ["kernel:0", "recurrent_kernel:0", "bias:0"]
    assert lstm.kernel is lstm.weights[0] and lstm.recurrent_kernel is lstm.weights[1] and lstm.bias is lstm.weights[2]
    assert lstm.weights == lstm.trainable_weights and lstm.count_params() == 5 * 16 + 4 * 16 + 32
    # unit_forget_bias: the forget gate's recurrent bias (5u:6u) starts at 1, the rest as asked
    np.testing.assert_array_equal(lstm.get_weights()[2], np.ones(32))
    lstm = CuDNNLSTM(2)
    lstm.build((None, None, 3))
    np.testing.assert_array_equal(lstm.get_weights()[2], [0] * 10 + [1, 1] + [0] * 4)
    plain = CuDNNLSTM(2, unit_forget_bias=False)
    plain.build((None, None, 3))
    np.testing.assert_array_equal(plain.get_weights()[2], np.zeros(16))
    gru = CuDNNGRU(4)
    gru.build((None, None, 5))
    assert [w.shape for w in gru.weights] == [(5, 12), (4, 12), (24,)]
    np.testing.assert_array_equal(gru.get_weights()[2], np.zeros(24))
    # recurrent kernels start orthogonal per Keras 2 ('orthogonal' over the whole (units, k units) matrix)
    r = gru.get_weights()[1]
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-5)


@pytest.mark.parametrize("cls", [CuDNNLSTM, CuDNNGRU])
def test_gradients_float64(backend_name, cls):
    layer = cls(2, return_sequences=True, go_backwards=cls is CuDNNGRU, dtype="float64")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 3))
    layer(K.constant(x, dtype="float64"))
    start = [K.get_value(w) + np.random.default_rng(i).uniform(-0.3, 0.3, w.shape)
             for i, w in enumerate(layer.trainable_weights)]
    assert len(start) == 3 and all(w.dtype == np.float64 for w in start)

    def f(xt, *ws):
        return _with_weights(layer.cell, list(ws), lambda: layer.call(xt))

    K.check_gradients(f, [x] + start, atol=1e-5, rtol=1e-4)


_KERAS2_KEYS = ["name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "units",
                "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "recurrent_constraint", "bias_constraint"]


def test_config_as_keras2():
    layer = CuDNNLSTM(5, unit_forget_bias=False, kernel_regularizer="l2", bias_constraint="non_neg",
                      return_sequences=True, stateful=False, name="enc")
    config = layer.get_config()
    assert sorted(config) == sorted(_KERAS2_KEYS + ["unit_forget_bias"])
    assert config["units"] == 5 and config["unit_forget_bias"] is False and config["return_sequences"] is True
    assert config["kernel_regularizer"]["class_name"] == "L1L2"
    assert config["bias_constraint"]["class_name"] == "NonNeg"
    assert "cell" not in config and "unroll" not in config
    rebuilt = deserialize(serialize(layer))
    assert isinstance(rebuilt, CuDNNLSTM) and rebuilt.get_config() == config
    gru = CuDNNGRU(2, go_backwards=True, activity_regularizer="l1")
    assert sorted(gru.get_config()) == sorted(_KERAS2_KEYS)
    assert CuDNNGRU.from_config(gru.get_config()).get_config() == gru.get_config()
    with pytest.raises(TypeError):
        CuDNNGRU(2, dropout=0.5)  # cuDNN layers have no dropout, as in Keras 2


def test_regularizers_and_constraints():
    layer = CuDNNGRU(2, kernel_regularizer="l2", bias_regularizer="l1", kernel_constraint="max_norm")
    layer(K.constant(_random((2, 3, 4))))
    assert len(layer.losses) == 2
    assert layer.kernel.constraint is not None and layer.bias.constraint is None


def test_save_load_round_trip(backend_name, tmp_path):
    model = Sequential([CuDNNLSTM(3, return_sequences=True, input_shape=(4, 2)), CuDNNGRU(2), Dense(1)])
    model.compile("sgd", "mse")
    x = _random((3, 4, 2))
    path = str(tmp_path / "cudnn_model.h5")
    model.save(path)
    loaded = multinn.models.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == ["CuDNNLSTM", "CuDNNGRU", "Dense"]
    assert [w.shape for w in loaded.get_weights()] == [(2, 12), (3, 12), (24,), (3, 6), (2, 6), (12,), (2, 1), (1,)]
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-6)


def test_return_state_and_go_backwards(backend_name):
    x = _random((2, 5, 3))
    layer = CuDNNLSTM(2, return_sequences=True, return_state=True)
    out, h, c = layer(K.constant(x))
    assert out.shape == (2, 5, 2) and h.shape == (2, 2) and c.shape == (2, 2)
    np.testing.assert_allclose(out.numpy()[:, -1], h.numpy(), rtol=1e-6)
    assert layer.compute_output_shape((None, 5, 3)) == [(None, 5, 2), (None, 2), (None, 2)]
    # go_backwards reads the sequence from its end: same as a forward run on the reversed input,
    # with the outputs in that reversed order (Keras 2)
    back = CuDNNGRU(2, return_sequences=True, go_backwards=True)
    out_back = back(K.constant(x)).numpy()
    fwd = CuDNNGRU(2, return_sequences=True, weights=back.get_weights())
    np.testing.assert_allclose(out_back, fwd(K.constant(x[:, ::-1].copy())).numpy(), rtol=1e-6, atol=1e-6)


def test_stateful_carries_states(backend_name):
    x = _random((2, 6, 3))
    whole = CuDNNLSTM(2, return_sequences=True)
    expected = whole(K.constant(x)).numpy()
    stateful = CuDNNLSTM(2, return_sequences=True, stateful=True, weights=whole.get_weights())
    first = stateful(K.constant(x[:, :3].copy())).numpy()
    second = stateful(K.constant(x[:, 3:].copy())).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(K.constant(x[:, :3].copy())).numpy(), first, rtol=1e-6, atol=1e-6)


def test_trains_on_any_backend(backend_name):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 5, 1)).astype("float32")
    y = x.sum(axis=1)
    multinn.utils.set_random_seed(0)
    model = Sequential([CuDNNGRU(8, input_shape=(5, 1)), Dense(1)])
    model.compile(multinn.optimizers.Adam(lr=0.03), "mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * first


def test_masking_is_refused():
    model_input = np.zeros((2, 3, 4), "float32")
    with pytest.raises((TypeError, ValueError), match="mask"):
        Sequential([Masking(input_shape=(3, 4)), CuDNNLSTM(2)]).predict(model_input)
    with pytest.raises(ValueError, match="Masking is not supported"):
        CuDNNLSTM(2).call(K.constant(model_input), mask=K.constant(np.ones((2, 3))))


def test_bidirectional_wraps_cudnn(backend_name):
    from multinn.layers import Bidirectional

    x = _random((2, 4, 3))
    bi = Bidirectional(CuDNNLSTM(2, return_sequences=True), merge_mode="concat")
    out = bi(K.constant(x)).numpy()
    w = bi.get_weights()
    assert [a.shape for a in w] == [(3, 8), (2, 8), (16,)] * 2
    fwd = CuDNNLSTM(2, return_sequences=True, weights=w[:3])(K.constant(x)).numpy()
    bwd = CuDNNLSTM(2, return_sequences=True, go_backwards=True, weights=w[3:])(K.constant(x)).numpy()[:, ::-1]
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], axis=-1), rtol=1e-6, atol=1e-6)
