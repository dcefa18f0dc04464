"""The convolutional family through layer_test, plus Keras 2 specifics: shapes with None,
values against K, aliases, argument errors."""

import numpy as np
import pytest

from multinn import backend as K
from multinn import layers
from multinn.layers import Input
from multinn.models import Model, Sequential
from tests.helpers import rand
from tests.layer_test import layer_test


# ------------------------------------------------------------------ convolutions
@pytest.mark.parametrize("kwargs", [
    {"filters": 2, "kernel_size": 3},
    {"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2, "activation": "tanh"},
    {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False},
    {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
])
def test_conv1d(backend_name, kwargs):
    layer_test(layers.Conv1D, kwargs, input_shape=(2, 6, 3))


@pytest.mark.parametrize("cls", [layers.Conv1D, layers.LocallyConnected1D])
def test_conv1d_input_dim_and_input_length(cls):
    # Keras 2's Conv1D and LocallyConnected1D read input_dim (and input_length) as input_shape (length, dim)
    # and warn that this is the Keras 1 spelling.
    with pytest.warns(UserWarning, match="Keras 1"):
        model = Sequential([cls(2, 3, input_dim=4, input_length=7)])
    assert model.input_shape == (None, 7, 4) and model.output_shape == (None, 5, 2)
    with pytest.warns(UserWarning, match="Keras 1"):
        assert Sequential([layers.Conv1D(2, 3, input_dim=4)]).input_shape == (None, None, 4)


@pytest.mark.parametrize("kwargs", [
    {"filters": 2, "kernel_size": (3, 2)},
    {"filters": 2, "kernel_size": 3, "strides": (2, 1), "padding": "same", "activation": "relu"},
    {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1), "data_format": "channels_first"},
    {"filters": 1, "kernel_size": 2, "kernel_regularizer": "l2", "bias_regularizer": "l1",
     "activity_regularizer": "l2", "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
])
def test_conv2d(backend_name, kwargs):
    layer_test(layers.Conv2D, kwargs, input_shape=(2, 5, 4, 2))


def test_conv3d(backend_name):
    layer_test(layers.Conv3D, {"filters": 2, "kernel_size": 2}, input_shape=(1, 3, 3, 3, 2))
    layer_test(layers.Conv3D, {"filters": 1, "kernel_size": 2, "padding": "same", "strides": 2,
                               "data_format": "channels_first"}, input_shape=(1, 2, 3, 2, 3))


def test_conv2d_matches_k_conv2d_plus_bias(backend_name):
    layer = layers.Conv2D(3, 2, padding="same", bias_initializer="ones", data_format="channels_first")
    x = K.constant(rand(2, 2, 4, 5, seed=1))
    out = layer(x)
    want = K.bias_add(K.conv2d(x, layer.kernel, padding="same", data_format="channels_first"), layer.bias,
                      data_format="channels_first")
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel:0", "bias:0"]
    assert layer.kernel.shape == (2, 2, 2, 3)


@pytest.mark.parametrize("activation,reference", [("relu", lambda v: np.maximum(v, 0)), ("tanh", np.tanh)])
def test_conv_layers_fuse_relu_and_tanh_with_the_same_results(backend_name, activation, reference):
    # the fused pass (K.conv_nd's activation) gives what conv, bias_add and the activation give
    for layer, x in [(layers.Conv2D(4, 3, padding="same", activation=activation, bias_initializer="uniform"),
                      rand(3, 5, 6, 2, seed=2)),
                     (layers.Conv1D(3, 2, strides=2, activation=activation, data_format="channels_first"),
                      rand(2, 3, 7, seed=3))]:
        x = K.variable(x)
        with K.GradientTape() as tape:
            out = layer(x)
            loss = K.sum(out * K.constant(rand(*out.shape, seed=4)))
        grads = tape.gradient(loss, [x, layer.kernel, layer.bias])
        first = layer.data_format == "channels_first"
        conv = (K.conv1d if layer.rank == 1 else K.conv2d)(
            x, layer.kernel, layer.strides if layer.rank == 2 else layer.strides[0], layer.padding, layer.data_format)
        pre = K.bias_add(conv, layer.bias, data_format=layer.data_format).numpy()
        np.testing.assert_allclose(out.numpy(), reference(pre), rtol=1e-5, atol=1e-6)
        # the gradient by hand in NumPy: the activation's derivative, then the convolution's adjoints
        weight = rand(*out.shape, seed=4)
        dz = weight * ((pre > 0) if activation == "relu" else 1 - np.tanh(pre) ** 2)
        np.testing.assert_allclose(grads[2].numpy(), dz.sum(axis=(0, 2) if first else tuple(range(dz.ndim - 1))),
                                   rtol=1e-4, atol=1e-5)
        with K.GradientTape() as tape:
            want = K.sum(K.conv1d(x, layer.kernel, layer.strides[0], layer.padding, layer.data_format)
                         * K.constant(dz)) if layer.rank == 1 else K.sum(
                K.conv2d(x, layer.kernel, layer.strides, layer.padding, layer.data_format) * K.constant(dz))
        want_grads = tape.gradient(want, [x, layer.kernel])
        for got, expected in zip(grads[:2], want_grads):
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"filters": 2, "kernel_size": 3},
    {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
    {"filters": 2, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
])
def test_conv2d_transpose(backend_name, kwargs):
    layer_test(layers.Conv2DTranspose, kwargs, input_shape=(2, 3, 4, 2))


def test_conv1d_and_conv3d_transpose(backend_name):
    layer_test(layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}, input_shape=(2, 4, 3))
    layer_test(layers.Conv3DTranspose, {"filters": 1, "kernel_size": 2, "strides": 2, "padding": "same"},
               input_shape=(1, 2, 2, 2, 2))


