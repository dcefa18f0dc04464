"""Every layer checks its constructor arguments: a bad size, rate or option raises a
ValueError naming the argument ("Received: name=value") when the layer is made, not a wrong
shape or a raw NumPy error later; NumPy integers stay as good as Python ones."""
import json
import re
import warnings

import numpy as np
import pytest

from multinn import backend as K
from multinn import layers as L
from multinn.utils.argument_validation import check_axis_list, check_int, check_number, int_tuple

# (layer, positional args, keyword args, the "Received: ..." the message must end with)
BAD = [
    # Dense and the Keras 1 dense layers
    (L.Dense, (True,), {}, "units=True"),
    (L.Dense, (3.7,), {}, "units=3.7"),
    (L.Dense, ("3",), {}, "units='3'"),
    (L.MaxoutDense, (0,), {}, "output_dim=0"),
    (L.MaxoutDense, (3,), {"nb_feature": 0}, "nb_feature=0"),
    # convolutions
    (L.Conv2D, (2, 0), {}, "kernel_size=0"),
    (L.Conv2D, (0, 3), {}, "filters=0"),
    (L.Conv2D, (True, 3), {}, "filters=True"),
    (L.Conv2D, (2, 3), {"strides": 0}, "strides=0"),
    (L.Conv2D, (2, 3), {"dilation_rate": 0}, "dilation_rate=0"),
    (L.Conv2D, (2, (3, -1)), {}, "kernel_size=(3, -1)"),
    (L.Conv1D, (2.5, 3), {}, "filters=2.5"),
    (L.Conv1D, (2, 3), {"strides": -1}, "strides=-1"),
    (L.Conv3D, (2, 3), {"strides": (1, 0, 1)}, "strides=(1, 0, 1)"),
    (L.Conv2DTranspose, (0, 3), {}, "filters=0"),
    (L.Conv2DTranspose, (2, 3), {"strides": 2, "output_padding": -1}, "output_padding=-1"),
    (L.Conv1DTranspose, (2, 3), {"dilation_rate": 0}, "dilation_rate=0"),
    (L.SeparableConv2D, (4, 3), {"depth_multiplier": 0}, "depth_multiplier=0"),
    (L.SeparableConv1D, (2, 3), {"depth_multiplier": 1.5}, "depth_multiplier=1.5"),
    (L.DepthwiseConv2D, (3,), {"depth_multiplier": 0}, "depth_multiplier=0"),
    (L.DepthwiseConv2D, (0,), {}, "kernel_size=0"),
    (L.LocallyConnected1D, (0, 3), {}, "filters=0"),
    (L.LocallyConnected1D, (2, 3), {"strides": 0}, "strides=0"),
    (L.LocallyConnected2D, (2, 0), {}, "kernel_size=0"),
    # pooling
    (L.MaxPooling2D, (0,), {}, "pool_size=0"),
    (L.MaxPooling1D, (2,), {"strides": 0}, "strides=0"),
    (L.AveragePooling3D, ((2, 2, -2),), {}, "pool_size=(2, 2, -2)"),
    # upsampling, zero padding, cropping
    (L.UpSampling1D, (0,), {}, "size=0"),
    (L.UpSampling1D, (2.5,), {}, "size=2.5"),
    (L.UpSampling2D, ((2, 0),), {}, "size=(2, 0)"),
    (L.UpSampling3D, (-1,), {}, "size=-1"),
    (L.ZeroPadding1D, (-1,), {}, "padding=-1"),
    (L.ZeroPadding2D, (((1, -1), (0, 0)),), {}, "padding=((1, -1), (0, 0))"),
    (L.ZeroPadding2D, (((1.5, 1), (0, 0)),), {}, "padding=((1.5, 1), (0, 0))"),
    (L.Cropping2D, (-1,), {}, "cropping=-1"),
    (L.Cropping1D, ((1, -2),), {}, "cropping=(1, -2)"),
    (L.Cropping3D, (((0, 0), (0, 0), (0, -1)),), {}, "cropping=((0, 0), (0, 0), (0, -1))"),
    # dropout and noise
    (L.Dropout, ("0.5",), {}, "rate='0.5'"),
    (L.GaussianNoise, (-0.1,), {}, "stddev=-0.1"),
    (L.GaussianNoise, ("x",), {}, "stddev='x'"),
    (L.GaussianDropout, (None,), {}, "rate=None"),
    (L.AlphaDropout, (float("nan"),), {}, "rate=nan"),
    (L.Dropout, (0.5,), {"noise_shape": (None, 0)}, "noise_shape=(None, 0)"),
    # recurrent layers and cells
    (L.LSTM, (2.5,), {}, "units=2.5"),
    (L.GRU, (True,), {}, "units=True"),
    (L.SimpleRNNCell, ("4",), {}, "units='4'"),
    (L.LSTMCell, (3,), {"implementation": True}, "implementation=True"),
    (L.LSTM, (3,), {"dropout": "0.1"}, "dropout='0.1'"),
    (L.ConvLSTM2DCell, (2, 3), {"recurrent_dropout": None}, "recurrent_dropout=None"),
    (L.CuDNNGRU, (2.5,), {}, "units=2.5"),
    (L.StackedRNNCells, ([],), {}, "cells=[]"),
    (L.ConvLSTM2D, (2, 0), {}, "kernel_size=0"),
    (L.ConvLSTM2D, (2, 3), {"strides": 0}, "strides=0"),
    # embedding, shapes
    (L.Embedding, (10, 3), {"input_length": 0}, "input_length=0"),
    (L.Embedding, (10, 3), {"input_length": (2, -1)}, "input_length=(2, -1)"),
    (L.RepeatVector, (0,), {}, "n=0"),
    (L.RepeatVector, (2.5,), {}, "n=2.5"),
    (L.Reshape, ((2, -1, -1),), {}, "target_shape=(2, -1, -1)"),
    (L.Reshape, ((0, 3),), {}, "target_shape=(0, 3)"),
    (L.Reshape, ((2.5, 2),), {}, "target_shape=(2.5, 2)"),
    (L.Reshape, ((-2, 3),), {}, "target_shape=(-2, 3)"),
    (L.Permute, ((1.5, 2),), {}, "dims=(1.5, 2)"),
    # normalization, activations, merges, misc
    (L.BatchNormalization, (), {"axis": 1.5}, "axis=1.5"),
    (L.BatchNormalization, (), {"momentum": "x"}, "momentum='x'"),
    (L.BatchNormalization, (), {"epsilon": -1.0}, "epsilon=-1.0"),
    (L.Softmax, (), {"axis": 1.5}, "axis=1.5"),
    (L.Concatenate, (), {"axis": 1.5}, "axis=1.5"),
    (L.ELU, ("x",), {}, "alpha='x'"),
    (L.LeakyReLU, (None,), {}, "alpha=None"),
    (L.ThresholdedReLU, ("1",), {}, "theta='1'"),
    (L.ReLU, ("x",), {}, "max_value='x'"),
    (L.ReLU, (), {"threshold": None}, "threshold=None"),
    (L.ActivityRegularization, ("0.1",), {}, "l1='0.1'"),
    (L.PReLU, (), {"shared_axes": 0}, "shared_axes=0"),
    (L.PReLU, (), {"shared_axes": [1.5]}, "shared_axes=[1.5]"),
    (L.Lambda, (3,), {}, "function=3"),
]


