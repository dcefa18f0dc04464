"""CIFAR-100 (Keras 2's `keras.datasets.cifar100`): 50,000 training and 10,000 test 32x32 color images
in 100 fine classes grouped into 20 coarse ones. The tar.gz is downloaded once and unpacked into
`~/.multinn/datasets/cifar-100-python`.
"""
from __future__ import annotations

import os

from multinn.backends import host_data
from multinn.utils.downloads import get_file

from .cifar10 import _finish

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
# Keras 2.3.1 checks no hash for the CIFAR archives.
FILE_HASH = None
DIRNAME = "cifar-100-python"
LABEL_MODES = ("fine", "coarse")


def load_data(label_mode: str = "fine") -> tuple:
    """Loads CIFAR-100 as ((x_train, y_train), (x_test, y_test)), in the files' order.

    Args:
        label_mode: 'fine' (100 classes) or 'coarse' (20 superclasses).

    Returns:
        NumPy arrays: uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3) when
        `K.image_data_format()` is 'channels_last', else (N, 3, 32, 32); labels of shape
        (N, 1), NumPy's default integer (as in Keras 2.3.1).

    Example:
        >>> from multinn.datasets import cifar100
        >>> (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
        >>> x_test.shape, int(y_train.max())  # doctest: +SKIP
        ((10000, 32, 32, 3), 19)
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f"`label_mode` must be one of 'fine', 'coarse'. Received: label_mode={label_mode!r}")
    path = get_file(DIRNAME, origin=ORIGIN, untar=True, file_hash=FILE_HASH)
    x_train, y_train = host_data.load_cifar_batch(os.path.join(path, "train"), label_key=label_mode + "_labels")
    x_test, y_test = host_data.load_cifar_batch(os.path.join(path, "test"), label_key=label_mode + "_labels")
    return _finish(x_train, y_train, x_test, y_test)
