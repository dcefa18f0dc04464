"""Nadam: Adam with Nesterov momentum and Keras 2's warming momentum schedule."""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from .optimizer import _MomentsOptimizer, host_float


class Nadam(_MomentsOptimizer):
    """Nadam (Keras 2's `Nadam`).

    With mu_t = b1 * (1 - 0.5 * 0.96^(t * schedule_decay)) and the running product
    s_t = mu_1 ... mu_t (the variable `m_schedule`):
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g²;
    m_bar = (1-mu_t) * g/(1-s_t) + mu_{t+1} * m/(1-s_t*mu_{t+1});
    p = p - lr * m_bar / (sqrt(v/(1-b2^t)) + epsilon).

    Args:
        learning_rate: Keras 2's default is 0.002.
        beta_1, beta_2: decay rates, in (0, 1).
        epsilon: fuzz factor; K.epsilon() when None.
        schedule_decay: warming rate of the momentum schedule.
        **kwargs: `lr`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.Nadam().apply_gradients([(K.constant([1.0]), w)])
        >>> float(K.get_value(w)[0]) < 1.0
        True
    """

    _slot_kinds = ("m", "v")

    def __init__(
        self,
        learning_rate: Any = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: "float | None" = None,
        schedule_decay: float = 0.004,
        **kwargs: Any,
    ):
        self._set_moment_options(beta_1, beta_2, epsilon)
        self.schedule_decay = float(schedule_decay)
        self.m_schedule = K.variable(1.0, name="m_schedule", trainable=False)
        super().__init__(learning_rate, **kwargs)

    def _extra_weights(self):
        return [self.m_schedule]

    def _momentum_cache(self, beta_1: float, t: int) -> float:
        return beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def _prepare(self, step, lr):
        t = step + 1
        beta_1, beta_2 = host_float(self.beta_1), host_float(self.beta_2)
        mu_t = self._momentum_cache(beta_1, t)
        mu_next = self._momentum_cache(beta_1, t + 1)
        schedule_new = host_float(self.m_schedule) * mu_t
        schedule_next = schedule_new * mu_next
        c_g = (1.0 - mu_t) / (1.0 - schedule_new)
        c_m = mu_next / (1.0 - schedule_next)
        c_v = 1.0 / (1.0 - beta_2**t)
        return lr, beta_1, beta_2, c_g, c_m, c_v, schedule_new

    def _update(self, var, grad, slots, hyper):
        lr, beta_1, beta_2, c_g, c_m, c_v, _ = hyper
        var.backend.nadam_update(
            var.data, grad, slots["m"].data, slots["v"].data, lr, beta_1, beta_2, self.epsilon, c_g, c_m, c_v
        )

    def _finish(self, hyper):
        # A Python number: its float32 rounding is kept on the host, so the next step reads nothing.
        K.set_value(self.m_schedule, hyper[-1])

    _config_shows_decay = False

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._moment_config(), schedule_decay=self.schedule_decay)
        return config
