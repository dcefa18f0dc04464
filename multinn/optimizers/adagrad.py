"""Adagrad: per-parameter learning rates shrinking with the sum of squared gradients."""
from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, default_epsilon


class Adagrad(Optimizer):
    """Adagrad (Keras 2's `Adagrad`): a = a + g², p = p - lr*g / (sqrt(a) + epsilon).

    Args:
        learning_rate: float >= 0 (Keras 2's default 0.01), a schedule or a callable of the step.
        initial_accumulator_value: starting value of `a` (0 in Keras 2, 0.1 in tf.keras).
        epsilon: fuzz factor; K.epsilon() when None.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.Adagrad(learning_rate=0.1).apply_gradients([(K.constant([3.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.9
    """

    _slot_kinds = ("accumulator",)

    def __init__(
        self,
        learning_rate: Any = 0.01,
        initial_accumulator_value: float = 0.0,
        epsilon: "float | None" = None,
        **kwargs: Any,
    ):
        if initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be >= 0. "
                f"Received: initial_accumulator_value={initial_accumulator_value!r}"
            )
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = default_epsilon(epsilon)
        super().__init__(learning_rate, **kwargs)

    def _slot_initial_value(self, kind):
        return self.initial_accumulator_value

    def _update(self, var, grad, slots, lr):
        var.backend.adagrad_update(var.data, grad, slots["accumulator"].data, lr, self.epsilon)

    def get_config(self) -> dict:
        config = super().get_config()
        config["epsilon"] = self.epsilon
        if self.initial_accumulator_value:  # tf.keras's option, which Keras 2's Adagrad lacks
            config["initial_accumulator_value"] = self.initial_accumulator_value
        return config
