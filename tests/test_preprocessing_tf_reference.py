"""The deterministic preprocessing layers against tf.keras 2.21's outputs, stored by
tests/fixtures/make_tf_preprocessing_fixtures.py (TensorFlow is not a test dependency),
and a tf.keras .h5 model with an adapted Normalization loaded by multinn."""
import json
import os

import numpy as np
import pytest

import multinn.layers
from multinn import backend as K
from multinn.models import load_model

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
FIXTURES = np.load(os.path.join(HERE, "tf_preprocessing_fixtures.npz"))
CASES = sorted({k.split("/")[0] for k in FIXTURES.files if k.endswith("/class")})


def test_fixture_covers_the_deterministic_layers():
    classes = {str(FIXTURES[f"{c}/class"]) for c in CASES}
    assert {"Rescaling", "Normalization", "Resizing", "CenterCrop", "CategoryEncoding", "Discretization",
            "RandomRotation", "RandomZoom", "RandomTranslation", "RandomBrightness", "RandomHeight",
            "RandomWidth"} <= classes


@pytest.mark.parametrize("name", CASES)
def test_matches_tf_keras(backend_name, name):
    cls = getattr(multinn.layers, str(FIXTURES[f"{name}/class"]))
    layer = cls(**json.loads(str(FIXTURES[f"{name}/config"])))
    if f"{name}/adapt" in FIXTURES.files:
        layer.adapt(FIXTURES[f"{name}/adapt"])
    x = FIXTURES[f"{name}/x"]
    kwargs = {"training": True} if bool(FIXTURES[f"{name}/training"]) else {}
    out = layer(K.constant(x, dtype=str(x.dtype)), **kwargs).numpy()
    want = FIXTURES[f"{name}/y"]
    assert out.shape == want.shape
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=2e-3 if x.dtype == np.float32 and x.max() > 10 else 1e-4)


def test_loads_a_tf_keras_h5_model_with_preprocessing_layers(backend_name):
    pytest.importorskip("h5py", reason="reading .h5 files needs h5py (pip install 'multinn[h5]')")
    model = load_model(os.path.join(HERE, "tf_keras_preprocessing.h5"), compile=False)
    np.testing.assert_allclose(model.predict(FIXTURES["h5_model/x"]), FIXTURES["h5_model/y"], rtol=1e-5, atol=1e-5)


TEXT_CASES = sorted(k for k in FIXTURES.files if k.startswith("text_"))


def test_fixture_covers_the_text_layers():
    classes = {json.loads(str(FIXTURES[c]))["class"] for c in TEXT_CASES}
    assert classes == {"TextVectorization", "StringLookup", "IntegerLookup"}


@pytest.mark.parametrize("name", TEXT_CASES)
def test_text_layers_match_tf_keras(backend_name, name):
    case = json.loads(str(FIXTURES[name]))
    layer = getattr(multinn.layers, case["class"])(**case["config"])
    layer.adapt(case["adapt"])
    assert layer.get_vocabulary() == case["vocabulary"]
    x = case["x"]
    if case["class"] == "IntegerLookup":
        x = K.constant(x, dtype="int64")
    out = layer(x).numpy()
    np.testing.assert_allclose(out, np.asarray(case["y"]), rtol=1e-5, atol=1e-6)
