"""K.layer_normalization: the fused primitive against NumPy, its hand-written backward in float64."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op


def _reference(x, gamma, beta, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    shape = [d if i in axes else 1 for i, d in enumerate(x.shape)]
    out = (x - mu) / np.sqrt(var + eps)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((2, 3, 5), -1), ((2, 3, 5), [1, 2]), ((2, 3, 4, 2), [1, 3])])
def test_layer_normalization_values_and_gradients(backend_name, shape, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32) * 3 + 1
    axes = tuple(sorted(a % len(shape) for a in (axis if isinstance(axis, list) else [axis])))
    pshape = tuple(shape[a] for a in axes)
    gamma = rng.standard_normal(pshape).astype(np.float32)
    beta = rng.standard_normal(pshape).astype(np.float32)
    check_op(
        lambda t, g, b: K.layer_normalization(t, g, b, axis=axis, epsilon=1e-3),
        lambda t, g, b: _reference(t, g, b, axes, 1e-3),
        [x, gamma, beta],
        rtol=1e-4,
        atol=1e-5,
    )


def test_layer_normalization_without_gamma_beta(backend_name):
    x = np.random.default_rng(2).standard_normal((3, 4))
    check_op(lambda t: K.layer_normalization(t, axis=1), lambda t: _reference(t, None, None, (1,), 1e-3), [x])


def test_layer_normalization_second_order(backend_name):
    # create_graph takes the composite backward: a gradient of the gradient agrees with differences
    rng = np.random.default_rng(3)
    x0, g0 = rng.standard_normal((2, 4)), rng.standard_normal(4)
    w = rng.standard_normal((2, 4))

    def inner(xv):
        x = K.variable(xv, dtype="float64")
        g = K.variable(g0, dtype="float64")
        y = K.layer_normalization(x, g, None)
        (gx,) = K.gradients(K.sum(y * K.constant(w, dtype="float64")), [x], create_graph=True)
        return x, K.sum(K.square(gx))

    x, s = inner(x0)
    (analytic,) = K.gradients(s, [x])
    eps = 1e-6
    numeric = np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        up, down = x0.copy(), x0.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (float(K.eval(inner(up)[1])) - float(K.eval(inner(down)[1]))) / (2 * eps)
    np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_layer_normalization_rejects_misshaped_gamma(backend_name):
    with pytest.raises(ValueError, match=r"Received: gamma.shape=\(3,\)"):
        K.layer_normalization(K.ones((2, 4)), K.ones(3), None)