def test_conv_transpose_shapes_follow_keras(backend_name):
    assert layers.Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 7, None, 3)) == (None, 15, None, 4)
    assert layers.Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape((5, 7, 6, 3)) == (5, 14, 12, 4)
    assert layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1).compute_output_shape(
        (5, 7, 6, 3)) == (5, 14, 12, 4)
    assert layers.Conv2DTranspose(4, 3, strides=2, output_padding=(0, 1)).compute_output_shape(
        (5, 7, 6, 3)) == (5, 15, 14, 4)
    with pytest.raises(ValueError, match="output padding"):
        layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)


def test_depthwise_conv2d(backend_name):
    layer_test(layers.DepthwiseConv2D, {"kernel_size": 2, "depth_multiplier": 2}, input_shape=(2, 4, 3, 2))
    layer_test(layers.DepthwiseConv2D, {"kernel_size": 3, "padding": "same", "data_format": "channels_first",
                                        "use_bias": False}, input_shape=(1, 2, 4, 4))
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2)
    layer.build((None, 5, 5, 3))
    assert layer.depthwise_kernel.shape == (3, 3, 3, 2) and layer.bias.shape == (6,)
    assert "depthwise_initializer" in layer.get_config() and "filters" not in layer.get_config()


def test_separable_convs(backend_name):
    layer_test(layers.SeparableConv1D, {"filters": 2, "kernel_size": 3, "depth_multiplier": 2},
               input_shape=(2, 5, 2))
    layer_test(layers.SeparableConv2D, {"filters": 2, "kernel_size": 2, "padding": "same", "strides": 2},
               input_shape=(1, 4, 5, 2))
    layer = layers.SeparableConv2D(4, 3, depth_multiplier=2)
    layer.build((None, 6, 6, 3))
    assert [w.shape for w in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]


def test_conv_errors_and_aliases():
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.Conv2D(2, 3, data_format="channels_first").build((None, None, 5, 5))
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution1D is layers.Conv1D
    assert layers.Deconvolution2D is layers.Conv2DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


