"""Fuzzing K's shape-taking functions with hypothesis (issue 11): for random shapes and arguments,
each K function either returns the shape a reference computed another way gives (NumPy, with
Keras 2's stricter rules where Keras and NumPy differ), or raises a ValueError/TypeError whose
message names the K function. Never a raw NumPy message, never a wrong shape, never a silent
success where the reference refuses.

Bounded: a fixed number of derandomized examples per function and backend (a few seconds in all).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multinn import backend as K

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI reproduces here
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the backend scope holds for every example
)

sizes = st.integers(0, 3)
shapes = st.lists(sizes, min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple)
axes = st.integers(-6, 6)


def _ones(shape):
    return K.ones(shape) if shape else K.constant(1.0)


def check(name, ours, reference):
    """`ours()` must match `reference()`'s shape, or raise naming K.`name` when the reference refuses.

    `reference` returns the expected shape, or raises any exception for an invalid call.
    """
    try:
        expected = tuple(reference())
    except Exception:  # the reference refuses: K must refuse too, in its own words
        with pytest.raises((ValueError, TypeError)) as error:
            ours()
        assert f"K.{name}" in str(error.value), f"K.{name}'s error does not name it: {error.value}"
        return
    out = ours()
    assert tuple(out.shape) == expected, f"K.{name} gave shape {tuple(out.shape)}, the reference {expected}"


@FUZZ
@given(shape=shapes, target=st.lists(st.integers(-2, 7), min_size=0, max_size=4).map(tuple))
def test_reshape(backend_name, shape, target):
    def reference():
        if any(s < -1 for s in target):  # TensorFlow takes -1 only; NumPy any negative
            raise ValueError
        return np.empty(shape).reshape(target).shape

    check("reshape", lambda: K.reshape(_ones(shape), target), reference)


@FUZZ
@given(shape=shapes, pattern=st.lists(st.integers(-5, 5), min_size=0, max_size=5).map(tuple))
def test_permute_dimensions(backend_name, shape, pattern):
    check(
        "permute_dimensions",
        lambda: K.permute_dimensions(_ones(shape), pattern),
        lambda: np.transpose(np.empty(shape), pattern).shape,
    )


@FUZZ
@given(shape=shapes, axis=axes)
def test_expand_dims(backend_name, shape, axis):
    check("expand_dims", lambda: K.expand_dims(_ones(shape), axis), lambda: np.expand_dims(np.empty(shape), axis).shape)


@FUZZ
@given(shape=shapes, axis=axes)
def test_squeeze(backend_name, shape, axis):
    def reference():
        if not -len(shape) <= axis < len(shape):  # NumPy lets a scalar squeeze axis 0; TensorFlow does not
            raise ValueError
        return np.squeeze(np.empty(shape), axis).shape

    check("squeeze", lambda: K.squeeze(_ones(shape), axis), reference)


@FUZZ
@given(parts=st.lists(shapes, min_size=1, max_size=3), axis=axes)
def test_concatenate(backend_name, parts, axis):
    check(
        "concatenate",
        lambda: K.concatenate([_ones(s) for s in parts], axis=axis),
        lambda: np.concatenate([np.empty(s) for s in parts], axis=axis).shape,
    )


@FUZZ
@given(x=shapes, y=shapes)
def test_dot(backend_name, x, y):
    # np.dot is Keras 2's dot: the last axis of x against the second-to-last of y (or its only one).
    check("dot", lambda: K.dot(_ones(x), _ones(y)), lambda: np.dot(np.empty(x), np.empty(y)).shape)


def _axis(a, ndim):
    if not -ndim <= a < ndim:
        raise ValueError
    return a % ndim


def _batch_dot_reference(x, y, axes):
    """Keras 2's batch_dot by einsum: one batch axis, one contracted axis, the rest in order."""
    if len(x) < 2 or len(y) < 2:
        raise ValueError
    if axes is None:
        axes = (len(x) - 1, len(y) - 1 if len(y) == 2 else len(y) - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (_axis(a, n) for a, n in zip(axes, (len(x), len(y))))
    if ax == 0 or ay == 0 or x[0] != y[0] or x[ax] != y[ay]:  # einsum would broadcast sizes of 1
        raise ValueError
    letters = "bcdefgh"
    xs = ["a"] + [letters[i] for i in range(len(x) - 1)]
    ys = ["a"] + [letters[len(x) - 1 + i] for i in range(len(y) - 1)]
    ys[ay] = xs[ax]  # the contracted axis shares a letter, and einsum checks the sizes
    out = [s for s in xs if s != xs[ax]] + [s for i, s in enumerate(ys) if i not in (0, ay)]
    result = np.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", np.empty(x), np.empty(y))
    return result.shape if result.ndim > 1 else result.shape + (1,)


@FUZZ
@given(x=shapes, y=shapes, axes=st.none() | axes | st.tuples(axes, axes))
def test_batch_dot(backend_name, x, y, axes):
    check("batch_dot", lambda: K.batch_dot(_ones(x), _ones(y), axes=axes), lambda: _batch_dot_reference(x, y, axes))


@FUZZ
@given(shape=shapes, indices=st.lists(st.integers(-4, 5), min_size=0, max_size=4))
def test_gather(backend_name, shape, indices):
    def reference():
        rows = shape[0] if shape else None
        if rows is None or any(not 0 <= i < rows for i in indices):  # TensorFlow on the CPU: no wrapping
            raise IndexError
        return np.take(np.empty(shape), np.asarray(indices, dtype="int64"), axis=0).shape

    check("gather", lambda: K.gather(_ones(shape), indices), reference)


@FUZZ
@given(shape=shapes, rep=st.integers(-2, 3), axis=axes)
def test_repeat_elements(backend_name, shape, rep, axis):
    check(
        "repeat_elements",
        lambda: K.repeat_elements(_ones(shape), rep, axis),
        lambda: np.repeat(np.empty(shape), rep, axis=_axis(axis, len(shape))).shape,
    )


@FUZZ
@given(shape=shapes, reps=st.integers(-1, 3) | st.lists(st.integers(-1, 3), min_size=0, max_size=5).map(tuple))
def test_tile(backend_name, shape, reps):
    def reference():
        if min([reps] if isinstance(reps, int) else reps, default=0) < 0:  # NumPy tiles an empty array by -1
            raise ValueError
        return np.tile(np.empty(shape), reps).shape

    check("tile", lambda: K.tile(_ones(shape), reps), reference)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "any"])
