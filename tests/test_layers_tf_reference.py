"""Attention and normalization layers against tf.keras, to 1e-4, with tf.keras's weights copied.

The reference outputs come from tests/fixtures/make_tf_attention_fixtures.py (TensorFlow and
tf-keras 2.21, run once; TensorFlow is too heavy a test dependency), stored in
tests/fixtures/tf_attention_fixtures.npz with each case's config, inputs and weights; the
same script saved three tf.keras models with these layers as .h5 files, which multinn loads.
"""
import json
import os

import numpy as np
import pytest

import multinn.layers as layers
from multinn import backend as K
from multinn.layers import Input, Masking
from multinn.models import Model, load_model

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "tf_attention_fixtures.npz")
DATA = np.load(FIXTURES)
CASES = sorted({key.split("/")[0] for key in DATA.files if "/" in key and not key.startswith("h5_")})
H5_MODELS = sorted({key.split("/")[0][3:] for key in DATA.files if key.startswith("h5_")})


def _case(name):
    def items(prefix):
        out, i = [], 0
        while f"{name}/{prefix}{i}" in DATA.files:
            out.append(DATA[f"{name}/{prefix}{i}"])
            i += 1
        return out

    return {
        "class": str(DATA[f"{name}/class"]),
        "config": json.loads(str(DATA[f"{name}/config"])),
        "call": json.loads(str(DATA[f"{name}/call"])),
        "model": str(DATA[f"{name}/model"]),
        "x": items("x"),
        "m": items("m"),
        "w": items("w"),
        "y": items("y"),
    }


def test_fixture_covers_every_layer():
    classes = {str(DATA[f"{c}/class"]) for c in CASES}
    assert classes == {"MultiHeadAttention", "Attention", "AdditiveAttention", "LayerNormalization",
                       "GroupNormalization", "UnitNormalization"}
    assert json.loads(str(DATA["versions"]))["tf_keras"].startswith("2.")


def _run(case):
    cls = getattr(layers, case["class"])
    layer = cls(**case["config"])
    xs = [K.constant(x) for x in case["x"]]
    if case["model"] == "masking_self_attention":
        inp = Input(shape=case["x"][0].shape[1:])
        masked = Masking(mask_value=0.0)(inp)
        model = Model(inp, layer(masked, masked))
        layer.set_weights(case["w"])
        return [model.predict(case["x"][0])]
    if case["class"] == "MultiHeadAttention":
        key = xs[2] if len(xs) > 2 else None
        mask = K.constant(case["m"][0], dtype="bool") if case["m"] else None
        layer(xs[0], xs[1], key=key, attention_mask=mask)  # builds
        layer.set_weights(case["w"])
        return layer(xs[0], xs[1], key=key, attention_mask=mask, return_attention_scores=True, **case["call"])
    if case["class"] in ("Attention", "AdditiveAttention"):
        kwargs = dict(case["call"])
        if case["m"]:
            kwargs["mask"] = [K.constant(m, dtype="bool") for m in case["m"]]
        layer(xs, **kwargs)
        layer.set_weights(case["w"])
        return layer(xs, return_attention_scores=True, **kwargs)
    layer(xs[0])
    layer.set_weights(case["w"])
    return [layer(xs[0])]


@pytest.mark.parametrize("name", CASES)
def test_matches_tf_keras(backend_name, name):
    case = _case(name)
    got = _run(case)
    assert len(got) == len(case["y"])
    for g, want in zip(got, case["y"]):
        g = g.numpy() if isinstance(g, K.Tensor) else np.asarray(g)
        assert g.shape == want.shape
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", H5_MODELS)
def test_loads_tf_keras_h5_models(backend_name, name, tmp_path):
    model = load_model(os.path.join(os.path.dirname(FIXTURES), f"tf_keras_{name}.h5"), compile=False)
    x, want = DATA[f"h5_{name}/x"], DATA[f"h5_{name}/y"]
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-4, atol=1e-4)
    # and multinn's own save of it reloads to the same outputs
    path = str(tmp_path / "again.h5")
    model.save(path)
    np.testing.assert_allclose(load_model(path, compile=False).predict(x), want, rtol=1e-4, atol=1e-4)
