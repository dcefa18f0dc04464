"""Shared fixtures: every test that takes `backend_name` runs once per registered backend.

A backend that cannot run here is skipped with its reason. Without a CUDA device the CuPy half
runs on the strict CPU stand-in (tests/support/strict_cupy), labelled "CuPy API conformance
(CPU stand-in)"; `MULTINN_TEST_CUPY=off` skips it instead.
"""
from __future__ import annotations

import pytest

import multinn.backends as registry
from tests.support.strict_cupy import plugin as _cupy_plugin

CUPY_MODE = _cupy_plugin.choose()  # 'gpu', 'standin' or 'off'; before any test builds the backend

BACKENDS = ["numpy", "cupy"]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    reason = registry.unusable_reason(request.param)
    if reason is not None:
        pytest.skip(f"backend {request.param!r} unusable here: {reason}")
    from multinn import backend as K

    with K.backend_scope(request.param):
        yield request.param


@pytest.fixture
def cupy_half():
    """Marks a test that runs on CuPy only as part of the CuPy half (labelled in the summary)."""
    return CUPY_MODE


def usable_backends():
    return [name for name in BACKENDS if registry.unusable_reason(name) is None]


@pytest.fixture(autouse=True)
def _no_learning_phase_leaks():
    """A learning phase a test fixes (K.set_learning_phase) holds in fit/evaluate/predict, as in
    Keras 2; restore the previous state (usually not set) so no later test runs in it."""
    from multinn.backend.ops import state

    saved = state._learning_phase.get()
    yield
    state._learning_phase.set(saved)


def pytest_report_header(config):
    return _cupy_plugin.header(CUPY_MODE)


def pytest_collection_modifyitems(config, items):
    _cupy_plugin.label_items(CUPY_MODE, items)


def pytest_terminal_summary(terminalreporter):
    _cupy_plugin.summary(terminalreporter, CUPY_MODE)
