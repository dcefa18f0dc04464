"""Keras 2's import path `keras.layers.core` (each layer lives in its own module)."""
from .activation import Activation  # noqa: F401
from .activity_regularization import ActivityRegularization  # noqa: F401
from .dense import Dense  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten  # noqa: F401
from .lambda_layer import Lambda  # noqa: F401
from .masking import Masking  # noqa: F401
from .permute import Permute  # noqa: F401
from .repeat_vector import RepeatVector  # noqa: F401
from .reshape import Reshape  # noqa: F401
from .spatial import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D  # noqa: F401
