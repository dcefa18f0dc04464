"""Keras 2.3.1's `keras.legacy.layers`: the Keras 1 layers it kept (Highway, MaxoutDense, the
atrous convolutions), here at their Keras 2.3.1 import path."""
from multinn.layers.keras1_dense import Highway, MaxoutDense  # noqa: F401
from multinn.layers.legacy_interfaces import AtrousConvolution1D, AtrousConvolution2D  # noqa: F401
