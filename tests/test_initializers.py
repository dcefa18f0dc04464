"""Initializers: Keras 2's statistical checks, fan rules, orthogonality, seeds, serialization."""
import math

import numpy as np
import pytest

from multinn import backend as K
from multinn import initializers
from multinn.initializers import _compute_fans

FC_SHAPE = (200, 100)
CONV_SHAPE = (25, 25, 20, 20)
LIM = 3e-2  # Keras 2's tolerance for these statistics


def _draw(init, shape):
    out = init(shape)
    assert isinstance(out, K.Tensor)
    assert tuple(out.shape) == tuple(shape)
    assert K.dtype(out) == K.floatx()
    return K.eval(out)


def _fans_by_hand(shape):
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize(
    "shape,expected",
    [((5, 3), (5, 3)), ((3, 3, 4, 8), (36, 72)), ((7, 2, 6), (14, 42)), ((2, 2, 2, 3, 5), (24, 40))],
)
def test_compute_fans_rules(shape, expected):
    assert _compute_fans(shape) == expected


def test_compute_fans_channels_first_and_other_ranks():
    assert _compute_fans((8, 4, 3, 3), data_format="channels_first") == (36, 72)
    fan_in, fan_out = _compute_fans((16,))
    assert fan_in == fan_out == 4.0
    assert _compute_fans((2, 3, 4, 5, 6, 7)) == (math.sqrt(5040), math.sqrt(5040))


@pytest.mark.parametrize("shape", [FC_SHAPE, CONV_SHAPE])
def test_random_uniform(backend_name, shape):
    x = _draw(initializers.RandomUniform(minval=-1, maxval=1, seed=1), shape)
    assert abs(x.mean()) < LIM
    assert abs(x.max() - 1) < LIM and abs(x.min() + 1) < LIM
    assert x.max() <= 1 and x.min() >= -1


@pytest.mark.parametrize("shape", [FC_SHAPE, CONV_SHAPE])
def test_random_normal(backend_name, shape):
    x = _draw(initializers.RandomNormal(mean=0.0, stddev=1.0, seed=2), shape)
    assert abs(x.mean()) < LIM and abs(x.std() - 1.0) < LIM


@pytest.mark.parametrize("shape", [FC_SHAPE, CONV_SHAPE])
def test_truncated_normal(backend_name, shape):
    x = _draw(initializers.TruncatedNormal(mean=0.0, stddev=1.0, seed=3), shape)
    assert abs(x.mean()) < LIM and abs(x.std() - 0.88) < LIM
    assert abs(x.max() - 2) < LIM and abs(x.min() + 2) < LIM
    assert np.abs(x).max() <= 2.0


def test_constant_zeros_ones(backend_name):
    np.testing.assert_array_equal(_draw(initializers.Constant(2), FC_SHAPE), np.full(FC_SHAPE, 2.0))
    np.testing.assert_array_equal(_draw(initializers.Zeros(), CONV_SHAPE), np.zeros(CONV_SHAPE))
    np.testing.assert_array_equal(_draw(initializers.Ones(), (3,)), np.ones(3))
    assert K.dtype(initializers.Zeros()((2,), dtype="float64")) == "float64"


# name -> (fan -> expected stddev); uniform draws have std limit / sqrt(3).
SCALED = {
    "lecun_uniform": lambda fi, fo: math.sqrt(1.0 / fi),
    "lecun_normal": lambda fi, fo: math.sqrt(1.0 / fi),
    "glorot_uniform": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    "glorot_normal": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    "he_uniform": lambda fi, fo: math.sqrt(2.0 / fi),
    "he_normal": lambda fi, fo: math.sqrt(2.0 / fi),
}


@pytest.mark.parametrize("name", sorted(SCALED))
@pytest.mark.parametrize("shape", [FC_SHAPE, CONV_SHAPE])
def test_variance_scaling_presets(backend_name, name, shape):
    fan_in, fan_out = _fans_by_hand(shape)
    std = SCALED[name](fan_in, fan_out)
    x = _draw(getattr(initializers, name)(seed=4), shape)
    # Keras 2's check, plus a relative one: LIM alone would pass for conv kernels' tiny stddevs.
    assert abs(x.mean()) < LIM and abs(x.std() - std) < LIM
    assert abs(x.std() - std) < 0.03 * std
    if name.endswith("uniform"):
        limit = math.sqrt(3.0) * std
        assert x.max() <= limit and x.min() >= -limit
    else:
        # Truncated at two stddevs of the widened normal.
        assert np.abs(x).max() <= 2.0 * std / 0.87962566103423978 + 1e-6


def test_variance_scaling_modes_and_distributions(backend_name):
    shape = (300, 100)
    for mode, fan in [("fan_in", 300), ("fan_out", 100), ("fan_avg", 200)]:
        for distribution in ["normal", "truncated_normal", "untruncated_normal", "uniform"]:
            init = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=5)
            x = _draw(init, shape)
            std = math.sqrt(3.0 / fan)
            assert abs(x.std() - std) < 0.03 * std, (mode, distribution)
    # Only the untruncated normal reaches beyond two widened stddevs.
    x = _draw(initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=6), shape)
    assert np.abs(x).max() > 2.0 * math.sqrt(1 / 300) / 0.87962566103423978


def test_variance_scaling_small_fan_is_not_divided_below_one(backend_name):
    x = _draw(initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=7), (1, 4000))
    assert x.max() <= math.sqrt(3.0) and x.max() > 0.9 * math.sqrt(3.0)


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode='fan_mid'"):
        initializers.VarianceScaling(mode="fan_mid")
    with pytest.raises(ValueError, match="distribution='gamma'"):
        initializers.VarianceScaling(distribution="gamma")


