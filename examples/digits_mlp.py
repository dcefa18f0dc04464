"""Trains a multilayer perceptron on the 8x8 handwritten digits, saves it and reloads it.

The digits (1,797 images of 8x8 pixels, from UCI) ship inside scikit-learn, so this runs
offline:  pip install 'multinn[examples]'

    python examples/digits_mlp.py                        # NumPy (CPU)
    MULTINN_BACKEND=cupy python examples/digits_mlp.py   # CuPy (NVIDIA GPU)

Expected: about 98% accuracy on the 360 held-out test images, in a few seconds.
"""
import os
import tempfile
import time

import numpy as np

import multinn
from multinn import backend as K
from multinn.datasets import digits
from multinn.layers import Dense, Dropout
from multinn.models import Sequential, load_model
from multinn.optimizers import Adam

BATCH_SIZE = 32
EPOCHS = 50

multinn.utils.set_random_seed(113)
start = time.time()

(x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.2, seed=113)
x_train = x_train.reshape(len(x_train), 64)
x_test = x_test.reshape(len(x_test), 64)
print(f"Backend: {K.backend()}")
print(f"{len(x_train)} train samples, {len(x_test)} test samples")

model = Sequential(
    [
        Dense(128, activation="relu", input_shape=(64,)),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ]
)
model.summary()
model.compile(optimizer=Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.1, verbose=1)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")

# Save the whole model (architecture, weights, optimizer state), load it back, and check
# that the restored model predicts exactly what the trained one does.
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits_mlp.h5")
    model.save(path)
    restored = load_model(path)
    same = np.allclose(model.predict(x_test), restored.predict(x_test), rtol=1e-6, atol=1e-7)
print(f"Reloaded model gives the same predictions: {same}")
if not same:
    raise SystemExit("The reloaded model's predictions differ from the trained model's.")
print(f"Done in {time.time() - start:.1f}s")
