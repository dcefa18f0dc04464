"""Keras 1 call signatures that Keras 2 still read (keras/legacy/interfaces.py): each one
builds the layer its Keras 2 spelling builds, warns once naming the layer and the Keras 2
call, and conflicting or ambiguous spellings raise as in Keras 2."""
import re
import warnings

import numpy as np
import pytest

from multinn import Input, Model
from multinn import backend as K
from multinn import constraints, initializers, layers, regularizers
from multinn.callbacks import Callback
from multinn.models import Sequential
from multinn.utils import Sequence, set_random_seed

L = layers

# (Keras 1 spelling, Keras 2 spelling, the Keras 1 keywords the warning lists)
CASES = {
    "dense": (lambda: L.Dense(output_dim=6, init="uniform", W_regularizer=regularizers.l2(0.01),
                              b_regularizer=regularizers.L1L2(l1=0.1), W_constraint=constraints.MaxNorm(2),
                              b_constraint="non_neg", bias=False, activation="relu"),
              lambda: L.Dense(units=6, kernel_initializer="uniform", kernel_regularizer=regularizers.l2(0.01),
                              bias_regularizer=regularizers.L1L2(l1=0.1), kernel_constraint=constraints.MaxNorm(2),
                              bias_constraint="non_neg", use_bias=False, activation="relu"),
              ["output_dim", "init", "W_regularizer", "b_regularizer", "W_constraint", "b_constraint", "bias"]),
    "dense_positional_units": (lambda: L.Dense(4, init="he_normal"), lambda: L.Dense(4, kernel_initializer="he_normal"),
                               ["init"]),
    "dropout": (lambda: L.Dropout(p=0.3), lambda: L.Dropout(0.3), ["p"]),
    "gaussian_noise": (lambda: L.GaussianNoise(sigma=0.2), lambda: L.GaussianNoise(0.2), ["sigma"]),
    "gaussian_dropout": (lambda: L.GaussianDropout(p=0.2), lambda: L.GaussianDropout(0.2), ["p"]),
    "conv2d_positional_kernel": (lambda: L.Conv2D(32, 3, 3, border_mode="same", init="he_normal"),
                                 lambda: L.Conv2D(32, (3, 3), padding="same", kernel_initializer="he_normal"),
                                 ["nb_row/nb_col", "border_mode", "init"]),
    "convolution2d_keywords": (lambda: L.Convolution2D(nb_filter=8, nb_row=3, nb_col=5, subsample=(2, 2),
                                                       dim_ordering="th", W_regularizer=regularizers.l2(),
                                                       b_constraint=constraints.NonNeg(), bias=True),
                               lambda: L.Conv2D(filters=8, kernel_size=(3, 5), strides=(2, 2),
                                                data_format="channels_first", kernel_regularizer=regularizers.l2(),
                                                bias_constraint=constraints.NonNeg(), use_bias=True),
                               ["nb_filter", "nb_row/nb_col", "subsample", "dim_ordering", "W_regularizer"]),
    "conv2d_nb_col_keyword": (lambda: L.Conv2D(8, 3, nb_col=2), lambda: L.Conv2D(8, (3, 2)), ["nb_row/nb_col"]),
    "conv2d_nb_row_nb_col": (lambda: L.Conv2D(8, nb_row=3, nb_col=2, dim_ordering="tf"),
                             lambda: L.Conv2D(8, (3, 2), data_format="channels_last"), ["nb_row/nb_col"]),
    "conv2d_dim_ordering_default": (lambda: L.Conv2D(4, (2, 2), dim_ordering="default"), lambda: L.Conv2D(4, 2),
                                    ["dim_ordering"]),
    "conv1d": (lambda: L.Convolution1D(nb_filter=4, filter_length=3, subsample_length=2, border_mode="same",
                                       input_dim=5, input_length=10, W_constraint="unit_norm"),
               lambda: L.Conv1D(4, 3, strides=2, padding="same", input_shape=(10, 5), kernel_constraint="unit_norm"),
               ["nb_filter", "filter_length", "subsample_length", "border_mode", "input_dim", "input_length"]),
    "conv3d_positional_kernel": (lambda: L.Conv3D(4, 2, 3, 1, border_mode="same"),
                                 lambda: L.Conv3D(4, (2, 3, 1), padding="same"), ["kernel_dim1/2/3", "border_mode"]),
    "conv3d_kernel_dim3": (lambda: L.Conv3D(4, 2, 2, kernel_dim3=3), lambda: L.Conv3D(4, (2, 2, 3)),
                           ["kernel_dim1/2/3"]),
    "convolution3d_keywords": (lambda: L.Convolution3D(nb_filter=4, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3,
                                                       dim_ordering="th", subsample=(1, 2, 1)),
                               lambda: L.Conv3D(4, (1, 2, 3), data_format="channels_first", strides=(1, 2, 1)),
                               ["nb_filter", "kernel_dim1/2/3", "dim_ordering", "subsample"]),
    "deconvolution2d_output_shape": (lambda: L.Deconvolution2D(8, 3, 3, (None, 14, 14, 8), subsample=(2, 2),
                                                               border_mode="same"),
                                     lambda: L.Conv2DTranspose(8, (3, 3), strides=(2, 2), padding="same"),
                                     ["output_shape", "nb_row/nb_col", "subsample", "border_mode"]),
    "conv2d_transpose_output_shape_keyword": (lambda: L.Conv2DTranspose(8, 3, 3, output_shape=(None, 9, 9, 8),
                                                                        init="he_uniform"),
                                              lambda: L.Conv2DTranspose(8, (3, 3), kernel_initializer="he_uniform"),
                                              ["output_shape", "nb_row/nb_col", "init"]),
    "separable_conv2d": (lambda: L.SeparableConv2D(8, 3, 3, init="he_normal", border_mode="same",
                                                   b_regularizer=regularizers.l1(0.1), depth_multiplier=2),
                         lambda: L.SeparableConv2D(8, (3, 3), depthwise_initializer="he_normal",
                                                   pointwise_initializer="he_normal", padding="same",
                                                   bias_regularizer=regularizers.l1(0.1), depth_multiplier=2),
                         ["init", "nb_row/nb_col", "border_mode", "b_regularizer"]),
    "max_pooling2d": (lambda: L.MaxPooling2D(pool_size=(2, 2), border_mode="valid", dim_ordering="tf"),
                      lambda: L.MaxPooling2D(pool_size=(2, 2), padding="valid", data_format="channels_last"),
                      ["border_mode", "dim_ordering"]),
    "average_pooling2d": (lambda: L.AveragePooling2D((3, 3), (1, 1), border_mode="same", dim_ordering="th"),
                          lambda: L.AveragePooling2D((3, 3), (1, 1), padding="same", data_format="channels_first"),
                          ["border_mode", "dim_ordering"]),
    "max_pooling3d": (lambda: L.MaxPooling3D(border_mode="same", dim_ordering="th"),
                      lambda: L.MaxPooling3D(padding="same", data_format="channels_first"),
                      ["border_mode", "dim_ordering"]),
    "max_pooling1d": (lambda: L.MaxPooling1D(pool_length=3, stride=1, border_mode="same"),
                      lambda: L.MaxPooling1D(pool_size=3, strides=1, padding="same"),
                      ["pool_length", "stride", "border_mode"]),
    "average_pooling1d": (lambda: L.AveragePooling1D(pool_length=2), lambda: L.AveragePooling1D(2), ["pool_length"]),
    "global_average_pooling2d": (lambda: L.GlobalAveragePooling2D(dim_ordering="th"),
                                 lambda: L.GlobalAveragePooling2D(data_format="channels_first"), ["dim_ordering"]),
    "global_max_pooling3d": (lambda: L.GlobalMaxPooling3D(dim_ordering="default"), lambda: L.GlobalMaxPooling3D(),
                             ["dim_ordering"]),
    "embedding": (lambda: L.Embedding(100, 8, init="normal", W_regularizer=regularizers.l2(), input_length=5,
                                      W_constraint="unit_norm", mask_zero=True),
                  lambda: L.Embedding(100, 8, embeddings_initializer="normal", embeddings_regularizer=regularizers.l2(),
                                      input_length=5, embeddings_constraint="unit_norm", mask_zero=True),
                  ["init", "W_regularizer", "W_constraint"]),
    "embedding_dropout": (lambda: L.Embedding(100, 8, dropout=0.2), lambda: L.Embedding(100, 8), ["dropout"]),
    "batch_normalization": (lambda: L.BatchNormalization(mode=0, beta_init="zeros", gamma_init="ones", epsilon=1e-5),
                            lambda: L.BatchNormalization(beta_initializer="zeros", gamma_initializer="ones",
                                                         epsilon=1e-5),
                            ["mode", "beta_init", "gamma_init"]),
    "lstm": (lambda: L.LSTM(output_dim=8, init="uniform", inner_init="orthogonal", inner_activation="hard_sigmoid",
                            W_regularizer=regularizers.l2(), U_regularizer=regularizers.l1(),
                            b_regularizer=regularizers.l1_l2(), dropout_W=0.1, dropout_U=0.2, forget_bias_init="one",
                            consume_less="mem", return_sequences=True),
             lambda: L.LSTM(units=8, kernel_initializer="uniform", recurrent_initializer="orthogonal",
                            recurrent_activation="hard_sigmoid", kernel_regularizer=regularizers.l2(),
                            recurrent_regularizer=regularizers.l1(), bias_regularizer=regularizers.l1_l2(),
                            dropout=0.1, recurrent_dropout=0.2, unit_forget_bias=True, implementation=1,
                            return_sequences=True),
             ["output_dim", "init", "inner_init", "inner_activation", "W_regularizer", "U_regularizer",
              "b_regularizer", "dropout_W", "dropout_U", "forget_bias_init", "consume_less"]),
    "gru_consume_less_cpu": (lambda: L.GRU(output_dim=4, consume_less="cpu"), lambda: L.GRU(4, implementation=0),
                             ["output_dim", "consume_less"]),
    "gru_input_dim": (lambda: L.GRU(4, input_dim=3, input_length=6, consume_less="gpu"),
                      lambda: L.GRU(4, input_shape=(6, 3), implementation=2),
                      ["input_dim", "input_length", "consume_less"]),
    "simple_rnn": (lambda: L.SimpleRNN(output_dim=4, init="uniform", consume_less="gpu", input_dim=3),
                   lambda: L.SimpleRNN(4, kernel_initializer="uniform", input_shape=(None, 3)),
                   ["output_dim", "init", "consume_less", "input_dim"]),
    "lstm_forget_bias_init_other": (lambda: L.LSTM(4, forget_bias_init="zero"), lambda: L.LSTM(4),
                                    ["forget_bias_init"]),
    "spatial_dropout1d": (lambda: L.SpatialDropout1D(p=0.2, seed=3), lambda: L.SpatialDropout1D(0.2, seed=3), ["p"]),
    "spatial_dropout2d": (lambda: L.SpatialDropout2D(p=0.3, dim_ordering="th"),
                          lambda: L.SpatialDropout2D(0.3, data_format="channels_first"), ["p", "dim_ordering"]),
    "spatial_dropout3d": (lambda: L.SpatialDropout3D(p=0.1, dim_ordering="default"), lambda: L.SpatialDropout3D(0.1),
                          ["p", "dim_ordering"]),
    "upsampling1d": (lambda: L.UpSampling1D(length=3), lambda: L.UpSampling1D(size=3), ["length"]),
    "upsampling2d": (lambda: L.UpSampling2D(size=(2, 3), dim_ordering="th"),
                     lambda: L.UpSampling2D(size=(2, 3), data_format="channels_first"), ["dim_ordering"]),
    "upsampling3d": (lambda: L.UpSampling3D(dim_ordering="tf"), lambda: L.UpSampling3D(data_format="channels_last"),
                     ["dim_ordering"]),
    "zero_padding2d_dict": (lambda: L.ZeroPadding2D(padding={"top_pad": 1, "bottom_pad": 2, "left_pad": 3,
                                                             "right_pad": 4}, dim_ordering="th"),
                            lambda: L.ZeroPadding2D(padding=((1, 2), (3, 4)), data_format="channels_first"),
                            ["padding", "dim_ordering"]),
    "zero_padding2d_positional_partial_dict": (lambda: L.ZeroPadding2D({"top_pad": 1, "left_pad": 2}),
                                               lambda: L.ZeroPadding2D(((1, 0), (2, 0))), ["padding"]),
    "zero_padding2d_dim_ordering": (lambda: L.ZeroPadding2D((1, 2), dim_ordering="th"),
                                    lambda: L.ZeroPadding2D((1, 2), data_format="channels_first"), ["dim_ordering"]),
    "zero_padding3d": (lambda: L.ZeroPadding3D((1, 2, 1), dim_ordering="th"),
                       lambda: L.ZeroPadding3D((1, 2, 1), data_format="channels_first"), ["dim_ordering"]),
    "cropping2d": (lambda: L.Cropping2D(cropping=((1, 1), (2, 0)), dim_ordering="th"),
                   lambda: L.Cropping2D(cropping=((1, 1), (2, 0)), data_format="channels_first"), ["dim_ordering"]),
    "cropping3d": (lambda: L.Cropping3D(dim_ordering="tf"), lambda: L.Cropping3D(data_format="channels_last"),
                   ["dim_ordering"]),
    "prelu": (lambda: L.PReLU(init="one", shared_axes=[1, 2]),
              lambda: L.PReLU(alpha_initializer="one", shared_axes=[1, 2]), ["init"]),
    "locally_connected1d": (lambda: L.LocallyConnected1D(nb_filter=4, filter_length=3, subsample_length=2,
                                                         init="ones", W_regularizer=regularizers.l2(0.1), bias=False,
                                                         input_dim=5, input_length=10),
                            lambda: L.LocallyConnected1D(4, 3, strides=2, kernel_initializer="ones",
                                                         kernel_regularizer=regularizers.l2(0.1), use_bias=False,
                                                         input_shape=(10, 5)),
                            ["nb_filter", "filter_length", "subsample_length", "init", "W_regularizer", "bias",
                             "input_dim", "input_length"]),
    "locally_connected2d": (lambda: L.LocallyConnected2D(8, 3, 2, subsample=(2, 2), dim_ordering="th",
                                                         border_mode="valid", W_constraint=constraints.MaxNorm(2),
                                                         b_regularizer=regularizers.l1(0.1), activation="relu"),
                            lambda: L.LocallyConnected2D(8, (3, 2), strides=(2, 2), data_format="channels_first",
                                                         padding="valid", kernel_constraint=constraints.MaxNorm(2),
                                                         bias_regularizer=regularizers.l1(0.1), activation="relu"),
                            ["nb_row/nb_col", "subsample", "dim_ordering", "border_mode", "W_constraint",
                             "b_regularizer"]),
    "locally_connected2d_keywords": (lambda: L.LocallyConnected2D(nb_filter=2, nb_row=2, nb_col=3, implementation=2),
                                     lambda: L.LocallyConnected2D(2, (2, 3), implementation=2),
                                     ["nb_filter", "nb_row/nb_col"]),
    "input_layer": (lambda: L.InputLayer(input_shape=(3,), input_dtype="int32"),
                    lambda: L.InputLayer(input_shape=(3,), dtype="int32"), ["input_dtype"]),
}


