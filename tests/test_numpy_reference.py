"""The NumPy reference (multinn.backend.numpy_backend, Keras 2.3.1's keras.backend.numpy_backend):
first the reference itself against values worked out by hand or by a second formula, then K
against the reference, one line per function, on every backend."""
import itertools
import warnings
import zlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

from multinn import backend as K
from multinn.backend import numpy_backend as R


# ---------------------------------------------------------------- the reference, by hand


def test_elementwise_by_hand():
    x = np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.5])
    assert R.round(x).tolist() == [-2.0, -0.0, 0.0, 0.0, 2.0, 2.0]  # halves to even
    assert R.sqrt(np.array([9.0, -4.0])).tolist() == [3.0, 0.0]
    assert R.sign(x).tolist() == [-1, -1, 0, 1, 1, 1]
    assert R.clip(np.array([0.0, 5.0]), 2.0, 1.0).tolist() == [2.0, 2.0]  # max below min -> min
    assert_allclose(R.softplus(np.array([-800.0, 0.0, 800.0])), [0.0, np.log(2.0), 800.0])
    assert_allclose(R.elu(np.array([-1.0, 2.0]), alpha=0.5), [0.5 * (np.exp(-1.0) - 1), 2.0])


@pytest.mark.parametrize(
    "alpha,max_value,threshold,expected",
    [
        (0.0, None, 0.0, [0.0, 0.0, 0.5, 3.0]),
        (0.1, None, 0.0, [-0.2, 0.0, 0.5, 3.0]),
        (0.0, 1.0, 0.0, [0.0, 0.0, 0.5, 1.0]),
        (0.0, None, 0.8, [0.0, 0.0, 0.0, 3.0]),
        (0.1, 2.0, 0.8, [-0.28, -0.08, -0.03, 2.0]),
        (0.1, 5.0, -2.8, [0.0, 0.0, 0.5, 3.0]),  # above a negative threshold, capped below at 0
    ],
)
def test_relu_by_hand(alpha, max_value, threshold, expected):
    x = np.array([-2.0, 0.0, 0.5, 3.0])
    assert_allclose(R.relu(x, alpha=alpha, max_value=max_value, threshold=threshold), expected, atol=1e-12)


def test_reductions_by_hand():
    x = np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])
    assert R.sum(x, axis=[1, -1]).tolist() == [10.0, 26.0]
    assert R.mean(x, axis=0, keepdims=True).tolist() == [[[3.0, 4.0], [5.0, 6.0]]]
    assert R.var(np.array([1.0, 2.0, 3.0, 4.0])) == 1.25
    assert R.std(np.array([[0.0, 2.0]]), axis=1).tolist() == [1.0]
    assert R.prod(x, axis=2).tolist() == [[2.0, 12.0], [30.0, 56.0]]
    assert R.cumprod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist() == [[1.0, 2.0], [3.0, 12.0]]
    assert_allclose(R.logsumexp(np.log(x), axis=[1, 2]), np.log([10.0, 26.0]))
    assert R.any(np.array([[0.0, 0.0], [0.0, 3.0]]), axis=1).tolist() == [False, True]


def test_losses_by_hand():
    assert_allclose(R.binary_crossentropy(np.array([1.0, 0.0]), np.array([0.8, 0.8])), [-np.log(0.8), -np.log(0.2)])
    z = np.array([0.3, -1.2])
    assert_allclose(R.binary_crossentropy(np.array([1.0, 0.0]), z, from_logits=True),
                    [-np.log(1 / (1 + np.exp(-0.3))), -np.log(1 - 1 / (1 + np.exp(1.2)))])
    # unnormalised probabilities are rescaled to sum 1 first
    assert_allclose(R.categorical_crossentropy(np.array([0.0, 1.0]), np.array([1.0, 3.0])), -np.log(0.75))
    logits = np.array([1.0, 2.0, 3.0])
    assert_allclose(R.categorical_crossentropy(np.array([0.0, 0.0, 1.0]), logits, from_logits=True),
                    -np.log(np.exp(3.0) / np.exp(logits).sum()))


