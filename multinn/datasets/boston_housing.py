"""Boston housing prices (Keras 2's `keras.datasets.boston_housing`): 506 houses, 13 attributes each,
targets in k$. Downloaded once from Keras's own address, like `multinn.datasets.mnist`.
"""
from __future__ import annotations

from multinn.backends import host_data
from multinn.utils.downloads import get_file

ORIGIN = "https://s3.amazonaws.com/keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> tuple:
    """Loads the data as ((x_train, y_train), (x_test, y_test)), shuffled by `seed` exactly as Keras 2 does.

    Args:
        path: the file's name in the cache (relative to `~/.multinn/datasets`).
        test_split: fraction of the houses held out for testing, in [0, 1).
        seed: seed of the shuffle before the split (numpy's RandomState, as in Keras).

    Returns:
        NumPy float64 arrays: x of shape (n, 13), y of shape (n,); with the defaults 404
        training and 102 test houses.

    Example:
        >>> from multinn.datasets import boston_housing
        >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
        >>> x_train.shape, x_test.shape  # doctest: +SKIP
        ((404, 13), (102, 13))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split!r}")
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    x, y = host_data.load_npz(path, ["x", "y"])
    [(x, y)] = host_data.seeded_shuffles(seed, (x, y))
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train].copy(), y[:n_train].copy()), (x[n_train:].copy(), y[n_train:].copy())
