"""tf.keras 2's preprocessing layers, run inside a model and saved with it.

Numeric: Rescaling, Normalization, Discretization, CategoryEncoding, Hashing. Statistics that
`adapt()` learns are saved as weights (Normalization) or in the config (Discretization's
boundaries), as tf.keras keeps them.
"""
from .category_encoding import CategoryEncoding  # noqa: F401
from .discretization import Discretization  # noqa: F401
from .hashing import Hashing  # noqa: F401
from .normalization import Normalization  # noqa: F401
from .rescaling import Rescaling  # noqa: F401
from .random_affine import RandomRotation, RandomTranslation, RandomZoom  # noqa: F401
from .random_color import RandomBrightness, RandomContrast  # noqa: F401
from .random_flip_crop import RandomCrop, RandomFlip  # noqa: F401
from .random_size import RandomHeight, RandomWidth  # noqa: F401
from .resizing import CenterCrop, Resizing  # noqa: F401
