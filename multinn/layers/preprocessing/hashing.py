"""Hashing (tf.keras 2): values to `num_bins` buckets by a stable hash of their text.

tf.keras hashes with FarmHash Fingerprint64 (SipHash with `salt`); multinn hashes with the
standard library's BLAKE2b (8-byte digest, keyed by `salt`), so bucket assignments differ from
tf.keras's but are the same on every machine, backend and Python run. As in tf.keras, an
integer is hashed as its decimal text, so 5 and '5' share a bucket."""
from __future__ import annotations

import hashlib
from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int

from .adapt_data import host_values
from .encoding import OUTPUT_MODES, encode, encoded_shape
from .host_inputs import is_host_text, nested_values

__all__ = ["Hashing", "stable_hash"]


def _salt_key(salt: Any) -> bytes:
    if salt is None:
        return b""
    pair = [salt, salt] if isinstance(salt, int) and not isinstance(salt, bool) else list(salt)
    return b"".join((int(s) & (2 ** 64 - 1)).to_bytes(8, "little") for s in pair)


def stable_hash(value: Any, key: bytes = b"") -> int:
    """A 64-bit hash of `value`'s text (str, bytes, or an integer's decimal form).

    Example:
        >>> stable_hash("cat") == stable_hash(b"cat"), stable_hash(5) == stable_hash("5")
        (True, True)
    """
    data = value if isinstance(value, bytes) else str(value).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8, key=key).digest(), "little")


class Hashing(Layer):
    """Hashes each value into one of `num_bins` buckets (ints, or strings given as Python lists /
    NumPy object arrays).

    Strings cannot be backend arrays, so a string input is hashed on the host when the layer is
    called on it directly (`Hashing(...)(["a", "b"])`), and its integer output then feeds a
    model. Integer tensors work inside a model too; each call reads them to the host to hash.

    Args:
        num_bins: how many buckets (including the mask bucket, when `mask_value` is set).
        mask_value: a value that goes to bucket 0 (the others then hash into 1 .. num_bins - 1).
        salt: an int or a pair of ints keying the hash.
        output_mode: 'int' (the bucket index, int64), 'one_hot', 'multi_hot' or 'count'.

    Example:
        >>> from multinn.layers import Hashing
        >>> out = Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""]]).numpy()
        >>> out.shape, int(out[2, 0]), bool((out[:2] >= 1).all())
        ((3, 1), 0, True)
    """

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None, output_mode: str = "int",
                 sparse: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_bins = check_int(num_bins, "num_bins")
        if mask_value is not None and self.num_bins < 2:
            raise ValueError(f"Hashing: with a mask_value, num_bins must be at least 2. Received: num_bins={num_bins!r}")
        if salt is not None and not (isinstance(salt, int) and not isinstance(salt, bool)) and not (
                isinstance(salt, (list, tuple)) and len(salt) == 2 and all(isinstance(s, int) for s in salt)):
            raise ValueError(f"Hashing: `salt` must be an int or a pair of ints. Received: salt={salt!r}")
        if sparse:
            raise NotImplementedError(f"Hashing: only dense outputs are supported. Received: sparse={sparse!r}")
        self.mask_value = mask_value
        self.salt = list(salt) if isinstance(salt, tuple) else salt
        self.output_mode = check_choice(output_mode, "output_mode", ("int",) + OUTPUT_MODES)
        self.sparse = False
        self._key = _salt_key(salt)

    def _bucket(self, value: Any) -> int:
        if self.mask_value is not None and (value == self.mask_value or str(value) == str(self.mask_value)):
            return 0
        if self.mask_value is not None:
            return 1 + stable_hash(value, self._key) % (self.num_bins - 1)
        return stable_hash(value, self._key) % self.num_bins

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if is_host_text(inputs):
            flat, shape = nested_values(inputs)
            return self._encode(K.reshape(K.constant([self._bucket(v) for v in flat], dtype="int64"), shape))
        return super().__call__(inputs, *args, **kwargs)

    def _encode(self, buckets: Any) -> Any:
        if self.output_mode == "int":
            return buckets
        return encode(buckets, self.num_bins, self.output_mode, self.dtype)

    def call(self, inputs: Any) -> Any:
        # A Sequential feeds its input in the layer's dtype (float32): the values are integers still.
        values = host_values(K.cast(inputs, "int64"))
        buckets = K.reshape(K.constant([self._bucket(v) for v in values], dtype="int64"), tuple(inputs.shape))
        return self._encode(buckets)

    def _output_dtype(self, input_list: list) -> str:
        return "int64" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(tuple(input_shape), self.num_bins, self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_bins": self.num_bins, "mask_value": self.mask_value,
                "salt": self.salt, "output_mode": self.output_mode, "sparse": self.sparse}
