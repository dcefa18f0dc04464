"""Tensors given to a model in advance: `compile(target_tensors=...)` and `Input(tensor=...)`.

In Keras 2 such a tensor takes the place of the data for that target or input: training
reads it instead of a fed array. multinn keeps the tensor's value and uses it wherever the
data would be; a placeholder (`K.placeholder`) or None still means "fed by the user".
"""
from __future__ import annotations

from typing import Any

from multinn import backend as K

from .training_utils import per_output


def holds_value(tensor: Any) -> bool:
    """True for a tensor with a value (a variable or a constant); False for None or a placeholder.

    Example:
        >>> from multinn import backend as K
        >>> holds_value(K.variable([1.0])), holds_value(K.placeholder((None, 2))), holds_value(None)
        (True, False, False)
    """
    return isinstance(tensor, K.Tensor) and not K.is_placeholder(tensor)


def resolve_target_tensors(target_tensors: Any, output_names: list) -> list:
    """One entry per output (None where the targets are fed) from `compile(target_tensors=...)`:
    a tensor (one output), a list with one entry per output, or a dict by output name.

    Example:
        >>> from multinn import backend as K
        >>> t = K.variable([[1.0]])
        >>> [x is t for x in resolve_target_tensors({"b": t}, ["a", "b"])]
        [False, True]
    """
    n = len(output_names)
    if target_tensors is None:
        return [None] * n
    if isinstance(target_tensors, (dict, list, tuple)):
        return per_output(target_tensors, output_names, "target_tensors")
    if isinstance(target_tensors, K.Tensor) or K.is_placeholder(target_tensors):
        if n != 1:
            raise ValueError(
                f"The model has {n} outputs, but you passed a single tensor as `target_tensors`. Expected a list or a "
                "dict of tensors."
            )
        return [target_tensors]
    raise TypeError(
        "Expected `target_tensors` to be a tensor, a list of tensors, or a dict of tensors by output name. "
        f"Received: target_tensors={target_tensors!r}"
    )
