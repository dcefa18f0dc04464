"""Parity tests need two usable backends; with one, they skip with the reason."""
import pytest

import multinn.backends as registry


@pytest.fixture
def other_backend():
    reason = registry.unusable_reason("cupy")
    if reason is not None:
        pytest.skip(f"parity needs the cupy backend: {reason}")
    return "cupy"
