"""The epoch loop that `fit` (arrays) and `fit_generator` share, with Keras 2.3.1's epoch rules.

Each caller says where an epoch's batches come from and how to validate; this module runs
the callbacks, the per-batch steps, the epoch averages and the validation schedule once for
both, so the two ways of training cannot drift apart.
"""
from __future__ import annotations

import random
from typing import Any, Callable, NamedTuple

from multinn import backend as K

from . import training_utils as tu


class EpochBatches(NamedTuple):
    """The batches of one epoch: how many there are, and a callable drawing the next one.

    `draw()` returns `(size, xs, ys, sws)`: the batch's sample count and its standardised
    inputs, targets and sample weights (one entry per output, None where there are none).

    Example:
        >>> from multinn import backend as K
        >>> batches = EpochBatches(1, lambda: (2, [K.zeros((2, 3))], [K.ones((2, 1))], [None]))
        >>> batches.count, batches.draw()[0]
        (1, 2)
    """

    count: int
    draw: Callable[[], tuple]


def run_epochs(
    model: Any,
    epoch_batches: Callable[[], EpochBatches],
    *,
    epochs: int,
    initial_epoch: int,
    verbose: int,
    callbacks: Any,
    params: dict,
    count_mode: str,
    validate: "Callable[[int, Any], list] | None" = None,
    validation_freq: Any = 1,
    validation_arrays: "list | None" = None,
    validate_stopped_epochs: bool = False,
    after_epoch: "Callable[[Any], None] | None" = None,
    banner: "str | None" = None,
) -> Any:
    """Trains `model` for epochs `initial_epoch`..`epochs - 1` and returns its History callback.

    Args:
        model: the compiled Model.
        epoch_batches: called at each epoch's start; the epoch's batches.
        epochs, initial_epoch, verbose: as `fit` takes them.
        callbacks: the user's callbacks (a list, or None).
        params: the callbacks' `params` (Keras 2's keys for the caller's kind of data).
        count_mode: 'samples' or 'steps', for the progress bar.
        validate: `validate(last_batch_size, callback_list)` -> the validation values
            (ordered as `metrics_names`); None when there is no validation data.
        validation_freq: as `fit` takes it.
        validation_arrays: handed to every callback as `validation_data` (Keras 2).
        validate_stopped_epochs: validate an epoch that `stop_training` cut short too (Keras
            2.3.1 does so for step-wise training on arrays only); otherwise an epoch validates
            only once its last batch ran, as Keras 2.3.1's sample-wise and generator loops do.
        after_epoch: called with the CallbackList after each epoch's callbacks (a Sequence
            read whole each epoch hears `on_epoch_end` there).
        banner: printed once before training when `verbose` (Keras 2's "Train on ...").

    Example:
        >>> import multinn
        >>> from multinn import backend as K
        >>> from multinn.layers import Dense
        >>> model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="zeros")])
        >>> model.compile("sgd", "mse")
        >>> batch = (1, [K.constant([[1.0]])], [K.constant([[2.0]])], [None])
        >>> history = run_epochs(model, lambda: EpochBatches(1, lambda: batch), epochs=2, initial_epoch=0,
        ...                      verbose=0, callbacks=None, params={}, count_mode="steps")
        >>> history.history["loss"][0]
        4.0
    """
    from multinn import callbacks as cbks

    if validate is not None:
        tu.should_run_validation(validation_freq, 0)  # checks it before the first epoch
    model.history = cbks.History()
    callback_list = [model.history]
    if callbacks:
        callback_list = list(callbacks) + callback_list
    if verbose:
        callback_list.insert(0, cbks.ProgbarLogger(count_mode=count_mode, stateful_metrics=model._stateful_metrics_names()))
    callback_list = cbks.CallbackList(callback_list)
    callback_list.set_model(model)
    callback_list.set_params(dict(params))
    if verbose and banner and not _quiet_worker():
        print(banner)
    if validation_arrays is not None:
        for callback in callback_list:
            callback.validation_data = validation_arrays
    model.stop_training = False
    # Without a progress bar or user callbacks nobody reads per-batch values: keep them on
    # the device and read the epoch's sums once (no sync per batch on a GPU). verbose=2
    # prints once per epoch, from the epoch's values, so it reads no batch either.
    per_batch_floats = verbose == 1 or bool(callbacks)
    out_labels = list(model.metrics_names)
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        batches = epoch_batches()
        sums = last = None
        pending = []  # (values, size) per batch, read in one go at the end of the epoch
        seen = ran = size = 0
        for batch_index in range(batches.count):
            size, xs, ys, sws = batches.draw()
            batch_logs = {"batch": batch_index, "size": size}
            callback_list.on_batch_begin(batch_index, batch_logs)
            values = model._train_step(xs, ys, sws, as_float=per_batch_floats)
            if len(out_labels) != len(values):  # a subclassed model names its metrics at its first step
                out_labels = list(model.metrics_names)
            batch_logs.update(zip(out_labels, values))
            if per_batch_floats:
                sums = tu.add_weighted(sums, values, size)
            else:
                pending.append((values, size))
            last = values
            seen += size
            ran += 1
            callback_list.on_batch_end(batch_index, batch_logs)
            if model.stop_training:
                break
        if pending:
            sums = device_sums(pending)
            last = device_floats(pending[-1][0])
        epoch_logs = tu.epoch_values(out_labels, sums, seen, last, model._stateful_metrics_names())
        completed = ran == batches.count or validate_stopped_epochs
        if validate is not None and completed and tu.should_run_validation(validation_freq, epoch):
            for label, v in zip(out_labels, validate(size, callback_list)):
                epoch_logs["val_" + label] = v
        callback_list.on_epoch_end(epoch, epoch_logs)
        if after_epoch is not None:
            after_epoch(callback_list)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history


