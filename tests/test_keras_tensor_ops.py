"""K functions, operators and indexing on Keras tensors (an Input or a layer's output).

Each such call becomes a KOperation layer of the model graph; K.gradients becomes a
KGradients layer; `add_loss` of a graph tensor is computed with the outputs and trained.
References are computed in NumPy from the layers' weights.
"""
import json
import os

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.engine.op_layer import KGradients, KOperation
from multinn.layers import Dense, Dropout, Input, Lambda
from multinn.models import Model, load_model, model_from_json
from tests.helpers import rand


@pytest.fixture
def float64():
    saved = K.floatx()
    K.set_floatx("float64")
    yield
    K.set_floatx(saved)


def _dense_values(layer, x):
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    return x @ kernel + bias


def test_operators_indexing_and_k_functions_build_layers(backend_name):
    x = Input(shape=(3,))
    hidden = Dense(4, name="hidden")(x)
    scale = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    y = 1 - scale * hidden / 2 + hidden ** 2
    z = K.mean(K.square(y), axis=-1, keepdims=True)
    w = K.concatenate([x[:, :1], z, -K.abs(x[:, 2:])], axis=-1)
    model = Model(x, [y, w])
    assert all(isinstance(layer, KOperation) for layer in model.layers[2:])
    assert model.output_shape == [(None, 4), (None, 3)]

    data = rand(5, 3, seed=1)
    h = _dense_values(model.get_layer("hidden"), data)
    y_ref = 1 - scale * h / 2 + h ** 2
    z_ref = np.mean(y_ref ** 2, axis=-1, keepdims=True)
    w_ref = np.concatenate([data[:, :1], z_ref, -np.abs(data[:, 2:])], axis=-1)
    got_y, got_w = model.predict(data)
    np.testing.assert_allclose(got_y, y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_w, w_ref, rtol=1e-5, atol=1e-5)


def test_numpy_array_on_the_left_builds_a_layer_too(backend_name):
    x = Input(shape=(2,))
    model = Model(x, np.array([2.0, 3.0], np.float32) * x)
    np.testing.assert_allclose(model.predict(np.array([[1.0, 1.0]], np.float32)), [[2.0, 3.0]])


def test_layer_names_say_which_k_function_ran(backend_name):
    x = Input(shape=(2,))
    y = K.sum(K.exp(x), axis=-1)
    names = [layer.name for layer in Model(x, y).layers[1:]]
    assert [n.rsplit("_", 1)[0] for n in names] == ["k_exp", "k_sum"]
    lines = []
    Model(x, y).summary(print_fn=lines.append)
    assert any(line.startswith(names[0] + " (KOperation)") for line in lines)


def test_graphs_of_k_calls_save_and_reload(backend_name, tmp_path):
    x = Input(shape=(3,))
    hidden = Dense(4)(x)
    y = K.concatenate([K.constant([[0.5, 1.5, 2.5, 3.5]]) * hidden, K.max(x[..., 1:], axis=-1, keepdims=True)])
    model = Model(x, K.cast(y > 1.0, "float32") + y)
    data = rand(4, 3, seed=2)
    expected = model.predict(data)

    config = json.loads(model.to_json())
    functions = [layer["config"]["function"] for layer in config["config"]["layers"] if layer["class_name"] == "KOperation"]
    assert "primitive:multiply" in functions and any(f.endswith(":concatenate") for f in functions)

    rebuilt = model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(data), expected, rtol=1e-6)

    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    np.testing.assert_allclose(load_model(path, compile=False).predict(data), expected, rtol=1e-6)


def test_a_config_naming_foreign_code_is_refused(backend_name):
    x = Input(shape=(2,))
    config = json.loads(Model(x, K.exp(x)).to_json())
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "KOperation":
            layer["config"]["function"] = "K:os:system"
    with pytest.raises(ValueError, match="not a multinn function"):
        model_from_json(json.dumps(config))


def test_a_variable_in_a_k_call_is_read_when_run_and_saved_by_value(backend_name):
    x = Input(shape=(2,))
    v = K.variable([[2.0, 3.0]])
    model = Model(x, x * v)
    np.testing.assert_allclose(model.predict(np.ones((1, 2), np.float32)), [[2.0, 3.0]])
    K.set_value(v, [[1.0, -1.0]])
    np.testing.assert_allclose(model.predict(np.ones((1, 2), np.float32)), [[1.0, -1.0]])
    rebuilt = model_from_json(model.to_json())
    K.set_value(v, [[5.0, 5.0]])
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 2), np.float32)), [[1.0, -1.0]])


