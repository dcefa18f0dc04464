"""Generic utilities: identifiers and serialization, random seeding, progress bar, Sequence, to_categorical, get_file."""
from .data_utils import Sequence
from .downloads import get_file
from .generic_utils import custom_object_scope, get_custom_objects
from .np_utils import to_categorical
from .progbar import Progbar


def set_random_seed(seed: int) -> None:
    """Seeds multinn's global random stream (weights, dropout masks) on every backend.

    Example:
        >>> import multinn
        >>> multinn.utils.set_random_seed(1)
    """
    from multinn.backend.ops.random import set_seed

    set_seed(seed)
