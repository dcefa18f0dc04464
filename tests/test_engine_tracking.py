"""Keras 2's engine bookkeeping: nested layers and variables of a subclassed layer, updates and
losses per input (`get_updates_for` / `get_losses_for`), learning-phase use, masks and depths
of graph networks."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn.layers import LSTM, BatchNormalization, Bidirectional, Dense, Dropout, Embedding, Input, Layer, concatenate
from multinn.models import Model, Sequential


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)


class _Block(Layer):
    def __init__(self):
        super().__init__()
        self.dense = Dense(3)
        self.bidir = Bidirectional(LSTM(2))

    def call(self, inputs):
        return self.dense(self.bidir(inputs))


def test_nested_layers_are_listed_and_own_their_weights(backend_name):
    block = _Block()
    assert block._layers == [block.dense, block.bidir]
    block(K.constant(_rand(2, 2, 4)))
    assert len(block.weights) == 2 + 6
    assert [len(layer.weights) for layer in block._layers] == [2, 6]

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = [_Block(), Dense(2)]  # a list of layers is tracked too
            self.seq = Sequential([Dense(5), Dense(1)])
            x = Input((1,))
            self.func = Model(x, Dense(1)(x))

        def call(self, inputs):
            h = self.inner[1](self.inner[0](inputs))
            return self.func(self.seq(h))

    outer = Outer()
    assert len(outer._layers) == 4
    outer(K.constant(_rand(2, 2, 4)))
    assert len(outer.weights) == 8 + 2 + 4 + 2


def test_variables_kept_as_attributes_are_weights(backend_name):
    class Scaled(Layer):
        def __init__(self):
            super().__init__()
            self.dense = Dense(3, kernel_initializer="ones", bias_initializer="zeros")
            self.w1 = K.variable(0.5, name="w1")

        def build(self, input_shape):
            self.w2 = K.variable(2.0, name="w2")
            self.w3 = self.add_weight("w3", shape=(), trainable=False, initializer="zeros")
            self.frozen = K.variable(1.0, trainable=False)

        def call(self, inputs):
            return self.dense(inputs) + self.w1 + self.w2

    layer = Scaled()
    x = _rand(2, 2)
    out = layer(K.constant(x))
    np.testing.assert_allclose(K.eval(out), x.sum(axis=1, keepdims=True) * np.ones((1, 3)) + 2.5, rtol=1e-6)
    assert layer._trainable_weights == [layer.w1, layer.w2]
    assert layer._non_trainable_weights == [layer.w3, layer.frozen]
    assert len(layer.trainable_weights) == 4 and len(layer.non_trainable_weights) == 2
    layer.w3 = layer.w3  # assigning a tracked variable again does not list it twice
    assert len(layer.weights) == 6
    layer.swapped = K.variable(1.0)  # once built, an attribute may hold a variable for a while: no new weight
    assert len(layer.weights) == 6


def test_get_updates_and_losses_for_inputs():
    a = Input(shape=(2,))
    layer = Dense(1, kernel_regularizer="l2")
    layer.add_update(0, inputs=a)
    layer.add_update(1, inputs=None)
    layer.add_loss(0.5, inputs=a)
    layer.add_loss(1.5)
    assert layer.get_updates_for(a) == [0]
    assert layer.get_updates_for(None) == [1]
    assert layer.get_losses_for(a) == [0.5]
    assert layer.get_losses_for(None) == [1.5]  # not built: no kernel, no regularization yet
    layer.build((None, 2))
    kernel = K.eval(layer.kernel)
    reg, extra = layer.get_losses_for(None)
    assert float(reg) == pytest.approx(0.01 * float((kernel**2).sum()), rel=1e-5) and extra == 1.5
    assert len(layer.losses) == 3


def test_batch_normalization_updates_follow_graph_and_trainable_flag():
    bn = BatchNormalization()
    x1, x2 = Input(shape=(3,)), Input(shape=(3,))
    bn(x1)
    y2 = bn(x2)
    assert bn.get_updates_for(x2) == [bn.moving_mean, bn.moving_variance]
    model = Model(x2, y2)
    assert len(bn.updates) == 4 and len(model.updates) == 2  # the model holds one of the two calls
    x3 = Input(shape=(3,))
    outer = Model(x3, model(x3))
    assert len(outer.updates) == 2
    model.trainable = False
    assert model.updates == [] and outer.updates == []
    model.trainable = True
    bn.trainable = False
    assert model.updates == []

    bn_test = BatchNormalization()
    bn_test(Input(shape=(3,)), training=False)  # a test-phase call updates nothing
    assert bn_test.updates == []


def test_sequential_updates_follow_trainable(backend_name):
    model = Sequential([BatchNormalization(input_shape=(4,))])
    model.trainable = False
    assert not model.updates
    model.trainable = True
    assert len(model.updates) == 2


def test_nested_layer_losses_are_unconditional():
    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.dense = Dense(3, kernel_regularizer="l2")

        def call(self, inputs):
            return self.dense(inputs)

    x = Input((2,))
    model = Model(x, Holder()(x))
    assert len(model.layers) == 2 and len(model.weights) == 2
    assert len(model.get_losses_for(None)) == 1
    kernel = K.eval(model.layers[1].dense.kernel)
    assert float(model.get_losses_for(None)[0]) == pytest.approx(0.01 * float((kernel**2).sum()), rel=1e-5)


def test_explicit_training_argument_fixes_the_learning_phase():
    inp = Input(shape=(2,))
    out = Dropout(0.5)(Dense(3)(inp), training=True)
    model = Model(inp, out)
    assert not model.uses_learning_phase
    assert not model(Input(shape=(2,)))._uses_learning_phase
    assert not Model.from_config(model.get_config()).uses_learning_phase

    free = Model(inp, Dropout(0.5)(inp))
    assert free.uses_learning_phase
    assert free(Input(shape=(2,)))._uses_learning_phase


def test_compute_mask_of_unmasked_multi_output_model():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    model = Model([a, b], [Dense(2)(a), Dense(3)(b)])
    assert model.compute_mask([a, b], [None, None]) == [None, None]
    single = Model(a, Dense(2)(a))
    assert single.compute_mask(a, None) is None


def test_super_compute_output_shape_is_the_input_shape(backend_name):
    class Twice(Layer):
        def call(self, inputs):
            return [K.abs(inputs), K.abs(inputs)]

        def compute_output_shape(self, input_shape):
            shape = super().compute_output_shape(input_shape)
            return [shape, shape]

    class Add(Layer):
        def call(self, inputs):
            return inputs[0] + inputs[1]

    x = Input(shape=(4, 3))
    p, q = Twice()(x)
    assert p.shape == q.shape == (None, 4, 3)
    model = Model(x, Add()([p, q]))
    data = _rand(2, 4, 3)
    np.testing.assert_allclose(model.predict(data), 2 * np.abs(data), rtol=1e-6)


def test_shared_layer_inputs_share_a_depth():
    input1, input2 = Input(shape=(10,), name="input1"), Input(shape=(10,), name="input2")
    embedding = Embedding(input_dim=5, output_dim=10)
    e1, e2 = embedding(input1), embedding(input2)
    deep = Dense(6)(Dense(5)(Dense(3)(e2)))
    model = Model([input1, input2], Dense(2)(concatenate([e1, deep])))
    depth = {layer.name: d for d, layers in model._layers_by_depth.items() for layer in layers}
    assert depth["input1"] == depth["input2"] == max(depth.values())
    assert sorted(layer.name for layers in model._layers_by_depth.values() for layer in layers) == sorted(
        layer.name for layer in model.layers
    )


def test_subclassed_model_takes_a_dtype():
    class Holder(Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.w = self.add_weight("w", (), initializer="ones")

    assert K.dtype(Holder().w) == "float64"
    with pytest.raises(TypeError, match="dtyp"):
        Model(dtyp="float64")


def test_input_list_appended_after_the_call_makes_no_cycle(backend_name):
    from multinn.layers import concatenate

    x_in = Input(shape=(None, None))
    tensors, x = [x_in], x_in
    for _ in range(3):
        tensors.append(x)  # the list passed to the previous call grows: that call keeps its own inputs
        x = concatenate(tensors, axis=1)
    model = Model(x_in, x)
    data = _rand(2, 1, 3)
    c1 = np.concatenate([data, data], axis=1)
    c2 = np.concatenate([data, data, c1], axis=1)
    c3 = np.concatenate([data, data, c1, c2], axis=1)
    np.testing.assert_allclose(model.predict(data), c3, rtol=1e-6)


def test_merge_layers_combine_input_masks(backend_name):
    from multinn.layers import Add, Concatenate, Dot

    x1, x2 = K.constant(_rand(2, 3, 4)), K.constant(_rand(2, 3, 4, seed=1))
    m1 = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    m2 = np.array([[1, 0, 1], [1, 1, 1]], dtype=bool)
    add = Add()
    assert add.compute_mask([x1, x2], [None, None]) is None
    np.testing.assert_array_equal(K.eval(add.compute_mask([x1, x2], [K.constant(m1), K.constant(m2)])), m1 & m2)
    np.testing.assert_array_equal(K.eval(add.compute_mask([x1, x2], [K.constant(m1), None])), m1)
    for inputs, mask in (([x1, x2], m1), (x1, [None, None]), ([x1, x2], [None])):
        with pytest.raises(ValueError):
            add.compute_mask(inputs, mask)
    # Concatenate: along time, the masks join; along features, a timestep needs every input's mask.
    along_time = K.eval(Concatenate(axis=1).compute_mask([x1, x2], [K.constant(m1), None]))
    np.testing.assert_array_equal(along_time, np.concatenate([m1, np.ones_like(m2)], axis=1))
    along_features = K.eval(Concatenate().compute_mask([x1, x2], [K.constant(m1), K.constant(m2)]))
    np.testing.assert_array_equal(along_features, m1 & m2)
    full = np.random.default_rng(0).uniform(size=(2, 3, 4)) > 0.3  # a mask per feature: a step needs all of them
    along_time = K.eval(Concatenate(axis=1).compute_mask([x1, x2], [K.constant(full), K.constant(m2)]))
    np.testing.assert_array_equal(along_time, np.concatenate([full.all(axis=-1), m2], axis=1))
    assert Dot(axes=-1).compute_mask([x1, x2], [K.constant(m1), K.constant(m2)]) is None


def test_masked_embeddings_through_concatenate(backend_name):
    from multinn.layers import GlobalAveragePooling1D, concatenate

    a, b = Input(shape=(3,)), Input(shape=(3,))
    emb_a = Embedding(5, 2, mask_zero=True)
    emb_b = Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")
    model = Model([a, b], GlobalAveragePooling1D()(concatenate([emb_a(a), emb_b(b)], axis=1)))
    table_a = np.arange(10, dtype=np.float32).reshape(5, 2)
    emb_a.set_weights([table_a])
    ia, ib = np.array([[1, 2, 0]]), np.array([[3, 0, 0]])
    rows = np.concatenate([table_a[ia[0]], np.ones((3, 2))])[[0, 1, 3]]  # the steps whose index is not 0
    np.testing.assert_allclose(model.predict([ia, ib]), rows.mean(axis=0, keepdims=True), rtol=1e-6)


def test_activity_losses_belong_to_the_inputs_of_the_call(backend_name):
    from multinn.layers import SimpleRNN

    layer = SimpleRNN(2, activity_regularizer="l2", kernel_regularizer="l1")
    x = K.variable(_rand(3, 4, 5))
    out = K.eval(layer(x))
    activity = layer.get_losses_for(x)
    assert len(activity) == 1 and float(activity[0]) == pytest.approx(0.01 * float((out**2).sum()), rel=1e-5)
    assert layer.get_losses_for(K.variable(_rand(3, 4, 5))) == []
    assert layer.cell.get_losses_for(x) == []
    kernel = K.eval(layer.cell.kernel)
    unconditional = layer.get_losses_for(None)  # the cell's kernel regularization, reached through the RNN
    assert len(unconditional) == 1 and float(unconditional[0]) == pytest.approx(0.01 * float(np.abs(kernel).sum()), rel=1e-5)


def test_conditional_losses_of_held_layers_are_found():
    a = Input(shape=(2,))
    inner = Dense(1)

    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.inner = inner

    holder = Holder()
    inner.add_loss(0.25, inputs=a)
    assert holder.get_losses_for(a) == [0.25] and holder.get_losses_for(None) == []


def test_wrappers_report_their_layers_updates():
    from multinn.layers import SimpleRNN, TimeDistributed

    x = Input(shape=(3, 2))
    wrapped = TimeDistributed(BatchNormalization())
    wrapped(x)
    assert wrapped.updates == [wrapped.layer.moving_mean, wrapped.layer.moving_variance]
    wrapped.trainable = False
    assert wrapped.updates == []
    wrapped.trainable = True
    assert len(wrapped.get_updates_for(x)) == 2

    bi = Bidirectional(SimpleRNN(3))
    bi.forward_layer.add_update("f", inputs=x)
    bi.backward_layer.add_update("b")
    assert bi.get_updates_for(x) == ["f"] and bi.get_updates_for(None) == ["b"]
    assert sorted(bi.updates) == ["b", "f"]
