"""Random tensors from one counter-based generator (Philox4x32-10) shared by every backend.

Streams:
- the global stream: a key (from `set_seed`, or fresh per process until then) and a
  counter that advances by the Philox blocks each draw consumes, so successive draws
  differ and a seeded program repeats exactly;
- an explicit `seed=`: a stream of its own that always starts at block 0, so the same
  seed gives the same values on every call (as Keras 2 initializers with a seed do).

Uniform draws are bit-identical across backends (integer arithmetic); normal draws are
computed in float64 and agree to a few ulp.
"""
from __future__ import annotations

import operator
import os
import threading
from typing import Any

from multinn.backends import philox

from .. import config
from ..tensor import Tensor, Variable
from .state import variable

__all__ = [
    "random_normal", "random_uniform", "random_binomial", "truncated_normal",
    "random_uniform_variable", "random_normal_variable", "random_permutation", "set_seed",
]

_MASK64 = (1 << 64) - 1
# Domain tags keep the global stream, explicit seeds and per-seed dropout streams apart,
# so set_seed(1) and seed=1 do not hand out the same bits.
_GLOBAL, _EXPLICIT, _SEQUENCE = 0x676C6F62, 0x73656564, 0x73657173


def _splitmix64(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _derive_key(seed: int, tag: int) -> int:
    return _splitmix64(_splitmix64(seed & _MASK64) ^ tag)


class _Stream:
    """A Philox key and the next unused counter block."""

    __slots__ = ("key", "counter")

    def __init__(self, key: int):
        self.key = key
        self.counter = 0


_lock = threading.Lock()
_global = _Stream(_derive_key(int.from_bytes(os.urandom(8), "little"), _GLOBAL))
_sequences: dict = {}


def _check_seed(seed: Any, caller: str) -> int:
    try:
        return operator.index(seed)
    except TypeError:
        raise TypeError(f"{caller}: `seed` must be an integer or None. Received: seed={seed!r}") from None


def set_seed(seed: int) -> None:
    """Seeds the global random stream (weights drawn without a seed, dropout masks).

    Also restarts the per-seed dropout streams, so a seeded program repeats exactly.

    Example:
        >>> from multinn import backend as K
        >>> K.set_seed(7); a = K.random_uniform((3,)).numpy()
        >>> K.set_seed(7); b = K.random_uniform((3,)).numpy()
        >>> bool((a == b).all())
        True
    """
    seed = _check_seed(seed, "set_seed")
    with _lock:
        _global.key = _derive_key(seed, _GLOBAL)
        _global.counter = 0
        _sequences.clear()


def _draw(seed: "int | None", caller: str, draw):
    """Runs `draw(key, start) -> (array, blocks used)` on the stream `seed` selects.

    The global stream is held locked during the draw so concurrent callers get disjoint blocks.
    """
    if seed is None:
        with _lock:
            out, used = draw(_global.key, _global.counter)
            _global.counter += used
        return out
    seed = _check_seed(seed, caller)
    out, _ = draw(_derive_key(seed, _EXPLICIT), 0)
    return out


def draw_sequence(seed: "int | None", caller: str, draw):
    """Like the global stream, but an explicit seed gets a stream that advances per call.

    For ops that run every training step (dropout): `seed=s` gives a reproducible sequence
    of different masks, as a TF graph op with an op-level seed does, instead of one mask.
    """
    if seed is None:
        return _draw(None, caller, draw)
    seed = _check_seed(seed, caller)
    with _lock:
        stream = _sequences.get(seed)
        if stream is None:
            stream = _sequences[seed] = _Stream(_derive_key(seed, _SEQUENCE))
        out, used = draw(stream.key, stream.counter)
        stream.counter += used
    return out


def _shape(shape: Any, caller: str) -> tuple:
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        dims = None
    if dims is None or any(d < 0 for d in dims):
        raise ValueError(f"{caller}: `shape` must be a tuple of non-negative integers. Received: shape={shape!r}")
    return dims


def _float_dtype(backend, dtype: Any, caller: str):
    name = config.floatx() if dtype is None else dtype
    try:
        dt = backend.dtype(name)
    except TypeError:
        dt = None
    if dt is None or not backend.is_floating(dt):
        raise ValueError(f"{caller}: `dtype` must be a float type. Received: dtype={dtype!r}")
    return dt


def uniform_blocks(count: int, dtype) -> int:
    """Counter blocks `count` uniform draws of `dtype` consume."""
    return philox.blocks_for(philox.words_for_uniform(count, dtype.itemsize))


def normal_blocks(count: int) -> int:
    """Counter blocks `count` normal draws consume (two 53-bit uniforms each)."""
    return philox.blocks_for(philox.words_for_uniform(2 * count, 8))


def _count(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _float_request(shape: Any, dtype: Any, caller: str) -> tuple:
    """(default backend, checked shape, float dtype) of a draw; the shape is checked first."""
    b = config.default_backend()
    shape = _shape(shape, caller)
    return b, shape, _float_dtype(b, dtype, caller)


def _draw_uniform(b, shape: tuple, minval: Any, maxval: Any, dt, seed: Any, caller: str):
    """A raw array of uniform values in [minval, maxval) from the stream `seed` selects."""
    n = _count(shape)
    return _draw(
        seed, caller,
        lambda key, start: (b.random_uniform(shape, float(minval), float(maxval), dt, key, start), uniform_blocks(n, dt)),
    )


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Uniform values in [minval, maxval), on the default backend (floatx unless `dtype`).

    Example:
        >>> from multinn import backend as K
        >>> x = K.random_uniform((2, 3), minval=-1.0, maxval=1.0, seed=1)
        >>> x.shape, str(x.dtype), bool((x.numpy() >= -1).all() and (x.numpy() < 1).all())
        ((2, 3), 'float32', True)
    """
    caller = "K.random_uniform"
    b, shape, dt = _float_request(shape, dtype, caller)
    return Tensor(_draw_uniform(b, shape, minval, maxval, dt, seed, caller), b)


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Normal values with the given mean and standard deviation, on the default backend.

    Example:
        >>> from multinn import backend as K
        >>> K.random_normal((4, 5), mean=1.0, stddev=0.5, seed=3).shape
        (4, 5)
    """
    caller = "K.random_normal"
    b, shape, dt = _float_request(shape, dtype, caller)
    n = _count(shape)
    out = _draw(
        seed, caller,
        lambda key, start: (b.random_normal(shape, float(mean), float(stddev), dt, key, start), normal_blocks(n)),
    )
    return Tensor(out, b)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Normal values, redrawn where they fall more than two standard deviations from the mean.

    Example:
        >>> from multinn import backend as K
        >>> x = K.truncated_normal((100,), stddev=2.0, seed=5).numpy()
        >>> bool((abs(x) <= 4.0).all())
        True
    """
    caller = "K.truncated_normal"
    b, shape, dt = _float_request(shape, dtype, caller)
    if _count(shape) == 0:
        return Tensor(b.xp.zeros(shape, dtype=dt), b)
    out = _draw(seed, caller, lambda key, start: b.random_truncated_normal(shape, float(mean), float(stddev), dt, key, start))
    return Tensor(out, b)


def random_binomial(shape: Any, p: float = 0.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Ones with probability `p`, else zeros (Keras 2: a uniform draw <= p gives one).

    Example:
        >>> from multinn import backend as K
        >>> x = K.random_binomial((1000,), p=0.3, seed=2).numpy()
        >>> sorted(set(x.tolist()))
        [0.0, 1.0]
    """
    caller = "K.random_binomial"
    b, shape, dt = _float_request(shape, dtype, caller)
    u = _draw_uniform(b, shape, 0.0, 1.0, dt, seed, caller)
    return Tensor((u <= dt.type(p)).astype(dt), b)


def random_permutation(n: int, seed: Any = None) -> Tensor:
    """A random ordering of range(n) as an int64 tensor, the same on every backend.

    Used by `fit` to shuffle each epoch; the global stream (or `seed`) decides it.

    Example:
        >>> from multinn import backend as K
        >>> sorted(K.random_permutation(5, seed=3).numpy().tolist())
        [0, 1, 2, 3, 4]
    """
    caller = "K.random_permutation"
    b = config.default_backend()
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"{caller}: `n` must be a non-negative integer. Received: n={n!r}")
    out = _draw(seed, caller, lambda key, start: (b.random_permutation(n, key, start), philox.blocks_for(2 * n)))
    return Tensor(out, b)


def random_uniform_variable(
    shape: Any, low: float, high: float, dtype: Any = None, name: "str | None" = None, seed: Any = None
) -> Variable:
    """A variable filled with uniform values in [low, high).

    Example:
        >>> from multinn import backend as K
        >>> v = K.random_uniform_variable((2, 3), 0, 1, seed=4)
        >>> type(v).__name__, v.shape
        ('Variable', (2, 3))
    """
    return variable(random_uniform(shape, low, high, dtype=dtype, seed=seed), dtype=dtype, name=name)


def random_normal_variable(
    shape: Any, mean: float, scale: float, dtype: Any = None, name: "str | None" = None, seed: Any = None
) -> Variable:
    """A variable filled with normal values of the given mean and standard deviation `scale`.

    Example:
        >>> from multinn import backend as K
        >>> K.random_normal_variable((2, 3), 0.0, 1.0, seed=4).shape
        (2, 3)
    """
    return variable(random_normal(shape, mean, scale, dtype=dtype, seed=seed), dtype=dtype, name=name)
