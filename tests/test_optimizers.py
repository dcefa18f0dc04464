"""Optimizers against hand-written NumPy versions of Keras 2's update formulas."""
from __future__ import annotations

import math

import numpy as np
import pytest

from multinn import backend as K
from multinn import optimizers
from multinn.optimizers import schedules

EPS = 1e-7
STEPS = 4


def _grads(seed, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(np.float32) for _ in range(STEPS)]


# ---------------------------------------------------------------- NumPy references (float64)
def ref_sgd(p, gs, lr, momentum=0.0, nesterov=False, decay=0.0):
    v = np.zeros_like(p)
    for it, g in enumerate(gs):
        lr_t = lr / (1 + decay * it)
        if momentum:
            v = momentum * v - lr_t * g
            p = p + momentum * v - lr_t * g if nesterov else p + v
        else:
            p = p - lr_t * g
    return p


def ref_rmsprop(p, gs, lr, rho=0.9, momentum=0.0, centered=False):
    a = np.zeros_like(p)
    m = np.zeros_like(p)
    mg = np.zeros_like(p)
    for g in gs:
        a = rho * a + (1 - rho) * g**2
        if momentum:
            if centered:
                mg = rho * mg + (1 - rho) * g
                m = momentum * m + lr * g / np.sqrt(a - mg**2 + EPS)
            else:
                m = momentum * m + lr * g / np.sqrt(a + EPS)
            p = p - m
        else:
            p = p - lr * g / (np.sqrt(a) + EPS)
    return p


def ref_adagrad(p, gs, lr, init=0.0):
    a = np.full_like(p, init)
    for g in gs:
        a = a + g**2
        p = p - lr * g / (np.sqrt(a) + EPS)
    return p


def ref_adadelta(p, gs, lr, rho=0.95):
    a = np.zeros_like(p)
    d = np.zeros_like(p)
    for g in gs:
        a = rho * a + (1 - rho) * g**2
        u = g * np.sqrt(d + EPS) / np.sqrt(a + EPS)
        p = p - lr * u
        d = rho * d + (1 - rho) * u**2
    return p


def ref_adam(p, gs, lr, b1=0.9, b2=0.999, amsgrad=False, weight_decay=0.0):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vhat = np.zeros_like(p)
    for i, g in enumerate(gs):
        t = i + 1
        p = p - lr * weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        if amsgrad:
            vhat = np.maximum(vhat, v)
            p = p - lr_t * m / (np.sqrt(vhat) + EPS)
        else:
            p = p - lr_t * m / (np.sqrt(v) + EPS)
    return p


def ref_adamax(p, gs, lr, b1=0.9, b2=0.999):
    m = np.zeros_like(p)
    u = np.zeros_like(p)
    for i, g in enumerate(gs):
        t = i + 1
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr / (1 - b1**t) * m / (u + EPS)
    return p


def ref_nadam(p, gs, lr, b1=0.9, b2=0.999, schedule_decay=0.004):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    m_schedule = 1.0
    for i, g in enumerate(gs):
        t = i + 1
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))
        mu_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * schedule_decay))
        m_schedule_new = m_schedule * mu_t
        m_schedule_next = m_schedule * mu_t * mu_t1
        m_schedule = m_schedule_new
        g_prime = g / (1 - m_schedule_new)
        m = b1 * m + (1 - b1) * g
        m_prime = m / (1 - m_schedule_next)
        v = b2 * v + (1 - b2) * g**2
        v_prime = v / (1 - b2**t)
        m_bar = (1 - mu_t) * g_prime + mu_t1 * m_prime
        p = p - lr * m_bar / (np.sqrt(v_prime) + EPS)
    return p