def _config(layer):
    config = dict(layer.get_config())
    config.pop("name")
    return config


def _build_warning(factory):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = factory()
    return layer, caught


def _eval_namespace():
    names = {name: getattr(L, name) for name in dir(L) if not name.startswith("_")}
    for module in (regularizers, constraints):
        names.update({name: getattr(module, name) for name in dir(module) if name[:1].isupper()})
    return names


@pytest.mark.parametrize("case", sorted(CASES))
def test_keras1_spelling_builds_the_keras2_layer_and_warns_once(case):
    old, new, keywords = CASES[case]
    layer, caught = _build_warning(old)
    expected = new()
    assert type(layer) is type(expected)
    assert _config(layer) == _config(expected)

    assert len(caught) == 1
    warning = caught[0]
    assert warning.category is UserWarning
    assert warning.filename == __file__  # points at the user's line, not inside multinn
    message = str(warning.message)
    assert message.startswith(f"{type(expected).__name__} was called with Keras 1 arguments")
    for keyword in keywords:
        assert f"`{keyword}`" in message

    # The call the warning suggests is valid Keras 2 and builds the same layer, silently.
    suggested = re.search(r"the call reads `(.*?)`\.", message).group(1)
    assert suggested.startswith(type(expected).__name__ + "(")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rebuilt = eval(suggested, _eval_namespace())  # noqa: S307 - our own message, in a test
    assert _config(rebuilt) == _config(expected)


