"""tf.keras 2's ConvLSTM1D and ConvLSTM3D against a NumPy loop of the convolutional LSTM's
formulas (the reference convolution is tests/test_ops_conv.py's direct sum over taps)."""
from __future__ import annotations

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, Dense, Flatten
from multinn.models import Sequential
from tests.layer_test import layer_test
from tests.test_ops_conv import ref_conv


def _data(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


def _hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def _reference(x, kernel, rec_kernel, bias, strides, padding, dilation, go_backwards=False):
    """The convolutional LSTM on channels-last x (n, t, *spatial, ci): (all h, [h, c])."""
    rank = x.ndim - 3
    f = rec_kernel.shape[-2]
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    h = c = None
    outputs = []
    for t in steps:
        zx = ref_conv(x[:, t].astype(np.float64), kernel, strides, padding, dilation) + bias
        if h is None:
            h = c = np.zeros(zx.shape[:-1] + (f,))
        z = zx + ref_conv(h, rec_kernel, (1,) * rank, "same", (1,) * rank)
        i, fg, cc, o = (z[..., g * f:(g + 1) * f] for g in range(4))
        c = _hard_sigmoid(fg) * c + _hard_sigmoid(i) * np.tanh(cc)
        h = _hard_sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), [h, c]


def _weights(layer):
    kernel, rec, *bias = layer.get_weights()
    return kernel, rec, (bias[0] if bias else 0.0)


def _to_first(a, time_axis=True):
    """channels_last (n, t, *spatial, c) -> (n, t, c, *spatial)."""
    return np.moveaxis(a, -1, 2 if time_axis else 1)


@pytest.mark.parametrize("cls,shape,options", [
    (ConvLSTM1D, (2, 3, 7, 2), dict(kernel_size=3, padding="valid")),
    (ConvLSTM1D, (2, 3, 7, 2), dict(kernel_size=2, padding="same", strides=2, go_backwards=True)),
    (ConvLSTM1D, (2, 3, 7, 2), dict(kernel_size=2, dilation_rate=2, use_bias=False)),
    (ConvLSTM3D, (1, 2, 4, 3, 3, 2), dict(kernel_size=2, padding="valid")),
    (ConvLSTM3D, (1, 2, 4, 3, 3, 2), dict(kernel_size=(2, 1, 2), padding="same", strides=(2, 1, 1))),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_numpy_loop(backend_name, cls, shape, options, data_format):
    x = _data(shape)
    layer = cls(3, data_format=data_format, return_sequences=True, bias_initializer="uniform", **options)
    first = data_format == "channels_first"
    given = _to_first(x) if first else x
    got = layer(K.constant(given)).numpy()
    if first:
        got = np.moveaxis(got, 2, -1)
    expected, _ = _reference(x, *_weights(layer), layer.strides, layer.padding, layer.dilation_rate,
                             go_backwards=layer.go_backwards)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert tuple(layer.compute_output_shape(given.shape)) == layer(K.constant(given)).shape


def test_defaults_weight_layout_and_return_state(backend_name):
    layer = ConvLSTM1D(4, 3, return_state=True)
    assert layer.recurrent_activation.__name__ == "hard_sigmoid" and layer.activation.__name__ == "tanh"
    assert (layer.strides, layer.padding, layer.dilation_rate) == ((1,), "valid", (1,))
    x = _data((2, 5, 8, 3), seed=1)
    out, h, c = layer(K.constant(x))
    assert out.shape == h.shape == c.shape == (2, 6, 4)
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 16), (3, 4, 16), (16,)]
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 4 + [1] * 4 + [0] * 8)  # unit_forget_bias
    _, (h_ref, c_ref) = _reference(x, *_weights(layer), (1,), "valid", (1,))
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape((None, 5, 8, 3)) == [(None, 6, 4)] * 3
    layer3 = ConvLSTM3D(2, 2)
    assert layer3(K.ones((1, 2, 3, 3, 3, 1))).shape == (1, 2, 2, 2, 2)
    assert [w.shape for w in layer3.get_weights()] == [(2, 2, 2, 1, 8), (2, 2, 2, 2, 8), (8,)]


@pytest.mark.parametrize("cls,kwargs,shape", [
    (ConvLSTM1D, dict(filters=2, kernel_size=2, padding="same"), (1, 3, 4, 2)),
    (ConvLSTM1D, dict(filters=2, kernel_size=2, data_format="channels_first", return_sequences=True), (1, 2, 2, 4)),
    (ConvLSTM1D, dict(filters=1, kernel_size=2, go_backwards=True, return_sequences=True, dropout=0.3,
                      recurrent_dropout=0.2), (2, 2, 3, 1)),
    (ConvLSTM3D, dict(filters=1, kernel_size=(2, 1, 2), padding="same"), (1, 2, 2, 3, 2, 1)),
])
def test_layer_test(backend_name, cls, kwargs, shape):
    layer_test(cls, kwargs=kwargs, input_shape=shape)


def test_config_round_trip_and_save_load(backend_name, tmp_path):
    layer = ConvLSTM3D(3, (2, 1, 2), strides=(1, 2, 1), padding="same", recurrent_activation="sigmoid",
                       return_sequences=True, return_state=True)
    config = layer.get_config()
    assert "cell" not in config and config["kernel_size"] == (2, 1, 2) and config["return_state"] is True
    assert ConvLSTM3D.from_config(config).get_config() == config
    rebuilt = multinn.layers.deserialize({"class_name": "ConvLSTM1D", "config": ConvLSTM1D(2, 3).get_config()})
    assert isinstance(rebuilt, ConvLSTM1D) and rebuilt.kernel_size == (3,)

    for cls, shape in ((ConvLSTM1D, (3, 6, 2)), (ConvLSTM3D, (2, 3, 3, 3, 1))):
        model = Sequential([cls(2, 2, input_shape=shape), Flatten(), Dense(1)])
        model.compile("sgd", "mse")
        x = _data((2,) + shape)
        model.train_on_batch(x, _data((2, 1)))
        path = str(tmp_path / f"{cls.__name__}.h5")
        model.save(path)
        loaded = multinn.models.load_model(path)
        assert isinstance(loaded.layers[0], cls)
        np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-6)


def test_stateful_halves_equal_the_whole(backend_name):
    x = _data((2, 4, 5, 1), seed=3)
    layer = ConvLSTM1D(2, 2, stateful=True, return_sequences=True)
    first = layer(K.constant(x[:, :2])).numpy()
    second = layer(K.constant(x[:, 2:])).numpy()
    expected, (_, c) = _reference(x, *_weights(layer), (1,), "valid", (1,))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-4, atol=1e-5)
    assert [tuple(s.shape) for s in layer.states] == [(2, 4, 2)] * 2
    np.testing.assert_allclose(K.get_value(layer.states[1]), c, rtol=1e-4, atol=1e-5)


def test_bad_arguments_name_what_was_received():
    with pytest.raises(ValueError, match="Received: kernel_size=\\(3, 3\\)"):
        ConvLSTM1D(2, (3, 3))
    with pytest.raises(ValueError, match="Received: strides=\\(1, 1\\)"):
        ConvLSTM3D(2, 2, strides=(1, 1))
    with pytest.raises(TypeError, match="unroll=True"):
        ConvLSTM1D(2, 2, unroll=True)
    with pytest.raises(ValueError, match="ndim=4"):
        ConvLSTM1D(2, 2)(K.ones((1, 2, 3, 3, 1)))
    assert isinstance(ConvLSTM2D(2, 2).cell, multinn.layers.ConvLSTM2DCell)
