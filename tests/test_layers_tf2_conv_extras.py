"""tf.keras 2 layers beside the Keras 2.3.1 convolutions: DepthwiseConv1D (values against a
per-channel NumPy loop), Identity, and the Convolution1DTranspose alias."""

import numpy as np
import pytest

from multinn import backend as K
from multinn import layers
from multinn.layers import Input
from multinn.models import Model, Sequential, load_model
from tests.helpers import rand
from tests.layer_test import layer_test


def ref_depthwise1d(x, kernel, bias, stride, padding, dilation):
    """(batch, steps, channels) with kernel (k, channels, multiplier): each channel on its own."""
    k, cin, mult = kernel.shape
    span = (k - 1) * dilation + 1
    steps = x.shape[1]
    if padding == "valid":
        out, lo = (steps - span) // stride + 1, 0
    else:
        out = -(-steps // stride)
        lo = max((out - 1) * stride + span - steps, 0) // 2
    y = np.zeros((x.shape[0], out, cin * mult))
    for t in range(out):
        for tap in range(k):
            i = t * stride - lo + tap * dilation
            if 0 <= i < steps:
                for c in range(cin):
                    for m in range(mult):
                        y[:, t, c * mult + m] += x[:, i, c] * kernel[tap, c, m]
    return y + bias


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": 2, "depth_multiplier": 3, "padding": "same", "strides": 2},
    {"kernel_size": 2, "depth_multiplier": 2, "dilation_rate": 2, "activation": "tanh"},
    {"kernel_size": 3, "data_format": "channels_first", "use_bias": False, "padding": "same"},
])
def test_depthwise_conv1d_layer_test(backend_name, kwargs):
    layer_test(layers.DepthwiseConv1D, kwargs, input_shape=(2, 7, 3))


@pytest.mark.parametrize("stride,padding,dilation,mult", [(1, "valid", 1, 2), (2, "same", 1, 1), (1, "same", 2, 3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_conv1d_matches_numpy(backend_name, stride, padding, dilation, mult, data_format):
    x = rand(2, 9, 3, seed=1)
    kernel, bias = rand(3, 3, mult, seed=2), rand(3 * mult, seed=3)
    layer = layers.DepthwiseConv1D(3, strides=stride, padding=padding, dilation_rate=dilation, depth_multiplier=mult,
                                   data_format=data_format)
    first = data_format == "channels_first"
    layer.build((None, 3, 9) if first else (None, 9, 3))
    layer.set_weights([kernel, bias])
    got = layer(np.swapaxes(x, 1, 2) if first else x).numpy()
    want = ref_depthwise1d(x.astype(np.float64), kernel, bias, stride, padding, dilation)
    np.testing.assert_allclose(got, np.swapaxes(want, 1, 2) if first else want, rtol=1e-5, atol=1e-5)


def test_depthwise_conv1d_config_and_errors():
    config = layers.DepthwiseConv1D(3, depth_multiplier=2).get_config()
    assert "filters" not in config and "kernel_initializer" not in config and "groups" not in config
    assert config["depth_multiplier"] == 2 and config["kernel_size"] == (3,) and config["data_format"] == "channels_last"
    assert config["depthwise_initializer"]["class_name"] == "GlorotUniform"
    with pytest.raises(ValueError, match="Received: padding='causal'"):
        layers.DepthwiseConv1D(3, padding="causal")
    with pytest.raises(ValueError, match="Received: depth_multiplier=0"):
        layers.DepthwiseConv1D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="Received: kernel_size=\\(3, 3\\)"):
        layers.DepthwiseConv1D((3, 3))


def test_depthwise_convs_save_and_load(backend_name, tmp_path):
    inputs = Input((8, 3))
    outputs = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="dw")(inputs)
    outputs = layers.Identity(name="same")(outputs)
    model = Model(inputs, outputs)
    x = rand(2, 8, 3, seed=4)
    want = model.predict(x)
    for name in ("dw.h5", "dw.keras"):
        model.save(str(tmp_path / name))
        loaded = load_model(str(tmp_path / name), compile=False)
        assert isinstance(loaded.get_layer("dw"), layers.DepthwiseConv1D)
        assert isinstance(loaded.get_layer("same"), layers.Identity)
        np.testing.assert_allclose(loaded.predict(x), want, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ Identity
def test_identity_layer_test(backend_name):
    x = rand(3, 4, 2, seed=5)
    layer_test(layers.Identity, {}, input_data=x, expected_output=x)


def test_identity_on_lists_and_masks(backend_name):
    a, b = Input((3,)), Input((2, 5))
    outs = layers.Identity()([a, b])
    model = Model([a, b], outs)
    xa, xb = rand(2, 3, seed=6), rand(2, 2, 5, seed=7)
    ya, yb = model.predict([xa, xb])
    np.testing.assert_array_equal(ya, xa)
    np.testing.assert_array_equal(yb, xb)
    seq = Input((4,))
    masked = layers.Masking(0.0)(layers.Reshape((4, 1))(seq))
    mask = layers.Identity()(masked)._keras_mask
    assert mask is not None
    # no mask in, none out: a layer that refuses masks may follow
    assert layers.Flatten()(layers.Identity()(Input((2, 3)))).shape == (None, 6)
    # gradients flow unchanged: d(sum(identity(x) * w))/dx == w
    x, w = K.variable(rand(2, 3, seed=8).astype(np.float64)), rand(2, 3, seed=9).astype(np.float64)
    with K.GradientTape() as tape:
        loss = K.sum(layers.Identity()(x) * K.constant(w))
    np.testing.assert_allclose(tape.gradient(loss, [x])[0].numpy(), w)


def test_identity_config_round_trip():
    layer = layers.Identity(name="pass", trainable=False)
    again = layers.deserialize(layers.serialize(layer))
    assert isinstance(again, layers.Identity) and again.name == "pass" and again.get_config() == layer.get_config()
    assert again.weights == []


# ------------------------------------------------------------------ aliases
def test_transpose_aliases():
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    model = Sequential([layers.Convolution1DTranspose(2, 3, strides=2, input_shape=(5, 3))])
    assert model.output_shape == (None, 11, 2)
