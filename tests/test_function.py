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
    seq = K.placeholder(shape=(None, 4, 2))
    w = rand(2, 3, seed=7)

    def step(inp, states):
        h = K.tanh(K.dot(inp, K.constant(w)) + states[0])
        return h, [h]

    h0 = K.zeros_like(K.placeholder(shape=(1, 3)))
    last, outputs, _ = K.rnn(step, seq, [h0])
    assert K.int_shape(outputs) == (None, 4, 3)
    data = rand(5, 4, 2, seed=8)
    got = K.function([seq], [outputs])([data])[0]
    h, ref = np.zeros((1, 3), np.float32), []
    for t in range(4):
        h = np.tanh(data[:, t] @ w + h)
        ref.append(h)
    np.testing.assert_allclose(got, np.stack(ref, axis=1), rtol=1e-5, atol=1e-6)


def test_feeding_an_intermediate_tensor(backend_name):
    x = K.placeholder(shape=(2,))
    hidden = x * 3.0
    out = hidden + 1.0
    np.testing.assert_allclose(K.function([hidden], [out])([[1.0, 2.0]])[0], [2.0, 3.0])


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