def test_in_top_k_counts_ties_at_the_boundary():
    scores = np.array([[0.5, 0.5, 0.5, 0.1], [0.9, 0.5, 0.5, 0.1], [0.3, np.nan, 0.1, 0.0]])
    assert R.in_top_k(scores, np.array([2, 2, 0]), 1).tolist() == [True, False, False]
    assert R.in_top_k(scores, np.array([3, 1, 0]), 2).tolist() == [False, True, False]


def test_dot_and_batch_dot_by_hand():
    x = np.arange(6.0).reshape(2, 3)
    y = np.arange(12.0).reshape(2, 3, 2)
    expected = [[sum(x[i, k] * y[j, k, m] for k in range(3)) for j in range(2) for m in range(2)] for i in range(2)]
    assert R.dot(x, y).reshape(2, 4).tolist() == expected
    # batch_dot: per sample, x[b] (3,) with y[b] (3, 2) over axis 1 of both
    assert R.batch_dot(x, y, axes=(1, 1)).tolist() == [[x[b] @ y[b] for b in range(2)][b].tolist() for b in range(2)]
    assert R.batch_dot(x, x, axes=1).tolist() == [[5.0], [50.0]]  # two vectors: (batch, 1)
    assert R.batch_dot(np.ones((7, 4, 3)), np.ones((7, 3, 5))).shape == (7, 4, 5)  # default axes
    assert R.batch_dot(np.ones((7, 3, 4, 5)), np.ones((7, 2, 3, 4)), axes=(2, 3)).shape == (7, 3, 5, 2, 3)


def _conv2d_by_loops(x, w, stride, pad_before, out_size):
    """Channels-last 2D cross-correlation as four nested loops over output pixels and taps."""
    out = np.zeros((x.shape[0], out_size[0], out_size[1], w.shape[3]))
    for b, i, j, o in itertools.product(*(range(n) for n in out.shape)):
        for di, dj, c in itertools.product(range(w.shape[0]), range(w.shape[1]), range(w.shape[2])):
            r, s = i * stride + di - pad_before[0], j * stride + dj - pad_before[1]
            if 0 <= r < x.shape[1] and 0 <= s < x.shape[2]:
                out[b, i, j, o] += x[b, r, s, c] * w[di, dj, c, o]
    return out


def test_conv_by_loops_and_by_hand():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    assert_allclose(R.conv2d(x, w, padding="valid"), _conv2d_by_loops(x, w, 1, (0, 0), (3, 5)), atol=1e-12)
    # 'same' with stride 2 on 5 x 6: outputs 3 x 3, padding totals (2, 0) -> 1 before on rows
    assert_allclose(R.conv2d(x, w, strides=2, padding="same"), _conv2d_by_loops(x, w, 2, (1, 0), (3, 3)), atol=1e-12)
    first = np.moveaxis(R.conv2d(np.moveaxis(x, -1, 1), w, data_format="channels_first"), 1, -1)
    assert_allclose(first, R.conv2d(x, w), atol=1e-12)
    x1 = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    k1 = np.array([1.0, 10.0]).reshape(2, 1, 1)
    assert R.conv1d(x1, k1, dilation_rate=2)[0, :, 0].tolist() == [31.0, 42.0, 53.0]
    assert R.conv1d(x1, k1, padding="causal")[0, :, 0].tolist() == [10.0, 21.0, 32.0, 43.0, 54.0]
    dw = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)  # channel c, multiplier m
    assert R.depthwise_conv2d(np.array([[[[1.0, 10.0]]]]), dw)[0, 0, 0].tolist() == [1.0, 2.0, 30.0, 40.0]


@pytest.mark.parametrize("strides,padding", [(1, "valid"), (2, "same"), (2, "valid"), (3, "same")])
def test_conv_transpose_is_the_adjoint_of_conv(strides, padding):
    # <conv(x), y> == <x, conv_transpose(y)> whenever conv maps x's shape onto y's
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    y = rng.standard_normal(R.conv2d(x, w, strides, padding).shape)
    back = R.conv2d_transpose(y, w, output_shape=x.shape, strides=strides, padding=padding)
    assert back.shape == x.shape
    assert_allclose(np.sum(R.conv2d(x, w, strides, padding) * y), np.sum(x * back), rtol=1e-10)


