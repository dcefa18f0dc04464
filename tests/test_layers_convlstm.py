"""ConvLSTM2D / ConvLSTM2DCell against a NumPy loop of Keras 2.3.1's formulas.

The reference convolution is a direct sum over kernel taps (TF's 'same' placement: the
odd padding goes after), written independently of K.conv2d.
"""
from __future__ import annotations

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import ConvLSTM2D, ConvLSTM2DCell, Dense, Flatten, Input
from multinn.models import Model, Sequential
from tests.layer_test import layer_test


def _data(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


def _conv(x, w, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Channels-last 2-D cross-correlation: x (n, r, c, ci), w (kh, kw, ci, co)."""
    kh, kw = w.shape[:2]
    pads = []
    for n, k, s, d in zip(x.shape[1:3], (kh, kw), strides, dilation):
        span = (k - 1) * d + 1
        if padding == "valid":
            pads.append((0, 0))
            continue
        out = -(-n // s)
        total = max((out - 1) * s + span - n, 0)
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    rows = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    cols = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out = np.zeros((x.shape[0], rows, cols, w.shape[3]))
    for a in range(kh):
        for b in range(kw):
            r0, c0 = a * dilation[0], b * dilation[1]
            patch = xp[:, r0:r0 + (rows - 1) * strides[0] + 1:strides[0], c0:c0 + (cols - 1) * strides[1] + 1:strides[1]]
            out += patch @ w[a, b]
    return out


def _hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def _reference(x, kernel, rec_kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1),
               go_backwards=False, mask=None, ract=_hard_sigmoid):
    """Keras 2's ConvLSTM2D on channels-last x (n, t, r, c, ci): (last h, all h, [h, c])."""
    f = rec_kernel.shape[2]
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    h = c = None
    outputs = []
    for t in steps:
        zx = _conv(x[:, t].astype(np.float64), kernel, strides, padding, dilation) + bias
        if h is None:
            h = c = np.zeros(zx.shape[:3] + (f,))
        z = zx + _conv(h, rec_kernel, padding="same")
        i, fg, cc, o = (z[..., g * f:(g + 1) * f] for g in range(4))
        c_new = ract(fg) * c + ract(i) * np.tanh(cc)
        h_new = ract(o) * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t][:, None, None, None]
            prev = outputs[-1] if outputs else np.zeros_like(h_new)
            out = np.where(keep, h_new, prev)
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        else:
            out, h, c = h_new, h_new, c_new
        outputs.append(out)
    return outputs[-1], np.stack(outputs, axis=1), [h, c]


def _weights(layer):
    kernel, rec, *bias = layer.get_weights()
    return kernel, rec, (bias[0] if bias else 0.0)


CASES = [
    dict(padding="valid"),
    dict(padding="same", go_backwards=True),
    dict(padding="same", strides=(2, 1)),
    dict(padding="valid", dilation_rate=(2, 1), use_bias=False),
]


@pytest.mark.parametrize("options", CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_numpy_loop(backend_name, options, data_format):
    x = _data((2, 3, 6, 5, 2))
    layer = ConvLSTM2D(3, (3, 2), data_format=data_format, return_sequences=True,
                       bias_initializer="uniform", **options)
    given = x if data_format == "channels_last" else np.transpose(x, (0, 1, 4, 2, 3))
    got = layer(K.constant(given)).numpy()
    if data_format == "channels_first":
        got = np.transpose(got, (0, 1, 3, 4, 2))
    kernel, rec, bias = _weights(layer)
    _, expected, _ = _reference(x, kernel, rec, bias, layer.strides, layer.padding, layer.dilation_rate,
                                go_backwards=layer.go_backwards)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape(given.shape) == layer(K.constant(given)).shape


def test_mask_keeps_states_and_repeats_outputs(backend_name):
    x = _data((3, 4, 4, 4, 1), seed=1)
    mask = np.array([[1, 1, 1, 1], [1, 0, 1, 0], [0, 1, 1, 1]], dtype=bool)
    layer = ConvLSTM2D(2, 2, padding="same", return_sequences=True)
    got = layer(K.constant(x), mask=K.constant(mask, dtype="bool")).numpy()
    _, expected, _ = _reference(x, *_weights(layer), padding="same", mask=mask)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_mask(K.constant(x), K.constant(mask, dtype="bool")) is not None
    assert ConvLSTM2D(2, 2).compute_mask(K.constant(x), K.constant(mask, dtype="bool")) is None


def test_defaults_weight_layout_and_output_shapes():
    layer = ConvLSTM2D(4, 3)
    assert layer.recurrent_activation.__name__ == "hard_sigmoid"  # Keras 2.3.1 kept it for ConvLSTM2D
    assert layer.activation.__name__ == "tanh"
    assert (layer.strides, layer.padding, layer.dilation_rate) == ((1, 1), "valid", (1, 1))
    assert layer.unit_forget_bias and layer.use_bias and not layer.stateful
    assert isinstance(layer.cell, ConvLSTM2DCell) and layer.cell.state_size == (4, 4)
    out = layer(K.ones((2, 5, 8, 7, 3)))
    assert out.shape == (2, 6, 5, 4)
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 3, 16), (3, 3, 4, 16), (16,)]
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 4 + [1] * 4 + [0] * 8)
    shapes = {
        (None, 5, 8, 7, 3): ConvLSTM2D(4, 3, return_sequences=True).compute_output_shape((None, 5, 8, 7, 3)),
        (None, 5, 3, 8, 7): ConvLSTM2D(4, 3, strides=2, padding="same", data_format="channels_first")
        .compute_output_shape((None, 5, 3, 8, 7)),
    }
    assert shapes[(None, 5, 8, 7, 3)] == (None, 5, 6, 5, 4)
    assert shapes[(None, 5, 3, 8, 7)] == (None, 4, 4, 4)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(filters=2, kernel_size=2, padding="same"), (1, 2, 3, 3, 1)),
    (dict(filters=2, kernel_size=(2, 1), data_format="channels_first", return_sequences=True), (1, 2, 1, 3, 3)),
    (dict(filters=1, kernel_size=2, go_backwards=True, return_sequences=True, dropout=0.3,
          recurrent_dropout=0.2), (2, 2, 3, 3, 1)),
])
def test_layer_test(backend_name, kwargs, shape):
    layer_test(ConvLSTM2D, kwargs=kwargs, input_shape=shape)


