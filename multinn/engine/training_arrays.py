"""The training, test and prediction loops over arrays (Keras 2's `training_arrays`).

Data arrive here as lists of K tensors on the model's backend (see training_utils);
each loop slices batches (a gather of shuffled indices, or plain slices) and calls the
model's one-batch steps, keeping per-batch Python work small.
"""
from __future__ import annotations

import random
from typing import Any

from multinn import backend as K

from . import training_utils as tu


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
    from multinn import callbacks as cbks

    # Outputs without targets (no loss) and without weights have None slots: only arrays are batched.
    target_slots = [i for i, t in enumerate(ys) if t is not None]
    weight_slots = [i for i, w in enumerate(sws) if w is not None]
    ins = xs + [ys[i] for i in target_slots] + [sws[i] for i in weight_slots]
    n_x, n_t, n_y = len(xs), len(target_slots), len(ys)

    model.history = cbks.History()
    callback_list = [model.history]
    if callbacks:
        callback_list = list(callbacks) + callback_list
    out_labels = list(model.metrics_names) if model._output_setup is not None else ["loss"]
    if verbose:
        mode = "steps" if steps_per_epoch is not None else "samples"
        callback_list.insert(0, cbks.ProgbarLogger(count_mode=mode, stateful_metrics=model._stateful_metrics_names()))
    callback_list = cbks.CallbackList(callback_list)
    callback_list.set_model(model)
    num_train = int(xs[0].shape[0])
    metrics_for_callbacks = out_labels + (["val_" + n for n in out_labels] if val_ins is not None else [])
    callback_list.set_params(
        {
            "batch_size": batch_size,
            "epochs": epochs,
            "steps": steps_per_epoch,
            "samples": num_train,
            "verbose": verbose,
            "do_validation": val_ins is not None,
            "metrics": metrics_for_callbacks,
        }
    )
    if val_ins is not None:
        tu.should_run_validation(validation_freq, 0)  # checks it before the first epoch
    if verbose and val_ins is not None:
        print("Train on %d samples, validate on %d samples" % (num_train, int(val_ins[0][0].shape[0])))
    if val_ins is not None:
        # Keras 2 hands callbacks the validation arrays: inputs, targets, sample weights (ones if none).
        validation_arrays = _host_arrays(*val_ins)
        for callback in callback_list:
            callback.validation_data = validation_arrays
    model.stop_training = False
    rng = random.Random(_shuffle_seed()) if shuffle == "batch" else None
    backend = model._model_backend()

    def epoch_batches():
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

    def stream():
        while True:
            yield from epoch_batches()

    batches_forever = stream() if steps_per_epoch is not None else None
    # Without a progress bar or user callbacks nobody reads per-batch values: keep them
    # on the device and read the epoch's sums once (no sync per batch on a GPU). verbose=2
    # prints once per epoch, from the epoch's values, so it reads no batch either.
    per_batch_floats = verbose == 1 or bool(callbacks)
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        sums = last = None
        pending = []  # (values, size) per batch, read in one go at the end of the epoch
        seen = 0
        source = (next(batches_forever) for _ in range(steps_per_epoch)) if batches_forever is not None else epoch_batches()
        for batch_index, (size, batch) in enumerate(source):
            batch_logs = {"batch": batch_index, "size": size}
            callback_list.on_batch_begin(batch_index, batch_logs)
            bx = batch[:n_x]
            by, bw = [None] * n_y, [None] * n_y
            for j, slot in enumerate(target_slots):
                by[slot] = batch[n_x + j]
            for j, slot in enumerate(weight_slots):
                bw[slot] = batch[n_x + n_t + j]
            values = model._train_step(bx, by, bw, as_float=per_batch_floats)
            if len(out_labels) != len(values):
                out_labels = list(model.metrics_names)
            for label, v in zip(out_labels, values):
                batch_logs[label] = v
            if per_batch_floats:
                sums = tu.add_weighted(sums, values, size)
            else:
                pending.append((values, size))
            last = values
            seen += size
            callback_list.on_batch_end(batch_index, batch_logs)
            if model.stop_training:
                break
        if pending:
            sums = _device_sums(pending)
            last = _device_floats(pending[-1][0])
            pending = []
        epoch_logs = tu.epoch_values(out_labels, sums, seen, last, model._stateful_metrics_names())
        # Keras 2 validates only an epoch that ran all its batches (samples mode).
        completed = steps_per_epoch is not None or not model.stop_training
        if val_ins is not None and completed and tu.should_run_validation(validation_freq, epoch):
            val_values = test_loop(model, *val_ins, batch_size=batch_size, callbacks=callback_list)
            for label, v in zip(out_labels, val_values):
                epoch_logs["val_" + label] = v
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history


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


def _host_arrays(xs: list, ys: list, sws: list) -> list:
    """The validation inputs, targets and sample weights (ones where there are none) as NumPy arrays."""
    n = int(xs[0].shape[0])
    fed = [i for i, t in enumerate(ys) if t is not None]  # outputs without a loss take no targets
    arrays = [t.numpy() for t in list(xs) + [ys[i] for i in fed]]
    return arrays + [K.ones((n,)).numpy() if sws[i] is None else sws[i].numpy() for i in fed]


def _shuffle_seed() -> int:
    """A seed for the epoch shuffles drawn from K's global random stream (so set_random_seed fixes it)."""
    with K.no_grad():
        draw = K.random_uniform((2,), 0.0, 1.0, dtype="float64")
    a, b = draw.numpy().tolist()
    return int(a * 2**31) ^ (int(b * 2**31) << 1)


def _device_floats(values: list) -> list:
    """One batch's tensors as Python floats (arrays for metrics with several thresholds)."""
    with K.no_grad():
        return [float(v) if K.size(v) == 1 else K.eval(v) for v in values]


def _device_sums(pending: list) -> list:
    """Size-weighted sums of per-batch scalar tensors, with one read per value kind."""
    sizes = [size for _, size in pending]
    sums = []
    with K.no_grad():
        for j in range(len(pending[0][0])):
            column = K.stack([values[j] for values, _ in pending]).numpy()
            # Scalars as Python floats; a metric with several thresholds gives rows of values.
            column = column.tolist() if column.ndim == 1 else column.astype("float64")
            sums.append(sum(v * size for v, size in zip(column, sizes)))
    return sums
