"""Per-thread state: recording (K.no_grad), the learning phase, the backend scope and the engine's
flags belong to the thread (and asyncio task) that sets them; variables, the random streams, the
layer-name counters and the configuration are shared."""
import asyncio
import sys
import threading

import numpy as np
import pytest

from multinn import backend as K
from multinn import initializers, layers
from multinn.backend.ops.state import global_learning_phase_is_set
from multinn.models import Sequential


@pytest.fixture
def fine_switching():
    """Threads take turns every microsecond, so each test's threads interleave inside every scope."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _run_threads(*targets):
    """Runs each target in its own thread; re-raises the first exception a thread raised."""
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported in the main thread below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a worker thread did not finish"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_gradients_in_another(backend_name, fine_switching):
    inside, done = threading.Event(), threading.Event()
    w0 = np.array([1.0, -2.0, 0.5], np.float32)
    grads = []

    def predicting():
        with K.backend_scope(backend_name), K.no_grad():
            t = K.constant(w0)
            inside.set()
            while not done.is_set():
                K.exp(t)

    def differentiating():
        with K.backend_scope(backend_name):
            w = K.variable(w0)
            assert inside.wait(30)
            try:
                for _ in range(500):
                    grads.append(K.gradients(K.sum(K.square(w)), [w])[0])
            finally:
                done.set()

    _run_threads(predicting, differentiating)
    assert sum(g is None for g in grads) == 0
    for g in grads:
        np.testing.assert_allclose(K.eval(g), 2 * w0)  # d/dw sum(w^2)


def _dropout_model(seed: int, units: int = 3):
    model = Sequential([
        layers.Dense(units, input_shape=(4,), kernel_initializer=initializers.RandomUniform(-1, 1, seed=seed),
                     bias_initializer=initializers.RandomUniform(-1, 1, seed=seed + 1)),
        layers.Dropout(0.5, seed=seed + 2),
    ])
    model.compile("sgd", "mse")
    return model


def test_dropout_stays_off_in_predict_while_another_thread_trains(backend_name, fine_switching):
    x = np.random.RandomState(0).uniform(-1, 1, (16, 4)).astype(np.float32)
    y = np.zeros((16, 3), np.float32)
    served = _dropout_model(seed=1)
    kernel, bias = served.get_weights()
    expected = x @ kernel + bias  # Dropout is the identity at test time
    trained = _dropout_model(seed=10)
    training, done = threading.Event(), threading.Event()
    outputs = []

    def serving():
        with K.backend_scope(backend_name):
            assert training.wait(30)
            while not done.is_set() or len(outputs) < 20:
                outputs.append(served.predict(x, batch_size=4))

    def train():
        from multinn.callbacks import LambdaCallback

        with K.backend_scope(backend_name):
            try:
                trained.fit(x, y, batch_size=2, epochs=3, verbose=0,
                            callbacks=[LambdaCallback(on_batch_begin=lambda *a, **k: training.set())])
            finally:
                training.set()
                done.set()

    _run_threads(serving, train)
    for out in outputs:
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def _train_and_predict(backend_name: str, seed: int, x, y):
    """A seeded model with Dropout and BatchNormalization (whose moving statistics update only in
    training steps), trained and then asked to predict; returns its weights and predictions."""
    with K.backend_scope(backend_name):
        model = Sequential([
            layers.Dense(8, input_shape=(4,), activation="tanh",
                         kernel_initializer=initializers.glorot_uniform(seed=seed)),
            layers.BatchNormalization(),
            layers.Dropout(0.3, seed=seed + 1),
            layers.Dense(2, kernel_initializer=initializers.glorot_uniform(seed=seed + 2)),
        ])
        model.compile("adam", "mse")
        predictions = []
        for _ in range(3):
            model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
            predictions.append(model.predict(x, batch_size=4))
        return model.get_weights(), predictions


def test_two_threads_train_and_predict_as_if_one_after_the_other(backend_name, fine_switching):
    rng = np.random.RandomState(3)
    data = [(rng.uniform(-1, 1, (24, 4)).astype(np.float32), rng.uniform(-1, 1, (24, 2)).astype(np.float32))
            for _ in range(2)]
    K.set_seed(0)  # restarts the per-seed dropout streams
    one_after_the_other = [_train_and_predict(backend_name, 100 * (i + 1), *data[i]) for i in range(2)]
    K.set_seed(0)
    at_once = [None, None]

    def worker(i):
        def run():
            at_once[i] = _train_and_predict(backend_name, 100 * (i + 1), *data[i])
        return run

    _run_threads(worker(0), worker(1))
    for (w_seq, p_seq), (w_par, p_par) in zip(one_after_the_other, at_once):
        for a, b in zip(w_seq, w_par):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        for a, b in zip(p_seq, p_par):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_a_new_thread_starts_with_the_defaults():
    seen = {}

    def look():
        seen["recording"] = K.is_recording()
        seen["phase"] = K.learning_phase()
        seen["phase_set"] = global_learning_phase_is_set()
        seen["backend"] = K.backend()

    with K.no_grad(), K.learning_phase_scope(1), K.backend_scope("numpy"):
        _run_threads(look)
        assert not K.is_recording() and K.learning_phase() == 1  # the starter's own state is kept
    assert seen == {"recording": True, "phase": 0, "phase_set": False, "backend": K.backend()}


def test_set_learning_phase_belongs_to_the_calling_thread():
    seen = []
    with K.learning_phase_scope(0):  # restores the unset phase after
        K.set_learning_phase(1)
        _run_threads(lambda: seen.append((K.learning_phase(), global_learning_phase_is_set())))
        assert K.learning_phase() == 1
    assert seen == [(0, False)]


def test_asyncio_tasks_each_keep_their_own_recording_and_phase():
    async def inside_scopes(entered, release):
        with K.no_grad(), K.learning_phase_scope(1):
            entered.set()
            await release.wait()
            return K.is_recording(), K.learning_phase()

    async def beside(entered, release):
        await entered.wait()
        v = K.variable([3.0])
        state = (K.is_recording(), K.learning_phase(), K.gradients(K.sum(v * v), [v])[0] is not None)
        release.set()
        return state

    async def main():
        entered, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(inside_scopes(entered, release), beside(entered, release))

    assert asyncio.run(main()) == [(False, 1), (True, 0, True)]


def test_a_scope_left_in_another_thread_restores_without_error():
    # A data generator may enter a scope on one thread and be resumed, and leave it, on another.
    def gen():
        with K.no_grad(), K.learning_phase_scope(1):
            yield K.is_recording(), K.learning_phase()
        yield K.is_recording(), K.learning_phase()

    g = gen()
    results = []
    _run_threads(lambda: results.append(next(g)))
    _run_threads(lambda: results.append(next(g)))
    assert results == [(False, 1), (True, 0)]
    assert K.is_recording() and K.learning_phase() == 0


def test_layer_names_stay_unique_across_threads(fine_switching):
    names = []

    def make():
        names.extend(layers.Dense(1).name for _ in range(200))

    _run_threads(make, make, make, make)
    assert len(set(names)) == 800


def test_variables_are_shared_between_threads(backend_name):
    v = K.variable([1.0, 2.0])

    def add():
        with K.backend_scope(backend_name):  # a new thread starts on the default backend
            K.update_add(v, K.constant([1.0, 1.0]))

    _run_threads(add)
    np.testing.assert_allclose(K.get_value(v), [2.0, 3.0])


def test_configuration_is_shared_between_threads():
    seen = []
    old = K.epsilon()
    K.set_epsilon(1e-3)
    try:
        _run_threads(lambda: seen.append(K.epsilon()))
    finally:
        K.set_epsilon(old)
    assert seen == [1e-3]


def test_a_frozen_layer_in_one_thread_does_not_freeze_another_threads_updates(backend_name, fine_switching):
    """BatchNormalization moves its statistics in a training step; a frozen network running in
    another thread at the same time must not stop that."""
    x = np.array([[1.0], [3.0]], np.float32)
    inside, done = threading.Event(), threading.Event()
    moved = []

    class Holding(layers.Layer):
        def call(self, inputs):
            inside.set()
            done.wait(30)
            return inputs

    def frozen_call():
        with K.backend_scope(backend_name):
            frozen = Holding(trainable=False)
            frozen(K.constant(x))

    def train():
        with K.backend_scope(backend_name):
            bn = layers.BatchNormalization(momentum=0.5)
            assert inside.wait(30)
            try:
                bn(K.constant(x), training=True)
                moved.append(K.get_value(bn.moving_mean))
            finally:
                done.set()

    _run_threads(frozen_call, train)
    np.testing.assert_allclose(moved[0], [0.5 * 0.0 + 0.5 * 2.0])  # momentum * old + (1 - momentum) * batch mean
