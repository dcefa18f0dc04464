"""Merge layers: combine a list of tensors into one (Keras 2's `keras.layers.merge`).

Elementwise merges (Add, Subtract, Multiply, Average, Maximum, Minimum) keep the batch
axis first and broadcast the other dimensions aligned from the right (a 1 or None
stretches): as in Keras 2, a lower-rank input is expanded at axis 1;
Concatenate joins along an axis; Dot takes per-sample dot products. Each class has a
functional twin (`add([a, b])` is `Add()([a, b])`).
"""
from __future__ import annotations

from typing import Any, Sequence

from multinn import backend as K
from multinn.engine.base_layer import Layer
from multinn.utils.argument_validation import check_int, int_tuple
from multinn.utils.generic_utils import as_int


def _broadcast_shapes(shapes: Sequence[tuple], layer: str) -> tuple:
    """The elementwise output shape of `shapes` (batch included); None where unknown."""
    batch_sizes = {s[0] for s in shapes} - {None}
    if len(batch_sizes) > 1:
        raise ValueError(
            f"Layer {layer} cannot merge inputs with different batch sizes: shapes {[tuple(s) for s in shapes]}."
        )
    features = [tuple(s[1:]) for s in shapes]
    rank = max(len(s) for s in features)
    out = []
    for i in range(1, rank + 1):
        dims = [s[-i] for s in features if len(s) >= i]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(
                f"Layer {layer} cannot broadcast its inputs together: shapes {[tuple(s) for s in shapes]}."
            )
        if known:
            out.append(known.pop())
        elif None in dims:
            out.append(None)
        else:
            out.append(1)
    return (batch_sizes.pop() if batch_sizes else None,) + tuple(reversed(out))


class _Merge(Layer):
    """Base of the elementwise merges: `_merge(list of tensors)` does the work."""

    min_inputs = 2
    max_inputs: "int | None" = None
    _aligns_ranks = True  # elementwise merges; Concatenate and Dot take their inputs as they are

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _produces_mask(self) -> bool:
        return False  # it combines its inputs' masks and makes none of its own

    def _check_masks(self, inputs: Any, mask: Any) -> bool:
        """Keras 2's checks of `compute_mask` arguments; True when some input has a mask."""
        if mask is None:
            return False
        if not isinstance(mask, list):
            raise ValueError(f"`mask` should be a list. Received: mask={mask!r}")
        if not isinstance(inputs, list):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs!r}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received: {len(inputs)} inputs, "
                f"{len(mask)} masks"
            )
        return any(m is not None for m in mask)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Where every input's mask is True (None when no input has a mask)."""
        if not self._check_masks(inputs, mask):
            return None
        masks = [K.expand_dims(K.cast(m, "bool"), 0) for m in mask if m is not None]
        return K.all(K.concatenate(masks, axis=0), axis=0)

    def _check_inputs(self, shapes: Any) -> list:
        if not isinstance(shapes, list) or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(f"A {type(self).__name__} layer should be called on a list of inputs. Received: {shapes!r}")
        if len(shapes) < self.min_inputs or (self.max_inputs is not None and len(shapes) > self.max_inputs):
            expected = (
                f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f"A {type(self).__name__} layer should be called on {expected} inputs. Received: {len(shapes)} inputs."
            )
        return shapes

    def build(self, input_shape: Any) -> None:
        _broadcast_shapes(self._check_inputs(input_shape), self.name)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _broadcast_shapes(self._check_inputs(input_shape), self.name)

    def call(self, inputs: Any) -> Any:
        inputs = list(inputs)
        if self._aligns_ranks:
            rank = max(x.ndim for x in inputs)
            for i, x in enumerate(inputs):
                while x.ndim < rank:
                    x = K.expand_dims(x, 1)
                inputs[i] = x
        return self._merge(inputs)

    def _merge(self, inputs: list) -> Any:
        raise NotImplementedError


