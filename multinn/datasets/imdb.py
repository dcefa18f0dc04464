"""IMDB movie-review sentiment (Keras 2's `keras.datasets.imdb`): 25,000 training and 25,000 test
reviews, each a list of word indices (words ranked by frequency), labelled 0 (negative) or 1 (positive).
Downloaded once from Keras's own address, like `multinn.datasets.mnist`.
"""
from __future__ import annotations

import json
import warnings

from multinn.backends import host_data
from multinn.utils.downloads import get_file

ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb.npz"
FILE_HASH = "599dadb1135973df5b59232a0e9a887c"
WORD_INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def _encode(xs: list, labels, start_char, oov_char, index_from, maxlen, num_words, skip_top) -> tuple:
    """Keras 2.3.1's steps in its order: offset and start mark, drop long reviews, cut the vocabulary."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        xs, labels = [x for x, _ in kept], [y for _, y in kept]
        if not xs:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
            )
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return xs, labels


def _num_words(num_words: "int | None", kwargs: dict) -> "int | None":
    """`num_words`, or Keras 1's `nb_words` (with Keras 2's warning); other keywords are refused."""
    if "nb_words" in kwargs:
        warnings.warn("The `nb_words` argument in `load_data` has been renamed `num_words`.")
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    return num_words


def _split(encoded: list, labels: list, idx: int, like) -> tuple:
    """((x_train, y_train), (x_test, y_test)) split at `idx`: object arrays of lists, labels of `like`'s dtype."""
    return (
        (host_data.object_array(encoded[:idx]), host_data.array(labels[:idx], like=like)),
        (host_data.object_array(encoded[idx:]), host_data.array(labels[idx:], like=like)),
    )


def _word_index(path: str, origin: str, file_hash: str) -> dict:
    """A word -> index dictionary from a JSON file fetched (once) by get_file."""
    path = get_file(path, origin=origin, file_hash=file_hash)
    with open(path) as f:
        return json.load(f)


def load_data(
    path: str = "imdb.npz",
    num_words: "int | None" = None,
    skip_top: int = 0,
    maxlen: "int | None" = None,
    seed: int = 113,
    start_char: "int | None" = 1,
    oov_char: "int | None" = 2,
    index_from: int = 3,
    **kwargs,
) -> tuple:
    """Loads the reviews as ((x_train, y_train), (x_test, y_test)), processed exactly as Keras 2.3.1 does.

    Args:
        path: the file's name in the cache (relative to `~/.multinn/datasets`).
        num_words: keep only words ranked below this (the most frequent); None keeps all.
        skip_top: also drop the `skip_top` most frequent words.
        maxlen: drop reviews of `maxlen` words or more (the start mark counts).
        seed: seed of the shuffles (one numpy RandomState: training set, then test set).
        start_char: index put at the start of every review; None puts none.
        oov_char: index that replaces dropped words; None removes them instead.
        index_from: offset added to every word index.

    Returns:
        x: 1-D object arrays of Python lists of ints; y: integer arrays of 0/1 labels.

    As in Keras 2.3.1, the training part is the first `len(x_train)` reviews after
    `maxlen` filtering of the joined training and test reviews, so with `maxlen` some test
    reviews move into the training part.

    Example:
        >>> from multinn.datasets import imdb
        >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
        >>> x_train.shape, x_train[0][:2]  # doctest: +SKIP
        ((25000,), [1, 14])
    """
    num_words = _num_words(num_words, kwargs)
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = host_data.load_npz(path, ["x_train", "y_train", "x_test", "y_test"])
    (x_train, y_train), (x_test, y_test) = host_data.seeded_shuffles(seed, (x_train, y_train), (x_test, y_test))
    xs = host_data.concatenate([x_train, x_test])
    labels = host_data.concatenate([y_train, y_test])
    encoded, kept_labels = _encode(list(xs), labels, start_char, oov_char, index_from, maxlen, num_words, skip_top)
    idx = len(x_train)
    return _split(encoded, kept_labels, idx, like=labels)


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """Returns the word -> index dictionary of the reviews (indices before `index_from` is added).

    Example:
        >>> from multinn.datasets import imdb
        >>> imdb.get_word_index()["the"]  # doctest: +SKIP
        1
    """
    return _word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH)
