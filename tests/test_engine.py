"""The engine: functional graphs, shared layers, nested models, Sequential, subclassing, summary, errors."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.engine.topology import Layer as TopologyLayer
from multinn.layers import Dense, Dropout, Input, Lambda, Layer
from multinn.models import Model, Sequential


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)


def test_layer_base_importable_from_keras2_paths():
    assert TopologyLayer is Layer is multinn.layers.Layer
    assert multinn.Input is Input and multinn.Model is Model and multinn.Sequential is Sequential


def test_functional_multiple_inputs_and_outputs(backend_name):
    a = Input(shape=(3,), name="a")
    b = Input(shape=(2,), name="b")
    merged = Lambda(lambda t: K.concatenate(t, axis=-1))([a, b])
    out1 = Dense(4, name="out1")(merged)
    out2 = Dense(1, name="out2", activation="sigmoid")(out1)
    model = Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    assert model.output_shape == [(None, 4), (None, 1)]
    xa, xb = _rand(5, 3), _rand(5, 2, seed=1)
    p1, p2 = model.predict([xa, xb])
    w1, b1, w2, b2 = model.get_weights()
    expected1 = np.concatenate([xa, xb], axis=1) @ w1 + b1
    np.testing.assert_allclose(p1, expected1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p2, 1 / (1 + np.exp(-(expected1 @ w2 + b2))), rtol=1e-5, atol=1e-6)
    # dict inputs by name
    q1, _ = model.predict({"a": xa, "b": xb})
    np.testing.assert_allclose(q1, p1)


def test_shared_layer_reuses_weights_and_survives_config(backend_name):
    shared = Dense(3, name="shared")
    a, b = Input(shape=(4,)), Input(shape=(4,))
    ya, yb = shared(a), shared(b)
    model = Model([a, b], [ya, yb])
    assert len(model.weights) == 2 and len(shared._inbound_nodes) == 2
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        shared.output
    assert shared.get_output_shape_at(1) == (None, 3)
    x = _rand(2, 4)
    pa, pb = model.predict([x, x])
    np.testing.assert_allclose(pa, pb)
    restored = Model.from_config(model.get_config())
    assert len(restored.weights) == 2
    restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored.predict([x, 2 * x])[1], model.predict([x, 2 * x])[1], rtol=1e-6)


def test_nested_models(backend_name):
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(3, activation="relu")(inner_in), name="inner")
    x = Input(shape=(4,))
    y = Dense(2)(inner(x))
    outer = Model(x, y)
    assert outer.output_shape == (None, 2)
    assert inner in outer.layers and len(outer.weights) == 4
    data = _rand(3, 4)
    expected = inner.predict(data) @ outer.get_weights()[2] + outer.get_weights()[3]
    np.testing.assert_allclose(outer.predict(data), expected, rtol=1e-5, atol=1e-6)
    restored = Model.from_config(outer.get_config())
    restored.set_weights(outer.get_weights())
    np.testing.assert_allclose(restored.predict(data), outer.predict(data), rtol=1e-6)
    # a Sequential inside a Sequential
    seq = Sequential([Sequential([Dense(3, input_shape=(4,))]), Dense(1)])
    assert seq.output_shape == (None, 1) and seq.predict(data).shape == (3, 1)


def test_call_time_kwargs_stay_in_graph(backend_name):
    x = Input(shape=(200,))
    y = Dropout(0.5)(x, training=True)
    model = Model(x, y)
    out = model.predict(np.ones((4, 200), np.float32))
    assert (out == 0).mean() > 0.2 and set(np.unique(out).tolist()) <= {0.0, 2.0}
    restored = Model.from_config(model.get_config())
    assert (restored.predict(np.ones((4, 200), np.float32)) == 0).mean() > 0.2
    # without the kwarg, Dropout is off in predict
    plain = Model(x, Dropout(0.5)(x))
    np.testing.assert_array_equal(plain.predict(np.ones((2, 200), np.float32)), 1.0)


def test_custom_layer_shape_is_inferred_by_a_dummy_run(backend_name):
    class Pairs(Layer):
        def call(self, inputs):
            return K.reshape(inputs, (-1, inputs.shape[1] // 2, 2))

    x = Input(shape=(6,))
    y = Pairs()(x)
    assert y.shape == (None, 3, 2)
    assert Model(x, y).predict(np.zeros((5, 6), np.float32)).shape == (5, 3, 2)


def test_custom_layer_with_weights_losses_and_sublayers(backend_name):
    class Block(Layer):
        def __init__(self, units, **kwargs):
            self.units = units
            super().__init__(**kwargs)
            self.inner = Dense(units, kernel_regularizer="l2")

        def build(self, input_shape):
            self.scale = self.add_weight("scale", (self.units,), initializer="ones")
            super().build(input_shape)

        def call(self, inputs):
            out = self.inner(inputs) * self.scale
            self.add_loss(K.sum(K.abs(out)) * 0.0 + 1.0)
            return out

        def compute_output_shape(self, input_shape):
            return input_shape[:-1] + (self.units,)

    block = Block(3)
    block(K.constant(_rand(2, 4)))
    assert [w.name.split("/")[-1] for w in block.weights] == ["scale:0", "kernel:0", "bias:0"]
    assert len(block.losses) == 2  # the inner kernel's L2 term and the call's loss
    block(K.constant(_rand(2, 4)))
    assert len(block.losses) == 2  # call losses are replaced by the next call, not accumulated
    assert block.count_params() == 3 + 4 * 3 + 3


def test_add_weight_errors_and_unknown_kwargs():
    layer = Layer()
    with pytest.raises(TypeError, match="Did you mean 'constraint'"):
        layer.add_weight("w", (2,), contraint=None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'unit'. Did you mean 'units'"):
        Dense(3, unit=4)
    with pytest.raises(TypeError, match="input_shape"):
        Dense(3, input_shap=(4,))
    with pytest.raises(ValueError, match="isn't built"):
        Dense(3).count_params()


def test_set_weights_mismatch_names_layer_and_shapes(backend_name):
    layer = Dense(2, name="dense_mismatch")
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"dense_mismatch.*\(3, 2\).*\(4, 2\)"):
        layer.set_weights([np.zeros((4, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="expecting 2 weights"):
        layer.set_weights([np.zeros((3, 2))])


def test_graph_errors(backend_name):
    a, b = Input(shape=(2,)), Input(shape=(2,))
    y = Dense(1)(Lambda(lambda t: t[0] + t[1])([a, b]))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, y)
    x = Input(shape=(2,))
    with pytest.raises(ValueError, match="used 2 times"):
        Model(x, Dense(1, name="twin")(Dense(2, name="twin")(x)))
    with pytest.raises(TypeError, match="Input"):
        Model(x, K.constant([1.0]))
    with pytest.raises(ValueError, match="axis -1 of input shape to have value 2"):
        dense = Dense(1)
        dense(x)
        dense(Input(shape=(3,)))


def test_layer_graph_properties(backend_name):
    x = Input(shape=(3,))
    dense = Dense(2)
    y = dense(x)
    assert dense.input is x and dense.output is y
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    with pytest.raises(AttributeError, match="never been called"):
        Dense(1).input_shape


def test_sequential_build_paths(backend_name):
    model = Sequential()
    model.add(Dense(4, input_dim=3))
    model.add(Dense(2))
    assert model.built and model.output_shape == (None, 2) and model.inputs[0]._keras_history[0].name.endswith("_input")
    model.pop()
    assert model.output_shape == (None, 4) and len(model.layers) == 1
    # deferred: built by the first data it sees
    deferred = Sequential([Dense(4), Dense(1)])
    assert not deferred.built
    with pytest.raises(ValueError, match="not yet been built"):
        deferred.summary()
    assert deferred.predict(_rand(2, 5)).shape == (2, 1)
    assert deferred.built and deferred.input_shape == (None, 5)
    restored = Sequential.from_config(deferred.get_config())
    restored.set_weights(deferred.get_weights())
    np.testing.assert_allclose(restored.predict(_rand(2, 5)), deferred.predict(_rand(2, 5)), rtol=1e-6)
    explicit = Sequential([Dense(2)])
    explicit.build((None, 7))
    assert explicit.layers[0].kernel.shape == (7, 2)
    with pytest.raises(TypeError, match="instance of class Layer"):
        Sequential().add("dense")


def test_subclassed_model(backend_name):
    class TwoLayer(Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = Dense(8, activation="tanh")
            self.out = Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    x = _rand(64, 3)
    y = x.sum(axis=1, keepdims=True)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 4 and model.layers == [model.hidden, model.out]
    assert model.predict(x).shape == (64, 1)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("multiple" in line for line in lines) and "Total params: 41" in lines


def test_summary_text_matches_keras2(backend_name):
    model = Sequential(name="seq")
    model.add(Dense(32, input_shape=(784,), name="dense_a"))
    model.add(multinn.layers.BatchNormalization(name="bn"))
    model.add(Dense(10, activation="softmax", name="dense_b"))
    lines = []
    model.summary(print_fn=lines.append)
    expected = [
        'Model: "seq"',
        "_" * 65,
        "Layer (type)                 Output Shape              Param #   ",
        "=" * 65,
        "dense_a (Dense)              (None, 32)                25120     ",
        "_" * 65,
        "bn (BatchNormalization)      (None, 32)                128       ",
        "_" * 65,
        "dense_b (Dense)              (None, 10)                330       ",
        "=" * 65,
        "Total params: 25,578",
        "Trainable params: 25,514",
        "Non-trainable params: 64",
        "_" * 65,
    ]
    assert lines == expected


def test_summary_functional_has_connections(backend_name):
    a, b = Input(shape=(2,), name="in_a"), Input(shape=(2,), name="in_b")
    shared = Dense(2, name="shared")
    model = Model([a, b], Lambda(lambda t: t[0] + t[1], name="add")([shared(a), shared(b)]))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "in_a[0][0]" in text and "shared[1][0]" in text
    assert len(lines[2]) == 98


def test_trainable_flag_freezes_weights(backend_name):
    x = Input(shape=(3,))
    frozen = Dense(2, name="frozen")
    model = Model(x, Dense(1)(frozen(x)))
    frozen.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    before = frozen.get_weights()
    model.compile("sgd", "mse")
    model.fit(_rand(8, 3), _rand(8, 1), epochs=2, verbose=0)
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.trainable = False
    assert model.trainable_weights == []


def test_direct_eager_call_checks_the_input(backend_name):
    dense = Dense(2)
    dense(K.ones((1, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        dense(K.ones((1, 4)))


def test_masks_flow_through_the_graph(backend_name):
    x = Input(shape=(4,))
    masked = Lambda(lambda t: t, mask=lambda t, mask: K.not_equal(t, 0))(x)
    hidden = Dense(2, kernel_initializer="ones")(masked)  # Dense passes the mask on

    def zero_masked_rows(t, mask=None):
        return t * K.cast(K.any(mask, axis=-1, keepdims=True), K.dtype(t))

    model = Model(x, Lambda(zero_masked_rows)(hidden))
    out = model.predict(np.array([[0, 0, 0, 0], [1, 0, 0, 0]], np.float32))
    np.testing.assert_allclose(out, [[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="does not support masking"):
        multinn.layers.Flatten()(multinn.layers.Reshape((2, 2))(masked))


def test_subclassed_model_inside_a_functional_model(backend_name):
    class Twice(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(3)

        def call(self, inputs):
            return self.dense(inputs) * 2.0

    x = Input(shape=(4,))
    model = Model(x, Dense(1)(Twice()(x)))
    assert model.output_shape == (None, 1) and len(model.weights) == 4
    assert model.predict(np.ones((2, 4), np.float32)).shape == (2, 1)


def test_inferred_shapes_use_input_dtypes_and_report_output_dtypes(backend_name):
    ids = Input(shape=(3,), dtype="int32")
    picked = Lambda(lambda t: K.gather(K.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), t))(ids)
    assert picked.shape == (None, 3, 2) and picked.dtype == "float32"
    counts = Lambda(lambda t: K.cast(t, "int32") * 2)(Input(shape=(2,)))
    assert counts.dtype == "int32"
    model = Model(ids, picked)
    np.testing.assert_allclose(model.predict(np.array([[0, 2, 1]]))[0], [[1, 2], [5, 6], [3, 4]])


def test_training_a_frozen_layer_leaves_its_gradients_available_afterwards(backend_name):
    x = Input(shape=(3,))
    frozen = Dense(2)
    model = Model(x, Dense(1)(frozen(x)))
    frozen.trainable = False
    model.compile("sgd", "mse")
    model.train_on_batch(_rand(4, 3), _rand(4, 1))
    assert frozen.kernel.needs_grad  # its own flag: other code may still differentiate by it
    grads = K.gradients(K.sum(frozen(K.constant(_rand(2, 3)))), [frozen.kernel])
    assert grads[0] is not None


def test_clone_model(backend_name):
    x = Input(shape=(3,))
    model = Model(x, Dense(2, name="head")(Dense(4)(x)))
    twin = multinn.models.clone_model(model)
    assert [type(l).__name__ for l in twin.layers] == [type(l).__name__ for l in model.layers]
    assert all(a is not b for a, b in zip(twin.weights, model.weights))
    twin.set_weights(model.get_weights())
    data = _rand(2, 3)
    np.testing.assert_allclose(twin.predict(data), model.predict(data), rtol=1e-6)
    new_input = Input(shape=(3,))
    rebuilt = multinn.models.clone_model(multinn.Sequential([Dense(1, input_shape=(3,))]), input_tensors=new_input)
    assert rebuilt.inputs == [new_input] and rebuilt.output_shape == (None, 1)

    class Sub(Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="subclassed"):
        multinn.models.clone_model(Sub())


def test_symbolic_tensors_explain_that_they_hold_no_values(backend_name):
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match="no values until the model runs"):
        np.asarray(x)
    with pytest.raises(TypeError, match="symbolic"):
        float(K.sum(x))
    with pytest.raises(TypeError, match="symbolic"):
        bool(x[:, 0] > 0)


def test_add_loss_callables(backend_name):
    x = Input(shape=(2,))
    dense = Dense(1, kernel_initializer="ones")
    model = Model(x, dense(x))
    model.add_loss(lambda: 0.5 * K.sum(K.square(dense.kernel)))
    assert [float(v) for v in model.losses] == [1.0]
    dense.kernel.assign(np.full((2, 1), 2.0, np.float32))
    assert [float(v) for v in model.losses] == [4.0]  # recomputed from the current weights


def test_very_deep_graphs_build(backend_name):
    x = Input(shape=(2,))
    y = x
    for _ in range(1500):  # deeper than Python's default recursion limit
        y = multinn.layers.Activation("linear")(y)
    model = Model(x, y)
    assert len(model.layers) == 1501
    np.testing.assert_allclose(model.predict(np.ones((1, 2), np.float32)), [[1.0, 1.0]])


def test_add_weight_takes_keras_231s_signature(backend_name):
    class Scale(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")  # no name, as the seeds write
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros")
            super().build(input_shape)

        def call(self, inputs):
            return inputs * self.w + self.b

    layer = Scale(name="scale")
    np.testing.assert_allclose(layer(K.constant([[2.0, 3.0]])).numpy(), [[2.0, 3.0]])
    assert [w.name for w in layer.weights] == ["scale/weight:0", "scale/weight_1:0"]
    with pytest.raises(TypeError, match="Did you mean 'constraint'"):
        Layer().add_weight("w", (2,), contraint=None)
    with pytest.raises(TypeError, match="needs a `shape`"):
        Layer().add_weight("w")


def test_a_model_output_that_is_no_graph_tensor_is_a_value_error(backend_name):
    x = Input(shape=(2,))
    with pytest.raises(ValueError, match="missing previous layer metadata"):
        Model(x, [Dense(1)(x), 0])
