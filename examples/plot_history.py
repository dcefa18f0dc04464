"""Trains a small network on the 8x8 handwritten digits and plots its `History` with matplotlib.

The digits ship inside scikit-learn, so this runs offline:  pip install 'multinn[examples]'

    python examples/plot_history.py                 # writes the PNG into a new temporary folder
    python examples/plot_history.py plots/          # ... or into the folder you give

Two panels, loss and accuracy, each with the training and the validation curve per epoch;
the PNG's path is printed at the end.
"""
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")  # draws to files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402

import multinn  # noqa: E402
from multinn import backend as K  # noqa: E402
from multinn.datasets import digits  # noqa: E402
from multinn.layers import Dense  # noqa: E402
from multinn.models import Sequential  # noqa: E402
from multinn.optimizers import Adam  # noqa: E402

EPOCHS = 20

multinn.utils.set_random_seed(113)
(x_train, y_train), _ = digits.load_data(test_split=0.2, seed=113)
x_train = x_train.reshape(len(x_train), 64)
print(f"Backend: {K.backend()}")

model = Sequential([Dense(64, activation="relu", input_shape=(64,)), Dense(10, activation="softmax")])
model.compile(optimizer=Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, validation_split=0.2, verbose=0)

epochs = [epoch + 1 for epoch in history.epoch]
figure, axes = plt.subplots(1, 2, figsize=(10, 4))
for axis, name in zip(axes, ("loss", "accuracy")):
    axis.plot(epochs, history.history[name], marker="o", label="train")
    axis.plot(epochs, history.history["val_" + name], marker="o", label="validation")
    axis.set_title(name)
    axis.set_xlabel("epoch")
    axis.set_ylabel(name)
    axis.grid(True, alpha=0.3)
    axis.legend()
figure.suptitle("multinn: an MLP on the digits")
figure.tight_layout()

folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="multinn-history-")
os.makedirs(folder, exist_ok=True)
path = os.path.join(folder, "history.png")
figure.savefig(path, dpi=80)
plt.close(figure)
final = {name: values[-1] for name, values in history.history.items()}
print("Last epoch: " + ", ".join(f"{name}={value:.4f}" for name, value in sorted(final.items())))
print(f"Saved the plot to {path}")