def test_gradients_float64_wrt_input_and_weights(backend_name):
    layer = ConvLSTM2D(2, 2, padding="same", recurrent_activation="sigmoid", return_sequences=True,
                       bias_initializer="uniform", dtype="float64")
    cell = layer.cell
    x = _data((1, 2, 3, 3, 1), seed=2).astype(np.float64)
    layer(K.constant(x, dtype="float64"))
    start = [K.get_value(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]

    def f(xt, kernel, rec, bias):
        saved = cell.kernel, cell.recurrent_kernel, cell.bias
        cell.kernel, cell.recurrent_kernel, cell.bias = kernel, rec, bias
        try:
            return layer.call(xt)
        finally:
            cell.kernel, cell.recurrent_kernel, cell.bias = saved

    K.check_gradients(f, [x] + start, atol=1e-6, rtol=1e-5)


def test_dropout_only_in_training_and_constant_over_time(backend_name):
    x = np.ones((2, 3, 4, 4, 1), "float32")
    layer = ConvLSTM2D(2, 2, padding="same", dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    inference = layer(K.constant(x)).numpy()
    _, expected, _ = _reference(x, *_weights(layer), padding="same")
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-5)
    training = layer(K.constant(x), training=True).numpy()
    assert not np.allclose(training, inference)


def test_config_round_trip_and_save_load(backend_name, tmp_path):
    layer = ConvLSTM2D(3, (2, 3), strides=(1, 2), padding="same", data_format="channels_last",
                       recurrent_activation="sigmoid", kernel_regularizer="l2", recurrent_dropout=0.1,
                       return_sequences=True, go_backwards=True)
    config = layer.get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                "recurrent_activation", "unit_forget_bias", "activity_regularizer", "return_sequences",
                "go_backwards", "stateful", "dropout", "recurrent_dropout"):
        assert key in config
    assert "cell" not in config and config["kernel_size"] == (2, 3)
    assert config["return_state"] is False and config["unroll"] is False  # Keras 2.3.1's keys
    assert ConvLSTM2D.from_config(config).get_config() == config
    keras_config = {"class_name": "ConvLSTM2D", "config": {
        "name": "conv_lst_m2d_1", "trainable": True, "return_sequences": False, "return_state": False,
        "go_backwards": False, "stateful": False, "unroll": False, "filters": 4, "kernel_size": [3, 3],
        "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1],
        "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
        "kernel_initializer": {"class_name": "VarianceScaling", "config": {
            "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
        "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0}}
    rebuilt = multinn.layers.deserialize(keras_config)
    assert isinstance(rebuilt, ConvLSTM2D) and rebuilt.filters == 4 and rebuilt.padding == "same"
    assert rebuilt(K.ones((1, 2, 5, 5, 2))).shape == (1, 5, 5, 4)

    model = Sequential([ConvLSTM2D(2, 2, input_shape=(3, 5, 5, 1)), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    x = _data((2, 3, 5, 5, 1))
    path = str(tmp_path / "convlstm.h5")
    model.save(path)
    loaded = multinn.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-6)
    assert isinstance(loaded.layers[0], ConvLSTM2D)


def test_regularizer_adds_a_loss_and_training_step_runs(backend_name):
    inputs = Input((2, 4, 4, 1))
    conv = ConvLSTM2D(2, 2, kernel_regularizer="l2", activity_regularizer="l1")
    model = Model(inputs, Dense(1)(Flatten()(conv(inputs))))
    model.compile("adam", "mse")
    # the kernel's penalty is a standing loss; before a run, the activity penalty is listed as
    # the graph tensor each run computes (Keras 2 counts both)
    assert len(model.losses) == 2 and conv.activity_regularizer is not None
    np.testing.assert_allclose(float(model.losses[0]), 0.01 * np.sum(conv.get_weights()[0] ** 2), rtol=1e-5)
    x, y = _data((4, 2, 4, 4, 1)), _data((4, 1))
    first = model.train_on_batch(x, y)
    for _ in range(5):
        last = model.train_on_batch(x, y)
    assert np.isfinite(first) and last < first


def test_stateful_two_halves_equal_the_whole(backend_name):
    x = _data((2, 4, 4, 4, 1), seed=3)
    layer = ConvLSTM2D(2, 2, padding="valid", stateful=True, return_sequences=True)
    first = layer(K.constant(x[:, :2])).numpy()
    second = layer(K.constant(x[:, 2:])).numpy()
    _, expected, (h, c) = _reference(x, *_weights(layer))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-4, atol=1e-5)
    assert [tuple(s.shape) for s in layer.states] == [(2, 3, 3, 2)] * 2
    np.testing.assert_allclose(K.get_value(layer.states[1]), c, rtol=1e-4, atol=1e-5)
    layer.reset_states()
    assert not np.any(K.get_value(layer.states[0]))
    layer.reset_states([h, c])
    np.testing.assert_allclose(K.get_value(layer.states[0]), h, rtol=1e-6)
    with pytest.raises(ValueError, match="Received: states with shapes"):
        layer.reset_states([np.zeros((2, 2))] * 2)


def test_return_state_gives_h_and_c(backend_name):
    x = _data((2, 3, 5, 5, 1), seed=4)
    layer = ConvLSTM2D(2, 3, return_state=True)
    output, h, c = layer(K.constant(x))
    _, _, (h_ref, c_ref) = _reference(x, *_weights(layer))
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(output.numpy(), h.numpy())
    assert layer.compute_output_shape((None, 3, 5, 5, 1)) == [(None, 3, 3, 2)] * 3


def test_wrong_rank_and_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="ndim"):
        ConvLSTM2D(2, 3)(K.ones((2, 5, 5, 1)))
    with pytest.raises(ValueError, match="padding"):
        ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        ConvLSTM2D(0, 3)
    with pytest.raises(TypeError, match="Unrolling"):
        ConvLSTM2D(2, 3, unroll=True)