def host_validation_arrays(xs: list, ys: list, sws: list) -> list:
    """The validation inputs, targets and sample weights (ones where there are none) as NumPy
    arrays: what Keras 2 hands callbacks as `validation_data`.

    Example:
        >>> from multinn import backend as K
        >>> arrays = host_validation_arrays([K.zeros((2, 3))], [K.ones((2, 1))], [None])
        >>> [a.shape for a in arrays]
        [(2, 3), (2, 1), (2,)]
    """
    n = int(xs[0].shape[0])
    fed = [i for i, t in enumerate(ys) if t is not None]  # outputs without a loss take no targets
    arrays = [t.numpy() for t in list(xs) + [ys[i] for i in fed]]
    return arrays + [K.ones((n,)).numpy() if sws[i] is None else sws[i].numpy() for i in fed]


def shuffle_rng() -> random.Random:
    """A generator for epoch shuffles seeded from K's global random stream (so
    `set_random_seed` fixes the order).

    Example:
        >>> from multinn.utils import set_random_seed
        >>> set_random_seed(3); a = shuffle_rng().random()
        >>> set_random_seed(3); a == shuffle_rng().random()
        True
    """
    with K.no_grad():
        draw = K.random_uniform((2,), 0.0, 1.0, dtype="float64")
    a, b = draw.numpy().tolist()
    return random.Random(int(a * 2**31) ^ (int(b * 2**31) << 1))


def device_floats(values: list) -> list:
    """One batch's tensors as Python floats (arrays for metrics with several thresholds).

    Example:
        >>> from multinn import backend as K
        >>> device_floats([K.constant(2.0)])
        [2.0]
    """
    with K.no_grad():
        return [float(v) if K.size(v) == 1 else K.eval(v) for v in values]


def device_sums(pending: list) -> list:
    """Size-weighted sums of per-batch scalar tensors `[(values, size), ...]`, with one read
    per value kind.

    Example:
        >>> from multinn import backend as K
        >>> device_sums([([K.constant(1.0)], 2), ([K.constant(4.0)], 1)])
        [6.0]
    """
    sizes = [size for _, size in pending]
    sums = []
    with K.no_grad():
        for j in range(len(pending[0][0])):
            column = K.stack([values[j] for values, _ in pending]).numpy()
            # Scalars as Python floats; a metric with several thresholds gives rows of values.
            column = column.tolist() if column.ndim == 1 else column.astype("float64")
            sums.append(sum(v * size for v, size in zip(column, sizes)))
    return sums


def _quiet_worker() -> bool:
    """A data-parallel worker whose progress output rank 0 gives (multinn.distribute.init)."""
    from multinn.distribute.world import is_quiet_worker

    return is_quiet_worker()
