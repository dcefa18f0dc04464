"""Core layers through layer_test, plus their Keras 2 specifics (defaults, errors, semantics)."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import layers
from multinn.layers import Input
from multinn.models import Model, Sequential
from tests.layer_test import layer_test


def test_dense(backend_name):
    out = layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4))
    assert out.shape == (2, 3)
    layer_test(layers.Dense, {"units": 3, "activation": "tanh", "use_bias": False}, input_shape=(2, 5, 4))
    layer_test(
        layers.Dense,
        {"units": 2, "kernel_regularizer": "l2", "bias_regularizer": "l1", "activity_regularizer": "l2",
         "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
        input_shape=(3, 4),
    )


def test_dense_values_and_defaults(backend_name):
    layer = layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
    out = layer(K.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(out.numpy(), [[7.0, 7.0]])
    config = layers.Dense(4).get_config()
    assert config["kernel_initializer"]["class_name"] in ("GlorotUniform", "VarianceScaling")
    assert config["activation"] == "linear" and config["use_bias"] is True
    assert layer.name.startswith("dense_")


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear", "sigmoid", "softmax", "elu"])
def test_dense_activations_fused_or_not_give_keras_values(backend_name, activation):
    """relu/tanh/linear run fused in K.dense; the others after it: both match the formula."""
    from multinn import activations

    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (4, 3)).astype(np.float32)
    layer = layers.Dense(5, activation=activation)
    out = layer(K.constant(x))
    z = K.constant(x @ layer.kernel.numpy() + layer.bias.numpy())
    np.testing.assert_allclose(out.numpy(), activations.get(activation)(z).numpy(), rtol=1e-5, atol=1e-6)
    layer.activation = activations.get("sigmoid")  # changed after build: the new one is used
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), K.sigmoid(z).numpy(), rtol=1e-5, atol=1e-6)


def test_dense_input_dim_and_activity_regularizer_in_model_losses(backend_name):
    model = Sequential([layers.Dense(2, input_dim=3, kernel_initializer="ones", activity_regularizer="l2")])
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    out = model(K.constant([[1.0, 2.0, 0.0]]))
    np.testing.assert_allclose(out.numpy(), [[3.0, 3.0]])
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.01 * (9.0 + 9.0), rtol=1e-6)


def test_dense_calls_kernel_initializer_before_bias(backend_name):
    order = []

    def kernel_init(shape, dtype=None):
        order.append("kernel")
        return np.ones(shape)  # a NumPy float64 array: converted to the layer's dtype and backend

    def bias_init(shape, dtype=None):
        order.append("bias")
        return K.zeros(shape)

    layer = layers.Dense(2, kernel_initializer=kernel_init, bias_initializer=bias_init)
    layer.build((None, 3))
    assert order == ["kernel", "bias"]
    assert K.dtype(layer.kernel) == "float32" and layer.kernel.backend.name == backend_name


def test_activation(backend_name):
    layer_test(layers.Activation, {"activation": "relu"}, input_shape=(3, 4), gradcheck=False)
    layer_test(layers.Activation, {"activation": "tanh"}, input_shape=(3, 4))
    out = layers.Activation(K.abs)(K.constant([[-2.0]]))
    assert out.numpy().tolist() == [[2.0]]


def test_dropout(backend_name):
    layer_test(layers.Dropout, {"rate": 0.5}, input_shape=(3, 2))
    layer_test(layers.Dropout, {"rate": 0.5, "noise_shape": [None, 1, None]}, input_shape=(2, 3, 4))
    x = K.ones((50, 40))
    with K.learning_phase_scope(1):
        y = layers.Dropout(0.5)(x).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, 2.0}
    assert 0.3 < (y == 0).mean() < 0.7
    with K.learning_phase_scope(1):
        shared = layers.Dropout(0.5, noise_shape=(50, 1))(x).numpy()
    assert all(len(set(row.tolist())) == 1 for row in shared)


def test_batch_normalization(backend_name):
    layer_test(layers.BatchNormalization, {}, input_shape=(4, 3))
    layer_test(layers.BatchNormalization, {"axis": 1, "center": False}, input_shape=(3, 2, 4))
    layer_test(layers.BatchNormalization, {"momentum": 0.5}, input_shape=(5, 3), gradcheck_training=True)


def test_batch_normalization_statistics(backend_name):
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(64, 3)) * [1.0, 2.0, 3.0] + [5.0, -1.0, 0.0]).astype(np.float32)
    bn = layers.BatchNormalization(momentum=0.8)
    out = bn(K.constant(data), training=True).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), np.sqrt(data.var(axis=0) / (data.var(axis=0) + 1e-3)), rtol=1e-4)
    n = data.shape[0]
    expected_mean = 0.2 * data.mean(axis=0)
    expected_var = 0.8 + 0.2 * data.var(axis=0) * n / (n - 1 - 1e-3)
    np.testing.assert_allclose(K.get_value(bn.moving_mean), expected_mean, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(K.get_value(bn.moving_variance), expected_var, rtol=1e-4)
    # test mode uses the moving statistics and leaves them alone
    before = K.get_value(bn.moving_mean).copy()
    inference = bn(K.constant(data), training=False).numpy()
    expected = (data - expected_mean) / np.sqrt(expected_var + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(K.get_value(bn.moving_mean), before)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert [w.name.split("/")[-1] for w in bn.weights] == ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"]


def test_frozen_batch_normalization_keeps_its_moving_statistics(backend_name):
    # Keras 2: a layer with trainable=False runs no updates (Layer.updates is []), yet in
    # training it still normalizes with the batch's statistics.
    data = (np.arange(24, dtype=np.float32).reshape(8, 3) * [1.0, 2.0, 3.0]).astype(np.float32)
    bn = layers.BatchNormalization(input_shape=(3,))
    bn.trainable = False
    model = Sequential([bn])
    model.compile("sgd", "mse")
    model.fit(data, data, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(K.get_value(bn.moving_mean), np.zeros(3, np.float32))
    np.testing.assert_array_equal(K.get_value(bn.moving_variance), np.ones(3, np.float32))
    out = bn(K.constant(data), training=True).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_array_equal(K.get_value(bn.moving_mean), np.zeros(3, np.float32))


def test_batch_normalization_in_a_frozen_nested_model_keeps_its_moving_statistics(backend_name):
    # Keras 2: a frozen network runs none of its layers' updates, whatever the layers' own flags.
    data = (np.arange(24, dtype=np.float32).reshape(8, 3) * [1.0, 2.0, 3.0]).astype(np.float32)
    bn = layers.BatchNormalization(input_shape=(3,))
    inner = Sequential([bn])
    inner.trainable = False
    outer = Sequential([inner, layers.Dense(1)])
    outer.compile("sgd", "mse")
    outer.fit(data, data[:, :1], batch_size=8, epochs=2, verbose=0)
    outer(K.constant(data), training=True)
    np.testing.assert_array_equal(K.get_value(bn.moving_mean), np.zeros(3, np.float32))
    np.testing.assert_array_equal(K.get_value(bn.moving_variance), np.ones(3, np.float32))

    inner.trainable = True  # takes effect at the next compile, as for the trainable weights
    outer.compile("sgd", "mse")
    outer.fit(data, data[:, :1], batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(K.get_value(bn.moving_mean), 0.01 * data.mean(axis=0), rtol=1e-4)


def test_predict_and_evaluate_run_no_updates_even_with_training_true(backend_name):
    # Keras 2's predict and test functions run no layer updates (only stateful layers' states),
    # so a BatchNormalization called with training=True normalizes with the batch statistics
    # there but leaves its moving statistics alone; so does K.function on the model's tensors.
    data = (np.arange(24, dtype=np.float32).reshape(8, 3) * [1.0, 2.0, 3.0] + 1.0).astype(np.float32)
    inputs = Input(shape=(3,))
    bn = layers.BatchNormalization()
    model = Model(inputs, bn(inputs, training=True))
    model.compile("sgd", "mse")
    out = model.predict(data, batch_size=8)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    model.evaluate(data, data, batch_size=8, verbose=0)
    model.predict_on_batch(data)
    model.test_on_batch(data, data)
    K.function([model.input, K.learning_phase()], [model.output])([data, 1])
    np.testing.assert_array_equal(K.get_value(bn.moving_mean), np.zeros(3, np.float32))
    np.testing.assert_array_equal(K.get_value(bn.moving_variance), np.ones(3, np.float32))
    model.fit(data, data, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(K.get_value(bn.moving_mean), 0.01 * data.mean(axis=0), rtol=1e-4)


def test_batch_normalization_axis_as_a_list(backend_name):
    # tf.keras 2 configs write the axis as a one-element list, e.g. "axis": [3].
    bn = layers.BatchNormalization.from_config({"axis": [1]})
    assert bn.axis == 1
    assert tuple(bn(K.ones((2, 3, 4))).shape) == (2, 3, 4) and tuple(bn.gamma.shape) == (3,)
    with pytest.raises(ValueError, match=r"Received: axis=\[1, 2\]"):
        layers.BatchNormalization(axis=[1, 2])


def test_batch_normalization_needs_known_axis(backend_name):
    x = Input(batch_shape=(None, None))
    with pytest.raises(ValueError, match="should have a defined dimension"):
        layers.BatchNormalization()(x)


def test_activity_regularization(backend_name):
    layer_test(layers.ActivityRegularization, {"l1": 0.01, "l2": 0.01}, input_shape=(3, 2))
    layer = layers.ActivityRegularization(l1=0.5, l2=0.25)
    layer(K.constant([[1.0, -2.0]]))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 3 + 0.25 * 5, rtol=1e-6)


def test_flatten(backend_name):
    out = layer_test(layers.Flatten, {}, input_shape=(2, 3, 4))
    assert out.shape == (2, 12)
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    first = layer_test(layers.Flatten, {"data_format": "channels_first"}, input_data=data)
    np.testing.assert_array_equal(first, np.transpose(data, (0, 2, 1)).reshape(2, -1))
    with pytest.raises(ValueError, match="not fully defined"):
        layers.Flatten()(Input(shape=(None, 3)))


def test_reshape(backend_name):
    layer_test(layers.Reshape, {"target_shape": (8, 1)}, input_shape=(3, 2, 4), expected_output_shape=(None, 8, 1))
    layer_test(layers.Reshape, {"target_shape": (-1, 2)}, input_shape=(3, 2, 4), expected_output_shape=(None, 4, 2))
    # Keras 2 keeps the tuple in the config (JSON turns it into a list, which reads back the same).
    assert layers.Reshape([-1, 2]).get_config()["target_shape"] == (-1, 2)
    with pytest.raises(ValueError, match="total size"):
        layers.Reshape((5,))(Input(shape=(2, 3)))
    with pytest.raises(ValueError, match="one unknown dimension"):
        layers.Reshape((-1, -1))(Input(shape=(2, 3)))


def test_permute(backend_name):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    layer_test(layers.Permute, {"dims": (2, 1)}, input_data=data, expected_output=np.transpose(data, (0, 2, 1)))
    assert layers.Permute([2, 1]).get_config()["dims"] == (2, 1)
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((0, 1))


def test_repeat_vector(backend_name):
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer_test(layers.RepeatVector, {"n": 3}, input_data=data, expected_output=np.repeat(data[:, None, :], 3, axis=1))


def square_plus(x):
    return K.square(x) + 1.0


def test_lambda(backend_name):
    layer_test(layers.Lambda, {"function": lambda x: x * 2.0 + 1.0}, input_shape=(3, 2))
    out = layer_test(layers.Lambda, {"function": lambda x: K.sum(x, axis=-1, keepdims=True)}, input_shape=(3, 4))
    assert out.shape == (3, 1)
    layer_test(layers.Lambda, {"function": square_plus}, input_shape=(3, 2), custom_objects={"square_plus": square_plus})
    layer_test(layers.Lambda, {"function": lambda x, k: x * k, "arguments": {"k": 3.0}}, input_shape=(2, 2))
    layer_test(layers.Lambda, {"function": lambda x: x[:, :2], "output_shape": (2,)}, input_shape=(3, 5))
    layer_test(layers.Lambda, {"function": lambda x: x[:, :2], "output_shape": lambda s: (s[0], 2)}, input_shape=(3, 5))


def test_lambda_infers_shapes_with_dummy_batches(backend_name):
    x = Input(shape=(None, 4))
    y = layers.Lambda(lambda t: K.concatenate([t, t], axis=-1))(x)
    assert y.shape == (None, None, 8)


def test_lambda_multiple_inputs(backend_name):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    y = layers.Lambda(lambda ts: ts[0] * ts[1])([a, b])
    model = Model([a, b], y)
    out = model.predict([np.full((2, 3), 2.0), np.full((2, 3), 3.0)])
    np.testing.assert_allclose(out, np.full((2, 3), 6.0))


def test_leaky_relu(backend_name):
    data = np.array([[-1.0, 0.5, 2.0]], np.float32)
    layer_test(layers.LeakyReLU, {}, input_data=data, expected_output=[[-0.3, 0.5, 2.0]], gradcheck=False)
    layer_test(layers.LeakyReLU, {"alpha": 0.1}, input_shape=(3, 4))


def test_prelu(backend_name):
    layer_test(layers.PReLU, {}, input_shape=(2, 3, 4))
    layer_test(layers.PReLU, {"shared_axes": [1], "alpha_initializer": "ones"}, input_shape=(2, 3, 4))
    layer = layers.PReLU(alpha_initializer=lambda shape, dtype=None: K.constant(0.25, shape=shape))
    out = layer(K.constant([[-4.0, 4.0]]))
    assert out.numpy().tolist() == [[-1.0, 4.0]]


def test_elu(backend_name):
    data = np.array([[-1.0, 2.0]], np.float32)
    layer_test(layers.ELU, {"alpha": 0.5}, input_data=data, expected_output=[[0.5 * (np.exp(-1.0) - 1), 2.0]])


def test_thresholded_relu(backend_name):
    data = np.array([[0.5, 1.5, -2.0]], np.float32)
    layer_test(layers.ThresholdedReLU, {"theta": 1.0}, input_data=data, expected_output=[[0.0, 1.5, 0.0]], gradcheck=False)


def test_relu(backend_name):
    data = np.array([[-2.0, 0.5, 3.0]], np.float32)
    layer_test(layers.ReLU, {"max_value": 1.0}, input_data=data, expected_output=[[0.0, 0.5, 1.0]], gradcheck=False)
    layer_test(layers.ReLU, {"negative_slope": 0.1, "threshold": 0.2}, input_data=data, expected_output=[[-0.22, 0.5, 3.0]], gradcheck=False)
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1.0)


def test_softmax(backend_name):
    data = np.array([[1.0, 2.0, 3.0]], np.float32)
    expected = np.exp(data) / np.exp(data).sum()
    layer_test(layers.Softmax, {}, input_data=data, expected_output=expected)
    layer_test(layers.Softmax, {"axis": 1}, input_shape=(2, 3, 4))


def test_input_layer(backend_name):
    layer = layers.InputLayer(input_shape=(3,), name="features")
    assert layer.output.shape == (None, 3) and layer.count_params() == 0
    restored = layers.deserialize(layers.serialize(layer))
    assert restored.batch_input_shape == (None, 3) and restored.name == "features"
    model = Sequential([layers.InputLayer(input_shape=(2,)), layers.Dense(1)])
    assert model.output_shape == (None, 1)


def test_serialize_unknown_layer_suggests():
    with pytest.raises(ValueError, match="Dense"):
        layers.deserialize({"class_name": "Dence", "config": {}})


def test_lambda_of_a_local_function_round_trips_its_config(backend_name):
    def antirectifier(t):
        t = t - K.mean(t, axis=1, keepdims=True)
        return K.concatenate([K.relu(t), K.relu(-t)], axis=1)

    layer = layers.Lambda(antirectifier, output_shape=lambda s: (s[0], 2 * s[1]))
    config = layer.get_config()
    assert config["function_type"] == "lambda"  # not reachable by name: stored as code, as Keras 2 does
    rebuilt = layers.Lambda.from_config(config)
    data = np.array([[1.0, -2.0, 4.0]], np.float32)
    centred = data - data.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(rebuilt(K.constant(data)).numpy(), np.concatenate([np.maximum(centred, 0), np.maximum(-centred, 0)], 1), rtol=1e-6)


def test_lambda_sees_the_inputs_dtype(backend_name):
    seen = []
    x = layers.Input(shape=(3,), dtype="float16")
    layer = layers.Lambda(lambda t: seen.append(K.dtype(t)) or t)
    layer(x)
    assert set(seen) == {"float16"} and layer._input_dtypes == "float16"
