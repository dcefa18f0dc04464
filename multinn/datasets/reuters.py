"""Reuters newswire topics (Keras 2's `keras.datasets.reuters`): 11,228 newswires in 46 topics, each a
list of word indices (words ranked by frequency). Downloaded once from Keras's own address; the
sequences are processed by the same steps as `multinn.datasets.imdb`.
"""
from __future__ import annotations


from multinn.backends import host_data
from multinn.utils.downloads import get_file

from .imdb import _encode, _num_words, _split, _word_index

ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters.npz"
FILE_HASH = "87aedbeb0cb229e378797a632c1997b6"
WORD_INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(
    path: str = "reuters.npz",
    num_words: "int | None" = None,
    skip_top: int = 0,
    maxlen: "int | None" = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: "int | None" = 1,
    oov_char: "int | None" = 2,
    index_from: int = 3,
    **kwargs,
) -> tuple:
    """Loads the newswires as ((x_train, y_train), (x_test, y_test)), processed exactly as Keras 2.3.1 does.

    Args:
        path: the file's name in the cache (relative to `~/.multinn/datasets`).
        num_words: keep only words ranked below this (the most frequent); None keeps all.
        skip_top: also drop the `skip_top` most frequent words.
        maxlen: drop newswires of `maxlen` words or more (the start mark counts).
        test_split: fraction of the (shuffled, filtered) newswires held out for testing.
        seed: seed of the shuffle (numpy's RandomState, as in Keras).
        start_char: index put at the start of every newswire; None puts none.
        oov_char: index that replaces dropped words; None removes them instead.
        index_from: offset added to every word index.

    Returns:
        x: 1-D object arrays of Python lists of ints; y: integer arrays of topics 0-45. With
        the defaults, 8982 training and 2246 test newswires.

    Example:
        >>> from multinn.datasets import reuters
        >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
        >>> x_train.shape, x_test.shape  # doctest: +SKIP
        ((8982,), (2246,))
    """
    num_words = _num_words(num_words, kwargs)
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    xs, labels = host_data.load_npz(path, ["x", "y"])
    [(xs, labels)] = host_data.seeded_shuffles(seed, (xs, labels))
    encoded, kept_labels = _encode(list(xs), labels, start_char, oov_char, index_from, maxlen, num_words, skip_top)
    # Unlike imdb, the split comes after the maxlen filter: test_split of what is kept.
    idx = int(len(encoded) * (1 - test_split))
    return _split(encoded, kept_labels, idx, like=labels)


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """Returns the word -> index dictionary of the newswires (indices before `index_from` is added).

    Example:
        >>> from multinn.datasets import reuters
        >>> reuters.get_word_index()["the"]  # doctest: +SKIP
        1
    """
    return _word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH)
