"""saving.preprocess_weights_for_loading: Keras 1 layouts, Theano kernels, wrappers and nested models."""
import numpy as np
import pytest

from multinn.engine import saving
from multinn.layers import GRU, LSTM, Bidirectional, Conv2D, Conv2DTranspose, ConvLSTM2D, Dense, TimeDistributed
from multinn.models import Sequential


def _keras1_gates(weights, n_gates, order):
    """Today's [kernel, recurrent, bias] split into Keras 1's per-gate triples, gates in Keras 1's order."""
    split = [np.split(w, n_gates, axis=-1) for w in weights]
    return [split[part][gate] for gate in order for part in range(3)]


@pytest.mark.parametrize("make, n_gates, order", [
    (lambda: GRU(2, input_shape=(3, 5)), 3, (0, 1, 2)),
    (lambda: LSTM(2, input_shape=(3, 5)), 4, (0, 2, 1, 3)),  # Keras 1: i, c, f, o
])
def test_keras1_recurrent_gates_are_joined(make, n_gates, order):
    layer = make()
    Sequential([layer])
    weights = layer.get_weights()
    converted = saving.preprocess_weights_for_loading(layer, _keras1_gates(weights, n_gates, order), original_keras_version="1")
    assert len(converted) == 3
    for got, want in zip(converted, weights):
        np.testing.assert_array_equal(got, want)
    # Today's layout passes through unchanged.
    same = saving.preprocess_weights_for_loading(layer, weights)
    for got, want in zip(same, weights):
        np.testing.assert_array_equal(got, want)


def test_keras1_conv_lstm_channels_first():
    layer = ConvLSTM2D(5, (3, 3), input_shape=(6, 6, 6, 6), data_format="channels_first")
    Sequential([layer])
    weights = layer.get_weights()
    old = _keras1_gates(weights, 4, (0, 2, 1, 3))
    converted = saving.preprocess_weights_for_loading(layer, old, original_keras_version="1")
    for got, want in zip(converted, weights):
        np.testing.assert_array_equal(got, want)


def test_keras1_kernels_and_nested_models():
    conv = Conv2D(2, (3, 3), input_shape=(5, 5, 3), data_format="channels_first")
    Sequential([conv])
    kernel, bias = conv.get_weights()
    old = [np.transpose(kernel, (3, 2, 0, 1)), bias]  # Keras 1: (filters, channels, rows, cols)
    got = saving.preprocess_weights_for_loading(conv, old, original_keras_version="1")
    np.testing.assert_array_equal(got[0], kernel)

    deconv = Conv2DTranspose(2, (5, 5), input_shape=(7, 7, 3), data_format="channels_first")
    model = Sequential([deconv, Dense(3)])
    weights = model.get_weights()
    old = [np.transpose(weights[0], (2, 3, 0, 1))] + weights[1:]
    got = saving.preprocess_weights_for_loading(model, old, original_keras_version="1")
    assert len(got) == len(weights)
    for g, w in zip(got, weights):
        np.testing.assert_array_equal(g, w)


def test_wrappers_convert_their_inner_layers():
    bi = Bidirectional(GRU(2), input_shape=(3, 4))
    Sequential([bi])
    weights = bi.get_weights()
    old = _keras1_gates(weights[:3], 3, (0, 1, 2)) + _keras1_gates(weights[3:], 3, (0, 1, 2))
    got = saving.preprocess_weights_for_loading(bi, old, original_keras_version="1")
    for g, w in zip(got, weights):
        np.testing.assert_array_equal(g, w)

    td = TimeDistributed(Conv2D(2, (3, 3), data_format="channels_first"), input_shape=(2, 3, 5, 5))
    Sequential([td])
    kernel, bias = td.get_weights()
    got = saving.preprocess_weights_for_loading(td, [np.transpose(kernel, (3, 2, 0, 1)), bias], original_keras_version="1")
    np.testing.assert_array_equal(got[0], kernel)


def test_theano_kernels_are_flipped_and_reshape_checks_size():
    conv = Conv2D(2, (3, 3), input_shape=(5, 5, 1))
    Sequential([conv])
    kernel, bias = conv.get_weights()
    got = saving.preprocess_weights_for_loading(conv, [kernel[::-1, ::-1], bias], original_backend="theano")
    np.testing.assert_array_equal(got[0], kernel)
    got = saving.preprocess_weights_for_loading(conv, [kernel.reshape(9, 2), bias], reshape=True)
    np.testing.assert_array_equal(got[0], kernel)
    with pytest.raises(ValueError, match="equal size to apply a reshape"):
        saving.preprocess_weights_for_loading(conv, [np.zeros((4, 2)), bias], reshape=True)


def test_keras1_conv1d_layouts():
    from multinn.layers import Conv1D

    conv = Conv1D(4, 3, input_shape=(10, 2))
    Sequential([conv])
    kernel, bias = conv.get_weights()  # (length, channels, filters)
    keras12 = kernel[:, None, :, :]  # (length, 1, channels, filters)
    keras11 = np.transpose(keras12, (3, 2, 0, 1))  # (filters, channels, length, 1)
    for old in (keras12, keras11):
        got = saving.preprocess_weights_for_loading(conv, [old, bias], original_keras_version="1")
        np.testing.assert_array_equal(got[0], kernel)