class Add(_Merge):
    """Sums its inputs elementwise.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Add
        >>> Add()([K.ones((1, 2)), K.ones((1, 2))]).numpy().tolist()
        [[2.0, 2.0]]
    """

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """First input minus the second (exactly two inputs).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Subtract
        >>> Subtract()([K.ones((1, 2)), K.zeros((1, 2))]).numpy().tolist()
        [[1.0, 1.0]]
    """

    max_inputs = 2

    def _merge(self, inputs: list) -> Any:
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies its inputs elementwise."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """The elementwise mean of its inputs."""

    def _merge(self, inputs: list) -> Any:
        return Add._merge(self, inputs) * (1.0 / len(inputs))


class Maximum(_Merge):
    """The elementwise maximum of its inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = K.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of its inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = K.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Joins its inputs along `axis` (default -1); the other dimensions must match.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Concatenate
        >>> Concatenate()([K.ones((2, 3)), K.zeros((2, 1))]).shape
        (2, 4)
    """

    _aligns_ranks = False

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = check_int(axis, "axis", minimum=None)

    def _output_shape(self, shapes: list) -> tuple:
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"A Concatenate layer needs inputs of one rank. Received: input_shape={shapes}")
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        "A Concatenate layer requires inputs with matching shapes except for the concat axis. "
                        f"Received: input_shape={shapes}"
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def build(self, input_shape: Any) -> None:
        self._output_shape(self._check_inputs(input_shape))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._output_shape(self._check_inputs(input_shape))

    def _merge(self, inputs: list) -> Any:
        return K.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs' masks joined as the inputs are (an input without one counts as all True),
        then reduced over the last axis: a step is kept when all its features are (Keras 2)."""
        if not self._check_masks(inputs, mask):
            return None
        # Each mask as (..., 1) of the input's rank (a full-rank mask keeps a step when all its
        # features are kept), so masked and unmasked inputs join along any axis.
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(K.ones_like(x[..., :1], dtype="bool"))
            elif K.ndim(m) < K.ndim(x):
                masks.append(K.expand_dims(K.cast(m, "bool")))
            else:
                masks.append(K.all(K.cast(m, "bool"), axis=-1, keepdims=True))
        return K.all(K.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Per-sample dot products of two inputs over `axes` (an int or a pair).

    With `normalize=True` the inputs are L2-normalised along those axes first, so the
    result is their cosine proximity.

    Example:
        >>> from multinn import backend as K
        >>> from multinn.layers import Dot
        >>> Dot(axes=1)([K.ones((2, 3)), K.ones((2, 3))]).numpy().tolist()
        [[3.0], [3.0]]
    """

    max_inputs = 2
    _aligns_ranks = False

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if as_int(axes) is not None:
            self.axes = as_int(axes)
        else:
            try:
                pair = int_tuple(axes, 2, "axes", minimum=None)
            except ValueError as error:
                raise TypeError(str(error)) from None  # Keras's error for axes of the wrong kind
            self.axes = list(pair) if isinstance(axes, list) else pair  # as given, for the config
        self.normalize = bool(normalize)

    def _pair(self, shapes: list) -> tuple:
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return tuple(a % len(s) for a, s in zip(axes, shapes))

    def _output_shape(self, shapes: list) -> tuple:
        a1, a2 = self._pair(shapes)
        s1, s2 = shapes
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(
                f"Dimension incompatibility in layer {self.name}: {s1[a1]} != {s2[a2]}. "
                f"Received: input_shape={shapes}, axes={self.axes}"
            )
        rest = [d for i, d in enumerate(s1) if i not in (0, a1)] + [d for i, d in enumerate(s2) if i not in (0, a2)]
        return (s1[0],) + (tuple(rest) if rest else (1,))

    def build(self, input_shape: Any) -> None:
        self._output_shape(self._check_inputs(input_shape))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._output_shape(self._check_inputs(input_shape))

    def _merge(self, inputs: list) -> Any:
        x1, x2 = inputs
        a1, a2 = self._pair([x1.shape, x2.shape])
        if self.normalize:
            x1 = K.l2_normalize(x1, axis=a1)
            x2 = K.l2_normalize(x2, axis=a2)
        return K.batch_dot(x1, x2, axes=(a1, a2))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None  # a dot product has no timesteps to mask (Keras 2)

    def get_config(self) -> dict:
        axes = self.axes if isinstance(self.axes, int) else list(self.axes)
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def add(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Add`: add([a, b]) sums the tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`.

    Example:
        >>> from multinn.layers import Input, concatenate
        >>> concatenate([Input(shape=(3,)), Input(shape=(2,))]).shape
        (None, 5)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
