"""Turning what users pass to fit/evaluate/predict into lists of K tensors, once per call.

Keras 2's standardisation: a single array, a list of arrays or a dict keyed by input
(or output) name; Python lists of numbers are one array; 1-D arrays become (n, 1);
shapes are checked against the model's, with errors naming the input and both shapes.
"""
from __future__ import annotations

from typing import Any, Sequence

from multinn import backend as K

from .base_layer import to_list


def _is_number_list(value: Any) -> bool:
    """A nested Python list/tuple of numbers (one array, not a list of arrays)."""
    if isinstance(value, (int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_number_list(v) for v in value)
    return False


# Array dtypes that are not numbers, by the start of their name (`K.dtype`), and what to call them.
_NOT_NUMBERS = (
    ("str", "strings"),
    ("bytes", "bytes"),
    ("complex", "complex numbers (split real and imaginary parts into features)"),
    ("datetime64", "dates (datetime64; convert them to numbers first)"),
    ("timedelta64", "time spans (timedelta64; convert them to numbers first)"),
    ("void", "structured records"),
)


def _refuse_non_numbers(value: Any, argument: str) -> None:
    """A TypeError naming `argument` for arrays of strings, complex numbers, dates and the like:
    converting them to floats would fail deep inside, or silently drop their meaning."""
    if getattr(value, "dtype", None) is None:
        return
    name = K.dtype(value)
    for prefix, what in _NOT_NUMBERS:
        if name.startswith(prefix):
            raise TypeError(f"`{argument}` must hold numbers (bool, int or float), not {what}. Received: {argument} with dtype {name}")


def _is_scalar_list(value: Any) -> bool:
    """A nested Python list/tuple of scalars, strings included: for a single input, one array
    (of the wrong kind, if it holds strings), never a list of arrays."""
    if isinstance(value, (int, float, bool, str, bytes)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_scalar_list(v) for v in value)
    return False


def to_backend_tensor(value: Any, backend: Any, dtype: "str | None" = None, argument: str = "the data") -> K.Tensor:
    """`value` as a K tensor of `backend` (through the host when it lives on another backend).

    A sparse matrix (SciPy's, or anything with `toarray()`) is made dense, as Keras 2's
    non-TensorFlow backends feed it. Data that are not numbers (strings, complex numbers,
    dates) raise a TypeError naming `argument`.

    Example:
        >>> from multinn import backend as K
        >>> to_backend_tensor([[1, 2]], K.default_backend(), "float32").shape
        (1, 2)
        >>> to_backend_tensor([["a"]], K.default_backend(), argument="y")
        Traceback (most recent call last):
        ...
        TypeError: `y` must hold numbers (bool, int or float). Received: y of type list (could not convert string to float: 'a')
    """
    if hasattr(value, "toarray") and hasattr(value, "nnz"):
        value = value.toarray()
    if isinstance(value, K.Tensor):
        t = value
    else:
        _refuse_non_numbers(value, argument)
        try:
            with K.backend_scope(backend.name):
                t = K.convert_to_tensor(value)
        except (TypeError, ValueError) as error:
            if _is_number_list(value):  # numbers that make no rectangular array
                raise ValueError(f"`{argument}` could not be made into an array: {error}. Received: {argument} of "
                                 f"type {type(value).__name__}") from error
            raise TypeError(f"`{argument}` must hold numbers (bool, int or float). Received: {argument} of type "
                            f"{type(value).__name__} ({error})") from error
    if t.backend is not backend:
        with K.backend_scope(backend.name):
            t = K.convert_to_tensor(t.numpy())
    if dtype is not None and K.dtype(t) != dtype:
        t = K.cast(t, dtype)
    return t


def warn_if_not_finite(tensors: Sequence[Any], argument: str, stacklevel: int = 4) -> None:
    """Warns (once per call) when a floating tensor in `tensors` holds NaN or infinity, naming
    `argument`: training on such data turns the loss and then every weight into NaN.

    Two reductions per tensor (max and min, which NaN propagates through), read once per call.

    Example:
        >>> import warnings
        >>> from multinn import backend as K
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_if_not_finite([K.constant([1.0, float("nan")])], "x")
        >>> "`x` holds NaN or infinite values" in str(caught[0].message)
        True
    """
    import math
    import warnings

    for t in tensors:
        if t is None or not K.dtype(t).startswith(("float", "bfloat")) or not K.size(t):
            continue
        with K.no_grad():
            bounds = (float(K.max(t)), float(K.min(t)))
        if not all(math.isfinite(b) for b in bounds):
            warnings.warn(
                f"`{argument}` holds NaN or infinite values: training on them makes the loss and the weights NaN. "
                f"Received: {argument} with max={bounds[0]}, min={bounds[1]}",
                UserWarning,
                stacklevel=stacklevel,
            )
            return


def standardize_input_data(
    data: Any,
    names: Sequence[str],
    shapes: "Sequence | None",
    backend: Any,
    dtypes: "Sequence | None" = None,
    check_batch_axis: bool = True,
    exception_prefix: str = "input",
    argument: str = "x",
) -> list:
    """A list of K tensors, one per name, checked against `shapes` (None entries are not checked);
    errors about the values name `argument` (what the user passed: 'x', 'y', 'validation_data').

    Example:
        >>> from multinn import backend as K
        >>> xs = standardize_input_data([1.0], ["x"], [(None, 1)], K.default_backend())
        >>> xs[0].shape
        (1, 1)
    """
    names = list(names)
    if data is None:
        return [None] * len(names)
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(
                f"No data provided for {missing[0]!r}. Need data for each key in: {names}. Received: keys {sorted(data)}"
            )
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and not (len(names) == 1 and _is_scalar_list(data)):
        arrays = list(data)
    else:
        arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(
            f"Error when checking model {exception_prefix}: the list of arrays that you are passing to your model is "
            f"not the size the model expected. Expected to see {len(names)} array(s), but instead got {len(arrays)} "
            f"arrays."
        )
    out = []
    for i, (name, value) in enumerate(zip(names, arrays)):
        dtype = dtypes[i] if dtypes is not None else None
        label = argument if len(names) == 1 else f"{argument} ({exception_prefix} {name!r})"
        t = to_backend_tensor(value, backend, argument=label)
        if dtype is not None and K.dtype(t) != dtype and not (exception_prefix == "target"):
            t = K.cast(t, dtype)
        if t.ndim == 1:
            t = K.expand_dims(t, 1)
        if t.ndim == 0:
            t = K.reshape(t, (1, 1))
        if shapes is not None and shapes[i] is not None:
            _check_shape(t, tuple(shapes[i]), name, exception_prefix, check_batch_axis)
        out.append(t)
    return out


def _check_shape(t: K.Tensor, shape: tuple, name: str, prefix: str, check_batch_axis: bool) -> None:
    got = tuple(t.shape)
    if len(got) != len(shape):
        raise ValueError(
            f"Error when checking {prefix}: expected {name} to have {len(shape)} dimensions, but got array with "
            f"shape {got}"
        )
    for j, (want, have) in enumerate(zip(shape, got)):
        if j == 0 and not check_batch_axis:
            continue
        if want is not None and want != have:
            raise ValueError(
                f"Error when checking {prefix}: expected {name} to have shape {shape[1:]} but got array with shape "
                f"{got[1:]}"
            )


def check_array_lengths(inputs: list, targets: list, weights: "list | None" = None) -> None:
    """All arrays must hold the same number of samples."""
    def lengths(items):
        return {int(x.shape[0]) for x in items if x is not None}

    sets = [("input", lengths(inputs)), ("target", lengths(targets)), ("sample_weight", lengths(weights or []))]
    for kind, s in sets:
        if len(s) > 1:
            raise ValueError(f"All {kind} arrays (x) should have the same number of samples. Got array sizes: {sorted(s)}")
    known = [(kind, next(iter(s))) for kind, s in sets if s]
    for kind, n in known[1:]:
        if n != known[0][1]:
            raise ValueError(
                f"{known[0][0].capitalize()} arrays should have the same number of samples as {kind} arrays. Found "
                f"{known[0][1]} {known[0][0]} samples and {n} {kind} samples."
            )


def check_array_length_consistency(inputs: Any, targets: Any, weights: Any = None) -> None:
    """Keras 2's check that inputs, targets and sample weights hold one number of samples,
    counting a missing array (None) as 0 samples.

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 2))
        >>> check_array_length_consistency([a], [a], None)
        Traceback (most recent call last):
        ...
        ValueError: Target arrays should have the same number of samples as sample_weight arrays. Found 4 target samples and 0 sample_weight samples.
    """
    def lengths(arrays):
        if arrays is None:
            return {0}
        items = arrays if isinstance(arrays, (list, tuple)) else [arrays]
        return {0 if x is None else int(x.shape[0]) for x in items}

    kinds = [("input", lengths(inputs)), ("target", lengths(targets)), ("sample_weight", lengths(weights))]
    for kind, found in kinds:
        if len(found) > 1:
            raise ValueError(f"All {kind} arrays should have the same number of samples. Got array sizes: {sorted(found)}")
    for (kind_a, (n_a,)), (kind_b, (n_b,)) in zip(kinds, kinds[1:]):
        if n_a != n_b:
            raise ValueError(
                f"{kind_a.capitalize()} arrays should have the same number of samples as {kind_b} arrays. Found "
                f"{n_a} {kind_a} samples and {n_b} {kind_b} samples."
            )


def _loss_function(loss: Any) -> Any:
    """The plain function behind a loss (a function, or a Loss object wrapping one)."""
    return getattr(loss, "fn", loss)


def check_loss_and_target_compatibility(targets: list, loss_fns: list, output_shapes: list) -> None:
    """Keras 2's early errors for targets that cannot match their loss: one-column targets for
    categorical cross-entropy, and (for the mse / binary / categorical cross-entropy Loss
    objects) targets shaped unlike their output.

    Example:
        >>> import numpy as np
        >>> from multinn import losses
        >>> check_loss_and_target_compatibility([np.zeros((2, 3))], [losses.MeanSquaredError()], [(None, 4)])
        Traceback (most recent call last):
        ...
        ValueError: A target array with shape (2, 3) was passed for an output of shape (None, 4) while using as loss `mean_squared_error`. This loss expects targets to have the same shape as the output.
    """
    from multinn import losses

    same_shape = (losses.mean_squared_error, losses.binary_crossentropy, losses.categorical_crossentropy)
    for y, loss, shape in zip(targets, loss_fns, output_shapes):
        if y is None or loss is None:
            continue
        fn = _loss_function(loss)
        y_shape = tuple(y.shape)
        if fn is losses.categorical_crossentropy and y_shape[-1] == 1:
            raise ValueError(
                f"You are passing a target array of shape {y_shape} while using as loss `categorical_crossentropy`. "
                "`categorical_crossentropy` expects targets to be binary matrices (1s and 0s) of shape "
                "(samples, classes). If your targets are integer classes, use `sparse_categorical_crossentropy` "
                "or one-hot encode them."
            )
        if isinstance(loss, losses.Loss) and fn in same_shape:
            for target_dim, out_dim in zip(y_shape[1:], tuple(shape)[1:]):
                if out_dim is not None and target_dim != out_dim:
                    raise ValueError(
                        f"A target array with shape {y_shape} was passed for an output of shape {tuple(shape)} while "
                        f"using as loss `{fn.__name__}`. This loss expects targets to have the same shape as the output."
                    )


def weighted_masked_objective(fn: Any) -> Any:
    """`fn(y_true, y_pred)` made into Keras 2's `weighted(y_true, y_pred, weights, mask=None)`:
    the mean score with masked-out entries left out and samples weighted (see `weighted_mean`).

    Example:
        >>> from multinn import backend as K
        >>> from multinn import losses
        >>> weighted = weighted_masked_objective(losses.mean_absolute_error)
        >>> float(weighted(K.constant([[0.0], [0.0]]), K.constant([[1.0], [3.0]]), K.constant([1.0, 0.0])))
        1.0
    """
    if fn is None:
        return None

    def weighted(y_true: Any, y_pred: Any, weights: Any, mask: Any = None) -> Any:
        return weighted_mean(fn(y_true, y_pred), weights, mask)

    weighted.__name__ = getattr(fn, "__name__", "weighted")
    return weighted


def _shown(argument: str, value: Any) -> str:
    """`argument=value` for a message (Keras 2's wording), the entries' types standing for a
    value too long to read."""
    text = repr(value)
    if len(text) > 200:  # arrays: their types say enough
        text = "[" + ", ".join(type(v).__name__ for v in value) + "]"
    return f"{argument}={text}"


def per_output(
    value: Any,
    output_names: Sequence[str],
    argument: str,
    *,
    sequences: tuple = (list, tuple),
    others: str = "broadcast",
    default: Any = None,
    required: Sequence[str] = (),
    foreign_keys_ok: bool = False,
) -> list:
    """One entry per model output from a per-output argument (loss, loss_weights,
    sample_weight_mode, sample_weight, class_weight, target_tensors), as Keras 2 reads them.

    Args:
        value: a dict by output name, a sequence with one entry per output, or one value.
        output_names: the model's output names, in order.
        argument: the argument's name, for the errors.
        sequences: the types read as one entry per output (the length is checked).
        others: what any other value means: 'broadcast' (the same entry for every output)
            or 'error' (a TypeError).
        default: the entry of an output that a dict leaves out.
        required: the output names a dict must hold (an error names the first one missing).
        foreign_keys_ok: dict keys that are not strings are ignored (Keras 2 code keys
            weights by target placeholders); otherwise every key must name an output.

    Example:
        >>> per_output({"b": 2.0}, ["a", "b"], "loss_weights", default=1.0)
        [1.0, 2.0]
        >>> per_output("mse", ["a", "b"], "loss")
        ['mse', 'mse']
        >>> per_output(["mse"], ["a", "b"], "loss")
        Traceback (most recent call last):
        ...
        ValueError: When passing a list as `loss`, it should have one entry per model output. The model has 2 outputs, but you passed loss=['mse']
    """
    names = list(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names and not (foreign_keys_ok and not isinstance(k, str))]
        if unknown:
            raise ValueError(
                f"Unknown entry in {argument} dictionary: {unknown[0]!r}. Only expected the following keys: {names}"
            )
        absent = [name for name in required if name not in value]
        if absent:
            raise ValueError(f"Output {absent[0]!r} missing from {argument} dictionary. Received: {argument}={value!r}")
        return [value.get(name, default) for name in names]
    if isinstance(value, sequences):
        if len(value) != len(names):
            raise ValueError(
                f"When passing a list as `{argument}`, it should have one entry per model output. The model has "
                f"{len(names)} outputs, but you passed {_shown(argument, value)}"
            )
        return list(value)
    if others == "broadcast":
        return [value] * len(names)
    raise TypeError(
        f"The model has {len(names)} outputs, so `{argument}` should be a list with one entry per output or a dict "
        f"keyed by output name. Received: {argument} of type {type(value).__name__}"
    )


def weights_per_output(weights: Any, output_names: Sequence[str], kind: str) -> list:
    """`sample_weight` or `class_weight` as one entry per output (Keras 2's rule).

    One output: the weights themselves, a list of one entry, or a dict holding the output's
    name. Several outputs: a list with one entry per output, or a dict keyed by output name
    (a plain {class: weight} dict as `class_weight` applies to every output).

    Example:
        >>> weights_per_output([{0: 1.0}], ["out"], "class_weight")
        [{0: 1.0}]
        >>> weights_per_output({"b": [1.0]}, ["a", "b"], "sample_weight")
        [None, [1.0]]
    """
    names = list(output_names)
    if weights is None or (isinstance(weights, (list, tuple)) and not weights):
        return [None] * len(names)
    if len(names) == 1:
        if isinstance(weights, (list, tuple)) and len(weights) == 1 and not _is_number_list(weights):
            return list(weights)
        if isinstance(weights, dict) and names[0] in weights:
            return [weights[names[0]]]
        return [weights]
    if kind == "class_weight" and isinstance(weights, dict) and not any(isinstance(v, dict) for v in weights.values()):
        return [weights] * len(names)
    # Keras 2: a tuple is neither a list nor a dict here; keys that name no output (and are no
    # string) are ignored, as Keras 2 ignores every unknown key, but a misspelled name is an error.
    return per_output(weights, names, kind, sequences=(list,), others="error", foreign_keys_ok=True)


def class_weights_to_sample_weights(y: K.Tensor, class_weight: dict) -> list:
    """Per-sample weights (a Python list) from a {class index: weight} dict, Keras 2's rule."""
    with K.no_grad():
        if y.ndim == 2 and y.shape[1] > 1:
            classes = K.argmax(y, axis=1).numpy().reshape(-1).tolist()
        else:
            classes = K.cast(K.reshape(y, (-1,)), "int64").numpy().tolist()
    missing = set(classes) - set(int(k) for k in class_weight)
    if missing:
        raise ValueError(
            f"`class_weight` must contain all classes in the data. The classes {sorted(missing)} exist in the data but "
            f"not in `class_weight`. Received: class_weight={class_weight!r}"
        )
    weights = {int(k): float(v) for k, v in class_weight.items()}
    return [weights[c] for c in classes]


def standardize_weights(
    y: Any, sample_weight: Any = None, class_weight: Any = None, sample_weight_mode: "str | None" = None, backend: Any = None,
    argument: str = "sample_weight",
) -> "K.Tensor | None":
    """The sample weights of one output as a K tensor, or None for uniform weights.

    Given both, `sample_weight` and the weights of each sample's class multiply (Keras 2.3.1).

    Example:
        >>> from multinn import backend as K
        >>> y = K.constant([0.0, 1.0, 1.0])
        >>> standardize_weights(y, [1.0, 2.0, 0.5], {0: 3.0, 1: 2.0}).numpy().tolist()
        [3.0, 4.0, 1.0]
    """
    mode = sample_weight_mode
    if backend is None:
        backend = y.backend if isinstance(y, K.Tensor) else K.default_backend()
    if not isinstance(y, K.Tensor):
        y = to_backend_tensor(y, backend)
    per_class = None
    if isinstance(class_weight, dict) and class_weight:
        if y.ndim > 2:
            raise ValueError(
                "`class_weight` is not supported for 3+ dimensional targets: weight the timesteps with a 2D "
                f"`sample_weight` and sample_weight_mode='temporal'. Received: targets of shape {tuple(y.shape)}"
            )
        with K.backend_scope(backend.name):
            per_class = K.constant(class_weights_to_sample_weights(y, class_weight))
    if sample_weight is not None:
        w = to_backend_tensor(sample_weight, backend, K.floatx(), argument=argument)
        if mode is None and w.ndim != 1:
            raise ValueError(
                f"Found a sample_weight array with shape {tuple(w.shape)}. In order to use timestep-wise sample "
                "weighting, you should pass a 2D sample_weight array and specify sample_weight_mode='temporal' in "
                "compile(). If you just mean to use sample-wise weights, make sure your sample_weight array is 1D."
            )
        if mode == "temporal" and w.ndim != 2:
            raise ValueError(f"Found a sample_weight with shape {tuple(w.shape)}; expected 2D for sample_weight_mode='temporal'.")
        if int(w.shape[0]) != int(y.shape[0]):
            raise ValueError(
                f"Found a sample_weight array with shape {tuple(w.shape)} for an input with shape {tuple(y.shape)}. "
                "sample_weight cannot be broadcast."
            )
        if per_class is None:
            return w
        return w * (per_class if w.ndim == 1 else K.expand_dims(per_class, 1))
    return per_class


def should_run_validation(validation_freq: Any, epoch: int) -> bool:
    """Whether the 0-based `epoch` validates: every `validation_freq`-th epoch (an int), or
    the 1-based epochs listed in it (a list, tuple or set).

    Example:
        >>> [should_run_validation(2, e) for e in range(4)], should_run_validation([1, 3], 2)
        ([False, True, False, True], True)
    """
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list, tuple, set, frozenset, range)):
        raise ValueError(
            "`validation_freq` must be an integer or a list, tuple or set of epochs. "
            f"Received: validation_freq={validation_freq!r}"
        )
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: validation_freq={validation_freq!r}")
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def make_batches(size: int, batch_size: int) -> list:
    """(start, end) pairs covering range(size) in steps of batch_size.

    Example:
        >>> make_batches(5, 2)
        [(0, 2), (2, 4), (4, 5)]
    """
    return [(start, min(size, start + batch_size)) for start in range(0, size, batch_size)]


