"""LayerNormalization, GroupNormalization, UnitNormalization: layer_test, NumPy formulas, masks,
configs and saving. (tf.keras parity: test_layers_tf_reference.py.)"""
import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import Dense, GroupNormalization, Input, LayerNormalization, Masking, UnitNormalization
from multinn.models import Model, load_model
from tests.layer_test import layer_test

rng = np.random.default_rng(11)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def _scale_shift(out, layer, weights, pshape):
    """gamma (if the layer scales) then beta (if it centers), as tf.keras orders them."""
    i = 0
    if layer.scale:
        out = out * weights[i].reshape(pshape)
        i += 1
    if layer.center:
        out = out + weights[i].reshape(pshape)
    return out


def _normalize(x, axes, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


@pytest.mark.parametrize(
    "kwargs,shape",
    [({}, (3, 5)), ({"axis": [1, 2]}, (2, 3, 4)), ({"axis": 1, "center": False}, (2, 3, 4)), ({"scale": False}, (2, 4))],
)
def test_layer_normalization(backend_name, kwargs, shape):
    layer_test(LayerNormalization, kwargs=kwargs, input_shape=shape)
    layer = LayerNormalization(**kwargs)
    x = rand(*shape) * 4 + 2
    layer(K.constant(x))
    weights = [rand(*w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    axes = tuple(a % len(shape) for a in (kwargs.get("axis", -1) if isinstance(kwargs.get("axis"), list)
                                          else [kwargs.get("axis", -1)]))
    pshape = [d if i in axes else 1 for i, d in enumerate(shape)]
    want = _scale_shift(_normalize(x, axes, 1e-3), layer, weights, pshape)
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    assert layer.get_config()["axis"] == sorted(axes) and layer.get_config()["epsilon"] == 1e-3


def test_layer_normalization_weights_are_gamma_then_beta(backend_name):
    layer = LayerNormalization(axis=[1, 2])
    layer.build((None, 3, 4))
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma:0", "beta:0"]
    assert [tuple(w.shape) for w in layer.weights] == [(3, 4), (3, 4)]


@pytest.mark.parametrize(
    "kwargs,shape",
    [({"groups": 2}, (2, 3, 4)), ({"groups": 3, "axis": 1}, (2, 6, 2)), ({"groups": -1}, (2, 3, 2)),
     ({"groups": 1, "scale": False}, (2, 4))],
)
def test_group_normalization(backend_name, kwargs, shape):
    layer_test(GroupNormalization, kwargs=kwargs, input_shape=shape)
    layer = GroupNormalization(**kwargs)
    x = rand(*shape) * 3
    layer(K.constant(x))
    weights = [rand(*w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    axis = kwargs.get("axis", -1) % len(shape)
    groups = layer.groups
    # by hand: one group at a time, over the group's channels and the other non-batch axes
    want = np.empty_like(x)
    size = shape[axis] // groups
    for g in range(groups):
        index = [slice(None)] * len(shape)
        index[axis] = slice(g * size, (g + 1) * size)
        part = x[tuple(index)]
        want[tuple(index)] = _normalize(part, tuple(range(1, len(shape))), 1e-3)
    want = _scale_shift(want, layer, weights, [d if i == axis else 1 for i, d in enumerate(shape)])
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def test_group_normalization_with_a_mask(backend_name):
    x = rand(2, 5, 4)
    x[0, 3:] = 0.0
    inp = Input(shape=(5, 4))
    layer = GroupNormalization(groups=2, center=False, scale=False)
    model = Model(inp, layer(Masking(0.0)(inp)))
    got = model.predict(x)
    mask = np.any(x != 0, axis=-1)
    want = np.empty_like(x)
    for b in range(2):
        for g in range(2):
            part = x[b, :, 2 * g:2 * g + 2]
            seen = part[mask[b]]
            mu, var = seen.mean(), ((seen - seen.mean()) ** 2).mean()
            want[b, :, 2 * g:2 * g + 2] = (part - mu) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs,message", [({"groups": 3}, "must be a divisor"), ({"groups": 8}, "cannot be more")])
def test_group_normalization_rejects_bad_groups(backend_name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        GroupNormalization(**kwargs)(K.ones((2, 4)))


@pytest.mark.parametrize("kwargs,shape", [({}, (3, 5)), ({"axis": [1, 2]}, (2, 3, 4)), ({"axis": 1}, (2, 3, 4))])
def test_unit_normalization(backend_name, kwargs, shape):
    out = layer_test(UnitNormalization, kwargs=kwargs, input_shape=shape)
    axis = kwargs.get("axis", -1)
    axes = tuple(axis) if isinstance(axis, list) else (axis,)
    x = np.asarray(rand(*shape))
    want = x / np.sqrt(np.maximum((x ** 2).sum(axis=axes, keepdims=True), 1e-12))
    np.testing.assert_allclose(UnitNormalization(**kwargs)(K.constant(x)).numpy(), want, rtol=1e-5, atol=1e-6)
    assert out.shape == shape


def test_normalization_axis_errors(backend_name):
    with pytest.raises(TypeError, match="Received: axis='last'"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="Received: axis=3"):
        LayerNormalization(axis=3)(K.ones((2, 3)))
    with pytest.raises(ValueError, match="batch axis"):
        UnitNormalization(axis=0)(K.ones((2, 3)))


def test_normalization_layers_save_and_reload(backend_name, tmp_path):
    inp = Input(shape=(4, 6))
    x = LayerNormalization(axis=[1, 2], gamma_initializer="random_normal")(inp)
    x = GroupNormalization(groups=3, beta_initializer="random_normal")(x)
    x = UnitNormalization()(Dense(5)(x))
    model = Model(inp, x)
    data = rand(3, 4, 6)
    for name in ("norm.h5", "norm.multinn"):
        model.save(str(tmp_path / name))
        loaded = load_model(str(tmp_path / name), compile=False)
        np.testing.assert_allclose(loaded.predict(data), model.predict(data), rtol=1e-6, atol=1e-6)
        assert loaded.layers[1].get_config()["axis"] == [1, 2]