def _label(case):
    layer, args, kwargs, _ = case
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{layer.__name__}({', '.join(parts)})"


@pytest.mark.parametrize("case", BAD, ids=[_label(c) for c in BAD])
def test_bad_argument_raises_naming_it(case):
    layer, args, kwargs, received = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # MaxoutDense is a Keras 1 layer
        with pytest.raises(ValueError, match=re.escape(f"Received: {received}") + "$"):
            layer(*args, **kwargs)


# A rate outside [0, 1] is clamped, as Keras 2.3.1 does (its own tests build Dropout(3)), with a warning.
CLAMPED = [
    (lambda: L.Dropout(1.5), "rate", 1.5, 1.0),
    (lambda: L.Dropout(-0.1), "rate", -0.1, 0.0),
    (lambda: L.SpatialDropout2D(2.0), "rate", 2.0, 1.0),
    (lambda: L.GaussianDropout(-1), "rate", -1, 0.0),
    (lambda: L.AlphaDropout(1.5), "rate", 1.5, 1.0),
    (lambda: L.LSTM(3, dropout=1.5).cell, "dropout", 1.5, 1.0),
    (lambda: L.GRU(3, recurrent_dropout=-0.5).cell, "recurrent_dropout", -0.5, 0.0),
    (lambda: L.ConvLSTM2D(2, 3, dropout=2).cell, "dropout", 2, 1.0),
]


@pytest.mark.parametrize("make, name, given, read", CLAMPED, ids=[f"{c[1]}={c[2]}" for c in CLAMPED])
def test_rate_outside_unit_interval_is_clamped_with_a_warning(make, name, given, read):
    with pytest.warns(UserWarning, match=re.escape(f"read as {read} (as Keras 2 clamps it). Received: {name}={given!r}")):
        layer = make()
    assert getattr(layer, name) == read


