"""RMSprop: divide the gradient by a running average of its recent magnitude."""
from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, config_float, default_epsilon, host_float


class RMSprop(Optimizer):
    """RMSprop (Keras 2's `RMSprop`): a = rho*a + (1-rho)*g², p = p - lr*g / (sqrt(a) + epsilon).

    With `momentum` > 0 the step goes through a velocity m = momentum*m + lr*g / sqrt(a + epsilon);
    `centered` also tracks the mean gradient and normalizes by the variance.

    Args:
        learning_rate: float >= 0, a LearningRateSchedule, or a callable of the step.
        rho: discounting factor of the squared-gradient average.
        momentum: float >= 0.
        epsilon: fuzz factor; K.epsilon() when None.
        centered: normalize by the estimated variance of the gradient.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.RMSprop(learning_rate=0.01).apply_gradients([(K.constant([2.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.9684
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: "float | None" = None,
        centered: bool = False,
        **kwargs: Any,
    ):
        self.rho = self._hyperparameter("rho", rho)
        self.momentum = self._hyperparameter("momentum", momentum)
        self.centered = bool(centered)
        self.epsilon = default_epsilon(epsilon)
        kinds = ["rms"]
        if momentum > 0:
            kinds.append("momentum")
            if self.centered:
                kinds.append("mg")
        self._slot_kinds = tuple(kinds)
        super().__init__(learning_rate, **kwargs)

    def _prepare(self, step, lr):
        return lr, host_float(self.rho), host_float(self.momentum)

    def _update(self, var, grad, slots, hyper):
        lr, rho, momentum = hyper
        m = slots.get("momentum")
        mg = slots.get("mg")
        var.backend.rmsprop_update(
            var.data, grad, slots["rms"].data, lr, rho, self.epsilon, momentum,
            None if m is None else m.data, None if mg is None else mg.data,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(rho=config_float(self.rho), epsilon=self.epsilon)
        # tf.keras's options, which Keras 2's RMSprop lacks: shown only when used.
        momentum = config_float(self.momentum)
        if momentum or self.centered:
            config.update(momentum=momentum, centered=self.centered)
        return config
