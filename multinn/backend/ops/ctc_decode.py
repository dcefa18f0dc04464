"""K.ctc_decode: best-path (greedy) and prefix beam search decoding of CTC outputs.

Decoding is a search over label prefixes with data-dependent branching, so it runs in plain
Python over the per-frame log-probabilities (one host read); it is not differentiable.
Its results follow Keras 2.3.1 on TensorFlow: the last class is the blank, inputs are
log(y_pred + epsilon), and each decoded path is a dense (samples, longest) int64 tensor
padded with -1.
"""
from __future__ import annotations

import math
from typing import Any

from .. import config
from ..tensor import Tensor
from .core import deferred_on_graph, to_array_on, to_tensor

__all__ = ["ctc_decode"]

_NEG = -math.inf


def _logaddexp(a: float, b: float) -> float:
    if a == _NEG:
        return b
    if b == _NEG:
        return a
    top = a if a > b else b
    return top + math.log1p(math.exp(-abs(a - b)))


def _greedy(frames: list, blank: int) -> tuple:
    """Best class per frame; repeats merged, then blanks dropped. Score: -sum of the best logits."""
    labels = []
    score = 0.0
    previous = -1
    for row in frames:
        best = max(range(len(row)), key=row.__getitem__)  # the first of equal maxima
        score -= row[best]
        if best != blank and best != previous:
            labels.append(best)
        previous = best
    return labels, score


class _Prefix:
    """A node of the prefix tree: a label sequence with the log-probability of ending in a
    blank, in its last label, and in total, at the previous frame (`old_*`) and this one."""

    __slots__ = ("parent", "label", "children", "old_blank", "old_label", "old_total", "blank", "last", "total")

    def __init__(self, parent: "_Prefix | None", label: int) -> None:
        self.parent = parent
        self.label = label
        self.children: dict = {}
        self.old_blank = self.old_label = self.old_total = _NEG
        self.blank = self.last = self.total = _NEG

    def active(self) -> bool:
        return self.total != _NEG

    def drop(self) -> None:
        self.blank = self.last = self.total = _NEG

    def child(self, label: int) -> "_Prefix":
        node = self.children.get(label)
        if node is None:
            node = self.children[label] = _Prefix(self, label)
        return node

    def labels(self, merge_repeated: bool) -> list:
        out = []
        following = -1
        node = self
        while node.parent is not None:
            if not merge_repeated or node.label != following:
                out.append(node.label)
            following = node.label
            node = node.parent
        return out[::-1]


