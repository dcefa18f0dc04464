"""Regularizers: penalty values, gradients, serialization, identifiers."""
import numpy as np
import pytest

from multinn import backend as K
from multinn import regularizers

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.0, 3.0]], dtype=np.float32)


@pytest.mark.parametrize(
    "reg,l1,l2",
    [
        (regularizers.L1L2(l1=0.3, l2=0.7), 0.3, 0.7),
        (regularizers.l1(), 0.01, 0.0),
        (regularizers.l2(), 0.0, 0.01),
        (regularizers.l1_l2(), 0.01, 0.01),
        (regularizers.l1(0.2), 0.2, 0.0),
        (regularizers.l2(l=0.4), 0.0, 0.4),
        (regularizers.L1(0.05), 0.05, 0.0),
        (regularizers.L2(l2=0.06), 0.0, 0.06),
    ],
)
def test_penalty_values(backend_name, reg, l1, l2):
    got = reg(K.constant(W))
    assert isinstance(got, K.Tensor) and got.shape == () and K.dtype(got) == "float32"
    expected = l1 * np.abs(W.astype(np.float64)).sum() + l2 * (W.astype(np.float64) ** 2).sum()
    np.testing.assert_allclose(float(got), expected, rtol=1e-6)


def test_zero_penalty(backend_name):
    got = regularizers.L1L2()(K.constant(W))
    assert float(got) == 0.0 and got.shape == ()
    assert float(regularizers.Regularizer()(K.constant(W))) == 0.0


def test_penalty_gradient(backend_name):
    reg = regularizers.L1L2(l1=0.3, l2=0.7)
    K.check_gradients(reg, [W.astype(np.float64)])
    w = K.variable(W)
    (g,) = K.gradients(reg(w), [w])
    np.testing.assert_allclose(g.numpy(), 0.3 * np.sign(W) + 1.4 * W, rtol=1e-6)


def test_defaults_match_keras_2():
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l1().get_config() == {"l1": 0.01, "l2": 0.0}
    assert regularizers.l2().get_config() == {"l1": 0.0, "l2": 0.01}
    assert regularizers.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}


@pytest.mark.parametrize("name,l1,l2", [("l1", 0.01, 0.0), ("l2", 0.0, 0.01), ("l1_l2", 0.01, 0.01), ("L1L2", 0.0, 0.0)])
def test_get_by_name(name, l1, l2):
    reg = regularizers.get(name)
    assert (reg.l1, reg.l2) == (l1, l2)


def test_serialize_round_trip(backend_name):
    for reg in [regularizers.l1_l2(0.1, 0.2), regularizers.L1(0.3), regularizers.L2(0.4)]:
        config = regularizers.serialize(reg)
        back = regularizers.deserialize(config)
        assert type(back) is type(reg) and back.get_config() == reg.get_config()
        assert float(back(K.constant(W))) == pytest.approx(float(reg(K.constant(W))))
    assert regularizers.serialize(regularizers.l2(0.1)) == {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.1}}
    assert regularizers.get({"class_name": "l2", "config": {"l": 0.5}}).l2 == 0.5


def test_user_callables(backend_name):
    fn = lambda w: 0.01 * K.sum(K.abs(w))  # noqa: E731
    assert regularizers.get(fn) is fn
    assert regularizers.get(None) is None

    def my_reg(w):
        return K.sum(w)

    assert regularizers.deserialize("my_reg", custom_objects={"my_reg": my_reg}) is my_reg
    assert regularizers.serialize(my_reg) == "my_reg"


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Unknown regularizer 'l_2'. Did you mean 'l2'"):
        regularizers.get("l_2")
    with pytest.raises(ValueError, match="Received: regularizer=0.5"):
        regularizers.get(0.5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'l3'"):
        regularizers.L1(l3=0.1)


def test_class_given_for_an_object_is_instantiated():
    assert regularizers.get(regularizers.L2).get_config() == {"l2": 0.01}
