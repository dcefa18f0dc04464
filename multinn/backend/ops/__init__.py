"""Every K function, grouped as Keras groups them. Each module lists its public names in `__all__`."""
from . import operators  # noqa: F401  (attaches Python operators to Tensor)
from .core import Primitive, primitive
from .indexing import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .state import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .control import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .io import *  # noqa: F401,F403
from .function import *  # noqa: F401,F403
