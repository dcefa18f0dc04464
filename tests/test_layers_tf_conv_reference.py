"""Grouped Conv1D/2D/3D, DepthwiseConv1D, Identity, ConvLSTM1D and ConvLSTM3D against
tf.keras, to 1e-4, with tf.keras's weights copied; and tf.keras .h5 models with these
layers loaded by multinn.

The reference outputs come from tests/fixtures/make_tf_conv_fixtures.py (TensorFlow and
tf-keras 2.21, run once; TensorFlow is too heavy a test dependency), stored in
tests/fixtures/tf_conv_fixtures.npz.
"""
import json
import os

import numpy as np
import pytest

import multinn.layers as layers
from multinn import backend as K
from multinn.models import load_model

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
DATA = np.load(os.path.join(HERE, "tf_conv_fixtures.npz"))
CASES = sorted({key.split("/")[0] for key in DATA.files if not key.startswith("h5_")})
H5_MODELS = sorted({key.split("/")[0][3:] for key in DATA.files if key.startswith("h5_")})


def _weights(name):
    out, i = [], 0
    while f"{name}/w{i}" in DATA.files:
        out.append(DATA[f"{name}/w{i}"])
        i += 1
    return out


@pytest.mark.parametrize("name", CASES)
def test_layer_matches_tf_keras(backend_name, name):
    cls = getattr(layers, str(DATA[f"{name}/class"]))
    layer = cls(**json.loads(str(DATA[f"{name}/config"])))
    x = DATA[f"{name}/x"]
    layer(K.constant(x))
    weights = _weights(name)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), DATA[f"{name}/y"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", H5_MODELS)
def test_tf_keras_h5_models_load_and_agree(backend_name, name):
    model = load_model(os.path.join(HERE, f"tf_keras_conv_{name}.h5"), compile=False)
    np.testing.assert_allclose(model.predict(DATA[f"h5_{name}/x"]), DATA[f"h5_{name}/y"], rtol=1e-4, atol=1e-4)


def test_fixtures_cover_every_layer():
    assert {str(DATA[f"{name}/class"]) for name in CASES} == {
        "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "Identity", "ConvLSTM1D", "ConvLSTM3D"}
    assert H5_MODELS == ["convlstm1d", "grouped"]
