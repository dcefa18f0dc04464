"""Weight initializers (Keras 2 names, defaults and formulas), written with K.

An initializer is called with a shape and an optional floatx dtype name and returns a
K tensor on the default backend. Any callable `f(shape, dtype=None)` works as one too.

Example:
    >>> from multinn import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 4)).shape
    (3, 4)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from multinn import backend as K
from multinn.utils.generic_utils import get_object, resolve_identifier, serialize_keras_object

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it gives the
# truncated draw the variance that VarianceScaling asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


def _shape_tuple(shape: Any) -> tuple:
    if isinstance(shape, int):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _compute_fans(shape: tuple, data_format: str = "channels_last") -> tuple:
    """(fan_in, fan_out) of a weight shape, by Keras 2's rules.

    2-D: (rows, cols). 3-, 4- or 5-D convolution kernels: the receptive field size times
    the input or output channels. Anything else: sqrt(size) for both.

    Example:
        >>> _compute_fans((3, 3, 8, 16))
        (72, 144)
    """
    shape = _shape_tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (3, 4, 5):
        if data_format == "channels_first":
            receptive_field = math.prod(shape[2:])
            return shape[1] * receptive_field, shape[0] * receptive_field
        receptive_field = math.prod(shape[:-2])
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    root = math.sqrt(math.prod(shape))
    return root, root


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and `get_config()`.

    Example:
        >>> from multinn import backend as K
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return K.constant(0.5, shape=shape, dtype=dtype)
        >>> Halves()((2,)).numpy().tolist()
        [0.5, 0.5]
    """

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Initializer":
        config = dict(config)
        config.pop("dtype", None)  # older Keras configs carry a dtype the constructor does not take
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros.

    Example:
        >>> Zeros()((2,)).numpy().tolist()
        [0.0, 0.0]
    """

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.constant(0, shape=_shape_tuple(shape), dtype=dtype or K.floatx())


class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,)).numpy().tolist()
        [1.0, 1.0]
    """

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.constant(1, shape=_shape_tuple(shape), dtype=dtype or K.floatx())


class Constant(Initializer):
    """Every value equal to `value`.

    Example:
        >>> Constant(3.0)((2,)).numpy().tolist()
        [3.0, 3.0]
    """

    def __init__(self, value: float = 0):
        self.value = value

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.constant(self.value, shape=_shape_tuple(shape), dtype=dtype or K.floatx())

    def get_config(self) -> dict:
        return {"value": self.value}


def _next_seed(initializer: Any) -> "int | None":
    """The seed for this call; a seeded initializer then moves to the next seed, so calling it
    again draws new values while two initializers with the same seed agree (Keras 2.3)."""
    seed = initializer.seed
    if seed is not None:
        initializer.seed = seed + 1
    return seed


