"""Callbacks: stop early, keep the best model, schedule the learning rate, log to CSV."""
import os
import tempfile

import numpy as np

import multinn
from multinn import backend as K
from multinn import callbacks
from multinn.layers import Dense
from multinn.models import Sequential, load_model
from multinn.optimizers import SGD

multinn.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(512, 8)).astype("float32")
y = (x @ rng.normal(size=(8, 1)) + 0.1 * rng.normal(size=(512, 1))).astype("float32")

model = Sequential([Dense(32, activation="relu", input_shape=(8,)), Dense(1)])
model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9), loss="mse")

folder = tempfile.mkdtemp()
best_path = os.path.join(folder, "best.h5")
csv_path = os.path.join(folder, "training.csv")
seen_rates = []

history = model.fit(
    x,
    y,
    epochs=100,
    batch_size=32,
    validation_split=0.2,
    verbose=0,
    callbacks=[
        # A step schedule; ReduceLROnPlateau(monitor="val_loss") is the adaptive alternative.
        callbacks.LearningRateScheduler(lambda epoch: 0.05 if epoch < 10 else 0.01),
        callbacks.EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True, verbose=1),
        callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True),
        callbacks.CSVLogger(csv_path),
        callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen_rates.append(logs["lr"])),
        callbacks.TerminateOnNaN(),
    ],
)

epochs_run = len(history.epoch)
best = min(history.history["val_loss"])
print(f"ran {epochs_run} epochs; best val_loss {best:.4f}; last learning rate {seen_rates[-1]:.5f}")
with open(csv_path) as f:
    rows = f.read().splitlines()
print("CSV header:", rows[0], f"({len(rows) - 1} rows)")

assert len(rows) - 1 == epochs_run
assert np.allclose(seen_rates[:10], 0.05) and np.allclose(seen_rates[10:], 0.01)
# restore_best_weights and the checkpoint both hold the best epoch's model.
best_model = load_model(best_path)
for restored, saved in zip(model.get_weights(), best_model.get_weights()):
    assert np.array_equal(restored, saved)
print(f"learning rate now: {float(K.get_value(model.optimizer.lr)):.5f}")
print("callbacks: ok")
