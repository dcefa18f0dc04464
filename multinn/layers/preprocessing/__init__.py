"""tf.keras 2's preprocessing layers, run inside a model and saved with it.

Numeric: Rescaling, Normalization, Discretization, CategoryEncoding, Hashing. Statistics that
`adapt()` learns are saved as weights (Normalization) or in the config (Discretization's
boundaries, the lookups' vocabularies), as tf.keras keeps them.
Image (channels_last): Resizing, CenterCrop, and the Random* augmentations, active only in
training. Text: StringLookup, IntegerLookup, TextVectorization. Strings cannot be backend
arrays, so the text layers (and Hashing / StringLookup on strings) run on the host: call
them on a list or NumPy object array of strings before the model, and feed the model the K
tensor of ids they return. Integer inputs of Hashing / IntegerLookup also work inside a model.
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
from .lookup import IntegerLookup, StringLookup  # noqa: F401
from .text_vectorization import TextVectorization  # noqa: F401
