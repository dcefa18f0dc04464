"""Real data sets that load without a network connection.

Example:
    >>> from multinn.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()  # doctest: +SKIP
"""
from . import digits

__all__ = ["digits"]