def test_conv2d_with_two_integer_positionals_reads_them_as_the_kernel_size():
    # Keras 2 reads Conv2D(32, 3, 3) as Keras 1's (nb_filter, nb_row, nb_col), not strides=3.
    with pytest.warns(UserWarning, match=re.escape("`Conv2D(32, (3, 3))`")):
        layer = L.Conv2D(32, 3, 3)
    assert layer.kernel_size == (3, 3) and layer.strides == (1, 1)
    with pytest.warns(UserWarning, match="nb_row/nb_col"):
        assert L.Convolution2D(16, 5, 3).kernel_size == (5, 3)
    with pytest.warns(UserWarning, match="nb_row/nb_col"):  # NumPy integers read as integers too
        assert L.Conv2D(16, np.int64(2), np.int32(4)).kernel_size == (2, 4)


def test_exact_messages():
    _, caught = _build_warning(lambda: L.Dense(output_dim=64, init="uniform", W_regularizer=regularizers.l2(0.01)))
    assert str(caught[0].message) == (
        "Dense was called with Keras 1 arguments (`output_dim`, `init`, `W_regularizer`); in the Keras 2 API the call "
        "reads `Dense(units=64, kernel_initializer='uniform', kernel_regularizer=L1L2(l1=0.0, l2=0.01))`."
    )
    _, caught = _build_warning(lambda: L.Convolution2D(32, 3, 3, border_mode="same", init="he_normal"))
    assert str(caught[0].message) == (
        "Conv2D was called with Keras 1 arguments (`nb_row/nb_col`, `border_mode`, `init`); in the Keras 2 API the "
        "call reads `Conv2D(32, (3, 3), padding='same', kernel_initializer='he_normal')`."
    )


