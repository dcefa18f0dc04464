"""Splitting text into words and hashing words to indices: `text_to_word_sequence`, `one_hot`, `hashing_trick`."""
from __future__ import annotations

import hashlib
from typing import Any, Callable

# Keras 2's default filters: ASCII punctuation except the apostrophe, plus tab and newline.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True,
                          split: str = " ") -> "list[str]":
    """The words of `text`: lower-cased, each character of `filters` turned into `split`, split on `split`.

    Empty pieces (from repeated separators) are dropped.

    Example:
        >>> from multinn.preprocessing.text import text_to_word_sequence
        >>> text_to_word_sequence("The cat sat on the mat... Didn't it?")
        ['the', 'cat', 'sat', 'on', 'the', 'mat', "didn't", 'it']
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def hashing_trick(text: str, n: int, hash_function: "Callable[[str], int] | str | None" = None,
                  filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> "list[int]":
    """The words of `text` hashed to indices in [1, n - 1] (0 stays free for padding); collisions are possible.

    Args:
        text: the text.
        n: the size of the hashing space (at least 2).
        hash_function: None for Python's `hash` (salted per process for strings, so indices
            change between runs unless PYTHONHASHSEED is fixed), 'md5' for a stable hash, or
            any function from a word to an int.
        filters, lower, split: as in `text_to_word_sequence`.

    Example:
        >>> from multinn.preprocessing.text import hashing_trick
        >>> hashing_trick("The cat. The hat", 10, hash_function="md5")
        [6, 3, 6, 6]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5
    elif not callable(hash_function):
        raise ValueError(f"`hash_function` must be None, 'md5' or a function from a word to an int. "
                         f"Received: hash_function={hash_function!r}")
    if int(n) != n or n < 2:
        raise ValueError(f"`n` (the size of the hashing space) must be an integer of at least 2. Received: n={n!r}")
    n = int(n)
    return [hash_function(word) % (n - 1) + 1 for word in text_to_word_sequence(text, filters, lower, split)]


def one_hot(text: str, n: int, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> "list[int]":
    """`hashing_trick` with Python's `hash`: each word of `text` as an index in [1, n - 1].

    Example:
        >>> from multinn.preprocessing.text import one_hot
        >>> codes = one_hot("the cat saw the dog", 50)
        >>> len(codes), codes[0] == codes[3], all(1 <= c < 50 for c in codes)
        (5, True, True)
    """
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower, split=split)


def _md5(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def words_of(text: Any, char_level: bool, filters: str, lower: bool, split: str) -> list:
    """The tokens of one text as a Tokenizer sees them: a list is already tokens, a string is
    split into characters (`char_level`) or words.

    Example:
        >>> words_of("Hi, you", char_level=False, filters=",", lower=True, split=" ")
        ['hi', 'you']
        >>> words_of("Hi", char_level=True, filters=",", lower=True, split=" ")
        ['h', 'i']
    """
    if char_level or isinstance(text, list):
        if lower:
            text = [token.lower() for token in text] if isinstance(text, list) else text.lower()
        return list(text)
    return text_to_word_sequence(text, filters, lower, split)
