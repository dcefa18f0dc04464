"""`Tokenizer`: a word index fitted on texts, turning texts into index sequences or count matrices."""
from __future__ import annotations

import collections
import json
import math
import warnings
from typing import Any, Iterable, Iterator

from multinn.utils.generic_utils import check_kwargs, suggest

from . import _host
from .words import DEFAULT_FILTERS, words_of

MODES = ("binary", "count", "tfidf", "freq")


class Tokenizer:
    """Builds a vocabulary from texts and turns texts into sequences of word indices or into matrices.

    `fit_on_texts` counts words; indices go by frequency, most frequent first (ties in
    first-seen order), from 1 (0 is reserved for padding); `oov_token`, when given, takes
    index 1. With `num_words`, only indices below `num_words` (the num_words - 1 most
    frequent words) are used when converting; the vocabulary itself keeps every word.

    Args:
        num_words: the size of the index space when converting (None: every word).
        filters: characters removed from texts (default: punctuation except the apostrophe, tab, newline).
        lower: lower-case texts.
        split: the word separator.
        char_level: every character is a token.
        oov_token: a token standing for unknown (or cut-off) words in `texts_to_sequences`.
        document_count: the number of documents already seen (used when restoring a tokenizer).

    Attributes:
        word_counts: OrderedDict word -> occurrences, in first-seen order.
        word_docs: word -> number of documents containing it.
        word_index / index_word: word -> index and back.
        index_docs: index -> number of documents containing it.
        document_count: the number of documents fitted.

    Example:
        >>> from multinn.preprocessing.text import Tokenizer
        >>> tok = Tokenizer()
        >>> tok.fit_on_texts(["the cat sat", "the dog sat down"])
        >>> tok.word_index
        {'the': 1, 'sat': 2, 'cat': 3, 'dog': 4, 'down': 5}
        >>> tok.texts_to_sequences(["the dog ran"])
        [[1, 4]]
        >>> tok.texts_to_matrix(["the the cat"], mode="count").tolist()
        [[0.0, 2.0, 0.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, num_words: "int | None" = None, filters: str = DEFAULT_FILTERS, lower: bool = True,
                 split: str = " ", char_level: bool = False, oov_token: Any = None, document_count: int = 0,
                 **kwargs: Any):
        if "nb_words" in kwargs:
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        # Nothing else is accepted; the known names are passed so that a misspelling gets a suggestion.
        check_kwargs(kwargs, ("num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count"),
                     "Tokenizer()")
        self.word_counts: "collections.OrderedDict[str, int]" = collections.OrderedDict()
        self.word_docs: "collections.defaultdict[str, int]" = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs: "collections.defaultdict[int, int]" = collections.defaultdict(int)
        self.word_index: "dict[str, int]" = {}
        self.index_word: "dict[int, str]" = {}

    def _tokens(self, text: Any) -> list:
        return words_of(text, self.char_level, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[Any]) -> None:
        """Counts the words of `texts` (strings, or lists of tokens) and rebuilds the word index.

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer(oov_token="<unk>")
            >>> tok.fit_on_texts(["b a b"])
            >>> tok.word_index
            {'<unk>': 1, 'b': 2, 'a': 3}
        """
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for word in tokens:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in dict.fromkeys(tokens):
                self.word_docs[word] += 1
        # sorted() is stable: equal counts keep first-seen order, as Keras 2's list.sort does.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in ranked]
        self.word_index = {}
        for index, word in enumerate(vocabulary, start=1):
            self.word_index[word] = index
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Counts documents per index from sequences of indices (what `sequences_to_matrix`'s tf-idf needs).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer(num_words=4)
            >>> tok.fit_on_sequences([[1, 2, 2], [2, 3]])
            >>> tok.document_count, dict(tok.index_docs)
            (2, {1: 1, 2: 2, 3: 1})
        """
        sequences = list(sequences)
        self.document_count += len(sequences)
        for seq in sequences:
            for index in dict.fromkeys(seq):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts: Iterable[Any]) -> "list[list[int]]":
        """Each text as a list of word indices (unknown and cut-off words dropped, or `oov_token`'s index).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer(num_words=3, oov_token="?")
            >>> tok.fit_on_texts(["a a b c"])
            >>> tok.texts_to_sequences(["a b c d"])
            [[2, 1, 1, 1]]
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[Any]) -> Iterator["list[int]"]:
        """Yields `texts_to_sequences`'s lists one text at a time.

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer()
            >>> tok.fit_on_texts(["b a b"])
            >>> next(tok.texts_to_sequences_generator(iter(["a b c"])))
            [2, 1]
        """
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            indices = []
            for word in self._tokens(text):
                index = self.word_index.get(word)
                if index is not None and not (self.num_words and index >= self.num_words):
                    indices.append(index)
                elif oov is not None:
                    indices.append(oov)
            yield indices

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> "list[str]":
        """Each sequence of indices back to a text: its words joined by spaces (unknown indices dropped
        or written as `oov_token`).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer()
            >>> tok.fit_on_texts(["the cat sat"])
            >>> tok.sequences_to_texts([[3, 1, 9]])
            ['sat the']
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]) -> Iterator[str]:
        """Yields `sequences_to_texts`'s strings one sequence at a time.

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer()
            >>> tok.fit_on_texts(["b a b"])
            >>> list(tok.sequences_to_texts_generator([[2, 1], [1]]))
            ['a b', 'b']
        """
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(index)
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[Any], mode: str = "binary") -> Any:
        """`sequences_to_matrix` of `texts_to_sequences(texts)`: a float64 NumPy array (one row per text).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer()
            >>> tok.fit_on_texts(["b a b"])
            >>> tok.texts_to_matrix(["a a", "b"], mode="count").tolist()
            [[0.0, 0.0, 2.0], [0.0, 1.0, 0.0]]
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: "list[list[int]]", mode: str = "binary") -> Any:
        """A float64 NumPy array of shape (len(sequences), num_words): one row per sequence, one column per index.

        Indices at or above num_words (len(word_index) + 1 when num_words is None) are
        ignored. For index j occurring c times in a sequence of n indices:
        'binary' 1, 'count' c, 'freq' c / n, and 'tfidf'
        (1 + log c) * log(1 + document_count / (1 + index_docs[j])).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer(num_words=4)
            >>> tok.sequences_to_matrix([[1, 1, 3], []], mode="freq").tolist()
            [[0.0, 0.6666666666666666, 0.0, 0.3333333333333333], [0.0, 0.0, 0.0, 0.0]]
        """
        if mode not in MODES:
            raise ValueError(f"Unknown vectorization mode {mode!r}; expected one of {', '.join(MODES)}."
                             f"{suggest(mode, MODES)} Received: mode={mode!r}")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (`num_words` argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        sequences = list(sequences)
        matrix = _host.full((len(sequences), width), 0.0, "float64")
        for row, seq in enumerate(sequences):
            seq = list(seq)
            counts = collections.Counter(j for j in seq if j < width)
            for j, c in counts.items():
                if mode == "count":
                    matrix[row, j] = c
                elif mode == "freq":
                    matrix[row, j] = c / len(seq)
                elif mode == "binary":
                    matrix[row, j] = 1.0
                else:
                    # Weighting scheme 2 of Wikipedia's tf-idf page, as in Keras 2.
                    tf = 1.0 + math.log(c)
                    idf = math.log(1.0 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    matrix[row, j] = tf * idf
        return matrix

    def get_config(self) -> dict:
        """The settings and the fitted counts; the dictionaries are JSON strings (Keras 2's layout).

        Example:
            >>> from multinn.preprocessing.text import Tokenizer
            >>> tok = Tokenizer(oov_token="?")
            >>> tok.fit_on_texts(["a"])
            >>> config = tok.get_config()
            >>> config["oov_token"], config["word_index"]
            ('?', '{"?": 1, "a": 2}')
        """
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The configuration as a JSON string (read it back with `tokenizer_from_json`); `kwargs` go to `json.dumps`.

        Example:
            >>> from multinn.preprocessing.text import Tokenizer, tokenizer_from_json
            >>> tok = Tokenizer()
            >>> tok.fit_on_texts(["a b b"])
            >>> tokenizer_from_json(tok.to_json()).texts_to_sequences(["b a"])
            [[1, 2]]
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """A Tokenizer from the JSON string of `Tokenizer.to_json()`, with its counts and indices.

    Example:
        >>> from multinn.preprocessing.text import Tokenizer, tokenizer_from_json
        >>> tok = Tokenizer(num_words=10)
        >>> tok.fit_on_texts(["x y"])
        >>> tokenizer_from_json(tok.to_json()).word_index
        {'x': 1, 'y': 2}
    """
    config = dict(json.loads(json_string)["config"])
    counts = {name: json.loads(config.pop(name))
              for name in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = collections.OrderedDict(counts["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, counts["word_docs"])
    # JSON object keys are strings: the index dictionaries get their integer keys back.
    tokenizer.index_docs = collections.defaultdict(int, {int(k): v for k, v in counts["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in counts["index_word"].items()}
    tokenizer.word_index = counts["word_index"]
    return tokenizer