@pytest.mark.parametrize("note_case, note", [
    ("embedding_dropout", "SpatialDropout1D"),
    ("deconvolution2d_output_shape", "`output_shape` was ignored"),
    ("batch_normalization", "`mode=0`"),
    ("simple_rnn", "`consume_less` was dropped"),
    ("lstm_forget_bias_init_other", "`forget_bias_init='zero'` was ignored"),
])
def test_dropped_arguments_are_explained_in_the_same_warning(note_case, note):
    _, caught = _build_warning(CASES[note_case][0])
    assert len(caught) == 1 and note in str(caught[0].message)


@pytest.mark.parametrize("factory", [
    lambda: L.Dense(3, activation="relu", kernel_initializer="uniform", input_dim=4),
    lambda: L.Dropout(0.5, noise_shape=(None, 1), seed=3),
    lambda: L.Conv2D(8, (3, 3), (2, 2), "same"),
    lambda: L.Conv2D(8, 3, strides=2, padding="same"),
    lambda: L.Conv2D(8, 3, (2, 1)),
    lambda: L.Conv3D(4, 2, strides=2),
    lambda: L.Conv1D(4, 3, 2),
    lambda: L.Conv2DTranspose(4, 3, strides=2),
    lambda: L.SeparableConv2D(4, (3, 3), depthwise_initializer="he_normal"),
    lambda: L.MaxPooling2D((2, 2), (1, 1), "same", "channels_first"),
    lambda: L.MaxPooling1D(2, 1, "valid"),
    lambda: L.GlobalMaxPooling2D("channels_first"),
    lambda: L.Embedding(10, 3, embeddings_initializer="normal"),
    lambda: L.BatchNormalization(axis=1, momentum=0.9),
    lambda: L.LSTM(4, dropout=0.1, implementation=1, input_shape=(5, 3)),
    lambda: L.GaussianNoise(0.1),
    lambda: L.SpatialDropout1D(0.2, 3),
    lambda: L.SpatialDropout2D(0.2, "channels_first"),
    lambda: L.UpSampling1D(3),
    lambda: L.UpSampling2D((2, 2), "channels_first", "bilinear"),
    lambda: L.ZeroPadding2D(((1, 0), (2, 1)), "channels_first"),
    lambda: L.ZeroPadding3D(2, data_format="channels_last"),
    lambda: L.Cropping2D(1, "channels_last"),
    lambda: L.PReLU("zeros", "l2", None, [1]),  # Keras 2's positional alpha_regularizer is not Keras 1's weights
    lambda: L.Lambda(lambda t: t, (3,)),
    lambda: L.Lambda(lambda t: t, output_shape=(3,), mask=None, arguments={}),
    lambda: L.LocallyConnected1D(4, 3, 2, implementation=3),
    lambda: L.LocallyConnected2D(4, (3, 3), (2, 2), "valid", "channels_first"),
    lambda: L.InputLayer(input_shape=(2,), dtype="int32"),
])
def test_keras2_spellings_pass_silently(factory):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        factory()


