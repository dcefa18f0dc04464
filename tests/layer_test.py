"""layer_test: one call checks a layer the way Keras 2's `layer_test` does, plus gradients.

For a layer class, keyword arguments and an input shape it checks that

- the symbolic output shape, `compute_output_shape` and the real output shape agree;
- the output matches `expected_output` when given, and has the expected dtype;
- `get_weights` / `set_weights` round-trip;
- `get_config` / `from_config` round-trip, and a model rebuilt from its config with the
  same weights predicts the same values (functional and Sequential);
- one training step (`train_on_batch`) runs and gives a finite loss;
- in float64, K's gradients of the output with respect to the input and the trainable
  weights agree with central differences (`K.check_gradients`).

A layer taking several inputs (Attention's [query, value]) gets `input_data` (or
`input_shape`) as a list, one entry per input; the Sequential check is then skipped.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import multinn
from multinn import backend as K
from multinn.layers import Input
from multinn.models import Model, Sequential


def _random_input(shape: tuple, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(0, 5, size=shape).astype(dtype)
    return (rng.random(shape) * 2 - 1).astype(dtype)


def _compatible(symbolic: tuple, actual: tuple) -> bool:
    return len(symbolic) == len(actual) and all(s is None or s == a for s, a in zip(symbolic, actual))


def _comparable(config: dict) -> dict:
    """The config without marshalled Python bytecode (its bytes vary between equal functions)."""
    out = dict(config)
    for key in ("function", "output_shape"):
        if config.get(f"{key}_type") == "lambda":
            out.pop(key, None)
    return out


def _weight_owners(layer: Any) -> list:
    """The layer and every layer object it holds (an RNN's cell, a wrapper's inner layer, ...)."""
    from multinn.engine.base_layer import Layer

    owners, seen, stack = [], set(), [layer]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        owners.append(obj)
        for value in vars(obj).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            stack.extend(v for v in items if isinstance(v, Layer))
    return owners


def _with_weights(layer: Any, tensors: list, fn: Callable):
    """Runs fn() with the weight attributes of the layer (and of the layers inside it, such as
    an RNN's cell) temporarily bound to `tensors`."""
    targets = {id(w): t for w, t in zip(layer.trainable_weights, tensors)}
    saved = []
    bound = set()
    for owner in _weight_owners(layer):
        for key, value in list(vars(owner).items()):
            if isinstance(value, K.Tensor) and id(value) in targets:
                saved.append((owner, key, value))
                bound.add(id(value))
                object.__setattr__(owner, key, targets[id(value)])
    # A weight the swap cannot reach would make its gradient check vacuous: say so.
    missing = [w.name for w in layer.trainable_weights if id(w) not in bound]
    try:
        assert not missing, f"layer_test cannot substitute these weights for the gradient check: {missing}"
        return fn()
    finally:
        for owner, key, value in saved:
            object.__setattr__(owner, key, value)


def layer_test(
    layer_cls: Any,
    kwargs: "dict | None" = None,
    input_shape: "tuple | None" = None,
    input_dtype: str = "float32",
    input_data: Any = None,
    expected_output: Any = None,
    expected_output_shape: "tuple | None" = None,
    expected_output_dtype: "str | None" = None,
    gradcheck: bool = True,
    gradcheck_training: bool = False,
    train: bool = True,
    call_kwargs: "dict | None" = None,
    custom_objects: "dict | None" = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> np.ndarray:
    """Checks `layer_cls(**kwargs)` on inputs of `input_shape` (with the batch size); returns its output."""
    kwargs = dict(kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    multi = isinstance(input_data, list) or (input_data is None and isinstance(input_shape, list))
    if input_data is None:
        shapes = input_shape if multi else [input_shape]
        input_data = [_random_input(tuple(s), input_dtype, seed=i) for i, s in enumerate(shapes)]
        input_data = input_data if multi else input_data[0]
    datas = [np.asarray(d) for d in (input_data if multi else [input_data])]
    input_data = datas if multi else datas[0]
    input_shape = [tuple(d.shape) for d in datas] if multi else tuple(datas[0].shape)
    input_dtype = str(datas[0].dtype)
    expected_output_dtype = expected_output_dtype or (input_dtype if input_dtype.startswith("float") else K.floatx())

    # functional use: symbolic shape, compute_output_shape and real output agree
    layer = layer_cls(**kwargs)
    xs = [Input(batch_shape=(None,) + d.shape[1:], dtype=str(d.dtype)) for d in datas]
    x = xs if multi else xs[0]
    y = layer(x, **call_kwargs)
    assert K.dtype(y) == expected_output_dtype, f"symbolic dtype {K.dtype(y)} != {expected_output_dtype}"
    model = Model(x, y)
    actual = model.predict(input_data)
    assert isinstance(actual, np.ndarray)
    assert str(actual.dtype) == expected_output_dtype, f"output dtype {actual.dtype} != {expected_output_dtype}"
    assert _compatible(tuple(y.shape), actual.shape), f"symbolic shape {y.shape} vs actual {actual.shape}"
    computed = layer.compute_output_shape(input_shape)
    assert tuple(computed) == actual.shape, f"compute_output_shape {computed} vs actual {actual.shape}"
    if expected_output_shape is not None:
        assert _compatible(tuple(expected_output_shape), actual.shape), f"{actual.shape} vs expected {expected_output_shape}"
    if expected_output is not None:
        np.testing.assert_allclose(actual, np.asarray(expected_output), rtol=rtol, atol=atol)

    # eager use gives the same values
    with K.learning_phase_scope(0):
        eager_in = [K.constant(d, dtype=str(d.dtype)) for d in datas]
        eager = layer(eager_in if multi else eager_in[0], **call_kwargs)
    np.testing.assert_allclose(eager.numpy(), actual, rtol=rtol, atol=atol)

    # weights round-trip
    weights = layer.get_weights()
    assert all(isinstance(w, np.ndarray) for w in weights)
    layer.set_weights(weights)
    for a, b in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(a, b)

    # config round-trip: layer, functional model, Sequential model
    config = layer.get_config()
    recovered = layer_cls.from_config(config)
    assert _comparable(recovered.get_config()) == _comparable(config)
    restored = Model.from_config(model.get_config(), custom_objects=custom_objects)
    if model.weights:
        restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored.predict(input_data), actual, rtol=rtol, atol=atol)
    # safe_mode=False: the layer under test may be a Lambda, whose code the JSON carries
    json_model = multinn.models.model_from_json(model.to_json(), custom_objects=custom_objects, safe_mode=False)
    json_model.set_weights(model.get_weights())
    np.testing.assert_allclose(json_model.predict(input_data), actual, rtol=rtol, atol=atol)
    if not call_kwargs and not multi:
        seq = Sequential([layer_cls(**{**kwargs, "batch_input_shape": (None,) + input_shape[1:], "dtype": kwargs.get("dtype", None)})])
        seq.set_weights(model.get_weights())
        np.testing.assert_allclose(seq.predict(input_data), actual, rtol=rtol, atol=atol)

    # one training step
    if train and expected_output_dtype.startswith("float"):
        model.compile("rmsprop", "mse")
        loss = model.train_on_batch(input_data, actual)
        assert np.isfinite(loss)

    # float64 gradients of the output w.r.t. the input and the trainable weights
    if gradcheck and input_dtype.startswith("float"):
        layer64 = layer_cls(**{**kwargs, "dtype": "float64"})
        x64 = [d.astype(np.float64) for d in datas]
        n_in = len(x64)
        with K.learning_phase_scope(0):
            first = [K.constant(d, dtype="float64") for d in x64]
            layer64(first if multi else first[0], **call_kwargs)
        start = [K.get_value(w).astype(np.float64) for w in layer64.trainable_weights]

        def f(*args):
            xt = list(args[:n_in]) if multi else args[0]

            def run():
                with K.learning_phase_scope(1 if gradcheck_training else 0):
                    return layer64.call(xt, **call_kwargs)

            return _with_weights(layer64, list(args[n_in:]), run)

        K.check_gradients(f, x64 + start, atol=1e-5, rtol=1e-4)
    return actual