def test_pool_by_hand():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]).reshape(1, 3, 3, 1)
    assert R.pool2d(x, (2, 2), padding="same", pool_mode="avg")[0, :, :, 0].tolist() == [
        [3.0, 4.0, 4.5], [6.0, 7.0, 7.5], [7.5, 8.5, 9.0]]  # edge windows average their real cells
    assert R.pool2d(-x, (2, 2), (2, 2), padding="same")[0, :, :, 0].tolist() == [[-1.0, -3.0], [-7.0, -9.0]]
    with pytest.raises(ValueError, match="pool_mode"):
        R.pool2d(x, (2, 2), pool_mode="median")


def test_bias_add_and_padding_by_hand():
    x = np.zeros((1, 2, 3))  # channels_first: 2 channels, 3 steps
    assert R.bias_add(x, np.array([1.0, 2.0]), "channels_first")[0].tolist() == [[1.0] * 3, [2.0] * 3]
    assert R.bias_add(np.zeros((1, 3, 2)), np.array([1.0, 2.0]), "channels_last")[0].tolist() == [[1.0, 2.0]] * 3
    assert R.temporal_padding(np.ones((1, 2, 1)), (0, 1))[0, :, 0].tolist() == [1.0, 1.0, 0.0]
    assert R.spatial_2d_padding(np.ones((1, 1, 1, 1)), ((0, 1), (1, 0)), "channels_first")[0, 0].tolist() == [
        [0.0, 1.0], [0.0, 0.0]]
    assert R.tile(np.array([[1, 2]]), (2, 1)).tolist() == [[1, 2], [1, 2]]
    assert R.repeat_elements(np.array([[1, 2]]), 2, axis=1).tolist() == [[1, 1, 2, 2]]


def test_rnn_masking_by_hand():
    # step: output = input + state, new state = output; sample 1 is masked at t = 1
    step = lambda x, states: (x + states[0], [x + states[0]])  # noqa: E731
    inputs = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]).reshape(2, 3, 1)
    mask = np.array([[1, 1, 1], [1, 0, 1]])
    last, outputs, states = R.rnn(step, inputs, [np.zeros((2, 1))], mask=mask)
    assert outputs[:, :, 0].tolist() == [[1.0, 3.0, 6.0], [1.0, 1.0, 4.0]]
    assert last[:, 0].tolist() == [6.0, 4.0] and states[0][:, 0].tolist() == [6.0, 4.0]
    _, backwards, _ = R.rnn(step, inputs, [np.zeros((2, 1))], go_backwards=True)
    assert backwards[0, :, 0].tolist() == [3.0, 5.0, 6.0]  # outputs in the order computed


def _ctc_by_enumeration(probs, labels):
    """-log of the summed probability of every frame-wise path that collapses to `labels`."""
    blank = probs.shape[1] - 1
    total = 0.0
    for path in itertools.product(range(probs.shape[1]), repeat=probs.shape[0]):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(labels):
            total += np.prod([probs[t, c] for t, c in enumerate(path)])
    return -np.log(total)


