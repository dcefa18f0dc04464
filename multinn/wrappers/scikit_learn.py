"""Keras 2's scikit-learn wrappers (`keras.wrappers.scikit_learn`): `KerasClassifier` and `KerasRegressor`.

A wrapper holds a `build_fn` that makes and compiles a model, plus `sk_params`: the build
function's arguments and those of `Sequential.fit`, `predict`, `predict_proba` and `evaluate`
(`epochs`, `batch_size`, `verbose`, ...). Each `fit` builds a new model. The wrappers have
scikit-learn's estimator interface (`get_params`, `set_params`, `fit`, `predict`, `score`), so
`sklearn.base.clone`, pipelines, `cross_val_score` and `GridSearchCV` take them; multinn itself
never imports scikit-learn.

Example:
    >>> import multinn
    >>> from multinn.layers import Dense
    >>> from multinn.wrappers.scikit_learn import KerasClassifier
    >>> def make_model(units=4):
    ...     model = multinn.Sequential([Dense(units, activation="relu", input_shape=(2,)),
    ...                                 Dense(2, activation="softmax")])
    ...     model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> clf = KerasClassifier(make_model, units=8, epochs=2, verbose=0)
    >>> history = clf.fit([[0.0, 1.0], [1.0, 0.0], [0.0, 0.9]], ["no", "yes", "no"])
    >>> clf.classes_.tolist(), clf.predict([[0.0, 1.0]]).shape
    (['no', 'yes'], (1,))
"""
from __future__ import annotations

import inspect
import sys
from typing import Any, Callable

from multinn import backend as K
from multinn.engine.sequential import Sequential
from multinn.utils.generic_utils import suggest
from multinn.utils.np_utils import to_categorical

# The data arguments of the model methods are not parameters an estimator could hold.
_DATA_ARGS = ("x", "y")
_MODEL_METHODS = {
    "fit": Sequential.fit,
    "predict": Sequential.predict,
    "predict_classes": Sequential.predict_classes,
    "predict_proba": Sequential.predict_proba,
    "evaluate": Sequential.evaluate,
}
_ACCURACY_NAMES = ("accuracy", "acc")  # Keras 2.3's metric names for metrics=["accuracy"] / ["acc"]


def _keywords(fn: Callable) -> frozenset:
    """The names `fn` takes as keyword arguments; **kwargs does not count (Keras 2's has_arg)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return frozenset()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in params if p.kind in kinds and p.name != "self")


_MODEL_KEYWORDS = frozenset().union(*(_keywords(fn) for fn in _MODEL_METHODS.values())) - frozenset(_DATA_ARGS)


def _callable_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


def _is_categorical_crossentropy(loss: Any) -> bool:
    """Keras 2.3's rule for when class labels become one-hot targets: the loss is categorical cross-entropy
    by name, function or Loss object (not its sparse variant)."""
    from multinn import losses

    if isinstance(loss, str):
        return loss == "categorical_crossentropy"
    if isinstance(loss, losses.LossFunctionWrapper):
        return loss.fn is losses.categorical_crossentropy
    return getattr(loss, "__name__", None) == "categorical_crossentropy"


# ---------------------------------------------------------------- host arrays without NumPy
def _host_values(y: Any) -> list:
    """`y` as (nested) Python lists of Python scalars."""
    if isinstance(y, K.Tensor):
        return y.numpy().tolist()
    if hasattr(y, "to_numpy"):  # pandas Series / DataFrame
        y = y.to_numpy()
    if hasattr(y, "tolist"):
        return y.tolist()
    return [_host_values(item) if isinstance(item, (list, tuple)) else item for item in y]


def _shape_of(values: Any) -> tuple:
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        if not values:
            break
        values = values[0]
    return tuple(shape)


def _label_dtype(y: Any, labels: list) -> Any:
    """The dtype NumPy's `unique` would give the classes: y's own, or the one NumPy infers from a list."""
    dtype = getattr(y, "dtype", None)
    if dtype is not None and not isinstance(y, K.Tensor):
        return dtype
    if isinstance(y, K.Tensor):
        return str(y.dtype)
    if all(isinstance(v, bool) for v in labels):
        return "bool"
    if all(isinstance(v, int) for v in labels):
        return "int64"
    if all(isinstance(v, (int, float)) for v in labels):
        return "float64"
    if all(isinstance(v, str) for v in labels):
        return str
    return object


def _host_array(values: list, dtype: Any) -> Any:
    """A 1-D NumPy array of `values` with `dtype` (strings included), made from a K tensor's host copy."""
    array = K.constant(0, dtype="int8", shape=(len(values),)).numpy().astype(object)
    for i, value in enumerate(values):
        array[i] = value
    return array.astype(dtype)


