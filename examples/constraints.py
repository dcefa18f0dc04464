"""Constraints: projections applied to a weight after every optimizer update."""
import numpy as np

import multinn
from multinn import backend as K
from multinn import constraints
from multinn.layers import Dense
from multinn.models import Sequential
from multinn.optimizers import SGD

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run

model = Sequential(
    [
        Dense(16, input_shape=(4,), activation="relu", kernel_constraint=constraints.max_norm(0.5)),
        Dense(16, activation="relu", kernel_constraint=constraints.non_neg()),
        Dense(1, kernel_constraint=constraints.unit_norm(), bias_constraint=lambda b: K.clip(b, -0.1, 0.1)),
    ]
)
# A large learning rate pushes the weights hard; the constraints hold them in place.
model.compile(optimizer=SGD(learning_rate=0.5), loss="mse")

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = (3 * x.sum(axis=1, keepdims=True)).astype("float32")
model.fit(x, y, epochs=5, batch_size=16, verbose=0)

first, second, last = (layer.get_weights() for layer in model.layers)
column_norms = np.sqrt((first[0] ** 2).sum(axis=0))
print("max column norm of the first kernel:", column_norms.max())
print("min weight of the second kernel:   ", second[0].min())
print("norm of the last kernel:           ", np.sqrt((last[0] ** 2).sum()))
print("last bias:                         ", last[1])
assert column_norms.max() <= 0.5 + 1e-5
assert second[0].min() >= 0.0
assert np.isclose(np.sqrt((last[0] ** 2).sum()), 1.0, atol=1e-5)
assert np.abs(last[1]).max() <= 0.1 + 1e-7
print("constraints: ok")
