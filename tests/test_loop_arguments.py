"""fit / evaluate / predict and their generator and batch versions check what they are given
(issue 11, items 2, 3 and 6): bad loop arguments, data that give no samples, data that are not
numbers, and NaN in the data each get an error or warning that names the argument."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import Dense, Input, concatenate
from multinn.models import Model, Sequential
from tests.no_hang import call_with_deadline


def _model(loss="mse", units=1):
    model = Sequential([Dense(units, input_shape=(2,), kernel_initializer="ones")])
    model.compile("sgd", loss)
    return model


def _data(n=10):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _batches(n=2):
    x, y = _data(4)
    while True:
        yield x, y


def _received(name, value):
    return re.escape(f"Received: {name}={value!r}") + "$"


# ------------------------------------------------------------------ item 2: no training samples
@pytest.mark.parametrize("case", ["empty x", "validation_split leaves none"])
def test_fit_with_steps_and_no_training_samples_raises_instead_of_hanging(backend_name, case):
    x, y = _data(10)
    kwargs = {"steps_per_epoch": 2, "epochs": 1, "verbose": 0}
    if case == "empty x":
        x, y = x[:0], y[:0]
        match = "fit\\(\\) got no samples to work on. Received: x with 0 samples"
    else:
        kwargs["validation_split"] = 0.99
        match = "leaves no samples to train on. Received: validation_split=0.99 of 10 samples"
    model = _model()
    with pytest.raises(ValueError, match=match):
        call_with_deadline(lambda: model.fit(x, y, **kwargs))


def test_fit_with_steps_and_a_negative_batch_size_raises_instead_of_hanging(backend_name):
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=_received("batch_size", -1)):
        call_with_deadline(lambda: model.fit(x, y, batch_size=-1, steps_per_epoch=2, verbose=0))


@pytest.mark.parametrize("method", ["evaluate", "predict"])
def test_evaluate_and_predict_refuse_empty_data(backend_name, method):
    x, y = _data(0)
    model = _model()
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(ValueError, match=f"{method}\\(\\) got no samples to work on. Received: x with 0 samples"):
        getattr(model, method)(*args, verbose=0)


def test_an_empty_sequence_without_steps_is_refused():
    from multinn.utils import Sequence

    class Empty(Sequence):
        def __len__(self):
            return 0

        def __getitem__(self, i):
            raise IndexError(i)

    model = _model()
    with pytest.raises(ValueError, match="holds no batches. Received: steps_per_epoch=None for a Empty of length 0"):
        call_with_deadline(lambda: model.fit_generator(Empty(), verbose=0))


# ------------------------------------------------------------------ item 3: loop arguments
FIT_CASES = [
    ("batch_size", 0, ValueError), ("batch_size", -1, ValueError), ("batch_size", 2.5, TypeError),
    ("batch_size", "32", TypeError), ("batch_size", True, TypeError),
    ("epochs", 2.5, TypeError), ("epochs", -1, ValueError), ("epochs", "3", TypeError),
    ("initial_epoch", -1, ValueError), ("initial_epoch", 0.5, TypeError),
    ("steps_per_epoch", 0, ValueError), ("steps_per_epoch", -3, ValueError), ("steps_per_epoch", 1.5, TypeError),
    ("validation_steps", 0, ValueError),
    ("validation_split", 1.0, ValueError), ("validation_split", 1.5, ValueError), ("validation_split", -0.1, ValueError),
    ("validation_split", float("nan"), ValueError), ("validation_split", "0.2", TypeError),
    ("verbose", -1, ValueError), ("verbose", "1", TypeError),
]


@pytest.mark.parametrize("name, value, error", FIT_CASES, ids=[f"{n}={v!r}" for n, v, _ in FIT_CASES])
def test_fit_checks_its_loop_arguments(backend_name, name, value, error):
    x, y = _data()
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=f"`{name}`.*" + _received(name, value)):
        model.fit(x, y, **{"verbose": 0, name: value})
    for w, w0 in zip(model.get_weights(), before):  # nothing trained
        np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("method, name, value, error", [
    ("evaluate", "batch_size", 0, ValueError), ("evaluate", "steps", 0, ValueError),
    ("evaluate", "batch_size", 1.5, TypeError), ("predict", "batch_size", -2, ValueError),
    ("predict", "steps", -1, ValueError), ("predict", "verbose", 1.0, TypeError),
])
def test_evaluate_and_predict_check_their_loop_arguments(backend_name, method, name, value, error):
    x, y = _data()
    model = _model()
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(error, match=_received(name, value)):
        getattr(model, method)(*args, **{name: value})


@pytest.mark.parametrize("method, name, value, error", [
    ("fit_generator", "steps_per_epoch", 0, ValueError), ("fit_generator", "epochs", 2.5, TypeError),
    ("fit_generator", "validation_steps", -1, ValueError), ("fit_generator", "initial_epoch", -2, ValueError),
    ("evaluate_generator", "steps", 0, ValueError), ("predict_generator", "steps", 1.5, TypeError),
    ("fit", "steps_per_epoch", 0, ValueError),  # fit handing a generator on
])
def test_generator_methods_check_their_loop_arguments(method, name, value, error):
    model = _model()
    kwargs = {"steps_per_epoch": 1} if method.startswith("fit") else {"steps": 1}
    kwargs.update({name: value})
    with pytest.raises(error, match=_received(name, value)):
        call_with_deadline(lambda: getattr(model, method)(_batches(), verbose=0, **kwargs))


def test_numpy_integers_and_bool_verbose_are_accepted(backend_name):
    x, y = _data(8)
    model = _model()
    history = model.fit(x, y, batch_size=np.int64(4), epochs=np.int32(2), verbose=False)
    assert history.epoch == [0, 1]
    assert model.predict(x, batch_size=np.int16(3)).shape == (8, 1)


def test_validation_data_must_be_a_pair_or_a_triple(backend_name):
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="Received: validation_data=a tuple of 1 items$"):
        model.fit(x, y, validation_data=(x,), verbose=0)
    with pytest.raises(ValueError, match="Received: validation_data=a tuple of 4 items$"):
        model.fit_generator(_batches(), steps_per_epoch=1, validation_data=(x, y, None, None), verbose=0)


# ------------------------------------------------------------------ item 6: what the data hold
STRINGS = np.array([["a", "b"]] * 4)
OBJECTS = np.array([[1.0, "b"]] * 4, dtype=object)


@pytest.mark.parametrize("where", ["x", "y", "validation_data", "sample_weight"])
def test_string_data_name_the_argument(backend_name, where):
    x, y = _data(4)
    model = _model()
    kwargs = {"verbose": 0}
    if where == "x":
        x = STRINGS
    elif where == "y":
        y = STRINGS[:, :1]
    elif where == "validation_data":
        kwargs["validation_data"] = (STRINGS, y)
    else:
        kwargs["sample_weight"] = STRINGS[:, 0]
    with pytest.raises(TypeError, match=f"^`{where}` must hold numbers.*not strings. Received: {where} with dtype str"):
        model.fit(x, y, **kwargs)


@pytest.mark.parametrize("method", ["fit", "train_on_batch", "test_on_batch", "predict", "predict_on_batch"])
def test_object_arrays_and_lists_of_strings_name_x(backend_name, method):
    model = _model()
    _, y = _data(4)
    for bad in (OBJECTS, [["a", "b"]] * 4):
        args = (bad,) if method.startswith("predict") else (bad, y)
        with pytest.raises(TypeError, match="^`x` must hold numbers \\(bool, int or float\\). Received: x of type"):
            getattr(model, method)(*args)


def test_an_object_array_of_numbers_still_trains(backend_name):
    x, y = _data(4)
    model = _model()
    model.fit(x.astype(object), y, verbose=0)


def test_the_input_of_a_multi_input_model_is_named(backend_name):
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    model = Model([a, b], Dense(1)(concatenate([a, b])))
    model.compile("sgd", "mse")
    x, y = _data(4)
    with pytest.raises(TypeError, match="^`x \\(input 'b'\\)` must hold numbers"):
        model.fit([x, STRINGS], y, verbose=0)


@pytest.mark.parametrize("dtype, what", [
    ("complex64", "complex numbers"), ("complex128", "complex numbers"), ("datetime64[s]", "dates"),
    ("timedelta64[ms]", "time spans"),
])
@pytest.mark.parametrize("where", ["x", "y"])
def test_complex_and_date_data_are_refused(backend_name, dtype, what, where):
    x, y = _data(4)
    model = _model()
    if where == "x":
        x = np.ones((4, 2), dtype=dtype)
    else:
        y = np.ones((4, 1), dtype=dtype)
    with pytest.raises(TypeError, match=f"^`{where}` must hold numbers.*not {what}.*Received: {where} with dtype "
                                        + re.escape(str(np.dtype(dtype).name))):
        model.fit(x, y, verbose=0)


def test_nan_sparse_labels_are_reported_as_nan(backend_name):
    x, _ = _data(4)
    model = _model("sparse_categorical_crossentropy", units=3)
    labels = np.array([0.0, 1.0, np.nan, 2.0], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the NaN warning (tested below) and NumPy's cast warning
        with pytest.raises(ValueError, match="target classes must be finite integers. Received: targets holding NaN"):
            model.fit(x, labels, verbose=0)
        with pytest.raises(ValueError, match="finite integers.*NaN or infinity"):
            K.sparse_categorical_crossentropy(K.constant(labels), K.softmax(K.ones((4, 3))))
    with pytest.raises(ValueError, match=re.escape("must lie in [0, 3). Received: targets from 0 to 5")):
        K.sparse_categorical_crossentropy(K.constant([0.0, 5.0]), K.softmax(K.ones((2, 3))))


@pytest.mark.parametrize("where, bad", [("x", np.nan), ("x", np.inf), ("y", -np.inf), ("validation_data", np.nan)])
def test_nan_or_infinity_in_the_data_warns_naming_the_argument(backend_name, where, bad):
    x, y = _data(4)
    kwargs = {"verbose": 0}
    if where == "validation_data":
        vx = x.copy()
        vx[1, 0] = bad
        kwargs["validation_data"] = (vx, y)
    else:
        (x if where == "x" else y)[1, 0] = bad
    with pytest.warns(UserWarning, match=f"^`{where}` holds NaN or infinite values"):
        _model().fit(x, y, **kwargs)


def test_finite_data_train_without_a_warning(backend_name):
    x, y = _data(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _model().fit(x, y, verbose=0, validation_data=(x, y))
