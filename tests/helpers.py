"""check_op: one call checks an op's shape, dtype, values and gradients (tinygrad's helper, our way).

The reference is a NumPy function computed another way than the op's forward; gradients
are checked by central differences in float64.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from multinn import backend as K


def check_op(
    k_fn: Callable,
    np_fn: Callable,
    inputs: Sequence,
    grad: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    grad_inputs: Sequence | None = None,
) -> None:
    """Checks `k_fn(*tensors)` against `np_fn(*arrays)` on the current default backend.

    - float32 inputs must give the reference's values, its shape, and stay float32;
    - with `grad`, K's gradients at float64 copies of the inputs (or `grad_inputs`)
      must match central differences.
    """
    arrays = [np.asarray(x) for x in inputs]
    tensors = [K.constant(a, dtype=str(a.dtype)) for a in arrays]
    out = k_fn(*tensors)
    expected = np.asarray(np_fn(*arrays))
    got = out.numpy() if isinstance(out, K.Tensor) else np.asarray(out)
    assert got.shape == expected.shape, f"shape {got.shape} != reference {expected.shape}"
    if any(a.dtype == np.float32 for a in arrays) and expected.dtype.kind == "f":
        assert got.dtype == np.float32, f"float32 input gave {got.dtype}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    if grad:
        points = [np.asarray(x, dtype=np.float64) for x in (grad_inputs or inputs)]
        K.check_gradients(k_fn, points)


def rand(*shape, seed: int = 0, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Deterministic float32 test data."""
    return np.random.default_rng(seed + sum(shape)).uniform(low, high, size=shape).astype(np.float32)


def differentiable_inside(f):
    """Lets f take gradients even when check_gradients probes it with plain tensors under no_grad."""

    def wrapped(*xs):
        with K.enable_grad():
            xs = [x if x.needs_grad else K.Variable(x.data, x.backend) for x in xs]
            return f(*xs)

    return wrapped


# Allocations made by the test runner's own threads (pytest-xdist's message I/O) land in
# tracemalloc's totals at random moments; growth is measured on everything else.
_RUNNER_FRAMES = ("*execnet*", "*xdist*", "*_pytest*", "*pluggy*", "*threading.py", "*queue.py",
                  "*selectors.py", "*socket.py", "*tracemalloc.py", "<unknown>")


def allocation_growth(warmup: Callable[[], None], measured: Callable[[], None]) -> int:
    """Bytes still allocated after `measured()` beyond what `warmup()` left, outside the test
    runner's own frames (tracemalloc, one frame per allocation)."""
    import gc
    import tracemalloc

    def ours(snapshot):
        return snapshot.filter_traces([tracemalloc.Filter(False, pattern) for pattern in _RUNNER_FRAMES])

    gc.collect()
    tracemalloc.start()
    try:
        warmup()
        gc.collect()
        before = ours(tracemalloc.take_snapshot())
        measured()
        gc.collect()
        after = ours(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))
