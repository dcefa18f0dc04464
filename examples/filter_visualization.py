"""What a convolution filter looks for: gradient ascent on the input image.

Keras 2's filter-visualization recipe: train a small CNN on the 8x8 handwritten digits,
then, for a few filters of its second convolution, start from a grey noisy image and
repeatedly move the image along the gradient of the filter's mean activation with
respect to the input. The loss and the gradient are written with K on the model's own
tensors (`K.gradients(loss, model.input)`) and run by `K.function`.

    pip install 'multinn[examples]'
    python examples/filter_visualization.py                        # NumPy (CPU)
    MULTINN_BACKEND=cupy python examples/filter_visualization.py   # CuPy (NVIDIA GPU)

Expected: every filter's activation grows by half or more (pixels stay in [0, 1]), and each image is
printed as 8x8 characters (darker characters: stronger pixels).
"""
import time

import numpy as np

import multinn
from multinn import backend as K
from multinn.datasets import digits
from multinn.layers import Conv2D, Dense, Flatten
from multinn.models import Sequential

FILTERS = (0, 1, 2, 3)
STEPS = 30
STEP_SIZE = 0.05

multinn.utils.set_random_seed(3)
start = time.time()
(x_train, y_train), _ = digits.load_data(test_split=0.2, seed=3)
x_train = x_train.reshape(len(x_train), 8, 8, 1)
print(f"Backend: {K.backend()}")

model = Sequential(
    [
        Conv2D(8, (3, 3), padding="same", activation="relu", input_shape=(8, 8, 1), name="conv1"),
        Conv2D(8, (3, 3), activation="relu", name="conv2"),
        Flatten(),
        Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=3, verbose=2)

input_img = model.input
layer_output = model.get_layer("conv2").output


def ascend(filter_index: int) -> tuple:
    """Returns the image that excites one filter most after STEPS steps, and the activations."""
    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = K.gradients(loss, input_img)[0]
    grads = grads / (K.sqrt(K.mean(K.square(grads))) + 1e-5)  # a step of the same size whatever the scale
    iterate = K.function([input_img], [loss, grads])
    image = 0.5 + 0.05 * np.random.RandomState(filter_index).standard_normal((1, 8, 8, 1)).astype("float32")
    first = float(iterate([image])[0])
    for _ in range(STEPS):
        _, step = iterate([image])
        image = np.clip(image + STEP_SIZE * step, 0.0, 1.0)
    return image[0, :, :, 0], first, float(iterate([image])[0])


def draw(image: np.ndarray) -> str:
    shades = " .:-=+*#%@"
    scaled = (image - image.min()) / (np.ptp(image) + 1e-7)
    return "\n".join("".join(shades[int(v * (len(shades) - 1))] * 2 for v in row) for row in scaled)


grown = []
for index in FILTERS:
    image, before, after = ascend(index)
    grown.append(after > 1.5 * before + 1e-3)
    print(f"Filter {index}: mean activation {before:.4f} -> {after:.4f}")
    print(draw(image))
if not all(grown):
    raise SystemExit("Expected gradient ascent to raise every filter's activation by half or more.")
print(f"Done in {time.time() - start:.1f}s")
