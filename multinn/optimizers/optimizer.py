"""The Optimizer base class: learning rate, decay, clipping, state and the update loop.

Subclasses name their per-variable state ("slots") and give one in-place update per
variable, done by a backend kernel on the raw arrays so that a training step costs
one call per variable and records nothing for autodiff.

The kernels take the hyperparameters as Python floats, but the hyperparameters live in K
Variables (as in Keras 2, so K.set_value and callbacks change them). A step reads them
through `Variable.host_value`, which goes to the device only after a write it cannot see
through; the step counter is advanced on the device and noted on the host alike. So after
the first step nothing is read back, and on a GPU the host can queue the next step while
the device still works on this one.
"""
from __future__ import annotations

import math
import struct
from typing import Any, Iterable, Sequence

from multinn import backend as K
from multinn.backend.config import prepare_for_training
from multinn.utils.generic_utils import check_kwargs

from . import schedules as schedules_module

_BASE_KWARGS = ("lr", "decay", "clipnorm", "clipvalue", "name")


def config_float(value: Any) -> float:
    """A float32 scalar as the shortest decimal that round-trips (0.9, not 0.8999999761581421).

    Hyperparameters live in float32 Variables, as in Keras 2; configs show what the user wrote.

    Example:
        >>> config_float(0.8999999761581421)
        0.9
    """
    x = host_float(value)
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        packed = struct.pack("<f", x)
    except OverflowError:
        return x
    for digits in range(1, 10):
        candidate = float("%.*g" % (digits, x))
        if struct.pack("<f", candidate) == packed:
            return candidate
    return x


def host_float(value: Any) -> float:
    """A hyperparameter as a Python float; a Variable's value comes from its host copy, which
    costs a device read only when the variable was written in a way the copy cannot follow.

    Example:
        >>> from multinn import backend as K
        >>> host_float(K.variable(0.5)), host_float(2)
        (0.5, 2.0)
    """
    if isinstance(value, K.Variable):
        return float(value.host_value())
    return float(value)


def default_epsilon(epsilon: "float | None") -> float:
    """`epsilon`, or K.epsilon() when None (Keras 2's fuzz-factor default)."""
    return K.epsilon() if epsilon is None else float(epsilon)


