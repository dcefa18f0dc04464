"""The 8x8 handwritten digits of UCI (1,797 images), shipped inside scikit-learn.

scikit-learn is an optional dependency: `pip install 'multinn[examples]'`.
"""
from __future__ import annotations

import random
from typing import Any

INSTALL_HINT = "pip install 'multinn[examples]'"


def _load_sklearn_digits() -> Any:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "multinn.datasets.digits reads the digits that ship with scikit-learn, which is not installed "
            f"({exc}). Install it with: {INSTALL_HINT}"
        ) from exc
    return load_digits()


def load_data(test_split: float = 0.2, seed: int = 113) -> tuple:
    """Loads the digits as ((x_train, y_train), (x_test, y_test)), split at random but reproducibly.

    Args:
        test_split: fraction of the 1,797 images held out for testing, in (0, 1).
        seed: seed of the shuffle that decides the split (the same seed gives the same split).

    Returns:
        NumPy arrays: images of shape (n, 8, 8), float32 scaled to [0, 1]; labels of
        shape (n,), integers 0-9.

    Raises:
        ImportError: when scikit-learn is missing (the message says how to install it).

    Example:
        >>> from multinn.datasets import digits
        >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
        >>> x_train.shape, x_test.shape, str(x_train.dtype), float(x_train.max())
        ((1437, 8, 8), (360, 8, 8), 'float32', 1.0)
    """
    if not 0.0 < test_split < 1.0:
        raise ValueError(f"`test_split` must be between 0 and 1. Received: test_split={test_split!r}")
    bunch = _load_sklearn_digits()
    # Pixel intensities are counts 0..16 of a 4x4 block of the 32x32 original.
    images = (bunch.images / 16.0).astype("float32")
    labels = bunch.target.astype("int64")
    order = list(range(len(labels)))
    random.Random(seed).shuffle(order)
    # Keras's loaders size the training part as int(n * (1 - test_split)).
    n_train = int(len(order) * (1.0 - test_split))
    train, test = order[:n_train], order[n_train:]
    return (images[train], labels[train]), (images[test], labels[test])