def add_weighted(sums: "list | None", values: Sequence[Any], size: int) -> list:
    """The running per-output sums with `values` of a batch of `size` samples added (`sums`
    None before the first batch); dividing by the samples seen gives the per-sample means.

    Example:
        >>> add_weighted(add_weighted(None, [1.0, 2.0], 2), [4.0, 0.0], 1)
        [6.0, 4.0]
    """
    return [v * size for v in values] if sums is None else [s + v * size for s, v in zip(sums, values)]


def weighted_mean(score: K.Tensor, weights: "K.Tensor | None", mask: Any = None) -> K.Tensor:
    """Keras 2's weighted, masked objective.

    Masked-out entries are zeroed and the rest scaled by 1 / mean(mask); then the
    per-sample scores are weighted and divided by the share of non-zero weights.

    Example:
        >>> from multinn import backend as K
        >>> float(weighted_mean(K.constant([1.0, 3.0]), K.constant([1.0, 0.0])))
        1.0
    """
    if mask is not None:
        mask = K.cast(mask, K.dtype(score))
        if mask.ndim > score.ndim:
            mask = K.mean(mask, axis=list(range(score.ndim, mask.ndim)))
        score = score * mask / (K.mean(mask) + K.epsilon())
    if weights is None:
        return K.mean(score)
    if score.ndim > weights.ndim:
        score = K.mean(score, axis=list(range(weights.ndim, score.ndim)))
    score = score * weights
    nonzero = K.mean(K.cast(K.not_equal(weights, 0), K.dtype(score)))
    return K.mean(score) / K.maximum(nonzero, K.epsilon())


