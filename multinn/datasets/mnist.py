"""MNIST handwritten digits (Keras 2's `keras.datasets.mnist`): 60,000 training and 10,000 test images.

Downloaded once from Keras's own address into `~/.multinn/datasets` (a copy that Keras
already downloaded to `~/.keras/datasets` is reused).
"""
from __future__ import annotations

from multinn.backends import host_data
from multinn.utils.downloads import get_file

ORIGIN = "https://s3.amazonaws.com/img-datasets/mnist.npz"
FILE_HASH = "8a61469f7ea1b51cbae51d4f78837e45"


def load_data(path: str = "mnist.npz") -> tuple:
    """Loads MNIST as ((x_train, y_train), (x_test, y_test)), in the file's order.

    Args:
        path: the file's name in the cache (relative to `~/.multinn/datasets`).

    Returns:
        NumPy arrays: uint8 images of shape (60000, 28, 28) and (10000, 28, 28) with values
        0-255; uint8 labels 0-9 of shape (60000,) and (10000,).

    Example:
        >>> from multinn.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, str(x_train.dtype), y_test.shape  # doctest: +SKIP
        ((60000, 28, 28), 'uint8', (10000,))
    """
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = host_data.load_npz(path, ["x_train", "y_train", "x_test", "y_test"])
    return (x_train, y_train), (x_test, y_test)
