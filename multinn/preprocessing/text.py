"""Keras 2's `keras.preprocessing.text`: word splitting, hashing and the `Tokenizer`.

Example:
    >>> from multinn.preprocessing.text import Tokenizer
    >>> tok = Tokenizer(num_words=3)
    >>> tok.fit_on_texts(["good movie", "bad movie"])
    >>> tok.texts_to_matrix(["good good movie"]).tolist()
    [[0.0, 1.0, 1.0]]
"""
from __future__ import annotations

from .tokenizer import Tokenizer, tokenizer_from_json
from .words import hashing_trick, one_hot, text_to_word_sequence

__all__ = ["text_to_word_sequence", "one_hot", "hashing_trick", "Tokenizer", "tokenizer_from_json"]
