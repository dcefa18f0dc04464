"""Convolutions and pooling on NumPy and on CuPy: values and gradients agree under the tolerance table."""
import pytest

from multinn import backend as K
from multinn import layers
from tests.helpers import rand
from tests.parity.tolerances import assert_close, assert_parity


CASES = {
    "conv2d_same_strided": (lambda x, w: K.conv2d(x, w, (2, 1), "same"), [rand(2, 7, 6, 3), rand(3, 3, 3, 4, seed=1)]),
    "conv2d_channels_first_dilated": (
        lambda x, w: K.conv2d(x, w, padding="valid", data_format="channels_first", dilation_rate=(2, 2)),
        [rand(2, 3, 7, 7), rand(2, 2, 3, 2, seed=1)],
    ),
    "conv1d_causal": (lambda x, w: K.conv1d(x, w, padding="causal", dilation_rate=2),
                      [rand(2, 9, 3), rand(3, 3, 2, seed=1)]),
    "conv3d": (lambda x, w: K.conv3d(x, w, padding="same"), [rand(1, 4, 4, 3, 2), rand(2, 2, 2, 2, 3, seed=1)]),
    "conv_nd_bias": (lambda x, w, b: K.conv_nd(x, w, b, padding="same"),
                     [rand(2, 5, 5, 2), rand(3, 3, 2, 4, seed=1), rand(4, seed=2)]),
    "conv2d_transpose": (lambda x, w: K.conv2d_transpose(x, w, (2, 8, 7, 2), (2, 2), "same"),
                         [rand(2, 4, 4, 3), rand(3, 3, 2, 3, seed=1)]),
    "depthwise": (lambda x, w: K.depthwise_conv2d(x, w, padding="same"), [rand(2, 5, 5, 3), rand(3, 3, 3, 2, seed=1)]),
    "separable": (lambda x, d, p: K.separable_conv2d(x, d, p, strides=(2, 2)),
                  [rand(2, 6, 6, 2), rand(3, 3, 2, 2, seed=1), rand(1, 1, 4, 3, seed=2)]),
    "max_pool": (lambda x: K.pool2d(x, (3, 3), (2, 2), "same", pool_mode="max"), [rand(2, 7, 6, 3)]),
    "avg_pool": (lambda x: K.pool2d(x, (2, 2), (1, 1), "same", pool_mode="avg"), [rand(2, 5, 5, 3)]),
    "pool3d": (lambda x: K.pool3d(x, (2, 2, 2), (2, 2, 2), pool_mode="max"), [rand(1, 4, 4, 4, 2)]),
    "local_conv2d": (lambda x, k: K.local_conv2d(x, k, (2, 2), (1, 1), (3, 3)),
                     [rand(2, 4, 4, 2), rand(9, 8, 3, seed=1)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_conv_parity(other_backend, case):
    fn, arrays = CASES[case]
    assert_parity(other_backend, fn, arrays)


def test_conv_layer_stack_parity(other_backend):
    """A small CNN with the same seed gives the same weights and outputs on both backends."""
    x = rand(4, 8, 8, 1)

    def build_and_run(name):
        with K.backend_scope(name):
            from multinn.utils import set_random_seed

            set_random_seed(7)
            stack = [layers.Conv2D(4, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
                     layers.Conv2DTranspose(2, 2, strides=2), layers.GlobalAveragePooling2D()]
            h = K.constant(x)
            for layer in stack:
                h = layer(h)
            return h.numpy(), [w.numpy() for layer in stack for w in layer.weights]

    ref_out, ref_weights = build_and_run("numpy")
    out, weights = build_and_run(other_backend)
    for w, r in zip(weights, ref_weights):
        assert_close(w, r)
    assert_close(out, ref_out)
