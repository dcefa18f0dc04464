"""Every public name of Keras 2.3.1's modules imports from the same path under multinn
(tests/keras231_public_names.py holds the list, generated from Keras 2.3.1's sources)."""
import importlib

import pytest

from tests.keras231_public_names import EXCLUDED, NAMES, OTHER_SLICES


def _resolve(path):
    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AttributeError(f"{module_name} does not import: {exc}") from exc
    if hasattr(module, name):
        return getattr(module, name)
    return importlib.import_module(path)  # a submodule, e.g. multinn.utils.layer_utils


@pytest.mark.parametrize("path", NAMES)
def test_keras231_name_imports(path):
    module_name, _, name = path.rpartition(".")
    exec(f"from {module_name} import {name}", {})  # the statement a Keras 2 program writes
    assert _resolve(path) is not None


@pytest.mark.parametrize("path", sorted(EXCLUDED))
def test_excluded_names_are_still_missing(path):
    # a name built since the list was written belongs in NAMES (with its import test)
    with pytest.raises((AttributeError, ImportError)):
        _resolve(path)


def test_lists_do_not_overlap_and_have_reasons():
    assert not set(NAMES) & set(EXCLUDED) and not set(NAMES) & set(OTHER_SLICES) and not set(EXCLUDED) & set(OTHER_SLICES)
    assert all(reason.strip() for reason in list(EXCLUDED.values()) + list(OTHER_SLICES.values()))
