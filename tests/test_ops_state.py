"""Creation and state functions: values, dtypes, in-place updates, phases and uids."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, rand


def test_creation_and_predicates(backend_name):
    v = K.variable(np.arange(6.0).reshape(2, 3), name="w")
    t = K.constant([1.0, 2.0])
    assert K.is_tensor(v) and K.is_tensor(t) and not K.is_tensor(np.ones(2))
    assert K.is_variable(v) and not K.is_variable(t)
    assert K.shape(v) == (2, 3) and K.int_shape(t) == (2,) and K.ndim(v) == 2 and K.count_params(v) == 6
    assert K.get_variable_shape(v) == (2, 3) and K.get_variable_shape(K.variable(np.zeros((4, 1, 5)))) == (4, 1, 5)
    assert K.dtype(K.zeros((2, 2))) == "float32" and K.dtype(K.ones(3, dtype="float64")) == "float64"
    np.testing.assert_array_equal(K.eval(K.eye(3)), [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(K.eval(K.eye((2, 3))), [[1, 0, 0], [0, 1, 0]])
    assert K.is_variable(K.zeros((2,)))  # Keras 2: zeros/ones/eye are variables
    np.testing.assert_array_equal(K.eval(K.zeros_like(v)), np.zeros((2, 3)))
    np.testing.assert_array_equal(K.eval(K.ones_like(t)), [1.0, 1.0])
    np.testing.assert_array_equal(K.eval(K.arange(1, 7, 2)), [1, 3, 5])
    assert K.dtype(K.arange(3)) == "int32"


def test_variable_copies_its_value(backend_name):
    host = np.ones(3, np.float32)
    v = K.variable(host)
    host[0] = 5.0
    assert K.get_value(v)[0] == 1.0


def test_get_set_value_and_batches(backend_name):
    a, b = K.variable([1.0, 2.0]), K.variable([[3.0]])
    K.set_value(a, np.array([5.0, 6.0]))
    K.batch_set_value([(b, [[7.0]])])
    got = K.batch_get_value([a, b])
    assert isinstance(got[0], np.ndarray)
    np.testing.assert_array_equal(got[0], [5.0, 6.0])
    np.testing.assert_array_equal(got[1], [[7.0]])
    with pytest.raises(TypeError, match="Variable"):
        K.set_value(K.constant([1.0]), [2.0])


def test_updates_in_place(backend_name):
    v = K.variable([1.0, 2.0])
    K.update(v, [3.0, 3.0])
    K.update_add(v, [1.0, 2.0])
    K.update_sub(v, K.constant([0.5, 0.5]))
    np.testing.assert_allclose(K.eval(v), [3.5, 4.5])
    K.moving_average_update(v, [0.0, 10.0], momentum=0.9)
    np.testing.assert_allclose(K.eval(v), [3.5 * 0.9, 4.5 * 0.9 + 1.0], rtol=1e-6)


def test_identity_cast_and_reshape(backend_name):
    check_op(K.identity, lambda x: x + 0, [rand(2, 3)])
    check_op(lambda x: K.reshape(x, (3, -1)), lambda x: np.array(x.ravel().tolist()).reshape(3, 2).astype(np.float32), [rand(2, 3)])
    check_op(lambda x: K.squeeze(x, 1), lambda x: x[:, 0, :], [rand(2, 1, 3)])
    assert K.dtype(K.cast(K.constant([1.7]), "int32")) == "int32"
    K.check_gradients(lambda x: K.cast(x, "float32") * 2, [[1.0, 2.0]], eps=1e-2, atol=1e-4, rtol=1e-3)
    out = K.cast_to_floatx(np.array([1, 2]))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    with pytest.raises(ValueError, match="not 1"):
        K.squeeze(K.zeros((2, 3)), 1)


def test_print_tensor_returns_its_input(backend_name, capsys):
    t = K.constant([1.5])
    assert K.print_tensor(t, message="value:") is t
    assert "value:" in capsys.readouterr().out


def test_print_tensor_on_a_placeholder_prints_when_the_graph_runs(backend_name, capsys):
    x = K.placeholder(shape=(None, 2))
    y = K.print_tensor(x * 2, "doubled")
    assert capsys.readouterr().out == ""  # building the graph prints nothing
    f = K.function([x], [y])
    got = f([np.array([[1.0, 2.0]], np.float32)])[0]
    np.testing.assert_array_equal(got, [[2.0, 4.0]])
    assert capsys.readouterr().out == "doubled " + str(np.array([[2.0, 4.0]], np.float32)) + "\n"
    f([np.array([[0.5, 0.0]], np.float32)])
    assert "doubled [[1. 0.]]" in capsys.readouterr().out


def test_learning_phase_and_switches(backend_name):
    assert K.learning_phase() == 0
    assert K.in_train_phase(lambda: "train", lambda: "test") == "test"
    assert K.in_train_phase("train", "test", training=1) == "train"
    assert K.in_test_phase("test", "train", training=0) == "test"
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1 and K.in_train_phase(1, 0) == 1
    assert K.learning_phase() == 0
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)


def test_uids_and_clear_session(backend_name):
    K.reset_uids()
    assert [K.get_uid("dense"), K.get_uid("dense"), K.get_uid("conv")] == [1, 2, 1]
    K.set_learning_phase(1)
    K.clear_session()
    assert K.get_uid("dense") == 1 and K.learning_phase() == 0


def test_set_value_and_updates_keep_the_variable_dtype_and_name_a_bad_shape(backend_name):
    w = K.variable([1, 2], dtype="int32")
    K.set_value(w, [1.7, -2.7])  # Keras 2: np.asarray(value, dtype=dtype(x))
    assert K.get_value(w).dtype == np.int32 and K.get_value(w).tolist() == [1, -2]
    v = K.variable([1.0, 2.0], dtype="float64", name="v64")
    assert K.update_add(v, np.array([1, 1], np.int64)) is v
    assert K.moving_average_update(v, K.constant([0.0, 0.0]), 0.5) is v
    assert K.get_value(v).dtype == np.float64 and K.get_value(v).tolist() == [1.0, 1.5]
    with pytest.raises(ValueError, match=r"Cannot assign a value of shape \(3,\) to variable 'v64' of shape \(2,\)"):
        K.set_value(v, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"shape \(2, 2\) to variable 'v64'"):
        K.update(v, np.ones((2, 2)))
