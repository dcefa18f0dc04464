"""Generic utilities: identifiers and serialization, random seeding, progress bar, Sequence and
the enqueuers, to_categorical, get_file, HDF5 helpers, model summaries and plots, and
`multi_gpu_model` (which points to multinn.distribute)."""
from . import conv_utils, data_utils, generic_utils, io_utils, np_utils  # noqa: F401
from .data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, SequenceEnqueuer  # noqa: F401
from .downloads import get_file
from .generic_utils import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)
from .io_utils import H5Dict, HDF5Matrix  # noqa: F401
from .multi_gpu_utils import multi_gpu_model  # noqa: F401
from .np_utils import normalize, to_categorical  # noqa: F401
from .progbar import Progbar

# These need the engine, which needs this package first: loaded on first use.
_LAZY = {
    "layer_utils": ("layer_utils", None),
    "vis_utils": ("vis_utils", None),
    "convert_all_kernels_in_model": ("layer_utils", "convert_all_kernels_in_model"),
    "get_source_inputs": ("layer_utils", "get_source_inputs"),
    "print_summary": ("layer_utils", "print_summary"),
    "model_to_dot": ("vis_utils", "model_to_dot"),
    "plot_model": ("vis_utils", "plot_model"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        module = importlib.import_module(f"{__name__}.{module_name}")
        return module if attr is None else getattr(module, attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def set_random_seed(seed: int) -> None:
    """Seeds multinn's global random stream (weights, dropout masks) on every backend.

    Example:
        >>> import multinn
        >>> multinn.utils.set_random_seed(1)
    """
    from multinn.backend.ops.random import set_seed

    set_seed(seed)
