"""Sync budgets: how many device->host reads a training step and a prediction make on CuPy.

Each read (`.get()`, `asnumpy`, `.item()`, `float()`...) is a copy to the host and a full
device synchronisation, so per-batch reads serialise the GPU. The counts come from the strict
CuPy stand-in's counter (tests/support/strict_cupy), which sees every read of an array,
whichever way it is made. Budgets (issue 15): with verbose=0 at most one read per step (the
sparse-target range check; none for categorical targets); with verbose=1 none beyond the
progress bar's values; verbose=2 none per batch; predict none per batch.

A budget is checked as the growth in reads when the same data is cut into more batches,
so fixed once-per-epoch reads (the epoch's averages) do not count against a step.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import Dense
from multinn.models import Sequential
from tests.conftest import CUPY_MODE

pytestmark = [
    pytest.mark.skipif(
        CUPY_MODE != "standin",
        reason=f"the read counter is the CPU stand-in's (CuPy here: {CUPY_MODE}); the GPU check counts syncs on a device",
    ),
    pytest.mark.usefixtures("cupy_half"),
]

SAMPLES, EPOCHS = 64, 2
FEW, MANY = 1, 8  # batches per epoch


def _reads():
    return sys.modules["cupy"].reads


def _data(sparse):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 4)).astype("float32")
    classes = rng.integers(0, 3, size=(SAMPLES,))
    return x, (classes if sparse else np.eye(3, dtype="float32")[classes])


def _model(sparse):
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3, activation="softmax")])
    loss = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    model.compile("sgd", loss, metrics=["accuracy"])
    return model


def _fit_reads(sparse, verbose, batches):
    x, y = _data(sparse)
    with K.backend_scope("cupy"):
        model = _model(sparse)
        model.fit(x, y, batch_size=SAMPLES, epochs=1, verbose=0)  # first-step set-up reads are not a step's
        with _reads().recording() as reads:
            model.fit(x, y, batch_size=SAMPLES // batches, epochs=EPOCHS, verbose=verbose)
    return reads, len(model.metrics_names)


def _per_step(sparse, verbose):
    """Reads each extra step costs, and the reads of the many-batch run (for the message)."""
    few, names = _fit_reads(sparse, verbose, FEW)
    many, _ = _fit_reads(sparse, verbose, MANY)
    extra_steps = EPOCHS * (MANY - FEW)
    return (len(many) - len(few)) / extra_steps, names, many


def _sites(reads):
    return "\n".join(sorted({f"{kind}: {site}" for kind, site in reads}))


@pytest.mark.parametrize("sparse, budget", [(True, 1), (False, 0)], ids=["sparse-targets", "categorical-targets"])
def test_verbose_0_reads_at_most_the_range_check_per_step(sparse, budget, capsys):
    per_step, _, reads = _per_step(sparse, 0)
    assert per_step <= budget, f"{per_step} reads per step (budget {budget}):\n{_sites(reads)}"


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse-targets", "categorical-targets"])
def test_verbose_1_reads_only_the_progress_bars_values(sparse, capsys):
    per_step, names, reads = _per_step(sparse, 1)
    budget = names + (1 if sparse else 0)  # the bar's loss and metrics, plus the verbose=0 budget
    assert per_step <= budget, f"{per_step} reads per step (budget {budget}):\n{_sites(reads)}"


@pytest.mark.parametrize("sparse, budget", [(True, 1), (False, 0)], ids=["sparse-targets", "categorical-targets"])
def test_verbose_2_reads_once_per_epoch_not_per_batch(sparse, budget, capsys):
    per_step, _, reads = _per_step(sparse, 2)
    assert per_step <= budget, f"{per_step} reads per step (budget {budget}):\n{_sites(reads)}"
    assert capsys.readouterr().out.count(" - loss:") == EPOCHS * 2  # still one line per epoch (both runs)


def test_predict_reads_only_the_final_copy():
    x, _ = _data(False)
    with K.backend_scope("cupy"):
        model = _model(False)
        counts = []
        for batch_size in (SAMPLES, SAMPLES // MANY):
            with _reads().recording() as reads:
                out = model.predict(x, batch_size=batch_size)
            counts.append(len(reads))
    assert counts == [1, 1], f"reads for 1 and {MANY} batches: {counts}:\n{_sites(reads)}"
    assert out.shape == (SAMPLES, 3)


def test_the_counter_sees_every_kind_of_read():
    cupy = sys.modules["cupy"]
    a = cupy.arange(3, dtype=cupy.float32)
    with cupy.reads.recording() as reads:
        a.get(), cupy.asnumpy(a), a[0].item(), float(a[1]), int(a[2]), bool(a[0]), a.tolist()
    assert [kind for kind, _ in reads] == ["get", "get", "item", "float", "int", "bool", "tolist"]
    assert all("test_sync_budgets.py" in site for _, site in reads)


def _generator_fit_reads(batches):
    x, y = _data(False)
    size = SAMPLES // batches

    def stream():
        while True:
            for start in range(0, SAMPLES, size):
                yield x[start:start + size], y[start:start + size]

    with K.backend_scope("cupy"):
        model = _model(False)
        model.fit(x, y, batch_size=SAMPLES, epochs=1, verbose=0)  # first-step set-up reads are not a step's
        with _reads().recording() as reads:
            model.fit_generator(stream(), steps_per_epoch=batches, epochs=EPOCHS, verbose=0)
    return reads


def test_fit_generator_with_verbose_0_reads_no_batch_values():
    few, many = _generator_fit_reads(FEW), _generator_fit_reads(MANY)
    per_step = (len(many) - len(few)) / (EPOCHS * (MANY - FEW))
    assert per_step == 0, f"{per_step} reads per step (budget 0):\n{_sites(many)}"
