"""Data preprocessing of Keras 2's `keras.preprocessing`: `sequence` (padding, skip-grams, time-series
batches), `text` (word splitting, hashing, `Tokenizer`) and `image` (`ImageDataGenerator`, image files).

Example:
    >>> from multinn.preprocessing import sequence, text
    >>> tok = text.Tokenizer()
    >>> tok.fit_on_texts(["a b", "b c d"])
    >>> sequence.pad_sequences(tok.texts_to_sequences(["a b", "b c d"])).tolist()
    [[0, 2, 1], [1, 3, 4]]
"""
from . import image, sequence, text

__all__ = ["image", "sequence", "text"]