CASES = [
    ("SGD", dict(learning_rate=0.1), lambda p, gs: ref_sgd(p, gs, 0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9), lambda p, gs: ref_sgd(p, gs, 0.1, 0.9)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True), lambda p, gs: ref_sgd(p, gs, 0.1, 0.9, True)),
    ("SGD", dict(learning_rate=0.1, decay=0.5), lambda p, gs: ref_sgd(p, gs, 0.1, decay=0.5)),
    ("RMSprop", dict(learning_rate=0.01), lambda p, gs: ref_rmsprop(p, gs, 0.01)),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5), lambda p, gs: ref_rmsprop(p, gs, 0.01, momentum=0.5)),
    (
        "RMSprop",
        dict(learning_rate=0.01, momentum=0.5, centered=True),
        lambda p, gs: ref_rmsprop(p, gs, 0.01, momentum=0.5, centered=True),
    ),
    ("Adagrad", dict(learning_rate=0.1), lambda p, gs: ref_adagrad(p, gs, 0.1)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.1), lambda p, gs: ref_adagrad(p, gs, 0.1, 0.1)),
    ("Adadelta", dict(), lambda p, gs: ref_adadelta(p, gs, 1.0)),
    ("Adam", dict(learning_rate=0.01), lambda p, gs: ref_adam(p, gs, 0.01)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True), lambda p, gs: ref_adam(p, gs, 0.01, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1), lambda p, gs: ref_adam(p, gs, 0.01, weight_decay=0.1)),
    ("Adamax", dict(learning_rate=0.01), lambda p, gs: ref_adamax(p, gs, 0.01)),
    ("Nadam", dict(learning_rate=0.01), lambda p, gs: ref_nadam(p, gs, 0.01)),
]


@pytest.mark.parametrize("name,kwargs,reference", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_update_matches_keras2_formula(backend_name, name, kwargs, reference):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(3, 4)).astype(np.float32)
    gs = _grads(1)
    w = K.variable(p0)
    data_before = w.data
    opt = getattr(optimizers, name)(**kwargs)
    for g in gs:
        opt.apply_gradients([(K.constant(g), w)])
    expected = reference(p0.astype(np.float64), [g.astype(np.float64) for g in gs])
    assert w.data is data_before, "the update must happen in place"
    assert K.dtype(w) == "float32"
    np.testing.assert_allclose(K.get_value(w), expected, rtol=2e-5, atol=2e-6)
    assert int(K.get_value(opt.iterations)) == STEPS
    assert K.dtype(opt.iterations) == "int64"


@pytest.mark.parametrize(
    "name,lr",
    [("SGD", 0.01), ("RMSprop", 0.001), ("Adagrad", 0.01), ("Adadelta", 1.0), ("Adam", 0.001), ("Adamax", 0.002),
     ("Nadam", 0.002), ("AdamW", 0.001)],
)
def test_keras2_default_learning_rates(name, lr):
    opt = getattr(optimizers, name)()
    assert float(K.get_value(opt.lr)) == pytest.approx(lr)
    assert opt.learning_rate is opt.lr


def test_adam_defaults():
    opt = optimizers.Adam()
    config = opt.get_config()
    assert (config["beta_1"], config["beta_2"], config["epsilon"], config["amsgrad"]) == (0.9, 0.999, 1e-7, False)


def test_lr_alias_and_set_value():
    opt = optimizers.SGD(lr=0.5)
    assert float(K.get_value(opt.learning_rate)) == 0.5
    K.set_value(opt.lr, 0.25)
    w = K.variable([1.0])
    opt.apply_gradients([(K.constant([1.0]), w)])
    assert K.get_value(w)[0] == pytest.approx(0.75)
    opt.lr = 0.125
    assert float(K.get_value(opt.learning_rate)) == 0.125


def test_unknown_keyword_suggests():
    with pytest.raises(TypeError, match="clipnrom.*clipnorm"):
        optimizers.SGD(clipnrom=1.0)


def test_none_gradients_are_skipped():
    a, b = K.variable([1.0]), K.variable([2.0])
    opt = optimizers.SGD(learning_rate=1.0)
    opt.apply_gradients([(None, a), (K.constant([1.0]), b)])
    assert K.get_value(a)[0] == 1.0 and K.get_value(b)[0] == 1.0


