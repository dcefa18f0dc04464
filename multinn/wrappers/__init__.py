"""Wrappers of Keras 2's `keras.wrappers`: `scikit_learn` (KerasClassifier, KerasRegressor).

Example:
    >>> from multinn.wrappers.scikit_learn import KerasClassifier, KerasRegressor
    >>> KerasRegressor(build_fn=lambda units=4: None, units=8, epochs=2)
    KerasRegressor(build_fn=<lambda>, units=8, epochs=2)
"""
from . import scikit_learn

__all__ = ["scikit_learn"]
