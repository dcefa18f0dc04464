"""Keras 2.3.1's `keras.legacy.interfaces`: decorators that let a Keras 2 constructor or
method read Keras 1 spellings, converting them with one warning that shows the Keras 2 call.

Each `legacy_*_support` decorator applies the conversion table multinn's own layers and models
use (`multinn.layers.legacy_interfaces`, `multinn.engine.legacy_interfaces`) through
`multinn.engine.legacy.legacy_support`;
`generate_legacy_interface` builds a decorator from keyword renames and value conversions.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from multinn.layers import legacy_interfaces as _tables
from multinn.engine.legacy import Interface, legacy_support


def generate_legacy_interface(allowed_positional_args: "Iterable[str] | None" = None,
                              conversions: "Iterable[tuple] | None" = None,
                              preprocessor: "Callable | None" = None,
                              value_conversions: "dict | None" = None,
                              object_type: str = "class") -> Callable:
    """A decorator for a constructor (object_type 'class') or a method (object_type 'method')
    that renames Keras 1 keywords (`conversions`: (old, new) pairs) and translates values
    (`value_conversions`: {keyword: {old_value: new_value}}), warning once per call.

    `preprocessor(args, kwargs)` may rewrite the call first; it returns (args, kwargs,
    converted), converted being (old, new) pairs for the warning.

    Example:
        >>> import warnings
        >>> class Scaled:
        ...     @generate_legacy_interface(conversions=[("k", "factor")])
        ...     def __init__(self, factor=1.0):
        ...         self.factor = factor
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     Scaled(k=2.0).factor
        2.0
    """
    prepare = None
    if preprocessor is not None:
        def prepare(call: Any) -> None:
            args, kwargs, converted = preprocessor(list(call.args), dict(call.kwargs))
            call.args[:] = list(args)
            call.kwargs.clear()
            call.kwargs.update(kwargs)
            call.changed.extend(old for old, _ in converted)

    interface = Interface(renames=tuple(tuple(pair) for pair in (conversions or ())),
                          values=dict(value_conversions or {}), prepare=prepare,
                          positional=tuple(allowed_positional_args) if allowed_positional_args is not None else None,
                          method=object_type == "method")
    return legacy_support(interface)


def generate_legacy_method_interface(allowed_positional_args: "Iterable[str] | None" = None,
                                     conversions: "Iterable[tuple] | None" = None,
                                     preprocessor: "Callable | None" = None,
                                     value_conversions: "dict | None" = None) -> Callable:
    """`generate_legacy_interface(..., object_type='method')`.

    Example:
        >>> decorate = generate_legacy_method_interface(conversions=[("nb_epoch", "epochs")])
        >>> callable(decorate)
        True
    """
    return generate_legacy_interface(allowed_positional_args, conversions, preprocessor, value_conversions,
                                     object_type="method")


legacy_dense_support = legacy_support(_tables.DENSE)
legacy_dropout_support = legacy_support(_tables.DROPOUT)
legacy_embedding_support = legacy_support(_tables.EMBEDDING)
legacy_pooling1d_support = legacy_support(_tables.POOLING1D)
legacy_pooling2d_support = legacy_support(_tables.POOLING)
legacy_pooling3d_support = legacy_support(_tables.POOLING)
legacy_global_pooling_support = legacy_support(_tables.GLOBAL_POOLING)
legacy_prelu_support = legacy_support(_tables.PRELU)
legacy_gaussiannoise_support = legacy_support(_tables.GAUSSIAN_NOISE)
legacy_gaussiandropout_support = legacy_support(_tables.GAUSSIAN_DROPOUT)
legacy_recurrent_support = legacy_support(_tables.RECURRENT)
legacy_conv1d_support = legacy_support(_tables.CONV1D)
legacy_conv2d_support = legacy_support(_tables.CONV2D)
legacy_conv3d_support = legacy_support(_tables.CONV3D)
legacy_deconv2d_support = legacy_support(_tables.CONV2D_TRANSPOSE)
legacy_separable_conv2d_support = legacy_support(_tables.SEPARABLE_CONV2D)
legacy_batchnorm_support = legacy_support(_tables.BATCH_NORMALIZATION)
legacy_upsampling1d_support = legacy_support(_tables.UPSAMPLING1D)
legacy_upsampling2d_support = legacy_support(_tables.DIM_ORDERING)
legacy_upsampling3d_support = legacy_support(_tables.DIM_ORDERING)
legacy_zeropadding2d_support = legacy_support(_tables.ZERO_PADDING2D)
legacy_zeropadding3d_support = legacy_support(_tables.DIM_ORDERING)
legacy_cropping2d_support = legacy_support(_tables.DIM_ORDERING)
legacy_cropping3d_support = legacy_support(_tables.DIM_ORDERING)
legacy_spatialdropout1d_support = legacy_support(_tables.SPATIAL_DROPOUT1D)
legacy_spatialdropoutNd_support = legacy_support(_tables.SPATIAL_DROPOUT)  # noqa: N816 (Keras's name)
legacy_lambda_support = legacy_support(_tables.LAMBDA)
legacy_model_constructor_support = legacy_support(_tables.MODEL)
legacy_input_support = legacy_support(_tables.INPUT_LAYER)
legacy_generator_methods_support = legacy_support(_tables.GENERATOR_METHODS)
legacy_convlstm2d_support = legacy_support(_tables.CONVLSTM2D)