def test_clipnorm_scales_by_global_norm():
    a, b = K.variable([0.0, 0.0]), K.variable([0.0])
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    ga, gb = np.array([3.0, 0.0], np.float32), np.array([4.0], np.float32)
    opt.apply_gradients([(K.constant(ga), a), (K.constant(gb), b)])
    np.testing.assert_allclose(K.get_value(a), -ga / 5, rtol=1e-6)
    np.testing.assert_allclose(K.get_value(b), -gb / 5, rtol=1e-6)
    # Below the threshold nothing changes.
    c = K.variable([0.0])
    optimizers.SGD(learning_rate=1.0, clipnorm=10.0).apply_gradients([(K.constant([3.0]), c)])
    assert K.get_value(c)[0] == pytest.approx(-3.0)


def test_clipvalue():
    w = K.variable([0.0, 0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply_gradients([(K.constant([2.0, -3.0, 0.25]), w)])
    np.testing.assert_allclose(K.get_value(w), [-0.5, 0.5, -0.25])


def test_constraint_applied_after_update(backend_name):
    w = K.variable([1.0, -1.0], constraint=lambda x: K.clip(x, 0.0, 0.95))
    optimizers.Adam(learning_rate=0.1).apply_gradients([(K.constant([-1.0, 1.0]), w)])
    np.testing.assert_allclose(K.get_value(w), [0.95, 0.0], atol=1e-6)
    assert w.node is None


def test_update_records_no_graph(backend_name):
    w = K.variable([1.0, 2.0])
    opt = optimizers.RMSprop()
    opt.apply_gradients([(K.constant([1.0, 1.0]), w)])
    assert w.node is None and all(s.node is None for s in opt.weights)


@pytest.mark.parametrize(
    "schedule,expected",
    [
        (schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5), [0.1 * 0.5 ** (s / 2) for s in range(4)]),
        (
            schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
            [0.1, 0.1, 0.05, 0.05],
        ),
        (schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=1.0), [0.1 / (1 + s) for s in range(4)]),
        (schedules.PiecewiseConstantDecay([0, 2], [0.3, 0.2, 0.1]), [0.3, 0.2, 0.2, 0.1]),
        (schedules.PolynomialDecay(0.4, decay_steps=4, end_learning_rate=0.0), [0.4, 0.3, 0.2, 0.1]),
        (schedules.CosineDecay(0.2, decay_steps=2), [0.2, 0.1, 0.0, 0.0]),
        (lambda step: 0.1 * (step + 1), [0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_schedules_drive_the_step(schedule, expected):
    w = K.variable([0.0])
    opt = optimizers.SGD(learning_rate=schedule)
    lrs = []
    for _ in range(4):
        before = float(K.get_value(w)[0])
        opt.apply_gradients([(K.constant([1.0]), w)])
        lrs.append(before - float(K.get_value(w)[0]))
        assert float(K.get_value(opt.lr)) == pytest.approx(lrs[-1], rel=1e-5)
    np.testing.assert_allclose(lrs, expected, rtol=1e-5, atol=1e-7)


def test_schedule_serialization_roundtrip():
    opt = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True))
    config = optimizers.serialize(opt)
    clone = optimizers.deserialize(config)
    assert isinstance(clone._schedule, schedules.ExponentialDecay)
    assert clone._schedule.get_config() == opt._schedule.get_config()


@pytest.mark.parametrize("identifier", ["sgd", "SGD", "adam", "Adam", "rmsprop", "adagrad", "adadelta", "adamax",
                                        "nadam", "adamw", "AdamW"])
def test_get_by_name(identifier):
    opt = optimizers.get(identifier)
    assert type(opt).__name__.lower() == identifier.lower()


def test_get_passes_instances_and_dicts_and_rejects_unknown():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    restored = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3, "momentum": 0.5}})
    assert float(K.get_value(restored.lr)) == pytest.approx(0.3) and float(K.get_value(restored.momentum)) == 0.5
    with pytest.raises(ValueError, match="Unknown optimizer 'adma'.*'adam'"):
        optimizers.get("adma")
    with pytest.raises(ValueError):
        optimizers.get(3)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam"])
