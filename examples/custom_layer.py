"""A custom layer: weights from add_weight, the computation in call, written with K."""
import numpy as np

import multinn
from multinn import backend as K
from multinn.layers import Dense, Layer
from multinn.models import Sequential

multinn.utils.set_random_seed(0)  # the same weights and dropout masks on every run


class ScaledDense(Layer):
    """y = activation(x . W * scale + b), with one trainable scale per output unit."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(input_shape[-1], self.units), initializer="glorot_uniform", trainable=True
        )
        self.scale = self.add_weight(name="scale", shape=(self.units,), initializer="ones", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros", trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        y = K.dot(inputs, self.kernel) * self.scale + self.bias
        return K.relu(y) if self.activation == "relu" else y

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=self.activation)
        return config


model = Sequential([ScaledDense(32, activation="relu", input_shape=(2,)), Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.summary()

# XOR-like data: the label is whether both coordinates have the same sign.
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, size=(512, 2)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("float32")
model.fit(x, y, epochs=60, batch_size=32, verbose=0)
loss, accuracy = model.evaluate(x, y, verbose=0)
print(f"training accuracy: {accuracy:.3f}")
assert [w.name.split("/")[-1].split(":")[0] for w in model.layers[0].weights] == ["kernel", "scale", "bias"]
assert model.layers[0].count_params() == 2 * 32 + 32 + 32
assert accuracy > 0.9
print("custom_layer: ok")
