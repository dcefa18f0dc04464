"""Keras 2's import path `keras.layers.embeddings` (the layer lives in `embedding.py`)."""
from .embedding import Embedding  # noqa: F401
