"""multinn.wrappers.scikit_learn against Keras 2.3's documented behaviour and scikit-learn's own tools.

References are computed another way: labels from NumPy's unique/argmax, accuracy and MSE from
the predictions with NumPy, one-hot targets checked by the engine (it refuses integer targets
for categorical cross-entropy).
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import multinn
from multinn import losses
from multinn.layers import Dense
from multinn.wrappers.scikit_learn import BaseWrapper, KerasClassifier, KerasRegressor


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y


def make_classifier(hidden=8, loss="sparse_categorical_crossentropy", n_classes=3, n_features=4, metrics=("accuracy",)):
    model = multinn.Sequential([
        Dense(hidden, activation="relu", input_shape=(n_features,)),
        Dense(n_classes, activation="softmax"),
    ])
    model.compile("adam", loss, metrics=list(metrics))
    return model


def make_binary(hidden=4):
    model = multinn.Sequential([Dense(hidden, activation="tanh", input_shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def make_regressor(hidden=8, n_features=4, n_outputs=1):
    model = multinn.Sequential([Dense(hidden, activation="relu", input_shape=(n_features,)), Dense(n_outputs)])
    model.compile("adam", "mse")
    return model


def recording_targets(model, seen):
    """The model, with the targets its fit and evaluate receive appended to `seen`."""
    for method in ("fit", "evaluate"):
        original = getattr(model, method)
        setattr(model, method, lambda x, y, _f=original, **kw: seen.append(np.asarray(y)) or _f(x, y, **kw))
    return model


def binary_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


# ---------------------------------------------------------------- KerasClassifier
def test_classifier_on_iris_with_string_labels(iris):
    x, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    multinn.utils.set_random_seed(1)
    clf = KerasClassifier(make_classifier, hidden=16, epochs=30, batch_size=16, verbose=0)
    history = clf.fit(x, names)
    assert type(history).__name__ == "History" and history.epoch == list(range(30))
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert clf.classes_.dtype == np.unique(names).dtype and clf.n_classes_ == 3

    proba = clf.predict_proba(x)
    pred = clf.predict(x)
    assert proba.shape == (150, 3) and pred.shape == (150,)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(proba, clf.model.predict(x), rtol=1e-6)
    accuracy = clf.score(x, names)
    assert accuracy == pytest.approx(np.mean(pred == names), abs=1e-6)
    assert accuracy > 0.8  # the labels were learnt, not just encoded


def test_classifier_keeps_integer_labels_and_their_dtype():
    x, y01 = binary_data(48)
    labels = np.where(y01 == 1, 7, 3).astype("int32")
    labels[:4] = 5  # a third class
    seen = []
    clf = KerasClassifier(lambda n_features=2: recording_targets(make_classifier(n_features=n_features), seen),
                          epochs=2, verbose=0)
    clf.fit(x, labels)
    assert clf.classes_.tolist() == [3, 5, 7] and clf.classes_.dtype == np.int32
    np.testing.assert_array_equal(seen[0], np.searchsorted([3, 5, 7], labels))  # sparse targets: class indices
    pred = clf.predict(x)
    assert set(pred.tolist()) <= {3, 5, 7} and pred.dtype == np.int32
    np.testing.assert_array_equal(pred, clf.classes_[clf.predict_proba(x).argmax(axis=1)])
    # a column of labels, (n, 1), reads as the same labels
    clf.fit(x, labels.reshape(-1, 1))
    assert clf.classes_.tolist() == [3, 5, 7]
    assert clf.score(x, labels.reshape(-1, 1)) == pytest.approx(np.mean(clf.predict(x) == labels), abs=1e-6)


def test_classifier_takes_python_lists():
    x, y01 = binary_data(16)
    labels = ["no" if v == 0 else "yes" for v in y01]
    clf = KerasClassifier(make_classifier, n_features=2, n_classes=2, epochs=1, verbose=0)
    clf.fit(x.tolist(), labels)
    assert clf.classes_.tolist() == ["no", "yes"] and clf.classes_.dtype.kind == "U"
    assert set(clf.predict(x.tolist()).tolist()) <= {"no", "yes"}


def test_binary_sigmoid_classifier():
    x, y = binary_data(96)
    multinn.utils.set_random_seed(3)
    clf = KerasClassifier(make_binary, epochs=40, batch_size=16, verbose=0)
    clf.fit(x, np.where(y == 1, "pos", "neg"))
    p = clf.model.predict(x)[:, 0]
    proba = clf.predict_proba(x)
    assert proba.shape == (96, 2) and proba.dtype == np.float32
    np.testing.assert_allclose(proba[:, 1], p, rtol=1e-6)
    np.testing.assert_allclose(proba[:, 0], 1.0 - p, rtol=1e-6)
    pred = clf.predict(x)
    assert pred.shape == (96,)  # Keras 2 gives (96, 1) here
    np.testing.assert_array_equal(pred, np.where(p > 0.5, "pos", "neg"))
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    labels = np.where(y == 1, "pos", "neg")
    assert clf.score(x, labels) == pytest.approx(np.mean(pred == labels), abs=1e-6)
    assert clf.score(x, labels) > 0.85


@pytest.mark.parametrize("loss", ["categorical_crossentropy", losses.categorical_crossentropy,
                                  losses.CategoricalCrossentropy()], ids=["name", "function", "object"])
def test_categorical_crossentropy_gets_one_hot_targets(iris, loss):
    # The engine refuses integer-class targets for categorical cross-entropy, so fitting and
    # scoring succeed only if the wrapper one-hot encodes them.
    x, y = iris
    seen = []

    def build(loss=loss):
        return recording_targets(make_classifier(loss=loss), seen)

    clf = KerasClassifier(build, epochs=2, verbose=0)
    clf.fit(x, y + 3)
    assert clf.classes_.tolist() == [3, 4, 5]
    np.testing.assert_array_equal(seen[0], np.eye(3)[y])
    pred = clf.predict(x)
    assert clf.score(x, y + 3) == pytest.approx(np.mean(pred == y + 3), abs=1e-6)
    # a test subset without the last class still gets three one-hot columns
    subset = y < 2
    assert clf.score(x[subset], y[subset] + 3) == pytest.approx(np.mean(pred[subset] == y[subset] + 3), abs=1e-6)
    np.testing.assert_array_equal(seen[-1], np.eye(3)[y[subset]])


def test_one_hot_targets_give_index_classes(iris):
    x, y = iris
    one_hot = np.eye(3, dtype="float32")[y]
    clf = KerasClassifier(make_classifier, loss="categorical_crossentropy", epochs=2, verbose=0)
    clf.fit(x, one_hot)
    assert clf.classes_.tolist() == [0, 1, 2] and clf.n_classes_ == 3
    pred = clf.predict(x)
    assert set(pred.tolist()) <= {0, 1, 2}
    expected = np.mean(pred == y)
    assert clf.score(x, one_hot) == pytest.approx(expected, abs=1e-6)
    assert clf.score(x, y) == pytest.approx(expected, abs=1e-6)


def test_classifier_sample_weight_and_fit_kwargs_override_sk_params():
    x, y = binary_data(32)
    clf = KerasClassifier(make_binary, epochs=5, verbose=0)
    history = clf.fit(x, y, sample_weight=np.ones(32, dtype="float32"), epochs=2)
    assert history.epoch == [0, 1]
    with pytest.raises(ValueError):
        clf.fit(x, y, sample_weight=np.ones(5, dtype="float32"))  # reaches Model.fit, which checks it


def test_each_fit_builds_a_new_model():
    x, y = binary_data(16)
    built = []

    def build(hidden=4):
        built.append(make_binary(hidden))
        return built[-1]

    clf = KerasClassifier(build, epochs=1, verbose=0)
    clf.fit(x, y)
    first = clf.model
    clf.fit(x, y)
    assert len(built) == 2 and clf.model is built[1] and clf.model is not first


def test_score_requires_an_accuracy_metric_named_accuracy_or_acc(iris):
    x, y = iris
    for metrics in (["acc"], ["mae", "accuracy"]):
        clf = KerasClassifier(make_classifier, metrics=metrics, epochs=1, verbose=0)
        clf.fit(x, y)
        assert clf.score(x, y) == pytest.approx(np.mean(clf.predict(x) == y), abs=1e-6)
    for metrics in ([], ["sparse_categorical_accuracy"]):  # Keras 2 reads only the names 'accuracy' and 'acc'
        clf = KerasClassifier(make_classifier, metrics=metrics, epochs=1, verbose=0)
        clf.fit(x, y)
        with pytest.raises(ValueError, match=r"not configured to compute accuracy.*metrics=\['accuracy'\]"):
            clf.score(x, y)


def test_classifier_label_errors(iris):
    x, y = iris
    clf = KerasClassifier(make_classifier, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Received: y with shape \(150, 1, 1\)"):
        clf.fit(x, y.reshape(-1, 1, 1))
    clf.fit(x, y)
    with pytest.raises(ValueError, match=r"label 9 is not one of the classes .*\[0, 1, 2\]"):
        clf.score(x[:2], [0, 9])


def test_build_fn_as_object_with_call_and_as_subclass_call():
    x, y = binary_data(16)

    class Builder:
        def __call__(self, hidden=4):
            self.hidden = hidden
            return make_binary(hidden)

    builder = Builder()
    clf = KerasClassifier(builder, hidden=3, epochs=1, verbose=0)
    clf.fit(x, y)
    assert builder.hidden == 3 and clf.model.layers[0].units == 3
    with pytest.raises(ValueError, match="hiden is not a legal parameter"):
        KerasClassifier(builder, hiden=3)

    class OwnBuilder(KerasClassifier):
        def __call__(self, hidden=4):
            return make_binary(hidden)

    own = OwnBuilder(hidden=5, epochs=1, verbose=0)
    own.fit(x, y)
    assert own.model.layers[0].units == 5
    with pytest.raises(TypeError, match=r"has none.*Received: build_fn=None"):
        KerasClassifier(epochs=1)
    with pytest.raises(TypeError, match="Received: build_fn=3"):
        KerasClassifier(3)


# ---------------------------------------------------------------- parameters
def test_illegal_sk_params_raise_value_error_naming_them():
    with pytest.raises(ValueError, match=r"epoch is not a legal parameter.*Did you mean 'epochs'\?.*Received: epoch=3"):
        KerasClassifier(make_classifier, epoch=3)
    with pytest.raises(ValueError, match="x is not a legal parameter"):  # data is not a parameter
        KerasRegressor(make_regressor, x=np.zeros(3))
    reg = KerasRegressor(make_regressor, hidden=4)
    with pytest.raises(ValueError, match="units is not a legal parameter"):
        reg.set_params(units=3)
    assert reg.get_params() == {"hidden": 4, "build_fn": make_regressor}  # unchanged by the refused call
    # the arguments of build_fn and of fit / predict / predict_proba / evaluate are all legal
    KerasRegressor(make_regressor, hidden=2, n_features=4, epochs=1, batch_size=8, verbose=0, shuffle=False,
                   validation_split=0.1, sample_weight=None, steps=None, callbacks=None, initial_epoch=0)


def test_nb_epoch_is_accepted_as_keras_1_epochs():
    x, y = binary_data(8)
    reg = KerasRegressor(make_regressor, n_features=2, nb_epoch=3, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = reg.fit(x, y.astype("float32"))
    assert history.epoch == [0, 1, 2]
    assert any("nb_epoch" in str(w.message) for w in caught)


def test_get_params_set_params_round_trip():
    clf = KerasClassifier(make_classifier, hidden=4, epochs=2, verbose=0)
    params = clf.get_params()
    assert params == {"hidden": 4, "epochs": 2, "verbose": 0, "build_fn": make_classifier}
    assert clf.get_params(deep=True) == params
    params["hidden"] = 99  # a copy: the estimator keeps its own
    assert clf.get_params()["hidden"] == 4
    assert clf.set_params(hidden=16, batch_size=8) is clf
    assert clf.get_params() == {"hidden": 16, "epochs": 2, "verbose": 0, "batch_size": 8, "build_fn": make_classifier}
    rebuilt = KerasClassifier(**clf.get_params())
    assert rebuilt.get_params() == clf.get_params()
    clf.set_params(build_fn=make_binary)
    assert clf.build_fn is make_binary


def test_filter_sk_params():
    clf = KerasClassifier(make_classifier, hidden=4, epochs=2, batch_size=8, verbose=0)
    assert clf.filter_sk_params(make_classifier) == {"hidden": 4}
    assert clf.filter_sk_params(multinn.Sequential.evaluate) == {"batch_size": 8, "verbose": 0}
    assert clf.filter_sk_params(multinn.Sequential.predict, {"verbose": 1, "steps": 2}) == {
        "batch_size": 8, "verbose": 1, "steps": 2}


def test_clone_gives_an_unfitted_estimator_with_the_same_parameters(iris):
    x, y = iris
    clf = KerasClassifier(make_classifier, hidden=4, epochs=1, verbose=0, metrics=["accuracy"])
    clf.fit(x, y)
    copy = clone(clf)
    assert type(copy) is KerasClassifier and copy is not clf
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model") and not hasattr(copy, "classes_")
    assert is_classifier(clf) and not is_regressor(clf)
    assert is_regressor(KerasRegressor(make_regressor)) and not is_classifier(KerasRegressor(make_regressor))


def test_multinn_does_not_import_sklearn():
    code = "import sys, multinn.wrappers.scikit_learn; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- scikit-learn model selection
def test_cross_val_score_and_pipeline(iris):
    x, y = iris
    clf = KerasClassifier(make_classifier, epochs=3, batch_size=32, verbose=0)
    scores = cross_val_score(clf, x, y, cv=3, error_score="raise")
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    pipe = make_pipeline(StandardScaler(), KerasClassifier(make_classifier, epochs=2, verbose=0))
    pipe.fit(x * 10.0, y)
    assert pipe.predict(x[:5] * 10.0).shape == (5,)
    assert 0.0 <= pipe.score(x * 10.0, y) <= 1.0


def test_grid_search_over_epochs_and_hidden_units(iris):
    x, y = iris
    names = np.array(["a", "b", "c"])[y]
    grid = {"hidden": [4, 8], "epochs": [1, 3]}
    search = GridSearchCV(KerasClassifier(make_classifier, batch_size=32, verbose=0), grid, cv=2, error_score="raise")
    search.fit(x, names)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["hidden"] in (4, 8) and search.best_params_["epochs"] in (1, 3)
    best = search.best_estimator_
    assert best.get_params()["hidden"] == search.best_params_["hidden"]
    assert best.model.layers[0].units == search.best_params_["hidden"]
    assert set(search.predict(x).tolist()) <= {"a", "b", "c"}
    assert search.classes_.tolist() == ["a", "b", "c"]


# ---------------------------------------------------------------- KerasRegressor
def test_regressor_fit_predict_score(iris):
    x, _ = iris
    target = (x @ np.array([1.0, 2.0, -1.0, 0.5], dtype="float32")).astype("float32")
    multinn.utils.set_random_seed(2)
    reg = KerasRegressor(make_regressor, hidden=16, epochs=30, batch_size=16, verbose=0)
    history = reg.fit(x, target)
    assert history.history["loss"][-1] < history.history["loss"][0]
    pred = reg.predict(x)
    assert pred.shape == (150,) and pred.dtype == np.float32
    np.testing.assert_allclose(pred, reg.model.predict(x)[:, 0])
    score = reg.score(x, target)
    assert score == pytest.approx(-np.mean((pred - target) ** 2), rel=1e-4)
    assert score > -np.var(target) / 4  # better than a quarter of the variance left
    assert reg.predict(x[:1]).shape == (1,)  # the sample axis stays (Keras 2 squeezes it away)


def test_regressor_several_outputs_and_a_metric_list(iris):
    x, _ = iris
    targets = np.stack([x[:, 0], x[:, 1] - x[:, 2]], axis=1)

    def build():
        model = make_regressor(n_outputs=2)
        model.compile("adam", "mse", metrics=["mae"])
        return model

    reg = KerasRegressor(build, epochs=2, verbose=0)
    reg.fit(x, targets)
    pred = reg.predict(x)
    assert pred.shape == (150, 2)
    assert reg.score(x, targets) == pytest.approx(-np.mean((pred - targets) ** 2), rel=1e-4)


def test_regressor_cross_val_score(iris):
    x, _ = iris
    target = x[:, 0] - x[:, 3]
    scores = cross_val_score(KerasRegressor(make_regressor, epochs=2, verbose=0), x, target, cv=2, error_score="raise")
    assert scores.shape == (2,) and np.all(scores <= 0)


def test_wrappers_on_each_backend(backend_name, iris):
    x, y = iris
    clf = KerasClassifier(make_classifier, epochs=2, verbose=0)
    clf.fit(x, y + 1)
    proba = clf.predict_proba(x)
    assert isinstance(proba, np.ndarray) and isinstance(clf.classes_, np.ndarray)
    np.testing.assert_array_equal(clf.predict(x), clf.classes_[proba.argmax(axis=1)])
    binary = KerasClassifier(make_binary, epochs=1, verbose=0)
    bx, by = binary_data(16)
    binary.fit(bx, by)
    assert binary.predict_proba(bx).shape == (16, 2) and binary.predict(bx).shape == (16,)
    reg = KerasRegressor(make_regressor, epochs=1, verbose=0)
    reg.fit(x, x[:, 0])
    assert reg.predict(x).shape == (150,) and reg.score(x, x[:, 0]) <= 0


def test_base_wrapper_fit_uses_build_fn():
    x, y = binary_data(8)
    wrapper = BaseWrapper(make_binary, epochs=2, verbose=0)
    assert wrapper.fit(x, y).epoch == [0, 1]


def test_no_samples_give_empty_predictions(iris):
    # Keras 2's regressor answers zero samples with shape (0,); the classifier likewise here.
    x, y = iris
    reg = KerasRegressor(make_regressor, epochs=1, verbose=0)
    reg.fit(x, y.astype("float32"))
    assert reg.predict(x[:0]).shape == (0,) and reg.predict(x[:1]).shape == (1,)
    wide = KerasRegressor(make_regressor, n_outputs=3, epochs=1, verbose=0)
    wide.fit(x, np.zeros((len(x), 3), "float32"))
    assert wide.predict(x[:0]).shape == (0, 3)

    clf = KerasClassifier(make_classifier, epochs=1, verbose=0)
    clf.fit(x, np.array(["a", "b", "c"])[y])
    labels = clf.predict(x[:0])
    assert labels.shape == (0,) and labels.dtype == clf.classes_.dtype
    assert clf.predict_proba(x[:0]).shape == (0, 3)
    binary = KerasClassifier(make_binary, epochs=1, verbose=0)
    binary.fit(*binary_data())
    assert binary.predict_proba(np.zeros((0, 2), "float32")).shape == (0, 2)
    assert binary.predict([]).shape == (0,)


def test_fitted_wrappers_pickle(iris):
    # joblib.dump / pickle of a fitted estimator, as scikit-learn users save models.
    import pickle

    x, y = iris
    clf = KerasClassifier(make_classifier, epochs=1, verbose=0)
    clf.fit(x, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(x), clf.predict_proba(x))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    reg = KerasRegressor(make_regressor, epochs=1, verbose=0)
    reg.fit(x, y.astype("float32"))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(x), reg.predict(x))