def test_ctc_by_hand():
    rng = np.random.default_rng(2)
    probs = rng.random((1, 5, 3)) + 0.1
    probs /= probs.sum(axis=-1, keepdims=True)
    cost = R.ctc_batch_cost(np.array([[0, 0, 1]]), probs, np.array([[5]]), np.array([[2]]))
    assert_allclose(cost[0, 0], _ctc_by_enumeration(probs[0], [0, 0]), rtol=1e-5)
    # TensorFlow's own test values, which Keras 2.3.1's backend test quotes
    inputs = np.array(
        [[[0.633766, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553],
          [0.111121, 0.588392, 0.278779, 0.0055756, 0.00569609, 0.010436],
          [0.0357786, 0.633813, 0.321418, 0.00249248, 0.00272882, 0.0037688],
          [0.0663296, 0.643849, 0.280111, 0.00283995, 0.0035545, 0.00331533],
          [0.458235, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107]],
         [[0.30176, 0.28562, 0.0831517, 0.0862751, 0.0816851, 0.161508],
          [0.24082, 0.397533, 0.0557226, 0.0546814, 0.0557528, 0.19549],
          [0.230246, 0.450868, 0.0389607, 0.038309, 0.0391602, 0.202456],
          [0.280884, 0.429522, 0.0326593, 0.0339046, 0.0326856, 0.190345],
          [0.423286, 0.315517, 0.0338439, 0.0393744, 0.0339315, 0.154046]]])
    labels = np.array([[0, 1, 2, 1, 0], [0, 1, 1, 0, -1]])
    cost = R.ctc_batch_cost(labels, inputs, np.array([[5], [5]]), np.array([[5], [4]]))
    assert_allclose(cost[:, 0], [3.34211, 5.42262], atol=1e-5)
    decoded, log_prob = R.ctc_decode(inputs, np.array([5, 3]))
    assert decoded[0].tolist() == [[0, 1, 0], [0, 1, -1]]  # 0 1 1 1 0 -> 0 1 0; 0 1 1 -> 0 1
    assert_allclose(log_prob[:, 0], [-np.log(inputs[0].max(axis=1) + 1e-7).sum(), -np.log(inputs[1, :3].max(axis=1) + 1e-7).sum()])


