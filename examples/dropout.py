"""Dropout: zeroes a fraction of the inputs in training only (and scales the rest up)."""
import numpy as np

import multinn
from multinn import backend as K
from multinn.layers import Dropout

multinn.utils.set_random_seed(42)
layer = Dropout(0.5)
x = K.ones((4, 1000))

test_time = K.eval(layer(x))  # inference (the default): the identity
train_time = K.eval(layer(x, training=True))  # training: about half the units dropped, the rest * 2

print("inference: unique values", np.unique(test_time))
print("training:  unique values", np.unique(train_time), f"- kept {np.mean(train_time != 0):.3f}")
assert np.array_equal(test_time, np.ones((4, 1000), "float32"))
assert set(np.unique(train_time)) == {0.0, 2.0}
assert abs(np.mean(train_time != 0) - 0.5) < 0.05
# The expected value is unchanged: that is why the kept units are scaled by 1 / (1 - rate).
assert abs(train_time.mean() - 1.0) < 0.1

# Seeding again replays the same masks (on NumPy and CuPy alike: one counter-based generator).
multinn.utils.set_random_seed(42)
again = K.eval(Dropout(0.5)(x, training=True))
print("same seed, same mask:", np.array_equal(again, train_time))
assert np.array_equal(again, train_time)
print("dropout: ok")
