"""pickle.dumps / pickle.loads of backends, variables, optimizers and compiled models."""
from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import multinn.backends as backends
from multinn import backend as K
from multinn import optimizers
from multinn.layers import Dense, Dropout, Input
from multinn.models import Model, Sequential
from multinn.utils import set_random_seed


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 1)).astype(np.float32)


def test_backend_unpickles_to_this_process_instance(backend_name):
    backend = backends.get(backend_name)
    assert pickle.loads(pickle.dumps(backend)) is backend


def test_variable_round_trip(backend_name):
    value = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    v = K.variable(value, name="w", trainable=False)
    restored = pickle.loads(pickle.dumps(v))
    assert restored.backend is v.backend and restored.name == "w" and restored.trainable is False
    np.testing.assert_array_equal(K.get_value(restored), value)
    K.set_value(restored, np.zeros((2, 2), np.float32))  # a copy, not a view of the original
    np.testing.assert_array_equal(K.get_value(v), value)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True, clipnorm=1.0),
        lambda: optimizers.RMSprop(learning_rate=0.01),
        lambda: optimizers.Nadam(),
    ],
    ids=["sgd", "adam", "rmsprop", "nadam"],
)
def test_compiled_model_trains_on_identically_after_unpickling(make_optimizer, backend_name):
    x, y = _data()
    set_random_seed(1)
    inputs = Input((4,))
    hidden = Dropout(0.25)(Dense(6, activation="tanh")(inputs))
    model = Model(inputs, Dense(1)(hidden))
    model.compile(make_optimizer(), "mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)

    clone = pickle.loads(pickle.dumps(model))
    assert clone is not model
    for a, b in zip(clone.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)

    set_random_seed(7)
    expected = model.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    set_random_seed(7)
    got = clone.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    assert got == expected
    assert len(clone.optimizer.weights) == len(model.optimizer.weights)
    for a, b in zip(clone.get_weights() + clone.optimizer.get_weights(),
                    model.get_weights() + model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_and_uncompiled_models_round_trip():
    x, _ = _data()
    built = Sequential([Dense(3, input_shape=(4,)), Dense(2)])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(built)).predict(x), built.predict(x))
    unbuilt = pickle.loads(pickle.dumps(Sequential([Dense(3)])))
    assert not unbuilt.built and unbuilt.predict(x).shape == (32, 3)


_LOAD_IN_NEW_PROCESS = """
import pickle, sys
import numpy as np
with open(sys.argv[1], "rb") as f:
    model = pickle.load(f)
x = np.load(sys.argv[2])
model.fit(x, np.ones((len(x), 1), np.float32), epochs=1, batch_size=8, verbose=0, shuffle=False)
np.save(sys.argv[3], model.predict(x))
"""


def test_unpickles_and_trains_in_a_new_process(tmp_path, backend_name):
    x, y = _data(3)
    model = Sequential([Dense(5, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile(optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "x.npy", x)

    env = {**os.environ, "MULTINN_BACKEND": backend_name}
    subprocess.run(
        [sys.executable, "-c", _LOAD_IN_NEW_PROCESS, str(tmp_path / "model.pkl"), str(tmp_path / "x.npy"),
         str(tmp_path / "out.npy")],
        check=True, env=env, timeout=120,
    )
    model.fit(x, np.ones((len(x), 1), np.float32), epochs=1, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), model.predict(x))


def test_deepcopy_of_a_trained_model_trains_on_identically(backend_name):
    x, y = _data(5)
    model = Sequential([Dense(4, activation="relu", input_shape=(4,)), Dense(1)])
    model.compile(optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    twin = copy.deepcopy(model)
    assert twin.layers[0].kernel is not model.layers[0].kernel
    assert twin.layers[0].kernel.backend is model.layers[0].kernel.backend
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    twin.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    assert len(twin.optimizer.weights) == len(model.optimizer.weights) == 1 + 2 * 4
    for a, b in zip(twin.get_weights() + twin.optimizer.get_weights(),
                    model.get_weights() + model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
