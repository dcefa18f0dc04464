"""Keras 2's import path `keras.layers.normalization`."""
from .batch_normalization import BatchNormalization  # noqa: F401
