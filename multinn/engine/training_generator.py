"""Training, test and prediction over generators of batches (Keras 2's `training_generator`).

A generator (or a `Sequence` with __len__ and __getitem__) yields (x, y) or
(x, y, sample_weight) batches; each batch is standardised like array input.
"""
from __future__ import annotations

import random
from typing import Any

from multinn import backend as K

from .base_layer import to_list
from .epoch_loop import EpochBatches, host_validation_arrays, run_epochs, shuffle_rng
from .loop_arguments import split_validation_data
from .training_arrays import configured_callbacks, test_loop
from .training_utils import add_weighted, epoch_values


def fit_generator(model: Any, generator: Any, steps_per_epoch: "int | None" = None, epochs: int = 1, verbose: int = 1,
                  callbacks: Any = None, validation_data: Any = None, validation_steps: "int | None" = None,
                  validation_freq: Any = 1, class_weight: Any = None, initial_epoch: int = 0, shuffle: bool = True,
                  **kwargs: Any) -> Any:
    """Trains on batches from a generator (or a `Sequence`): `steps_per_epoch` batches per epoch."""
    model._check_compiled()
    # A Sequence read without a step count is read whole each epoch, its length asked anew:
    # `on_epoch_end` may change it (Keras 2).
    per_pass = steps_per_epoch is None and _is_sequence(generator)
    steps_per_epoch = _steps(generator, steps_per_epoch, "steps_per_epoch")
    val_arrays = None
    if isinstance(validation_data, (tuple, list)):
        val_arrays = model._standardize_user_data(*split_validation_data(validation_data), argument="validation_data")
    elif validation_data is not None:
        validation_steps = _steps(validation_data, validation_steps, "validation_steps")
    # A subclassed model knows its metric names after its first step: none given, the
    # loggers show what the logs hold.
    names = list(model.metrics_names) if model._output_setup is not None else []
    names += ["val_" + n for n in names] if validation_data is not None else []
    params = {"epochs": epochs, "steps": steps_per_epoch, "verbose": verbose,
              "do_validation": validation_data is not None, "metrics": names}
    shuffle_order = shuffle_rng() if shuffle else None
    iterator = _one_pass(generator, shuffle_order) if per_pass else _batch_iterator(generator, shuffle=shuffle)

    def draw():
        x, y, sw = _unpack(next(iterator))
        xs, ys, sws = model._standardize_user_data(x, y, sw, class_weight)
        return int(xs[0].shape[0]), xs, ys, sws

    def epoch_batches():
        return EpochBatches(params["steps"], draw)

    def after_epoch(callback_list):
        nonlocal iterator
        if per_pass:
            if hasattr(generator, "on_epoch_end"):
                generator.on_epoch_end()
            params["steps"] = len(generator)
            callback_list.set_params(dict(params))
            iterator = _one_pass(generator, shuffle_order)

    validate = None
    if val_arrays is not None:
        # Keras 2.3.1 validates arrays in batches the size of the epoch's last training batch.
        def validate(last_size, callback_list):
            return test_loop(model, *val_arrays, batch_size=max(last_size, 1), callbacks=callback_list)
    elif validation_data is not None:
        def validate(last_size, callback_list):
            return to_list(evaluate_generator(model, validation_data, steps=validation_steps, callbacks=callback_list))

    return run_epochs(
        model, epoch_batches, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose, callbacks=callbacks,
        params=params, count_mode="steps", validate=validate, validation_freq=validation_freq,
        validation_arrays=None if val_arrays is None else host_validation_arrays(*val_arrays), after_epoch=after_epoch,
    )


def evaluate_generator(model: Any, generator: Any, steps: "int | None" = None, callbacks: Any = None,
                       verbose: int = 0, **kwargs: Any) -> Any:
    """The loss (and metrics) averaged over `steps` batches of a generator; `callbacks` get the test hooks."""
    from multinn.utils.progbar import Progbar

    model._check_compiled()
    steps = _steps(generator, steps, "steps")
    callback_list = configured_callbacks(model, callbacks, {"steps": steps, "verbose": verbose})
    bar = Progbar(target=steps, verbose=verbose) if verbose == 1 else None
    iterator = _batch_iterator(generator)
    sums, seen, values = None, 0, None
    model.reset_metrics()
    callback_list.on_test_begin()
    for step in range(steps):
        x, y, sw = _unpack(next(iterator))
        xs, ys, sws = model._standardize_user_data(x, y, sw)
        size = int(xs[0].shape[0])
        logs = {"batch": step, "size": size}
        callback_list.on_test_batch_begin(step, logs)
        values = model._test_step(xs, ys, sws)
        sums = add_weighted(sums, values, size)
        seen += size
        logs.update(zip(model.metrics_names, values))
        callback_list.on_test_batch_end(step, logs)
        if bar is not None:
            bar.update(step + 1)
    callback_list.on_test_end()
    values = list(epoch_values(model.metrics_names, sums, seen, values, model._stateful_metrics_names()).values())
    return values[0] if len(values) == 1 else values


