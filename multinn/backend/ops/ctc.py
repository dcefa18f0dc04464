"""Connectionist temporal classification: the loss (K.ctc_batch_cost) and its label helper.

The decoders live in ctc_decode.py. Class `num_classes - 1` is the blank, as in Keras 2.
"""
from __future__ import annotations

from typing import Any

from .. import config
from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, to_tensor
from .math import expand_dims, log, logsumexp, reshape
from .sparse import SparseTensor
from .state import cast

__all__ = ["ctc_batch_cost", "ctc_label_dense_to_sparse"]


def _lse(xp, *terms):
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf, without log(0) warnings."""
    top = terms[0]
    for t in terms[1:]:
        top = xp.maximum(top, t)
    finite = xp.isfinite(top)
    shift = xp.where(finite, top, 0.0)
    total = sum(xp.exp(t - shift) for t in terms)
    return xp.where(finite, shift + xp.log(xp.where(finite, total, 1.0)), -xp.inf)


def _shifted(xp, a, by):
    """`a` moved `by` places along its last axis, -inf filling the start."""
    out = xp.full(a.shape, -xp.inf, dtype=a.dtype)
    out[:, by:] = a[:, :-by]
    return out


def _lattice(b, log_probs, labels, input_length, label_length):
    """Forward (alpha) and backward (beta) log-variables of the CTC lattice.

    log_probs: (batch, time, classes) normalised log-probabilities. The extended label of
    sample i is blank, l1, blank, l2, ..., blank (2 * label_length[i] + 1 states).
    Returns alpha, beta (time, batch, states), the emission log-probabilities per state,
    the extended labels and log P(label | input) per sample.
    """
    xp = b.xp
    lp = log_probs.astype("float64")
    batch, steps, classes = lp.shape
    blank = classes - 1
    n_labels = labels.shape[1]
    states = 2 * n_labels + 1
    in_len = input_length.astype("int64")
    lab_len = label_length.astype("int64")
    used = xp.arange(n_labels)[None, :] < lab_len[:, None]
    ext = xp.full((batch, states), blank, dtype="int64")
    ext[:, 1::2] = xp.where(used, labels.astype("int64"), blank)
    live = xp.arange(states)[None, :] < (2 * lab_len + 1)[:, None]
    skip = xp.zeros((batch, states), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    rows = xp.arange(batch)[:, None]
    emit = xp.stack([lp[:, t][rows, ext] for t in range(steps)])  # (time, batch, states)
    neg = -xp.inf

    alpha = xp.full((steps, batch, states), neg)
    start = xp.where((xp.arange(states)[None, :] < 2) & live, emit[0], neg)
    alpha[0] = xp.where((in_len > 0)[:, None], start, neg)
    for t in range(1, steps):
        prev = alpha[t - 1]
        step = _lse(xp, prev, _shifted(xp, prev, 1), xp.where(skip, _shifted(xp, prev, 2), neg)) + emit[t]
        alpha[t] = xp.where(live & (t < in_len)[:, None], step, neg)

    last = xp.clip(in_len - 1, 0, max(steps - 1, 0))
    final = alpha[last, xp.arange(batch)]  # (batch, states) at each sample's last frame
    end = 2 * lab_len
    log_p = _lse(xp, final[xp.arange(batch), end], xp.where(lab_len > 0, final[xp.arange(batch), xp.maximum(end - 1, 0)], neg))
    # An empty input explains only the empty label.
    log_p = xp.where(in_len > 0, log_p, xp.where(lab_len == 0, 0.0, neg))

    beta = xp.full((steps, batch, states), neg)
    tail = (xp.arange(states)[None, :] == end[:, None]) | ((xp.arange(states)[None, :] == (end - 1)[:, None]) & (lab_len > 0)[:, None])
    for t in range(steps - 1, -1, -1):
        if t + 1 < steps:
            nxt = beta[t + 1]
            up1 = xp.full(nxt.shape, neg)
            up1[:, :-1] = nxt[:, 1:]
            up2 = xp.full(nxt.shape, neg)
            up2[:, :-2] = xp.where(skip[:, 2:], nxt[:, 2:], neg)
            inner = _lse(xp, nxt, up1, up2) + emit[t]
        else:
            inner = xp.full((batch, states), neg)
        first = xp.where(tail, emit[t], neg)
        beta[t] = xp.where((t == in_len - 1)[:, None], first, xp.where((t < in_len - 1)[:, None], inner, neg))
        beta[t] = xp.where(live, beta[t], neg)
    return alpha, beta, emit, ext, log_p


def _nll_fwd(b, log_probs, labels, input_length, label_length):
    *_, log_p = _lattice(b, log_probs, labels, input_length, label_length)
    return (-log_p).astype(log_probs.dtype)


def _occupancy_fwd(b, log_probs, labels, input_length, label_length):
    """Expected number of visits of each class at each frame, given the label: the negative
    gradient of log P with respect to the log-probabilities. Zero for impossible labels."""
    xp = b.xp
    alpha, beta, emit, ext, log_p = _lattice(b, log_probs, labels, input_length, label_length)
    possible = xp.isfinite(log_p)
    gamma = alpha + beta - emit - xp.where(possible, log_p, 0.0)[None, :, None]
    visits = xp.where(xp.isfinite(gamma) & possible[None, :, None], xp.exp(xp.minimum(gamma, 0.0)), 0.0)
    classes = log_probs.shape[-1]
    one_hot = (ext[:, :, None] == xp.arange(classes)[None, None, :]).astype("float64")
    return xp.einsum("tbs,bsc->btc", visits, one_hot).astype(log_probs.dtype)


_occupancy = Primitive("ctc_occupancy", _occupancy_fwd)


def _nll_grad(dy, y, log_probs, labels, input_length, label_length):
    # d(-log P)/d(log-prob) = -occupancy; the occupancy itself is treated as constant (first order).
    visits = _occupancy(log_probs, labels, input_length, label_length)
    return (-reshape(dy, (-1, 1, 1)) * visits, None, None, None)


_ctc_nll = Primitive("ctc_nll", _nll_fwd, _nll_grad)


@deferred_on_graph
def ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any, label_length: Any) -> Tensor:
    """CTC loss of each sample: -log P(label | per-frame class probabilities), shape (samples, 1).

    As Keras 2: the last class is the blank; `y_pred` holds probabilities (a softmax's
    output), which are taken as log(y_pred + epsilon) and renormalised per frame; frames
    past `input_length` and labels past `label_length` are ignored. An impossible label
    (too long for its frames) costs inf. Differentiable in `y_pred` to first order (the
    gradient's own gradient treats the path posteriors as constants).

    Args:
        y_true: (samples, max_string_length) integer labels (padding beyond the length is ignored).
        y_pred: (samples, time_steps, num_categories) probabilities.
        input_length: (samples, 1) frames used per sample.
        label_length: (samples, 1) labels used per sample.

    Example:
        >>> from multinn import backend as K
        >>> probs = K.constant([[[0.5, 0.5], [0.5, 0.5]]])  # one class plus the blank
        >>> loss = K.ctc_batch_cost(K.constant([[0]]), probs, K.constant([[2]]), K.constant([[1]]))
        >>> round(float(K.eval(loss)[0, 0]), 4)  # -log(3/4): paths "a-", "-a", "aa"
        0.2877
    """
    y_pred = to_tensor(y_pred)
    if y_pred.ndim != 3:
        raise ValueError(f"K.ctc_batch_cost expects y_pred of shape (samples, time_steps, num_categories). Received: y_pred.shape={y_pred.shape}")
    backend = y_pred.backend
    labels = cast(to_tensor(y_true, backend), "int64")
    if labels.ndim == 1:
        labels = reshape(labels, (-1, 1))
    in_len = cast(reshape(to_tensor(input_length, backend), (-1,)), "int64")
    lab_len = cast(reshape(to_tensor(label_length, backend), (-1,)), "int64")
    samples = y_pred.shape[0]
    for name, t in (("y_true", labels), ("input_length", in_len), ("label_length", lab_len)):
        if t.shape[0] != samples:
            raise ValueError(f"K.ctc_batch_cost: {name} must have one row per sample of y_pred {y_pred.shape}. Received: {name}.shape={t.shape}")
    logits = log(y_pred + config.epsilon())
    log_probs = logits - logsumexp(logits, axis=-1, keepdims=True)
    return expand_dims(_ctc_nll(log_probs, labels, in_len, lab_len), 1)


def ctc_label_dense_to_sparse(labels: Any, label_lengths: Any) -> SparseTensor:
    """The first `label_lengths[i]` entries of each row of `labels` as a SparseTensor.

    Args:
        labels: (samples, max_length) dense labels.
        label_lengths: (samples,) how many entries of each row are labels.

    Example:
        >>> from multinn import backend as K
        >>> s = K.ctc_label_dense_to_sparse(K.constant([[3, 1, 0], [2, 0, 0]], dtype="int32"), K.constant([2, 1], dtype="int32"))
        >>> K.eval(s.indices).tolist(), K.eval(s.values).tolist(), s.dense_shape
        ([[0, 0], [0, 1], [1, 0]], [3, 1, 2], (2, 3))
    """
    labels = to_tensor(labels)
    lengths = to_tensor(label_lengths, labels.backend)
    if labels.ndim != 2:
        raise ValueError(f"K.ctc_label_dense_to_sparse expects labels of shape (samples, max_length). Received: labels.shape={labels.shape}")
    b = labels.backend
    xp = b.xp
    lengths_a = lengths.data.reshape(-1).astype("int64")
    if lengths_a.shape[0] != labels.shape[0]:
        raise ValueError(f"K.ctc_label_dense_to_sparse: label_lengths needs one entry per row of labels {labels.shape}. Received: label_lengths.shape={lengths.shape}")
    used = xp.arange(labels.shape[1])[None, :] < lengths_a[:, None]
    rows, cols = xp.nonzero(used)
    indices = xp.stack([rows, cols], axis=1).astype("int64")
    return SparseTensor(Tensor(indices, b), Tensor(labels.data[rows, cols], b), labels.shape)