def test_config_roundtrip(name):
    opt = getattr(optimizers, name)(clipnorm=2.0, decay=0.01)
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt)
    assert clone.get_config() == opt.get_config()


@pytest.mark.parametrize("name", ["SGD", "Adam", "Nadam", "RMSprop"])
def test_weights_resume_training(name):
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=(5,)).astype(np.float32)
    gs = [rng.normal(size=(5,)).astype(np.float32) for _ in range(6)]

    w = K.variable(p0)
    full = getattr(optimizers, name)(**kwargs)
    for g in gs:
        full.apply_gradients([(K.constant(g), w)])

    w2 = K.variable(p0)
    first = getattr(optimizers, name)(**kwargs)
    for g in gs[:3]:
        first.apply_gradients([(K.constant(g), w2)])
    saved_state = first.get_weights()
    saved_value = K.get_value(w2)
    assert all(isinstance(a, np.ndarray) for a in saved_state)
    assert int(saved_state[0]) == 3

    w3 = K.variable(saved_value)
    second = getattr(optimizers, name)(**kwargs)
    second.set_weights(saved_state)  # before the first update: kept until the slots exist
    for g in gs[3:]:
        second.apply_gradients([(K.constant(g), w3)])
    np.testing.assert_allclose(K.get_value(w3), K.get_value(w), rtol=1e-6, atol=1e-7)
    assert int(K.get_value(second.iterations)) == 6


def test_set_weights_checks_length_and_shape():
    w = K.variable([1.0, 2.0])
    opt = optimizers.Adam()
    opt.apply_gradients([(K.constant([1.0, 1.0]), w)])
    with pytest.raises(ValueError, match="Length"):
        opt.set_weights(opt.get_weights()[:2])
    bad = opt.get_weights()
    bad[1] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights(bad)


def test_weights_order_is_keras2():
    a, b = K.variable([1.0]), K.variable([1.0, 2.0])
    opt = optimizers.Adam()
    opt.apply_gradients([(K.constant([1.0]), a), (K.constant([1.0, 1.0]), b)])
    shapes = [tuple(x.shape) for x in opt.get_weights()]
    assert shapes == [(), (1,), (2,), (1,), (2,)]  # iterations, m..., v...


def test_get_updates_applies_one_step():
    w = K.variable([1.0, -2.0])
    with K.GradientTape():
        loss = K.sum(K.square(w))
    opt = optimizers.SGD(learning_rate=0.25)
    assert opt.get_updates(loss, [w]) == []
    np.testing.assert_allclose(K.get_value(w), [0.5, -1.0])


def test_get_gradients_raises_on_none():
    w, unused = K.variable([1.0]), K.variable([1.0])
    loss = K.sum(w * 2.0)
    with pytest.raises(ValueError, match="None"):
        optimizers.SGD().get_gradients(loss, [w, unused])


@pytest.mark.parametrize(
    "opt",
    [
        lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
        lambda: optimizers.RMSprop(learning_rate=0.05),
        lambda: optimizers.Adagrad(learning_rate=0.5),
        lambda: optimizers.Adadelta(learning_rate=1.0),
        lambda: optimizers.Adam(learning_rate=0.1),
        lambda: optimizers.AdamW(learning_rate=0.1, weight_decay=0.0),
        lambda: optimizers.Adamax(learning_rate=0.1),
        lambda: optimizers.Nadam(learning_rate=0.1),
    ],
)
def test_converges_on_a_quadratic(opt, backend_name):
    target = np.array([1.0, -2.0, 0.5], np.float32)
    w = K.variable(np.zeros(3, np.float32))
    optimizer = opt()
    steps = 3000 if isinstance(optimizer, optimizers.Adadelta) else 400
    for _ in range(steps):
        with K.GradientTape() as tape:
            loss = K.sum(K.square(w - target))
        grads = tape.gradient(loss, [w])
        optimizer.apply_gradients(zip(grads, [w]))
    np.testing.assert_allclose(K.get_value(w), target, atol=0.05)


