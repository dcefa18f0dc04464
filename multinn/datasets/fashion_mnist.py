"""Fashion-MNIST (Keras 2's `keras.datasets.fashion_mnist`): 60,000 training and 10,000 test 28x28
grayscale images of 10 kinds of clothing, a drop-in replacement for MNIST.

Four gzip IDX files are downloaded once into `~/.multinn/datasets/fashion-mnist` (a copy that
Keras already downloaded to `~/.keras/datasets/fashion-mnist` is reused).
"""
from __future__ import annotations

import os

from multinn.backends import host_data
from multinn.utils.downloads import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
# IDX headers: a magic number and one 4-byte size per dimension.
_LABEL_HEADER, _IMAGE_HEADER = 8, 16


def load_data() -> tuple:
    """Loads Fashion-MNIST as ((x_train, y_train), (x_test, y_test)), in the files' order.

    Returns:
        NumPy uint8 arrays: images of shape (60000, 28, 28) and (10000, 28, 28), values
        0-255; labels 0-9 of shape (60000,) and (10000,) (0 T-shirt/top, 1 trouser,
        2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot).

    Example:
        >>> from multinn.datasets import fashion_mnist
        >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, str(x_train.dtype), y_test.shape  # doctest: +SKIP
        ((60000, 28, 28), 'uint8', (10000,))
    """
    # Keras 2.3.1 gives no hashes for these files, so none is checked.
    cache_subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN + name, cache_subdir=cache_subdir) for name in FILES]
    y_train = host_data.read_gzip_uint8(paths[0], _LABEL_HEADER)
    x_train = host_data.read_gzip_uint8(paths[1], _IMAGE_HEADER, (len(y_train), 28, 28))
    y_test = host_data.read_gzip_uint8(paths[2], _LABEL_HEADER)
    x_test = host_data.read_gzip_uint8(paths[3], _IMAGE_HEADER, (len(y_test), 28, 28))
    return (x_train, y_train), (x_test, y_test)
