"""K.einsum: values against numpy.einsum, float64 gradients by central differences, errors."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op

EQUATIONS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 2)]),  # implicit output
    ("...ij,...jk->...ik", [(2, 3, 4), (1, 4, 5)]),  # broadcast batch under '...'
    ("abc,cde->abde", [(2, 3, 4), (4, 2, 3)]),  # EinsumDense's kernel contraction
    ("...b,bc->...c", [(2, 3, 4), (4, 5)]),
    ("aecd,abcd->acbe", [(2, 5, 3, 4), (2, 6, 3, 4)]),  # MultiHeadAttention's scores
    ("acbe,aecd->abcd", [(2, 3, 6, 5), (2, 5, 3, 4)]),  # and its weighted sum
    ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
    ("ij,ij,j->i", [(2, 3), (2, 3), (3,)]),  # three operands
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij,k->ijk", [(2, 3), (4,)]),  # outer product
    ("ij,jk->", [(2, 3), (3, 4)]),
    ("abc,bd->ad", [(2, 3, 4), (3, 5)]),  # a letter summed in one operand only
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_numpy_and_central_differences(backend_name, equation, shapes):
    rng = np.random.default_rng(len(equation))
    inputs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    check_op(lambda *t: K.einsum(equation, *t), lambda *a: np.einsum(equation, *a), inputs, rtol=1e-4, atol=1e-5)


def test_einsum_second_order(backend_name):
    # create_graph: the gradient is itself an einsum, differentiable again
    a = K.variable(np.array([[1.0, 2.0], [3.0, -1.0]]), dtype="float64")
    b = K.variable(np.array([[0.5, -2.0], [1.5, 1.0]]), dtype="float64")
    loss = K.sum(K.square(K.einsum("ij,jk->ik", a, b)))
    (ga,) = K.gradients(loss, [a], create_graph=True)
    (gb,) = K.gradients(K.sum(ga), [b])
    an, bn = K.eval(a), K.eval(b)
    # d loss / d a = 2 (a b) b^T, so sum(ga) = sum(2 a b b^T): its gradient in b by central differences
    eps = 1e-6

    def f(bv):
        return (2 * an @ bv @ bv.T).sum()

    numeric = np.zeros_like(bn)
    for idx in np.ndindex(*bn.shape):
        up, down = bn.copy(), bn.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (f(up) - f(down)) / (2 * eps)
    np.testing.assert_allclose(gb.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_einsum_keeps_float32(backend_name):
    out = K.einsum("ij,jk->ik", K.ones((2, 3)), K.ones((3, 4)))
    assert K.dtype(out) == "float32"


@pytest.mark.parametrize(
    "equation,shapes,message",
    [
        ("ij,jk->ik", [(2, 3)], "names 2 operand"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 3"),
        ("ijk->i", [(2, 3)], "subscripts 'ijk' name 3"),
        ("ij->iz", [(2, 3)], "output subscript 'z'"),
        ("i1->i", [(2, 3)], "must be letters"),
    ],
)
def test_einsum_errors_name_the_equation(backend_name, equation, shapes, message):
    with pytest.raises(ValueError, match=message) as info:
        K.einsum(equation, *[K.ones(s) for s in shapes])
    assert repr(equation) in str(info.value)
