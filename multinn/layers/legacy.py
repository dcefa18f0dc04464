"""The layers' import path for the Keras 1 argument machinery (`Interface`, `legacy_support`, ...),
which lives in the engine (`multinn/engine/legacy.py`) because models read Keras 1 spellings too.

Example:
    >>> from multinn.layers.legacy import legacy_support
    >>> from multinn.engine.legacy import legacy_support as engine_legacy_support
    >>> legacy_support is engine_legacy_support
    True
"""
from multinn.engine.legacy import (  # noqa: F401
    Call, Interface, conflict_error, convert, is_int, legacy_support, positional_params, signature, warn_legacy_call,
)
from multinn.engine.legacy import __all__  # noqa: F401
