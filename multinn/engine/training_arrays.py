"""The training, test and prediction loops over arrays (Keras 2's `training_arrays`).

Data arrive here as lists of K tensors on the model's backend (see training_utils);
each loop slices batches (a gather of shuffled indices, or plain slices) and calls the
model's one-batch steps, keeping per-batch Python work small.
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from . import training_utils as tu
from .epoch_loop import EpochBatches, host_validation_arrays, run_epochs, shuffle_rng


def fit_loop(
    model: Any,
    xs: list,
    ys: list,
    sws: list,
    val_ins: "tuple | None",
    batch_size: int,
    epochs: int,
    verbose: int,
    callbacks: Any,
    shuffle: Any,
    initial_epoch: int,
    steps_per_epoch: "int | None",
    validation_freq: Any = 1,
):
    """Trains `model` for epochs `initial_epoch`..`epochs - 1`; returns its History callback."""
    # Outputs without targets (no loss) and without weights have None slots: only arrays are batched.
    target_slots = [i for i, t in enumerate(ys) if t is not None]
    weight_slots = [i for i, w in enumerate(sws) if w is not None]
    ins = xs + [ys[i] for i in target_slots] + [sws[i] for i in weight_slots]
    n_x, n_t, n_y = len(xs), len(target_slots), len(ys)
    num_train = int(xs[0].shape[0])
    out_labels = list(model.metrics_names)
    params = {
        "batch_size": batch_size,
        "epochs": epochs,
        "steps": steps_per_epoch,
        "samples": num_train,
        "verbose": verbose,
        "do_validation": val_ins is not None,
        "metrics": out_labels + (["val_" + n for n in out_labels] if val_ins is not None else []),
    }
    rng = shuffle_rng() if shuffle == "batch" else None
    backend = model._model_backend()

    def one_pass():
        """One epoch's worth of batches, in a fresh order when shuffling."""
        if shuffle:
            if shuffle == "batch":
                chunks = tu.make_batches(num_train, batch_size)
                rng.shuffle(chunks)
                perm = [i for s, e in chunks for i in range(s, e)]
                with K.backend_scope(backend.name):
                    index = K.constant(perm, dtype="int32")
            else:
                with K.backend_scope(backend.name):
                    index = K.random_permutation(num_train)
            for start, end in tu.make_batches(num_train, batch_size):
                ids = index[start:end]
                yield end - start, [t[ids] for t in ins]  # in range by construction: no K.gather bounds read
        else:
            for start, end in tu.make_batches(num_train, batch_size):
                yield end - start, [t[start:end] for t in ins]

    def split(item):
        size, batch = item
        by, bw = [None] * n_y, [None] * n_y
        for j, slot in enumerate(target_slots):
            by[slot] = batch[n_x + j]
        for j, slot in enumerate(weight_slots):
            bw[slot] = batch[n_x + n_t + j]
        return size, batch[:n_x], by, bw

    if steps_per_epoch is not None:
        # Step-wise: the batches run on through the (reshuffled) data from one epoch to the next.
        def forever():
            while True:
                yield from one_pass()

        stream = forever()

        def epoch_batches():
            return EpochBatches(steps_per_epoch, lambda: split(next(stream)))
    else:
        per_epoch = len(tu.make_batches(num_train, batch_size))

        def epoch_batches():
            batches = one_pass()
            return EpochBatches(per_epoch, lambda: split(next(batches)))

    validate = None
    if val_ins is not None:
        def validate(last_size, callback_list):
            return test_loop(model, *val_ins, batch_size=batch_size, callbacks=callback_list)

    banner = None if val_ins is None else f"Train on {num_train} samples, validate on {int(val_ins[0][0].shape[0])} samples"
    return run_epochs(
        model, epoch_batches, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose, callbacks=callbacks,
        params=params, count_mode="steps" if steps_per_epoch is not None else "samples", validate=validate,
        validation_freq=validation_freq, validation_arrays=None if val_ins is None else host_validation_arrays(*val_ins),
        validate_stopped_epochs=steps_per_epoch is not None, banner=banner,
    )


