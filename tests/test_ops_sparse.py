"""Sparse tensors: K.variable of a sparse matrix, K.dot, K.concatenate, K.to_dense, K.eval,
checked against the dense arrays the matrices stand for."""
import numpy as np
import pytest
import scipy.sparse as sp

from multinn import backend as K


def _matrix(seed=0, shape=(4, 5), density=0.4):
    return sp.random(*shape, density=density, format="csr", random_state=seed, dtype=np.float32)


def test_variable_of_a_sparse_matrix_is_sparse(backend_name):
    m = _matrix()
    s = K.variable(m)
    assert K.is_sparse(s) and not K.is_sparse(K.variable(m.toarray()))
    assert K.int_shape(s) == (4, 5) and K.ndim(s) == 2 and K.dtype(s) == "float32"
    np.testing.assert_array_equal(K.eval(s), m.toarray())
    np.testing.assert_array_equal(K.eval(K.to_dense(s)), m.toarray())
    assert K.eval(K.variable(m, dtype="float64")).dtype == np.float64


def test_repeated_coordinates_add_up(backend_name):
    m = sp.coo_matrix((np.array([1.0, 2.0, 4.0], np.float32), (np.array([0, 0, 1]), np.array([1, 1, 0]))), shape=(2, 2))
    np.testing.assert_array_equal(K.eval(K.variable(m)), [[0.0, 3.0], [4.0, 0.0]])


def test_sparse_dot_equals_dense_dot(backend_name):
    m = _matrix(1)
    w = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    got = K.dot(K.variable(m), K.variable(w))
    assert not K.is_sparse(got) and got.shape == (4, 3)
    np.testing.assert_allclose(got.numpy(), np.einsum("ij,jk->ik", m.toarray(), w), rtol=1e-5, atol=1e-6)


def test_sparse_dot_gradients(backend_name):
    m = _matrix(2).tocoo()
    idx = K.constant(np.stack([m.row, m.col], axis=1), dtype="int64")
    w = np.random.default_rng(1).normal(size=(5, 2))
    # in the dense factor and in the stored values
    K.check_gradients(lambda v, y: K.dot(K.SparseTensor(idx, v, m.shape), y), [m.data.astype(np.float64), w])


def test_to_dense_gradient_picks_the_entries(backend_name):
    idx = K.constant([[0, 2], [1, 0]], dtype="int64")
    K.check_gradients(lambda v: K.to_dense(K.SparseTensor(idx, v, (2, 3))) * K.constant(np.arange(6.0).reshape(2, 3)), [[1.5, -2.0]])


@pytest.mark.parametrize("axis", [-1, 0])
def test_concatenate_of_sparse_tensors_stays_sparse(backend_name, axis):
    a, b = _matrix(3), _matrix(4)
    got = K.concatenate([K.variable(a), K.variable(b)], axis=axis)
    assert K.is_sparse(got)
    want = np.block([a.toarray(), b.toarray()]) if axis == -1 else np.vstack([a.toarray(), b.toarray()])
    assert K.int_shape(got) == want.shape
    np.testing.assert_array_equal(K.eval(got), want)


def test_concatenate_of_sparse_and_dense_is_dense(backend_name):
    a = _matrix(5)
    d = np.ones((4, 2), np.float32)
    got = K.concatenate([K.variable(a), K.variable(d)])
    assert not K.is_sparse(got)
    np.testing.assert_array_equal(got.numpy(), np.hstack([a.toarray(), d]))


def test_sparse_errors_name_the_shapes(backend_name):
    s = K.variable(_matrix())
    with pytest.raises(ValueError, match=r"y.shape=\(3, 2\)"):
        K.dot(s, K.ones((3, 2)))
    with pytest.raises(ValueError, match="agree off axis"):
        K.concatenate([s, K.variable(_matrix(shape=(3, 5)))], axis=-1)
    with pytest.raises(ValueError, match="indices.shape"):
        K.SparseTensor(K.constant([[0, 0]], dtype="int64"), K.constant([1.0, 2.0]), (2, 2))
