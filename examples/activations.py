"""Activations: by name, as a K function, as your own K function, or as an Activation layer."""
import numpy as np

import multinn
from multinn import backend as K
from multinn.layers import Activation, Dense
from multinn.models import Sequential

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run


def scaled_tanh(x):
    """A user activation written with K (differentiable for free)."""
    return 1.7159 * K.tanh(2.0 / 3.0 * x)


model = Sequential(
    [
        Dense(16, input_shape=(4,), activation="relu"),  # by name
        Dense(16, activation=K.tanh),  # a K function
        Dense(16, activation=scaled_tanh),  # your own function
        Dense(3),
        Activation("softmax"),  # as a layer
    ]
)
model.compile(optimizer="sgd", loss="categorical_crossentropy")

rng = np.random.default_rng(0)
x = rng.normal(size=(8, 4)).astype("float32")
y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=8)]
model.fit(x, y, epochs=2, verbose=0)
probabilities = model.predict(x)
print(probabilities[:2])
assert probabilities.shape == (8, 3)
assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)

# Activations are plain functions of tensors too.
values = K.constant([-2.0, 0.0, 2.0])
print("relu   ", K.eval(K.relu(values)))
print("sigmoid", K.eval(K.sigmoid(values)))
assert np.allclose(K.eval(scaled_tanh(values)), 1.7159 * np.tanh(2 / 3 * np.array([-2.0, 0.0, 2.0])), atol=1e-6)
print("activations: ok")
