"""CIFAR-10 (Keras 2's `keras.datasets.cifar10`): 50,000 training and 10,000 test 32x32 color images
in 10 classes. The tar.gz of pickled batches is downloaded once and unpacked into
`~/.multinn/datasets/cifar-10-batches-py`.
"""
from __future__ import annotations

import os

from multinn import backend as K
from multinn.backends import host_data
from multinn.utils.downloads import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# Keras 2.3.1 checks no hash for the CIFAR archives.
FILE_HASH = None
DIRNAME = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def load_data() -> tuple:
    """Loads CIFAR-10 as ((x_train, y_train), (x_test, y_test)), in the batches' order.

    Returns:
        NumPy arrays: uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3) when
        `K.image_data_format()` is 'channels_last', else (N, 3, 32, 32); labels 0-9 of shape
        (N, 1): uint8 for training and NumPy's default integer for test, as in Keras 2.3.1.

    Example:
        >>> from multinn.datasets import cifar10
        >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    path = get_file(DIRNAME, origin=ORIGIN, untar=True, file_hash=FILE_HASH)
    batches = [host_data.load_cifar_batch(os.path.join(path, name)) for name in TRAIN_BATCHES]
    x_train = host_data.stack_batches([x for x, _ in batches], "uint8")
    y_train = host_data.stack_batches([y for _, y in batches], "uint8")
    x_test, y_test = host_data.load_cifar_batch(os.path.join(path, "test_batch"))
    return _finish(x_train, y_train, x_test, y_test)


def _finish(x_train, y_train, x_test, y_test) -> tuple:
    """Keras 2's last CIFAR steps: labels as (N, 1) columns, images channels_last when K says so."""
    y_train, y_test = host_data.column(y_train), host_data.column(y_test)
    if K.image_data_format() == "channels_last":
        x_train = host_data.channels_first_to_last(x_train)
        x_test = host_data.channels_first_to_last(x_test)
    return (x_train, y_train), (x_test, y_test)
