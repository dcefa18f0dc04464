"""K's math, comparison, reduction and product ops: values vs NumPy, gradients vs central differences."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, rand, differentiable_inside

A = rand(3, 4)
B = rand(3, 4, seed=1)
POS = rand(3, 4, seed=2, low=0.2, high=2.0)
ROW = rand(1, 4, seed=3)


# Each op: (K function, NumPy reference written another way, inputs, check gradient?)
UNARY = [
    ("negative", K.negative, lambda x: 0 - x, A),
    ("square", K.square, lambda x: x ** 2, A),
    ("abs", K.abs, lambda x: np.where(x < 0, -x, x), A),
    ("sqrt", K.sqrt, lambda x: x ** 0.5, POS),
    ("exp", K.exp, lambda x: np.e ** x, A),
    ("log", K.log, lambda x: np.log2(x) / np.log2(np.e), POS),
    ("sin", K.sin, lambda x: np.cos(x - np.pi / 2), A),
    ("cos", K.cos, lambda x: np.sin(x + np.pi / 2), A),
    ("tanh", K.tanh, lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), A),
    ("sigmoid", K.sigmoid, lambda x: 1 / (1 + np.exp(-x)), A * 5),
]


@pytest.mark.parametrize("name,k_fn,np_fn,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary(backend_name, name, k_fn, np_fn, x):
    check_op(k_fn, np_fn, [x])


def test_sign_and_round(backend_name):
    x = np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.5], np.float32)
    check_op(K.sign, lambda v: (v > 0).astype(np.float32) - (v < 0), [x], grad=False)
    check_op(K.round, lambda v: np.array([-2.0, -0.0, 0.0, 0.0, 2.0, 2.0], np.float32), [x], grad=False)


BINARY = [
    ("add", K.add, lambda x, y: x - (-y)),
    ("subtract", K.subtract, lambda x, y: x + (-y)),
    ("multiply", K.multiply, lambda x, y: np.einsum("ij,ij->ij", *np.broadcast_arrays(x, y))),
    ("divide", K.divide, lambda x, y: x * (1 / y)),
    ("maximum", K.maximum, lambda x, y: np.where(x >= y, x, y)),
    ("minimum", K.minimum, lambda x, y: np.where(x <= y, x, y)),
]


@pytest.mark.parametrize("name,k_fn,np_fn", BINARY, ids=[b[0] for b in BINARY])
def test_binary_with_broadcasting(backend_name, name, k_fn, np_fn):
    y = POS if name == "divide" else B
    check_op(k_fn, np_fn, [A, y])
    check_op(k_fn, np_fn, [A, ROW if name != "divide" else ROW + 2])


def test_pow(backend_name):
    check_op(lambda x: K.pow(x, 3), lambda x: x * x * x, [A])
    check_op(K.pow, lambda x, a: np.exp(a * np.log(x)), [POS, B], rtol=1e-4)


def test_clip(backend_name):
    check_op(lambda x: K.clip(x, -0.3, 0.4), lambda x: np.minimum(np.maximum(x, -0.3), 0.4), [A])
    # Keras 2: a max_value below min_value is raised to min_value
    check_op(lambda x: K.clip(x, 0.5, 0.1), lambda x: np.full_like(x, 0.5), [A], grad=False)


COMPARE = [
    (K.equal, lambda x, y: ~(x != y)),
    (K.not_equal, lambda x, y: ~(x == y)),
    (K.greater, lambda x, y: ~(x <= y)),
    (K.greater_equal, lambda x, y: ~(x < y)),
    (K.less, lambda x, y: ~(x >= y)),
    (K.less_equal, lambda x, y: ~(x > y)),
]


@pytest.mark.parametrize("k_fn,np_fn", COMPARE)
def test_comparisons(backend_name, k_fn, np_fn):
    x = np.array([1.0, 2.0, 3.0], np.float32)
    y = np.array([2.0, 2.0, 2.0], np.float32)
    check_op(k_fn, np_fn, [x, y], grad=False)


AXES = [None, 0, 1, -1, [0, 1]]


def _loop_sum(x, axis, keepdims):
    return np.add.reduce(x, axis=None if axis is None else tuple(np.atleast_1d(axis)), keepdims=keepdims)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(backend_name, axis, keepdims):
    ax = None if axis is None else tuple(np.atleast_1d(axis))
    check_op(lambda x: K.sum(x, axis, keepdims), lambda x: _loop_sum(x, axis, keepdims), [A])
    check_op(
        lambda x: K.mean(x, axis, keepdims),
        lambda x: _loop_sum(x, axis, keepdims) / _loop_sum(np.ones_like(x), axis, keepdims),
        [A],
    )
    check_op(lambda x: K.max(x, axis, keepdims), lambda x: np.maximum.reduce(x, axis=ax, keepdims=keepdims), [A])
    check_op(lambda x: K.min(x, axis, keepdims), lambda x: np.minimum.reduce(x, axis=ax, keepdims=keepdims), [A])
    check_op(
        lambda x: K.prod(x, axis, keepdims), lambda x: np.multiply.reduce(x, axis=ax, keepdims=keepdims), [A],
        rtol=1e-4,
    )
    check_op(lambda x: K.var(x, axis, keepdims), lambda x: np.var(x.astype(np.float64), axis=ax, keepdims=keepdims), [A], rtol=1e-4)
    check_op(lambda x: K.std(x, axis, keepdims), lambda x: np.std(x.astype(np.float64), axis=ax, keepdims=keepdims), [POS], rtol=1e-4)
    check_op(
        lambda x: K.logsumexp(x, axis, keepdims),
        lambda x: np.log(np.exp(x.astype(np.float64)).sum(axis=ax, keepdims=keepdims)),
        [A], rtol=1e-5,
    )


def test_prod_gradient_with_zeros(backend_name):
    K.check_gradients(lambda x: K.prod(x, axis=1), [[[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 5.0]]])


def test_max_gradient_splits_ties(backend_name):
    v = K.variable([1.0, 3.0, 3.0])
    np.testing.assert_allclose(K.gradients(K.max(v), [v])[0].numpy(), [0.0, 0.5, 0.5])


def test_logsumexp_is_stable(backend_name):
    out = K.logsumexp(K.constant([1000.0, 1000.0]))
    np.testing.assert_allclose(out.numpy(), 1000.0 + np.log(2.0), rtol=1e-6)


def test_any_all_argmax_argmin(backend_name):
    x = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    assert K.any(x, axis=1).numpy().tolist() == [True, False]
    assert K.all(K.constant([[1.0, 1.0]]), axis=1).numpy().tolist() == [True]
    check_op(K.argmax, lambda v: np.array([max(range(4), key=lambda j: r[j]) for r in v]), [A], grad=False)
    check_op(K.argmin, lambda v: np.array([min(range(4), key=lambda j: r[j]) for r in v]), [A], grad=False)
    assert K.argmax(A, axis=0).shape == (4,)


@pytest.mark.parametrize("axis", [0, 1])
def test_cumulative(backend_name, axis):
    def loop_cumsum(x):
        out = np.zeros_like(x)
        for i in range(x.shape[axis]):
            idx = [slice(None)] * 2
            idx[axis] = slice(0, i + 1)
            sel = [slice(None)] * 2
            sel[axis] = i
            out[tuple(sel)] = x[tuple(idx)].sum(axis=axis)
        return out

    check_op(lambda x: K.cumsum(x, axis), loop_cumsum, [A])
    check_op(lambda x: K.cumprod(x, axis), lambda x: np.exp(loop_cumsum(np.log(x))), [POS], rtol=1e-4)


def _einsum_dot(x, y):
    if y.ndim == 1:
        return np.einsum("...i,i->...", x, y)
    return np.einsum("...i,...ij->...j", x, y) if y.ndim == 2 else np.einsum("...i,kij->...kj", x, y)


@pytest.mark.parametrize(
    "xs,ys", [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (3,)), ((2, 3), (6, 3, 4)), ((3,), (3, 2))]
)
def test_dot(backend_name, xs, ys):
    x, y = rand(*xs), rand(*ys, seed=5)
    check_op(K.dot, _einsum_dot if len(xs) > 1 else lambda a, b: np.einsum("i,ij->j", a, b), [x, y], rtol=1e-5)


def test_matmul_batched_broadcast(backend_name):
    check_op(K.matmul, lambda a, b: np.einsum("bij,jk->bik", a, b), [rand(2, 3, 4), rand(4, 5)], rtol=1e-5)


@pytest.mark.parametrize(
    "xs,ys,axes,expected",
    [
        ((4, 3), (4, 3), None, (4, 1)),
        ((4, 3), (4, 3), 1, (4, 1)),
        ((4, 2, 3), (4, 3, 5), None, (4, 2, 5)),
        ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30)),
    ],
)
def test_batch_dot(backend_name, xs, ys, axes, expected):
    x, y = rand(*xs), rand(*ys, seed=7)

    def loop(a, b):
        ax = (a.ndim - 1, b.ndim - 1 if b.ndim == 2 else b.ndim - 2) if axes is None else (
            (axes, axes) if isinstance(axes, int) else axes)
        out = np.stack([np.tensordot(a[i], b[i], axes=(ax[0] - 1, ax[1] - 1)) for i in range(a.shape[0])])
        return out.reshape(expected)

    small = (xs[0] > 8)
    check_op(lambda a, b: K.batch_dot(a, b, axes), loop, [x, y], rtol=1e-5, grad=not small)


def test_where_and_transpose(backend_name):
    c = A > 0
    check_op(lambda x, y: K.where(K.constant(c, dtype="bool"), x, y), lambda x, y: np.choose(c.astype(int), [y, x]), [A, B])
    check_op(lambda x: K.transpose(x, (1, 0)), lambda x: np.array([[x[i, j] for i in range(3)] for j in range(4)]), [A])


def test_getitem_and_gather(backend_name):
    check_op(lambda x: x[1:, ::2], lambda x: np.array([[x[i, j] for j in (0, 2)] for i in (1, 2)]), [A])
    check_op(lambda x: K.gather(x, [2, 0, 2]), lambda x: np.stack([x[2], x[0], x[2]]), [A])


def test_concatenate_and_stack(backend_name):
    check_op(lambda x, y: K.concatenate([x, y], axis=0), lambda x, y: np.vstack([x, y]), [A, B])
    check_op(lambda x, y: K.stack([x, y], axis=1), lambda x, y: np.array([[x[i], y[i]] for i in range(3)]), [A, B])


INT_REDUCTIONS = [
    ("sum", lambda x: K.sum(x, axis=1), lambda v: np.array([v[0, 0] + v[0, 1] + v[0, 2], v[1, 0] + v[1, 1] + v[1, 2]])),
    ("prod", lambda x: K.prod(x, axis=0), lambda v: v[0] * v[1]),
    ("cumsum", K.cumsum, lambda v: np.stack([v[0], v[0] + v[1]])),
    ("cumprod", K.cumprod, lambda v: np.stack([v[0], v[0] * v[1]])),
    # TensorFlow's reduce_mean of integers: the integer sum divided by the count, toward zero
    ("mean", lambda x: K.mean(x, axis=1), lambda v: np.array([-4 // 3 + 1, 7 // 3])),
]


@pytest.mark.parametrize("name,k_fn,np_fn", INT_REDUCTIONS, ids=[r[0] for r in INT_REDUCTIONS])
def test_integer_reductions_keep_int32(backend_name, name, k_fn, np_fn):
    v = np.array([[-1, -2, -1], [3, 2, 2]], np.int32)
    out = k_fn(K.constant(v, dtype="int32"))
    assert out.dtype == np.int32, f"K.{name} of int32 gave {out.dtype}"
    np.testing.assert_array_equal(out.numpy(), np_fn(v))


def test_mean_of_bool_and_var_of_int_take_floatx(backend_name):
    assert K.mean(K.constant([True, False, False, False], dtype="bool")).numpy().tolist() == 0.25
    out = K.var(K.constant([1, 2, 3, 4], dtype="int32"))
    assert out.dtype == np.float32 and out.numpy().tolist() == 1.25
    assert K.std(K.constant([True, False], dtype="bool")).dtype == np.float32


def test_concatenate_mixed_dtypes_keeps_the_float_dtype(backend_name):
    f = K.constant([1.5, 2.5])
    i = K.constant([3], dtype="int32")
    out = K.concatenate([f, i])
    assert out.dtype == np.float32 and out.numpy().tolist() == [1.5, 2.5, 3.0]
    assert K.concatenate([i, K.constant([True], dtype="bool")]).dtype == np.int32
    assert K.concatenate([K.constant([1.0], dtype="float64"), i]).dtype == np.float64


def test_concatenate_negative_axis(backend_name):
    x, y = rand(2, 3, 1), rand(2, 2, 1, seed=1)
    check_op(lambda a, b: K.concatenate([a, b], axis=-2), lambda a, b: np.hstack([a, b]), [x, y])


AXIS_OUT_OF_RANGE = [
    ("concatenate", lambda x: K.concatenate([x, x], axis=2)),
    ("sum", lambda x: K.sum(x, axis=2)),
    ("mean", lambda x: K.mean(x, axis=[0, -3])),
    ("max", lambda x: K.max(x, axis=2)),
    ("cumsum", lambda x: K.cumsum(x, axis=2)),
    ("repeat_elements", lambda x: K.repeat_elements(x, 2, axis=2)),
    ("reverse", lambda x: K.reverse(x, 2)),
    ("squeeze", lambda x: K.squeeze(x, 2)),
    ("batch_dot", lambda x: K.batch_dot(x, x, axes=(2, 1))),
]


@pytest.mark.parametrize("name,call", AXIS_OUT_OF_RANGE, ids=[a[0] for a in AXIS_OUT_OF_RANGE])
def test_axis_out_of_range_is_an_error_not_a_wrap(backend_name, name, call):
    # axis 2 of a 2-D tensor used to wrap around to axis 0
    with pytest.raises(ValueError, match=rf"K.{name}: axis -?\d is out of range for a tensor of 2 dimensions"):
        call(K.constant(A[:2, :1]))


def _grad(fn, x, *others):
    v = K.variable(np.asarray(x, np.float32))
    return K.gradients(K.sum(fn(v, *others)), [v])[0].numpy()


def test_gradients_at_edges_follow_tensorflow(backend_name):
    # |x|' = sign(x): 0 at 0
    np.testing.assert_array_equal(_grad(K.abs, [0.0, -2.0, 3.0]), [0.0, -1.0, 1.0])
    # maximum/minimum: a tie sends the gradient to x (TF's greater_equal / less_equal masks)
    np.testing.assert_array_equal(_grad(lambda v: K.maximum(v, K.constant([1.0, 1.0])), [1.0, 0.0]), [1.0, 0.0])
    np.testing.assert_array_equal(_grad(lambda v: K.minimum(v, 1.0), [1.0, 2.0]), [1.0, 0.0])
    # clip passes the gradient on its bounds and stops it outside: log(clip(0)) has gradient 0, not inf
    np.testing.assert_array_equal(_grad(lambda v: K.clip(v, 0.0, 1.0), [0.0, 1.0, -1.0, 2.0]), [1, 1, 0, 0])
    np.testing.assert_array_equal(_grad(lambda v: K.log(K.clip(v, K.epsilon(), 1.0)), [0.0, 0.5]), [0.0, 2.0])
    # integer exponent of a negative base: a * x ** (a - 1)
    np.testing.assert_allclose(_grad(lambda v: K.pow(v, 3), [-2.0, 0.0]), [12.0, 0.0])
    # the exponent's gradient is z * log(x) where x > 0, else 0 (TF: no real log of x <= 0)
    a = K.variable([2.0, 2.0, 2.0])
    g = K.gradients(K.sum(K.pow(K.constant([-2.0, 0.0, 3.0]), a)), [a])[0].numpy()
    np.testing.assert_allclose(g, [0.0, 0.0, 9.0 * np.log(3.0)], rtol=1e-6)
    # sqrt at 0: TF's 0.5 / sqrt(x) is inf there; elsewhere finite
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(_grad(K.sqrt, [0.0, 4.0]), [np.inf, 0.25])
    # Keras 2 clips negatives to 0 before the root: value 0 (not NaN), no gradient
    np.testing.assert_array_equal(K.sqrt(K.constant([-4.0, -0.5, 9.0])).numpy(), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(_grad(K.sqrt, [-4.0, 9.0]), [0.0, 1.0 / 6.0], rtol=1e-6)


def test_logsumexp_and_softmax_gradients_stay_finite(backend_name):
    g = _grad(lambda v: K.logsumexp(v, axis=-1), [[-np.inf, 0.0, 1.0], [-np.inf, 5.0, -np.inf]])
    e = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    np.testing.assert_allclose(g, [[0.0, e[0], e[1]], [0.0, 1.0, 0.0]], rtol=1e-6)
    w = K.constant([1.0, 2.0, 3.0])
    for big in ([1e30, 1e30, -1e30], [1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0]):
        out = K.softmax(K.constant(big))
        assert np.isfinite(out.numpy()).all()
        assert np.isfinite(_grad(lambda v: K.softmax(v) * w, big)).all(), big
    np.testing.assert_allclose(_grad(lambda v: K.softmax(v) * w, [1e30, 1e30, -1e30]), [-0.25, 0.25, 0.0])
    for fn in (K.sigmoid, K.softplus, K.elu, K.tanh):
        assert np.isfinite(_grad(fn, [-1e4, 1e4])).all(), fn.__name__


def test_keras2_defaults_and_corner_cases(backend_name):
    x = rand(2, 3, 4)
    # clip: a None bound is no bound
    check_op(lambda t: K.clip(t, None, 0.4), lambda v: np.where(v > 0.4, np.float32(0.4), v), [x])
    check_op(lambda t: K.clip(t, -0.3, None), lambda v: np.where(v < -0.3, np.float32(-0.3), v), [x])
    np.testing.assert_array_equal(K.clip(K.constant(x), None, None).numpy(), x)
    # argmax/argmin default to the last axis, cumsum/cumprod to the first
    assert K.argmax(K.constant(x)).shape == (2, 3) and K.argmin(K.constant(x)).shape == (2, 3)
    np.testing.assert_allclose(K.cumsum(K.constant(x)).numpy()[1], x[0] + x[1], rtol=1e-6)
    # var and std divide by N
    v = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    assert K.var(K.constant(v)).numpy().tolist() == 1.25
    np.testing.assert_allclose(K.std(K.constant(v)).numpy(), np.sqrt(1.25), rtol=1e-6)
    # l2_normalize: axis None normalizes the whole tensor; a zero vector stays zero (epsilon 1e-12)
    np.testing.assert_allclose(K.l2_normalize(K.constant([[3.0], [4.0]])).numpy(), [[0.6], [0.8]], rtol=1e-6)
    assert K.l2_normalize(K.constant([[0.0, 0.0]]), axis=-1).numpy().tolist() == [[0.0, 0.0]]
    # comparisons and any/all give booleans; cast of booleans gives 0/1
    assert K.equal(K.constant([1.0, 2.0]), 1.0).dtype == np.bool_
    assert K.any(K.constant([0.0, 0.5])).dtype == np.bool_ and K.all(K.constant([0.0, 0.5])).numpy().tolist() is False
    assert K.cast(K.constant([True, False], dtype="bool"), "float32").numpy().tolist() == [1.0, 0.0]
    # one_hot adds a trailing axis of num_classes to any index shape
    assert K.one_hot(K.constant([[0, 1, 2]], dtype="int32"), 5).shape == (1, 3, 5)
    # a scalar tensor condition picks a branch
    assert K.switch(K.constant(False, dtype="bool"), K.ones((2,)), K.zeros((2,))).numpy().tolist() == [0.0, 0.0]
    # eval of a Python scalar: a 0-d floatx array
    out = K.eval(3.0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == () and out == 3.0


def test_concatenate_of_mixed_ranks_names_the_shapes(backend_name):
    with pytest.raises(ValueError, match=r"one rank.*Received: tensors of shapes \[\(2, 3\), \(3,\)\]"):
        K.concatenate([K.ones((2, 3)), K.ones((3,))])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (0, True)])
def test_mean_second_order(backend_name, axis, keepdims):
    def grad_of_loss(x):
        (g,) = K.gradients(K.sum(K.square(K.mean(x * x, axis, keepdims))), [x], create_graph=True)
        return K.sum(K.sin(g))

    K.check_gradients(differentiable_inside(grad_of_loss), [A.astype(np.float64)], atol=1e-5, rtol=1e-4)