def test_float64_variables_keep_their_dtype():
    w = K.variable(np.ones(2), dtype="float64")
    opt = optimizers.Adam()
    opt.apply_gradients([(K.constant(np.ones(2), dtype="float64"), w)])
    assert K.dtype(w) == "float64" and all(K.dtype(s) == "float64" for s in opt.weights[1:])
    assert math.isclose(float(K.get_value(w)[0]), 1 - 0.001, rel_tol=1e-8)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_symbolic_get_updates_train_through_k_function(name):
    rng = np.random.default_rng(5)
    xs = rng.normal(size=(3, 8, 2)).astype(np.float32)
    ys = rng.normal(size=(3, 8, 1)).astype(np.float32)
    w0 = rng.normal(size=(2, 1)).astype(np.float32)

    # Keras 2's classic loop: placeholders, a loss, the optimizer's updates, K.function.
    x, y = K.placeholder(shape=(None, 2)), K.placeholder(shape=(None, 1))
    w, b = K.variable(w0), K.variable([0.0])
    loss = K.mean(K.square(K.dot(x, w) + b - y))
    opt = getattr(optimizers, name)(learning_rate=0.1, clipnorm=1.0)
    updates = opt.get_updates(loss, [w, b])
    assert len(updates) == 1 and updates[0][0] is opt.iterations
    train = K.function([x, y], [loss], updates=updates)
    for bx, by in zip(xs, ys):
        train([bx, by])

    # The same steps, eagerly.
    w_e, b_e = K.variable(w0), K.variable([0.0])
    opt_e = getattr(optimizers, name)(learning_rate=0.1, clipnorm=1.0)
    for bx, by in zip(xs, ys):
        with K.GradientTape() as tape:
            loss_e = K.mean(K.square(K.dot(K.constant(bx), w_e) + b_e - K.constant(by)))
        opt_e.apply_gradients(zip(tape.gradient(loss_e, [w_e, b_e]), [w_e, b_e]))
    assert int(K.get_value(opt.iterations)) == 3
    np.testing.assert_allclose(K.get_value(w), K.get_value(w_e), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(K.get_value(b), K.get_value(b_e), rtol=1e-6, atol=1e-7)


def test_saved_model_resumes_training_exactly(tmp_path):
    import multinn
    from multinn.layers import Dense
    from multinn.models import Sequential, load_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    multinn.utils.set_random_seed(0)
    model = Sequential([Dense(8, activation="tanh", input_shape=(4,)), Dense(1)])
    model.compile(optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    path = str(tmp_path / "model.h5")
    model.save(path)
    restored = load_model(path)
    assert int(K.get_value(restored.optimizer.iterations)) == 8
    for a, b in zip(restored.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    restored.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_get_weights_are_snapshots(backend_name):
    w = K.variable([1.0, 2.0])
    opt = optimizers.Adam()
    opt.apply_gradients([(K.constant([1.0, 1.0]), w)])
    state = opt.get_weights()
    value = K.get_value(w)
    opt.apply_gradients([(K.constant([1.0, 1.0]), w)])
    assert int(state[0]) == 1
    np.testing.assert_allclose(state[1], [0.1, 0.1], rtol=1e-6)  # m after one step, not two
    assert not np.allclose(value, K.get_value(w))


def test_hyperparameters_are_variables_like_keras2():
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    assert opt.get_config()["momentum"] == 0.5 and opt.get_config()["learning_rate"] == 1.0
    K.set_value(opt.momentum, 0.0)  # e.g. a one-cycle callback scheduling momentum
    w = K.variable([0.0])
    opt.apply_gradients([(K.constant([1.0]), w)])
    opt.apply_gradients([(K.constant([1.0]), w)])
    assert K.get_value(w)[0] == pytest.approx(-2.0)  # no momentum carried over
    adam = optimizers.Adam()
    assert adam.get_config()["beta_1"] == 0.9 and adam.get_config()["beta_2"] == 0.999
    K.set_value(adam.beta_1, 0.5)
    assert adam.get_config()["beta_1"] == 0.5
