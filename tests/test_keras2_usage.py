"""Keras 2 usage as in its guides: behaviours a user relies on, checked against Keras 2's documented rules."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import callbacks
from multinn.layers import Dense, Input
from multinn.models import Model, Sequential


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_trainable_takes_effect_at_compile_as_in_the_gan_recipe(backend_name):
    # Keras 2 collects the trainable weights when a model is compiled: the discriminator
    # compiled while trainable keeps training on its own, and stays frozen inside the
    # combined model compiled after `trainable = False`.
    discriminator = Sequential([Dense(1, input_shape=(3,))])
    discriminator.compile("sgd", "mse")
    discriminator.trainable = False
    z = Input(shape=(2,))
    generator = Dense(3)
    combined = Model(z, discriminator(generator(z)))
    combined.compile("sgd", "mse")

    before = discriminator.get_weights()
    combined.train_on_batch(_rand(4, 2), _rand(4, 1))
    for a, b in zip(before, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)

    discriminator.train_on_batch(_rand(4, 3), _rand(4, 1, seed=1))
    assert not np.allclose(before[0], discriminator.get_weights()[0])

    # recompiling picks up the flag
    discriminator.compile("sgd", "mse")
    frozen = discriminator.get_weights()
    discriminator.fit(_rand(4, 3), _rand(4, 1, seed=1), verbose=0)
    for a, b in zip(frozen, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_deferred_sequential_collects_its_trainable_weights_when_built(backend_name):
    model = Sequential([Dense(2), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(_rand(8, 3), _rand(8, 1), verbose=0)
    first = model.layers[0].get_weights()
    model.fit(_rand(8, 3), _rand(8, 1), verbose=0)
    assert not np.allclose(first[0], model.layers[0].get_weights()[0])
