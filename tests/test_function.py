"""K.placeholder and K.function: lazy symbolic graphs replayed on fed values."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import rand


def test_placeholder_facts(backend_name):
    x = K.placeholder(shape=(None, 3), name="x")
    assert K.int_shape(x) == (None, 3) and K.ndim(x) == 2 and K.dtype(x) == K.floatx()
    assert K.is_placeholder(x) and not K.is_placeholder(x * 2) and not K.is_placeholder(K.ones((2,)))
    assert K.is_keras_tensor(x) is False
    assert K.int_shape(K.placeholder(ndim=3, dtype="int32")) == (None, None, None)
    assert K.dtype(K.placeholder(ndim=1, dtype="int32")) == "int32"


def test_placeholder_needs_a_rank(backend_name):
    with pytest.raises(ValueError, match="ndim"):
        K.placeholder()


def test_placeholder_has_no_values(backend_name):
    x = K.placeholder(shape=(2,), name="x")
    with pytest.raises(TypeError, match="symbolic"):
        x.numpy()
    with pytest.raises(TypeError, match="symbolic"):
        K.eval(x + 1)


def test_shapes_are_inferred_with_unknown_sizes(backend_name):
    x = K.placeholder(shape=(None, 3, 4))
    assert K.int_shape(K.sum(x, axis=1)) == (None, 4)
    assert K.int_shape(K.expand_dims(x, 1)) == (None, 1, 3, 4)
    assert K.int_shape(K.batch_flatten(x)) == (None, 12)
    assert K.int_shape(K.dot(x, K.ones((4, 5)))) == (None, 3, 5)
    assert K.int_shape(K.permute_dimensions(x, (2, 0, 1))) == (4, None, 3)
    assert K.int_shape(x[:, 1]) == (None, 4)


def test_function_on_small_expression(backend_name):
    x = K.placeholder(shape=(None, 3), name="x")
    w, b = rand(3, 2, seed=1), rand(2, seed=2)
    y = K.tanh(K.dot(x, K.variable(w)) + K.constant(b)) * 2.0 - 1
    z = K.mean(K.square(y), axis=-1)
    f = K.function([x], [y, z])
    for batch in (1, 4):  # the unknown batch size takes whatever is fed
        data = rand(batch, 3, seed=batch)
        ref_y = np.tanh(np.einsum("bi,ij->bj", data, w) + b) * 2 - 1
        out_y, out_z = f([data])
        assert out_y.dtype == np.float32 and out_y.shape == (batch, 2)
        np.testing.assert_allclose(out_y, ref_y, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out_z, (ref_y ** 2).mean(axis=-1), rtol=1e-5, atol=1e-6)


def test_function_reads_variables_at_call_time(backend_name):
    x = K.placeholder(shape=(2,))
    v = K.variable([1.0, 1.0])
    f = K.function([x], x * v)  # a single output gives one array back
    np.testing.assert_allclose(f([[2.0, 3.0]]), [2.0, 3.0])
    doubled = K.function([x], [x * (v * 2.0)])  # v * 2.0 is eager, yet recomputed per call
    K.set_value(v, [10.0, 0.0])
    np.testing.assert_allclose(f([[2.0, 3.0]]), [20.0, 0.0])
    np.testing.assert_allclose(doubled([[2.0, 3.0]])[0], [40.0, 0.0])


def test_function_with_updates(backend_name):
    x = K.placeholder(shape=(None,))
    total = K.variable(0.0)
    calls = K.variable(0.0)
    f = K.function([x], [total + K.sum(x)], updates=[(total, total + K.sum(x)), (calls, calls + 1)])
    first = f([[1.0, 2.0]])[0]
    second = f([[3.0]])[0]
    np.testing.assert_allclose([first, second], [3.0, 6.0])
    np.testing.assert_allclose([K.get_value(total), K.get_value(calls)], [6.0, 2.0])


def test_updates_use_values_from_before_the_call(backend_name):
    a, b = K.variable(1.0), K.variable(2.0)
    x = K.placeholder(shape=())
    f = K.function([x], [a * 1.0], updates=[(a, b + x), (b, a + x)])  # a swap, shifted by x
    out = f([10.0])[0]
    assert float(out) == 1.0
    assert (float(K.get_value(a)), float(K.get_value(b))) == (12.0, 11.0)


def test_symbolic_gradients_through_function(backend_name):
    x = K.placeholder(shape=(None, 3))
    w_value = rand(3, 2, seed=5)
    w = K.variable(w_value)
    loss = K.sum(K.tanh(K.dot(x, w)))
    gx, gw = K.gradients(loss, [x, w])
    assert K.int_shape(gx) == (None, 3) and K.int_shape(gw) == (3, 2)
    assert K.gradients(loss, [K.variable([1.0])]) == [None]
    data = rand(4, 3, seed=6)
    got_x, got_w = K.function([x], [gx, gw])([data])
    dh = 1 - np.tanh(data @ w_value) ** 2
    np.testing.assert_allclose(got_x, dh @ w_value.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_w, data.T @ dh, rtol=1e-5, atol=1e-6)


def test_rnn_on_placeholder(backend_name):
    seq = K.placeholder(shape=(None, None, 2))
    w = rand(2, 3, seed=7)

    def step(inp, states):
        h = K.tanh(K.dot(inp, K.constant(w)) + states[0])
        return h, [h]

    h0 = K.zeros_like(K.dot(seq[:, 0], K.constant(w)))  # (batch, 3), as Keras RNN layers build it
    mask = K.greater(K.sum(seq, axis=-1), 0.0)
    last, outputs, _ = K.rnn(step, seq, [h0], mask=mask)
    assert K.int_shape(outputs) == (None, None, 3) and K.int_shape(last) == (None, 3)
    f = K.function([seq], [outputs])
    for steps in (4, 2):  # the number of steps may be unknown too
        data = rand(5, steps, 2, seed=8 + steps)
        got = f([data])[0]
        h, out, ref = np.zeros((5, 3), np.float32), np.zeros((5, 3), np.float32), []
        for t in range(steps):
            keep = data[:, t].sum(axis=-1, keepdims=True) > 0
            new = np.tanh(data[:, t] @ w + h)
            h, out = np.where(keep, new, h), np.where(keep, new, out)
            ref.append(out)
        np.testing.assert_allclose(got, np.stack(ref, axis=1), rtol=1e-5, atol=1e-6)


def test_feeding_an_intermediate_tensor(backend_name):
    x = K.placeholder(shape=(2,))
    hidden = x * 3.0
    out = hidden + 1.0
    np.testing.assert_allclose(K.function([hidden], [out])([[1.0, 2.0]])[0], [2.0, 3.0])
    v = K.variable([1.0, 1.0])
    doubled = v * 2.0  # a concrete tensor can be fed too, as in Keras
    np.testing.assert_allclose(K.function([doubled], [doubled + 1.0])([[5.0, 6.0]])[0], [6.0, 7.0])


def test_learning_phase_input_is_accepted(backend_name):
    x = K.placeholder(shape=(2,))
    f = K.function([x, K.learning_phase()], [x * 2.0])
    np.testing.assert_allclose(f([[1.0, 2.0], 1])[0], [2.0, 4.0])


def test_function_errors_name_what_was_wrong(backend_name):
    x = K.placeholder(shape=(None, 3), name="features")
    other = K.placeholder(shape=(3,), name="other")
    f = K.function([x], [x * 2.0])
    with pytest.raises(ValueError, match=r"shape \(2, 4\).*'features'"):
        f([np.zeros((2, 4), np.float32)])
    with pytest.raises(ValueError, match="1 values"):
        f([np.zeros((2, 3)), np.zeros(3)])
    with pytest.raises(ValueError, match="'other'"):
        K.function([x], [x + other])
    with pytest.raises(TypeError, match="Did you mean 'feed_dict'"):
        K.function([x], [x], feed_dcit={})
    with pytest.raises(TypeError, match="list or tuple"):
        K.function(x, [x])


def test_shape_inference_errors_say_what_was_probed(backend_name):
    x = K.placeholder(shape=(None, 3))
    with pytest.raises(ValueError, match=r"inferring the output shape of K op 'add'.*\(None, 3\), \(2,\)"):
        x + K.placeholder(shape=(2,))


_WEIGHTS = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
_GRAPHS = {
    # name: (K function of the placeholder, placeholder shape, expected symbolic shape)
    "mean_all": (lambda x: K.mean(K.square(x - 1.0)), (None, None, 4), ()),
    "std_axis0": (lambda x: K.std(x, axis=0), (None, 3, 4), (3, 4)),
    "dot_two_unknown": (lambda x: K.dot(x, K.constant(_WEIGHTS)), (None, None, 4), (None, None, 3)),
    "batch_dot": (lambda x: K.batch_dot(x, x, axes=(2, 2)), (None, 3, 4), (None, 3, 3)),
    "logsumexp": (lambda x: K.logsumexp(x, axis=-1), (None, 3, 4), (None, 3)),
    "zeros_like": (lambda x: K.zeros_like(x) + x, (None, 3, 4), (None, 3, 4)),
    "stop_gradient": (lambda x: K.stop_gradient(x) * 2.0, (None, 3, 4), (None, 3, 4)),
    "tile": (lambda x: K.tile(x, (2, 1, 3)), (None, 3, 4), (None, 3, 12)),
    "map_fn": (lambda x: K.map_fn(lambda s: K.sum(s), x), (None, 3, 4), (None,)),
    "foldr": (lambda x: K.foldr(lambda a, s: a * 0.5 + s, x), (None, 3, 4), (3, 4)),
    "repeat_elements": (lambda x: K.repeat_elements(x, 2, axis=0), (None, 3, 4), (None, 3, 4)),
    "batch_flatten": (lambda x: K.batch_flatten(K.expand_dims(x, 1)), (None, 3, 4), (None, 12)),
    "switch": (lambda x: K.switch(K.greater(K.sum(x, axis=(1, 2)), 0.0), x, -x), (None, 3, 4), (None, 3, 4)),
    "padding_resize": (lambda x: K.resize_images(K.spatial_2d_padding(x, data_format="channels_first"), 2, 1,
                                                 "channels_first"), (None, 1, 3, 4), (None, 1, 10, 6)),
}


@pytest.mark.parametrize("name", sorted(_GRAPHS))
def test_placeholder_graph_equals_eager_call(backend_name, name):
    fn, shape, expected = _GRAPHS[name]
    x = K.placeholder(shape=shape)
    out = fn(x)
    assert K.int_shape(out) == expected
    data = rand(*[5 if d is None else d for d in shape], seed=3)
    got = K.function([x], [out])([data])[0]
    np.testing.assert_allclose(got, fn(K.constant(data)).numpy(), rtol=1e-5, atol=1e-6)


def test_gather_with_placeholder_indices(backend_name):
    table = rand(6, 2)
    idx = K.placeholder(shape=(None,), dtype="int32")
    rows = K.gather(K.constant(table), idx)
    assert K.int_shape(rows) == (None, 2)
    np.testing.assert_allclose(K.function([idx], [rows])([np.array([5, 0, 5], np.int32)])[0], table[[5, 0, 5]])


def test_second_order_symbolic_gradients(backend_name):
    x = K.placeholder(shape=(3,))
    g = K.gradients(K.sum(x * x * x), [x])[0]  # 3 x^2
    h = K.gradients(K.sum(g), [x])[0]  # 6 x
    data = np.array([1.0, -2.0, 0.5], np.float32)
    got_g, got_h = K.function([x], [g, h])([data])
    np.testing.assert_allclose(got_g, 3 * data ** 2, rtol=1e-6)
    np.testing.assert_allclose(got_h, 6 * data, rtol=1e-6)


def test_placeholder_and_input_are_one_graph_tensor_type(backend_name):
    import multinn

    x, inp = K.placeholder(shape=(None, 3)), multinn.Input(shape=(3,))
    assert type(x) is type(inp) and type(x * 2.0) is type(inp * 2.0)
    assert K.is_placeholder(x) and K.is_placeholder(inp)
    assert not K.is_keras_tensor(x) and not K.is_keras_tensor(x * 2.0)  # Keras 2: only Input and layers' tensors
    assert K.is_keras_tensor(inp) and K.is_keras_tensor(x + inp)


def test_placeholder_graph_and_model_graph_mix_in_one_function(backend_name):
    import multinn
    from multinn.layers import Dense

    inp = multinn.Input(shape=(3,))
    w = rand(3, 2, seed=11)
    dense = Dense(2, kernel_initializer=lambda shape, dtype=None: K.constant(w), bias_initializer="zeros")
    hidden = dense(inp)  # a model graph
    scale = K.placeholder(shape=(None, 2), name="scale")  # a K.placeholder graph
    mixed = K.sum(K.tanh(hidden) * scale, axis=1)
    grad = K.gradients(K.sum(mixed), [inp, scale])
    f = K.function([inp, scale], [mixed] + grad)
    data, s = rand(4, 3, seed=12), rand(4, 2, seed=13)
    got, g_inp, g_scale = f([data, s])
    h = np.tanh(data @ w)
    np.testing.assert_allclose(got, (h * s).sum(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_scale, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_inp, ((1 - h ** 2) * s) @ w.T, rtol=1e-5, atol=1e-6)
    model = multinn.Model([inp, scale], mixed)  # a placeholder is a model input too
    np.testing.assert_allclose(model.predict([data, s]), (h * s).sum(axis=1), rtol=1e-5, atol=1e-6)


def test_placeholders_with_the_same_name_meet_in_one_graph(backend_name):
    a, b = K.placeholder(shape=(2,), name="x"), K.placeholder(shape=(2,), name="x")
    out = K.function([a, b], [a - b])([np.array([3.0, 4.0]), np.array([1.0, 1.0])])[0]
    np.testing.assert_allclose(out, [2.0, 3.0])


def test_list_valued_k_results_keep_their_nesting(backend_name):
    probs = np.array([[[0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]], np.float32)
    y = K.placeholder(shape=(None, None, 3))
    lengths = K.placeholder(shape=(None,), dtype="int32")
    decoded, log_prob = K.ctc_decode(y, lengths)
    assert isinstance(decoded, list) and len(decoded) == 1 and K.int_shape(log_prob) == (None, 1)
    got, score = K.function([y, lengths], [decoded[0], log_prob])([probs, np.array([3], np.int32)])
    assert got.tolist() == [[0, 1]]  # best path 0, blank, 1
    np.testing.assert_allclose(score, [[-np.log(probs.max(axis=-1)).sum()]], rtol=1e-5)


def test_switch_on_a_placeholder_condition(backend_name):
    flag = K.placeholder(shape=(), dtype="bool")
    x = K.placeholder(shape=(None, 2))
    out = K.switch(flag, lambda: x * 2.0, lambda: x - 1.0)  # both branches recorded, chosen at replay
    f = K.function([flag, x], [out])
    data = rand(3, 2)
    np.testing.assert_allclose(f([True, data])[0], data * 2, rtol=1e-6)
    np.testing.assert_allclose(f([False, data])[0], data - 1, rtol=1e-6)


def test_function_output_structure_follows_outputs(backend_name):
    # Keras 2 packs the results like `outputs`: one tensor gives one array, a list a list
    x = K.placeholder(shape=(None, 2))
    data = np.array([[1.0, 2.0]], np.float32)
    single = K.function([x], K.sum(x, axis=1))([data])
    assert isinstance(single, np.ndarray) and single.tolist() == [3.0]
    listed = K.function([x], [K.sum(x, axis=1)])([data])
    assert isinstance(listed, list) and len(listed) == 1 and listed[0].tolist() == [3.0]
    i = K.placeholder(shape=(2,), dtype="int32")
    out = K.function([i], K.mean(i))([np.array([1, 2], np.int32)])
    assert out.dtype == np.int32 and out.tolist() == 1


def test_function_without_graph_tensors_recomputes_from_variables(backend_name):
    w = K.variable([1.0, 2.0])
    f = K.function([], [w * 2.0, K.sum(w)])
    K.set_value(w, [3.0, 5.0])
    doubled, total = f([])
    np.testing.assert_allclose(doubled, [6.0, 10.0])
    np.testing.assert_allclose(total, 8.0)


def test_a_model_graph_can_be_fed_at_an_intermediate_tensor(backend_name):
    import multinn
    from multinn.layers import Dense

    x = multinn.Input(shape=(3,))
    w1, w2 = rand(3, 4, seed=21), rand(4, 2, seed=22)
    hidden = Dense(4, activation="relu", kernel_initializer=lambda s, dtype=None: K.constant(w1))(x)
    out = Dense(2, kernel_initializer=lambda s, dtype=None: K.constant(w2))(hidden) * 3.0
    fed = rand(5, 4, seed=23)
    got = K.function([hidden], [out])([fed])[0]  # what is above `hidden` does not run
    np.testing.assert_allclose(got, fed @ w2 * 3.0, rtol=1e-5, atol=1e-6)


def test_shapes_of_layers_and_k_calls_come_from_one_probe(backend_name):
    import multinn
    from multinn.layers import Lambda

    kernel = K.constant(rand(5, 2, 1, seed=24))
    seq = multinn.Input(shape=(None, 2))
    # a valid convolution along an unknown length: the probes' sizes leave it room
    by_layer = Lambda(lambda t: K.conv1d(t, kernel))(seq)
    by_k_call = K.conv1d(K.placeholder(shape=(None, None, 2)), kernel)
    assert K.int_shape(by_layer) == K.int_shape(by_k_call) == (None, None, 1)
    data = rand(2, 7, 2, seed=25)
    got = K.function([seq], [by_layer])([data])[0]
    np.testing.assert_allclose(got, K.conv1d(K.constant(data), kernel).numpy(), rtol=1e-5, atol=1e-6)


def test_function_feeds_the_backend_its_graph_was_built_in(backend_name):
    import multinn.backends as registry

    x = K.placeholder(shape=(None, 2))  # built inside the fixture's backend scope
    f = K.function([x], [x * K.constant([2.0, 3.0])])
    other = next((name for name in registry.available() if name != backend_name), backend_name)
    with K.backend_scope(other):  # called where another backend is the default
        got = f([np.array([[1.0, 1.0]], np.float32)])[0]
    np.testing.assert_allclose(got, [[2.0, 3.0]])
