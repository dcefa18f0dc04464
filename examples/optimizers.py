"""Optimizers: by name or configured, with schedules and clipping, in fit or in your own loop.

Three ways to train the same linear model: `fit`, an eager loop with GradientTape and
`apply_gradients`, and Keras 2's symbolic loop with `get_updates` and `K.function`.
"""
import numpy as np

from multinn import backend as K
from multinn import optimizers
from multinn.layers import Dense
from multinn.models import Sequential
from multinn.optimizers import schedules

rng = np.random.default_rng(0)
true_w = np.array([[2.0], [-3.0]], dtype="float32")
x = rng.normal(size=(256, 2)).astype("float32")
y = x @ true_w + 1.0

# 1. fit, with an optimizer object: a decaying learning rate and gradient clipping.
schedule = schedules.ExponentialDecay(initial_learning_rate=0.1, decay_steps=50, decay_rate=0.5)
model = Sequential([Dense(1, input_shape=(2,))])
model.compile(optimizer=optimizers.Adam(learning_rate=schedule, clipnorm=1.0), loss="mse")
model.fit(x, y, epochs=30, batch_size=32, verbose=0)
w, b = model.get_weights()
print("fit:        w", w.ravel(), "b", b, "- lr now", float(K.get_value(model.optimizer.lr)))
assert np.allclose(w, true_w, atol=0.05) and np.allclose(b, 1.0, atol=0.05)

# 2. An eager loop: GradientTape records, apply_gradients updates the variables in place.
w = K.variable(np.zeros((2, 1)))
b = K.variable(np.zeros((1,)))
opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
for step in range(100):
    with K.GradientTape() as tape:
        loss = K.mean(K.square(K.dot(K.constant(x), w) + b - K.constant(y)))
    opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
print("eager loop: w", K.get_value(w).ravel(), "b", K.get_value(b), "- steps", int(K.get_value(opt.iterations)))
assert np.allclose(K.get_value(w), true_w, atol=1e-3)

# 3. Keras 2's symbolic loop: placeholders, get_updates, K.function.
x_in, y_in = K.placeholder(shape=(None, 2)), K.placeholder(shape=(None, 1))
w = K.variable(np.zeros((2, 1)))
b = K.variable(np.zeros((1,)))
loss = K.mean(K.square(K.dot(x_in, w) + b - y_in))
opt = optimizers.get("rmsprop")
K.set_value(opt.lr, 0.05)
train = K.function([x_in, y_in], [loss], updates=opt.get_updates(loss, [w, b]))
for step in range(300):
    batch = slice(32 * (step % 8), 32 * (step % 8 + 1))
    (loss_value,) = train([x[batch], y[batch]])
print("K.function: w", K.get_value(w).ravel(), "b", K.get_value(b), f"- loss {float(loss_value):.5f}")
assert np.allclose(K.get_value(w), true_w, atol=0.1)

# Optimizers serialize like every other building block.
config = optimizers.serialize(optimizers.Adam(learning_rate=0.01, amsgrad=True))
print("config:", config)
assert optimizers.deserialize(config).amsgrad
print("optimizers: ok")
