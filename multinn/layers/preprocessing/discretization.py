"""Discretization (tf.keras 2): the bin index of each value, bins given or learned as quantiles."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_choice, check_int, check_number

from .adapt_data import adapt_batches, host_values
from .encoding import OUTPUT_MODES, encode, encoded_shape

__all__ = ["Discretization"]


def quantile_boundaries(values: list, num_bins: int) -> list:
    """The `i / num_bins` quantiles (i = 1 .. num_bins - 1) of `values`, linearly interpolated
    between order statistics (NumPy's default quantile method).

    Example:
        >>> quantile_boundaries([1.0, 2.0, 3.0, 4.0, 5.0], 4)
        [2.0, 3.0, 4.0]
    """
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for i in range(1, num_bins):
        pos = last * i / num_bins
        lo = int(pos)
        hi = min(lo + 1, last)
        out.append(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
    return out


class Discretization(Layer):
    """Buckets values by ranges: `bin_boundaries=[0., 1., 2.]` gives the bins (-inf, 0),
    [0, 1), [1, 2), [2, inf), numbered 0 to 3.

    Args:
        bin_boundaries: the sorted boundaries; or None with `num_bins` to learn them by `adapt()`.
        num_bins: how many bins `adapt()` makes (at its quantiles).
        epsilon: tf.keras's quantile error tolerance; kept for the config (adapt here computes
            exact quantiles over the data, interpolated as NumPy's default `quantile`).
        output_mode: 'int' (the bin index, int64), or 'one_hot', 'multi_hot', 'count'
            (as CategoryEncoding with `num_tokens` the number of bins).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Discretization
        >>> Discretization([0.0, 1.0, 2.0])(K.constant([[-1.5, 1.0, 3.4, 0.5]])).numpy().tolist()
        [[0, 2, 3, 1]]
    """

    def __init__(self, bin_boundaries: Any = None, num_bins: "int | None" = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if sparse:
            raise NotImplementedError("Discretization: sparse outputs are not supported; use sparse=False. "
                                      f"Received: sparse={sparse!r}")
        if bin_boundaries is not None and num_bins is not None and len(bin_boundaries) != num_bins - 1:
            raise ValueError("Discretization: pass `bin_boundaries` or `num_bins`, not both (an adapted config "
                             "has both, with num_bins - 1 boundaries). "
                             f"Received: bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}")
        if bin_boundaries is None and num_bins is None:
            raise ValueError("Discretization: pass `bin_boundaries`, or `num_bins` and call adapt(). "
                             "Received: bin_boundaries=None, num_bins=None")
        self.num_bins = None if num_bins is None else check_int(num_bins, "num_bins")
        if bin_boundaries is not None:
            bin_boundaries = [check_number(b, "bin_boundaries") for b in bin_boundaries]
            if bin_boundaries != sorted(bin_boundaries):
                raise ValueError(f"Discretization: `bin_boundaries` must be sorted. Received: bin_boundaries={bin_boundaries!r}")
        self.bin_boundaries = bin_boundaries
        self.epsilon = check_number(epsilon, "epsilon", minimum=0)
        self.output_mode = check_choice(output_mode, "output_mode", ("int",) + OUTPUT_MODES)
        self.sparse = False

    def _bins(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def adapt(self, data: Any, batch_size: "int | None" = None, steps: "int | None" = None) -> None:
        """Sets `bin_boundaries` to the quantiles of `data` that split it into `num_bins` bins.

        Example:
            >>> layer = Discretization(num_bins=4)
            >>> layer.adapt([[1.0], [2.0], [3.0], [4.0], [5.0]])
            >>> layer.bin_boundaries
            [2.0, 3.0, 4.0]
        """
        if self.num_bins is None:
            raise ValueError("Discretization: adapt() needs `num_bins` (this layer was given `bin_boundaries`). "
                             f"Received: bin_boundaries={self.bin_boundaries!r}")
        values: list = []
        for batch in adapt_batches(data, batch_size, steps, "Discretization", dtype="float64"):
            values.extend(host_values(batch))
        self.bin_boundaries = quantile_boundaries(values, self.num_bins)

    def _check_ready(self) -> None:
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization '{self.name}': call adapt() before using the layer "
                             f"(it has num_bins={self.num_bins} and no boundaries yet).")

    def call(self, inputs: Any) -> Any:
        self._check_ready()
        x = K.cast(inputs, "float64")
        if self.bin_boundaries:
            edges = K.constant(self.bin_boundaries, dtype="float64")
            index = K.sum(K.cast(K.greater_equal(K.expand_dims(x, -1), edges), "int64"), axis=-1)
        else:
            index = K.cast(K.zeros_like(x), "int64")
        if self.output_mode == "int":
            return index
        return encode(index, self._bins(), self.output_mode, self.dtype)

    def _output_dtype(self, input_list: list) -> str:
        return "int64" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(tuple(input_shape), self._bins(), self.output_mode)

    def get_config(self) -> dict:
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse}