def test_aliases():
    assert L.Convolution1D is L.Conv1D and L.Convolution2D is L.Conv2D and L.Convolution3D is L.Conv3D
    assert L.Deconvolution2D is L.Deconv2D is L.Conv2DTranspose
    assert L.Deconvolution3D is L.Deconv3D is L.Conv3DTranspose
    assert L.SeparableConvolution2D is L.SeparableConv2D


@pytest.mark.parametrize("factory, cls, config", [
    (lambda: L.AtrousConvolution2D(8, 3, 3, atrous_rate=(2, 2), border_mode="same"), L.Conv2D,
     lambda: L.Conv2D(8, (3, 3), dilation_rate=(2, 2), padding="same")),
    (lambda: L.AtrousConvolution1D(4, 3, atrous_rate=2, border_mode="same", init="he_normal"), L.Conv1D,
     lambda: L.Conv1D(4, 3, dilation_rate=2, padding="same", kernel_initializer="he_normal")),
    (lambda: L.AtrousConvolution2D(8, (3, 3), dilation_rate=2), L.Conv2D, lambda: L.Conv2D(8, 3, dilation_rate=2)),
])
def test_atrous_convolutions_are_dilated_convolutions(factory, cls, config):
    layer, caught = _build_warning(factory)
    assert type(layer) is cls and _config(layer) == _config(config())
    assert len(caught) == 1 and caught[0].filename == __file__
    message = str(caught[0].message)
    assert message.startswith("Atrous") and f"the call reads `{cls.__name__}(" in message


@pytest.mark.parametrize("factory, error, match", [
    # a Keras 1 keyword and the Keras 2 argument it stands for
    (lambda: L.Dense(64, output_dim=32), TypeError, r"`output_dim` and the Keras 2 argument `units`.*units=64"),
    (lambda: L.Dense(units=64, output_dim=32), TypeError, r"pass only `units`"),
    (lambda: L.Dense(4, init="uniform", kernel_initializer="zeros"), TypeError, "kernel_initializer"),
    (lambda: L.Dropout(0.5, p=0.5), TypeError, r"`p` and the Keras 2 argument `rate`"),
    (lambda: L.Conv2D(8, (3, 3), border_mode="same", padding="valid"), TypeError, r"`border_mode`.*`padding`"),
    (lambda: L.Conv2D(8, nb_row=3, nb_col=3, kernel_size=3), TypeError, r"`kernel_size`"),
    (lambda: L.Conv2D(8, 3, nb_col=3, kernel_size=3), TypeError, r"`kernel_size`"),
    (lambda: L.Conv1D(4, 3, input_dim=5, input_shape=(10, 5)), TypeError, r"`input_shape`"),
    (lambda: L.SeparableConv2D(8, 3, init="he_normal", pointwise_initializer="zeros"), TypeError,
     r"`init`.*`pointwise_initializer`"),
    (lambda: L.MaxPooling2D(border_mode="same", padding="same"), TypeError, r"`padding`"),
    (lambda: L.LSTM(8, output_dim=4), TypeError, r"`units`"),
    (lambda: L.LSTM(8, dropout_W=0.1, dropout=0.2), TypeError, r"`dropout_W`.*`dropout`"),
    (lambda: L.Embedding(10, 3, init="uniform", embeddings_initializer="normal"), TypeError,
     "embeddings_initializer"),
    # Keras 2's ambiguous positional forms
    (lambda: L.Conv2D(8, 3, 3, padding="same"), ValueError, r"ambiguous.*Conv2D\(8, \(3, 3\), \.\.\.\)"),
    (lambda: L.Conv2D(8, 3, 3, "he_normal"), TypeError, r"Keras 1 call.*by keyword"),
    (lambda: L.Conv3D(8, 3, 3), TypeError, r"ambiguous.*strides=3"),
    (lambda: L.Conv3D(8, 3, 3, 3, "same"), TypeError, r"by keyword"),
    # BatchNormalization: keywords only (Keras 1 and 2 order their arguments differently); modes 1 and 2 are gone
    (lambda: L.BatchNormalization(1e-5), TypeError, r"keyword arguments only.*1e-05"),
    (lambda: L.BatchNormalization(mode=2), TypeError, r"mode=2"),
    # the layers added later
    (lambda: L.SpatialDropout1D(0.5, p=0.5), TypeError, r"`p` and the Keras 2 argument `rate`"),
    (lambda: L.SpatialDropout2D(p=0.5, dim_ordering="th", data_format="channels_last"), TypeError,
     r"`dim_ordering`.*`data_format`"),
    (lambda: L.UpSampling1D(2, length=3), TypeError, r"`length`.*`size`.*size=2"),
    (lambda: L.ZeroPadding2D(padding={"top_pad": 1}, dim_ordering="th", data_format="channels_first"), TypeError,
     r"`data_format`"),
    (lambda: L.Cropping3D(dim_ordering="th", data_format="channels_first"), TypeError, r"`dim_ordering`"),
    (lambda: L.PReLU(init="one", alpha_initializer="zeros"), TypeError, r"`init`.*`alpha_initializer`"),
    (lambda: L.PReLU("zero", [np.zeros(3)], alpha_initializer="ones"), TypeError, r"sets `init` twice"),
    (lambda: L.PReLU("zero", [np.zeros(3)], None, shared_axes=[1]), TypeError, r"sets `shared_axes` twice"),
    (lambda: L.LocallyConnected2D(8, 3, 3, padding="valid"), ValueError, r"ambiguous"),
    (lambda: L.LocallyConnected2D(8, (3, 3), nb_filter=4), TypeError, r"`nb_filter`.*`filters`"),
    (lambda: L.LocallyConnected1D(4, 3, input_dim=5, input_shape=(10, 5)), TypeError, r"`input_shape`"),
    (lambda: L.InputLayer(input_shape=(3,), input_dtype="int32", dtype="float32"), TypeError,
     r"`input_dtype`.*`dtype`"),
    # Lambda: Keras 1's third positional was `arguments`, Keras 2's is `mask` (Keras 2 refuses a third)
    (lambda: L.Lambda(lambda t: t, None, {"k": 1}), TypeError, r"at most 2 positional arguments.*`mask`"),
])
def test_conflicts_and_ambiguities_raise(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


@pytest.mark.parametrize("factory, match", [
    (lambda: L.Dense(4, nb_filter=3), r"Dense.__init__\(\) got an unexpected keyword argument 'nb_filter'"),
    (lambda: L.Dense(4, initt="uniform"), r"unexpected keyword argument 'initt'\. Did you mean"),
    (lambda: L.Conv2D(8, 3, nb_row=3), r"unexpected keyword argument 'nb_row'"),  # nb_row without nb_col
    (lambda: L.MaxPooling2D(pool_length=2), r"unexpected keyword argument 'pool_length'"),  # 1-D only
    (lambda: L.SimpleRNN(4, inner_activation="sigmoid"), r"recurrent_activation"),  # not a SimpleRNN argument
])
def test_unknown_keywords_still_raise_the_clear_type_error(factory, match):
    with pytest.raises(TypeError, match=match):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            factory()


def test_recurrent_layers_convert_once():
    _, caught = _build_warning(lambda: L.LSTM(output_dim=2))
    assert len(caught) == 1


def _cnn(old):
    set_random_seed(3)
    if old:
        stack = [L.Convolution2D(4, 3, 3, border_mode="same", init="he_normal", input_shape=(6, 6, 1)),
                 L.BatchNormalization(mode=0, gamma_init="ones"), L.Activation("relu"),
                 L.MaxPooling2D(pool_size=(2, 2), border_mode="valid", dim_ordering="tf"), L.Flatten(),
                 L.Dropout(p=0.25), L.Dense(output_dim=3, init="uniform", W_regularizer=regularizers.l2(0.01)),
                 L.Activation("softmax")]
    else:
        stack = [L.Conv2D(4, (3, 3), padding="same", kernel_initializer="he_normal", input_shape=(6, 6, 1)),
                 L.BatchNormalization(gamma_initializer="ones"), L.Activation("relu"),
                 L.MaxPooling2D(pool_size=(2, 2), padding="valid", data_format="channels_last"), L.Flatten(),
                 L.Dropout(rate=0.25), L.Dense(units=3, kernel_initializer="uniform",
                                               kernel_regularizer=regularizers.l2(0.01)),
                 L.Activation("softmax")]
    model = Sequential(stack)
    model.compile("adam", "categorical_crossentropy")
    return model


def _rnn(old):
    set_random_seed(5)
    if old:
        stack = [L.Embedding(12, 4, init="uniform", input_length=5),
                 L.LSTM(output_dim=6, inner_init="orthogonal", dropout_W=0.1, forget_bias_init="one"),
                 L.Dense(output_dim=1, init="uniform", activation="sigmoid")]
    else:
        stack = [L.Embedding(12, 4, embeddings_initializer="uniform", input_length=5),
                 L.LSTM(units=6, recurrent_initializer="orthogonal", dropout=0.1, unit_forget_bias=True),
                 L.Dense(units=1, kernel_initializer="uniform", activation="sigmoid")]
    model = Sequential(stack)
    model.compile("adam", "binary_crossentropy")
    return model


@pytest.mark.parametrize("build, data", [
    (_cnn, lambda rng: (rng.normal(size=(24, 6, 6, 1)).astype("float32"),
                        np.eye(3, dtype="float32")[np.arange(24) % 3])),
    (_rnn, lambda rng: (rng.integers(0, 12, size=(24, 5)), (np.arange(24) % 2).astype("float32")[:, None])),
])
def test_a_model_written_with_keras1_spellings_trains_like_its_keras2_twin(backend_name, build, data):
    x, y = data(np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = build(old=True)
    new = build(old=False)
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)  # same seed, same layers: same initial weights

    before = old.evaluate(x, y, verbose=0)
    set_random_seed(11)
    old.fit(x, y, epochs=8, batch_size=8, verbose=0, shuffle=False)
    set_random_seed(11)
    new.fit(x, y, epochs=8, batch_size=8, verbose=0, shuffle=False)
    assert old.evaluate(x, y, verbose=0) < before
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_zero_padding2d_dict_pads_as_keras1_did(backend_name):
    with pytest.warns(UserWarning, match="not a dict"):
        layer = L.ZeroPadding2D(padding={"top_pad": 1, "right_pad": 2})
    out = layer(K.ones((1, 2, 2, 1))).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]])


def test_prelu_reads_keras1_positional_weights(backend_name):
    alpha = np.array([[0.5, 0.25, 2.0]], dtype="float32")
    layer, caught = _build_warning(lambda: L.PReLU("zero", [alpha], [1]))
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "`weights`" in str(caught[0].message) and "shared_axes=[1]" in str(caught[0].message)
    assert layer.shared_axes == [1]
    x = -np.ones((2, 4, 3), dtype="float32")
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), x * alpha)


# ------------------------------------------------------------------ LocallyConnected `implementation`
@pytest.mark.parametrize("cls, shape, kwargs", [
    (L.LocallyConnected1D, (3, 7, 2), {"filters": 4, "kernel_size": 3, "strides": 2}),
    (L.LocallyConnected2D, (2, 5, 6, 3), {"filters": 2, "kernel_size": (2, 3), "strides": (1, 2)}),
    (L.LocallyConnected2D, (2, 3, 5, 4), {"filters": 3, "kernel_size": 2, "data_format": "channels_first"}),
])
def test_locally_connected_implementations_compute_the_same_function(backend_name, cls, shape, kwargs):
    x = K.constant(np.random.default_rng(1).normal(size=shape).astype("float32"))
    outputs = []
    for implementation in (1, 2, 3):
        layer = cls(**kwargs, implementation=implementation, activation="tanh",
                    kernel_initializer=initializers.RandomNormal(seed=4),
                    bias_initializer=initializers.RandomNormal(seed=5))
        outputs.append(layer(x).numpy())
        config = layer.get_config()
        assert config["implementation"] == implementation
        assert cls.from_config(config).implementation == implementation
    assert cls(**kwargs).implementation == 1  # Keras 2's default
    assert np.abs(outputs[0]).sum() > 0
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])


@pytest.mark.parametrize("implementation", [0, 4, True, "2", None])
def test_locally_connected_rejects_other_implementations(implementation):
    for cls in (L.LocallyConnected1D, L.LocallyConnected2D):
        with pytest.raises(ValueError, match=re.escape(f"Received: implementation={implementation!r}")):
            cls(2, 2, implementation=implementation)


# ------------------------------------------------------------------ models: constructor, fit, generator methods
def _legacy_warnings(caught):
    return [w for w in caught if issubclass(w.category, UserWarning) and "Keras 1 arguments" in str(w.message)]


def _config_without_name(model):
    config = model.get_config()
    config.pop("name")
    return config


