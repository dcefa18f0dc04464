"""Adamax: Adam with the infinity norm."""
from __future__ import annotations

from typing import Any

from .optimizer import _MomentsOptimizer, host_float


class Adamax(_MomentsOptimizer):
    """Adamax (Keras 2's `Adamax`, section 7 of the Adam paper).

    m = b1*m + (1-b1)*g;  u = max(b2*u, |g|);  p = p - lr/(1-b1^t) * m / (u + epsilon).

    Args:
        learning_rate: Keras 2's default is 0.002.
        beta_1, beta_2: decay rates, in (0, 1).
        epsilon: fuzz factor; K.epsilon() when None.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.Adamax(learning_rate=0.1).apply_gradients([(K.constant([5.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.9
    """

    _slot_kinds = ("m", "u")

    def __init__(
        self,
        learning_rate: Any = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: "float | None" = None,
        **kwargs: Any,
    ):
        self._set_moment_options(beta_1, beta_2, epsilon)
        super().__init__(learning_rate, **kwargs)

    def _prepare(self, step, lr):
        beta_1 = host_float(self.beta_1)
        return lr / (1.0 - beta_1 ** (step + 1)), beta_1, host_float(self.beta_2)

    def _update(self, var, grad, slots, hyper):
        lr_t, beta_1, beta_2 = hyper
        var.backend.adamax_update(var.data, grad, slots["m"].data, slots["u"].data, lr_t, beta_1, beta_2, self.epsilon)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._moment_config())
        return config
