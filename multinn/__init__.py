"""multinn: Keras 2's API on NumPy and CuPy."""
__version__ = "0.1.0"