def test_creation_and_state():
    assert R.eye(3).tolist() == np.identity(3).tolist() and R.eye((2, 3)).shape == (2, 3)
    assert R.arange(-20).tolist() == [] and R.arange(0, 5, 2).tolist() == [0, 2, 4]
    assert R.dtype(R.arange(3, dtype="float64")) == "float64"
    assert R.one_hot(np.array([[1, 0]]), 3).tolist() == [[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]
    assert R.variable([1, 2]).dtype.name == K.floatx()  # reads K's floatx
    assert R.in_train_phase(lambda: "train", "test", training=1) == "train"
    with pytest.raises(ValueError, match="learning phase"):
        R.set_learning_phase(2)


# ---------------------------------------------------------------- K against the reference

def _u(*shape):
    return ("uniform", shape)


def _pos(*shape):
    return ("positive", shape)


def _ints(values, dtype="int32"):
    return ("ints", np.asarray(values, dtype=dtype))


def _many(*specs):
    return ("list", specs)


# (function, inputs, keyword arguments): one line per function call compared
CASES = [
    ("abs", [_u(3, 4)], {}),
    ("square", [_u(3, 4)], {}),
    ("sqrt", [_u(3, 4)], {}),
    ("exp", [_u(3, 4)], {}),
    ("log", [_pos(3, 4)], {}),
    ("round", [("values", np.array([-2.5, -1.5, -0.4, 0.5, 1.5, 2.6]))], {}),
    ("sign", [_u(3, 4)], {}),
    ("pow", [_pos(3, 4)], {"a": 3}),
    ("clip", [_u(3, 4)], {"min_value": -0.2, "max_value": 0.4}),
    ("cos", [_u(3, 4)], {}),
    ("sin", [_u(3, 4)], {}),
    ("maximum", [_u(3, 4), _u(3, 4)], {}),
    ("minimum", [_u(3, 4), _u(1, 4)], {}),
    ("equal", [_ints([[1, 2], [3, 4]]), _ints([[1, 0], [3, 0]])], {}),
    ("not_equal", [_ints([[1, 2], [3, 4]]), _ints([[1, 0], [3, 0]])], {}),
    ("greater", [_u(3, 4), _u(3, 4)], {}),
    ("greater_equal", [_u(3, 4), _u(3, 4)], {}),
    ("less", [_u(3, 4), _u(3, 4)], {}),
    ("less_equal", [_u(3, 4), _u(3, 4)], {}),
    ("switch", [("bools", np.array([True, False, True])), _u(3, 2), _u(3, 2)], {}),
    ("sum", [_u(2, 3, 4)], {"axis": [0, 2]}),
    ("prod", [_u(2, 3, 4)], {"axis": 1, "keepdims": True}),
    ("max", [_u(2, 3, 4)], {"axis": -1}),
    ("min", [_u(2, 3, 4)], {}),
    ("mean", [_u(2, 3, 4)], {"axis": [1, -1], "keepdims": True}),
    ("var", [_u(2, 3, 4)], {"axis": 1}),
    ("std", [_u(2, 3, 4)], {"axis": [0, 1]}),
    ("any", [("values", np.array([[0.0, 0.0], [0.0, 1.0]]))], {"axis": 1}),
    ("all", [("values", np.array([[2.0, 0.0], [3.0, 1.0]]))], {"axis": 1, "keepdims": True}),
    ("logsumexp", [_u(2, 3, 4)], {"axis": [1, -1]}),
    ("argmax", [_u(4, 5)], {}),
    ("argmin", [_u(4, 5)], {"axis": 0}),
    ("cumsum", [_u(3, 4)], {"axis": 1}),
    ("cumprod", [_u(3, 4)], {}),
    ("relu", [_u(3, 4)], {}),
    ("relu", [_u(3, 4)], {"alpha": 0.1, "max_value": 0.5, "threshold": 0.2}),
    ("relu", [_u(3, 4)], {"alpha": 0.1, "max_value": 0.5, "threshold": -0.3}),
    ("elu", [_u(3, 4)], {"alpha": 0.5}),
    ("softplus", [_u(3, 4)], {}),
    ("softsign", [_u(3, 4)], {}),
    ("sigmoid", [_u(3, 4)], {}),
    ("hard_sigmoid", [("values", np.array([-3.0, -1.0, 0.0, 2.0, 3.0]))], {}),
    ("tanh", [_u(3, 4)], {}),
    ("softmax", [_u(3, 4)], {}),
    ("softmax", [_u(2, 3, 4)], {"axis": 1}),
    ("l2_normalize", [_u(3, 4)], {"axis": -1}),
    ("l2_normalize", [_u(3, 4)], {"axis": 0}),
    ("binary_crossentropy", [_pos(3, 4), _pos(3, 4)], {}),
    ("binary_crossentropy", [_pos(3, 4), _u(3, 4)], {"from_logits": True}),
    ("categorical_crossentropy", [_pos(3, 4), _pos(3, 4)], {}),
    ("categorical_crossentropy", [_pos(3, 4), _u(3, 4)], {"from_logits": True}),
    ("sparse_categorical_crossentropy", [_ints([0, 3, 1]), _u(3, 4)], {"from_logits": True}),
    ("in_top_k", [("values", np.array([[0.5, 0.5, 0.2], [0.1, 0.5, 0.5]])), _ints([1, 0])], {"k": 1}),
    ("in_top_k", [_u(6, 5), _ints([0, 1, 2, 3, 4, 0])], {"k": 2}),
    ("reshape", [_u(4, 6)], {"shape": (2, -1, 3)}),
    ("permute_dimensions", [_u(2, 3, 4)], {"pattern": (2, 0, 1)}),
    ("transpose", [_u(3, 4)], {}),
    ("flatten", [_u(2, 3)], {}),
    ("batch_flatten", [_u(2, 3, 4)], {}),
    ("expand_dims", [_u(2, 3)], {"axis": 1}),
    ("squeeze", [_u(2, 1, 3)], {"axis": 1}),
    ("repeat", [_u(2, 3)], {"n": 3}),
    ("repeat_elements", [_u(2, 3)], {"rep": 2, "axis": 1}),
    ("tile", [_u(2, 3, 4)], {"n": (1, 2)}),
    ("concatenate", [_many(_u(2, 3), _u(2, 2))], {"axis": -1}),
    ("stack", [_many(_u(2, 3), _u(2, 3))], {"axis": 1}),
    ("reverse", [_u(2, 3, 4)], {"axes": [0, -1]}),
    ("slice", [_u(3, 4, 5)], {"start": (1, 0, 2), "size": (2, 3, -1)}),
    ("gather", [_u(5, 3), _ints([[4, 0], [1, 1]])], {}),
    ("one_hot", [_ints([[0, 3], [2, 1]])], {"num_classes": 4}),
    ("temporal_padding", [_u(2, 3, 4)], {"padding": (2, 1)}),
    ("spatial_2d_padding", [_u(1, 2, 3, 4)], {"padding": ((1, 0), (2, 1)), "data_format": "channels_first"}),
    ("spatial_2d_padding", [_u(1, 2, 3, 4)], {"padding": ((1, 0), (2, 1)), "data_format": "channels_last"}),
    ("spatial_3d_padding", [_u(1, 2, 2, 3, 2)], {"padding": ((1, 0), (0, 2), (1, 1)), "data_format": "channels_last"}),
    ("resize_images", [_u(1, 2, 3, 2)], {"height_factor": 2, "width_factor": 3, "data_format": "channels_last"}),
    ("resize_volumes", [_u(1, 2, 2, 3, 2)], {"depth_factor": 2, "height_factor": 1, "width_factor": 2, "data_format": "channels_first"}),
    ("dot", [_u(3, 4), _u(4, 2)], {}),
    ("dot", [_u(2, 3, 4), _u(5, 4, 2)], {}),
    ("batch_dot", [_u(4, 2, 3), _u(4, 5, 3)], {"axes": (2, 2)}),
    ("batch_dot", [_u(4, 2), _u(4, 2, 3)], {"axes": (1, 1)}),
    ("batch_dot", [_u(4, 5), _u(4, 5)], {"axes": 1}),
    ("batch_dot", [_u(4, 3, 4, 5), _u(4, 2, 3, 4)], {"axes": (2, 3)}),
    ("batch_dot", [_u(4, 3, 4), _u(4, 4, 5)], {}),
    ("bias_add", [_u(2, 3, 4), _u(4)], {"data_format": "channels_last"}),
    ("bias_add", [_u(2, 3, 4, 5), _u(3)], {"data_format": "channels_first"}),
    ("bias_add", [_u(2, 6, 5), _u(5, 6)], {"data_format": "channels_first"}),
    ("batch_normalization", [_u(2, 3, 4), _u(1, 1, 4), _pos(1, 1, 4), _u(1, 1, 4), _u(1, 1, 4)], {"axis": -1}),
    ("batch_normalization", [_u(2, 3, 4, 2), _u(3), _pos(3), _u(3), _u(3)], {"axis": 1}),
    ("conv1d", [_u(2, 7, 3), _u(3, 3, 4)], {"strides": 2, "padding": "same"}),
    ("conv1d", [_u(2, 7, 3), _u(2, 3, 4)], {"padding": "causal", "dilation_rate": 2}),
    ("conv1d", [_u(2, 3, 7), _u(3, 3, 4)], {"padding": "valid", "data_format": "channels_first"}),
    ("conv2d", [_u(2, 5, 6, 3), _u(3, 3, 3, 2)], {"padding": "same"}),
    ("conv2d", [_u(2, 3, 7, 6), _u(2, 3, 3, 4)], {"strides": (2, 1), "padding": "valid", "data_format": "channels_first"}),
    ("conv2d", [_u(1, 8, 9, 2), _u(3, 3, 2, 2)], {"padding": "same", "dilation_rate": (2, 2)}),
    ("conv3d", [_u(1, 4, 5, 4, 2), _u(2, 3, 2, 2, 3)], {"padding": "same"}),
    ("conv3d", [_u(1, 2, 4, 5, 4), _u(3, 2, 2, 2, 3)], {"strides": 2, "data_format": "channels_first"}),
    ("conv1d_transpose", [_u(2, 5, 3), _u(3, 2, 3)], {"output_shape": (2, 10, 2), "strides": 2, "padding": "same"}),
    ("conv2d_transpose", [_u(2, 5, 6, 3), _u(3, 3, 2, 3)], {"output_shape": (2, 5, 6, 2), "padding": "same"}),
    ("conv2d_transpose", [_u(2, 3, 4, 5), _u(3, 3, 2, 3)], {"output_shape": (2, 2, 9, 11), "strides": 2, "data_format": "channels_first"}),
    ("conv2d_transpose", [_u(1, 4, 4, 2), _u(3, 3, 2, 2)], {"output_shape": (1, 8, 8, 2), "strides": 2, "padding": "same"}),
    ("conv2d_transpose", [_u(1, 4, 5, 2), _u(3, 2, 3, 2)], {"output_shape": (1, 8, 8, 3), "padding": "valid", "dilation_rate": (2, 3)}),
    ("conv3d_transpose", [_u(1, 2, 3, 2, 2), _u(2, 2, 2, 3, 2)], {"output_shape": (1, 4, 6, 4, 3), "strides": 2, "padding": "same"}),
    ("depthwise_conv2d", [_u(2, 5, 6, 3), _u(3, 3, 3, 2)], {"padding": "same"}),
    ("depthwise_conv2d", [_u(2, 3, 7, 6), _u(2, 3, 3, 2)], {"strides": 2, "data_format": "channels_first"}),
    ("separable_conv1d", [_u(2, 7, 3), _u(3, 3, 2), _u(1, 6, 4)], {"padding": "same"}),
    ("separable_conv2d", [_u(2, 5, 6, 3), _u(3, 3, 3, 2), _u(1, 1, 6, 4)], {"strides": (2, 2), "padding": "same"}),
    ("pool1d", [_u(2, 7, 3)], {"pool_size": 3, "strides": 2, "padding": "same", "pool_mode": "avg"}),
    ("pool2d", [_u(2, 5, 6, 3)], {"pool_size": (2, 3), "strides": (2, 2), "padding": "same", "pool_mode": "max"}),
    ("pool2d", [_u(2, 3, 7, 7)], {"pool_size": (3, 3), "padding": "same", "data_format": "channels_first", "pool_mode": "avg"}),
    ("pool2d", [_u(2, 5, 6, 3)], {"pool_size": (2, 2), "strides": (1, 2), "pool_mode": "avg"}),
    ("pool3d", [_u(1, 5, 4, 5, 2)], {"pool_size": (3, 2, 3), "strides": (2, 2, 1), "padding": "same", "pool_mode": "avg"}),
    ("pool3d", [_u(1, 2, 5, 4, 5)], {"pool_size": (2, 2, 2), "data_format": "channels_first", "pool_mode": "max"}),
    ("ctc_batch_cost", [_ints([[0, 1, 1], [2, 0, 0]]), _pos(2, 6, 4), _ints([[6], [5]]), _ints([[3], [1]])], {}),
]


def _make(spec, rng):
    kind, value = spec
    if kind == "uniform":
        return rng.uniform(-1, 1, value).astype("float32")
    if kind == "positive":
        return rng.uniform(0.05, 1, value).astype("float32")
    if kind == "list":
        return [_make(s, rng) for s in value]
    return value


def _to_k(array):
    if isinstance(array, list):
        return [_to_k(a) for a in array]
    dtype = array.dtype.name if array.dtype.kind in "iub" else None
    return K.constant(array, dtype=dtype)


def _to_reference(array):
    if isinstance(array, list):
        return [_to_reference(a) for a in array]
    return array.astype("float64") if array.dtype.kind == "f" else array


def _case_id(case):
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items()).replace(" ", "")


