"""An eager NumPy reference of K's functions, for testing K against an independent computation.

Keras 2.3.1 ships such a reference as `keras.backend.numpy_backend`; multinn exposes this one
under the same path (`multinn.backend.numpy_backend`). It is not a backend multinn runs on (that
is `numpy_backend.NumpyBackend` beside this file, behind K): every function takes and returns
plain NumPy arrays, has K's name, signature and Keras 2.3.1 (TensorFlow) semantics, and is the
direct formula or loop, without autodiff, without K and without the kernels K uses, so that K
agreeing with it is a real check. Speed is not a goal.

The functions live in four files by topic (reference_math, reference_shape, reference_conv,
reference_rnn); this module gathers them and adds the tensor-creation and state functions.

Example:
    >>> from multinn.backends import reference as R
    >>> x = R.variable([[1.0, -2.0], [3.0, 4.0]])
    >>> R.eval(R.sum(R.relu(x), axis=1)).tolist()
    [1.0, 7.0]
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from . import reference_settings as settings
from .reference_conv import (
    batch_normalization, bias_add, conv, conv1d, conv1d_transpose, conv2d, conv2d_transpose, conv3d, conv3d_transpose,
    conv_transpose, depthwise_conv, depthwise_conv2d, pool, pool1d, pool2d, pool3d, separable_conv,
    separable_conv1d, separable_conv2d,
)
from .reference_math import (
    abs, all, any, argmax, argmin, binary_crossentropy, categorical_crossentropy, clip, cos, cumprod,
    cumsum, elu, equal, exp, greater, greater_equal, hard_sigmoid, in_top_k, l2_normalize, less,
    less_equal, log, logsumexp, max, maximum, mean, min, minimum, not_equal, pow, prod, relu, round,
    sigmoid, sign, sin, softmax, softplus, softsign, sparse_categorical_crossentropy, sqrt, square,
    std, sum, switch, tanh, var,
)
from .reference_rnn import ctc_batch_cost, ctc_decode, foldl, foldr, map_fn, rnn
from .reference_shape import (
    batch_dot, batch_flatten, concatenate, dot, expand_dims, flatten, gather, permute_dimensions,
    repeat, repeat_elements, reshape, resize_images, resize_volumes, reverse, slice,
    spatial_2d_padding, spatial_3d_padding, squeeze, stack, temporal_padding, tile, transpose,
)

Array = np.ndarray


def floatx() -> str:
    """The default float dtype name (K's, once `multinn.backend.numpy_backend` is imported).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.floatx() in ("float16", "float32", "float64")
        True
    """
    return settings.floatx()


def epsilon() -> float:
    """The fuzz factor (K's, once `multinn.backend.numpy_backend` is imported).

    Example:
        >>> from multinn.backends import reference as R
        >>> 0 < R.epsilon() < 1e-3
        True
    """
    return settings.epsilon()


# ---------------------------------------------------------------- tensors are NumPy arrays


def variable(value: Any, dtype: Any = None, name: "str | None" = None, constraint: Any = None) -> Array:
    """A NumPy copy of value, of `dtype` (floatx when None).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.variable([1, 2]).dtype.name == R.floatx()
        True
    """
    if constraint is not None:
        raise TypeError(f"The reference's variables take no constraint. Received: constraint={constraint!r}")
    return np.array(value, dtype=np.dtype(dtype or settings.floatx()))


def constant(value: Any, dtype: Any = None, shape: "Sequence[int] | None" = None, name: "str | None" = None) -> Array:
    """value as an array of `dtype` (floatx when None), broadcast to `shape` when given.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.constant(2, shape=(2,)).tolist()
        [2.0, 2.0]
    """
    out = np.array(value, dtype=np.dtype(dtype or settings.floatx()))
    return np.broadcast_to(out, tuple(shape)).copy() if shape is not None else out


def eval(x: Any) -> Array:
    """x as a NumPy array (the reference has nothing to evaluate).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.eval([1.0]).tolist()
        [1.0]
    """
    return np.asarray(x)


def get_value(x: Any) -> Array:
    """A copy of x.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.get_value(np.ones(2)).tolist()
        [1.0, 1.0]
    """
    return np.array(x)


def count_params(x: Any) -> int:
    """The number of entries of x.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.count_params(np.zeros((4, 2)))
        8
    """
    return int(np.asarray(x).size)


def int_shape(x: Any) -> tuple:
    """The shape of x as a tuple of ints.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.int_shape(np.zeros((4, 2)))
        (4, 2)
    """
    return tuple(int(n) for n in np.shape(x))


def get_variable_shape(x: Any) -> tuple:
    """The shape of x (Keras 2's older name of int_shape).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.get_variable_shape(np.zeros(3))
        (3,)
    """
    return int_shape(x)


def ndim(x: Any) -> int:
    """The rank of x.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.ndim(np.zeros((4, 2)))
        2
    """
    return int(np.ndim(x))


def dtype(x: Any) -> str:
    """The dtype name of x.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.dtype(np.zeros(1, dtype="int16"))
        'int16'
    """
    return np.asarray(x).dtype.name


def cast(x: Any, dtype: Any) -> Array:
    """x converted to `dtype`.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.cast(np.array([1.7]), "int32").tolist()
        [1]
    """
    return np.asarray(x).astype(dtype)


def zeros(shape: Any, dtype: Any = None, name: "str | None" = None) -> Array:
    """An array of zeros (floatx when dtype is None).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.zeros((2,)).tolist()
        [0.0, 0.0]
    """
    return np.zeros(shape, dtype=np.dtype(dtype or settings.floatx()))


def ones(shape: Any, dtype: Any = None, name: "str | None" = None) -> Array:
    """An array of ones (floatx when dtype is None).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.ones((2,)).tolist()
        [1.0, 1.0]
    """
    return np.ones(shape, dtype=np.dtype(dtype or settings.floatx()))


def zeros_like(x: Any, dtype: Any = None, name: "str | None" = None) -> Array:
    """Zeros of x's shape (of x's dtype when dtype is None).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.zeros_like(np.ones((1, 2))).tolist()
        [[0.0, 0.0]]
    """
    x = np.asarray(x)
    return np.zeros(x.shape, dtype=np.dtype(dtype) if dtype else x.dtype)


def ones_like(x: Any, dtype: Any = None, name: "str | None" = None) -> Array:
    """Ones of x's shape (of x's dtype when dtype is None).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.ones_like(np.zeros((1, 2))).tolist()
        [[1.0, 1.0]]
    """
    x = np.asarray(x)
    return np.ones(x.shape, dtype=np.dtype(dtype) if dtype else x.dtype)


def eye(size: Any, dtype: Any = None, name: "str | None" = None) -> Array:
    """The identity matrix: size n or (rows, cols).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.eye((2, 3)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    rows, cols = (size, size) if np.ndim(size) == 0 else tuple(size)
    out = np.zeros((int(rows), int(cols)), dtype=np.dtype(dtype or settings.floatx()))
    for i in range(builtins.min(int(rows), int(cols))):
        out[i, i] = 1
    return out


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str = "int32") -> Array:
    """start, start + step, ... below stop; one argument is the stop.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.arange(-5, 5, 3).tolist()
        [-5, -2, 1, 4]
    """
    if stop is None:
        start, stop = 0, start
    values = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        values.append(value)
        value += step
    return np.array(values, dtype=dtype)


def one_hot(indices: Any, num_classes: int) -> Array:
    """indices (...,) to (..., num_classes) rows of 0 with 1 at the index.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.one_hot(np.array([2, 0]), 3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    indices = np.asarray(indices)
    out = np.zeros(indices.shape + (int(num_classes),), dtype=settings.floatx())
    for position in np.ndindex(*indices.shape):
        index = int(indices[position])
        if 0 <= index < num_classes:
            out[position + (index,)] = 1
    return out


def random_uniform_variable(
    shape: Any, low: float, high: float, dtype: Any = None, name: "str | None" = None, seed: Any = None
) -> Array:
    """Uniform draws in [low, high) from NumPy's generator (not K's stream: only the law matches).

    Example:
        >>> from multinn.backends import reference as R
        >>> x = R.random_uniform_variable((100,), 2.0, 3.0, seed=1)
        >>> bool(x.min() >= 2.0 and x.max() < 3.0)
        True
    """
    rng = np.random.default_rng(seed)
    return (low + (high - low) * rng.random(tuple(shape))).astype(dtype or settings.floatx())


def random_normal_variable(
    shape: Any, mean: float, scale: float, dtype: Any = None, name: "str | None" = None, seed: Any = None
) -> Array:
    """Normal draws of the given mean and standard deviation from NumPy's generator.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.random_normal_variable((2, 3), 0.0, 1.0, seed=1).shape
        (2, 3)
    """
    rng = np.random.default_rng(seed)
    return (mean + scale * rng.standard_normal(tuple(shape))).astype(dtype or settings.floatx())


def dropout(x: Any, level: float, noise_shape: "Sequence[int] | None" = None, seed: Any = None) -> Array:
    """Entries zeroed with probability `level`, the rest scaled by 1 / (1 - level); the keep
    pattern is drawn for `noise_shape` and broadcast to x.

    Example:
        >>> from multinn.backends import reference as R
        >>> sorted(set(R.dropout(np.ones(100), 0.5, seed=0).tolist()))
        [0.0, 2.0]
    """
    if not 0 <= level < 1:
        raise ValueError(f"dropout level must be in [0, 1). Received: level={level}")
    x = np.asarray(x)
    keep = np.random.default_rng(seed).random(tuple(noise_shape) if noise_shape is not None else x.shape) >= level
    return np.where(keep, x / (1 - level), 0).astype(x.dtype)


# ---------------------------------------------------------------- learning phase

_learning_phase = [0]


def learning_phase() -> int:
    """The reference's own learning phase: 0 (test) until set_learning_phase(1).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.learning_phase() in (0, 1)
        True
    """
    return _learning_phase[0]


def set_learning_phase(value: int) -> None:
    """Sets the reference's learning phase to 0 (test) or 1 (train).

    Example:
        >>> from multinn.backends import reference as R
        >>> R.set_learning_phase(0); R.learning_phase()
        0
    """
    if value not in (0, 1):
        raise ValueError(f"The learning phase must be 0 or 1. Received: value={value!r}")
    _learning_phase[0] = int(value)


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the training phase, alt otherwise; a callable is called only when chosen.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.in_train_phase(1.0, 2.0, training=True)
        1.0
    """
    if training is None:
        training = learning_phase()
    chosen = x if bool(training) else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the test phase, alt otherwise.

    Example:
        >>> from multinn.backends import reference as R
        >>> R.in_test_phase(1.0, 2.0, training=True)
        2.0
    """
    return in_train_phase(alt, x, training=training)


def print_tensor(x: Any, message: str = "") -> Any:
    """Prints message and x, returns x.

    Example:
        >>> from multinn.backends import reference as R
        >>> _ = R.print_tensor(np.array([1.0]), "x =")
        x = [1.]
    """
    print(message, x)
    return x


__all__ = sorted(
    name
    for name, value in list(globals().items())
    if not name.startswith("_") and callable(value) and getattr(value, "__module__", "").startswith(__name__)
)
