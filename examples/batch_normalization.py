"""BatchNormalization: batch statistics in training, moving averages at inference."""
import numpy as np

import multinn
from multinn.layers import BatchNormalization, Dense
from multinn.models import Sequential
from multinn.optimizers import Adam

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run

rng = np.random.default_rng(0)
x = (rng.normal(size=(256, 10)) * 5.0 + 3.0).astype("float32")  # far from zero mean, unit variance
y = (x[:, :1] > 3.0).astype("float32")

model = Sequential(
    [
        BatchNormalization(input_shape=(10,)),
        Dense(16, activation="relu"),
        BatchNormalization(),
        Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=20, batch_size=32, verbose=0)

bn = model.layers[0]
gamma, beta, moving_mean, moving_variance = bn.get_weights()
print("moving mean (first 3):    ", moving_mean[:3])
print("moving variance (first 3):", moving_variance[:3])
# The moving statistics have moved from (0, 1) towards the data's (3, 25).
assert np.all(np.abs(moving_mean - x.mean(axis=0)) < 1.0)
assert np.all(moving_variance > 10.0)
assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2

# Inference uses the moving statistics: one sample alone gives the same result as in a batch.
alone = model.predict(x[:1])
in_batch = model.predict(x[:64])[:1]
assert np.allclose(alone, in_batch, atol=1e-6)
loss, accuracy = model.evaluate(x, y, verbose=0)
print(f"accuracy: {accuracy:.3f}")
assert accuracy > 0.9
print("batch_normalization: ok")
