"""Collectives on K tensors: `allreduce`, `allgather`, `broadcast`, `broadcast_weights`.

Every rank must call the same collectives in the same order. The results are new tensors on
the input's backend; nothing is recorded for autodiff (combine gradients, not losses).
"""
from __future__ import annotations

from typing import Any, Iterable

from multinn import backend as K

from . import world


def _tensor(value: Any, what: str) -> K.Tensor:
    if getattr(value, "_keras_history", None) is not None and not isinstance(value, K.Tensor):
        raise TypeError(
            f"multinn.distribute.{what} runs eagerly on values, not on a model's symbolic tensors. Received: {value!r}"
        )
    return value if isinstance(value, K.Tensor) else K.convert_to_tensor(value)


def _name_note(name: "str | None") -> str:
    return "" if name is None else f" (name={name!r})"


def allreduce(tensor: Any, average: bool = True, name: "str | None" = None) -> K.Tensor:
    """The mean (or with `average=False` the sum) of `tensor` over every rank.

    Args:
        tensor: a K tensor, array or number; same shape and dtype on every rank.
        average: mean when True, sum when False (integers average with floor division).
        name: a label for error messages (Horovod matches collectives by name; multinn runs
            them in call order, so every rank must call in the same order).

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> K.eval(distribute.allreduce(K.constant([1.0, 3.0]))).tolist()  # one process: unchanged
        [1.0, 3.0]
    """
    t = _tensor(tensor, "allreduce")
    try:
        out = world.collectives_for(t.backend).allreduce(t.data, average=bool(average))
    except ValueError as exc:
        raise ValueError(f"{exc}{_name_note(name)}") from None
    return K.Tensor(out, t.backend)


def allgather(tensor: Any, name: "str | None" = None) -> K.Tensor:
    """Every rank's `tensor` concatenated along the first axis, in rank order (first dimensions
    may differ between ranks; the other dimensions and the dtype must not).

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> K.int_shape(distribute.allgather(K.ones((2, 3)))) == (2 * distribute.size(), 3)
        True
    """
    t = _tensor(tensor, "allgather")
    try:
        out = world.collectives_for(t.backend).allgather(t.data)
    except ValueError as exc:
        raise ValueError(f"{exc}{_name_note(name)}") from None
    return K.Tensor(out, t.backend)


def broadcast(tensor: Any, root_rank: int, name: "str | None" = None) -> K.Tensor:
    """Rank `root_rank`'s `tensor`, on every rank (same shape and dtype everywhere).

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> K.eval(distribute.broadcast(K.constant([2.0]), root_rank=0)).tolist()
        [2.0]
    """
    t = _tensor(tensor, "broadcast")
    try:
        out = world.collectives_for(t.backend).broadcast(t.data, _root(root_rank))
    except ValueError as exc:
        raise ValueError(f"{exc}{_name_note(name)}") from None
    return K.Tensor(out, t.backend)


def _root(root_rank: Any) -> int:
    if isinstance(root_rank, bool) or not isinstance(root_rank, int):
        raise TypeError(f"root_rank must be an int. Received: root_rank={root_rank!r}")
    return root_rank


def broadcast_variables(variables: Iterable[Any], root_rank: int = 0) -> None:
    """Sets each K Variable, in place, to its value on rank `root_rank`.

    Example:
        >>> from multinn import backend as K, distribute
        >>> distribute.init()
        >>> v = K.variable([1.0, 2.0])
        >>> distribute.broadcast_variables([v], root_rank=0)
        >>> K.get_value(v).tolist()
        [1.0, 2.0]
    """
    root = _root(root_rank)
    for var in variables:
        if not isinstance(var, K.Variable):
            raise TypeError(f"broadcast_variables sets K Variables. Received: {var!r}")
        coll = world.collectives_for(var.backend)
        if coll.size > 1:
            var.assign(K.Tensor(coll.broadcast(var.data, root), var.backend))


def broadcast_weights(model: Any, root_rank: int = 0) -> None:
    """Makes every rank's `model` weights (trainable and not: BatchNormalization's moving
    statistics too) equal to rank `root_rank`'s, in place. Call it after building the model and
    before training, or use `callbacks.BroadcastGlobalVariablesCallback`, which also
    broadcasts the optimizer's state.

    Example:
        >>> from multinn import distribute, Sequential
        >>> from multinn.layers import Dense
        >>> distribute.init()
        >>> model = Sequential([Dense(2, input_shape=(3,))])
        >>> distribute.broadcast_weights(model, root_rank=0)
    """
    weights = getattr(model, "weights", None)
    if weights is None:
        raise TypeError(f"broadcast_weights needs a model (with `weights`). Received: {model!r}")
    broadcast_variables(weights, root_rank)


def broadcast_optimizer_state(optimizer: Any, params: Iterable[Any], root_rank: int = 0) -> None:
    """Makes `optimizer`'s state (step count, slots for `params`) equal to rank `root_rank`'s.

    The slots are created first where they do not exist yet, so every rank broadcasts the same
    list whether or not it has trained or loaded a checkpoint.

    Example:
        >>> from multinn import backend as K, distribute, optimizers
        >>> distribute.init()
        >>> w = K.variable([1.0])
        >>> opt = optimizers.Adam()
        >>> distribute.broadcast_optimizer_state(opt, [w], root_rank=0)
        >>> len(opt.weights)
        3
    """
    params = list(params)
    if params and not all(id(p) in optimizer._slots for p in params):
        optimizer.build(params)
    broadcast_variables(optimizer.weights, root_rank)
