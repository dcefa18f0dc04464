"""One computation on NumPy and on CuPy: values and gradients agree under the tolerance table."""
import pytest

from multinn import backend as K
from tests.helpers import rand
from tests.parity.tolerances import assert_parity


CASES = {
    "elementwise": (lambda x, y: K.tanh(x) * K.exp(y) + K.sqrt(K.abs(x) + 1), [rand(8, 5), rand(8, 5, seed=1)]),
    "dot": (K.dot, [rand(16, 32), rand(32, 8, seed=1)]),
    "reductions": (lambda x: K.logsumexp(x, axis=1) + K.max(x, axis=1) - K.mean(x, axis=1), [rand(6, 7)]),
    "batch_dot": (lambda x, y: K.batch_dot(x, y), [rand(4, 2, 3), rand(4, 3, 5, seed=1)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_parity(other_backend, case):
    fn, arrays = CASES[case]
    assert_parity(other_backend, fn, arrays)
