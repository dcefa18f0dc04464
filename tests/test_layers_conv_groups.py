"""tf.keras 2's grouped convolution (`groups=` on Conv1D/2D/3D): values against one plain
NumPy convolution per group, float64 gradients and config through layer_test, save/load,
and the argument errors."""

import numpy as np
import pytest

from multinn import layers
from multinn.layers import Input
from multinn.models import Model, load_model
from tests.helpers import rand
from tests.layer_test import layer_test
from tests.test_ops_conv import cf, cl, ref_conv, ref_grouped

@pytest.mark.parametrize("cls,kwargs,input_shape", [
    (layers.Conv1D, {"filters": 4, "kernel_size": 2, "groups": 2, "padding": "causal", "dilation_rate": 2},
     (2, 6, 4)),
    (layers.Conv2D, {"filters": 6, "kernel_size": (3, 2), "groups": 3, "strides": (2, 1), "padding": "same"},
     (2, 5, 4, 3)),
    (layers.Conv2D, {"filters": 4, "kernel_size": 2, "groups": 2, "data_format": "channels_first"}, (2, 4, 4, 3)),
    (layers.Conv3D, {"filters": 4, "kernel_size": 2, "groups": 2}, (1, 3, 3, 3, 2)),
])
def test_grouped_conv_layers_match_numpy(backend_name, cls, kwargs, input_shape):
    # layer_test: shapes, eager == model, configs, JSON, Sequential, a training step, float64 gradients
    layer_test(cls, kwargs, input_shape=input_shape)

    rank = len(input_shape) - 2
    first = kwargs.get("data_format") == "channels_first"
    cin = input_shape[1] if first else input_shape[-1]

    def spatial(key, default=1):
        value = kwargs.get(key, default)
        return value if isinstance(value, tuple) else (value,) * rank

    kernel = rand(*spatial("kernel_size") + (cin // kwargs["groups"], kwargs["filters"]), seed=3)
    x = rand(*input_shape, seed=4)
    layer = cls(**kwargs, kernel_initializer=lambda shape, dtype=None: kernel.astype(dtype or "float32"),
                bias_initializer="ones")
    got = layer(x).numpy()
    assert layer.kernel.shape == kernel.shape
    want = ref_grouped(cl(x) if first else x, kernel, kwargs["groups"],
                       lambda xa, wb: ref_conv(xa, wb, spatial("strides"), kwargs.get("padding", "valid"),
                                               spatial("dilation_rate"))) + 1.0
    np.testing.assert_allclose(got, cf(want) if first else want, rtol=1e-4, atol=1e-5)


def test_groups_in_config_and_save_load(backend_name, tmp_path):
    inputs = Input((6, 6, 4))
    conv = layers.Conv2D(6, 3, groups=2, padding="same", name="grouped")
    model = Model(inputs, conv(inputs))
    config = conv.get_config()
    assert config["groups"] == 2 and list(config).index("groups") == list(config).index("dilation_rate") + 1
    assert layers.Conv2D.from_config(config).groups == 2
    x = rand(2, 6, 6, 4, seed=5)
    want = model.predict(x)
    for name in ("grouped.h5", "grouped.keras"):
        model.save(str(tmp_path / name))
        loaded = load_model(str(tmp_path / name), compile=False)
        assert loaded.get_layer("grouped").groups == 2
        assert loaded.get_layer("grouped").kernel.shape == (3, 3, 2, 6)
        np.testing.assert_allclose(loaded.predict(x), want, rtol=1e-6, atol=1e-6)


def test_plain_convs_keep_groups_one_and_keras2_positions():
    layer = layers.Conv2D(4, (3, 3), 1, "valid", None, 1, "relu")  # Keras 2.3.1's 7th positional is the activation
    assert layer.groups == 1 and layer.activation.__name__ == "relu"
    assert "groups" not in layers.Conv2DTranspose(2, 3).get_config()
    assert "groups" not in layers.SeparableConv2D(2, 3).get_config()


def test_bad_groups_name_what_was_received():
    with pytest.raises(ValueError, match="divisible by the number of groups. Received: groups=2, filters=5"):
        layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="must be a positive int. Received: groups=0"):
        layers.Conv1D(4, 3, groups=0)
    with pytest.raises(ValueError, match="Received: groups=2, but the input has 3 channels"):
        layers.Conv3D(4, 2, groups=2)(Input((4, 4, 4, 3)))
    with pytest.raises(TypeError, match="groups"):
        layers.Conv2DTranspose(4, 3, groups=2)
