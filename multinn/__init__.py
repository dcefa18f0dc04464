"""multinn: Keras 2's API on NumPy and CuPy.

Example:
    >>> import multinn
    >>> from multinn.layers import Dense
    >>> model = multinn.Sequential([Dense(1, input_shape=(2,))])
    >>> model.output_shape
    (None, 1)
"""
__version__ = "0.1.0"


def _use_source_tree_backends() -> None:
    """Makes `multinn.backends` the top-level `backends/` folder beside this package when
    this package is a source checkout (installs map that folder to `multinn.backends`
    themselves, see setup.py), so `import multinn` works from the repository root."""
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    sibling = os.path.join(os.path.dirname(here), "backends")
    if os.path.isdir(os.path.join(here, "backends")) or not os.path.isfile(os.path.join(sibling, "__init__.py")):
        return
    if f"{__name__}.backends" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        f"{__name__}.backends", os.path.join(sibling, "__init__.py"), submodule_search_locations=[sibling]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


_use_source_tree_backends()

from . import backend  # noqa: E402,F401
from . import layers  # noqa: E402,F401
from . import models  # noqa: E402,F401
from .engine.input_layer import Input  # noqa: E402,F401
from .engine.sequential import Sequential  # noqa: E402,F401
from .engine.training import Model  # noqa: E402,F401
from . import activations, callbacks, constraints, initializers, losses, metrics, optimizers, regularizers, utils  # noqa: E402,F401
from . import preprocessing  # noqa: E402,F401
from . import wrappers  # noqa: E402,F401