@pytest.mark.parametrize("name,inputs,kwargs", CASES, ids=[_case_id(c) for c in CASES])
def test_k_matches_the_reference(backend_name, name, inputs, kwargs):
    rng = np.random.default_rng(zlib.crc32(_case_id((name, inputs, kwargs)).encode()))
    arrays = [_make(spec, rng) for spec in inputs]
    expected = np.asarray(getattr(R, name)(*[_to_reference(a) for a in arrays], **kwargs))
    got = K.eval(getattr(K, name)(*[_to_k(a) for a in arrays], **kwargs))
    assert got.shape == expected.shape, f"K.{name}: shape {got.shape}, reference {expected.shape}"
    if expected.dtype.kind in "iub":
        assert got.dtype.kind == expected.dtype.kind and (got == expected).all()
    else:
        assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(
    "name,argument",
    [("eye", 3), ("eye", (3, 5)), ("ones", (2, 3)), ("zeros", (4,)), ("arange", 7)],
)
def test_k_creation_matches_the_reference(backend_name, name, argument):
    got, expected = K.eval(getattr(K, name)(argument)), getattr(R, name)(argument)
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_k_rnn_matches_the_reference(backend_name, go_backwards, masked):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (3, 5, 4)).astype("float32")
    w, u = rng.uniform(-1, 1, (4, 2)).astype("float32"), rng.uniform(-1, 1, (2, 2)).astype("float32")
    h0, c = rng.uniform(-1, 1, (3, 2)).astype("float32"), rng.uniform(-1, 1, (3, 2)).astype("float32")
    mask = rng.integers(0, 2, (3, 5)) if masked else None

    def step_of(B, w, u):
        def step(inputs, states):
            h, extra, constant = states
            y = B.tanh(B.dot(inputs, w) + B.dot(h, u)) + constant
            return y, [y, B.concatenate([y, y], axis=-1)]
        return step

    expected = R.rnn(step_of(R, w, u), x, [h0, np.concatenate([h0, h0], -1)], go_backwards=go_backwards,
                     mask=mask, constants=[c])
    got = K.rnn(step_of(K, K.constant(w), K.constant(u)), K.constant(x),
                [K.constant(h0), K.constant(np.concatenate([h0, h0], -1))], go_backwards=go_backwards,
                mask=None if mask is None else K.constant(mask), constants=[K.constant(c)])
    assert_allclose(K.eval(got[0]), expected[0], rtol=1e-5, atol=1e-6)
    assert_allclose(K.eval(got[1]), expected[1], rtol=1e-5, atol=1e-6)
    for g, e in zip(got[2], expected[2]):
        assert_allclose(K.eval(g), e, rtol=1e-5, atol=1e-6)


