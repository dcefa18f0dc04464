"""A training step reads nothing back from the device in the optimizer (after the first step),
and every way of changing an optimizer's state between steps still takes effect at the next one.

On CuPy each read of a device value (float(), int(), .item(), .numpy()) is a device-to-host copy
and a full synchronisation; these tests count such reads on either backend.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import multinn
import multinn.backends as registry
from multinn import backend as K
from multinn import optimizers
from multinn.optimizers import schedules
from tests.host_reads import CountingArray, HostReads

EPS = 1e-7

OPTIMIZERS = {
    "SGD": lambda **kw: optimizers.SGD(**{"learning_rate": 0.1, **kw}),
    "SGD-nesterov": lambda **kw: optimizers.SGD(**{"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, **kw}),
    "RMSprop": lambda **kw: optimizers.RMSprop(**{"learning_rate": 0.01, "momentum": 0.5, "centered": True, **kw}),
    "Adagrad": lambda **kw: optimizers.Adagrad(**{"learning_rate": 0.1, **kw}),
    "Adadelta": lambda **kw: optimizers.Adadelta(**kw),
    "Adam": lambda **kw: optimizers.Adam(**{"learning_rate": 0.01, **kw}),
    "Adam-amsgrad": lambda **kw: optimizers.Adam(**{"learning_rate": 0.01, "amsgrad": True, **kw}),
    "AdamW": lambda **kw: optimizers.AdamW(**{"learning_rate": 0.01, "weight_decay": 0.1, **kw}),
    "Adamax": lambda **kw: optimizers.Adamax(**{"learning_rate": 0.01, **kw}),
    "Nadam": lambda **kw: optimizers.Nadam(**{"learning_rate": 0.01, **kw}),
}

OPTIONS = {
    "plain": {},
    "decay": {"decay": 0.05},
    "schedule": {"learning_rate": schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)},
    "callable": {"learning_rate": lambda step: 0.01 / (1 + step)},
    "clipnorm": {"clipnorm": 0.5},
    "clipnorm-unclipped": {"clipnorm": 1e6},
    "clipvalue": {"clipvalue": 0.1},
    "all": {"decay": 0.05, "clipnorm": 0.5, "clipvalue": 0.1},
}


def _grads(seed, count=5, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(count)]


def _scalar_variables(opt):
    found = {id(v): v for v in vars(opt).values() if isinstance(v, K.Variable)}
    return list(found.values())


# ---------------------------------------------------------------- no host reads after the first step
@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_steps_after_the_first_read_nothing_from_the_device(backend_name, monkeypatch, name, option):
    reads = HostReads(monkeypatch, backend_name)
    opt = OPTIMIZERS[name](**OPTIONS[option])
    w, b = K.variable(np.ones((3, 4), np.float32)), K.variable(np.zeros(4, np.float32))
    steps = [[K.constant(g) for g in gs] for gs in _grads(0)]
    opt.apply_gradients(zip(steps[0], [w, b]))
    counts = [reads.during(opt.apply_gradients, list(zip(gs, [w, b]))) for gs in steps[1:]]
    assert counts == [0] * len(counts), "\n".join(reads.reads[:3])
    assert int(K.get_value(opt.iterations)) == len(steps)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_no_read_of_the_raw_state_arrays_either(monkeypatch, name):
    # NumPy only: the state's arrays become CountingArray views, so a read that skips the Tensor
    # methods (float(v.data), v.data.item()) is counted too.
    with K.backend_scope("numpy"):
        opt = OPTIMIZERS[name](**OPTIONS["all"])
        w = K.variable(np.ones((2, 3), np.float32))
        steps = [K.constant(gs[0]) for gs in _grads(1, shapes=((2, 3),))]
        opt.apply_gradients([(steps[0], w)])
        for v in _scalar_variables(opt):
            v.data = v.data.view(CountingArray)
        opt.apply_gradients([(steps[1], w)])  # reads once: the arrays were replaced
        counter: list = []
        monkeypatch.setattr(CountingArray, "log", counter)
        for g in steps[2:]:
            opt.apply_gradients([(g, w)])
        monkeypatch.setattr(CountingArray, "log", None)
        assert counter == []


def test_writes_through_the_api_cost_no_read_at_the_next_step(backend_name, monkeypatch):
    reads = HostReads(monkeypatch, backend_name)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, decay=0.01)
    w = K.variable([1.0, 2.0])
    g = K.constant([1.0, -1.0])
    opt.apply_gradients([(g, w)])
    K.set_value(opt.lr, 0.05)
    opt.lr = 0.02
    K.set_value(opt.momentum, np.float32(0.5))
    K.batch_set_value([(opt.decay, 0.02)])
    K.set_value(opt.iterations, 7)
    assert reads.during(opt.apply_gradients, [(g, w)]) == 0, "\n".join(reads.reads[:3])


@pytest.mark.parametrize("name", ["SGD-nesterov", "Adam", "Nadam"])
def test_train_on_batch_steps_read_nothing_in_the_optimizer(backend_name, monkeypatch, name):
    from multinn.layers import Dense
    from multinn.models import Sequential

    reads = HostReads(monkeypatch, backend_name)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    multinn.utils.set_random_seed(1)
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])
    opt = OPTIMIZERS[name](decay=0.01, clipnorm=0.1)
    model.compile(opt, "mse")
    model.train_on_batch(x, y)
    counts: list = []
    apply = opt.apply_gradients
    opt.apply_gradients = lambda pairs: counts.append(reads.during(apply, pairs))
    for _ in range(3):
        model.train_on_batch(x, y)
    assert counts == [0, 0, 0], "\n".join(reads.reads[:3])
    assert int(K.get_value(opt.iterations)) == 4


def test_symbolic_updates_through_k_function_read_nothing(backend_name, monkeypatch):
    reads = HostReads(monkeypatch, backend_name)
    x = K.placeholder(shape=(None, 2))
    w = K.variable([[0.5], [-0.5]])
    loss = K.mean(K.square(K.dot(x, w) - 1.0))
    opt = optimizers.Adam(learning_rate=0.1, decay=0.01, clipnorm=0.5)
    step = opt.get_updates(loss, [w])[0][1]
    train = K.function([x], [], updates=[(opt.iterations, step)])
    batch = np.ones((4, 2), np.float32)
    train([batch])
    assert [reads.during(train, [batch]) for _ in range(3)] == [0, 0, 0], "\n".join(reads.reads[:3])
    assert int(K.get_value(opt.iterations)) == 4


# ---------------------------------------------------------------- the host copies never drift
@pytest.mark.parametrize("option", ["plain", "decay", "schedule", "all"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_host_values_match_the_device_after_every_step(backend_name, name, option):
    opt = OPTIMIZERS[name](**OPTIONS[option])
    w = K.variable(np.ones((3, 4), np.float32))
    for gs in _grads(3, shapes=((3, 4),)):
        opt.apply_gradients([(K.constant(gs[0]), w)])
        for v in _scalar_variables(opt):
            device = K.get_value(v).item()
            assert v.host_value() == device and type(v.host_value()) is type(device), v.name


# ---------------------------------------------------------------- Variable's host value
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("value", [0.1, 1 / 3, 2.5, 7, -3, 1e30, 65519.0, 1e-8, np.float32(0.3), np.float64(0.7), np.int64(9)])
def test_host_value_equals_what_the_device_holds_after_assign(backend_name, dtype, value):
    v = K.variable(0, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float16 overflow and float -> int casts warn on NumPy
        try:
            v.assign(value)
        except (OverflowError, ValueError, TypeError):
            return  # NumPy refuses some of these writes; then nothing is cached either
    device = K.get_value(v).item()
    host = v.host_value()
    assert host == device or (math.isnan(host) and math.isnan(device))
    assert type(host) is type(device)


def test_host_value_follows_every_write(backend_name):
    backend = registry.get(backend_name)
    v = K.variable(1.5, name="x")
    assert v.host_value() == 1.5
    v.assign(2.5)
    assert v.host_value() == 2.5
    v.assign_add(1.0)
    assert v.host_value() == 3.5
    v.assign_sub(K.constant(0.5))
    assert v.host_value() == 3.0
    K.set_value(v, np.array(4.0, np.float32))
    assert v.host_value() == 4.0
    K.batch_set_value([(v, np.float32(4.5))])
    assert v.host_value() == 4.5
    K.moving_average_update(v, K.constant(0.5), 0.5)
    assert v.host_value() == 2.5
    v.data = backend.asarray(np.array(6.0, np.float32))  # rebinding the array is seen
    assert v.host_value() == 6.0
    K.Tensor.data.__set__(v, backend.asarray(np.array(7.0, np.float32)))  # even around __setattr__
    assert v.host_value() == 7.0
    v.data += 1  # augmented assignment rebinds `data` too
    assert v.host_value() == 8.0
    v.assign(v)  # writing a variable onto itself changes nothing
    assert v.host_value() == 8.0
    with pytest.raises(ValueError, match="one element"):
        K.variable([1.0, 2.0], name="pair").host_value()


# ---------------------------------------------------------------- changes between steps take effect
def _step_sgd(p, vel, g, lr, momentum, nesterov=False):
    vel = momentum * vel - lr * g
    return (p + momentum * vel - lr * g if nesterov else p + vel), vel


def test_sgd_learning_rate_and_momentum_changes_take_effect_at_the_next_step(backend_name):
    rng = np.random.default_rng(4)
    gs = [rng.normal(size=3).astype(np.float32) for _ in range(9)]
    w = K.variable([1.0, -2.0, 0.5])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    p, vel = np.array([1.0, -2.0, 0.5]), np.zeros(3)
    changes = [
        (lambda: None, 0.1, 0.9),
        (lambda: K.set_value(opt.lr, 0.05), 0.05, 0.9),
        (lambda: K.set_value(opt.momentum, 0.5), 0.05, 0.5),
        (lambda: setattr(opt, "lr", 0.2), 0.2, 0.5),
        (lambda: opt.learning_rate.assign(0.3), 0.3, 0.5),
        (lambda: K.set_value(opt.lr, np.float32(0.01)), 0.01, 0.5),
        (lambda: K.set_value(opt.lr, np.array(0.02, np.float32)), 0.02, 0.5),
        (lambda: K.batch_set_value([(opt.lr, 0.5), (opt.momentum, 0.0)]), 0.5, 0.0),
        (lambda: setattr(opt.lr, "data", opt.lr.data * 2), 1.0, 0.0),  # rebinding .data by hand
    ]
    for (change, lr, momentum), g in zip(changes, gs):
        change()
        opt.apply_gradients([(K.constant(g), w)])
        p, vel = _step_sgd(p, vel, g, lr, momentum)
        np.testing.assert_allclose(K.get_value(w), p, rtol=1e-5, atol=1e-6)


def test_decay_and_schedules_see_the_step_set_by_the_user(backend_name):
    w = K.variable([0.0])
    opt = optimizers.SGD(learning_rate=0.1, decay=0.5)
    opt.apply_gradients([(K.constant([1.0]), w)])  # iteration 0: lr 0.1
    K.set_value(opt.iterations, 6)
    opt.apply_gradients([(K.constant([1.0]), w)])  # lr 0.1 / (1 + 0.5 * 6)
    K.set_value(opt.decay, 1.0)
    opt.apply_gradients([(K.constant([1.0]), w)])  # iteration 7: lr 0.1 / 8
    assert K.get_value(w)[0] == pytest.approx(-(0.1 + 0.1 / 4 + 0.1 / 8), rel=1e-6)
    assert int(K.get_value(opt.iterations)) == 8

    seen = []
    scheduled = optimizers.SGD(learning_rate=lambda step: seen.append(step) or 0.01 * (step + 1))
    v = K.variable([0.0])
    scheduled.apply_gradients([(K.constant([1.0]), v)])
    scheduled.set_weights([np.array(9, np.int64)])
    scheduled.apply_gradients([(K.constant([1.0]), v)])
    assert seen[-2:] == [0, 9]
    assert K.get_value(v)[0] == pytest.approx(-(0.01 + 0.1), rel=1e-6)
    assert K.get_value(scheduled.lr) == pytest.approx(0.1, rel=1e-6)


def _adam_step(p, m, v, g, lr, b1, b2, t):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    return p - lr_t * m / (np.sqrt(v) + EPS), m, v


def test_adam_betas_iterations_and_state_set_between_steps(backend_name):
    rng = np.random.default_rng(5)
    gs = [rng.normal(size=4).astype(np.float32) for _ in range(4)]
    w = K.variable(np.ones(4, np.float32))
    opt = optimizers.Adam(learning_rate=0.01)
    p, m, v = np.ones(4), np.zeros(4), np.zeros(4)

    opt.apply_gradients([(K.constant(gs[0]), w)])
    p, m, v = _adam_step(p, m, v, gs[0], 0.01, 0.9, 0.999, 1)
    K.set_value(opt.beta_1, 0.5)
    K.set_value(opt.iterations, 10)
    opt.apply_gradients([(K.constant(gs[1]), w)])
    p, m, v = _adam_step(p, m, v, gs[1], 0.01, 0.5, 0.999, 11)
    np.testing.assert_allclose(K.get_value(w), p, rtol=1e-5)

    # set_weights: the step count and both moments come from the arrays given.
    m, v = np.full(4, 0.1), np.full(4, 0.2)
    opt.set_weights([np.array(100, np.int64), m.astype(np.float32), v.astype(np.float32)])
    opt.beta_2.assign(0.99)
    opt.apply_gradients([(K.constant(gs[2]), w)])
    p, m, v = _adam_step(p, m, v, gs[2], 0.01, 0.5, 0.99, 101)
    np.testing.assert_allclose(K.get_value(w), p, rtol=1e-5)
    assert int(K.get_value(opt.iterations)) == 101


def test_nadam_momentum_schedule_set_by_the_user_is_used(backend_name):
    # Two Nadams: one steps from m_schedule 0.5 set by hand, the other from the state of a copy.
    g = np.array([0.3, -0.2], np.float32)
    first, second = K.variable([1.0, 1.0]), K.variable([1.0, 1.0])
    a, b = optimizers.Nadam(learning_rate=0.01), optimizers.Nadam(learning_rate=0.01)
    a.apply_gradients([(K.constant(g), first)])
    b.apply_gradients([(K.constant(g), second)])
    K.set_value(a.m_schedule, 0.5)
    b.set_weights([np.array(1, np.int64), np.array(0.5, np.float32)] + b.get_weights()[2:])
    a.apply_gradients([(K.constant(g), first)])
    b.apply_gradients([(K.constant(g), second)])
    np.testing.assert_array_equal(K.get_value(first), K.get_value(second))
    mu_2 = 0.9 * (1 - 0.5 * 0.96 ** (2 * 0.004))
    assert K.get_value(a.m_schedule) == pytest.approx(0.5 * mu_2, rel=1e-6)


def test_clipnorm_matches_the_keras2_formula_on_the_device(backend_name):
    # Keras 2: norm = sqrt(sum of every sum(g**2)); g * c / norm where norm >= c, else g.
    rng = np.random.default_rng(6)
    for c in (0.5, 3.0, 1e6):
        ga, gb = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=5).astype(np.float32)
        norm = math.sqrt(float((ga.astype(np.float64) ** 2).sum() + (gb.astype(np.float64) ** 2).sum()))
        scale = c / norm if norm >= c else 1.0
        a, b = K.variable(np.zeros((3, 2), np.float32)), K.variable(np.zeros(5, np.float32))
        optimizers.SGD(learning_rate=1.0, clipnorm=c).apply_gradients([(K.constant(ga), a), (K.constant(gb), b)])
        np.testing.assert_allclose(K.get_value(a), -ga * np.float32(scale), rtol=1e-6)
        np.testing.assert_allclose(K.get_value(b), -gb * np.float32(scale), rtol=1e-6)
    # An all-zero gradient neither warns (no 0/0) nor changes.
    z = K.variable([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(K.constant([0.0]), z)])
    assert K.get_value(z)[0] == 1.0


def test_saved_and_loaded_model_continues_like_the_original(backend_name, tmp_path):
    from multinn.layers import Dense
    from multinn.models import Sequential, load_model

    rng = np.random.default_rng(7)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    multinn.utils.set_random_seed(3)
    model = Sequential([Dense(5, activation="relu", input_shape=(3,)), Dense(1)])
    opt = optimizers.Nadam(learning_rate=0.01, decay=0.01, clipnorm=0.5)
    model.compile(opt, "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    K.set_value(opt.lr, 0.005)  # after a callback changed it, say
    path = str(tmp_path / "model.mnn")
    model.save(path)
    loaded = load_model(path)
    assert int(K.get_value(loaded.optimizer.iterations)) == 8
    assert K.get_value(loaded.optimizer.lr) == pytest.approx(0.005)
    for _ in range(3):
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(K.get_value(loaded.optimizer.iterations)) == 11


def test_a_callback_changing_the_learning_rate_takes_effect_in_fit(backend_name):
    from multinn.callbacks import LambdaCallback, LearningRateScheduler
    from multinn.layers import Dense
    from multinn.models import Sequential

    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(learning_rate=0.1, momentum=0.0), "mse")
    weights = []
    # lr 0.1 in epoch 0, 0 in epoch 1 (the weights must then stay put), 0.1 again in epoch 2.
    schedule = LearningRateScheduler(lambda epoch: 0.0 if epoch == 1 else 0.1)
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: weights.append(model.get_weights()[0]))
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False, callbacks=[schedule, record])
    assert not np.array_equal(weights[0], model.get_weights()[0])
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[1], weights[2])
