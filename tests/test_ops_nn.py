"""K's neural-network ops: values against NumPy references written another way, float64 gradients."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import allocation_growth, check_op, rand

A = rand(4, 5)
EPS = 1e-7


def _away_from(x, points, gap=0.02):
    """Moves entries within `gap` of a kink so central differences stay on one side."""
    x = np.array(x, dtype=np.float32)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap)
    return x


# ---------------------------------------------------------------- activations
def test_relu_default(backend_name):
    check_op(K.relu, lambda x: (x + np.abs(x)) / 2, [_away_from(A, [0.0])])


RELU_CASES = [
    dict(alpha=0.1),
    dict(max_value=0.6),
    dict(max_value=6.0),
    dict(threshold=0.3),
    dict(alpha=0.2, max_value=0.6, threshold=0.3),
    dict(alpha=0.3, threshold=-0.5),
]


def _relu_reference(x, alpha=0.0, max_value=None, threshold=0.0):
    # Keras 2's documented pieces: max_value above the cap, x between threshold and cap,
    # alpha * (x - threshold) below the threshold
    cap = np.inf if max_value is None else max_value
    return np.select([x >= cap, x >= threshold], [np.full_like(x, cap), x], alpha * (x - threshold)).astype(x.dtype)


@pytest.mark.parametrize("kwargs", RELU_CASES, ids=[str(c) for c in RELU_CASES])
def test_relu_general(backend_name, kwargs):
    x = _away_from(rand(6, 7) * 1.5, [0.0, kwargs.get("threshold", 0.0), kwargs.get("max_value", 99.0)])
    check_op(lambda t: K.relu(t, **kwargs), lambda v: _relu_reference(v, **kwargs), [x])


def test_relu_gradient_is_a_mask(backend_name):
    v = K.variable([-1.0, 0.0, 2.0])
    (g,) = K.gradients(K.sum(K.relu(v) * K.constant([1.0, 2.0, 3.0])), [v])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 3.0])


# At the kinks, the gradients TensorFlow gives the ops Keras 2 builds relu from:
# leaky_relu has slope alpha at 0; clip_by_value passes the gradient on its bound; relu6 does not.
RELU_KINKS = [
    (dict(alpha=0.1), [-1.0, 0.0, 2.0], [0.1, 0.1, 1.0]),
    (dict(alpha=0.1, threshold=0.5), [0.0, 0.5, 2.0], [0.1, 0.0, 1.0]),
    (dict(max_value=1.0), [0.0, 1.0, 2.0], [0.0, 1.0, 0.0]),
    (dict(max_value=6.0), [0.0, 6.0, 7.0], [0.0, 0.0, 0.0]),
    (dict(alpha=0.2, max_value=1.0), [-1.0, 0.0, 1.0], [0.2, 0.0, 1.0]),
]


@pytest.mark.parametrize("kwargs,x,expected", RELU_KINKS, ids=[str(c[0]) for c in RELU_KINKS])
def test_relu_gradient_at_kinks_follows_tensorflow(backend_name, kwargs, x, expected):
    v = K.variable(x)
    (g,) = K.gradients(K.sum(K.relu(v, **kwargs)), [v])
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu(backend_name, alpha):
    check_op(lambda t: K.elu(t, alpha), lambda v: np.where(v > 0, v, alpha * (np.exp(v) - 1)), [_away_from(A * 3, [0.0])])


def test_elu_large_inputs_do_not_overflow(backend_name):
    with np.errstate(all="raise"):
        np.testing.assert_allclose(K.elu(K.constant([1000.0, -1000.0])).numpy(), [1000.0, -1.0])


def test_selu(backend_name):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    check_op(K.selu, lambda v: scale * np.where(v > 0, v, alpha * (np.exp(v) - 1)), [_away_from(A * 3, [0.0])])


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax(backend_name, axis):
    check_op(lambda t: K.softmax(t, axis), lambda v: np.exp(v) / np.exp(v).sum(axis=axis, keepdims=True), [A * 3])


def test_softmax_middle_axis_and_stability(backend_name):
    x = rand(2, 3, 4)
    check_op(lambda t: K.softmax(t, 1), lambda v: np.exp(v) / np.exp(v).sum(axis=1, keepdims=True), [x])
    shifted = x + np.float32(1000.0)  # exp would overflow without the max subtracted
    big = K.softmax(K.constant(shifted), axis=1).numpy()
    z = shifted.astype(np.float64) - 1000.0
    np.testing.assert_allclose(big, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_softmax_differentiates_twice(backend_name):
    z0 = rand(3, 4).astype(np.float64)
    w = K.constant(rand(3, 4, seed=1), dtype="float64")
    results = []
    for fn in (K.softmax, lambda z: K.exp(z) / K.sum(K.exp(z), axis=-1, keepdims=True)):
        z = K.variable(z0, dtype="float64")
        (g,) = K.gradients(K.sum(fn(z) * w * fn(z)), [z], create_graph=True)
        (h,) = K.gradients(K.sum(g * g), [z])
        results.append((g.numpy(), h.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_softmax_rejects_bad_axis(backend_name):
    with pytest.raises(ValueError, match="Received: axis=2"):
        K.softmax(K.constant(A), axis=2)


def test_softplus_and_softsign(backend_name):
    check_op(K.softplus, lambda v: np.log1p(np.exp(v)), [A * 4])
    np.testing.assert_allclose(K.softplus(K.constant([100.0, -100.0])).numpy(), [100.0, 0.0], atol=1e-30)
    check_op(K.softsign, lambda v: np.sign(v) * (1 - 1 / (1 + np.abs(v))), [_away_from(A, [0.0])])


def test_hard_sigmoid(backend_name):
    x = _away_from(rand(5, 6) * 4, [-2.5, 2.5])
    ref = lambda v: np.select([v < -2.5, v > 2.5], [np.zeros_like(v), np.ones_like(v)], 0.2 * v + 0.5)
    check_op(K.hard_sigmoid, ref, [x])


def test_sigmoid_and_tanh_are_the_math_ops():
    from multinn.backend.ops import math

    assert K.sigmoid is math.sigmoid and K.tanh is math.tanh


# ---------------------------------------------------------------- bias_add
BIAS_CASES = [
    ("2d", (4, 3), (3,), "channels_last", lambda x, b: x + b[None, :]),
    ("3d_last", (2, 5, 3), (3,), "channels_last", lambda x, b: x + b[None, None, :]),
    ("4d_first", (2, 3, 4, 5), (3,), "channels_first", lambda x, b: x + b[None, :, None, None]),
    ("5d_first", (2, 3, 2, 2, 2), (3,), "channels_first", lambda x, b: x + b[None, :, None, None, None]),
    ("4d_full_last", (2, 4, 5, 3), (4, 5, 3), "channels_last", lambda x, b: x + b[None]),
    # Keras 2 reshapes (not transposes) a full channels-last bias into channels-first order
    ("3d_full_first", (2, 3, 5), (5, 3), "channels_first", lambda x, b: x + b.reshape(1, 3, 5)),
]


@pytest.mark.parametrize("name,xs,bs,fmt,ref", BIAS_CASES, ids=[c[0] for c in BIAS_CASES])
def test_bias_add(backend_name, name, xs, bs, fmt, ref):
    check_op(lambda x, b: K.bias_add(x, b, fmt), ref, [rand(*xs), rand(*bs, seed=1)])


def test_bias_add_differentiates_twice(backend_name):
    x = K.variable(rand(4, 3), dtype="float64")
    b = K.variable(rand(3, seed=1), dtype="float64")
    (gb,) = K.gradients(K.sum(K.square(K.bias_add(x, b))), [b], create_graph=True)
    w = rand(3, seed=2).astype(np.float64)
    (gx,) = K.gradients(K.sum(gb * K.constant(w, dtype="float64")), [x])
    np.testing.assert_allclose(gb.numpy(), 2 * (x.numpy() + b.numpy()).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), np.broadcast_to(2 * w, (4, 3)), rtol=1e-12)


def test_bias_add_default_format_and_errors(backend_name):
    np.testing.assert_allclose(K.bias_add(K.zeros((2, 2, 3)), K.constant([1.0, 2.0, 3.0])).numpy()[1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match=r"Received: bias.shape=\(2, 3\)"):
        K.bias_add(K.zeros((2, 2, 2, 3)), K.zeros((2, 3)))
    with pytest.raises(ValueError, match="data_format"):
        K.bias_add(K.zeros((2, 3)), K.zeros((3,)), data_format="channels_middle")


# ---------------------------------------------------------------- l2_normalize, in_top_k
@pytest.mark.parametrize("axis", [None, 1, 0])
def test_l2_normalize(backend_name, axis):
    ref = lambda v: v / np.linalg.norm(v, axis=axis, keepdims=True) if axis is not None else v / np.linalg.norm(v)
    check_op(lambda t: K.l2_normalize(t, axis), ref, [A])


def test_l2_normalize_of_zeros_is_zero(backend_name):
    np.testing.assert_array_equal(K.l2_normalize(K.zeros((2, 3)), axis=1).numpy(), np.zeros((2, 3)))


def test_in_top_k(backend_name):
    p = np.array([[0.1, 0.5, 0.4, 0.0], [0.3, 0.3, 0.3, 0.1], [0.2, np.nan, 0.5, 0.3], [0.9, 0.05, 0.05, 0.0]], np.float32)
    t = np.array([2, 2, 2, 3], np.int32)
    out = K.in_top_k(K.constant(p), K.constant(t, dtype="int32"), 1)
    assert out.dtype == np.bool_
    # row 1: a three-way tie at the top counts as in the top 1 (as TensorFlow); row 2 has a NaN
    np.testing.assert_array_equal(out.numpy(), [False, True, False, False])
    np.testing.assert_array_equal(K.in_top_k(K.constant(p), K.constant(t, dtype="int32"), 2).numpy(), [True, True, False, False])
    # reference by counting strictly larger scores, for random finite rows
    q = rand(30, 7)
    tt = np.random.default_rng(0).integers(0, 7, size=30).astype(np.int64)
    for k in (1, 3, 7):
        ref = np.array([np.sum(q[i] > q[i, tt[i]]) < k for i in range(30)])
        np.testing.assert_array_equal(K.in_top_k(K.constant(q), K.constant(tt, dtype="int64"), k).numpy(), ref)


def test_in_top_k_errors(backend_name):
    with pytest.raises(TypeError, match="targets.dtype=float32"):
        K.in_top_k(K.constant(A), K.constant([0.0, 1.0, 2.0, 3.0]), 1)
    with pytest.raises(ValueError, match=r"targets.shape=\(3,\)"):
        K.in_top_k(K.constant(A), K.constant([0, 1, 2], dtype="int32"), 1)


# ---------------------------------------------------------------- cross-entropies
def _log_softmax(z, axis=-1):
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def _probs(*shape, seed=0, axis=-1):
    z = rand(*shape, seed=seed) * 2
    return (np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)).astype(np.float32)


def _onehot(n, c, seed=0):
    return np.eye(c, dtype=np.float32)[np.random.default_rng(seed).integers(0, c, size=n)]


def test_categorical_crossentropy_probabilities(backend_name):
    t, p = _onehot(6, 4), _probs(6, 4) * 1.3  # unnormalised: Keras rescales each row to sum to 1
    ref = lambda t, p: -np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))[t.astype(bool)]
    check_op(K.categorical_crossentropy, ref, [t, p], grad_inputs=[t, p])


def test_categorical_crossentropy_clips_at_epsilon(backend_name):
    out = K.categorical_crossentropy(K.constant([[1.0, 0.0]]), K.constant([[0.0, 1.0]])).numpy()
    np.testing.assert_allclose(out, [-np.log(K.epsilon())], rtol=1e-5)


def test_categorical_crossentropy_from_logits(backend_name):
    t = rand(5, 4, low=0.0, high=1.0)  # soft targets that do not sum to 1: the gradient must stay exact
    check_op(lambda t, z: K.categorical_crossentropy(t, z, from_logits=True),
             lambda t, z: -(t * _log_softmax(z)).sum(-1), [t, rand(5, 4, seed=1) * 3])


def test_categorical_crossentropy_channels_first(backend_name):
    t = np.moveaxis(_onehot(6, 3).reshape(2, 3, 3), 2, 1).copy()
    z = rand(2, 3, 3, seed=2)
    check_op(lambda t, z: K.categorical_crossentropy(t, K.softmax(z, axis=1), axis=1),
             lambda t, z: -(t * _log_softmax(z, 1)).sum(1), [t, z], grad_inputs=[t, z])


def test_softmax_then_crossentropy_is_fused(backend_name):
    t = K.constant(_onehot(8, 5))
    z = K.variable(rand(8, 5) * 4)
    p = K.softmax(z)
    loss = K.categorical_crossentropy(t, p)
    assert loss.node[0].name == "softmax_cross_entropy" and loss.node[1][0] is z
    # the fused value equals Keras's clipped formula wherever no probability is clipped
    np.testing.assert_allclose(loss.numpy(), K.categorical_crossentropy(t, K.constant(p.numpy())).numpy(), rtol=1e-5)
    (g,) = K.gradients(K.sum(loss * 2.0), [z])
    np.testing.assert_allclose(g.numpy(), 2.0 * (p.numpy() - t.numpy()), atol=1e-6)
    # a softmax over another axis is not fused
    other = K.categorical_crossentropy(t, K.softmax(z, axis=0))
    assert other.node[0].name != "softmax_cross_entropy"


def test_fused_crossentropy_keeps_gradients_where_clipping_would_kill_them(backend_name):
    z = K.variable([[30.0, -30.0]])
    (g,) = K.gradients(K.sum(K.categorical_crossentropy(K.constant([[0.0, 1.0]]), K.softmax(z))), [z])
    np.testing.assert_allclose(g.numpy(), [[1.0, -1.0]], atol=1e-6)


def _second_order(loss_fn, z0):
    z = K.variable(z0, dtype="float64")
    (g,) = K.gradients(K.sum(loss_fn(z) * K.constant([1.0, 2.0, 3.0], dtype="float64")), [z], create_graph=True)
    w = K.constant(np.arange(z0.size).reshape(z0.shape) * 0.1 + 0.5, dtype="float64")
    (h,) = K.gradients(K.sum(g * g * w), [z])
    return g.numpy(), h.numpy()


def test_fused_crossentropies_differentiate_twice(backend_name):
    z0 = rand(3, 4).astype(np.float64) * 2
    t = K.constant(np.eye(4)[[1, 3, 0]], dtype="float64")
    classes = K.constant([1, 3, 0], dtype="int32")
    composite = lambda z: -K.sum(t * (z - K.logsumexp(z, axis=-1, keepdims=True)), axis=-1)
    g_ref, h_ref = _second_order(composite, z0)
    for fn in (
        lambda z: K.categorical_crossentropy(t, K.softmax(z)),
        lambda z: K.categorical_crossentropy(t, z, from_logits=True),
        lambda z: K.sparse_categorical_crossentropy(classes, K.softmax(z)),
        lambda z: K.sparse_categorical_crossentropy(classes, z, from_logits=True),
    ):
        g, h = _second_order(fn, z0)
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(h, h_ref, rtol=1e-9, atol=1e-12)


def test_sparse_categorical_crossentropy(backend_name):
    p = _probs(6, 4)
    classes = np.array([0, 3, 1, 1, 2, 0], np.int32)
    ref = lambda p: -np.log(np.clip(p, EPS, 1 - EPS)[np.arange(6), classes])
    check_op(lambda p: K.sparse_categorical_crossentropy(K.constant(classes, dtype="int32"), p), ref, [p])
    z = rand(6, 4, seed=3) * 3
    check_op(lambda z: K.sparse_categorical_crossentropy(K.constant(classes, dtype="int32"), z, from_logits=True),
             lambda z: -_log_softmax(z)[np.arange(6), classes], [z])
    check_op(lambda z: K.sparse_categorical_crossentropy(K.constant(classes, dtype="int32"), K.softmax(z)),
             lambda z: -_log_softmax(z)[np.arange(6), classes], [z])


def test_sparse_categorical_crossentropy_shapes(backend_name):
    z = rand(2, 3, 5)
    classes = np.random.default_rng(1).integers(0, 5, size=(2, 3))
    # float (N, T, 1)-style targets are accepted, as Keras flattens and casts them
    out = K.sparse_categorical_crossentropy(K.constant(classes[..., None].astype(np.float32)), K.constant(z), from_logits=True)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), -np.take_along_axis(_log_softmax(z), classes[..., None], -1)[..., 0], rtol=1e-5)
    zt = np.moveaxis(z, 2, 1).copy()  # channels first: (2, 5, 3)
    check_op(lambda z: K.sparse_categorical_crossentropy(K.constant(classes, dtype="int32"), K.softmax(z, axis=1), axis=1),
             lambda z: -np.take_along_axis(_log_softmax(z, 1), classes[:, None, :], 1)[:, 0, :], [zt])


def test_sparse_categorical_crossentropy_errors(backend_name):
    p = K.constant(_probs(3, 4))
    with pytest.raises(ValueError, match="must lie in"):
        K.sparse_categorical_crossentropy(K.constant([0, 4, 1], dtype="int32"), p)
    with pytest.raises(ValueError, match="must lie in"):
        K.sparse_categorical_crossentropy(K.constant([0, -1, 1], dtype="int32"), p)
    with pytest.raises(ValueError, match=r"target.shape=\(2,\)"):
        K.sparse_categorical_crossentropy(K.constant([0, 1], dtype="int32"), p)
    with pytest.raises(ValueError, match="Received: axis=3"):
        K.categorical_crossentropy(p, p, axis=3)


def test_binary_crossentropy(backend_name):
    t = rand(4, 5, low=0.0, high=1.0)
    p = rand(4, 5, seed=1, low=0.05, high=0.95)
    ref = lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p))
    check_op(K.binary_crossentropy, ref, [t, p])
    z = rand(4, 5, seed=2) * 6
    check_op(lambda t, z: K.binary_crossentropy(t, z, from_logits=True),
             lambda t, z: t * np.log1p(np.exp(-z)) + (1 - t) * np.log1p(np.exp(z)), [t, z])
    # clipping at epsilon (1 - epsilon rounds to the float32 just below 1, as in Keras)
    out = K.binary_crossentropy(K.constant([1.0, 0.0]), K.constant([0.0, 1.0])).numpy()
    np.testing.assert_allclose(out, [-np.log(EPS), -np.log(1.0 - np.float64(np.float32(1.0 - EPS)))], rtol=1e-5)


def test_sigmoid_then_binary_crossentropy_is_fused(backend_name):
    t = rand(4, 5, low=0.0, high=1.0)
    z = rand(4, 5, seed=2) * 6
    check_op(lambda t, z: K.binary_crossentropy(t, K.sigmoid(z)),
             lambda t, z: t * np.log1p(np.exp(-z)) + (1 - t) * np.log1p(np.exp(z)), [t, z])
    v = K.variable(z)
    loss = K.binary_crossentropy(K.constant(t), K.sigmoid(v))
    assert loss.node[1][0] is v
    (g,) = K.gradients(K.sum(loss), [v])
    np.testing.assert_allclose(g.numpy(), 1 / (1 + np.exp(-z)) - t, atol=1e-6)


# ---------------------------------------------------------------- batch normalization
def _bn_reference(x, gamma, beta, axes, eps=1e-3):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * gamma + beta


BN_CASES = [
    ("dense", (6, 4), [0]),
    ("channels_last", (3, 2, 2, 4), [0, 1, 2]),
    ("channels_first", (3, 4, 2, 2), [0, 2, 3]),
    ("sequence", (3, 5, 4), [0, 1]),
]


@pytest.mark.parametrize("name,shape,axes", BN_CASES, ids=[c[0] for c in BN_CASES])
def test_normalize_batch_in_training(backend_name, name, shape, axes):
    x = rand(*shape) * 3 + 1
    kept = tuple(d for i, d in enumerate(shape) if i not in axes)
    bshape = tuple(1 if i in axes else d for i, d in enumerate(shape))
    gamma, beta = rand(*kept, seed=1) + 1.5, rand(*kept, seed=2)
    check_op(lambda x, g, b: K.normalize_batch_in_training(x, g, b, axes)[0],
             lambda x, g, b: _bn_reference(x, g.reshape(bshape), b.reshape(bshape), tuple(axes)), [x, gamma, beta],
             rtol=1e-4, atol=1e-5)
    _, m, v = K.normalize_batch_in_training(K.constant(x), K.constant(gamma), K.constant(beta), axes)
    assert m.shape == kept and v.shape == kept
    np.testing.assert_allclose(m.numpy(), x.mean(axis=tuple(axes)), rtol=1e-5)
    np.testing.assert_allclose(v.numpy(), x.var(axis=tuple(axes)), rtol=1e-4)
    # gradients flow into the returned statistics too
    check_op(lambda x: K.normalize_batch_in_training(x, None, None, axes)[1], lambda x: x.mean(axis=tuple(axes)), [x])
    check_op(lambda x: K.normalize_batch_in_training(x, None, None, axes)[2], lambda x: x.var(axis=tuple(axes)), [x],
             rtol=1e-4)


def test_normalize_batch_without_gamma_beta(backend_name):
    x = rand(5, 3) * 2
    check_op(lambda x: K.normalize_batch_in_training(x, None, None, [0], epsilon=1e-2)[0],
             lambda x: _bn_reference(x, 1.0, 0.0, (0,), 1e-2), [x], rtol=1e-4, atol=1e-5)


def test_normalize_batch_second_order_matches_composite(backend_name):
    x0 = rand(5, 3).astype(np.float64) * 2
    gamma = K.variable(rand(3, seed=1) + 1.5, dtype="float64")

    def composite(x):
        m = K.mean(x, axis=0, keepdims=True)
        return (x - m) / K.sqrt(K.var(x, axis=0, keepdims=True) + 1e-3) * gamma

    results = []
    for fn in (composite, lambda x: K.normalize_batch_in_training(x, gamma, None, [0])[0]):
        x = K.variable(x0, dtype="float64")
        out = fn(x)
        gx, gg = K.gradients(K.sum(out * out * out), [x, gamma], create_graph=True)
        (h,) = K.gradients(K.sum(gx * gx) + K.sum(gg), [x])
        results.append([gx.numpy(), gg.numpy(), h.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_normalize_batch_rejects_bad_gamma(backend_name):
    with pytest.raises(ValueError, match=r"gamma.shape=\(5,\)"):
        K.normalize_batch_in_training(K.constant(rand(4, 3)), K.constant(rand(5)), None, [0])


def test_batch_normalization(backend_name):
    x = rand(4, 3) * 2
    m, v, b, g = rand(3, seed=1), rand(3, seed=2, low=0.5, high=2.0), rand(3, seed=3), rand(3, seed=4)
    ref = lambda x, m, v, b, g: g * (x - m) / np.sqrt(v + 1e-3) + b
    check_op(lambda x, m, v, b, g: K.batch_normalization(x, m, v, b, g), ref, [x, m, v, b, g], rtol=1e-4, atol=1e-5)


def test_batch_normalization_channels_first_and_none(backend_name):
    x = rand(2, 3, 4, 4)
    m, v = rand(3, seed=1), rand(3, seed=2, low=0.5, high=2.0)
    shape = (1, 3, 1, 1)
    ref = lambda x, m, v: (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + 1e-2)
    check_op(lambda x, m, v: K.batch_normalization(x, m, v, None, None, axis=1, epsilon=1e-2), ref, [x, m, v],
             rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- dropout
def test_dropout_rate_and_scaling(backend_name):
    K.set_seed(0)
    y = K.dropout(K.ones((200, 200)), 0.3).numpy()
    assert abs(np.mean(y == 0) - 0.3) < 0.015
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation
    assert y.dtype == np.float32


def test_dropout_noise_shape_broadcasts(backend_name):
    y = K.dropout(K.ones((300, 4, 6)), 0.5, noise_shape=(300, 1, 6), seed=3).numpy()
    assert np.all(y == y[:, :1, :])  # one decision per (sample, feature), shared over axis 1
    assert 0.4 < np.mean(y == 0) < 0.6
    z = K.dropout(K.ones((300, 4)), 0.5, noise_shape=(None, 1)).numpy()
    assert np.all(z == z[:, :1])


def test_dropout_seed_gives_a_reproducible_sequence(backend_name):
    K.set_seed(1)
    first = [K.dropout(K.ones((50, 40)), 0.5, seed=9).numpy() for _ in range(2)]
    assert not np.array_equal(first[0], first[1])  # a new mask at every call
    K.set_seed(1)
    again = [K.dropout(K.ones((50, 40)), 0.5, seed=9).numpy() for _ in range(2)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_dropout_gradient_is_the_scaled_mask(backend_name):
    x = rand(30, 20) + 2.0  # no zeros, so the mask is y / x
    v = K.variable(x)
    y = K.dropout(v, 0.4, seed=2)
    w = rand(30, 20, seed=5)
    (g,) = K.gradients(K.sum(y * K.constant(w)), [v])
    mask = y.numpy() / x
    np.testing.assert_allclose(g.numpy(), w * mask, rtol=1e-6)
    np.testing.assert_allclose(np.unique(np.round(mask, 5)), [0.0, np.round(1 / 0.6, 5)])


def test_dropout_level_zero_is_identity_and_errors(backend_name):
    x = K.constant(A)
    assert K.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="Received: level=1.0"):
        K.dropout(x, 1.0)
    with pytest.raises(ValueError, match=r"Received: noise_shape=\(4, 2\)"):
        K.dropout(x, 0.5, noise_shape=(4, 2))


# ---------------------------------------------------------------- placeholders and K.function replays
def test_nn_ops_on_placeholders_match_eager(backend_name):
    xv, tv = rand(5, 4) * 2, _onehot(5, 4)
    cv = tv.argmax(-1).astype(np.int32)
    b = K.variable(rand(4, seed=3))

    def graph(x, t, c):
        h = K.relu(K.bias_add(x, b))
        p = K.softmax(h)
        normed, m, v = K.normalize_batch_in_training(h, None, None, [0])
        return [p, K.categorical_crossentropy(t, p), K.sparse_categorical_crossentropy(c, p),
                K.binary_crossentropy(t, K.sigmoid(x)), normed, m, v, K.l2_normalize(x, axis=1),
                K.in_top_k(x, c, 2), K.batch_normalization(x, b, K.constant([1.0, 2.0, 3.0, 4.0]), None, b),
                K.cast(K.equal(K.dropout(K.ones_like(x), 0.5, noise_shape=(None, 1), seed=1), 0), "float32") * 0]

    x, t = K.placeholder(shape=(None, 4)), K.placeholder(shape=(None, 4))
    c = K.placeholder(shape=(None,), dtype="int32")
    f = K.function([x, t, c], graph(x, t, c))
    got = f([xv, tv, cv])
    expected = graph(K.constant(xv), K.constant(tv), K.constant(cv, dtype="int32"))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-5, atol=1e-6)


def test_symbolic_gradients_through_crossentropy(backend_name):
    xv, tv = rand(5, 4) * 2, _onehot(5, 4)
    w = K.variable(rand(4, 4, seed=1))
    x, t = K.placeholder(shape=(None, 4)), K.placeholder(shape=(None, 4))
    f = K.function([x, t], K.gradients(K.mean(K.categorical_crossentropy(t, K.softmax(K.dot(x, w)))), [w]))
    (expected,) = K.gradients(K.mean(K.categorical_crossentropy(K.constant(tv), K.softmax(K.dot(K.constant(xv), w)))), [w])
    np.testing.assert_allclose(f([xv, tv])[0], expected.numpy(), rtol=1e-5, atol=1e-6)


def test_replayed_batch_statistics_follow_the_variables(backend_name):
    w = K.variable(rand(3, 3, seed=1))
    xc = K.constant(rand(6, 3))
    h = K.dot(xc, w)
    _, m, v = K.normalize_batch_in_training(h, None, None, [0])
    loss = K.categorical_crossentropy(K.constant(_onehot(6, 3)), K.softmax(h))
    f = K.function([], [m, v, loss])
    w.assign(rand(3, 3, seed=2))
    hv = xc.numpy() @ w.numpy()
    got_m, got_v, got_loss = f([])
    np.testing.assert_allclose(got_m, hv.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_v, hv.var(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got_loss, -(_onehot(6, 3) * _log_softmax(hv)).sum(-1), rtol=1e-5)


def test_training_steps_with_fused_ops_do_not_grow_memory(backend_name):
    w = K.variable(rand(16, 8) * 0.3)
    b = K.variable(np.zeros(8, np.float32))
    gamma = K.variable(np.ones(8, np.float32))
    x, t = K.constant(rand(32, 16)), K.constant(_onehot(32, 8))

    def step():
        h = K.relu(K.bias_add(K.dot(x, w), b))
        h, _, _ = K.normalize_batch_in_training(K.dropout(h, 0.2), gamma, None, [0])
        loss = K.mean(K.categorical_crossentropy(t, K.softmax(h))) + K.mean(K.binary_crossentropy(t, K.sigmoid(h)))
        for v, g in zip((w, b, gamma), K.gradients(loss, [w, b, gamma])):
            v.assign_sub(g * 0.01)

    def steps(n):
        def run():
            for _ in range(n):
                step()
        return run

    # 300 steps let interpreter and library caches settle (a plateau of about 200 KB)
    grew = allocation_growth(steps(300), steps(600))
    # one step's arrays are a few KB; keeping even one 1 KB array per step would add 600 KB
    assert grew < 128 * 1024, f"memory grew by {grew} bytes over 600 steps"
