"""TextVectorization (tf.keras 2): strings to token ids or bag-of-words vectors, on the host."""
from __future__ import annotations

import re
from typing import Any, Callable

from multinn import backend as K
from multinn.utils.argument_validation import check_choice, check_int

from .host_inputs import nested_values
from .index_lookup import LOOKUP_MODES, IndexLookup

__all__ = ["TextVectorization"]

# tf.keras's punctuation set: ASCII punctuation, the apostrophe included
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


class TextVectorization(IndexLookup):
    """Standardizes, splits and indexes text, as tf.keras 2's TextVectorization.

    Text lives on the host: call the layer on a list (or (n, 1) nested list / NumPy object
    array) of strings, and feed the K tensor it returns to the model (`model.fit(vectorize(texts),
    labels)`); `adapt(texts)` learns the vocabulary.

    Args:
        max_tokens: the largest vocabulary, special tokens included (None: no limit).
        standardize: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation',
            None, or a callable str -> str.
        split: 'whitespace' (default), 'character', None (the whole string is one token) or a
            callable str -> list of tokens.
        ngrams: None, an int n (all n-grams from 1 to n) or a tuple of sizes; n-grams are the
            tokens joined by a space, after the unigrams.
        output_mode: 'int' (default: index 0 pads, 1 is OOV), 'multi_hot', 'count' or 'tf_idf'.
        output_sequence_length: in 'int' mode, pad or truncate every row to this length
            (None: pad to the longest row of the batch).
        pad_to_max_tokens: in the other modes, make the output max_tokens wide.
        vocabulary, idf_weights: a given vocabulary (and its tf_idf weights) instead of adapt.

    Example:
        >>> from multinn.layers import TextVectorization
        >>> vectorize = TextVectorization(output_sequence_length=4)
        >>> vectorize.adapt(["The cat sat.", "The dog, the cat!"])
        >>> vectorize.get_vocabulary()
        ['', '[UNK]', 'the', 'cat', 'sat', 'dog']
        >>> vectorize(["the cat ran"]).numpy().tolist()
        [[2, 3, 1, 0]]
    """

    def __init__(self, max_tokens: "int | None" = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: "int | None" = None, pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 **kwargs: Any):
        check_choice(output_mode, "output_mode", tuple(m for m in LOOKUP_MODES if m != "one_hot"))
        if standardize is not None and not callable(standardize):
            check_choice(standardize, "standardize", _STANDARDIZE)
        if split is not None and not callable(split):
            check_choice(split, "split", _SPLIT)
        if ngrams is not None:
            sizes = (ngrams,) if isinstance(ngrams, int) else tuple(ngrams)
            for n in sizes:
                check_int(n, "ngrams")
        if output_sequence_length is not None:
            output_sequence_length = check_int(output_sequence_length, "output_sequence_length")
            if output_mode != "int":
                raise ValueError("output_sequence_length applies only to output_mode='int'. "
                                 f"Received: output_mode={output_mode!r}")
        if ragged:
            raise NotImplementedError("TextVectorization: ragged outputs are not supported; rows are padded "
                                      f"with 0. Received: ragged={ragged!r}")
        self.standardize = standardize
        self.split = split
        self.ngrams = list(ngrams) if isinstance(ngrams, (list, tuple)) else ngrams
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        self.ragged = False
        # as tf.keras: '' masks (pads) in 'int' mode; the bag-of-words modes have no mask index
        super().__init__(max_tokens, 1, "" if output_mode == "int" else None, "[UNK]", vocabulary, idf_weights,
                         False, output_mode, sparse, pad_to_max_tokens, **kwargs)

    def _standardize(self, text: str) -> str:
        if callable(self.standardize):
            return self.standardize(text)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        return text

    def _split(self, text: str) -> list:
        if callable(self.split):
            return list(self.split(text))
        if self.split == "whitespace":
            return text.split()
        if self.split == "character":
            return list(text)
        return [text]

    def _tokens(self, text: Any) -> list:
        text = text.decode(self.encoding) if isinstance(text, bytes) else str(text)
        words = self._split(self._standardize(text))
        if self.ngrams is None:
            return words
        sizes = range(1, self.ngrams + 1) if isinstance(self.ngrams, int) else self.ngrams
        return [" ".join(words[i:i + n]) for n in sizes for i in range(len(words) - n + 1)]

    def _texts(self, inputs: Any) -> list:
        if K.is_tensor(inputs):
            raise TypeError("TextVectorization works on host strings: pass a list or NumPy object array of "
                            f"strings. Received: a tensor of dtype {K.dtype(inputs)}")
        flat, shape = nested_values([inputs] if isinstance(inputs, (str, bytes)) else inputs)
        if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
            raise ValueError(f"TextVectorization takes a batch of strings, shape (n,) or (n, 1). Received: shape {shape}")
        return flat

    def _adapt_rows(self, data: Any, steps: "int | None") -> list:
        return [self._tokens(t) for t in self._texts(data)[:None if steps is None else steps]]

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        rows = [[self._lookup(t) for t in self._tokens(text)] for text in self._texts(inputs)]
        if self.output_mode == "int":
            length = self.output_sequence_length or max([len(r) for r in rows] + [1])
            rows = [(r + [0] * length)[:length] for r in rows]
            return K.constant(rows, dtype="int64")
        width = max([len(r) for r in rows] + [1])
        # a padding id beyond the table encodes as zeros
        padded = [r + [self._depth()] * (width - len(r)) for r in rows]
        return self._encode(K.constant(padded, dtype="int64"))

    def call(self, inputs: Any) -> Any:
        return self.__call__(inputs)

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("num_oov_indices", "mask_token", "oov_token", "invert"):
            config.pop(key)
        return {**config, "standardize": self.standardize if not callable(self.standardize) else None,
                "split": self.split if not callable(self.split) else None, "ngrams": self.ngrams,
                "output_sequence_length": self.output_sequence_length, "encoding": self.encoding,
                "ragged": self.ragged}