def test_k_calls_whose_shapes_hold_the_unknown_batch(backend_name):
    x = Input(shape=(4, 3))
    outputs = [K.expand_dims(x, 1), K.stack([x, x], axis=1), K.repeat_elements(x, 2, axis=1),
               K.reshape(x, (K.shape(x)[0], -1)), K.batch_flatten(x), K.squeeze(K.expand_dims(x, 1), 1)]
    model = Model(x, outputs)
    data = rand(5, 4, 3, seed=9)
    expected = [data[:, None], np.stack([data, data], axis=1), np.repeat(data, 2, axis=1), data.reshape(5, -1),
                data.reshape(5, -1), data]
    assert model.output_shape == [(None, 1, 4, 3), (None, 2, 4, 3), (None, 8, 3), (None, 12), (None, 12), (None, 4, 3)]
    for got, want in zip(model.predict(data), expected):
        np.testing.assert_allclose(got, want)


def test_symbolic_add_loss_is_computed_and_minimized(backend_name, float64):
    x = Input(shape=(3,))
    dense = Dense(2, name="dense")
    y = dense(x)
    model = Model(x, y)
    model.add_loss(K.mean(K.square(y - x[:, :2])))
    model.add_loss(0.1 * K.sum(K.abs(x)))
    data = rand(6, 3, seed=3).astype(np.float64)
    kernel, bias = (np.asarray(w) for w in dense.get_weights())

    model(K.constant(data))
    out = data @ kernel + bias
    residual = out - data[:, :2]
    np.testing.assert_allclose([float(v) for v in model.losses], [np.mean(residual ** 2), 0.1 * np.abs(data).sum()])

    model.compile(optimizer=multinn.optimizers.SGD(learning_rate=0.1))
    model.train_on_batch(data)
    grad_kernel = data.T @ (2 * residual / residual.size)
    grad_bias = (2 * residual / residual.size).sum(axis=0)
    new_kernel, new_bias = dense.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * grad_kernel, rtol=1e-10)
    np.testing.assert_allclose(new_bias, bias - 0.1 * grad_bias, rtol=1e-10)


def test_symbolic_add_loss_survives_save_and_load(backend_name, tmp_path):
    x = Input(shape=(2,))
    y = Dense(2)(x)
    model = Model(x, y)
    model.add_loss(K.mean(K.square(y)))
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = load_model(path, compile=False)
    data = rand(3, 2, seed=4)
    loaded(K.constant(data))
    model(K.constant(data))
    assert len(loaded.losses) == 1
    np.testing.assert_allclose(float(loaded.losses[0]), float(model.losses[0]), rtol=1e-6)


def test_a_layers_symbolic_loss_joins_the_model_it_is_part_of(backend_name):
    x = Input(shape=(2,))
    dense = Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    y = dense(x)
    dense.add_loss(K.sum(y))  # conditional on x: any model with input x minimizes it
    model = Model(x, y)
    model(K.constant([[1.0, 2.0], [3.0, 4.0]]))
    assert [float(v) for v in model.losses] == [10.0]


def test_a_loss_from_a_foreign_input_is_refused(backend_name):
    x, other = Input(shape=(2,)), Input(shape=(2,))
    model = Model(x, Dense(1)(x))
    with pytest.raises(ValueError, match="not an input of the model"):
        model.add_loss(K.mean(other))


def test_k_function_with_learning_phase_on_model_tensors(backend_name):
    x = Input(shape=(50,))
    dropped = Dropout(0.5)(x)
    scaled = dropped * 2.0
    f = K.function([x, K.learning_phase()], [scaled])
    data = np.ones((2, 50), np.float32)
    np.testing.assert_allclose(f([data, 0])[0], 2 * data)
    train = f([data, 1])[0]
    assert set(np.unique(train).tolist()) <= {0.0, 4.0} and (train == 0).any()


