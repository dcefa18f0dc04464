"""Optimizer configs as Keras 2.3.1 writes them, and one optimizer shared by several models."""
from __future__ import annotations

import numpy as np
import pytest

from multinn import backend as K
from multinn import optimizers

# Keras 2.3.1's get_config() of each optimizer with its defaults (keras/optimizers.py), written out by hand.
KERAS2_DEFAULT_CONFIGS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "decay": 0.0, "nesterov": False},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "decay": 0.0, "epsilon": 1e-7},
    "Adagrad": {"learning_rate": 0.01, "decay": 0.0, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 1.0, "rho": 0.95, "decay": 0.0, "epsilon": 1e-7},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "decay": 0.0, "epsilon": 1e-7, "amsgrad": False},
    "Adamax": {"learning_rate": 0.002, "beta_1": 0.9, "beta_2": 0.999, "decay": 0.0, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.002, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "schedule_decay": 0.004},
}


@pytest.mark.parametrize("name", sorted(KERAS2_DEFAULT_CONFIGS))
def test_default_config_is_keras2s(name):
    assert getattr(optimizers, name)().get_config() == KERAS2_DEFAULT_CONFIGS[name]


@pytest.mark.parametrize("name", sorted(KERAS2_DEFAULT_CONFIGS))
def test_clip_options_join_the_config_only_when_set(name):
    config = getattr(optimizers, name)(clipnorm=0.5, clipvalue=2.0).get_config()
    assert config == {**KERAS2_DEFAULT_CONFIGS[name], "clipnorm": 0.5, "clipvalue": 2.0}
    clone = getattr(optimizers, name).from_config(config)
    assert (clone.clipnorm, clone.clipvalue) == (0.5, 2.0)


@pytest.mark.parametrize("name", sorted(KERAS2_DEFAULT_CONFIGS))
def test_serialize_deserialize_serialize_as_keras2s_own_test(name):
    # Keras 2's optimizers_test: deserialize lower-cases the class name of the dict it is given.
    config = optimizers.serialize(getattr(optimizers, name)(lr=0.25))
    assert config["config"]["learning_rate"] == 0.25
    again = optimizers.serialize(optimizers.deserialize(config))
    assert config["class_name"] == name.lower()
    again["class_name"] = again["class_name"].lower()
    assert config == again


def test_lr_alias_reads_like_learning_rate():
    assert optimizers.SGD(lr=0.3).get_config()["learning_rate"] == 0.3
    assert optimizers.Adam.from_config({"lr": 0.02, "beta_1": 0.8}).get_config()["learning_rate"] == 0.02
    opt = optimizers.deserialize({"class_name": "RMSprop", "config": {"lr": 0.5, "rho": 0.8, "decay": 0.1}})
    assert opt.get_config() == {"learning_rate": 0.5, "rho": 0.8, "decay": 0.1, "epsilon": 1e-7}


def test_options_keras2_lacks_show_only_when_used():
    assert optimizers.RMSprop(momentum=0.5, centered=True).get_config()["centered"] is True
    assert optimizers.Adagrad(initial_accumulator_value=0.1).get_config()["initial_accumulator_value"] == 0.1
    assert optimizers.Nadam(decay=0.01).get_config()["decay"] == 0.01
    assert optimizers.SGD(name="slow").get_config()["name"] == "slow"
    assert optimizers.SGD.from_config({"name": "slow"})._name == "slow"


def test_deserialize_keeps_a_custom_class_of_the_same_name():
    class SGD(optimizers.SGD):
        pass

    config = {"class_name": "SGD", "config": {}}
    assert type(optimizers.deserialize(config, custom_objects={"SGD": SGD})) is SGD
    assert config["class_name"] == "SGD"


def _sgd_momentum_reference(p, grads, lr, momentum):
    v = np.zeros_like(p)
    for g in grads:
        v = momentum * v - lr * g
        p = p + v
    return p


def test_second_model_lists_its_own_state_and_the_first_keeps_its_own(backend_name):
    # Keras 2.3.1: each model's get_updates makes the optimizer's `weights` that model's state;
    # a model trained before keeps its own velocities.
    a0 = np.array([1.0, 2.0], np.float32)
    a, b = K.variable(a0), K.variable(np.zeros((3, 2), np.float32))
    ga = [np.array([0.5, -1.0], np.float32), np.array([1.5, 0.25], np.float32)]
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)

    opt.apply_gradients([(K.constant(ga[0]), a)])
    assert [tuple(w.shape) for w in opt.weights] == [(), (2,)]
    opt.apply_gradients([(K.ones((3, 2)), b)])
    assert [tuple(w.shape) for w in opt.weights] == [(), (3, 2)]
    opt.apply_gradients([(K.constant(ga[1]), a)])

    expected = _sgd_momentum_reference(a0.astype(np.float64), ga, 0.1, 0.9)
    np.testing.assert_allclose(K.get_value(a), expected, rtol=1e-6)
    assert int(K.get_value(opt.iterations)) == 3


def test_one_optimizer_compiled_into_two_models_saves_with_the_second(tmp_path):
    from multinn.layers import Dense
    from multinn.models import Sequential, load_model

    opt = optimizers.Adam()
    first = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    first.compile(opt, "mse")
    first.train_on_batch(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    second = Sequential([Dense(1, input_dim=1)])
    second.compile(opt, "mse")
    second.train_on_batch(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32))
    assert len(opt.weights) == 1 + 2 * 2  # iterations, then m and v of the kernel and bias

    path = str(tmp_path / "second.h5")
    second.save(path)
    restored = load_model(path)
    for saved, kept in zip(restored.optimizer.get_weights(), opt.get_weights()):
        np.testing.assert_array_equal(saved, kept)