def predict_generator(model: Any, generator: Any, steps: "int | None" = None, callbacks: Any = None,
                      verbose: int = 0, **kwargs: Any) -> Any:
    """Predictions for `steps` batches of a generator, concatenated (NumPy); `callbacks` get the predict hooks."""
    from multinn.utils.progbar import Progbar

    steps = _steps(generator, steps, "steps")
    callback_list = configured_callbacks(model, callbacks, {"steps": steps, "verbose": verbose})
    bar = Progbar(target=steps, verbose=verbose) if verbose == 1 else None
    iterator = _batch_iterator(generator)
    chunks = None
    callback_list.on_predict_begin()
    for step in range(steps):
        item = next(iterator)
        x = item[0] if isinstance(item, tuple) else item
        xs = model._standardize_x(x)
        model._ensure_built(xs[0] if len(xs) == 1 else xs)
        logs = {"batch": step, "size": int(xs[0].shape[0])}
        callback_list.on_predict_batch_begin(step, logs)
        outs = model._predict_step(xs)
        chunks = [[] for _ in outs] if chunks is None else chunks
        for store, o in zip(chunks, outs):
            store.append(o)
        if len(callback_list):
            logs["outputs"] = [o.numpy() for o in outs]
        callback_list.on_predict_batch_end(step, logs)
        if bar is not None:
            bar.update(step + 1)
    callback_list.on_predict_end()
    results = [K.concatenate(store, axis=0).numpy() for store in chunks]
    return results[0] if len(results) == 1 else results


def _steps(generator: Any, steps: "int | None", name: str) -> int:
    """`steps`, or the length of a Sequence; a plain generator must say how many batches to take."""
    if steps is not None:
        return int(steps)
    if hasattr(generator, "__len__") and hasattr(generator, "__getitem__"):
        if not len(generator):  # no batch would ever come
            raise ValueError(f"`{name}=None` reads the whole Sequence, but it holds no batches. Received: {name}=None "
                             f"for a {type(generator).__name__} of length 0")
        return len(generator)
    raise ValueError(
        f"`{name}=None` is only valid for a generator based on a Sequence (with __len__). Please specify "
        f"`{name}`, the number of batches to draw from the generator. Received: {name}=None"
    )


def _unpack(item: Any) -> tuple:
    """(x, y, sample_weight) from a batch of 2 or 3 items."""
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise ValueError(
            "Output of generator should be a tuple `(x, y, sample_weight)` or `(x, y)`. "
            f"Received: {type(item).__name__}"
        )
    return tuple(item) if len(item) == 3 else (item[0], item[1], None)


def _is_sequence(generator: Any) -> bool:
    return hasattr(generator, "__getitem__") and hasattr(generator, "__len__") and not isinstance(generator, (list, tuple))


def _one_pass(sequence: Any, rng: "random.Random | None"):
    """The batches of one pass over a Sequence, in an order shuffled by `rng` when given."""
    order = list(range(len(sequence)))
    if rng is not None:
        rng.shuffle(order)
    return (sequence[i] for i in order)


def _batch_iterator(generator: Any, shuffle: bool = False):
    """Batches without end: a Sequence is read pass after pass (its batch order shuffled per
    pass when `shuffle`, as Keras 2's enqueuer does; `on_epoch_end` after each pass)."""
    if _is_sequence(generator):
        rng = shuffle_rng() if shuffle else None

        def cycle():
            while True:
                order = list(range(len(generator)))
                if rng is not None:
                    rng.shuffle(order)
                for i in order:
                    yield generator[i]
                if hasattr(generator, "on_epoch_end"):
                    generator.on_epoch_end()

        return cycle()
    return iter(generator)
