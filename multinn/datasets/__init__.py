"""Data sets with Keras 2's loaders: `mnist`, `boston_housing`, `imdb` (downloaded once and cached
with `multinn.utils.get_file`) and `digits` (ships offline inside scikit-learn).

Example:
    >>> from multinn.datasets import digits, mnist
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()  # doctest: +SKIP
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
"""
from . import boston_housing, digits, imdb, mnist

__all__ = ["boston_housing", "digits", "imdb", "mnist"]
