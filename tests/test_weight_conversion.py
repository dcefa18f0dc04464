"""preprocess_weights_for_loading: Keras 1 layouts, Theano kernels, CuDNN <-> plain RNN weights,
checked against NumPy rearrangements written here and against the layers' own outputs."""
import numpy as np
import pytest

from multinn.engine.saving import preprocess_weights_for_loading
from multinn.layers import GRU, LSTM, Bidirectional, Conv2D, CuDNNGRU, CuDNNLSTM, TimeDistributed
from multinn.models import Sequential

RNG = np.random.default_rng(0)


def _built(layer, input_shape):
    Sequential([layer]).build((None,) + tuple(input_shape))
    return layer


def test_keras1_lstm_gates_are_stacked_in_keras2_order(backend_name):
    layer = _built(LSTM(2), (3, 4))
    per_gate = [RNG.random(s) for _ in range(4) for s in [(4, 2), (2, 2), (2,)]]  # Keras 1: i, c, f, o
    got = preprocess_weights_for_loading(layer, per_gate, original_keras_version="1")
    order = [0, 2, 1, 3]  # Keras 2 stacks i, f, c, o
    for j in range(3):
        np.testing.assert_array_equal(got[j], np.concatenate([per_gate[3 * g + j] for g in order], axis=-1))


def test_keras1_gru_gates_are_stacked():
    layer = _built(GRU(2), (3, 4))
    per_gate = [RNG.random(s) for _ in range(3) for s in [(4, 2), (2, 2), (2,)]]
    got = preprocess_weights_for_loading(layer, per_gate, original_keras_version="1")
    for j in range(3):
        np.testing.assert_array_equal(got[j], np.concatenate([per_gate[3 * g + j] for g in range(3)], axis=-1))


def test_keras1_channels_first_conv_kernel_is_transposed():
    layer = _built(Conv2D(5, (3, 2), data_format="channels_first"), (4, 8, 8))
    old = RNG.random((5, 4, 3, 2))  # (filters, stack, rows, cols)
    got = preprocess_weights_for_loading(layer, [old, np.zeros(5)], original_keras_version="1")
    np.testing.assert_array_equal(got[0], np.transpose(old, (2, 3, 1, 0)))


def test_theano_kernels_are_flipped_and_others_are_not(backend_name):
    layer = _built(Conv2D(2, (3, 3)), (5, 5, 1))
    kernel = RNG.random((3, 3, 1, 2)).astype(np.float32)
    flipped = preprocess_weights_for_loading(layer, [kernel, np.zeros(2)], "2.3.1", "theano")[0]
    np.testing.assert_array_equal(flipped, kernel[::-1, ::-1, :, :])
    same = preprocess_weights_for_loading(layer, [kernel, np.zeros(2)], "2.3.1", "tensorflow")[0]
    np.testing.assert_array_equal(same, kernel)


def test_current_weights_come_back_unchanged():
    for layer in (_built(LSTM(3), (2, 4)), _built(GRU(3, reset_after=True), (2, 4)), _built(GRU(3), (2, 4))):
        weights = layer.get_weights()
        for a, b in zip(weights, preprocess_weights_for_loading(layer, weights)):
            np.testing.assert_array_equal(a, b)


def _from_cudnn_reference(weights, gates, lstm):
    # cuDNN reads each gate's (input, units) kernel as a (units, input) row-major block and each
    # recurrent kernel transposed; LSTM's two biases act summed, GRU's stay as two rows
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in weights)
    k = np.hstack([g.T.reshape(g.shape, order="F") for g in np.hsplit(kernel, gates)])
    r = np.hstack([g.T for g in np.hsplit(recurrent, gates)])
    b = bias[: bias.size // 2] + bias[bias.size // 2:] if lstm else bias.reshape(2, -1)
    return [k, r, b]


@pytest.mark.parametrize("cudnn_cls,plain,gates", [
    (CuDNNLSTM, lambda: LSTM(3, recurrent_activation="sigmoid"), 4),
    (CuDNNGRU, lambda: GRU(3, recurrent_activation="sigmoid", reset_after=True), 3),
])
def test_cudnn_weights_convert_to_plain_and_back(backend_name, cudnn_cls, plain, gates):
    cudnn_weights = [RNG.normal(size=w.shape).astype(np.float32) for w in _built(cudnn_cls(3), (5, 4)).get_weights()]
    target = _built(plain(), (5, 4))
    converted = preprocess_weights_for_loading(target, cudnn_weights)
    expected = _from_cudnn_reference(cudnn_weights, gates, lstm=gates == 4)
    for got, want in zip(converted, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    back = preprocess_weights_for_loading(_built(cudnn_cls(3), (5, 4)), converted)
    np.testing.assert_allclose(back[0], cudnn_weights[0], rtol=1e-6)
    np.testing.assert_allclose(back[1], cudnn_weights[1], rtol=1e-6)
    # an LSTM's bias split in two halves keeps their sum; a GRU's comes back as it was
    if gates == 4:
        np.testing.assert_allclose(back[2][:12] + back[2][12:], expected[2], rtol=1e-6)
    else:
        np.testing.assert_allclose(back[2], cudnn_weights[2], rtol=1e-6)


def test_cudnn_gru_weights_refused_for_a_gru_without_reset_after():
    weights = _built(CuDNNGRU(2), (3, 4)).get_weights()
    with pytest.raises(ValueError, match="not compatible"):
        preprocess_weights_for_loading(_built(GRU(2), (3, 4)), weights)


def test_wrappers_and_nested_models_convert_their_inner_layers():
    bi = _built(Bidirectional(LSTM(2, recurrent_activation="sigmoid")), (3, 4))
    cudnn = _built(Bidirectional(CuDNNLSTM(2)), (3, 4)).get_weights()
    got = preprocess_weights_for_loading(bi, cudnn)
    assert [w.shape for w in got] == [tuple(w.shape) for w in bi.weights]
    td = _built(TimeDistributed(Conv2D(2, (2, 2), data_format="channels_first")), (3, 1, 4, 4))
    old = RNG.random((2, 1, 2, 2))
    got = preprocess_weights_for_loading(td, [old, np.zeros(2)], original_keras_version="1")
    np.testing.assert_array_equal(got[0], np.transpose(old, (2, 3, 1, 0)))
    inner = Sequential([LSTM(2, input_shape=(3, 4), recurrent_activation="sigmoid")])
    cudnn_model = Sequential([CuDNNLSTM(2, input_shape=(3, 4))])
    got = preprocess_weights_for_loading(inner, cudnn_model.get_weights())
    assert [w.shape for w in got] == [tuple(w.shape) for w in inner.weights]
