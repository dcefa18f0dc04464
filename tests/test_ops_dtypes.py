"""Dtype discipline of every public K function: float16, float32 and float64 stay what they are.

One small valid call per name in `multinn.backend.ops.__all__`; every floating array the call
returns (and every gradient it gives its floating inputs) must have the inputs' float dtype.
A new K function without an entry here fails `test_every_k_function_has_a_dtype_case`.
"""
import numpy as np
import pytest

from multinn import backend as K
from multinn.backend import ops


class Maker:
    """Builds the inputs of one call in one float dtype, and remembers those that take gradients."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.made = []

    def __call__(self, *shape, low=-1.0, high=1.0, seed=0):
        data = np.random.default_rng(seed + 7 * len(shape)).uniform(low, high, size=shape).astype(self.dtype)
        v = K.variable(data, dtype=self.dtype)
        self.made.append(v)
        return v

    def pos(self, *shape):
        return self(*shape, low=0.2, high=2.0)


def _ints(*values):
    return K.constant(np.asarray(values, np.int32), dtype="int32")


def _rnn(t):
    step = lambda x, states: (x * 2.0 + states[0], [x + states[0]])  # noqa: E731
    return K.rnn(step, t(2, 3, 4), [t(2, 4)], mask=K.constant([[1, 1, 0], [1, 0, 0]], dtype="bool"))


def _symbolic(t):
    p = K.placeholder(shape=(None, 3), dtype=t.dtype)
    return K.function([p], [K.sum(p * 2.0, axis=1)])([t(2, 3).numpy()])


def _state_roundtrip(t, fn):
    v = t(2, 3)
    fn(v)
    return v


# name -> call(t): t(*shape) makes a float variable of the dtype under test, t.pos(*shape) a positive one.
CALLS = {
    "function_of_a_placeholder": _symbolic,
    "abs": lambda t: K.abs(t(3, 4)),
    "add": lambda t: K.add(t(3, 4), t(1, 4, seed=1)),
    "all": lambda t: K.all(K.greater(t(3, 4), 0.0), axis=1),
    "any": lambda t: K.any(K.greater(t(3, 4), 0.0), axis=0),
    "arange": lambda t: K.arange(0, 5, dtype=t.dtype),
    "argmax": lambda t: K.argmax(t(3, 4)),
    "argmin": lambda t: K.argmin(t(3, 4)),
    "batch_dot": lambda t: K.batch_dot(t(2, 3, 4), t(2, 4, 5)),
    "batch_flatten": lambda t: K.batch_flatten(t(2, 3, 4)),
    "batch_get_value": lambda t: K.batch_get_value([t(2), t(3)]),
    "batch_normalization": lambda t: K.batch_normalization(t(4, 3), t(3), t.pos(3), t(3), t(3)),
    "batch_set_value": lambda t: _state_roundtrip(t, lambda v: K.batch_set_value([(v, np.ones((2, 3)))])),
    "bias_add": lambda t: K.bias_add(t(2, 3), t(3)),
    "dense": lambda t: K.dense(t(2, 3), t(3, 4), t(4), activation="relu"),
    "lstm_sequence": lambda t: K.lstm_sequence(t(2, 3, 4), t(4, 8), t(2, 8), t(8), t(2, 2), t(2, 2)),
    "binary_crossentropy": lambda t: K.binary_crossentropy(K.cast(K.greater(t(3, 4), 0.0), t.dtype), K.sigmoid(t(3, 4))),
    "broadcast_to": lambda t: K.broadcast_to(t(1, 4), (3, 4)),
    "cast": lambda t: K.cast(K.cast(t(3), "int32"), t.dtype),
    "cast_to_floatx": lambda t: K.cast_to_floatx(t(3)),  # floatx by contract; checked in test_cast_to_floatx
    "categorical_crossentropy": lambda t: K.categorical_crossentropy(K.softmax(t(3, 4)), K.softmax(t(3, 4, seed=2))),
    "clear_session": lambda t: K.clear_session(),
    "clip": lambda t: K.clip(t(3, 4), -0.5, 0.5),
    "concatenate": lambda t: K.concatenate([t(2, 3), t(2, 1)]),
    "constant": lambda t: K.constant([1.0, 2.0], dtype=t.dtype),
    "conv1d": lambda t: K.conv1d(t(2, 5, 3), t(2, 3, 4), padding="same"),
    "conv1d_transpose": lambda t: K.conv1d_transpose(t(2, 5, 3), t(2, 4, 3), (2, 10, 4), strides=2, padding="same"),
    "conv2d": lambda t: K.conv2d(t(1, 4, 4, 2), t(3, 3, 2, 3), padding="same"),
    "conv2d_transpose": lambda t: K.conv2d_transpose(t(1, 3, 3, 2), t(2, 2, 4, 2), (1, 6, 6, 4), strides=(2, 2)),
    "conv3d": lambda t: K.conv3d(t(1, 3, 3, 3, 2), t(2, 2, 2, 2, 3)),
    "conv3d_transpose": lambda t: K.conv3d_transpose(t(1, 2, 2, 2, 2), t(2, 2, 2, 3, 2), (1, 4, 4, 4, 3), strides=(2, 2, 2)),
    "conv_nd": lambda t: K.conv_nd(t(1, 4, 4, 2), t(3, 3, 2, 3), t(3), padding="same"),
    "convert_to_tensor": lambda t: K.convert_to_tensor(t(3) * 1.0),
    "cos": lambda t: K.cos(t(3)),
    "count_params": lambda t: K.count_params(t(2, 3)),
    "ctc_batch_cost": lambda t: K.ctc_batch_cost(K.reshape(_ints(0, 1), (1, -1)), K.softmax(t(1, 4, 3)), _ints(4), _ints(2)),
    "ctc_decode": lambda t: K.ctc_decode(K.softmax(t(2, 4, 3)), _ints(4, 3), greedy=False, beam_width=3, top_paths=2),
    "ctc_label_dense_to_sparse": lambda t: K.ctc_label_dense_to_sparse(K.reshape(_ints(1, 2, 0), (1, -1)), _ints(2)).values,
    "get_variable_shape": lambda t: K.get_variable_shape(t(2, 3)),
    "SparseTensor": lambda t: K.SparseTensor(K.constant([[0, 1]], dtype="int64"), t(1), (2, 2)).values,
    "sparse_concatenate": lambda t: K.to_dense(K.sparse_concatenate([K.SparseTensor(K.reshape(_ints(0, 1), (1, -1)), t(1), (2, 2))] * 2)),
    "sparse_dot": lambda t: K.sparse_dot(K.SparseTensor(K.reshape(_ints(0, 1), (1, -1)), t(1), (2, 2)), t(2, 3)),
    "to_dense": lambda t: K.to_dense(K.SparseTensor(K.reshape(_ints(1, 0), (1, -1)), t(1), (2, 2))),
    "cumprod": lambda t: K.cumprod(t(3, 4)),
    "cumsum": lambda t: K.cumsum(t(3, 4)),
    "depthwise_conv2d": lambda t: K.depthwise_conv2d(t(1, 4, 4, 2), t(3, 3, 2, 2), padding="same"),
    "divide": lambda t: K.divide(t(3, 4), t.pos(3, 4)),
    "dot": lambda t: K.dot(t(2, 3, 4), t(5, 4, 2)),
    "einsum": lambda t: K.einsum("abc,cd->abd", t(2, 3, 4), t(4, 5)),
    "dropout": lambda t: K.dropout(t(3, 4), 0.5, seed=1),
    "dtype": lambda t: K.dtype(t(2)),
    "elu": lambda t: K.elu(t(3, 4), 0.5),
    "equal": lambda t: K.equal(t(3), 0.5),
    "erf": lambda t: K.erf(t(3)),
    "eval": lambda t: K.eval(t(3)),
    "exp": lambda t: K.exp(t(3)),
    "expand_dims": lambda t: K.expand_dims(t(3)),
    "extract_patches": lambda t: K.extract_patches(t(1, 4, 4, 2), (2, 2), strides=2),
    "eye": lambda t: K.eye(3, dtype=t.dtype),
    "flatten": lambda t: K.flatten(t(2, 3)),
    "foldl": lambda t: K.foldl(lambda acc, x: acc * 0.5 + x, t(3, 2)),
    "foldr": lambda t: K.foldr(lambda acc, x: acc * 0.5 + x, t(3, 2)),
    "from_bytes": lambda t: K.from_bytes(K.to_bytes(t(2, 3)), t.dtype, (2, 3)),
    "function": lambda t: K.function([], [t(2) + 1])([]),
    "gather": lambda t: K.gather(t(4, 3), [2, 0]),
    "gru_sequence": lambda t: K.gru_sequence(t(2, 3, 4), t(4, 6), t(2, 6), t(2, 6), t(2, 2), reset_after=True),
    "get_uid": lambda t: K.get_uid("dtype_test"),
    "get_value": lambda t: K.get_value(t(3)),
    "getitem": lambda t: K.getitem(t(3, 4), (slice(1, None), 2)),
    "greater": lambda t: K.greater(t(3), t(3, seed=1)),
    "greater_equal": lambda t: K.greater_equal(t(3), 0),
    "hard_sigmoid": lambda t: K.hard_sigmoid(t(3)),
    "identity": lambda t: K.identity(t(3)),
    "in_test_phase": lambda t: K.in_test_phase(t(3), t(3) * 2.0),
    "in_top_k": lambda t: K.in_top_k(t(3, 4), _ints(0, 1, 2), 2),
    "in_train_phase": lambda t: K.in_train_phase(t(3), t(3) * 2.0, training=1),
    "int_shape": lambda t: K.int_shape(t(2, 3)),
    "is_keras_tensor": lambda t: K.is_keras_tensor(t(2)),
    "is_placeholder": lambda t: K.is_placeholder(t(2)),
    "is_sparse": lambda t: K.is_sparse(t(2)),
    "is_tensor": lambda t: K.is_tensor(t(2)),
    "is_variable": lambda t: K.is_variable(t(2)),
    "l2_normalize": lambda t: K.l2_normalize(t(3, 4), axis=1),
    "learning_phase": lambda t: K.learning_phase(),
    "learning_phase_scope": lambda t: K.learning_phase_scope(1).__enter__() or K.set_learning_phase(0),
    "name_scope": lambda t: _in_scope(K.name_scope("block"), lambda: K.sum(t(3))),
    "control_dependencies": lambda t: _in_scope(K.control_dependencies([t(2)]), lambda: K.sum(t(3))),
    "less": lambda t: K.less(t(3), 0.0),
    "less_equal": lambda t: K.less_equal(t(3), 0.0),
    "local_conv1d": lambda t: K.local_conv1d(t(2, 4, 3), t(3, 2 * 3, 5), (2,), (1,)),
    "local_conv2d": lambda t: K.local_conv2d(t(2, 3, 3, 2), t(4, 2 * 2 * 2, 5), (2, 2), (1, 1), (2, 2)),
    "log": lambda t: K.log(t.pos(3)),
    "logical_and": lambda t: K.logical_and(K.greater(t(3), 0.0), K.less(t(3, seed=1), 0.0)),
    "logical_not": lambda t: K.logical_not(K.greater(t(3), 0.0)),
    "logical_or": lambda t: K.logical_or(K.greater(t(3), 0.0), K.less(t(3, seed=1), 0.0)),
    "logsumexp": lambda t: K.logsumexp(t(3, 4), axis=1),
    "map_fn": lambda t: K.map_fn(lambda row: K.sum(row) * 2.0, t(3, 2)),
    "matmul": lambda t: K.matmul(t(2, 3, 4), t(2, 4, 5)),
    "max": lambda t: K.max(t(3, 4), axis=0),
    "maximum": lambda t: K.maximum(t(3, 4), 0.0),
    "mean": lambda t: K.mean(t(3, 4), axis=1),
    "min": lambda t: K.min(t(3, 4)),
    "minimum": lambda t: K.minimum(t(3, 4), t(3, 4, seed=1)),
    "moving_average_update": lambda t: _state_roundtrip(t, lambda v: K.moving_average_update(v, np.ones((2, 3)), 0.9)),
    "multiply": lambda t: K.multiply(t(3, 4), 2.5),
    "ndim": lambda t: K.ndim(t(2, 3)),
    "negative": lambda t: K.negative(t(3)),
    "normalize_batch_in_training": lambda t: K.normalize_batch_in_training(t(4, 3), t(3), t(3), [0]),
    "layer_normalization": lambda t: K.layer_normalization(t(4, 3), t(3), t(3)),
    "not_equal": lambda t: K.not_equal(t(3), 0.0),
    "one_hot": lambda t: K.one_hot(_ints(0, 2), 3),  # floatx by contract; checked in test_one_hot_dtype
    "ones": lambda t: K.ones((2, 3), dtype=t.dtype),
    "ones_like": lambda t: K.ones_like(t(2, 3)),
    "pad": lambda t: K.pad(t(2, 3), ((1, 0), (0, 2))),
    "permute_dimensions": lambda t: K.permute_dimensions(t(2, 3, 4), (2, 0, 1)),
    "placeholder": lambda t: K.placeholder(shape=(2,), dtype=t.dtype).dtype,
    "pool1d": lambda t: K.pool1d(t(2, 4, 3), 2, strides=2, pool_mode="avg"),
    "pool2d": lambda t: K.pool2d(t(1, 4, 4, 2), (2, 2), strides=(2, 2)),
    "pool3d": lambda t: K.pool3d(t(1, 4, 4, 4, 2), (2, 2, 2), strides=(2, 2, 2), pool_mode="avg"),
    "pow": lambda t: K.pow(t.pos(3), 3),
    "print_tensor": lambda t: K.print_tensor(t(2), "dtype test"),
    "prod": lambda t: K.prod(t(3, 4), axis=1),
    "qr": lambda t: K.qr(t(3, 3)),
    "random_binomial": lambda t: K.random_binomial((3, 4), 0.5, dtype=t.dtype, seed=1),
    "random_normal": lambda t: K.random_normal((3, 4), dtype=t.dtype, seed=1),
    "random_normal_variable": lambda t: K.random_normal_variable((3, 4), 0.0, 1.0, dtype=t.dtype, seed=1),
    "random_permutation": lambda t: K.random_permutation(5, seed=1),
    "random_uniform": lambda t: K.random_uniform((3, 4), dtype=t.dtype, seed=1),
    "random_uniform_variable": lambda t: K.random_uniform_variable((3, 4), 0.0, 1.0, dtype=t.dtype, seed=1),
    "relu": lambda t: K.relu(t(3, 4), alpha=0.1, max_value=0.5),
    "repeat": lambda t: K.repeat(t(2, 3), 2),
    "repeat_elements": lambda t: K.repeat_elements(t(2, 3), 2, axis=1),
    "reset_uids": lambda t: K.reset_uids(),
    "reshape": lambda t: K.reshape(t(2, 3), (3, 2)),
    "resize_images": lambda t: K.resize_images(t(1, 2, 3, 1), 2, 2, "channels_last", interpolation="bilinear"),
    "resize_volumes": lambda t: K.resize_volumes(t(1, 2, 2, 2, 1), 2, 1, 2, "channels_last"),
    "reverse": lambda t: K.reverse(t(2, 3), 1),
    "rnn": _rnn,
    "round": lambda t: K.round(t(3) * 4.0),
    "selu": lambda t: K.selu(t(3)),
    "separable_conv1d": lambda t: K.separable_conv1d(t(1, 5, 2), t(3, 2, 2), t(1, 4, 3)),
    "separable_conv2d": lambda t: K.separable_conv2d(t(1, 4, 4, 2), t(2, 2, 2, 1), t(1, 1, 2, 3)),
    "set_learning_phase": lambda t: K.set_learning_phase(0),
    "set_seed": lambda t: K.set_seed(3),
    "simple_rnn_sequence": lambda t: K.simple_rnn_sequence(t(2, 3, 4), t(4, 2), t(2, 2), t(2), t(2, 2)),
    "set_value": lambda t: _state_roundtrip(t, lambda v: K.set_value(v, np.ones((2, 3)))),
    "shape": lambda t: K.shape(t(2, 3)),
    "sigmoid": lambda t: K.sigmoid(t(3)),
    "sign": lambda t: K.sign(t(3)),
    "sin": lambda t: K.sin(t(3)),
    "size": lambda t: K.size(t(2, 3)),
    "slice": lambda t: K.slice(t(3, 4), (1, 0), (2, -1)),
    "softmax": lambda t: K.softmax(t(3, 4)),
    "softplus": lambda t: K.softplus(t(3)),
    "softsign": lambda t: K.softsign(t(3)),
    "sparse_categorical_crossentropy": lambda t: K.sparse_categorical_crossentropy(_ints(0, 3, 1), K.softmax(t(3, 4))),
    "spatial_2d_padding": lambda t: K.spatial_2d_padding(t(1, 2, 2, 1)),
    "spatial_3d_padding": lambda t: K.spatial_3d_padding(t(1, 2, 2, 2, 1)),
    "sqrt": lambda t: K.sqrt(t.pos(3)),
    "square": lambda t: K.square(t(3)),
    "squeeze": lambda t: K.squeeze(t(3, 1), 1),
    "stack": lambda t: K.stack([t(2, 3), t(2, 3)], axis=-1),
    "std": lambda t: K.std(t(3, 4), axis=0),
    "subtract": lambda t: K.subtract(1.0, t(3)),
    "sum": lambda t: K.sum(t(3, 4), axis=(0, 1)),
    "sum_to_shape": lambda t: K.sum_to_shape(t(3, 4), (1, 4)),
    "switch": lambda t: K.switch(K.greater(t(3), 0.0), t(3, 2), t(3, 2) * 2.0),
    "tanh": lambda t: K.tanh(t(3)),
    "temporal_padding": lambda t: K.temporal_padding(t(1, 2, 3)),
    "tile": lambda t: K.tile(t(2, 3), (2, 1)),
    "to_bytes": lambda t: K.to_bytes(t(2)),
    "to_numpy": lambda t: K.to_numpy(t(2)),
    "transpose": lambda t: K.transpose(t(2, 3)),
    "truncated_normal": lambda t: K.truncated_normal((3, 4), dtype=t.dtype, seed=1),
    "update": lambda t: K.update(t(2, 3), np.ones((2, 3))),
    "update_add": lambda t: K.update_add(t(2, 3), np.ones((2, 3))),
    "update_sub": lambda t: K.update_sub(t(2, 3), 0.5),
    "var": lambda t: K.var(t(3, 4), axis=1, keepdims=True),
    "variable": lambda t: K.variable(np.ones(3), dtype=t.dtype),
    "where": lambda t: K.where(K.greater(t(3), 0.0), t(3), 0.0),
    "zeros": lambda t: K.zeros((2, 3), dtype=t.dtype),
    "zeros_like": lambda t: K.zeros_like(t(2, 3)),
    "Primitive": lambda t: ops.Primitive("twice", lambda b, x: x * 2, lambda dy, y, x: (dy * 2,))(t(3)),
    "primitive": lambda t: K.primitive("half", lambda b, x: x * 0.5, lambda dy, y, x: (dy * 0.5,))(t(3)),
}

# Outputs that are floatx by Keras 2's contract whatever the inputs' dtype.
FLOATX_OUTPUT = {"cast_to_floatx", "one_hot"}


def _floating_arrays(out):
    """Every floating array in a call's result (Tensors, NumPy arrays, nested lists and tuples)."""
    if isinstance(out, (list, tuple)):
        return [a for item in out for a in _floating_arrays(item)]
    if isinstance(out, K.Tensor):
        return [out] if out.dtype.kind == "f" else []
    if isinstance(out, np.ndarray):
        return [out] if out.dtype.kind == "f" else []
    return []