class Optimizer:
    """Base class of all optimizers (Keras 2's `keras.optimizers.Optimizer`).

    Keyword arguments every optimizer accepts:
        lr: alias of `learning_rate` (Keras 2 spelling).
        decay: float >= 0, time-based decay: lr / (1 + decay * iterations).
        clipnorm: float > 0, gradients are scaled down when their global L2 norm exceeds it.
        clipvalue: float > 0, gradients are clipped to [-clipvalue, clipvalue].

    Attributes:
        learning_rate / lr: the learning rate, a K Variable (`K.set_value` changes it).
        iterations: the number of updates applied, an int64 K Variable.
        weights: the optimizer's state variables, in Keras 2's order.

    Example:
        >>> from multinn import backend as K
        >>> from multinn import optimizers
        >>> w = K.variable([1.0, 2.0])
        >>> opt = optimizers.SGD(learning_rate=0.1)
        >>> opt.apply_gradients([(K.constant([1.0, 1.0]), w)])
        >>> [round(x, 4) for x in K.get_value(w).tolist()], int(K.get_value(opt.iterations))
        ([0.9, 1.9], 1)
    """

    _slot_kinds: tuple = ()

    def __init__(self, learning_rate: Any = 0.01, **kwargs: Any):
        check_kwargs(kwargs, _BASE_KWARGS, f"{type(self).__name__}()")
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        self._name = kwargs.pop("name", None) or type(self).__name__
        self.initial_decay = float(kwargs.pop("decay", 0.0))
        if self.initial_decay < 0:
            raise ValueError(f"`decay` must be >= 0. Received: decay={self.initial_decay}")
        self.clipnorm = kwargs.pop("clipnorm", None)
        self.clipvalue = kwargs.pop("clipvalue", None)
        for key in ("clipnorm", "clipvalue"):
            value = getattr(self, key)
            if value is not None and not value >= 0:
                raise ValueError(f"`{key}` must be a number >= 0. Received: {key}={value!r}")
        self.iterations = K.variable(0, dtype="int64", name="iterations", trainable=False)
        self.decay = K.variable(self.initial_decay, name="decay", trainable=False)
        self._schedule = None
        self._lr = K.variable(0.0, name="learning_rate", trainable=False)
        self.learning_rate = learning_rate
        self._params: list = []  # the variables `weights` lists the state of
        self._slots: dict = {}  # id(variable) -> (variable, {kind: slot}), for every variable ever updated
        self._pending_weights = None
        self.updates: list = []

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> K.Variable:
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, dict):
            value = schedules_module.deserialize(value)
        if isinstance(value, K.Variable) and value is self._lr:
            return
        if callable(value) and not isinstance(value, K.Tensor):
            self._schedule = value
            K.set_value(self._lr, float(value(0)))
            return
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                "`learning_rate` must be a number, a LearningRateSchedule or a callable of the step. "
                f"Received: learning_rate={value!r}"
            ) from None
        self._schedule = None
        K.set_value(self._lr, number)

    lr = learning_rate

    def _current_lr(self, step: int) -> float:
        """The learning rate for the update about to be applied at `step` (host float)."""
        if self._schedule is not None:
            lr = float(self._schedule(step))
            K.set_value(self._lr, lr)  # a Python number: no read at the next step
        else:
            lr = host_float(self._lr)
        if self.initial_decay > 0:
            lr *= 1.0 / (1.0 + host_float(self.decay) * step)
        return lr

    # ------------------------------------------------------------------ state
    def build(self, var_list: Iterable[Any]) -> None:
        """Creates the state (slots) of every variable in `var_list` that has none yet, and makes
        `var_list` the variables whose state `weights` lists.

        Called by `apply_gradients` when it meets a variable it has no state for; call it
        yourself to set saved weights before the first update. As Keras 2's `get_updates`,
        an optimizer handed to a second model lists that model's state from then on (the
        first model's state is kept, and used when that model trains again).

        Example:
            >>> from multinn import backend as K, optimizers
            >>> opt = optimizers.Adam()
            >>> opt.build([K.variable([1.0, 2.0])])
            >>> [tuple(w.shape) for w in opt.weights]
            [(), (2,), (2,)]
        """
        var_list = list(var_list)
        new = [var for var in var_list if id(var) not in self._slots]
        if new:
            prepare_for_training(new)  # the NumPy backend tunes malloc only once something trains
        for var in new:
            if id(var) in self._slots:  # listed twice
                continue
            slots = {}
            for kind in self._slot_kinds:
                with K.no_grad():
                    start = K.zeros_like(var, dtype=K.dtype(var)) + self._slot_initial_value(kind)
                slots[kind] = K.variable(start, dtype=K.dtype(var), name=f"{var.name}/{kind}", trainable=False)
            # The variable itself is kept with its slots so that its id stays unique.
            self._slots[id(var)] = (var, slots)
        self._params = var_list
        if self._pending_weights is not None and self._params:
            pending, self._pending_weights = self._pending_weights, None
            self.set_weights(pending)

    @staticmethod
    def _hyperparameter(name: str, value: float) -> K.Variable:
        """A scalar hyperparameter kept as a K Variable, as Keras 2 does (K.set_value can change it)."""
        return K.variable(float(value), name=name, trainable=False)

    def _slot_initial_value(self, kind: str) -> float:
        return 0.0

    def _extra_weights(self) -> list:
        """Scalar state between `iterations` and the slots (Nadam's momentum schedule)."""
        return []

    @property
    def weights(self) -> list:
        """[iterations] + scalar state + every slot of one kind, kind after kind (Keras 2's order)."""
        out = [self.iterations] + self._extra_weights()
        for kind in self._slot_kinds:
            out.extend(self._slots[id(var)][1][kind] for var in self._params)
        return out

    def variables(self) -> list:
        return self.weights

    def get_weights(self) -> list:
        """The state as a list of NumPy arrays."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the state from arrays like those `get_weights` returns.

        Before the first update the optimizer has no slots yet: the values are kept
        and set as soon as `build` (or the first `apply_gradients`) creates them.
        """
        weights = list(weights)
        params = self.weights
        if not self._params and self._slot_kinds and len(weights) > len(params):
            self._pending_weights = weights
            return
        if len(params) != len(weights):
            raise ValueError(
                f"Length of the specified weight list ({len(weights)}) does not match the number of "
                f"weights of the optimizer ({len(params)})."
            )
        for p, w in zip(params, weights):
            if tuple(K.int_shape(p)) != tuple(getattr(w, "shape", ())):
                raise ValueError(
                    f"Optimizer weight shape {tuple(K.int_shape(p))} not compatible with provided weight shape "
                    f"{tuple(getattr(w, 'shape', ()))}."
                )
            K.set_value(p, w)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict:
        # Slots are found by id(variable), and ids do not survive a pickle: keep the
        # (variable, slots) pairs and index them again in the new process.
        state = self.__dict__.copy()
        state["_slots"] = list(self._slots.values())
        return state

    def __setstate__(self, state: dict) -> None:
        pairs = state.pop("_slots")
        self.__dict__.update(state)
        self._slots = {id(var): (var, slots) for var, slots in pairs}

    # ------------------------------------------------------------------ gradients
    def get_gradients(self, loss: Any, params: Sequence[Any]) -> list:
        """K.gradients of `loss` with clipping applied; raises when a gradient is None (Keras 2)."""
        grads = K.gradients(loss, list(params))
        _check_no_none(grads)
        return self._clip(grads)

    def _clip(self, grads: list) -> list:
        with K.no_grad():
            if self.clipnorm is not None and self.clipnorm > 0:
                grads = _clip_by_global_norm(grads, self.clipnorm)
            if self.clipvalue is not None and self.clipvalue > 0:
                c = self.clipvalue
                grads = [None if g is None else K.clip(g, -c, c) for g in grads]
        return grads

    def get_updates(self, loss: Any, params: Sequence[Any]) -> list:
        """Keras 2's entry point: the update that minimizes `loss` with respect to `params`.

        With a symbolic loss (computed from `K.placeholder`s) it returns updates for
        `K.function(inputs, outputs, updates=...)`: every call of that function applies
        one step. With an eager loss the step is applied now and the list is empty.

        Example:
            >>> from multinn import backend as K, optimizers
            >>> x = K.placeholder(shape=(None, 1))
            >>> w = K.variable([[0.0]])
            >>> loss = K.mean(K.square(K.dot(x, w) - 1.0))
            >>> opt = optimizers.SGD(learning_rate=0.5)
            >>> train = K.function([x], [loss], updates=opt.get_updates(loss, [w]))
            >>> [round(float(train([[[1.0]]])[0]), 4) for _ in range(3)]
            [1.0, 0.0, 0.0]
        """
        params = list(params)
        if _is_model_tensor(loss):
            # A graph tensor (a K.placeholder graph or a model's tensors): the step is a node of
            # the graph that K.function runs after computing the gradients.
            from multinn.backend.ops.core import symbolic

            grads = K.gradients(loss, params)
            _check_no_none(grads)
            self.updates = [(self.iterations, symbolic.defer(_Step(self, params), *grads))]
            return self.updates
        grads = self.get_gradients(loss, params)
        self._apply(list(zip(grads, params)), clipped=True)
        self.updates = []
        return self.updates

    # ------------------------------------------------------------------ update
    def apply_gradients(self, grads_and_vars: Iterable[tuple]) -> None:
        """Applies one update: each variable moves in place, then its `constraint` is applied.

        Args:
            grads_and_vars: (gradient, variable) pairs; pairs whose gradient is None are skipped.
        """
        self._apply(list(grads_and_vars), clipped=False)

    def _apply(self, pairs: list, clipped: bool) -> None:
        variables = [v for _, v in pairs]
        slots = self._slots
        if not all(id(v) in slots for v in variables):
            for v in variables:
                if not isinstance(v, K.Variable):
                    raise TypeError(f"{type(self).__name__} updates Variables only. Received: {v!r}")
            self.build(variables)
        grads = [g for g, _ in pairs]
        if not clipped and (self.clipnorm or self.clipvalue):
            grads = self._clip(grads)
        step = int(self.iterations.host_value())
        lr = self._current_lr(step)
        hyper = self._prepare(step, lr)
        update = self._update
        with K.no_grad():
            for g, var in zip(grads, variables):
                if g is None:
                    continue
                if not isinstance(g, K.Tensor):
                    g = K.convert_to_tensor(g)
                data = g.data
                if data.dtype is not var.data.dtype and data.dtype != var.data.dtype:
                    data = K.cast(g, var.dtype).data
                update(var, data, slots[id(var)][1], hyper)
                if var.constraint is not None:
                    var.assign(var.constraint(var))
        self._finish(hyper)
        # In place on the counter's array: a Python int stays int64, and nothing crosses to the device.
        self.iterations.data += 1
        self.iterations.note_host_value(step + 1)

    def _prepare(self, step: int, lr: float) -> Any:
        """Host scalars for this step (learning rate with bias corrections, ...)."""
        return lr

    def _update(self, var: Any, grad: Any, slots: dict, hyper: Any) -> None:
        raise NotImplementedError

    def _finish(self, hyper: Any) -> None:
        """After every variable moved (Nadam advances its momentum schedule)."""

    # ------------------------------------------------------------------ config
    # Keras 2's Nadam has no `decay`; ours takes one, and its config shows it only when set.
    _config_shows_decay = True

    def get_config(self) -> dict:
        """The constructor arguments, with Keras 2.3.1's keys: `learning_rate`, `decay`, the
        optimizer's own hyperparameters, and `clipnorm` / `clipvalue` when set. Options Keras 2
        lacks (`name`, RMSprop's `centered`, ...) appear only when they differ from their default.

        Example:
            >>> from multinn import optimizers
            >>> sorted(optimizers.SGD(lr=0.1, clipnorm=1.0).get_config().items())
            [('clipnorm', 1.0), ('decay', 0.0), ('learning_rate', 0.1), ('momentum', 0.0), ('nesterov', False)]
        """
        config: dict = {}
        if self._name != type(self).__name__:
            config["name"] = self._name
        if self._schedule is not None and hasattr(self._schedule, "get_config"):
            config["learning_rate"] = schedules_module.serialize(self._schedule)
        else:
            config["learning_rate"] = config_float(self._lr)
        if self._config_shows_decay or self.initial_decay:
            config["decay"] = config_float(self.decay)
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> "Optimizer":
        """The optimizer `get_config` describes (Keras 2's `lr` key is read as `learning_rate`).

        Example:
            >>> from multinn import optimizers
            >>> opt = optimizers.Adam.from_config({"lr": 0.01, "beta_1": 0.8})
            >>> opt.get_config()["learning_rate"], opt.get_config()["beta_1"]
            (0.01, 0.8)
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_module.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} learning_rate={host_float(self._lr):.6g}>"


class _MomentsOptimizer(Optimizer):
    """Adam, Adamax and Nadam: decay rates `beta_1`, `beta_2` of two moment estimates and the
    fuzz factor `epsilon`, set and serialized alike."""

    def _set_moment_options(self, beta_1: float, beta_2: float, epsilon: "float | None") -> None:
        self.beta_1 = self._hyperparameter("beta_1", beta_1)
        self.beta_2 = self._hyperparameter("beta_2", beta_2)
        self.epsilon = default_epsilon(epsilon)

    def _moment_config(self) -> dict:
        return {"beta_1": config_float(self.beta_1), "beta_2": config_float(self.beta_2), "epsilon": self.epsilon}


def _clip_by_global_norm(grads: list, clipnorm: float) -> list:
    """Keras 2's clipnorm: every gradient times clipnorm / norm where the global L2 norm of all of
    them reaches clipnorm, else unchanged.

    Computed on the device so that nothing is read back: the per-gradient sums of squares, in
    the gradients' dtype, are added in turn, rooted and divided in float64 (as the host did
    before, so the result is the same to the bit), and the scale (exactly 1.0 below the
    threshold) is cast to each gradient's dtype.
    """
    tensors = [g if g is None or isinstance(g, K.Tensor) else K.convert_to_tensor(g) for g in grads]
    present = [g for g in tensors if g is not None]
    if not present:
        return grads
    total = K.cast(K.sum(K.square(present[0])), "float64")
    for g in present[1:]:
        total = total + K.sum(K.square(g))  # float64 + the gradient's dtype: float64, exactly
    norm = K.sqrt(total)
    # maximum() keeps the unused branch finite (no 0/0 for all-zero gradients); where() keeps a NaN
    # norm from spreading into gradients it would not have clipped.
    scale = K.where(norm >= clipnorm, clipnorm / K.maximum(norm, clipnorm), 1.0)
    scales = {dtype: K.cast(scale, dtype) for dtype in {K.dtype(g) for g in present}}
    return [None if g is None else g * scales[K.dtype(g)] for g in tensors]


def _check_no_none(grads: list) -> None:
    if any(g is None for g in grads):
        raise ValueError(
            "An operation has `None` for gradient. Please make sure that all of your ops have a gradient "
            "defined (i.e. are differentiable). Common ops without gradient: K.argmax, K.round, K.eval."
        )


def _is_model_tensor(x: Any) -> bool:
    return getattr(x, "_keras_history", None) is not None and not isinstance(x, K.Tensor)


class _Step:
    """Op of the symbolic node `get_updates` returns: applies one update when K.function replays it."""

    def __init__(self, optimizer: Optimizer, params: list):
        self.optimizer = optimizer
        self.params = params
        self.name = f"{optimizer._name}_step"

    def __call__(self, *grads: Any) -> Any:
        from multinn.engine.call_state import inferring

        if inferring():  # a model graph finding this node's shape on dummy data: no step
            return self.optimizer.iterations
        self.optimizer._apply(list(zip(grads, self.params)), clipped=False)
        # K.function assigns this to `iterations`, which _apply has just advanced: a no-op.
        return self.optimizer.iterations