def test_loop(model: Any, xs: list, ys: list, sws: list, batch_size: int, verbose: int = 0, callbacks: Any = None) -> list:
    """The loss and metrics over the data in test mode, averaged over samples (ordered as metrics_names).

    `callbacks` (a list, or fit's CallbackList during validation) get the test hooks.
    """
    from multinn.utils.progbar import Progbar

    n = int(xs[0].shape[0])
    callback_list = configured_callbacks(
        model, callbacks, {"batch_size": batch_size, "steps": None, "samples": n, "verbose": verbose}
    )
    bar = Progbar(target=n, verbose=verbose) if verbose == 1 else None  # Keras 2: a bar for verbose=1 only
    sums = values = None
    model.reset_metrics()
    callback_list.on_test_begin()
    for batch_index, (start, end) in enumerate(tu.make_batches(n, batch_size)):
        size = end - start
        batch_logs = {"batch": batch_index, "size": size}
        callback_list.on_test_batch_begin(batch_index, batch_logs)
        xs_batch, ys_batch, sws_batch = ([None if t is None else t[start:end] for t in items] for items in (xs, ys, sws))
        values = model._test_step(xs_batch, ys_batch, sws_batch)
        sums = tu.add_weighted(sums, values, size)
        batch_logs.update(zip(model.metrics_names, values))
        callback_list.on_test_batch_end(batch_index, batch_logs)
        if bar is not None and end < n:
            bar.update(end)
    logs = tu.epoch_values(list(model.metrics_names), sums, n, values, model._stateful_metrics_names())
    results = list(logs.values())
    if bar is not None:
        bar.update(n, values=list(zip(model.metrics_names, results)), finalize=True)
    callback_list.on_test_end()
    return results


def predict_loop(model: Any, xs: list, batch_size: int, verbose: int = 0, callbacks: Any = None) -> Any:
    """The model's outputs batch by batch in test mode, concatenated, as NumPy arrays.

    `callbacks` get the predict hooks; each batch's logs hold its 'outputs' (NumPy arrays).
    """
    from multinn.utils.progbar import Progbar

    n = int(xs[0].shape[0])
    callback_list = configured_callbacks(
        model, callbacks, {"batch_size": batch_size, "steps": None, "samples": n, "verbose": verbose}
    )
    bar = Progbar(target=n, verbose=verbose) if verbose == 1 else None
    chunks = None
    callback_list.on_predict_begin()
    for batch_index, (start, end) in enumerate(tu.make_batches(n, batch_size)):
        batch_logs = {"batch": batch_index, "size": end - start}
        callback_list.on_predict_batch_begin(batch_index, batch_logs)
        outs = model._predict_step([t[start:end] if (start, end) != (0, n) else t for t in xs])
        if chunks is None:
            chunks = [[] for _ in outs]
        for store, o in zip(chunks, outs):
            store.append(o)
        if len(callback_list):
            batch_logs["outputs"] = [o.numpy() for o in outs]
        callback_list.on_predict_batch_end(batch_index, batch_logs)
        if bar is not None:
            bar.update(end)
    if chunks is None:
        raise ValueError("predict() got no samples: the input arrays are empty.")
    results = []
    for store in chunks:
        joined = store[0] if len(store) == 1 else K.concatenate(store, axis=0)
        results.append(joined.numpy())
    callback_list.on_predict_end()
    return results[0] if len(results) == 1 else results


def configured_callbacks(model: Any, callbacks: Any, params: dict) -> Any:
    """`callbacks` as a CallbackList bound to `model` with `params`; a CallbackList (fit's own) as it is."""
    from multinn import callbacks as cbks

    if isinstance(callbacks, cbks.CallbackList):
        return callbacks
    callback_list = cbks.CallbackList(callbacks)
    callback_list.set_model(model)
    if hasattr(model, "metrics_names"):
        params = dict(params, metrics=list(model.metrics_names))
    callback_list.set_params(params)
    return callback_list
