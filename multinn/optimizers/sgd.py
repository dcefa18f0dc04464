"""Stochastic gradient descent with optional (Nesterov) momentum."""
from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, config_float, host_float


class SGD(Optimizer):
    """Stochastic gradient descent (Keras 2's `SGD`).

    Without momentum: p = p - lr * g. With momentum: v = momentum * v - lr * g, then
    p = p + v, or with Nesterov p = p + momentum * v - lr * g.

    Args:
        learning_rate: float >= 0, a LearningRateSchedule, or a callable of the step.
        momentum: float >= 0 that accelerates SGD in the relevant direction.
        nesterov: whether to apply Nesterov momentum.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue` (see Optimizer).

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.apply_gradients([(K.constant([1.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.71
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any):
        if momentum < 0:
            raise ValueError(f"`momentum` must be >= 0. Received: momentum={momentum!r}")
        self.momentum = self._hyperparameter("momentum", momentum)
        self.nesterov = bool(nesterov)
        # As in Keras 2, momentum > 0 at construction decides whether velocities exist.
        self._slot_kinds = ("momentum",) if momentum > 0 else ()
        super().__init__(learning_rate, **kwargs)

    def _prepare(self, step, lr):
        return lr, host_float(self.momentum) if self._slot_kinds else 0.0

    def _update(self, var, grad, slots, hyper):
        lr, momentum = hyper
        m = slots.get("momentum")
        var.backend.sgd_update(var.data, grad, lr, momentum, self.nesterov, None if m is None else m.data)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(momentum=config_float(self.momentum), nesterov=self.nesterov)
        return config
