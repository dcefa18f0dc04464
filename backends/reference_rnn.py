"""NumPy reference, part 4: sequences: the recurrent loop, CTC loss and greedy CTC decoding,
and the functional loops (map_fn, foldl, foldr).

Plain Python loops over time steps and label positions; see `reference.py` for what the
reference is for.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from . import reference_settings as settings

Array = np.ndarray


def rnn(
    step_function: Callable,
    inputs: Array,
    initial_states: Sequence[Array],
    go_backwards: bool = False,
    mask: "Array | None" = None,
    constants: "Sequence[Array] | None" = None,
    unroll: bool = False,
    input_length: "int | None" = None,
) -> tuple:
    """Runs `step_function(inputs[:, t], states + constants) -> (output, new_states)` over the
    time axis (backwards when go_backwards; outputs stay in the order computed). Where
    mask[:, t] is 0, a sample keeps its previous output (zeros before the first) and states.
    `unroll` and `input_length` change nothing here.

    Returns:
        (last_output, outputs (samples, time, ...), last_states)

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> step = lambda x, states: (x + states[0], [x + states[0]])
        >>> last, outputs, states = R.rnn(step, np.ones((1, 3, 1)), [np.zeros((1, 1))])
        >>> outputs[0, :, 0].tolist(), last.tolist()
        ([1.0, 2.0, 3.0], [[3.0]])
    """
    inputs = np.asarray(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"rnn needs inputs of rank 3 or more (samples, time, ...). Received: inputs.shape={inputs.shape}")
    states = [np.asarray(s) for s in initial_states]
    constants = [np.asarray(c) for c in (constants or [])]
    steps = inputs.shape[1]
    if mask is not None:
        mask = np.asarray(mask).astype(bool)
        if mask.shape != inputs.shape[:2]:
            raise ValueError(f"mask must have shape (samples, time) = {inputs.shape[:2]}. Received: mask.shape={mask.shape}")
    outputs: list = []
    previous = None
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        output, new_states = step_function(inputs[:, t], states + constants)
        output = np.asarray(output)
        new_states = [np.asarray(s) for s in new_states]
        if mask is not None:
            keep = mask[:, t]
            if previous is None:
                previous = np.zeros_like(output)
            output = np.where(keep.reshape(keep.shape + (1,) * (output.ndim - 1)), output, previous)
            new_states = [
                np.where(keep.reshape(keep.shape + (1,) * (new.ndim - 1)), new, old) for new, old in zip(new_states, states)
            ]
        outputs.append(output)
        previous = output
        states = new_states
    return outputs[-1], np.stack(outputs, axis=1), states


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    top = max(a, b)
    return top + math.log(math.exp(a - top) + math.exp(b - top))


def _ctc_negative_log_likelihood(log_probs: list, labels: list, blank: int) -> float:
    """The CTC forward recursion over the label sequence with a blank around each label."""
    extended = [blank]
    for label in labels:
        extended += [label, blank]
    alpha = [-math.inf] * len(extended)
    alpha[0] = log_probs[0][blank]
    if len(extended) > 1:
        alpha[1] = log_probs[0][extended[1]]
    for frame in log_probs[1:]:
        new = [-math.inf] * len(extended)
        for s, symbol in enumerate(extended):
            total = alpha[s]
            if s >= 1:
                total = _log_add(total, alpha[s - 1])
            if s >= 2 and symbol != blank and symbol != extended[s - 2]:
                total = _log_add(total, alpha[s - 2])
            new[s] = total + frame[symbol] if total != -math.inf else -math.inf
        alpha = new
    tail = alpha[-1] if len(extended) == 1 else _log_add(alpha[-1], alpha[-2])
    return -tail


def ctc_batch_cost(y_true: Array, y_pred: Array, input_length: Array, label_length: Array) -> Array:
    """CTC loss per sample, (samples, 1): -log of the probability of the label sequence summed over
    every alignment of the first input_length frames. y_pred (samples, time, classes) holds
    probabilities, the last class is the blank; as Keras 2 they are renormalised after adding
    epsilon (TensorFlow takes log(y_pred + epsilon) as logits).

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> y = np.array([[[0.5, 0.5], [0.5, 0.5]]])  # class 0, blank 1; paths for "0": 00, 0b, b0
        >>> cost = R.ctc_batch_cost(np.array([[0]]), y, np.array([[2]]), np.array([[1]]))
        >>> print(f"{float(cost[0, 0]):.5f} {-np.log(0.75):.5f}")
        0.28768 0.28768
    """
    y_pred = np.asarray(y_pred, dtype="float64")
    y_true = np.asarray(y_true)
    eps = settings.epsilon()
    blank = y_pred.shape[-1] - 1
    costs = np.zeros((y_pred.shape[0], 1))
    for i in range(y_pred.shape[0]):
        frames = int(np.asarray(input_length).reshape(-1)[i])
        labels = [int(v) for v in y_true[i, : int(np.asarray(label_length).reshape(-1)[i])]]
        shifted = y_pred[i, :frames] + eps
        log_probs = np.log(shifted / shifted.sum(axis=-1, keepdims=True)).tolist()
        costs[i, 0] = _ctc_negative_log_likelihood(log_probs, labels, blank)
    return costs


def ctc_decode(
    y_pred: Array,
    input_length: Array,
    greedy: bool = True,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = False,
) -> tuple:
    """Best path decoding: the most likely class of each of the first input_length frames,
    repeats merged, blanks (the last class) dropped.

    Returns:
        ([decoded], log_prob): decoded (samples, longest) int64 padded with -1; log_prob
        (samples, 1), minus the sum over frames of log(best probability + epsilon).

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> y = np.array([[[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.7, 0.3]]])  # blank = class 1
        >>> decoded, log_prob = R.ctc_decode(y, np.array([4]))
        >>> decoded[0].tolist()
        [[0, 0]]
    """
    if not greedy:
        raise NotImplementedError("The reference decodes greedily only (greedy=True).")
    y_pred = np.asarray(y_pred)
    lengths = np.asarray(input_length).reshape(-1)
    blank = y_pred.shape[-1] - 1
    eps = settings.epsilon()
    sequences, log_prob = [], np.zeros((y_pred.shape[0], 1))
    for i in range(y_pred.shape[0]):
        previous, sequence, score = None, [], 0.0
        for t in range(int(lengths[i])):
            frame = y_pred[i, t].tolist()
            best = max(range(len(frame)), key=lambda c: (frame[c], -c))
            score -= math.log(frame[best] + eps)
            if best != previous and best != blank:
                sequence.append(best)
            previous = best
        sequences.append(sequence)
        log_prob[i, 0] = score
    width = max((len(s) for s in sequences), default=0)
    decoded = np.full((len(sequences), width), -1, dtype="int64")
    for i, sequence in enumerate(sequences):
        decoded[i, : len(sequence)] = sequence
    return [decoded], log_prob


def map_fn(fn: Callable, elems: Array, name: "str | None" = None, dtype: Any = None) -> Array:
    """fn applied to each entry of elems along its first axis, results stacked.

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> R.map_fn(np.sum, np.array([[1, 2], [3, 4]])).tolist()
        [3, 7]
    """
    out = np.stack([np.asarray(fn(e)) for e in np.asarray(elems)])
    return out.astype(dtype) if dtype is not None else out


def foldl(fn: Callable, elems: Array, initializer: Any = None, name: "str | None" = None) -> Array:
    """fn(accumulator, entry) over elems from first to last; the first entry starts it when no initializer.

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> R.foldl(lambda a, b: a * 10 + b, np.array([1, 2, 3])).tolist()
        123
    """
    elems = list(np.asarray(elems))
    accumulator = elems.pop(0) if initializer is None else initializer
    for entry in elems:
        accumulator = fn(accumulator, entry)
    return np.asarray(accumulator)


def foldr(fn: Callable, elems: Array, initializer: Any = None, name: "str | None" = None) -> Array:
    """fn(accumulator, entry) over elems from last to first.

    Example:
        >>> from multinn.backends import reference_rnn as R
        >>> R.foldr(lambda a, b: a * 10 + b, np.array([1, 2, 3])).tolist()
        321
    """
    return foldl(fn, np.asarray(elems)[::-1], initializer)
