"""StringLookup and IntegerLookup (tf.keras 2): tokens to vocabulary indices and back."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.utils.generic_utils import as_int

from .adapt_data import host_values
from .encoding import encoded_shape
from .host_inputs import is_host_text, nested_values, reshape_nested
from .index_lookup import IndexLookup

__all__ = ["StringLookup", "IntegerLookup"]


class _Lookup(IndexLookup):
    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # strings in, or tokens out (invert): host data, which cannot be a tensor of the graph
        if is_host_text(inputs) or self.invert:
            return self._host_call(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _host_call(self, inputs: Any) -> Any:
        if K.is_tensor(inputs):
            flat, shape = host_values(inputs), tuple(inputs.shape)
        else:
            flat, shape = nested_values(inputs)
        if self.invert:
            return reshape_nested(self._invert([int(i) for i in flat]), shape)
        ids = K.reshape(K.constant([self._lookup(self._cast_token(v)) for v in flat], dtype="int64"), shape)
        return self._encode(ids)

    def _cast_token(self, value: Any) -> Any:
        return value

    def call(self, inputs: Any) -> Any:
        values = host_values(K.cast(inputs, "int64"))
        ids = K.reshape(K.constant([self._lookup(v) for v in values], dtype="int64"), tuple(inputs.shape))
        return self._encode(ids)

    def _output_dtype(self, input_list: list) -> str:
        return "int64" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        return encoded_shape(tuple(input_shape), self._depth(), mode)


class StringLookup(_Lookup):
    """Maps strings to indices of a vocabulary (given, or learned by `adapt`), tf.keras 2's layout:
    [mask_token if set] [num_oov_indices OOV indices] [vocabulary].

    Strings live on the host: call the layer on a list / nested list / NumPy object array of
    strings (`ids = lookup(texts)`), and feed its K tensor of ids (or encodings) to the model.
    With `invert=True` it maps ids (a tensor or lists) back to nested lists of strings.

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: how many indices out-of-vocabulary tokens share (default 1).
        mask_token: a token that maps to index 0 (None: no mask).
        oov_token: the token `invert` gives for OOV indices (default '[UNK]').
        vocabulary: the tokens (a list), or None to `adapt`.
        idf_weights: one weight per vocabulary token, for output_mode='tf_idf'.
        invert: map indices to tokens instead.
        output_mode: 'int' (default), 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        pad_to_max_tokens: in the non-int modes, make the output max_tokens wide.

    Example:
        >>> from multinn.layers import StringLookup
        >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer([["a", "c", "d"], ["d", "z", "b"]]).numpy().tolist()
        [[1, 3, 4], [4, 0, 2]]
        >>> StringLookup(vocabulary=["a", "b", "c", "d"], invert=True)([[1, 3], [0, 4]])
        [['a', 'c'], ['[UNK]', 'd']]
    """

    def __init__(self, max_tokens: "int | None" = None, num_oov_indices: int = 1, mask_token: "str | None" = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, encoding: str = "utf-8",
                 invert: bool = False, output_mode: str = "int", sparse: bool = False, pad_to_max_tokens: bool = False,
                 **kwargs: Any):
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, sparse, pad_to_max_tokens, **kwargs)

    def _token(self, value: Any) -> Any:
        return value.decode(self.encoding) if isinstance(value, bytes) else value

    def call(self, inputs: Any) -> Any:
        raise TypeError(f"StringLookup '{self.name}' maps strings on the host: call it on a list or NumPy object "
                        "array of strings (before the model), not on a tensor. Received: a tensor of dtype "
                        f"{K.dtype(inputs)}")

    def get_config(self) -> dict:
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_Lookup):
    """Maps integers to indices of a vocabulary (given, or learned by `adapt`), tf.keras 2's layout:
    [mask_token if set] [num_oov_indices OOV indices] [vocabulary]. Integer tensors work inside
    a model (each call reads them to the host to look them up).

    Args: as StringLookup, with `mask_token` an int or None and `oov_token` default -1.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import IntegerLookup
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(K.constant([[12, 1138, 42], [42, 1000, 36]], dtype="int64")).numpy().tolist()
        [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens: "int | None" = None, num_oov_indices: int = 1, mask_token: "int | None" = None,
                 oov_token: int = -1, vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", sparse: bool = False, pad_to_max_tokens: bool = False, **kwargs: Any):
        for name, value in (("mask_token", mask_token), ("oov_token", oov_token)):
            if value is not None and as_int(value) is None:
                raise ValueError(f"IntegerLookup: `{name}` must be an int or None. Received: {name}={value!r}")
        mask_token, oov_token = (None if v is None else as_int(v) for v in (mask_token, oov_token))
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, sparse, pad_to_max_tokens, **kwargs)

    def _token(self, value: Any) -> Any:
        return int(value)
