"""Keras 2.3.1's `keras.datasets.cifar`: `load_batch`, which reads one pickled CIFAR batch
(an unpickler that allows only arrays, no other objects)."""
from multinn.backends.host_data import load_cifar_batch as load_batch  # noqa: F401
