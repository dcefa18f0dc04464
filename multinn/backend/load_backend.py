"""Keras 2.3.1's `keras.backend.load_backend`: where the configuration file lives and which
backend is in use, plus the configuration functions it exported.

Keras read `$KERAS_HOME/keras.json`; multinn reads `$MULTINN_HOME/multinn.json` (default
`~/.multinn/multinn.json`), the folder whose `datasets/` subfolder `get_file` caches in.
"""
from __future__ import annotations

from .common import eager, symbolic  # noqa: F401
from .config import (  # noqa: F401
    backend,
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    config_path,
)
from .ops.state import cast_to_floatx  # noqa: F401

# read when the module is (re)loaded, as Keras 2.3.1's tests expect
_config_path = config_path()