def test_gradients_with_respect_to_the_input(backend_name, float64):
    x = Input(shape=(3,))
    dense = Dense(2, activation="tanh")
    y = dense(x)
    loss = K.sum(K.square(y))
    grad = K.gradients(loss, x)[0]
    assert isinstance(grad._keras_history[0], KGradients) and K.int_shape(grad) == (None, 3)
    normalized = grad / (K.sqrt(K.mean(K.square(grad))) + 1e-5)
    f = K.function([x], [loss, grad, normalized])

    data = rand(2, 3, seed=5).astype(np.float64)
    kernel, bias = (np.asarray(w) for w in dense.get_weights())
    pre = data @ kernel + bias
    expected = (2 * np.tanh(pre) * (1 - np.tanh(pre) ** 2)) @ kernel.T
    value, got, got_normalized = f([data])
    np.testing.assert_allclose(value, np.sum(np.tanh(pre) ** 2), rtol=1e-12)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got_normalized, expected / (np.sqrt(np.mean(expected ** 2)) + 1e-5), rtol=1e-10)

    # and numerically, by central differences on the loss K.function computes
    loss_of = K.function([x], [loss])
    eps = 1e-6
    for i, j in [(0, 0), (1, 2)]:
        up, down = data.copy(), data.copy()
        up[i, j] += eps
        down[i, j] -= eps
        numeric = (loss_of([up])[0] - loss_of([down])[0]) / (2 * eps)
        np.testing.assert_allclose(got[i, j], numeric, rtol=1e-6)


def test_gradients_of_an_unconnected_tensor_are_none(backend_name):
    x, other = Input(shape=(2,)), Input(shape=(2,))
    grads = K.gradients(K.sum(x), [x, other])
    assert grads[1] is None and K.int_shape(grads[0]) == (None, 2)


def test_gradient_ascent_on_an_input_through_a_model(backend_name):
    multinn.utils.set_random_seed(0)
    model = multinn.Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(2)])
    loss = K.mean(model.output[:, 1])
    step = K.function([model.input], [loss, K.gradients(loss, model.input)[0]])
    image = rand(1, 3, seed=6)
    before = step([image])[0]
    for _ in range(5):
        _, grad = step([image])
        image = image + 0.1 * grad
    assert step([image])[0] > before


def test_lambda_free_arithmetic_trains(backend_name):
    x = Input(shape=(2,))
    y = Dense(1)(x) * 2 + 1
    model = Model(x, y)
    model.compile(optimizer="sgd", loss="mse")
    data = rand(32, 2, seed=7)
    target = data.sum(axis=1, keepdims=True)
    first = model.train_on_batch(data, target)
    for _ in range(20):
        last = model.train_on_batch(data, target)
    assert last < first


def test_k_calls_inside_lambda_and_outside_agree(backend_name):
    x = Input(shape=(3,))
    outside = Model(x, K.softmax(x * 3))
    inside = Model(x, Lambda(lambda t: K.softmax(t * 3))(x))
    data = rand(4, 3, seed=8)
    np.testing.assert_allclose(outside.predict(data), inside.predict(data), rtol=1e-6)


def test_models_with_k_calls_and_symbolic_losses_pickle(backend_name):
    import pickle

    x = Input(shape=(3,))
    y = Dense(2)(x)
    model = Model(x, K.sum(y * 2, axis=-1))
    model.add_loss(K.mean(K.square(y)))
    model.compile("sgd")
    data = rand(4, 3, seed=10)
    model.train_on_batch(data)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(copy.predict(data), model.predict(data))
    assert copy.train_on_batch(data) == model.train_on_batch(data)


def test_losses_before_a_run_list_the_graph_tensors_keras_counts(backend_name):
    shared = Dense(2, kernel_regularizer="l1", activity_regularizer="l1")
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out_a, out_b = shared(a), shared(b)
    model = Model([a, b], K.concatenate([out_a, out_b]))
    model.add_loss(K.mean(out_b))
    model.add_loss(1.0)
    # kernel penalty + constant, then the graph tensors: the symbolic loss and one activity penalty per call
    assert len(model.losses) == 5
    assert sum(type(v).__name__ == "KerasTensor" for v in model.losses) == 3
    data = [rand(4, 3, seed=11), rand(4, 3, seed=12)]
    model([K.constant(d) for d in data])
    values = [float(v) for v in model.losses]
    kernel, bias = (np.asarray(w, np.float64) for w in shared.get_weights())
    h_a, h_b = data[0] @ kernel + bias, data[1] @ kernel + bias
    expected = [0.01 * np.abs(kernel).sum(), 1.0, 0.01 * np.abs(h_a).sum(), 0.01 * np.abs(h_b).sum(), h_b.mean()]
    np.testing.assert_allclose(sorted(values), sorted(expected), rtol=1e-5)


