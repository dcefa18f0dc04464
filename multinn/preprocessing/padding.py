"""`pad_sequences`: a list of variable-length sequences as one padded NumPy array."""
from __future__ import annotations

from typing import Any

from . import _host

_SIDES = ("pre", "post")


def pad_sequences(sequences: Any, maxlen: "int | None" = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> Any:
    """Pads (and truncates) sequences to one length: a NumPy array of shape (len(sequences), maxlen) + sample shape.

    Sequences shorter than `maxlen` get `value` before them (`padding='pre'`) or after them
    ('post'); longer ones lose their first (`truncating='pre'`) or last ('post') items. The
    items of a sequence may be numbers or arrays of one shape (the sample shape, read from
    the first non-empty sequence), giving an array of shape (n, maxlen) + sample shape.

    Args:
        sequences: a list of sequences (lists, tuples, NumPy arrays or K tensors).
        maxlen: the output length; the longest sequence's length when None.
        dtype: the output's dtype; `object` pads variable-length strings.
        padding: 'pre' or 'post': where the padding goes.
        truncating: 'pre' or 'post': which end of a long sequence is dropped.
        value: the padding value (a string needs dtype=object or a string dtype).

    Example:
        >>> from multinn.preprocessing.sequence import pad_sequences
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]]).tolist()
        [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post").tolist()
        [[1, 0], [2, 3], [4, 5]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be a list of sequences. Received: sequences={_host._short(sequences)}")
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"`{name}` must be 'pre' or 'post'. Received: {name}={side!r}")
    lengths = []
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError:
            raise ValueError("`sequences` must be a list of iterables. "
                             f"Found non-iterable: {_host._short(x)}") from None
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"`maxlen` must be a non-negative integer or None. Received: maxlen={maxlen!r}")
    maxlen = int(maxlen)
    kind = _host.dtype_of(dtype, "pad_sequences").kind
    if isinstance(value, str) and kind not in "OU":
        raise ValueError(f"pad_sequences: `value` is a string, which a {dtype!r} array cannot hold; use dtype=object "
                         f"for variable-length strings. Received: dtype={dtype!r}, value={value!r}")
    # Every sample must have the shape of the first non-empty sequence's samples.
    first = next((s for s, n in zip(sequences, lengths) if n), None)
    sample_shape = _host.shape_of(_host.to_host(first))[1:] if first is not None else ()
    out = _host.full((len(lengths), maxlen) + sample_shape, value, dtype)
    for position, (seq, n) in enumerate(zip(sequences, lengths)):
        if not n:
            continue
        seq = _host.to_host(seq)
        kept = seq[max(n - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        count = len(kept)
        if not count:
            continue
        start = 0 if padding == "post" else maxlen - count
        if sample_shape or kind not in "biufc" or _host.shape_of(kept[0]) != ():
            _check_samples(kept, sample_shape, position)
            out[position, start:start + count] = kept
            continue
        # Numbers into a 1-D slot: NumPy's assignment already rejects nested items (scanning
        # every item in Python first would double the cost); its error is made Keras's here.
        try:
            out[position, start:start + count] = kept
        except ValueError:
            _check_samples(kept, sample_shape, position)
            raise
    return out


def _check_samples(kept: Any, sample_shape: tuple, position: int) -> None:
    found = _host.shape_of(kept)[1:]
    if found != sample_shape:
        raise ValueError(f"Shape of sample {found} of sequence at position {position} is different from "
                         f"expected shape {sample_shape}")
