"""`TimeseriesGenerator`: batches of sliding windows over a time series, as a `Sequence`."""
from __future__ import annotations

import json
import random
from typing import Any

from multinn import backend as K
from multinn.utils.data_utils import Sequence


class TimeseriesGenerator(Sequence):
    """Batches of (window of past steps, target) pairs cut from one time series, for `fit_generator`.

    The sample for step i is data[i - length : i : sampling_rate] (axis 0 is time) and its
    target is targets[i]. Steps run from start_index + length to end_index (inclusive;
    the last step when None), every `stride` steps, `batch_size` per batch. Batches are
    NumPy arrays (`x` of shape (batch, ceil(length / sampling_rate)) + data.shape[1:]).

    Args:
        data: the series (a list or array); a NumPy array keeps its dtype, Python floats become floatx.
        targets: one target per step of `data` (same length).
        length: how many steps back a window reaches.
        sampling_rate: the step between the timesteps kept in a window.
        stride: the step between consecutive windows.
        start_index: steps before it are not used as targets' windows' starts.
        end_index: steps after it are not used (the last one when None).
        shuffle: draw each batch's steps at random (with replacement, from Python's `random`)
            instead of in order.
        reverse: put each window's timesteps in reverse chronological order.
        batch_size: windows per batch (the last batch may be smaller).

    Example:
        >>> from multinn.preprocessing.sequence import TimeseriesGenerator
        >>> series = [[float(i)] for i in range(10)]
        >>> gen = TimeseriesGenerator(series, series, length=4, sampling_rate=2, batch_size=2)
        >>> len(gen)
        3
        >>> x, y = gen[0]
        >>> x.tolist(), y.tolist()
        ([[[0.0], [2.0]], [[1.0], [3.0]]], [[4.0], [5.0]])
    """

    def __init__(self, data: Any, targets: Any, length: int, sampling_rate: int = 1, stride: int = 1,
                 start_index: int = 0, end_index: "int | None" = None, shuffle: bool = False, reverse: bool = False,
                 batch_size: int = 128):
        if len(data) != len(targets):
            raise ValueError("Data and targets have to be of same length. "
                             f"Received: len(data)={len(data)}, len(targets)={len(targets)}")
        for name, number in (("length", length), ("sampling_rate", sampling_rate), ("stride", stride),
                             ("batch_size", batch_size)):
            if int(number) != number or number < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={number!r}")
        self.data = data
        self.targets = targets
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.stride = int(stride)
        # As in Keras 2, start_index is stored shifted by `length`: the first usable step.
        self.start_index = int(start_index) + self.length
        self.end_index = len(data) - 1 if end_index is None else int(end_index)
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = int(batch_size)
        if self.end_index >= len(data):
            raise ValueError(f"`end_index` must be a step of `data` (below len(data)={len(data)}). "
                             f"Received: end_index={self.end_index}")
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index={self.end_index}` is disallowed, "
                             "as no part of the sequence would be left to be used as current step.")
        self._data = _tensor(data)
        self._targets = _tensor(targets)

    def __len__(self) -> int:
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index: int) -> "tuple[Any, Any]":
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"TimeseriesGenerator index out of range: it has {count} batches. Received: index={index}")
        if self.shuffle:
            steps = [random.randint(self.start_index, self.end_index) for _ in range(self.batch_size)]
        else:
            first = self.start_index + self.batch_size * self.stride * index
            steps = list(range(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride))
        offsets = list(range(-self.length, 0, self.sampling_rate))
        if self.reverse:
            offsets.reverse()
        with K.no_grad():
            samples = K.gather(self._data, [[step + offset for offset in offsets] for step in steps])
            targets = K.gather(self._targets, steps)
        return samples.numpy(), targets.numpy()

    def get_config(self) -> dict:
        """The constructor's arguments, with `data` and `targets` as JSON strings (Keras 2's layout).

        Unlike Keras 2 (which stores start_index + length), `start_index` is the value given
        to the constructor, so `timeseries_generator_from_json(gen.to_json())` makes the same batches.

        Example:
            >>> from multinn.preprocessing.sequence import TimeseriesGenerator
            >>> config = TimeseriesGenerator([1, 2, 3], [1, 2, 3], length=1, start_index=1).get_config()
            >>> config["data"], config["start_index"], config["end_index"]
            ('[1, 2, 3]', 1, 2)
        """
        return {
            "data": json.dumps(_plain(self.data)),
            "targets": json.dumps(_plain(self.targets)),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index - self.length,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The configuration as a JSON string; `kwargs` go to `json.dumps`.

        Example:
            >>> from multinn.preprocessing.sequence import TimeseriesGenerator, timeseries_generator_from_json
            >>> gen = TimeseriesGenerator([1, 2, 3, 4], [1, 2, 3, 4], length=2, batch_size=1)
            >>> copy = timeseries_generator_from_json(gen.to_json())
            >>> [b[0].tolist() for b in copy] == [b[0].tolist() for b in gen]
            True
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def timeseries_generator_from_json(json_string: str) -> TimeseriesGenerator:
    """A TimeseriesGenerator from the JSON string of `TimeseriesGenerator.to_json()`.

    Example:
        >>> from multinn.preprocessing.sequence import TimeseriesGenerator, timeseries_generator_from_json
        >>> len(timeseries_generator_from_json(TimeseriesGenerator([0] * 6, [0] * 6, length=2, batch_size=2).to_json()))
        2
    """
    config = dict(json.loads(json_string)["config"])
    config["data"] = json.loads(config["data"])
    config["targets"] = json.loads(config["targets"])
    return TimeseriesGenerator(**config)


def _tensor(values: Any) -> Any:
    # An array keeps its dtype (Keras 2 returns batches of the data's dtype); lists follow K's rules.
    return K.convert_to_tensor(values, dtype=getattr(values, "dtype", None))


def _plain(values: Any) -> Any:
    if isinstance(values, K.Tensor):
        return values.numpy().tolist()
    return values.tolist() if hasattr(values, "tolist") else values
