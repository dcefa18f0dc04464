"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

Any callable `f(step) -> float` works as an optimizer's `learning_rate`; these classes
add serialization (tf.keras's `keras.optimizers.schedules`).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from multinn.utils.generic_utils import get_object, serialize_keras_object


class LearningRateSchedule:
    """Base class: subclasses define `__call__(step)` and `get_config()`.

    Example:
        >>> from multinn.optimizers import schedules
        >>> class Halving(schedules.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 * 0.5 ** int(step)
        ...     def get_config(self):
        ...         return {}
        >>> Halving()(2)
        0.025
    """

    def __call__(self, step: Any) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)


def _check_decay_steps(decay_steps: Any) -> None:
    if decay_steps <= 0:
        raise ValueError(f"`decay_steps` must be > 0. Received: decay_steps={decay_steps!r}")


class _RateDecay(LearningRateSchedule):
    """The options and config shared by ExponentialDecay and InverseTimeDecay; subclasses
    apply `decay_rate` to `_progress(step)` in `__call__`."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: Any = None,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step: Any) -> float:
        """step / decay_steps, floored when `staircase`."""
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps) (the exponent floored when `staircase`).

    Example:
        >>> from multinn.optimizers import schedules
        >>> s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> round(s(10), 6), round(s(5), 6)
        (0.05, 0.070711)
    """

    def __call__(self, step: Any) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_RateDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps) (floored ratio when `staircase`).

    Example:
        >>> from multinn.optimizers import schedules
        >>> schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
        0.05
    """

    def __call__(self, step: Any) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ..., values[-1] after.

    Example:
        >>> from multinn.optimizers import schedules
        >>> s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> s(10), s(11), s(25)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: Any = None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "`values` must have one more element than `boundaries`. "
                f"Received: boundaries={list(boundaries)!r}, values={list(values)!r}"
            )
        self.boundaries = list(boundaries)
        self.values = [float(v) for v in values]
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from initial_learning_rate to end_learning_rate over decay_steps as (1 - step/decay_steps)**power.

    Example:
        >>> from multinn.optimizers import schedules
        >>> schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)(5)
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: Any = None,
    ):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        steps = float(self.decay_steps)
        if self.cycle:
            # The horizon grows by whole multiples of decay_steps (tf.keras's cycle).
            steps *= max(1.0, math.ceil(step / steps))
        else:
            step = min(step, steps)
        fraction = 1.0 - step / steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * fraction**self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha).

    Example:
        >>> from multinn.optimizers import schedules
        >>> schedules.CosineDecay(1.0, decay_steps=10)(5)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: Any = None):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.alpha = float(alpha)
        self.name = name

    def __call__(self, step: Any) -> float:
        fraction = min(float(step), self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
        }


_OBJECTS = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay
    )
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """{'class_name': ..., 'config': ...} for a schedule.

    Example:
        >>> from multinn.optimizers import schedules
        >>> schedules.serialize(schedules.InverseTimeDecay(0.1, 1, 0.5))["class_name"]
        'InverseTimeDecay'
    """
    return serialize_keras_object(schedule)


def deserialize(config: dict, custom_objects: Any = None) -> LearningRateSchedule:
    """The schedule a `serialize` dict describes (user classes via custom_objects)."""
    return get_object(config, _OBJECTS, kind="learning rate schedule", custom_objects=custom_objects)
