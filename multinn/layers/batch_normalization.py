"""BatchNormalization (Keras 2): normalizes with batch statistics in training, moving ones in test."""
from __future__ import annotations

from typing import Any

from multinn import backend as K
from multinn import constraints, initializers, regularizers
from multinn.engine.base_layer import InputSpec, Layer
from multinn.engine.legacy import legacy_support
from multinn.utils.argument_validation import check_int, check_number

from .legacy_interfaces import BATCH_NORMALIZATION


class BatchNormalization(Layer):
    """Normalizes its input along `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    In training, mean and var are the batch's; the moving statistics are updated as
    `moving = moving * momentum + batch_stat * (1 - momentum)`, the variance with the
    unbiased sample estimate, as Keras 2 does. In test mode the moving statistics are used.
    The moving statistics are Keras 2 "updates": they change only in a training step (or a
    direct eager call), never in evaluate or predict (even with `training=True`), and never
    for a frozen layer or one inside a frozen network (`trainable=False`, e.g. a GAN's
    discriminator inside the combined model), which still normalizes with the batch
    statistics in training.

    Args:
        axis: the features axis (-1 for channels_last, 1 for channels_first); a one-element
            list is read as its element.
        momentum: momentum of the moving averages.
        epsilon: added to the variance.
        center, scale: learn beta / gamma.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import BatchNormalization
        >>> bn = BatchNormalization()
        >>> bn(K.constant([[1.0], [3.0]]), training=True).numpy().round(2).tolist()
        [[-1.0], [1.0]]
    """

    @legacy_support(BATCH_NORMALIZATION)
    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        if isinstance(axis, (list, tuple)):
            # tf.keras 2 configs hold the axis as a one-element list; one axis is all this layer normalizes.
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization normalizes along one axis. Received: axis={axis!r}")
            axis = axis[0]
        self.axis = check_int(axis, "axis", minimum=None)
        self.momentum = check_number(momentum, "momentum")
        self.epsilon = check_number(epsilon, "epsilon", minimum=0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        axis = self.axis if self.axis >= 0 else self.axis + ndim
        if not 0 <= axis < ndim:
            raise ValueError(f"BatchNormalization axis {self.axis} is out of range for inputs of shape {input_shape}.")
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer received an input "
                f"with shape {input_shape}."
            )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        shape = (dim,)
        self.gamma = self.add_weight(
            name="gamma", shape=shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer,
            constraint=self.gamma_constraint,
        ) if self.scale else None
        self.beta = self.add_weight(
            name="beta", shape=shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer,
            constraint=self.beta_constraint,
        ) if self.center else None
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape, initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer, trainable=False
        )
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        ndim = inputs.ndim
        axis = self.axis if self.axis >= 0 else self.axis + ndim
        if training is None:
            training = K.learning_phase()
        if not training:
            return K.batch_normalization(
                inputs, self.moving_mean, self.moving_variance, self.beta, self.gamma, axis=axis, epsilon=self.epsilon
            )
        reduction_axes = [i for i in range(ndim) if i != axis]
        normed, mean, variance = K.normalize_batch_in_training(inputs, self.gamma, self.beta, reduction_axes, epsilon=self.epsilon)
        if not self._runs_updates():
            # Frozen (itself or inside a frozen network), or in evaluate/predict: Keras 2 runs no
            # updates there, so the batch statistics normalize and the moving ones stay.
            return normed
        sample_size = 1
        for i in reduction_axes:
            sample_size *= int(inputs.shape[i])
        # Keras 2 keeps the unbiased variance estimate in the moving statistics.
        unbiased = variance * (sample_size / (sample_size - (1.0 + self.epsilon))) if sample_size > 1 else variance
        K.moving_average_update(self.moving_mean, mean, self.momentum)
        K.moving_average_update(self.moving_variance, unbiased, self.momentum)
        return normed

    def _symbolic_updates(self, arguments: dict) -> list:
        # Keras 2: a call with training=False never updates the moving statistics.
        if arguments.get("training", True) in (False, 0):
            return []
        return [self.moving_mean, self.moving_variance]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
        return {**super().get_config(), **config}