class RandomNormal(Initializer):
    """Normal draws with `mean` and `stddev`; the same `seed` gives the same values.

    Example:
        >>> RandomNormal(seed=1)((2, 3)).shape
        (2, 3)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: "int | None" = None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.random_normal(_shape_tuple(shape), self.mean, self.stddev, dtype=dtype or K.floatx(), seed=_next_seed(self))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform draws in [minval, maxval); the same `seed` gives the same values.

    Example:
        >>> float(K.max(RandomUniform(seed=1)((100,)))) < 0.05
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: "int | None" = None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.random_uniform(_shape_tuple(shape), self.minval, self.maxval, dtype=dtype or K.floatx(), seed=_next_seed(self))

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal draws with `mean` and `stddev`, redrawn when more than two stddevs away.

    Example:
        >>> float(K.max(K.abs(TruncatedNormal(seed=1)((1000,))))) <= 0.1
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: "int | None" = None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        return K.truncated_normal(_shape_tuple(shape), self.mean, self.stddev, dtype=dtype or K.floatx(), seed=_next_seed(self))

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(Initializer):
    """Draws with variance `scale / n`, n the fan-in, fan-out or their mean (by `mode`).

    `distribution` 'normal' or 'truncated_normal': a normal truncated at two stddevs,
    widened so its variance is `scale / n`; 'untruncated_normal': a plain normal;
    'uniform': uniform in [-limit, limit] with `limit = sqrt(3 * scale / n)`.

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform", seed=0)((3, 3, 4, 8)).shape
        (3, 3, 4, 8)
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal", seed: "int | None" = None
    ):
        if not scale > 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float. Received: scale={scale!r}")
        mode_key = str(mode).lower()
        if mode_key not in _MODES:
            raise ValueError(f"VarianceScaling: `mode` must be one of {_MODES}. Received: mode={mode!r}")
        dist_key = str(distribution).lower()
        if dist_key not in _DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: `distribution` must be one of {_DISTRIBUTIONS}. Received: distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode_key
        self.distribution = dist_key
        self.seed = seed

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        shape = _shape_tuple(shape)
        dtype = dtype or K.floatx()
        fan_in, fan_out = _compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return K.truncated_normal(shape, 0.0, stddev, dtype=dtype, seed=_next_seed(self))
        if self.distribution == "untruncated_normal":
            return K.random_normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=_next_seed(self))
        limit = math.sqrt(3.0 * variance)
        return K.random_uniform(shape, -limit, limit, dtype=dtype, seed=_next_seed(self))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset whose config is just its seed (tf.keras 2's GlorotUniform etc.)."""

    _preset: tuple = ()

    def __init__(self, seed: "int | None" = None):
        super().__init__(*self._preset, seed=seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class LecunNormal(_NamedVarianceScaling):
    """Truncated normal with stddev sqrt(1 / fan_in) (before the truncation correction)."""

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_NamedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(3 / fan_in)."""

    _preset = (1.0, "fan_in", "uniform")


class GlorotNormal(_NamedVarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class GlorotUniform(_NamedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""

    _preset = (1.0, "fan_avg", "uniform")


class HeNormal(_NamedVarianceScaling):
    """Truncated normal with stddev sqrt(2 / fan_in) (He et al., 2015)."""

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_NamedVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in) (He et al., 2015)."""

    _preset = (2.0, "fan_in", "uniform")


def lecun_normal(seed: "int | None" = None) -> VarianceScaling:
    """LeCun normal initializer (Keras 2: `VarianceScaling(1.0, 'fan_in', 'normal')`).

    Example:
        >>> lecun_normal(seed=1)((4, 5)).shape
        (4, 5)
    """
    return LecunNormal(seed=seed)


def lecun_uniform(seed: "int | None" = None) -> VarianceScaling:
    """LeCun uniform initializer: limit sqrt(3 / fan_in).

    Example:
        >>> lecun_uniform(seed=1)((4, 5)).shape
        (4, 5)
    """
    return LecunUniform(seed=seed)


def glorot_normal(seed: "int | None" = None) -> VarianceScaling:
    """Glorot (Xavier) normal initializer: stddev sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> glorot_normal(seed=1)((4, 5)).shape
        (4, 5)
    """
    return GlorotNormal(seed=seed)


def glorot_uniform(seed: "int | None" = None) -> VarianceScaling:
    """Glorot (Xavier) uniform initializer: limit sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> glorot_uniform(seed=1)((4, 5)).shape
        (4, 5)
    """
    return GlorotUniform(seed=seed)


def he_normal(seed: "int | None" = None) -> VarianceScaling:
    """He normal initializer: stddev sqrt(2 / fan_in).

    Example:
        >>> he_normal(seed=1)((4, 5)).shape
        (4, 5)
    """
    return HeNormal(seed=seed)


def he_uniform(seed: "int | None" = None) -> VarianceScaling:
    """He uniform initializer: limit sqrt(6 / fan_in).

    Example:
        >>> he_uniform(seed=1)((4, 5)).shape
        (4, 5)
    """
    return HeUniform(seed=seed)


class Orthogonal(Initializer):
    """A random orthogonal matrix (times `gain`), reshaped to `shape` (Saxe et al., 2014).

    The trailing dimension is the columns, the others flatten into rows; rows or columns
    (whichever are fewer) come out orthonormal.

    Example:
        >>> q = Orthogonal(seed=0)((3, 3)).numpy()
        >>> bool(abs((q @ q.T) - K.eye(3).numpy()).max() < 1e-5)
        True
    """

    def __init__(self, gain: float = 1.0, seed: "int | None" = None):
        self.gain = gain
        self.seed = seed

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        shape = _shape_tuple(shape)
        dtype = dtype or K.floatx()
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of at least two dimensions. Received: shape={shape}"
            )
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = K.random_normal(flat, 0.0, 1.0, dtype=dtype, seed=_next_seed(self))
        q, r = K.qr(a)
        # Multiplying by the signs of R's diagonal makes the decomposition unique, so Q is
        # uniformly distributed over orthogonal matrices (Mezzadri, 2007).
        d = K.sum(r * K.eye(flat[1], dtype=dtype), axis=0)
        q = q * K.sign(d)
        if rows < cols:
            q = K.transpose(q)
        return self.gain * K.reshape(q, shape)

    def get_config(self) -> dict:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes; non-square gives ones on the diagonal).

    Example:
        >>> Identity(2.0)((2, 2)).numpy().tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Any, dtype: "str | None" = None) -> K.Tensor:
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer can only be used for 2-D matrices. Received: shape={shape}")
        with K.no_grad():  # K.eye gives a Variable; the result must not join any graph
            return self.gain * K.eye(shape, dtype=dtype or K.floatx())

    def get_config(self) -> dict:
        return {"gain": self.gain}


_CLASSES = (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Orthogonal, Identity,
    LecunNormal, LecunUniform, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
)
_ALIASES = {
    "zero": Zeros, "zeros": Zeros, "one": Ones, "ones": Ones, "constant": Constant,
    "uniform": RandomUniform, "random_uniform": RandomUniform,
    "normal": RandomNormal, "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "identity": Identity, "orthogonal": Orthogonal,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal, "he_uniform": HeUniform,
}
_INITIALIZERS: dict = {**{cls.__name__: cls for cls in _CLASSES}, **_ALIASES}

# Keras 2's lower-case aliases of the classes.
zero = zeros = Zeros
one = ones = Ones
constant = Constant
uniform = random_uniform = RandomUniform
normal = random_normal = RandomNormal
truncated_normal = TruncatedNormal
identity = Identity
orthogonal = Orthogonal


def serialize(initializer: Any) -> Any:
    """{'class_name': ..., 'config': ...} for an initializer object.

    Example:
        >>> serialize(Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: "Mapping[str, Any] | None" = None) -> Any:
    """The initializer described by `config` (a name or a {'class_name', 'config'} dict).

    Example:
        >>> deserialize({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev
        1.0
    """
    if isinstance(config, str):
        # A bare name means the class with its defaults, as in Keras 2.
        config = {"class_name": config, "config": {}}
    return get_object(config, _INITIALIZERS, "initializer", custom_objects)


def get(identifier: Any) -> "Callable | None":
    """Resolves a name, a config dict, an initializer object or a callable.

    Example:
        >>> type(get("he_normal")).__name__
        'HeNormal'
    """
    return resolve_identifier(identifier, deserialize, "initializer", "initializer", base=Initializer)