def test_numpy_integers_are_accepted_and_stored_as_python_ints(backend_name):
    i = np.int64
    dense = L.Dense(i(3))
    assert dense(K.ones((2, 4))).shape == (2, 3) and type(dense.units) is int
    conv = L.Conv2D(np.int32(2), (i(3), i(2)), strides=i(1), dilation_rate=(i(1), i(1)))
    assert conv(K.ones((1, 5, 5, 1))).shape == (1, 3, 4, 2)
    assert conv.kernel_size == (3, 2) and all(type(v) is int for v in conv.kernel_size + (conv.filters,))
    assert L.MaxPooling2D(i(2))(K.ones((1, 4, 6, 1))).shape == (1, 2, 3, 1)
    assert L.Cropping2D(((i(1), i(0)), (0, i(2))))(K.ones((1, 4, 6, 1))).shape == (1, 3, 4, 1)
    assert L.ZeroPadding1D(i(1))(K.ones((1, 3, 2))).shape == (1, 5, 2)
    assert L.UpSampling1D(i(2))(K.ones((1, 3, 2))).shape == (1, 6, 2)
    assert L.RepeatVector(i(2))(K.ones((1, 3))).shape == (1, 2, 3)
    assert L.Reshape((i(2), -1))(K.ones((1, 6))).shape == (1, 2, 3)
    assert L.Permute(np.array([2, 1]))(K.ones((1, 2, 3))).shape == (1, 3, 2)
    assert L.Embedding(i(5), i(2), input_length=i(3))(K.zeros((1, 3), dtype="int32")).shape == (1, 3, 2)
    assert L.LSTM(i(3), implementation=i(1))(K.ones((1, 4, 2))).shape == (1, 3)
    assert L.ConvLSTM2D(i(2), i(3))(K.ones((1, 2, 4, 4, 1))).shape == (1, 2, 2, 2)
    assert L.SeparableConv1D(i(2), i(3), depth_multiplier=i(2))(K.ones((1, 5, 2))).shape == (1, 3, 2)
    assert L.Dropout(np.float32(0.5)).rate == 0.5
    assert L.Dot(axes=i(1))([K.ones((2, 3)), K.ones((2, 3))]).shape == (2, 1)
    assert L.Concatenate(axis=i(1))([K.ones((2, 3)), K.ones((2, 1))]).shape == (2, 4)
    assert L.PReLU(shared_axes=i(1)).shared_axes == [1]
    for layer in (dense, conv, L.Embedding(i(5), i(2), input_length=i(3)), L.Reshape((i(2), -1))):
        json.dumps(layer.get_config())  # plain ints: the config serializes


def test_edge_values_that_stay_valid(backend_name):
    # zero padding / cropping and the ends of a dropout rate are allowed, as in Keras 2
    assert L.ZeroPadding2D(0)(K.ones((1, 2, 2, 1))).shape == (1, 2, 2, 1)
    assert L.Cropping1D(0)(K.ones((1, 3, 2))).shape == (1, 3, 2)
    x = K.ones((2, 3))
    np.testing.assert_array_equal(L.Dropout(0.0)(x, training=True).numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(L.Dropout(1)(x, training=True).numpy(), np.ones((2, 3)))  # Keras 2: no-op at 1
    assert L.DepthwiseConv2D(2).filters is None  # the channel count comes from the input
    assert L.Reshape((-1,))(K.ones((2, 3, 2))).shape == (2, 6)


def test_shared_checks():
    assert check_int(np.int16(4), "n") == 4 and check_int(-3, "axis", minimum=None) == -3
    assert int_tuple(np.array([1, 2]), 2, "strides") == (1, 2)
    assert int_tuple((0, 0), 2, "padding", minimum=0) == (0, 0)
    assert check_number(np.float32(0.25), "rate", minimum=0, maximum=1) == 0.25
    assert check_axis_list(np.array([1, 2]), "shared_axes", minimum=1) == [1, 2]
    for bad in (float("nan"), float("inf"), True, None):
        with pytest.raises(ValueError, match=re.escape(f"Received: x={bad!r}")):
            check_number(bad, "x")
    for bad in ("ab", (1,), (1, 2, 3), (1, None), [[1, 2]], np.bool_(True)):
        with pytest.raises(ValueError, match="Received: size="):
            int_tuple(bad, 2, "size")
