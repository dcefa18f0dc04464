"""Recorded forward+backward releases its intermediates: memory does not grow over many steps."""
import numpy as np

from multinn import backend as K
from tests.helpers import allocation_growth


def _step(w, b, x):
    h = K.tanh(K.dot(x, w) + b)
    loss = K.mean(K.square(h))
    gw, gb = K.gradients(loss, [w, b])
    w.assign_sub(gw * 0.01)
    b.assign_sub(gb * 0.01)


def test_memory_flat_over_2000_steps(backend_name):
    w = K.variable(np.random.default_rng(0).normal(size=(32, 16)) * 0.1)
    b = K.variable(np.zeros(16))
    x = K.constant(np.random.default_rng(1).normal(size=(64, 32)))
    def warmup():  # warm caches (allocator pools, dtype tables)
        for _ in range(50):
            _step(w, b, x)

    def measured():
        for _ in range(2000):
            _step(w, b, x)

    grew = allocation_growth(warmup, measured)
    # One step's arrays are ~20 KB; a leak of one intermediate per step would add > 2 MB.
    assert grew < 256 * 1024, f"memory grew by {grew} bytes over 2000 steps"