def test_symbolic_add_metric_reports_running_values(backend_name):
    x = Input(shape=(1,))
    y = Dense(1, kernel_initializer="ones", use_bias=False, trainable=False)(x)
    model = Model(x, y)
    model.add_metric(K.sum(y), name="total")
    model.add_metric(multinn.metrics.Mean(name="mean_y")(y))
    model.compile("sgd", loss="mse")
    assert [m.name for m in model.metrics] == ["total", "mean_y"]
    data = np.arange(1.0, 9.0, dtype=np.float32).reshape(8, 1)
    history = model.fit(data, data, batch_size=4, epochs=1, shuffle=False, verbose=0)
    # "total": the mean over batches of each batch's sum; "mean_y": the mean of all values
    assert history.history["total"][0] == pytest.approx((10.0 + 26.0) / 2)
    assert history.history["mean_y"][0] == pytest.approx(4.5)
    rebuilt = model_from_json(model.to_json())
    assert [m.name for m in rebuilt.metrics] == ["total", "mean_y"]
    rebuilt.compile("sgd", loss="mse")
    rebuilt.set_weights(model.get_weights())
    assert rebuilt.evaluate(data, data, batch_size=8, verbose=0)[1:] == pytest.approx([36.0, 4.5])


def test_a_hand_written_training_step_with_k_function_updates(backend_name, float64):
    x = Input(shape=(3,))
    dense = Dense(1)
    model = Model(x, dense(x))
    target = Input(shape=(1,))
    loss = K.mean(K.square(model.output - target))
    weights = model.trainable_weights
    grads = K.gradients(loss, weights)
    step = K.function([model.input, target], [loss], updates=[(w, w - 0.1 * g) for w, g in zip(weights, grads)])
    data = rand(6, 3, seed=13).astype(np.float64)
    y = data.sum(axis=1, keepdims=True)
    kernel, bias = (np.asarray(w) for w in dense.get_weights())
    residual = data @ kernel + bias - y
    value = step([data, y])[0]
    np.testing.assert_allclose(value, np.mean(residual ** 2), rtol=1e-12)  # the loss before the update
    new_kernel, new_bias = dense.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * data.T @ (2 * residual / 6), rtol=1e-10)
    np.testing.assert_allclose(new_bias, bias - 0.1 * (2 * residual / 6).sum(axis=0), rtol=1e-10)
    with pytest.raises(TypeError, match="pairs"):
        K.function([model.input], [loss], updates=[loss])


def test_optimizer_get_updates_on_a_models_loss_trains_as_fit_does(backend_name):
    def make():
        multinn.utils.set_random_seed(5)
        return multinn.Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])

    manual, compiled = make(), make()
    target = Input(shape=(1,))
    loss = K.mean(K.square(manual.output - target))
    optimizer = multinn.optimizers.Adam(learning_rate=0.01)
    step = K.function([manual.input, target], [loss], updates=optimizer.get_updates(loss, manual.trainable_weights))
    compiled.compile(multinn.optimizers.Adam(learning_rate=0.01), "mse")
    data = rand(8, 3, seed=14)
    y = data.sum(axis=1, keepdims=True)
    for _ in range(3):
        got = step([data, y])[0]
        want = compiled.train_on_batch(data, y)
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert int(K.get_value(optimizer.iterations)) == 3
    for a, b in zip(manual.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_masks_pass_elementwise_k_calls_and_stop_at_reductions(backend_name):
    from multinn.layers import LSTM, Masking

    x = Input(shape=(None, 2))
    masked = Masking(0.0)(x)
    scaled = masked * 2.0
    summed = K.sum(masked, axis=1)
    assert scaled._keras_history[0].compute_mask(None, "m") == "m"
    assert summed._keras_history[0].compute_mask(None, "m") is None
    model = Model(x, LSTM(2)(scaled))
    data = rand(2, 3, 2, seed=15)
    data[0, 1:] = 0.0
    np.testing.assert_allclose(model.predict(data)[0], model.predict(data[:, :1])[0], rtol=1e-6)
