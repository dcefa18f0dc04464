"""Data sets with Keras 2's loaders: `mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `boston_housing`,
`imdb`, `reuters` (downloaded once and cached
with `multinn.utils.get_file`) and `digits` (ships offline inside scikit-learn).

Example:
    >>> from multinn.datasets import digits, mnist
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()  # doctest: +SKIP
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
"""
from . import boston_housing, cifar10, cifar100, digits, fashion_mnist, imdb, mnist, reuters

__all__ = ["boston_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb", "mnist", "reuters"]