def test_conv_shapes_with_unknown_spatial_sizes(backend_name):
    x = Input(shape=(None, None, 3))
    y = layers.Conv2D(4, 3, strides=2)(x)
    assert tuple(y.shape) == (None, None, None, 4)
    y = layers.MaxPooling2D()(y)
    model = Model(x, layers.GlobalAveragePooling2D()(y))
    assert model.predict(rand(2, 11, 9, 3)).shape == (2, 4)
    assert layers.Conv1D(2, 3, padding="causal").compute_output_shape((None, None, 5)) == (None, None, 2)


# ------------------------------------------------------------------ pooling
@pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
def test_pooling1d(backend_name, cls):
    layer_test(cls, {}, input_shape=(2, 5, 3))
    layer_test(cls, {"pool_size": 3, "strides": 1, "padding": "same"}, input_shape=(2, 5, 3))


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
def test_pooling2d(backend_name, cls):
    layer_test(cls, {"pool_size": (2, 2)}, input_shape=(2, 5, 4, 2))
    layer_test(cls, {"pool_size": 3, "strides": (2, 1), "padding": "same", "data_format": "channels_first"},
               input_shape=(1, 2, 5, 4))


@pytest.mark.parametrize("cls", [layers.MaxPooling3D, layers.AveragePooling3D])
def test_pooling3d(backend_name, cls):
    layer_test(cls, {"pool_size": 2}, input_shape=(1, 4, 3, 4, 2))


def test_max_pooling_values(backend_name):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    out = layers.MaxPooling2D()(K.constant(x)).numpy()
    np.testing.assert_array_equal(out[0, :, :, 0], [[5, 7], [13, 15]])
    out = layers.AveragePooling2D(padding="same", strides=3)(K.constant(x)).numpy()
    # windows at rows/cols {0,1} and {3}: padding after is not counted
    np.testing.assert_allclose(out[0, :, :, 0], [[2.5, 5.0], [12.5, 15.0]])


@pytest.mark.parametrize("cls", [layers.GlobalMaxPooling1D, layers.GlobalAveragePooling1D])
def test_global_pooling1d(backend_name, cls):
    layer_test(cls, {}, input_shape=(2, 4, 3))
    layer_test(cls, {"data_format": "channels_first"}, input_shape=(2, 4, 3))


@pytest.mark.parametrize("cls", [layers.GlobalMaxPooling2D, layers.GlobalAveragePooling2D,
                                 layers.GlobalMaxPooling3D, layers.GlobalAveragePooling3D])
def test_global_pooling_nd(backend_name, cls):
    rank = 3 if cls.__name__.endswith("3D") else 2
    shape = (2,) + (3,) * rank + (2,)
    out = layer_test(cls, {}, input_shape=shape)
    assert out.shape == (2, 2)
    layer_test(cls, {"data_format": "channels_first"}, input_shape=shape)


def test_global_average_pooling1d_masked(backend_name):
    x = K.constant(np.arange(12, dtype=np.float32).reshape(2, 3, 2))
    mask = K.constant(np.array([[1, 1, 0], [1, 0, 0]], dtype=bool))
    out = layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[1.0, 2.0], [6.0, 7.0]])


def test_pooling_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    # Keras 2 keeps the 1-D sizes as 1-tuples in the config, like Conv1D's kernel_size.
    config = layers.MaxPooling1D(3, strides=2).get_config()
    assert config["pool_size"] == (3,) and config["strides"] == (2,)
    assert layers.MaxPooling1D.from_config(config).pool_size == (3,)
    assert layers.MaxPooling2D(strides=None).strides == (2, 2)


# ------------------------------------------------------------------ locally connected
def test_locally_connected1d(backend_name):
    layer_test(layers.LocallyConnected1D, {"filters": 2, "kernel_size": 3, "strides": 2}, input_shape=(2, 7, 2))
    layer_test(layers.LocallyConnected1D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first",
                                           "use_bias": False}, input_shape=(2, 2, 4))


