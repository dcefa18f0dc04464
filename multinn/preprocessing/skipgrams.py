"""word2vec-style training pairs: `make_sampling_table` and `skipgrams`."""
from __future__ import annotations

import math
import random
from typing import Any

from . import _host

_EULER_GAMMA = 0.577  # the rounded constant Keras 2 uses, so tables agree with Keras's


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> Any:
    """The probability of keeping the word of each frequency rank (word2vec's subsampling), a float64 NumPy array.

    Word frequencies are approximated by Zipf's law from the rank r (rank 0 counts as 1):
    inv_freq(r) = r * (log(r) + gamma) + 1/2 - 1/(12 r), f = sampling_factor * inv_freq(r),
    and the probability is min(1, f / sqrt(f)); frequent (low-rank) words are kept less often.

    Args:
        size: the number of ranks (the vocabulary size).
        sampling_factor: word2vec's sampling factor.

    Example:
        >>> from multinn.preprocessing.sequence import make_sampling_table
        >>> table = make_sampling_table(5)
        >>> table.shape, table.dtype.name, [round(p, 5) for p in table.tolist()[:3]]
        ((5,), 'float64', [0.00315, 0.00315, 0.00548])
    """
    if int(size) != size or size < 0:
        raise ValueError(f"`size` must be a non-negative integer. Received: size={size!r}")
    probabilities = []
    for rank in range(int(size)):
        rank = max(rank, 1)
        f = sampling_factor * (rank * (math.log(rank) + _EULER_GAMMA) + 0.5 - 1.0 / (12.0 * rank))
        probabilities.append(min(1.0, f / math.sqrt(f)))
    return _host.array(probabilities, "float64")


def skipgrams(sequence: Any, vocabulary_size: int, window_size: int = 4, negative_samples: float = 1.0,
              shuffle: bool = True, categorical: bool = False, sampling_table: Any = None,
              seed: "int | None" = None) -> "tuple[list, list]":
    """Skip-gram couples of word indices with labels: 1 for a word and a neighbour, 0 for a word and a random word.

    Index 0 is a non-word and is skipped. With a `sampling_table`, word i is kept as a centre
    word with probability sampling_table[i]. `negative_samples` times as many negative
    couples as positive ones pair a centre word with a random index in [1, vocabulary_size).

    Randomness comes from Python's `random`: a private `random.Random(seed)` when `seed` is
    given (the same seed gives the same couples and labels, and the global generator is left
    alone), otherwise the global generator (seed it with `random.seed` to reproduce a run).

    Args:
        sequence: a list of word indices.
        vocabulary_size: the largest word index + 1.
        window_size: how many words on each side count as neighbours.
        negative_samples: the number of negative couples per positive couple (0 for none).
        shuffle: whether to shuffle the couples (labels follow them).
        categorical: labels as [0, 1] (positive) / [1, 0] (negative) instead of 1 / 0.
        sampling_table: a probability per word index, e.g. from `make_sampling_table`.
        seed: makes the result reproducible.

    Returns:
        (couples, labels): a list of [word, context] pairs and a list of labels.

    Example:
        >>> from multinn.preprocessing.sequence import skipgrams
        >>> skipgrams([1, 2, 3], vocabulary_size=4, window_size=1, negative_samples=0, shuffle=False)
        ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
        >>> skipgrams([1, 2, 3], 4, seed=7) == skipgrams([1, 2, 3], 4, seed=7)
        True
    """
    rng = random if seed is None else random.Random(seed)
    couples: list = []
    labels: list = []
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < rng.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j == i or not sequence[j]:
                continue
            couples.append([word, sequence[j]])
            labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        centres = [c[0] for c in couples]
        rng.shuffle(centres)
        for k in range(count):
            couples.append([centres[k % len(centres)], rng.randint(1, vocabulary_size - 1)])
            labels.append([1, 0] if categorical else 0)
    if shuffle:
        order = list(range(len(couples)))
        rng.shuffle(order)
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels
