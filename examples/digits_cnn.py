"""Trains a small convolutional network on the 8x8 handwritten digits.

The digits (1,797 images of 8x8 pixels, from UCI) ship inside scikit-learn, so this runs
offline:  pip install 'multinn[examples]'

    python examples/digits_cnn.py                        # NumPy (CPU)
    MULTINN_BACKEND=cupy python examples/digits_cnn.py   # CuPy (NVIDIA GPU)

Expected: about 98% accuracy on the 360 held-out test images, in some ten seconds on a CPU.
"""
import time

import multinn
from multinn import backend as K
from multinn.datasets import digits
from multinn.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from multinn.models import Sequential
from multinn.optimizers import Adam

BATCH_SIZE = 32
EPOCHS = 12

multinn.utils.set_random_seed(113)
start = time.time()

(x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.2, seed=113)
# Conv2D wants a channel axis: (samples, rows, cols, channels) with the default channels_last.
x_train = x_train.reshape(len(x_train), 8, 8, 1)
x_test = x_test.reshape(len(x_test), 8, 8, 1)
print(f"Backend: {K.backend()}")
print(f"{len(x_train)} train samples, {len(x_test)} test samples")

model = Sequential(
    [
        Conv2D(32, (3, 3), padding="same", activation="relu", input_shape=(8, 8, 1)),
        Conv2D(32, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Dropout(0.25),
        Flatten(),
        Dense(64, activation="relu"),
        Dropout(0.25),
        Dense(10, activation="softmax"),
    ]
)
model.summary()
model.compile(optimizer=Adam(learning_rate=0.002), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.1, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")
if accuracy < 0.95:
    raise SystemExit(f"Expected at least 95% test accuracy, got {accuracy:.2%}.")
print(f"Done in {time.time() - start:.1f}s")
