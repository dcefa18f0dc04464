"""Constraints: Keras 2's formulas against hand-computed results, serialization, identifiers."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import constraints

EPS = 1e-7  # K.epsilon()
# Column norms 5, 0.5 and 0 (a zero column must stay finite).
W = np.array([[3.0, 0.3, 0.0], [4.0, -0.4, 0.0]], dtype=np.float32)


def _apply(c, w=W):
    out = c(K.constant(w))
    assert isinstance(out, K.Tensor) and out.shape == w.shape
    return K.eval(out)


def test_max_norm(backend_name):
    got = _apply(constraints.MaxNorm(2.0))
    expected = np.array([[3 * 2 / (5 + EPS), 0.3 * 0.5 / (0.5 + EPS), 0.0], [4 * 2 / (5 + EPS), -0.4 * 0.5 / (0.5 + EPS), 0.0]])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_max_norm_axis_rows_and_conv_axes(backend_name):
    got = _apply(constraints.MaxNorm(1.0, axis=1))
    row_norms = np.sqrt((W.astype(np.float64) ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(got, W * np.minimum(row_norms, 1.0) / (row_norms + EPS), rtol=1e-6)
    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 4)).astype(np.float32)
    got = _apply(constraints.MaxNorm(1.0, axis=[0, 1, 2]), kernel)
    np.testing.assert_allclose(np.sqrt((got.astype(np.float64) ** 2).sum((0, 1, 2))), np.ones(4), rtol=1e-5)


def test_non_neg(backend_name):
    np.testing.assert_array_equal(_apply(constraints.NonNeg()), np.array([[3.0, 0.3, 0.0], [4.0, 0.0, 0.0]], np.float32))


def test_unit_norm(backend_name):
    got = _apply(constraints.UnitNorm())
    expected = np.array([[3 / (5 + EPS), 0.3 / (0.5 + EPS), 0.0], [4 / (5 + EPS), -0.4 / (0.5 + EPS), 0.0]])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    got = _apply(constraints.UnitNorm(axis=-1))
    np.testing.assert_allclose(np.linalg.norm(got, axis=-1), [1.0, 1.0], rtol=1e-5)


def test_min_max_norm(backend_name):
    # norms 5 -> clip to 2, 0.5 -> clip up to 1; rate 0.5 goes half the way.
    got = _apply(constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5))
    desired = np.array([0.5 * 2 + 0.5 * 5, 0.5 * 1 + 0.5 * 0.5, 0.0])
    norms = np.array([5.0, 0.5, 0.0])
    np.testing.assert_allclose(got, W * desired / (norms + EPS), rtol=1e-6)
    got = _apply(constraints.MinMaxNorm(min_value=1.0, max_value=2.0))
    np.testing.assert_allclose(np.linalg.norm(got, axis=0)[:2], [2.0, 1.0], rtol=1e-5)


def test_constraints_are_differentiable(backend_name):
    w = np.array([[3.0, 0.3], [4.0, -0.4]])
    for c in [constraints.MaxNorm(2.0), constraints.UnitNorm(), constraints.MinMaxNorm(1.0, 2.0, 0.5)]:
        K.check_gradients(c, [w])


def test_defaults_match_keras_2():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.NonNeg().get_config() == {}


@pytest.mark.parametrize(
    "name,cls",
    [
        ("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm), ("maxnorm", constraints.MaxNorm),
        ("non_neg", constraints.NonNeg), ("NonNeg", constraints.NonNeg), ("unit_norm", constraints.UnitNorm),
        ("UnitNorm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
        ("MinMaxNorm", constraints.MinMaxNorm),
    ],
)
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm


def test_serialize_round_trip(backend_name):
    for c in [constraints.MaxNorm(3, axis=[0, 1]), constraints.NonNeg(), constraints.UnitNorm(1), constraints.MinMaxNorm(0.5, 1.5, 0.3, 1)]:
        config = constraints.serialize(c)
        assert config["class_name"] == type(c).__name__
        back = constraints.get(config)
        assert type(back) is type(c) and back.get_config() == c.get_config()
        np.testing.assert_allclose(_apply(back), _apply(c))


def test_callables_and_none():
    fn = lambda w: K.clip(w, -1.0, 1.0)  # noqa: E731
    assert constraints.get(fn) is fn
    assert constraints.get(None) is None


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Unknown constraint 'max_nrom'. Did you mean 'max_norm'"):
        constraints.get("max_nrom")
    with pytest.raises(ValueError, match="Received: constraint=7"):
        constraints.get(7)


def test_class_given_for_an_object_is_instantiated():
    assert type(constraints.get(constraints.NonNeg)) is constraints.NonNeg