class _Beam:
    """The live prefixes, at most `width` of them (the most probable)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.items: list = []

    def bottom(self) -> _Prefix:
        return min(self.items, key=lambda p: p.total)

    def full(self) -> bool:
        return len(self.items) >= self.width

    def admits(self, total: float) -> bool:
        return total > _NEG and (not self.full() or total > self.bottom().total)

    def push(self, node: _Prefix) -> None:
        if not self.full():
            self.items.append(node)
            return
        low = self.bottom()
        if node.total > low.total:
            self.items[self.items.index(low)] = node

    def take_sorted(self) -> list:
        out = sorted(self.items, key=lambda p: p.total, reverse=True)
        self.items = []
        return out


def _beam_search(frames: list, blank: int, width: int, top_paths: int, merge_repeated: bool) -> tuple:
    """Prefix beam search over per-frame logits (normalised here by a log-softmax)."""
    root = _Prefix(None, -1)
    root.blank = root.total = 0.0
    beam = _Beam(width)
    beam.push(root)
    classes = len(frames[0]) if frames else blank + 1
    for row in frames:
        top = max(row)
        norm = top + math.log(sum(math.exp(v - top) for v in row))
        logp = [v - norm for v in row]
        branches = beam.take_sorted()
        for node in branches:
            node.old_blank, node.old_label, node.old_total = node.blank, node.last, node.total
        # The same prefixes one frame later: its last label again, or a blank.
        for node in branches:
            if node.parent is not None:
                last = node.last
                if node.parent.active():
                    # A repeated label needs a blank between the two; another label does not.
                    before = node.parent.old_blank if node.label == node.parent.label else node.parent.old_total
                    last = _logaddexp(last, before)
                node.last = last + logp[node.label]
            node.blank = node.old_total + logp[blank]
            node.total = _logaddexp(node.blank, node.last)
            beam.push(node)
        # Longer prefixes: one more non-blank label.
        for node in branches:
            if not beam.admits(node.old_total):
                continue
            for label in range(classes):
                if label == blank:
                    continue
                c = node.child(label)
                if c.active():
                    continue
                c.blank = _NEG
                c.last = logp[label] + (node.old_blank if label == node.label else node.old_total)
                c.total = c.last
                if beam.admits(c.total):
                    if beam.full():
                        beam.bottom().drop()
                    beam.push(c)
                else:
                    c.drop()
                    c.old_blank = c.old_label = c.old_total = _NEG
    ranked = sorted(beam.items, key=lambda p: p.total, reverse=True)
    if top_paths > len(ranked):
        raise ValueError(
            f"K.ctc_decode found {len(ranked)} distinct paths, fewer than requested. Received: top_paths={top_paths}"
        )
    ranked = ranked[:top_paths]
    return [p.labels(merge_repeated) for p in ranked], [p.total for p in ranked]


def _padded(backend, rows: list) -> Tensor:
    longest = max((len(r) for r in rows), default=0)
    dense = [list(r) + [-1] * (longest - len(r)) for r in rows]
    array = to_array_on(dense, backend, "int64").reshape(len(rows), longest)
    return Tensor(array, backend)


@deferred_on_graph
def ctc_decode(
    y_pred: Any,
    input_length: Any,
    greedy: bool = True,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = False,
) -> tuple:
    """Decodes CTC outputs to label sequences (Keras 2.3.1's signature and results).

    Args:
        y_pred: (samples, time_steps, num_categories) probabilities (a softmax's output);
            the last category is the blank.
        input_length: (samples,) frames to decode per sample.
        greedy: best path (the most probable class per frame) when True, else beam search.
        beam_width: prefixes kept per frame by the beam search.
        top_paths: how many most probable paths the beam search returns.
        merge_repeated: beam search only: also merge equal consecutive labels of a path
            (the greedy decoder always merges repeats, as CTC does).

    Returns:
        (decoded, log_prob): `decoded` is a list of `top_paths` (1 when greedy) int64
        tensors (samples, longest decoded length), padded with -1; `log_prob` is
        (samples, top_paths): for greedy the negative sum of each frame's best log-probability,
        for beam search the log-probability of each path.

    Example:
        >>> from multinn import backend as K
        >>> probs = K.constant([[[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]])
        >>> decoded, log_prob = K.ctc_decode(probs, K.constant([4], dtype="int32"))
        >>> K.eval(decoded[0]).tolist()
        [[0, 1]]
    """
    y_pred = to_tensor(y_pred)
    if y_pred.ndim != 3:
        raise ValueError(f"K.ctc_decode expects y_pred of shape (samples, time_steps, num_categories). Received: y_pred.shape={y_pred.shape}")
    backend = y_pred.backend
    samples, steps, classes = y_pred.shape
    lengths = [int(n) for n in to_tensor(input_length, backend).numpy().reshape(-1).tolist()]
    if len(lengths) != samples:
        raise ValueError(f"K.ctc_decode: input_length needs one entry per sample of y_pred {y_pred.shape}. Received: {len(lengths)} entries")
    if not greedy and not 1 <= int(top_paths) <= int(beam_width):
        raise ValueError(f"K.ctc_decode: top_paths must be between 1 and beam_width={beam_width}. Received: top_paths={top_paths}")
    xp = backend.xp
    logits = xp.log(y_pred.data.astype("float64") + config.epsilon()).tolist()  # one host read
    blank = classes - 1
    n_paths = 1 if greedy else int(top_paths)
    paths = [[] for _ in range(n_paths)]
    scores = []
    for i in range(samples):
        frames = logits[i][: max(0, min(lengths[i], steps))]
        if greedy:
            labels, score = _greedy(frames, blank)
            paths[0].append(labels)
            scores.append([score])
        else:
            found, logps = _beam_search(frames, blank, int(beam_width), n_paths, bool(merge_repeated))
            for k in range(n_paths):
                paths[k].append(found[k])
            scores.append(logps)
    decoded = [_padded(backend, rows) for rows in paths]
    log_prob = Tensor(to_array_on(scores, backend, y_pred.dtype if y_pred.dtype.kind == "f" else config.floatx()), backend)
    return decoded, log_prob