def _class_indices(proba: Any) -> Any:
    """Keras 2's `predict_classes`: the argmax over classes, or `p > 0.5` for one sigmoid unit; shape (n,)."""
    p = K.convert_to_tensor(proba)
    if p.shape[-1] > 1:
        return K.argmax(p, axis=-1).numpy()
    return K.cast(K.greater(K.reshape(p, (-1,)), 0.5), "int64").numpy()


def _num_samples(x: Any) -> "int | None":
    """The number of samples in one input array or list; None when it cannot be told (several inputs)."""
    shape = getattr(x, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    if isinstance(x, (list, tuple)) and not x:
        return 0
    return None


def _predict(predict: Callable, model: Any, x: Any, args: dict) -> Any:
    """`predict(x, **args)`; no samples give an empty array shaped like the model's output.

    Keras 2's predict returns an empty result for no samples, and its regressor still answers
    with shape (0,); here the model is not asked at all.
    """
    shape = getattr(model, "output_shape", None)
    if _num_samples(x) == 0 and isinstance(shape, tuple):
        return K.zeros((0,) + tuple(d or 0 for d in shape[1:])).numpy()
    return predict(x, **args)


# ---------------------------------------------------------------- wrappers
class BaseWrapper:
    """Base of the scikit-learn wrappers; use `KerasClassifier` or `KerasRegressor`.

    Args:
        build_fn: makes, compiles and returns a model. A function, an object with `__call__`,
            or None: then the wrapper subclass's own `__call__` is the build function.
        **sk_params: arguments of `build_fn` (give them defaults there, as scikit-learn
            estimators have defaults) and of `Sequential.fit`, `predict`, `predict_proba` and
            `evaluate`. A keyword given to a method call wins over sk_params, which win over
            the model method's default.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> def make_model(units=4):
        ...     model = multinn.Sequential([Dense(units, input_shape=(3,)), Dense(1)])
        ...     model.compile("sgd", "mse")
        ...     return model
        >>> reg = KerasRegressor(build_fn=make_model, units=2, epochs=3, verbose=0)
        >>> sorted(reg.get_params())
        ['build_fn', 'epochs', 'units', 'verbose']
    """

    def __init__(self, build_fn: Any = None, **sk_params: Any) -> None:
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def __repr__(self) -> str:
        args = [f"build_fn={_callable_name(self.build_fn) if self.build_fn is not None else None}"]
        args += [f"{name}={value!r}" for name, value in self.sk_params.items()]
        return f"{type(self).__name__}({', '.join(args)})"

    # ------------------------------------------------------------ parameters
    def _builder(self, build_fn: Any = None, use_own: bool = True) -> Callable:
        """The function that builds the model: build_fn, or this wrapper's own `__call__`."""
        fn = self.build_fn if use_own else build_fn
        if fn is None:
            if not callable(self):
                raise TypeError(
                    f"{type(self).__name__}(build_fn=None) builds its model with its own __call__ method, and "
                    f"{type(self).__name__} has none. Pass a build_fn that returns a compiled model, or subclass "
                    f"{type(self).__name__} with a __call__ that does. Received: build_fn=None"
                )
            return self.__call__
        if not callable(fn):
            raise TypeError(
                "build_fn must be a function, an object with a __call__ method, or None. "
                f"Received: build_fn={fn!r}"
            )
        return fn

    def _check(self, params: dict, builder: Callable) -> None:
        legal = _MODEL_KEYWORDS | _keywords(builder)
        for name in params:
            if name not in legal and name != "nb_epoch":  # Keras 1's spelling of epochs
                raise ValueError(
                    f"{name} is not a legal parameter of {type(self).__name__}: sk_params are the arguments of "
                    f"build_fn ({_callable_name(builder)}) or of Sequential.fit, predict, predict_proba and "
                    f"evaluate.{suggest(name, legal)} Received: {name}={params[name]!r}"
                )

    def check_params(self, params: dict) -> None:
        """Raises ValueError for a name in `params` that no build_fn or model method takes (a typo).

        Example:
            >>> reg = KerasRegressor(build_fn=lambda units=4: None)
            >>> reg.check_params({"units": 8, "epochs": 2})
            >>> reg.check_params({"epoch": 2})
            Traceback (most recent call last):
            ...
            ValueError: epoch is not a legal parameter of KerasRegressor: ... Did you mean 'epochs'? Received: epoch=2
        """
        self._check(params, self._builder())

    def get_params(self, **params: Any) -> dict:
        """The estimator's parameters: sk_params and build_fn (`params`, e.g. deep=, are ignored).

        The values are sk_params' own objects (Keras 2 deep-copies them): scikit-learn's `clone`
        checks that the new estimator holds the very objects it passed, so a list-valued
        parameter would otherwise make cloning fail.

        Example:
            >>> def make_model(units=4):
            ...     return None
            >>> KerasRegressor(build_fn=make_model, epochs=3).get_params()  # doctest: +ELLIPSIS
            {'epochs': 3, 'build_fn': <function make_model at ...>}
        """
        res = dict(self.sk_params)
        res["build_fn"] = self.build_fn
        return res

    def set_params(self, **params: Any) -> "BaseWrapper":
        """Updates sk_params (checked as in the constructor) and, if given, build_fn; returns self.

        Example:
            >>> reg = KerasRegressor(build_fn=lambda units=4: None, units=2)
            >>> reg.set_params(units=16, epochs=5).get_params()["units"]
            16
        """
        params = dict(params)
        replace_builder = "build_fn" in params and "build_fn" not in _keywords(self._builder())
        build_fn = params.pop("build_fn") if replace_builder else self.build_fn
        self._check(params, self._builder(build_fn, use_own=False))
        self.build_fn = build_fn
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn: Callable, override: "dict | None" = None) -> dict:
        """The sk_params that `fn` takes as keywords, updated with `override`.

        Example:
            >>> def make_model(units=4, activation="relu"):
            ...     return None
            >>> reg = KerasRegressor(build_fn=make_model, units=8, epochs=3)
            >>> reg.filter_sk_params(make_model), reg.filter_sk_params(make_model, {"activation": "tanh"})
            ({'units': 8}, {'units': 8, 'activation': 'tanh'})
        """
        names = _keywords(fn)
        res = {name: value for name, value in self.sk_params.items() if name in names}
        res.update(override or {})
        return res

    def _model_args(self, method: str, override: "dict | None" = None) -> dict:
        """sk_params for one model method (never its data arguments), then the call's own keywords."""
        res = {k: v for k, v in self.filter_sk_params(_MODEL_METHODS[method]).items() if k not in _DATA_ARGS}
        if method == "fit" and "nb_epoch" in self.sk_params and "epochs" not in self.sk_params:
            res["nb_epoch"] = self.sk_params["nb_epoch"]  # Model.fit reads Keras 1's spelling, with a warning
        res.update(override or {})
        return res

    # ------------------------------------------------------------ training
    def _build_model(self) -> Any:
        builder = self._builder()
        model = builder(**self.filter_sk_params(builder))
        if not hasattr(model, "fit"):
            raise TypeError(
                f"build_fn must return a compiled model; {_callable_name(builder)} returned "
                f"{type(model).__name__}. Received: build_fn={self.build_fn!r}"
            )
        return model

    def _targets(self, y: Any) -> Any:
        """Class labels as one-hot targets when the model's loss is categorical cross-entropy."""
        if _is_categorical_crossentropy(self.model.loss) and len(_shape_of(_host_values(y))) != 2:
            return to_categorical(y)
        return y

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Builds a new model with build_fn and trains it on (x, y); returns its History.

        Args:
            x: training samples, shape (n_samples, n_features).
            y: targets, shape (n_samples,) or (n_samples, n_outputs).
            **kwargs: arguments of `Sequential.fit`, over sk_params.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(1, input_shape=(2,))])
            ...     model.compile("sgd", "mse")
            ...     return model
            >>> reg = KerasRegressor(make_model, epochs=2, verbose=0)
            >>> reg.fit([[0.0, 1.0], [1.0, 0.0]], [1.0, 2.0]).epoch
            [0, 1]
        """
        self.model = self._build_model()
        y = self._targets(y)
        return self.model.fit(x, y, **self._model_args("fit", kwargs))

    # ------------------------------------------------------------ scikit-learn's estimator protocol
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model")

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's (>= 1.6) description of the estimator, which its model selection reads.

        scikit-learn calls this, so it is loaded: its tag classes are taken from sys.modules
        and multinn never imports scikit-learn itself.
        """
        utils = sys.modules.get("sklearn.utils")
        if utils is None or not hasattr(utils, "Tags"):
            raise RuntimeError("__sklearn_tags__ is read by scikit-learn >= 1.6; import scikit-learn first.")
        kind = getattr(self, "_estimator_type", None)
        tags = utils.Tags(
            estimator_type=kind,
            target_tags=utils.TargetTags(required=True),
            transformer_tags=None,
            classifier_tags=utils.ClassifierTags() if kind == "classifier" else None,
            regressor_tags=utils.RegressorTags() if kind == "regressor" else None,
        )
        tags.non_deterministic = True  # fresh random weights at every fit
        return tags


