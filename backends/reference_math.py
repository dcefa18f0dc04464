"""NumPy reference, part 1: elementwise math, comparisons, reductions, activations and losses.

Each function is the textbook formula on NumPy arrays (Keras 2.3.1's TensorFlow semantics),
written for clarity, not speed; see `reference.py` for what the reference is for.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import reference_settings as settings

Array = np.ndarray


def _axis(axis: Any) -> Any:
    """Keras 2 takes a list of axes where NumPy wants a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


# ---------------------------------------------------------------- elementwise


def square(x: Array) -> Array:
    """x * x.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.square(np.array([-2.0, 3.0])).tolist()
        [4.0, 9.0]
    """
    x = np.asarray(x)
    return x * x


def abs(x: Array) -> Array:
    """|x|.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.abs(np.array([-2.0, 3.0])).tolist()
        [2.0, 3.0]
    """
    x = np.asarray(x)
    return np.where(x < 0, -x, x)


def sqrt(x: Array) -> Array:
    """Square root; negative inputs give 0, as Keras 2 clips them to 0 first.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.sqrt(np.array([4.0, -1.0])).tolist()
        [2.0, 0.0]
    """
    x = np.asarray(x)
    return np.sqrt(np.where(x < 0, 0, x))


def exp(x: Array) -> Array:
    """e ** x.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.exp(np.array([0.0])).tolist()
        [1.0]
    """
    return np.exp(x)


