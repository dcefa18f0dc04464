"""Keras 2's `keras.preprocessing.sequence`: padding, skip-gram pairs and time-series batches.

Example:
    >>> from multinn.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
"""
from __future__ import annotations

from .padding import pad_sequences
from .skipgrams import make_sampling_table, skipgrams
from .timeseries import TimeseriesGenerator, timeseries_generator_from_json

__all__ = ["pad_sequences", "make_sampling_table", "skipgrams", "TimeseriesGenerator",
           "timeseries_generator_from_json"]


def _remove_long_seq(maxlen: int, seq: list, label: list) -> "tuple[list, list]":
    """Keeps the sequences shorter than `maxlen` and their labels (Keras 2's dataset loaders use it).

    Example:
        >>> _remove_long_seq(3, [[1], [1, 2, 3], [1, 2]], ["a", "b", "c"])
        ([[1], [1, 2]], ['a', 'c'])
    """
    kept = [(x, y) for x, y in zip(seq, label) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]