def test_locally_connected2d(backend_name):
    layer_test(layers.LocallyConnected2D, {"filters": 2, "kernel_size": 2}, input_shape=(2, 3, 4, 2))
    layer_test(layers.LocallyConnected2D, {"filters": 2, "kernel_size": 2, "strides": 2,
                                           "data_format": "channels_first"}, input_shape=(1, 2, 4, 3))
    layer = layers.LocallyConnected2D(3, (2, 2))
    layer.build((None, 5, 4, 2))
    assert layer.kernel.shape == (4 * 3, 8, 3) and layer.bias.shape == (4, 3, 3)
    with pytest.raises(ValueError, match="valid"):
        layers.LocallyConnected2D(3, 2, padding="same")
    with pytest.raises(ValueError, match="fully defined"):
        layers.LocallyConnected2D(3, 2).build((None, None, 4, 2))


def test_locally_connected_differs_per_position(backend_name):
    layer = layers.LocallyConnected1D(1, 1, kernel_initializer="ones", use_bias=False)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([[[1.0]], [[2.0]], [[3.0]]], dtype=np.float32)])
    out = layer(K.ones((1, 3, 1))).numpy()
    np.testing.assert_allclose(out[0, :, 0], [1.0, 2.0, 3.0])


# ------------------------------------------------------------------ upsampling, padding, cropping
def test_upsampling(backend_name):
    out = layer_test(layers.UpSampling1D, {"size": 3}, input_shape=(2, 2, 3))
    assert out.shape == (2, 6, 3)
    layer_test(layers.UpSampling2D, {"size": (2, 3)}, input_shape=(1, 2, 2, 2))
    layer_test(layers.UpSampling2D, {"size": 2, "data_format": "channels_first", "interpolation": "bilinear"},
               input_shape=(1, 2, 2, 3))
    layer_test(layers.UpSampling3D, {"size": (1, 2, 2)}, input_shape=(1, 2, 2, 2, 1))
    x = np.array([[[[1.0], [2.0]]]], dtype=np.float32)
    np.testing.assert_array_equal(layers.UpSampling2D((1, 2))(K.constant(x)).numpy()[0, 0, :, 0], [1, 1, 2, 2])


def test_zero_padding(backend_name):
    layer_test(layers.ZeroPadding1D, {"padding": (1, 2)}, input_shape=(2, 3, 2))
    layer_test(layers.ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, input_shape=(1, 2, 3, 2))
    layer_test(layers.ZeroPadding2D, {"padding": 1, "data_format": "channels_first"}, input_shape=(1, 2, 2, 3))
    layer_test(layers.ZeroPadding3D, {"padding": (1, 0, 1)}, input_shape=(1, 2, 2, 2, 1))
    out = layers.ZeroPadding2D((1, 2))(K.ones((1, 2, 2, 1))).numpy()
    assert out.shape == (1, 4, 6, 1) and out.sum() == 4 and out[0, 1, 2, 0] == 1
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding2D((1, 2, 3))


def test_cropping(backend_name):
    layer_test(layers.Cropping1D, {"cropping": (1, 2)}, input_shape=(2, 5, 2))
    layer_test(layers.Cropping2D, {"cropping": ((1, 0), (0, 2))}, input_shape=(1, 3, 4, 2))
    layer_test(layers.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, input_shape=(1, 2, 4, 3))
    layer_test(layers.Cropping3D, {"cropping": ((1, 0), (0, 1), (1, 1))}, input_shape=(1, 3, 3, 4, 1))
    x = np.arange(20, dtype=np.float32).reshape(1, 4, 5, 1)
    out = layers.Cropping2D(((1, 2), (2, 1)))(K.constant(x)).numpy()
    np.testing.assert_array_equal(out[0, :, :, 0], x[0, 1:2, 2:4, 0])
    assert layers.Cropping2D(((1, 1), (2, 2))).compute_output_shape((None, None, 7, 3)) == (None, None, 3, 3)


