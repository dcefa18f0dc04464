"""Regularizers: penalties on weights or activations added to the training loss.

Built-ins (l1, l2, l1_l2) or your own K function of the weight matrix.
"""
import numpy as np

import multinn
from multinn import backend as K
from multinn import regularizers
from multinn.layers import Dense
from multinn.models import Sequential

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run


def l1_reg(weight_matrix):
    """A user regularizer: 0.01 times the sum of absolute weights."""
    return 0.01 * K.sum(K.abs(weight_matrix))


model = Sequential(
    [
        Dense(32, input_shape=(8,), activation="relu", kernel_regularizer=regularizers.l2(0.01)),
        Dense(32, activation="relu", kernel_regularizer=l1_reg, activity_regularizer=regularizers.l1(1e-4)),
        Dense(1, kernel_regularizer=lambda w: 0.01 * K.sum(K.abs(w))),
    ]
)
model.compile(optimizer="adam", loss="mse")

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 8)).astype("float32")
y = x[:, :1] - 2 * x[:, 1:2]

# The penalties of the current weights, one per regularized weight (and activity).
kernel = model.layers[1].get_weights()[0]
expected = 0.01 * np.abs(kernel).sum()
print(f"L1 penalty of the second kernel: {expected:.4f}")
assert np.isclose(K.eval(l1_reg(model.layers[1].kernel)), expected, rtol=1e-5)

history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
print(f"loss (data + penalties): {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
assert history.history["loss"][-1] < history.history["loss"][0]

# The penalties are part of the loss the model reports: evaluate adds them to the data term.
data_loss = float(np.mean((model.predict(x) - y) ** 2))
total = model.evaluate(x, y, verbose=0)
print(f"data loss {data_loss:.4f} + penalties = {total:.4f}")
assert total > data_loss
print("regularizers: ok")
