"""What the fused loss, dense and optimizer paths promise on every backend, whichever array
library runs them.

NumPy returns a NumPy scalar from a full reduction where CuPy returns a 0-d device array, and
the two type a Python float beside an array by different rules (NumPy 2: NEP 50; CuPy 13:
value-based casting that treats 0-d arrays as arrays; CuPy 14: NEP 50). These tests pin what K
promises either way: a float dtype stays what it is through K.mean/K.sum, the fused K.dense and
clipnorm, forward and backward; results are arrays of the backend (never a NumPy scalar); and a
stateful recurrent step reads nothing back from the device. They run on NumPy here and on CuPy
wherever a GPU runs the suite.
"""
from __future__ import annotations


import numpy as np
import pytest

import multinn.backends as registry
from multinn import backend as K
from multinn import optimizers
from multinn.layers import GRU, LSTM, Bidirectional, SimpleRNN
from tests.host_reads import CountingArray, HostReads

FLOATS = ["float16", "float32", "float64"]
TOL = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-12}


# ---------------------------------------------------------------- reductions
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [((3, 4), None, False), ((3, 4), None, True), ((3, 4), (0, 1), False), ((3, 4), 1, True), ((3, 4), -1, False),
     ((), None, False)],
)
@pytest.mark.parametrize("name", ["mean", "sum"])
def test_reductions_keep_the_float_dtype_and_give_backend_arrays(backend_name, name, dtype, shape, axis, keepdims):
    # The full reductions are the case where NumPy hands back a scalar and CuPy a 0-d array.
    array_type = registry.get(backend_name).array_type
    data = np.random.default_rng(0).uniform(0.5, 1.5, size=shape).astype(dtype)
    x = K.variable(data, dtype=dtype)
    y = getattr(K, name)(x, axis=axis, keepdims=keepdims)
    ref = np.asarray(getattr(np, name)(data.astype(np.float64), axis=axis, keepdims=keepdims))
    assert (str(y.dtype), y.shape, type(y.data)) == (dtype, ref.shape, array_type)
    np.testing.assert_allclose(y.numpy(), ref, rtol=TOL[dtype])

    (g,) = K.gradients(K.sum(y) if y.ndim else y, [x])
    share = 1.0 / (data.size // ref.size) if name == "mean" else 1.0
    assert (str(g.dtype), g.shape, type(g.data)) == (dtype, shape, array_type)
    np.testing.assert_allclose(g.numpy(), np.full(shape, share), rtol=TOL[dtype])


# ---------------------------------------------------------------- fused dense
def _dense_inputs(dtype, with_bias, gap=0.05):
    """x, kernel, bias in `dtype` whose pre-activations keep `gap` from relu's kink."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1, 1, (5, 4)).astype(dtype)
        w = rng.uniform(-1, 1, (4, 3)).astype(dtype)
        b = rng.uniform(-0.5, 0.5, 3).astype(dtype) if with_bias else None
        z = x.astype(np.float64) @ w.astype(np.float64) + (0.0 if b is None else b.astype(np.float64))
        if np.abs(z).min() > gap:
            return x, w, b, z
    raise AssertionError("no seed gave pre-activations away from 0")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_dense_keeps_the_float_dtype_forward_and_backward(backend_name, dtype, activation, with_bias):
    # The fused kernels work in place (bias, relu/tanh with out=, the tanh backward's -=, *=):
    # a Python scalar or a promotion in there must not turn float16/float32 into float64.
    x, w, b, z = _dense_inputs(dtype, with_bias)
    variables = [K.variable(a, dtype=dtype) for a in (x, w, b) if a is not None]
    y = K.dense(*variables[:2], variables[2] if with_bias else None, activation=activation)
    loss = K.mean(y)
    assert (str(y.dtype), str(loss.dtype)) == (dtype, dtype)

    act, slope = {
        "linear": (z, np.ones_like(z)),
        "relu": (np.maximum(z, 0), (z > 0).astype(np.float64)),
        "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
    }[activation]
    g = slope / z.size  # d mean / d pre-activation
    expected = [g @ w.astype(np.float64).T, x.astype(np.float64).T @ g] + ([g.sum(axis=0)] if with_bias else [])
    tol = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-10}[dtype]
    np.testing.assert_allclose(y.numpy(), act, rtol=tol, atol=tol)
    for got, want in zip(K.gradients(loss, variables), expected):
        assert str(got.dtype) == dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol / 10)


# ---------------------------------------------------------------- clipnorm
def test_clipnorm_keeps_each_gradient_dtype_and_the_keras2_values(backend_name):
    # The norm is computed on the device in float64 and the scale cast to each gradient's dtype:
    # a float16 and a float32 gradient come out scaled in their own dtype, as g * dtype(c / norm).
    a = K.variable(np.array([3.0, 4.0], np.float16), dtype="float16")
    b = K.variable(np.array([[12.0]], np.float32))
    loss = 0.5 * K.sum(K.square(K.cast(a, "float32"))) + 0.5 * K.sum(K.square(b))  # gradients 3, 4, 12: norm 13
    for clipnorm, scale in ((1.0, 1.0 / 13.0), (13.0, 1.0), (100.0, 1.0)):
        ga, gb = optimizers.SGD(clipnorm=clipnorm).get_gradients(loss, [a, b])
        assert (str(ga.dtype), str(gb.dtype)) == ("float16", "float32")
        np.testing.assert_array_equal(ga.numpy(), np.array([3.0, 4.0], np.float16) * np.float16(scale))
        np.testing.assert_array_equal(gb.numpy(), np.array([[12.0]], np.float32) * np.float32(scale))


# ---------------------------------------------------------------- stateful recurrent steps
# One sample and one unit where possible: the kept states are then one-element variables, the
# case in which a Variable may keep (or look for) a host copy of its value.
STATEFUL = {
    "SimpleRNN": lambda: SimpleRNN(1, stateful=True),
    "LSTM": lambda: LSTM(1, stateful=True),
    "GRU": lambda: GRU(2, stateful=True, reset_after=True),
    "Bidirectional": lambda: Bidirectional(LSTM(1, stateful=True, return_sequences=True)),
}


def _kept_states(layer):
    if isinstance(layer, Bidirectional):
        return layer.forward_layer.states + layer.backward_layer.states
    return layer.states


def _training_step(layer, x):
    def step():
        with K.GradientTape() as tape:
            loss = K.mean(K.square(layer(x)))
        tape.gradient(loss, layer.trainable_weights)

    return step


@pytest.mark.parametrize("name", list(STATEFUL))
def test_a_stateful_recurrent_step_reads_nothing_from_the_device(backend_name, monkeypatch, name):
    layer = STATEFUL[name]()
    x = K.constant(np.random.default_rng(1).uniform(-1, 1, (1, 3, 2)).astype(np.float32))
    layer(x)  # builds the layer and its states
    reads = HostReads(monkeypatch, backend_name)
    before = [K.get_value(s) for s in _kept_states(layer)]  # copies
    assert reads.during(_training_step(layer, x)) == 0, "\n".join(reads.reads[:3])
    after = [K.get_value(s) for s in _kept_states(layer)]
    assert any(not np.array_equal(p, q) for p, q in zip(before, after))  # the states were written back


@pytest.mark.parametrize("name", list(STATEFUL))
def test_a_stateful_recurrent_step_reads_nothing_from_the_state_arrays(monkeypatch, name):
    # NumPy only: the kept states' arrays become counting views, so a read that goes around the
    # Tensor methods (float(v.data), v.data.item(), a host copy of a one-element state) counts too.
    with K.backend_scope("numpy"):
        layer = STATEFUL[name]()
        x = K.constant(np.random.default_rng(2).uniform(-1, 1, (1, 3, 2)).astype(np.float32))
        layer(x)
        for state in _kept_states(layer):
            state.data = state.data.view(CountingArray)
        log: list = []
        monkeypatch.setattr(CountingArray, "log", log)
        _training_step(layer, x)()
        layer(x)  # inference writes the states back too
        monkeypatch.setattr(CountingArray, "log", None)
        assert log == []
        assert all(type(s.data) is CountingArray for s in _kept_states(layer))  # written in place