def test_cropping_everything_gives_an_empty_output_and_more_is_an_error(backend_name):
    x = K.constant(np.ones((2, 4, 3), np.float32))
    assert tuple(layers.Cropping1D((2, 2))(x).shape) == (2, 0, 3)  # Keras 2.3.1 allows it
    with pytest.raises(ValueError, match="more than an input"):
        layers.Cropping1D((3, 2))(x)


# ------------------------------------------------------------------ spatial dropout
@pytest.mark.parametrize("cls,shape", [(layers.SpatialDropout1D, (2, 4, 3)), (layers.SpatialDropout2D, (2, 3, 3, 2)),
                                       (layers.SpatialDropout3D, (1, 2, 2, 2, 3))])
def test_spatial_dropout(backend_name, cls, shape):
    layer_test(cls, {"rate": 0.5}, input_shape=shape)
    x = K.ones((8,) + shape[1:])
    out = cls(0.5, seed=3)(x, training=True).numpy()
    flat = out.reshape(8, -1, shape[-1])
    # each channel of each sample is dropped or kept whole
    assert np.all((flat == 0).all(axis=1) | (flat == 2).all(axis=1))
    assert 0 < (flat == 0).mean() < 1
    np.testing.assert_array_equal(cls(0.5)(x).numpy(), x.numpy())


def test_spatial_dropout_is_a_dropout():
    assert isinstance(layers.SpatialDropout2D(0.5), layers.Dropout)
    assert layers.SpatialDropout3D(0.2, data_format="channels_first").get_config()["data_format"] == "channels_first"


def test_spatial_dropout2d_channels_first(backend_name):
    out = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(K.ones((4, 6, 3, 3)), training=True)
    maps = out.numpy().reshape(4, 6, 9)
    assert np.all((maps == 0).all(axis=2) | (maps == 2).all(axis=2))


# ------------------------------------------------------------------ Keras 2 parameter counts
@pytest.mark.parametrize("make, input_shape, params, output_shape", [
    (lambda: layers.Conv2D(32, (3, 3)), (28, 28, 1), 3 * 3 * 1 * 32 + 32, (None, 26, 26, 32)),
    (lambda: layers.Conv2D(8, 3, data_format="channels_first", padding="same", strides=2), (3, 9, 9),
     3 * 3 * 3 * 8 + 8, (None, 8, 5, 5)),
    (lambda: layers.Conv1D(16, 5, use_bias=False), (20, 4), 5 * 4 * 16, (None, 16, 16)),
    (lambda: layers.SeparableConv2D(16, 3, depth_multiplier=2), (10, 10, 3), 3 * 3 * 3 * 2 + 6 * 16 + 16,
     (None, 8, 8, 16)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (10, 10, 3), 3 * 3 * 3 * 2 + 6, (None, 8, 8, 6)),
    (lambda: layers.Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=1), (5, 5, 3),
     3 * 3 * 8 * 3 + 8, (None, 10, 10, 8)),
    (lambda: layers.Conv2DTranspose(8, 3, strides=2), (5, 5, 3), 3 * 3 * 8 * 3 + 8, (None, 11, 11, 8)),
    (lambda: layers.LocallyConnected2D(4, 3), (6, 6, 2), 16 * (3 * 3 * 2 * 4) + 16 * 4, (None, 4, 4, 4)),
    (lambda: layers.BatchNormalization(axis=1), (3, 5, 5), 4 * 3, (None, 3, 5, 5)),
])
def test_keras2_parameter_counts(make, input_shape, params, output_shape):
    model = Sequential([make()])
    model.build((None,) + input_shape)
    assert model.count_params() == params
    assert model.output_shape == output_shape