@pytest.mark.parametrize("shape", [(20, 20), (30, 10), (10, 30), (3, 3, 4, 6)])
def test_orthogonal(backend_name, shape):
    x = _draw(initializers.Orthogonal(gain=1.5, seed=8), shape)
    flat = x.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(small), atol=1e-4)


def test_orthogonal_statistics_and_errors(backend_name):
    x = _draw(initializers.Orthogonal(seed=9), FC_SHAPE)
    assert abs(x.mean()) < LIM
    with pytest.raises(ValueError, match="at least two dimensions"):
        initializers.Orthogonal()((5,))


def test_orthogonal_sign_correction_gives_unbiased_columns(backend_name):
    # Householder QR leaves Q's diagonal sign-biased; after the fix by sign(diag(R)) the
    # matrix is Haar-distributed and the diagonal's mean over many draws is near zero.
    diag = np.concatenate([np.diag(_draw(initializers.Orthogonal(seed=s), (8, 8))) for s in range(40)])
    assert abs(diag.mean()) < 0.15


def test_identity(backend_name):
    x = _draw(initializers.Identity(gain=1.0), (100, 100))
    assert abs(x.mean() - 1.0 / 100) < LIM and x.max() == 1.0
    np.testing.assert_array_equal(_draw(initializers.Identity(gain=3.0), (2, 3)), 3.0 * np.eye(2, 3))
    out = initializers.Identity()((3, 3))
    assert out.node is None and not out.needs_grad
    with pytest.raises(ValueError, match=r"shape=\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


SEEDED = [
    lambda seed: initializers.RandomNormal(seed=seed),
    lambda seed: initializers.RandomUniform(seed=seed),
    lambda seed: initializers.TruncatedNormal(seed=seed),
    lambda seed: initializers.VarianceScaling(seed=seed),
    lambda seed: initializers.glorot_uniform(seed=seed),
    lambda seed: initializers.he_normal(seed=seed),
    lambda seed: initializers.Orthogonal(seed=seed),
]


@pytest.mark.parametrize("make", SEEDED, ids=lambda make: type(make(0)).__name__)
def test_seed_reproducible(backend_name, make):
    init = make(11)
    c = _draw(initializers.deserialize(initializers.serialize(init)), (6, 5))
    a = _draw(init, (6, 5))
    np.testing.assert_array_equal(a, _draw(make(11), (6, 5)))  # same seed, same values
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, _draw(make(12), (6, 5)))


@pytest.mark.parametrize("make", SEEDED, ids=lambda make: type(make(0)).__name__)
def test_a_seeded_initializer_draws_anew_at_each_call(backend_name, make):
    # Keras 2.3: the seed moves on after each call, so one initializer gives every weight its own values
    init = make(11)
    first, second = _draw(init, (6, 5)), _draw(init, (6, 5))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(second, _draw(make(12), (6, 5)))
    assert init.get_config()["seed"] == 13


def test_same_seed_same_values_on_every_backend():
    from tests.conftest import usable_backends

    results = []
    for name in usable_backends():
        with K.backend_scope(name):
            results.append(_draw(initializers.glorot_uniform(seed=13), (7, 9)))
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


@pytest.mark.parametrize(
    "name,cls",
    [
        ("zero", initializers.Zeros), ("zeros", initializers.Zeros), ("Zeros", initializers.Zeros),
        ("one", initializers.Ones), ("ones", initializers.Ones), ("constant", initializers.Constant),
        ("uniform", initializers.RandomUniform), ("random_uniform", initializers.RandomUniform),
        ("normal", initializers.RandomNormal), ("random_normal", initializers.RandomNormal),
        ("truncated_normal", initializers.TruncatedNormal), ("identity", initializers.Identity),
        ("orthogonal", initializers.Orthogonal), ("VarianceScaling", initializers.VarianceScaling),
        ("glorot_uniform", initializers.GlorotUniform), ("he_normal", initializers.HeNormal),
        ("lecun_uniform", initializers.LecunUniform),
    ],
)
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_glorot_uniform_matches_variance_scaling_config():
    init = initializers.get("glorot_uniform")
    assert (init.scale, init.mode, init.distribution) == (1.0, "fan_avg", "uniform")
    assert initializers.serialize(init) == {"class_name": "GlorotUniform", "config": {"seed": None}}


def test_serialize_round_trip():
    for init in [
        initializers.Constant(0.5),
        initializers.RandomNormal(1.0, 2.0, seed=3),
        initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1),
        initializers.Orthogonal(gain=2.0),
        initializers.Identity(gain=0.5),
        initializers.he_uniform(seed=4),
    ]:
        config = initializers.serialize(init)
        back = initializers.deserialize(config)
        assert type(back) is type(init) and back.get_config() == init.get_config()
        assert initializers.get(config).get_config() == init.get_config()


def test_keras_2_variance_scaling_config_for_glorot_reads_back():
    config = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
    init = initializers.get(config)
    assert isinstance(init, initializers.VarianceScaling) and init.mode == "fan_avg"
    assert initializers.get({"class_name": "Zeros", "config": {"dtype": "float32"}}).get_config() == {}


def test_callables_and_none():
    def my_init(shape, dtype=None):
        return K.random_normal(shape, dtype=dtype, seed=1)

    assert initializers.get(my_init) is my_init
    assert initializers.get(None) is None
    assert initializers.get(initializers.Ones()).__class__ is initializers.Ones
    assert initializers.deserialize("my_init", custom_objects={"my_init": my_init}) is my_init


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot_unifrom'. Did you mean 'glorot_uniform'"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Received: initializer=3"):
        initializers.get(3)


def test_class_given_for_an_object_is_instantiated():
    assert type(initializers.get(initializers.HeUniform)) is initializers.HeUniform
