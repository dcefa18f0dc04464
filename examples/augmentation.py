"""Data augmentation inside the model: tf.keras 2's Random* layers on the 8x8 handwritten digits.

The augmentation layers (RandomTranslation, RandomRotation, RandomZoom, RandomContrast) sit
at the front of the model: they warp every training batch afresh (seeded, so a run repeats)
and pass images through untouched in evaluate/predict. They save and reload with the model.
The digits ship inside scikit-learn, so this runs offline:  pip install 'multinn[examples]'

    python examples/augmentation.py                        # NumPy (CPU)
    MULTINN_BACKEND=cupy python examples/augmentation.py   # CuPy (NVIDIA GPU)

Expected: about 96% accuracy on the 360 held-out test images (measured 96.4% on NumPy; the
training accuracy stays lower, about 90%, because the training images are warped), in
some twenty seconds on a CPU.
"""
import os
import tempfile
import time

import multinn
from multinn import backend as K
from multinn.datasets import digits
from multinn.layers import (
    Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D, RandomContrast, RandomRotation, RandomTranslation, RandomZoom,
)
from multinn.models import Model, load_model
from multinn.optimizers import Adam

BATCH_SIZE = 32
EPOCHS = 12

multinn.utils.set_random_seed(113)
start = time.time()

(x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.2, seed=113)
x_train = x_train.reshape(len(x_train), 8, 8, 1)
x_test = x_test.reshape(len(x_test), 8, 8, 1)
print(f"Backend: {K.backend()}")
print(f"{len(x_train)} train samples, {len(x_test)} test samples")

inputs = Input((8, 8, 1))
# Small warps: an 8x8 digit shifted by a pixel, turned by up to 11 degrees or zoomed by 5% is
# still the same digit. (No RandomFlip: a mirrored 2 is not a 2.)
x = RandomTranslation(0.125, 0.125, fill_mode="constant", seed=1)(inputs)
x = RandomRotation(0.03, fill_mode="constant", seed=2)(x)
x = RandomZoom(0.05, fill_mode="constant", seed=3)(x)
x = RandomContrast(0.2, seed=4)(x)
x = Conv2D(32, (3, 3), padding="same", activation="relu")(x)
x = Conv2D(32, (3, 3), activation="relu")(x)
x = MaxPooling2D((2, 2))(x)
x = Flatten()(x)
x = Dense(64, activation="relu")(x)
x = Dropout(0.25)(x)
outputs = Dense(10, activation="softmax")(x)
model = Model(inputs, outputs)
model.summary()
model.compile(optimizer=Adam(learning_rate=0.002), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "augmented.zip")
    model.save(path)
    same = bool((abs(load_model(path).predict(x_test) - model.predict(x_test)) < 1e-5).all())
print(f"Reloaded model gives the same predictions: {same}")
if accuracy < 0.95:
    raise SystemExit(f"Expected at least 95% test accuracy, got {accuracy:.2%}.")
print(f"Done in {time.time() - start:.1f}s")
