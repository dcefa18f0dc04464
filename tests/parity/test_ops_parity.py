"""One computation on NumPy and on CuPy: values and gradients agree under the tolerance table."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import rand
from tests.parity.tolerances import assert_close


def _run(name, fn, arrays):
    with K.backend_scope(name):
        variables = [K.variable(a) for a in arrays]
        out = fn(*variables)
        grads = K.gradients(K.sum(out), variables)
        return out.numpy(), [None if g is None else g.numpy() for g in grads]


CASES = {
    "elementwise": (lambda x, y: K.tanh(x) * K.exp(y) + K.sqrt(K.abs(x) + 1), [rand(8, 5), rand(8, 5, seed=1)]),
    "dot": (K.dot, [rand(16, 32), rand(32, 8, seed=1)]),
    "reductions": (lambda x: K.logsumexp(x, axis=1) + K.max(x, axis=1) - K.mean(x, axis=1), [rand(6, 7)]),
    "batch_dot": (lambda x, y: K.batch_dot(x, y), [rand(4, 2, 3), rand(4, 3, 5, seed=1)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_parity(other_backend, case):
    fn, arrays = CASES[case]
    ref_out, ref_grads = _run("numpy", fn, arrays)
    out, grads = _run(other_backend, fn, arrays)
    assert_close(out, ref_out)
    for g, r in zip(grads, ref_grads):
        assert_close(g, r)