def log(x: Array) -> Array:
    """Natural logarithm (nan for negative inputs, -inf at 0).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.log(np.array([1.0])).tolist()
        [0.0]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x)


def round(x: Array) -> Array:
    """Rounds to the nearest integer, halves to even (TensorFlow's round).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.round(np.array([0.5, 1.5, -2.5, 2.4])).tolist()
        [0.0, 2.0, -2.0, 2.0]
    """
    x = np.asarray(x)
    low = np.floor(x)
    frac = x - low
    low_is_even = np.mod(low, 2) == 0
    return np.where(frac > 0.5, low + 1, np.where(frac < 0.5, low, np.where(low_is_even, low, low + 1)))


def sign(x: Array) -> Array:
    """-1, 0 or 1.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.sign(np.array([-3.0, 0.0, 2.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    x = np.asarray(x)
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def pow(x: Array, a: Any = 1.0) -> Array:
    """x ** a.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.pow(np.array([2.0, 3.0]), 3).tolist()
        [8.0, 27.0]
    """
    return np.power(x, a)


def clip(x: Array, min_value: Any, max_value: Any) -> Array:
    """x limited to [min_value, max_value]; a max below the min is raised to the min (Keras 2).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.clip(np.array([0.1, 0.5, 0.9]), 0.4, 0.6).tolist()
        [0.4, 0.5, 0.6]
    """
    x = np.asarray(x)
    low = -np.inf if min_value is None else np.asarray(min_value)
    high = np.inf if max_value is None else np.maximum(np.asarray(max_value), low)
    return np.where(x < low, low, np.where(x > high, high, x)).astype(x.dtype)


def cos(x: Array) -> Array:
    """Cosine.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.cos(np.array([0.0])).tolist()
        [1.0]
    """
    return np.cos(x)


def sin(x: Array) -> Array:
    """Sine.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.sin(np.array([0.0])).tolist()
        [0.0]
    """
    return np.sin(x)


def maximum(x: Array, y: Array) -> Array:
    """Elementwise larger of x and y.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.maximum(np.array([1.0, 5.0]), np.array([3.0, 2.0])).tolist()
        [3.0, 5.0]
    """
    x, y = np.asarray(x), np.asarray(y)
    return np.where(x >= y, x, y)


def minimum(x: Array, y: Array) -> Array:
    """Elementwise smaller of x and y.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.minimum(np.array([1.0, 5.0]), np.array([3.0, 2.0])).tolist()
        [1.0, 2.0]
    """
    x, y = np.asarray(x), np.asarray(y)
    return np.where(x <= y, x, y)


def equal(x: Array, y: Array) -> Array:
    """x == y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.equal(np.array([1, 2]), np.array([1, 3])).tolist()
        [True, False]
    """
    return np.asarray(x) == np.asarray(y)


def not_equal(x: Array, y: Array) -> Array:
    """x != y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.not_equal(np.array([1, 2]), np.array([1, 3])).tolist()
        [False, True]
    """
    return np.asarray(x) != np.asarray(y)


def greater(x: Array, y: Array) -> Array:
    """x > y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.greater(np.array([1, 2]), np.array([1, 1])).tolist()
        [False, True]
    """
    return np.asarray(x) > np.asarray(y)


def greater_equal(x: Array, y: Array) -> Array:
    """x >= y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.greater_equal(np.array([1, 0]), np.array([1, 1])).tolist()
        [True, False]
    """
    return np.asarray(x) >= np.asarray(y)


def less(x: Array, y: Array) -> Array:
    """x < y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.less(np.array([1, 0]), np.array([1, 1])).tolist()
        [False, True]
    """
    return np.asarray(x) < np.asarray(y)


def less_equal(x: Array, y: Array) -> Array:
    """x <= y, elementwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.less_equal(np.array([1, 2]), np.array([1, 1])).tolist()
        [True, False]
    """
    return np.asarray(x) <= np.asarray(y)


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Array:
    """then_expression where condition holds, else else_expression; a condition of lower rank
    applies along the leading axes; callables are called first.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.switch(np.array([True, False]), np.ones((2, 2)), np.zeros((2, 2))).tolist()
        [[1.0, 1.0], [0.0, 0.0]]
    """
    then_value = then_expression() if callable(then_expression) else np.asarray(then_expression)
    else_value = else_expression() if callable(else_expression) else np.asarray(else_expression)
    condition = np.asarray(condition).astype(bool)
    while condition.ndim < np.ndim(then_value):
        condition = condition[..., None]
    return np.where(condition, then_value, else_value)


# ---------------------------------------------------------------- reductions


def sum(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Sum over `axis` (int, list or None for all).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.sum(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist()
        [3.0, 7.0]
    """
    return np.sum(x, axis=_axis(axis), keepdims=keepdims)


def prod(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Product over `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
        [3.0, 8.0]
    """
    return np.prod(x, axis=_axis(axis), keepdims=keepdims)


def max(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Maximum over `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.max(np.array([[1.0, 5.0], [3.0, 4.0]]), axis=[0, 1]).tolist()
        5.0
    """
    return np.max(x, axis=_axis(axis), keepdims=keepdims)


def min(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Minimum over `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.min(np.array([[1.0, 5.0], [3.0, 4.0]]), axis=1, keepdims=True).tolist()
        [[1.0], [3.0]]
    """
    return np.min(x, axis=_axis(axis), keepdims=keepdims)


def mean(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Sum over `axis` divided by the number of entries summed.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.mean(np.array([[1.0, 2.0], [3.0, 6.0]]), axis=0).tolist()
        [2.0, 4.0]
    """
    x = np.asarray(x)
    count = x.size // builtins.max(np.sum(x, axis=_axis(axis), keepdims=True).size, 1)
    return np.sum(x, axis=_axis(axis), keepdims=keepdims) / builtins.max(count, 1)


def var(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Population variance: mean of squared deviations from the mean over `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.var(np.array([1.0, 3.0])).tolist()
        1.0
    """
    x = np.asarray(x)
    deviation = x - mean(x, axis=axis, keepdims=True)
    return mean(deviation * deviation, axis=axis, keepdims=keepdims)


def std(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Population standard deviation over `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.std(np.array([1.0, 3.0])).tolist()
        1.0
    """
    return np.sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """log(sum(exp(x))) over `axis`, computed as max + log(sum(exp(x - max))) so it cannot overflow.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> print(f"{float(R.logsumexp(np.array([1000.0, 1000.0]))):.4f}")  # 1000 + log(2)
        1000.6931
    """
    x = np.asarray(x)
    top = np.max(x, axis=_axis(axis), keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.sum(np.exp(x - top), axis=_axis(axis), keepdims=True)) + top
    if not keepdims:
        out = np.squeeze(out, axis=tuple(range(x.ndim)) if axis is None else _axis(axis))
    return out


def any(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Whether any entry over `axis` is nonzero (bool).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.any(np.array([[0.0, 1.0], [0.0, 0.0]]), axis=1).tolist()
        [True, False]
    """
    return np.any(np.asarray(x) != 0, axis=_axis(axis), keepdims=keepdims)


def all(x: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Whether every entry over `axis` is nonzero (bool).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.all(np.array([[2.0, 1.0], [0.0, 1.0]]), axis=1).tolist()
        [True, False]
    """
    return np.all(np.asarray(x) != 0, axis=_axis(axis), keepdims=keepdims)


def argmax(x: Array, axis: int = -1) -> Array:
    """Index of the largest entry along `axis` (the first on ties).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.argmax(np.array([[1.0, 3.0, 3.0], [5.0, 0.0, 1.0]])).tolist()
        [1, 0]
    """
    return np.argmax(x, axis=axis)


def argmin(x: Array, axis: int = -1) -> Array:
    """Index of the smallest entry along `axis` (the first on ties).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.argmin(np.array([[1.0, 0.0, 0.0]])).tolist()
        [1]
    """
    return np.argmin(x, axis=axis)


def cumsum(x: Array, axis: int = 0) -> Array:
    """Running sum along `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.cumsum(np.array([1.0, 2.0, 3.0])).tolist()
        [1.0, 3.0, 6.0]
    """
    x = np.moveaxis(np.asarray(x), axis, 0)
    out = np.empty_like(x)
    running = np.zeros_like(x[0])
    for i in range(x.shape[0]):
        running = running + x[i]
        out[i] = running
    return np.moveaxis(out, 0, axis)


def cumprod(x: Array, axis: int = 0) -> Array:
    """Running product along `axis`.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.cumprod(np.array([1.0, 2.0, 3.0])).tolist()
        [1.0, 2.0, 6.0]
    """
    x = np.moveaxis(np.asarray(x), axis, 0)
    out = np.empty_like(x)
    running = np.ones_like(x[0])
    for i in range(x.shape[0]):
        running = running * x[i]
        out[i] = running
    return np.moveaxis(out, 0, axis)


# ---------------------------------------------------------------- activations


def relu(x: Array, alpha: float = 0.0, max_value: "float | None" = None, threshold: float = 0.0) -> Array:
    """Keras 2.3.1's relu: x above `threshold` (else 0), capped to [0, max_value] when a cap is
    given, minus alpha * (threshold - x) below the threshold.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.relu(np.array([-1.0, 0.5, 3.0]), alpha=0.1, max_value=2.0).tolist()
        [-0.1, 0.5, 2.0]
    """
    x = np.asarray(x)
    y = np.where(x > threshold, x, 0)
    if max_value is not None:
        y = np.where(y < 0, 0, np.where(y > max_value, max_value, y))
    if alpha != 0:
        y = y - alpha * np.where(threshold - x > 0, threshold - x, 0)
    return y.astype(x.dtype)


def elu(x: Array, alpha: float = 1.0) -> Array:
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.elu(np.array([2.0, 0.0])).tolist()
        [2.0, 0.0]
    """
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * (np.exp(np.where(x > 0, 0, x)) - 1))


def softplus(x: Array) -> Array:
    """log(1 + exp(x)), computed without overflow.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> print(f"{float(R.softplus(np.array(0.0))):.6f}")
        0.693147
    """
    x = np.asarray(x)
    return np.where(x > 0, x, 0) + np.log1p(np.exp(-np.where(x < 0, -x, x)))


def softsign(x: Array) -> Array:
    """x / (1 + |x|).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.softsign(np.array([1.0, -3.0])).tolist()
        [0.5, -0.75]
    """
    x = np.asarray(x)
    return x / (1 + abs(x))


def sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.sigmoid(np.array([0.0])).tolist()
        [0.5]
    """
    x = np.asarray(x)
    return 1 / (1 + np.exp(-x))


def hard_sigmoid(x: Array) -> Array:
    """0.2 * x + 0.5, limited to [0, 1].

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.hard_sigmoid(np.array([-5.0, 0.0, 1.0, 5.0])).tolist()
        [0.0, 0.5, 0.7, 1.0]
    """
    return clip(0.2 * np.asarray(x) + 0.5, 0.0, 1.0)


def tanh(x: Array) -> Array:
    """Hyperbolic tangent, (e^x - e^-x) / (e^x + e^-x).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.tanh(np.array([0.0])).tolist()
        [0.0]
    """
    return np.tanh(x)


def softmax(x: Array, axis: int = -1) -> Array:
    """exp(x) normalised to sum 1 along `axis` (shifted by the max first).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.softmax(np.array([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def l2_normalize(x: Array, axis: Any = None) -> Array:
    """x / sqrt(max(sum(x ** 2 over axis), 1e-12)).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.l2_normalize(np.array([[3.0, 4.0]]), axis=-1).tolist()
        [[0.6, 0.8]]
    """
    x = np.asarray(x)
    squared = np.sum(x * x, axis=_axis(axis), keepdims=True)
    return x / np.sqrt(np.where(squared > 1e-12, squared, 1e-12))


# ---------------------------------------------------------------- losses and metrics


def binary_crossentropy(target: Array, output: Array, from_logits: bool = False) -> Array:
    """-(t log p + (1 - t) log(1 - p)) elementwise; p = sigmoid(output) for logits, else output
    clipped to [epsilon, 1 - epsilon].

    Example:
        >>> from multinn.backends import reference_math as R
        >>> print(f"{float(R.binary_crossentropy(np.array(1.0), np.array(0.5))):.6f}")
        0.693147
    """
    target, output = np.asarray(target), np.asarray(output)
    if from_logits:
        # log(sigmoid(z)) = -softplus(-z), log(1 - sigmoid(z)) = -softplus(z)
        return target * softplus(-output) + (1 - target) * softplus(output)
    eps = settings.epsilon()
    p = clip(output, eps, 1 - eps)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


def categorical_crossentropy(target: Array, output: Array, from_logits: bool = False, axis: int = -1) -> Array:
    """-sum(t log p) along `axis`; p = softmax(output) for logits, else output rescaled to sum 1
    and clipped to [epsilon, 1 - epsilon].

    Example:
        >>> from multinn.backends import reference_math as R
        >>> print(f"{float(R.categorical_crossentropy(np.array([0.0, 1.0]), np.array([0.5, 0.5]))):.6f}")
        0.693147
    """
    target, output = np.asarray(target), np.asarray(output)
    if from_logits:
        log_p = output - logsumexp(output, axis=axis, keepdims=True)
    else:
        eps = settings.epsilon()
        log_p = np.log(clip(output / np.sum(output, axis=axis, keepdims=True), eps, 1 - eps))
    return -np.sum(target * log_p, axis=axis)


def sparse_categorical_crossentropy(target: Array, output: Array, from_logits: bool = False, axis: int = -1) -> Array:
    """categorical_crossentropy with integer class targets.

    Example:
        >>> from multinn.backends import reference_math as R
        >>> print(f"{float(R.sparse_categorical_crossentropy(np.array(1), np.array([0.5, 0.5]))):.6f}")
        0.693147
    """
    output = np.moveaxis(np.asarray(output), axis, -1)
    classes = output.shape[-1]
    target = np.asarray(target).astype("int64").reshape(output.shape[:-1])
    one_hot = (target[..., None] == np.arange(classes)).astype(output.dtype)
    return categorical_crossentropy(one_hot, output, from_logits=from_logits, axis=-1)


def in_top_k(predictions: Array, targets: Array, k: int) -> Array:
    """Per row, whether the target's score reaches the k-th largest score of the row (ties at
    the boundary count as in, as in TensorFlow; a row with a non-finite score is False).

    Example:
        >>> from multinn.backends import reference_math as R
        >>> R.in_top_k(np.array([[0.1, 0.9, 0.9], [0.5, 0.2, 0.3]]), np.array([2, 2]), 1).tolist()
        [True, False]
    """
    predictions = np.asarray(predictions)
    targets = np.asarray(targets).reshape(-1)
    result = np.zeros(predictions.shape[0], dtype=bool)
    for row in range(predictions.shape[0]):
        scores = predictions[row]
        target = int(targets[row])
        if not (0 <= target < scores.shape[0]) or not np.all(np.isfinite(scores)) or k < 1:
            continue
        kth_largest = sorted(scores.tolist(), reverse=True)[builtins.min(k, scores.shape[0]) - 1]
        result[row] = scores[target] >= kth_largest
    return result
