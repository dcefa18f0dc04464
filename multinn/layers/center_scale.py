"""CenterScaleLayer: the beta/gamma options, weights and config of the normalization layers
that learn a shift (`center`) and a scale (`scale`): LayerNormalization, GroupNormalization."""
from __future__ import annotations

from typing import Any

from multinn import constraints, initializers, regularizers
from multinn.engine.base_layer import Layer

__all__ = ["CenterScaleLayer"]


class CenterScaleLayer(Layer):
    """A layer with optional `gamma` (scale) and `beta` (shift) weights, tf.keras's options.

    Subclasses call `_set_center_scale_options` in `__init__`, `_add_gamma_beta(shape)` in
    `build` (gamma first, then beta, tf.keras's order) and merge `_center_scale_config()`
    into `get_config`.

    Example:
        >>> layer = CenterScaleLayer()
        >>> layer._set_center_scale_options(True, False, "zeros", "ones", None, None, None, None)
        >>> layer._add_gamma_beta((3,))
        >>> [w.name for w in layer.weights], layer._center_scale_config()["center"]
        (['center_scale_layer_1/beta:0'], True)
    """

    def _set_center_scale_options(self, center: bool, scale: bool, beta_initializer: Any, gamma_initializer: Any,
                                  beta_regularizer: Any, gamma_regularizer: Any, beta_constraint: Any,
                                  gamma_constraint: Any) -> None:
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma_beta(self, shape: tuple) -> None:
        self.gamma = self.add_weight(
            name="gamma", shape=shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer,
            constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(
            name="beta", shape=shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer,
            constraint=self.beta_constraint) if self.center else None

    def _center_scale_config(self) -> dict:
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
