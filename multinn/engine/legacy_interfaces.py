"""Keras 1 spellings that Keras 2's models still read, one `Interface` per entry point.

The engine's half of the Keras 1 tables (the layers' half is `multinn/layers/legacy_interfaces.py`):
Model(input=..., output=...) -> inputs/outputs; InputLayer: input_dtype -> dtype; fit:
nb_epoch -> epochs; fit_generator, evaluate_generator, predict_generator: samples_per_epoch ->
steps_per_epoch (divided by the generator's batch_size when it has one), nb_epoch,
nb_val_samples -> validation_steps, val_samples -> steps, nb_worker -> workers, pickle_safe ->
use_multiprocessing, max_q_size -> max_queue_size.

Example:
    >>> from multinn.engine.legacy import convert
    >>> call = convert(FIT, "fit", ("x", "y", "batch_size", "epochs"), (), {"nb_epoch": 3}, owner="Model")
    >>> call.kwargs, call.label
    ({'epochs': 3}, 'Model.fit')
"""
from __future__ import annotations

from .legacy import Call, Interface, is_int

__all__ = ["MODEL", "INPUT_LAYER", "FIT", "GENERATOR_METHODS"]


def _generator_methods(call: Call) -> None:
    """Keras 1 counted samples where Keras 2 counts batches (steps). Like Keras 2, only
    samples_per_epoch is converted, by the generator's batch_size when it has one; the other
    counts are renamed as they are, with a note saying so."""
    if "samples_per_epoch" in call.kwargs and not call.given("steps_per_epoch"):
        samples = call.kwargs["samples_per_epoch"]
        generator = call.value_of("generator") if call.given("generator") else None
        batch_size = getattr(generator, "batch_size", None)
        if is_int(batch_size) and batch_size > 0:
            steps = samples // batch_size
            call.notes.append(f"`steps_per_epoch` counts batches: `samples_per_epoch={samples!r}` became "
                              f"{samples!r} // {batch_size} (the generator's batch_size) = {steps!r}.")
        else:
            steps = samples
            call.notes.append(f"`steps_per_epoch` counts batches, not samples; the generator has no `batch_size`, so "
                              f"`samples_per_epoch={samples!r}` was kept as {samples!r} steps: divide it by your "
                              f"batch size.")
        call.replace(("samples_per_epoch",), "steps_per_epoch", steps)
        call.changed.append("samples_per_epoch")
    for old, new in (("nb_val_samples", "validation_steps"), ("val_samples", "steps")):
        if old in call.kwargs:
            call.notes.append(f"`{new}` counts batches where `{old}` counted samples; the value was kept as it is: "
                              f"divide it by the batch size.")


MODEL = Interface(renames=(("input", "inputs"), ("output", "outputs")), positional=("inputs", "outputs"))
INPUT_LAYER = Interface(renames=(("input_dtype", "dtype"),))
FIT = Interface(renames=(("nb_epoch", "epochs"),), method=True)
GENERATOR_METHODS = Interface(
    renames=(("samples_per_epoch", "steps_per_epoch"), ("val_samples", "steps"), ("nb_epoch", "epochs"),
             ("nb_val_samples", "validation_steps"), ("nb_worker", "workers"), ("pickle_safe", "use_multiprocessing"),
             ("max_q_size", "max_queue_size")),
    prepare=_generator_methods, method=True,
)