def test_k_ctc_decode_matches_the_reference(backend_name):
    rng = np.random.default_rng(4)
    probs = rng.random((3, 7, 4)).astype("float32")
    probs /= probs.sum(axis=-1, keepdims=True)
    lengths = np.array([7, 4, 1], dtype="int32")
    (decoded,), log_prob = K.ctc_decode(K.constant(probs), K.constant(lengths, dtype="int32"))
    (expected,), expected_log_prob = R.ctc_decode(probs, lengths)
    assert K.eval(decoded).tolist() == expected.tolist()
    assert_allclose(K.eval(log_prob), expected_log_prob, rtol=1e-5)


# ---------------------------------------------------------------- the Keras 2 module paths


def test_numpy_backend_is_keras_s_reference_module():
    from multinn.backend import numpy_backend

    assert "rnn" in numpy_backend.__all__ and numpy_backend.conv2d is R.conv2d
    assert not any(name.startswith("_") for name in numpy_backend.__all__)


def test_tensorflow_backend_exposes_k_and_session_stand_ins(monkeypatch):
    import multinn.backend.tensorflow_backend as KTF

    public = [n for n, v in vars(K).items() if not n.startswith("_") and not type(v).__name__ == "module"]
    assert all(getattr(KTF, n) is getattr(K, n) for n in public)
    monkeypatch.setattr(K, "added_later", lambda: "K's", raising=False)
    assert KTF.added_later() == "K's"
    with pytest.raises(AttributeError):
        KTF._private_name
    v = K.variable([1.0, 2.0])
    session = KTF.get_session()
    assert session is KTF.get_session()
    assert session.run(v).tolist() == [1.0, 2.0]
    assert [a.tolist() for a in session.run((v, v * 2))] == [[1.0, 2.0], [2.0, 4.0]]
    assert session.run({"double": v * 2})["double"].tolist() == [2.0, 4.0]
    x = K.placeholder(shape=(2,))
    assert session.run([x * 3], feed_dict={x: np.array([1.0, 2.0])})[0].tolist() == [3.0, 6.0]
    KTF._warned[0] = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        KTF.set_session(object())
        KTF.set_session(object())
    assert len(caught) == 1 and "no TensorFlow session" in str(caught[0].message)
    KTF.clear_session()
