"""The primitive mechanism: how every K function reaches a backend and records itself.

A primitive has a forward over raw backend arrays (one generic function over `b.xp`,
or one per backend) and a gradient written with K functions, so the gradient runs on
every backend and can itself be differentiated.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import itertools
from typing import Any, Callable, Mapping

from .. import config
from ..tensor import Tensor

_SCALARS = (int, float, bool)
_creation_order = itertools.count(1)  # numbers recorded tensors; see autodiff.gradients


# Whether primitive calls record themselves (off inside `K.no_grad()`). A context variable, so
# each thread and each asyncio task has its own: one thread's predict leaves another's gradients
# alone. A thread starts with recording on, Keras's default, whatever its starter had set.
recording: contextvars.ContextVar = contextvars.ContextVar("multinn_recording", default=True)


class _NoGraphTensors:
    """Stands for the graph-tensor class until the engine registers it: no argument is one."""


class _Symbolic:
    """Where graph tensors plug into K: a primitive called on one records a lazy node
    instead of computing.

    There is one kind of graph tensor, the engine's KerasTensor: what `Input()`, layer calls on
    it and `K.placeholder` return. K cannot import the engine (the layering wall), so the engine
    registers its tensor type and a handler here when imported; the handler turns K calls into
    graph nodes (`record`, `defer`, `gradients`) and makes placeholders and K.function callables
    (`placeholder`, `function`).

    A K function whose Python code needs concrete shapes is decorated with `deferred_on_graph`:
    called on a graph tensor, the whole call becomes one node, run eagerly when the graph runs.
    """

    types: tuple = ()
    kind: type = _NoGraphTensors  # the graph-tensor class, once registered
    handler: Any = None
    _probing = contextvars.ContextVar("multinn_shape_probing", default=False)

    @property
    def probing(self) -> bool:
        """True while a graph's output shapes are probed on stand-in values (not the user's data):
        value checks that stand-in sizes could trip (K.gather's bounds) wait for the real run."""
        return self._probing.get()

    @contextlib.contextmanager
    def probe_scope(self):
        """Marks the calls inside as shape probes (see `probing`)."""
        token = self._probing.set(True)
        try:
            yield
        finally:
            self._probing.reset(token)

    def register(self, kind: type, handler: Any) -> None:
        """Makes K record nodes for arguments of type `kind` through `handler` (the engine's)."""
        self.types = (kind,)
        self.kind = kind
        self.handler = handler

    def in_call(self, args: tuple, kwargs: dict) -> bool:
        """Whether a call's arguments hold a graph tensor (also inside a list or tuple); cheap
        on the hot path, where K functions take tensors, numbers and strings."""
        kind = self.kind
        for v in args:
            t = type(v)
            if t is kind or ((t is list or t is tuple) and self.any(*v)):
                return True
        if kwargs:
            for v in kwargs.values():
                t = type(v)
                if t is kind or ((t is list or t is tuple) and self.any(*v)):
                    return True
        return False

    def any(self, *values: Any) -> bool:
        types = self.types
        if types:
            for v in values:
                if isinstance(v, types):
                    return True
                if isinstance(v, (list, tuple)) and self.any(*v):
                    return True
        return False

    def _engine(self) -> Any:
        if self.handler is None:
            raise RuntimeError("K's graph tensors need multinn's engine: `import multinn` first.")
        return self.handler

    def record(self, op: Any, args: tuple, params: dict) -> Any:
        return self._engine().record(op, args, params)

    def defer(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return self._engine().defer(fn, *args, **kwargs)

    def gradients(self, loss: Any, variables: Any) -> Any:
        return self._engine().gradients(loss, variables)

    def placeholder(self, shape: tuple, dtype: Any, sparse: bool, name: "str | None") -> Any:
        return self._engine().placeholder(shape, dtype, sparse, name)

    def function(self, inputs: Any, outputs: Any, updates: Any, name: Any) -> Any:
        return self._engine().function(inputs, outputs, updates, name)


symbolic = _Symbolic()


def deferred_on_graph(fn: Callable) -> Callable:
    """Decorates a K function whose Python code needs concrete shapes or values (sizes, loops,
    host reads): called with a graph tensor among its arguments (also inside a list), the whole
    call becomes one graph node, run eagerly on the real tensors when the graph runs.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.backend.ops.core import deferred_on_graph
        >>> @deferred_on_graph
        ... def halve_rows(x):
        ...     return x[: x.shape[0] // 2]
        >>> x = K.placeholder(shape=(None, 2))
        >>> K.function([x], [halve_rows(x)])([[[1.0, 2.0], [3.0, 4.0]]])[0].tolist()
        [[1.0, 2.0]]
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if symbolic.in_call(args, kwargs):
            bound = signature.bind(*args, **kwargs)
            # The node holds the decorated function, which configs and pickles find by name.
            return symbolic.defer(wrapper, *bound.args, **bound.kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _mixed_backends(first, second, name: str):
    raise ValueError(
        f"K.{name} received tensors of two backends, {first.name!r} and {second.name!r}. "
        "Move one with K.constant(x.numpy()) inside K.backend_scope(...) first."
    )


def backend_of(values) -> Any:
    """The backend a K call with these arguments runs on.

    The backend of the first Tensor; else of the first device array a backend claims;
    else the default backend.
    """
    found = None
    for v in values:
        if isinstance(v, Tensor):
            if found is None:
                found = v.backend
            elif v.backend is not found:
                _mixed_backends(found, v.backend, "call")
    if found is not None:
        return found
    from multinn import backends as registry

    for v in values:
        if not isinstance(v, _SCALARS) and v is not None:
            for backend in registry._instances.values():
                if backend.owns(v):
                    return backend
    return config.default_backend()


def to_array_on(value: Any, backend, dtype: Any = None):
    """Converts anything K accepts to an array of `backend`.

    Host floating data (lists, floats, NumPy float arrays) takes floatx, as Keras's
    K.constant does; integer and boolean data keep their kind.
    """
    if isinstance(value, Tensor):
        if value.backend is not backend:
            _mixed_backends(value.backend, backend, "convert")
        array = value.data
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    if dtype is None and not backend.owns(value) and not _is_integral(value, backend):
        dtype = config.floatx()
    return backend.asarray(value, dtype=dtype)


def _is_integral(value, backend) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind is not None:
        return kind in "biu"
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return False
    try:
        return backend.xp.asarray(value).dtype.kind in "biu"
    except Exception:
        return False


def to_tensor(value: Any, backend=None, dtype: Any = None) -> Tensor:
    """Wraps `value` as a Tensor (no copy for Tensors of the right dtype)."""
    if isinstance(value, Tensor) and (dtype is None or value.dtype == dtype):
        return value
    if symbolic.types and isinstance(value, symbolic.types):
        return value
    if backend is None:
        backend = backend_of((value,))
    return Tensor(to_array_on(value, backend, dtype), backend)


primitives_by_name: dict = {}


class Primitive:
    """A differentiable operation with a forward over arrays and a gradient in K.

    Args:
        name: the op's name, used in error messages.
        forward: `f(b, *arrays, **params) -> array`, written against `b.xp`; or a
            mapping from backend name to such a function.
        grad: `g(dy, y, *inputs, **params) -> tuple`, one gradient (a Tensor or None)
            per input, written with K functions. None makes the op non-differentiable.
    """

    __slots__ = ("name", "forward", "forwards", "grad")

    def __init__(self, name: str, forward: "Callable | Mapping[str, Callable]", grad: "Callable | None" = None):
        self.name = name
        # By name, so a graph that recorded this op (a model's K calls) can be saved and rebuilt.
        primitives_by_name.setdefault(name, []).append(self)
        if isinstance(forward, Mapping):
            self.forwards = dict(forward)
            self.forward = self._dispatch
        else:
            self.forwards = None
            self.forward = forward
        self.grad = grad

    def _dispatch(self, b, *arrays, **params):
        fn = self.forwards.get(b.name) or self.forwards.get("generic")
        if fn is None:
            raise NotImplementedError(
                f"Primitive {self.name!r} has no forward for backend {b.name!r}; it has {sorted(self.forwards)}."
            )
        return fn(b, *arrays, **params)

    def __call__(self, *args: Any, **params: Any) -> Tensor:
        backend = None
        needs = False
        clean = True
        raw = []
        for a in args:
            if isinstance(a, Tensor):
                if backend is None:
                    backend = a.backend
                elif a.backend is not backend:
                    _mixed_backends(backend, a.backend, self.name)
                if a.needs_grad:
                    needs = True
                raw.append(a.data)
            else:
                clean = False
                raw.append(a)
        if not clean:
            if symbolic.types and symbolic.any(*args):
                return symbolic.record(self, args, params)
            args, raw, backend = self._convert(args, backend)
        out = self.forward(backend, *raw, **params)
        if type(out) is not backend.array_type:
            out = backend.asarray(out)
        if needs and recording.get() and self.grad is not None:
            t = Tensor(out, backend, (self, args, params), True)
            t.seq = next(_creation_order)
            return t
        return Tensor(out, backend)

    def _convert(self, args, backend):
        anchor = backend is not None
        if backend is None:
            backend = backend_of(args)
        inputs = []
        raw = []
        for a in args:
            if isinstance(a, Tensor):
                inputs.append(a)
                raw.append(a.data)
            elif anchor and type(a) not in _SCALARS and (item := backend.python_scalar(a)) is not None:
                # A NumPy scalar (np.float64 even subclasses float): weak like a Python number,
                # as NumPy 2 and CuPy 13 would otherwise promote it differently.
                inputs.append(item)
                raw.append(item)
            elif anchor and isinstance(a, _SCALARS):
                # Python scalars beside a tensor stay weakly typed: float32 * 2.0 is float32.
                inputs.append(a)
                raw.append(a)
            elif a is None:
                inputs.append(None)
                raw.append(None)
            else:
                t = Tensor(to_array_on(a, backend), backend)
                inputs.append(t)
                raw.append(t.data)
        return tuple(inputs), raw, backend

    def __repr__(self) -> str:
        return f"<Primitive {self.name}>"

    def __reduce__(self) -> Any:
        # By name: a pickled model holding K calls finds the same op in the receiving process.
        return (primitive_named, (self.name,))


def primitive_named(name: str) -> "Primitive":
    """The primitive registered first under `name` (how configs and pickles refer to K ops)."""
    found = primitives_by_name.get(name)
    if not found:
        raise ValueError(f"Unknown K primitive {name!r}.")
    return found[0]


def primitive(name: str, forward: "Callable | Mapping[str, Callable]", grad: "Callable | None" = None) -> Primitive:
    """Registers a new differentiable op and returns it as a callable K function.

    Args:
        name: the op's name.
        forward: `f(b, *arrays, **params)` over the backend `b` (use `b.xp`, NumPy's
            API on every backend), or a dict {backend name: forward, "generic": forward}.
        grad: `g(dy, y, *inputs, **params)` returning one gradient per input, written
            with K functions (so it works on every backend and to any order).

    Example:
        >>> from multinn import backend as K
        >>> cube = K.primitive(
        ...     "cube",
        ...     forward=lambda b, x: x ** 3,
        ...     grad=lambda dy, y, x: (dy * 3 * K.square(x),),
        ... )
        >>> v = K.variable([2.0])
        >>> K.gradients(K.sum(cube(v)), [v])[0].numpy().tolist()
        [12.0]
    """
    return Primitive(name, forward, grad)