def _in_scope(scope, compute):
    with scope:
        return compute()


def test_every_k_function_has_a_dtype_case():
    assert sorted(set(ops.__all__) - set(CALLS)) == []


@pytest.fixture
def restore_globals():
    phase = K.learning_phase()
    yield
    K.set_learning_phase(phase)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_float_dtype_is_kept(backend_name, restore_globals, name, dtype):
    t = Maker(dtype)
    out = CALLS[name](t)
    expected = K.floatx() if name in FLOATX_OUTPUT else dtype
    for a in _floating_arrays(out):
        assert str(a.dtype) == expected, f"K.{name} on {dtype} gave {a.dtype}"
    differentiable = [a for a in _floating_arrays(out) if isinstance(a, K.Tensor) and a.node is not None]
    if differentiable and t.made:
        loss = differentiable[0]
        loss = K.sum(loss) if loss.ndim else loss
        for g in K.gradients(loss, t.made):
            if g is not None:
                assert str(g.dtype) == dtype, f"the gradient of K.{name} on {dtype} is {g.dtype}"


# Integer input: TensorFlow keeps int32 through these (Keras 2's K passes them straight to TF).
INT_KEPT = {
    "abs": lambda i: K.abs(i),
    "square": lambda i: K.square(i),
    "negative": lambda i: K.negative(i),
    "sign": lambda i: K.sign(i),
    "add": lambda i: K.add(i, 1),
    "multiply": lambda i: K.multiply(i, i),
    "maximum": lambda i: K.maximum(i, 0),
    "clip": lambda i: K.clip(i, 0, 3),
    "sum": lambda i: K.sum(i, axis=0),
    "prod": lambda i: K.prod(i),
    "max": lambda i: K.max(i),
    "mean": lambda i: K.mean(i, axis=1),
    "cumsum": lambda i: K.cumsum(i, axis=1),
    "cumprod": lambda i: K.cumprod(i),
    "dot": lambda i: K.dot(i, i),
    "einsum": lambda i: K.einsum("ij,jk->ik", i, i),
    "relu": lambda i: K.relu(i),
    "concatenate": lambda i: K.concatenate([i, i]),
    "where": lambda i: K.where(K.greater(i, 0), i, 0),
}