class KerasClassifier(BaseWrapper):
    """scikit-learn's classifier interface for a Keras model (`keras.wrappers.scikit_learn.KerasClassifier`).

    `fit` takes labels of any sortable kind (ints, strings, ...) of shape (n_samples,) or
    (n_samples, 1), or one-hot targets (n_samples, n_classes). It keeps `classes_` (the sorted
    distinct labels; 0..n_classes-1 for one-hot targets) and `n_classes_`, trains the model on
    the class indices, and one-hot encodes them when the model's loss is categorical
    cross-entropy. `predict` returns labels from `classes_`; `score` the model's accuracy.

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> def make_model():
        ...     model = multinn.Sequential([Dense(1, activation="sigmoid", input_shape=(1,))])
        ...     model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        ...     return model
        >>> clf = KerasClassifier(make_model, epochs=1, verbose=0)
        >>> history = clf.fit([[-1.0], [1.0]], [3, 7])
        >>> clf.classes_.tolist(), clf.n_classes_, clf.predict_proba([[0.0]]).shape
        ([3, 7], 2, (1, 2))
        >>> clf.predict([[0.0]]).tolist()[0] in (3, 7), 0.0 <= clf.score([[-1.0], [1.0]], [3, 7]) <= 1.0
        (True, True)
    """

    _estimator_type = "classifier"

    def fit(self, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        """Builds a new model and trains it on (x, y), y as labels or one-hot targets; returns the History.

        Raises:
            ValueError: y is neither (n_samples,), (n_samples, 1) nor (n_samples, n_classes).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(3, activation="softmax", input_shape=(1,))])
            ...     model.compile("sgd", "categorical_crossentropy")
            ...     return model
            >>> clf = KerasClassifier(make_model, verbose=0)
            >>> clf.fit([[0.0], [1.0], [2.0]], ["b", "a", "c"]).epoch, clf.classes_.tolist()
            ([0], ['a', 'b', 'c'])
        """
        values = _host_values(y)
        shape = _shape_of(values)
        if len(shape) == 2 and shape[1] > 1:
            self.classes_ = _host_array(list(range(shape[1])), "int64")
            targets = y
        elif len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
            labels = values if len(shape) == 1 else [row[0] for row in values]
            self.classes_ = _host_array(sorted(set(labels)), _label_dtype(y, labels))
            targets = self._encode(labels)
        else:
            raise ValueError(
                "KerasClassifier.fit takes y as labels of shape (n_samples,) or (n_samples, 1), or as one-hot "
                f"targets of shape (n_samples, n_classes). Received: y with shape {shape}"
            )
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, targets, **kwargs)

    def _encode(self, labels: list) -> Any:
        """Class indices (int64, shape (n,)) of labels found in `classes_`."""
        index = {label: i for i, label in enumerate(self.classes_.tolist())}
        try:
            codes = [index[label] for label in labels]
        except KeyError as exc:
            raise ValueError(
                f"The label {exc.args[0]!r} is not one of the classes the classifier was fitted on "
                f"({self.classes_.tolist()}). Received: y with the label {exc.args[0]!r}"
            ) from None
        return K.convert_to_tensor(codes, dtype="int64").numpy()

    def _targets(self, y: Any) -> Any:
        if _is_categorical_crossentropy(self.model.loss) and len(_shape_of(_host_values(y))) == 1:
            return to_categorical(y, num_classes=self.n_classes_)
        return y

    def _labels_as_targets(self, y: Any) -> Any:
        values = _host_values(y)
        shape = _shape_of(values)
        if len(shape) == 2 and shape[1] > 1:
            return y
        return self._targets(self._encode(values if len(shape) == 1 else [row[0] for row in values]))

    def predict(self, x: Any, **kwargs: Any) -> Any:
        """The predicted labels (from `classes_`), shape (n_samples,).

        The class is the output's argmax, or output > 0.5 for a single sigmoid unit (Keras 2's
        `predict_classes`; Keras 2 gives that case the shape (n_samples, 1)). `kwargs` are
        arguments of `Sequential.predict_classes` (batch_size, verbose), over sk_params.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(2, activation="softmax", input_shape=(1,))])
            ...     model.compile("sgd", "sparse_categorical_crossentropy")
            ...     return model
            >>> clf = KerasClassifier(make_model, epochs=1, verbose=0)
            >>> _ = clf.fit([[0.0], [1.0]], ["cat", "dog"])
            >>> set(clf.predict([[0.0], [1.0]], batch_size=1).tolist()) <= {"cat", "dog"}
            True
        """
        proba = _predict(self.model.predict, self.model, x, self._model_args("predict_classes", kwargs))
        return self.classes_[_class_indices(proba)]

    def predict_proba(self, x: Any, **kwargs: Any) -> Any:
        """Class probabilities, shape (n_samples, n_classes); a single sigmoid output p gives the columns (1 - p, p).

        `kwargs` are arguments of `Sequential.predict_proba` (batch_size, verbose), over sk_params.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(1, activation="sigmoid", input_shape=(1,))])
            ...     model.compile("sgd", "binary_crossentropy")
            ...     return model
            >>> clf = KerasClassifier(make_model, epochs=1, verbose=0)
            >>> _ = clf.fit([[0.0], [1.0]], [0, 1])
            >>> proba = clf.predict_proba([[0.5]])
            >>> proba.shape, round(float(proba.sum()), 5)
            ((1, 2), 1.0)
        """
        predict = getattr(self.model, "predict_proba", self.model.predict)
        probs = _predict(predict, self.model, x, self._model_args("predict_proba", kwargs))
        if probs.shape[1] == 1:
            p = K.convert_to_tensor(probs)
            probs = K.concatenate([1.0 - p, p], axis=-1).numpy()
        return probs

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy on (x, y), from `evaluate`.

        Raises:
            ValueError: the model was compiled without an accuracy metric: as in Keras 2, score
                reads the metric named 'accuracy' or 'acc' (metrics=["accuracy"] or ["acc"]).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(2, activation="softmax", input_shape=(1,))])
            ...     model.compile("sgd", "sparse_categorical_crossentropy")
            ...     return model
            >>> clf = KerasClassifier(make_model, epochs=1, verbose=0)
            >>> _ = clf.fit([[0.0], [1.0]], [0, 1])
            >>> clf.score([[0.0], [1.0]], [0, 1])
            Traceback (most recent call last):
            ...
            ValueError: The model is not configured to compute accuracy. ...
        """
        targets = self._labels_as_targets(y)
        outputs = self.model.evaluate(x, targets, **self._model_args("evaluate", kwargs))
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, value in zip(self.model.metrics_names, outputs):
            if name in _ACCURACY_NAMES:
                return value
        raise ValueError(
            "The model is not configured to compute accuracy. KerasClassifier.score reads the metric named "
            "'accuracy' or 'acc': pass metrics=['accuracy'] to model.compile(). "
            f"Received: metrics_names={list(self.model.metrics_names)}"
        )


class KerasRegressor(BaseWrapper):
    """scikit-learn's regressor interface for a Keras model (`keras.wrappers.scikit_learn.KerasRegressor`).

    Example:
        >>> import multinn
        >>> from multinn.layers import Dense
        >>> def make_model(units=4):
        ...     model = multinn.Sequential([Dense(units, input_shape=(2,)), Dense(1)])
        ...     model.compile("sgd", "mse")
        ...     return model
        >>> reg = KerasRegressor(make_model, units=3, epochs=2, verbose=0)
        >>> _ = reg.fit([[0.0, 1.0], [1.0, 0.0]], [1.0, 2.0])
        >>> reg.predict([[0.5, 0.5]]).shape, reg.score([[0.0, 1.0]], [1.0]) <= 0.0
        ((1,), True)
    """

    _estimator_type = "regressor"

    def predict(self, x: Any, **kwargs: Any) -> Any:
        """The predictions with the size-1 axes after the first dropped: (n_samples,) for one output unit.

        Keras 2 squeezes every size-1 axis, so one sample gives a 0-d array; here the sample
        axis stays. `kwargs` are arguments of `Sequential.predict`, over sk_params.

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones")])
            ...     model.compile("sgd", "mse")
            ...     return model
            >>> reg = KerasRegressor(make_model, epochs=1, verbose=0)
            >>> _ = reg.fit([[1.0]], [1.0])
            >>> reg.predict([[1.0], [2.0]]).shape
            (2,)
        """
        preds = _predict(self.model.predict, self.model, x, self._model_args("predict", kwargs))
        shape = tuple(preds.shape)
        kept = shape[:1] + tuple(d for d in shape[1:] if d != 1)
        return preds if kept == shape else K.reshape(preds, kept).numpy()

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the model's loss on (x, y) (greater is better, as scikit-learn expects of a score).

        Example:
            >>> import multinn
            >>> from multinn.layers import Dense
            >>> def make_model():
            ...     model = multinn.Sequential([Dense(1, input_shape=(1,), kernel_initializer="ones", use_bias=False)])
            ...     model.compile("sgd", "mse")
            ...     return model
            >>> reg = KerasRegressor(make_model, epochs=1, verbose=0, batch_size=1)
            >>> _ = reg.fit([[0.0]], [0.0])
            >>> reg.score([[1.0], [2.0]], [1.0, 4.0])
            -2.0
        """
        loss = self.model.evaluate(x, y, **self._model_args("evaluate", kwargs))
        if isinstance(loss, list):
            return -loss[0]
        return -loss