@FUZZ
@given(shape=shapes, axis=st.none() | axes | st.lists(axes, min_size=0, max_size=3), keepdims=st.booleans())
@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
def test_reductions(backend_name, name, shape, axis, keepdims):
    def reference():
        ref_axis = tuple(axis) if isinstance(axis, list) else axis
        named = [] if axis is None else [axis] if isinstance(axis, int) else axis
        if not shape:  # a scalar reduces nothing along 0 or -1 (NumPy's sum; its mean refuses)
            if any(a not in (0, -1) for a in named):
                raise ValueError
            return ()
        for a in named:
            _axis(a, len(shape))
        return getattr(np, name)(np.empty(shape), axis=ref_axis, keepdims=keepdims).shape

    check(name, lambda: getattr(K, name)(_ones(shape), axis=axis, keepdims=keepdims), reference)


@pytest.mark.parametrize("name", ["max", "min"])
@FUZZ
@given(shape=nonempty_shapes, axis=st.none() | axes | st.lists(axes, min_size=0, max_size=3), keepdims=st.booleans())
def test_extremes(backend_name, name, shape, axis, keepdims):
    ref_axis = tuple(axis) if isinstance(axis, list) else axis
    check(
        name,
        lambda: getattr(K, name)(K.ones(shape), axis=axis, keepdims=keepdims),
        lambda: getattr(np, name)(np.empty(shape), axis=ref_axis, keepdims=keepdims).shape,
    )
