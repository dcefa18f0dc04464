"""Adam, its AMSGrad variant, and AdamW (Adam with decoupled weight decay)."""
from __future__ import annotations

import math
from typing import Any

from .optimizer import _MomentsOptimizer, host_float


class Adam(_MomentsOptimizer):
    """Adam (Keras 2's `Adam`).

    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g²;
    p = p - lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon), with t = iterations + 1.
    AMSGrad divides by sqrt(max of all v) instead.

    Args:
        learning_rate: float >= 0, a LearningRateSchedule, or a callable of the step.
        beta_1, beta_2: decay rates of the moment estimates, in (0, 1).
        epsilon: fuzz factor; K.epsilon() when None.
        amsgrad: use the AMSGrad variant.
        **kwargs: `lr`, `decay`, `clipnorm`, `clipvalue`.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.Adam(learning_rate=0.1).apply_gradients([(K.constant([5.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: "float | None" = None,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        for key, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"`{key}` must be in [0, 1). Received: {key}={value!r}")
        self._set_moment_options(beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)
        self._slot_kinds = ("m", "v", "vhat") if self.amsgrad else ("m", "v")
        super().__init__(learning_rate, **kwargs)

    def _prepare(self, step, lr):
        t = step + 1
        beta_1, beta_2 = host_float(self.beta_1), host_float(self.beta_2)
        return lr, lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t), beta_1, beta_2

    def _decay_scale(self, lr: float) -> float:
        return 0.0

    def _update(self, var, grad, slots, hyper):
        lr, lr_t, beta_1, beta_2 = hyper
        vhat = slots.get("vhat")
        var.backend.adam_update(
            var.data, grad, slots["m"].data, slots["v"].data, lr_t, beta_1, beta_2, self.epsilon,
            None if vhat is None else vhat.data, self._decay_scale(lr),
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._moment_config(), amsgrad=self.amsgrad)
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (tf.keras's `AdamW`): p = p - lr*weight_decay*p, then Adam's step.

    Args:
        learning_rate: float >= 0, a LearningRateSchedule, or a callable of the step.
        weight_decay: the decay rate of the weights, applied at every step.
        beta_1, beta_2, epsilon, amsgrad: as in Adam.

    Example:
        >>> from multinn import backend as K, optimizers
        >>> w = K.variable([1.0])
        >>> optimizers.AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(K.constant([0.0]), w)])
        >>> round(float(K.get_value(w)[0]), 4)
        0.95
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: "float | None" = None,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        if weight_decay < 0:
            raise ValueError(f"`weight_decay` must be >= 0. Received: weight_decay={weight_decay!r}")
        self.weight_decay = float(weight_decay)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs)

    def _decay_scale(self, lr):
        return lr * self.weight_decay

    def get_config(self) -> dict:
        config = super().get_config()
        config["weight_decay"] = self.weight_decay
        return config
