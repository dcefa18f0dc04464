"""Initializers: how a layer's weights get their first values.

A built-in by name or as an object, or your own function f(shape, dtype=None) that
returns a NumPy array or a K tensor: either works on every backend.
"""
import numpy as np

import multinn
from multinn import backend as K
from multinn import initializers
from multinn.layers import Dense
from multinn.models import Sequential

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run


def half_identity(shape, dtype=None):
    """A user initializer returning a NumPy array: 0.5 on the diagonal, 0 elsewhere."""
    return 0.5 * np.eye(shape[0], shape[1], dtype=dtype or "float32")


def small_normal(shape, dtype=None):
    """A user initializer written with K: runs on NumPy and CuPy alike."""
    return K.random_normal(shape, stddev=0.01, dtype=dtype, seed=7)


model = Sequential(
    [
        Dense(64, input_shape=(32,), kernel_initializer="he_normal"),
        Dense(64, kernel_initializer=initializers.RandomUniform(minval=-0.1, maxval=0.1, seed=1)),
        Dense(64, kernel_initializer=half_identity, bias_initializer=initializers.Constant(0.1)),
        Dense(10, kernel_initializer=small_normal),
    ]
)

for layer in model.layers:
    kernel, bias = layer.get_weights()
    print(f"{layer.name:10s} kernel mean {kernel.mean():+.4f} std {kernel.std():.4f}   bias {bias[:3]}")

kernel = model.layers[0].get_weights()[0]
# He normal: truncated normal with std sqrt(2 / fan_in) (Keras 2).
assert abs(kernel.std() - np.sqrt(2 / 32)) < 0.05, kernel.std()
assert np.abs(model.layers[1].get_weights()[0]).max() <= 0.1
assert np.array_equal(model.layers[2].get_weights()[0], 0.5 * np.eye(64, dtype="float32"))
assert np.allclose(model.layers[2].get_weights()[1], 0.1)
assert abs(model.layers[3].get_weights()[0].std() - 0.01) < 0.003
print("initializers: ok")