# Functions defined on floats only: TensorFlow refuses integers; K computes them in floatx
# (never NumPy's float64, never an integer result cut from floats).
INT_TO_FLOATX = {
    "sqrt": K.sqrt, "exp": K.exp, "log": K.log, "sin": K.sin, "cos": K.cos, "tanh": K.tanh,
    "sigmoid": K.sigmoid, "erf": K.erf, "elu": K.elu, "selu": K.selu, "softplus": K.softplus,
    "softsign": K.softsign, "hard_sigmoid": K.hard_sigmoid, "softmax": K.softmax,
    "l2_normalize": lambda i: K.l2_normalize(i, axis=1), "logsumexp": lambda i: K.logsumexp(i, axis=1),
    "var": K.var, "std": K.std,
}

INTS = np.array([[3, 1], [2, 5]], np.int32)


@pytest.mark.parametrize("name", sorted(INT_KEPT))
def test_integer_input_stays_int32(backend_name, name):
    out = INT_KEPT[name](K.constant(INTS, dtype="int32"))
    assert out.dtype == np.int32, f"K.{name} of int32 gave {out.dtype}"


@pytest.mark.parametrize("name", sorted(INT_TO_FLOATX))
def test_float_functions_of_integers_give_floatx(backend_name, name):
    fn = INT_TO_FLOATX[name]
    out = fn(K.constant(INTS, dtype="int32"))
    assert out.dtype == np.float32, f"K.{name} of int32 gave {out.dtype}"
    np.testing.assert_allclose(out.numpy(), fn(K.constant(INTS.astype(np.float32))).numpy(), rtol=1e-6)


def test_float_functions_of_an_integer_placeholder_give_floatx(backend_name):
    p = K.placeholder(shape=(None, 2), dtype="int32")
    names = ["l2_normalize", "softsign", "hard_sigmoid", "var", "logsumexp", "sqrt", "softmax"]
    f = K.function([p], [INT_TO_FLOATX[n](p) for n in names])
    for name, out in zip(names, f([INTS])):
        assert out.dtype == np.float32, f"K.{name} of an int32 placeholder gave {out.dtype}"
