"""Fuzzing the loop arguments of fit / evaluate / predict with hypothesis (issue 11): for random
sample counts and argument values, each call either does what a valid call must (predict gives
one row per sample, evaluate a finite loss, fit one History entry per epoch run) or raises a
ValueError/TypeError whose message names an argument the test's own rules find invalid. Never a
hang (each call runs under a deadline), never a silent success where the rules refuse.

Bounded: a fixed number of derandomized examples per method and backend (a few seconds in all).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multinn.layers import Dense
from multinn.models import Sequential
from tests.no_hang import call_with_deadline

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI reproduces here
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the backend scope holds for every example
)

junk = st.sampled_from([2.5, "3", True, [1], float("nan")])
counts = st.one_of(st.none(), st.integers(-2, 5), st.sampled_from([np.int64(2), np.int32(0)]), junk)
fractions = st.one_of(
    st.floats(-0.5, 1.5, allow_nan=False), st.sampled_from([0.0, 0.99, float("nan"), float("inf"), "0.2", True, None])
)


def _int_ok(value, minimum, allow_none=True):
    """The test's own rule for an integer argument (written apart from the engine's)."""
    if value is None:
        return allow_none
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return False
    return int(value) >= minimum


def _fraction_ok(value):
    return (
        isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value < 1
    )


def _model():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    return model


def _data(n):
    rng = np.random.default_rng(n)
    return rng.normal(size=(n, 2)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _refused(call, names):
    """`call` must raise a ValueError/TypeError naming one of `names`."""
    with pytest.raises((ValueError, TypeError)) as error:
        call_with_deadline(call)
    message = str(error.value)
    assert any(f"`{n}`" in message or f"Received: {n}" in message for n in names), (
        f"the error names none of {names}: {message}"
    )


@pytest.mark.parametrize("method", ["predict", "evaluate"])
@FUZZ
@given(n=st.integers(0, 9), batch_size=counts, steps=counts)
def test_predict_and_evaluate_arguments(backend_name, method, n, batch_size, steps):
    x, y = _data(n)
    model = _model()
    args = (x,) if method == "predict" else (x, y)

    def call():
        return getattr(model, method)(*args, batch_size=batch_size, steps=steps, verbose=0)

    bad = [name for name, ok in (("batch_size", _int_ok(batch_size, 1)), ("steps", _int_ok(steps, 1))) if not ok]
    if bad or n == 0:
        _refused(call, bad or ["x"])
        return
    result = call_with_deadline(call)
    if method == "predict":
        assert result.shape == (n, 1)
    else:
        assert isinstance(result, float) and math.isfinite(result)


@FUZZ
@given(
    n=st.integers(0, 9), batch_size=counts, epochs=counts, initial_epoch=counts, steps_per_epoch=counts,
    validation_split=fractions,
)
def test_fit_arguments(backend_name, n, batch_size, epochs, initial_epoch, steps_per_epoch, validation_split):
    x, y = _data(n)
    model = _model()
    kwargs = dict(batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                  validation_split=validation_split, verbose=0)
    rules = (
        ("batch_size", _int_ok(batch_size, 1)), ("epochs", _int_ok(epochs, 0, allow_none=False)),
        ("initial_epoch", _int_ok(initial_epoch, 0, allow_none=False)), ("steps_per_epoch", _int_ok(steps_per_epoch, 1)),
        ("validation_split", _fraction_ok(validation_split)),
    )
    bad = [name for name, ok in rules if not ok]
    if bad:
        _refused(lambda: model.fit(x, y, **kwargs), bad)
        return
    split = int(n * (1 - validation_split)) if validation_split else n
    if n == 0:
        _refused(lambda: model.fit(x, y, **kwargs), ["x"])
        return
    if validation_split and (split == 0 or split == n):
        _refused(lambda: model.fit(x, y, **kwargs), ["validation_split"])
        return
    history = call_with_deadline(lambda: model.fit(x, y, **kwargs))
    assert history.epoch == list(range(int(initial_epoch), int(epochs)))
    assert all(len(values) == len(history.epoch) for values in history.history.values())