def test_model_reads_keras1_input_and_output(backend_name):
    x = Input(shape=(3,))
    y = L.Dense(2, kernel_initializer="ones")(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = Model(input=x, output=y)
    (warning,) = _legacy_warnings(caught)
    assert warning.filename == __file__
    assert str(warning.message).startswith("Model was called with Keras 1 arguments (`input`, `output`)")
    assert "`Model(inputs=<tensor from " in str(warning.message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = Model(inputs=x, outputs=y)
        positional = Model(x, y)
    assert _config_without_name(old) == _config_without_name(new) == _config_without_name(positional)
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(old.predict(data), new.predict(data))
    with pytest.warns(UserWarning, match="`output`"):
        assert Model(x, output=y).output_shape == (None, 2)


@pytest.mark.parametrize("factory, match", [
    (lambda x, y: Model(x, y, output=y),
     r"Model received both the Keras 1 argument `output` and the Keras 2 argument `outputs`"),
    (lambda x, y: Model(input=x, inputs=x, outputs=y), r"`input`.*`inputs`"),
])
def test_model_constructor_conflicts_raise(factory, match):
    x = Input(shape=(3,))
    y = L.Dense(2)(x)
    with pytest.raises(TypeError, match=match):
        factory(x, y)


def _tiny_model(seed=3):
    set_random_seed(seed)
    model = Sequential([L.Dense(2, activation="tanh", input_shape=(3,)), L.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(12, 1)).astype("float32")


def test_fit_reads_nb_epoch_with_one_warning(backend_name):
    x, y = _data()
    old, new = _tiny_model(), _tiny_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = old.fit(x, y, batch_size=4, nb_epoch=3, verbose=0, shuffle=False)
    (warning,) = _legacy_warnings(caught)
    assert warning.filename == __file__
    assert str(warning.message).startswith("Sequential.fit was called with Keras 1 arguments (`nb_epoch`)")
    assert "epochs=3" in str(warning.message)
    assert history.epoch == [0, 1, 2]
    new.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False)
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match=r"`nb_epoch` and the Keras 2 argument `epochs`.*epochs=2"):
        old.fit(x, y, 4, 2, nb_epoch=3, verbose=0)


class _Batches(Sequence):
    """Batches of `batch_size` rows; Keras 2 reads the batch size off such an object."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, i):
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


def _endless(x, y, batch_size, drawn):
    while True:
        for i in range(0, len(x), batch_size):
            drawn.append(i)
            yield x[i: i + batch_size], y[i: i + batch_size]


class _CountBatches(Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_batch_end(self, batch, logs=None):
        self.batches += 1


def test_fit_generator_converts_samples_per_epoch_by_the_generator_batch_size(backend_name):
    x, y = _data()
    old, new = _tiny_model(), _tiny_model()
    count = _CountBatches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = old.fit_generator(_Batches(x, y, 4), samples_per_epoch=8, nb_epoch=2, verbose=0,
                                    callbacks=[count], validation_data=_Batches(x, y, 4), nb_val_samples=1,
                                    nb_worker=1, pickle_safe=False, max_q_size=4, shuffle=False)
    (warning,) = _legacy_warnings(caught)
    message = str(warning.message)
    assert warning.filename == __file__
    assert message.startswith("Sequential.fit_generator was called with Keras 1 arguments (`samples_per_epoch`, "
                              "`nb_epoch`, `nb_val_samples`, `nb_worker`, `pickle_safe`, `max_q_size`)")
    assert "steps_per_epoch=2, epochs=2" in message and "validation_steps=1" in message
    assert "workers=1" in message and "use_multiprocessing=False" in message and "max_queue_size=4" in message
    assert "8 // 4 (the generator's batch_size) = 2" in message
    assert "`validation_steps` counts batches where `nb_val_samples` counted samples" in message
    assert count.batches == 4 and history.epoch == [0, 1] and "val_loss" in history.history

    new.fit_generator(_Batches(x, y, 4), steps_per_epoch=2, epochs=2, verbose=0, validation_data=_Batches(x, y, 4),
                      validation_steps=1, shuffle=False)
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.history["val_loss"] == new.history.history["val_loss"]


def test_fit_generator_without_batch_size_keeps_samples_per_epoch_as_steps(backend_name):
    x, y = _data()
    model, drawn = _tiny_model(), []
    with pytest.warns(UserWarning, match="has no `batch_size`, so `samples_per_epoch=3` was kept as 3 steps"):
        model.fit_generator(_endless(x, y, 4, drawn), samples_per_epoch=3, nb_epoch=1, verbose=0)
    assert len(drawn) == 3  # Keras 2 takes samples_per_epoch as the number of steps here
    with pytest.raises(TypeError, match=r"`samples_per_epoch` and the Keras 2 argument `steps_per_epoch`"):
        model.fit_generator(_endless(x, y, 4, drawn), 2, samples_per_epoch=8)


@pytest.mark.parametrize("method", ["evaluate_generator", "predict_generator"])
def test_evaluate_and_predict_generator_rename_val_samples_to_steps(backend_name, method):
    x, y = _data()
    model, drawn = _tiny_model(), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = getattr(model, method)(_endless(x, y, 4, drawn), val_samples=2, max_q_size=2)
    (warning,) = _legacy_warnings(caught)
    assert warning.filename == __file__
    assert f"`{method}(_endless, steps=2, max_queue_size=2)`" in str(warning.message)
    assert len(drawn) == 2  # renamed as it is, as in Keras 2: 2 batches, not 2 samples
    new = getattr(model, method)(_endless(x, y, 4, []), steps=2)
    np.testing.assert_array_equal(old, new)
    with pytest.raises(TypeError, match=r"`val_samples` and the Keras 2 argument `steps`"):
        getattr(model, method)(_endless(x, y, 4, []), 2, val_samples=2)
