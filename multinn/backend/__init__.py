"""K: the backend interface the whole multinn stack is written against.

`from multinn import backend as K` gives Keras 2's backend functions with eager
meaning, on NumPy or CuPy, with reverse-mode autodiff.

Threads and asyncio: recording (`no_grad`, `enable_grad`, `GradientTape`), the learning phase
(`set_learning_phase`, `learning_phase_scope`, the phases fit/evaluate/predict use),
`backend_scope` and the engine's per-call flags belong to the thread or asyncio task that sets
them (they are context variables). A new thread starts with Keras's defaults: recording on,
learning phase not set, the default backend. Shared by all threads: variables (so models and
optimizers: use one model from one thread at a time), the random streams (`set_seed` seeds the
global one; give layers and initializers their own `seed=` for reproducible concurrent runs),
the layer-name counters (`get_uid`, reset for all by `clear_session`), and the configuration
(`floatx`, `epsilon`, `image_data_format`, the default backend).

Process-wide effect: when an optimizer first updates variables of the NumPy backend (fit,
train_on_batch, apply_gradients), the backend sets glibc's malloc thresholds for the whole
process, once (`M_MMAP_THRESHOLD` 32 MiB, `M_TRIM_THRESHOLD` 64 MiB), so that each training
step reuses the memory the previous one freed instead of faulting it in again. Importing,
building models, predict and K calls change nothing; `MULTINN_MALLOC_TUNING=0` keeps glibc's
defaults; off glibc nothing changes.

Configuration: `MULTINN_BACKEND`, else `$MULTINN_HOME/multinn.json` (default
`~/.multinn/multinn.json`), else numpy. A configuration file that cannot be used is ignored
with one warning naming it.

Example:
    >>> from multinn import backend as K
    >>> w = K.variable([[1.0, -2.0]])
    >>> loss = K.sum(K.abs(w)) * 0.5
    >>> [g.numpy().tolist() for g in K.gradients(loss, [w])]
    [[[0.5, -0.5]]]
"""
from .config import (
    backend,
    backend_scope,
    default_backend,
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from .tensor import Tensor, Variable
from .ops import *  # noqa: F401,F403
from .ops import Primitive, primitive
from .autodiff import GradientTape, enable_grad, gradients, is_recording, no_grad, stop_gradient
from .gradcheck import check_gradients, numerical_gradient
from .common import eager, symbolic
from . import load_backend  # noqa: F401  (Keras 2.3.1's `keras.backend.load_backend`)
