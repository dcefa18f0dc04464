"""Shared fixtures: every test that takes `backend_name` runs once per registered backend.

A backend that cannot run here (CuPy without CuPy or a device) is skipped with its reason.
"""
from __future__ import annotations

import pytest

import multinn.backends as registry

BACKENDS = ["numpy", "cupy"]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    reason = registry.unusable_reason(request.param)
    if reason is not None:
        pytest.skip(f"backend {request.param!r} unusable here: {reason}")
    from multinn import backend as K

    with K.backend_scope(request.param):
        yield request.param


def usable_backends():
    return [name for name in BACKENDS if registry.unusable_reason(name) is None]


@pytest.fixture(autouse=True)
def _no_learning_phase_leaks():
    """A learning phase a test fixes (K.set_learning_phase) holds in fit/evaluate/predict, as in
    Keras 2; restore the previous state (usually not set) so no later test runs in it."""
    from multinn.backend.ops import state

    saved = state._learning_phase[0]
    yield
    state._learning_phase[0] = saved