def update_metric_object(metric: Any, y_true: Any, y_pred: Any, weights: "K.Tensor | None", mask: Any = None) -> K.Tensor:
    """Adds a batch to a metric object and returns (a copy of) its running result.

    A mask becomes the sample weights, or multiplies them (Keras 2.3's rule for metrics).

    Example:
        >>> from multinn import backend as K
        >>> from multinn.metrics import MeanAbsoluteError
        >>> m = MeanAbsoluteError()
        >>> float(update_metric_object(m, K.constant([[1.0], [5.0]]), K.constant([[0.0], [0.0]]), None,
        ...                            mask=K.constant([1.0, 0.0])))
        1.0
    """
    if mask is not None:
        mask = K.cast(mask, K.dtype(y_pred))
        if weights is None:
            weights = mask
        else:
            from multinn.utils.losses_utils import squeeze_or_expand_dimensions

            mask, _, weights = squeeze_or_expand_dimensions(mask, None, weights)
            weights = weights * mask
    metric.update_state(y_true, y_pred, sample_weight=weights)
    return K.identity(metric.result())


def epoch_values(labels: list, sums: "list | None", seen: int, last: "list | None", stateful: set) -> dict:
    """The epoch's logs: per-sample means of the batch values, except for the running values
    of metric objects (`stateful` labels), which are their last batch's values.

    Example:
        >>> epoch_values(["loss", "auc"], [6.0, 1.0], 4, [2.0, 0.9], {"auc"})
        {'loss': 1.5, 'auc': 0.9}
    """
    if not sums:
        return {}
    return {label: (last[j] if label in stateful else s / seen) for j, (label, s) in enumerate(zip(labels, sums))}


def to_list_of(x: Any) -> list:
    return to_list(x, allow_tuple=True)
