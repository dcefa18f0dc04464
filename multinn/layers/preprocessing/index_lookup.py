"""The vocabulary machinery of StringLookup, IntegerLookup and TextVectorization (tf.keras 2's
index layout, adapt order and TF-IDF weights), on the host."""
from __future__ import annotations

import math
from typing import Any, Iterable

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int

from .encoding import encode
from .hashing import stable_hash

__all__ = ["IndexLookup", "LOOKUP_MODES"]

LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Maps tokens to indices: [mask token (if any)] [num_oov_indices OOV indices] [vocabulary].

    An out-of-vocabulary token goes to one of the OOV indices by a stable hash (BLAKE2b, see
    Hashing; tf.keras uses FarmHash, so with num_oov_indices > 1 the OOV buckets differ).
    `adapt` orders the vocabulary by decreasing frequency, ties by decreasing token, as tf.keras
    does, and for 'tf_idf' keeps `log(1 + documents / (1 + documents containing the token))`
    per token (the OOV weight: their mean). The vocabulary and idf weights are kept in the
    config, so a model saves and reloads with them.

    Example:
        >>> from multinn.layers import StringLookup
        >>> layer = StringLookup()
        >>> layer.adapt(["b", "a", "a"])
        >>> layer.get_vocabulary(), layer([["a", "z"]]).numpy().tolist()
        (['[UNK]', 'a', 'b'], [[1, 0]])
    """

    def __init__(self, max_tokens: "int | None", num_oov_indices: int, mask_token: Any, oov_token: Any,
                 vocabulary: Any = None, idf_weights: Any = None, invert: bool = False, output_mode: str = "int",
                 sparse: bool = False, pad_to_max_tokens: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_tokens = None if max_tokens is None else check_int(max_tokens, "max_tokens", minimum=1)
        self.num_oov_indices = check_int(num_oov_indices, "num_oov_indices", minimum=0)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = check_choice(output_mode, "output_mode", LOOKUP_MODES)
        if self.invert and self.output_mode != "int":
            raise ValueError(f"invert=True works only with output_mode='int'. Received: output_mode={output_mode!r}")
        if sparse:
            raise NotImplementedError(f"Only dense outputs are supported. Received: sparse={sparse!r}")
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ValueError("pad_to_max_tokens=True needs max_tokens. Received: max_tokens=None")
        self._vocab: list = []
        self.idf_weights: "list | None" = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ vocabulary
    def _specials(self) -> list:
        return ([self.mask_token] if self.mask_token is not None else []) + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary: Iterable, idf_weights: Any = None) -> None:
        """Sets the vocabulary (tokens without the mask and OOV tokens, which are added in front).

        Example:
            >>> from multinn.layers import StringLookup
            >>> layer = StringLookup(mask_token="")
            >>> layer.set_vocabulary(["x", "y"])
            >>> layer.get_vocabulary()
            ['', '[UNK]', 'x', 'y']
        """
        vocab = [self._token(v) for v in (vocabulary.tolist() if hasattr(vocabulary, "tolist") else vocabulary)]
        specials = {self.mask_token, self.oov_token}
        vocab = [v for v in vocab if v not in specials] if vocab[:len(self._specials())] == self._specials() else vocab
        if len(set(vocab)) != len(vocab):
            raise ValueError(f"{type(self).__name__}: the vocabulary has repeated tokens. Received: vocabulary={vocab!r}")
        if self.mask_token is not None and self.mask_token in vocab:
            raise ValueError(f"{type(self).__name__}: the vocabulary holds the mask token. Received: "
                             f"mask_token={self.mask_token!r}")
        if self.max_tokens is not None and len(vocab) + len(self._specials()) > self.max_tokens:
            raise ValueError(f"{type(self).__name__}: the vocabulary ({len(vocab)} tokens plus "
                             f"{len(self._specials())} special) exceeds max_tokens. Received: max_tokens={self.max_tokens}")
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("output_mode='tf_idf' needs idf_weights with a vocabulary. Received: idf_weights=None")
        if idf_weights is not None:
            weights = [float(w) for w in (idf_weights.tolist() if hasattr(idf_weights, "tolist") else idf_weights)]
            if len(weights) != len(vocab):
                raise ValueError(f"idf_weights needs one weight per vocabulary token ({len(vocab)}). "
                                 f"Received: idf_weights of length {len(weights)}")
            self.idf_weights = weights
        self._vocab = vocab
        self._index = {t: i + len(self._specials()) for i, t in enumerate(vocab)}

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The tokens by index (with the mask and OOV tokens in front unless told otherwise)."""
        return (self._specials() if include_special_tokens else []) + list(self._vocab)

    def vocabulary_size(self) -> int:
        """How many indices the layer outputs (special tokens included)."""
        return len(self._specials()) + len(self._vocab)

    def _token(self, value: Any) -> Any:
        return value.decode("utf-8") if isinstance(value, bytes) else value

    def adapt(self, data: Any, batch_size: "int | None" = None, steps: "int | None" = None) -> None:
        """Learns the vocabulary (and for 'tf_idf' the idf weights) from `data`: a list (or nested
        lists) of tokens, each row one document."""
        counts: dict = {}
        documents: dict = {}
        rows = self._adapt_rows(data, steps)
        for row in rows:
            seen = set()
            for token in row:
                if token == self.mask_token or token == self.oov_token:
                    continue
                counts[token] = counts.get(token, 0) + 1
                seen.add(token)
            for token in seen:
                documents[token] = documents.get(token, 0) + 1
        ordered = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            ordered = ordered[:max(self.max_tokens - len(self._specials()), 0)]
        idf = None
        if self.output_mode == "tf_idf":
            idf = [math.log(1.0 + len(rows) / (1.0 + documents[t])) for t in ordered]
        self.idf_weights = None
        self.set_vocabulary(ordered, idf)

    def _adapt_rows(self, data: Any, steps: "int | None") -> list:
        """The documents of `data`, each a list of tokens."""
        if K.is_tensor(data):
            data = K.eval(data).tolist()
        elif hasattr(data, "tolist"):
            data = data.tolist()
        rows = [row if isinstance(row, (list, tuple)) else [row] for row in data]
        rows = [[self._token(t) for t in row] for row in rows]
        return rows[:steps] if steps is not None else rows

    # ------------------------------------------------------------------ lookup
    def _lookup(self, token: Any) -> int:
        token = self._token(token)
        if self.mask_token is not None and token == self.mask_token:
            return 0
        found = self._index.get(token) if hasattr(self, "_index") else None
        if found is not None:
            return found
        if self.num_oov_indices == 0:
            raise KeyError(f"{type(self).__name__}: {token!r} is not in the vocabulary and num_oov_indices=0. "
                           f"Received: {token!r}")
        start = 1 if self.mask_token is not None else 0
        return start + (stable_hash(token) % self.num_oov_indices if self.num_oov_indices > 1 else 0)

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def _encode(self, ids: Any) -> Any:
        """Integer ids as the layer's output_mode (a K tensor)."""
        if self.output_mode == "int":
            return ids
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode(ids, self._depth(), mode, self.dtype)
        if self.output_mode == "tf_idf":
            idf = list(self.idf_weights or [])
            oov = sum(idf) / len(idf) if idf else 0.0
            table = [0.0] * (1 if self.mask_token is not None else 0) + [oov] * self.num_oov_indices + idf
            table += [0.0] * (self._depth() - len(table))
            out = out * K.constant(table, dtype=self.dtype)
        return out

    def _invert(self, ids: list) -> list:
        vocab = self.get_vocabulary()
        return [vocab[i] if 0 <= i < len(vocab) else self.oov_token for i in ids]

    def get_config(self) -> dict:
        return {**super().get_config(), "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                "mask_token": self.mask_token, "oov_token": self.oov_token, "invert": self.invert,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": list(self._vocab) or None, "idf_weights": self.idf_weights}
