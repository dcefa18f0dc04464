"""Adadelta: Adagrad with a moving window of squared gradients and of squared updates."""
from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, default_epsilon


class Adadelta(Optimizer):
    """Adadelta (Keras 2's `Adadelta`).

    a = rho*a + (1-rho)*g²;  u = g * sqrt(d + eps) / sqrt(a + eps);  p = p - lr*u;
    d = rho*d + (1-rho)*u².

    Args:
        learning_rate: Keras 2's default is 1.0, as in the paper.
        rho: decay factor of both averages.
        epsilon: fuzz factor; K.epsilon() when None.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.Adadelta().apply_gradients([(K.constant([1.0]), w)])
        >>> float(K.get_value(w)[0]) < 1.0
        True
    """

    _slot_kinds = ("accumulator", "delta_accumulator")

    def __init__(self, learning_rate: Any = 1.0, rho: float = 0.95, epsilon: "float | None" = None, **kwargs: Any):
        self.rho = float(rho)
        self.epsilon = default_epsilon(epsilon)
        super().__init__(learning_rate, **kwargs)

    def _update(self, var, grad, slots, lr):
        var.backend.adadelta_update(
            var.data, grad, slots["accumulator"].data, slots["delta_accumulator"].data, lr, self.rho, self.epsilon
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
