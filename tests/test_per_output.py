"""Per-output arguments read by one helper (issue 16, item 4): loss, loss_weights,
sample_weight_mode, sample_weight, class_weight and target_tensors give the same errors in the
same words, and what compile resolved is a named tuple read by field."""
from __future__ import annotations

import numpy as np
import pytest

from multinn import backend as K
from multinn.engine import training_utils as tu
from multinn.engine.training import OutputSetup
from multinn.layers import Dense, Input
from multinn.models import Model


def _two_outputs():
    a = Input(shape=(3,), name="a")
    return Model(a, [Dense(2, name="p")(a), Dense(2, name="q")(a)])


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)).astype("float32"), [rng.normal(size=(4, 2)).astype("float32") for _ in range(2)]


def test_per_output_reads_a_dict_a_list_or_one_value():
    names = ["p", "q"]
    assert tu.per_output({"q": 2.0}, names, "loss_weights", default=1.0) == [1.0, 2.0]
    assert tu.per_output(("mse", "mae"), names, "loss") == ["mse", "mae"]
    assert tu.per_output("mse", names, "loss") == ["mse", "mse"]
    with pytest.raises(TypeError, match="Received: loss_weights of type tuple$"):
        tu.per_output((1.0, 2.0), names, "loss_weights", sequences=(list,), others="error")
    with pytest.raises(ValueError, match="Output 'p' missing from sample_weight_mode dictionary"):
        tu.per_output({"q": None}, names, "sample_weight_mode", required=["p"])
    key = object()
    assert tu.per_output({key: 1, "q": 2}, names, "sample_weight", foreign_keys_ok=True) == [None, 2]
    with pytest.raises(ValueError, match="Unknown entry in sample_weight dictionary"):
        tu.per_output({key: 1}, names, "sample_weight")


def _compile(argument, value):
    model = _two_outputs()
    kwargs = {"loss": "mse", argument: value}
    model.compile("sgd", **kwargs)
    return model


def _fit(argument, value):
    model = _two_outputs()
    model.compile("sgd", "mse")
    x, ys = _data()
    model.fit(x, ys, verbose=0, **{argument: value})


WRONG_LENGTH = [
    (_compile, "loss", ["mse"]), (_compile, "loss_weights", [1.0]), (_compile, "sample_weight_mode", [None]),
    (_compile, "metrics", [["mae"]]), (_compile, "target_tensors", [K.zeros((4, 2))]),
    (_fit, "sample_weight", [np.ones(4)]), (_fit, "class_weight", [{0: 1.0}]),
]


@pytest.mark.parametrize("call, argument, value", WRONG_LENGTH, ids=[a for _, a, _ in WRONG_LENGTH])
def test_a_list_of_the_wrong_length_gets_one_message(call, argument, value):
    with pytest.raises(ValueError, match=f"^When passing a list as `{argument}`, it should have one entry per model "
                                         f"output. The model has 2 outputs, but you passed {argument}"):
        call(argument, value)


UNKNOWN_KEY = [
    (_compile, "loss", {"p": "mse", "zz": "mse"}), (_compile, "loss_weights", {"zz": 1.0}),
    (_compile, "sample_weight_mode", {"p": None, "q": None, "zz": None}),
    (_compile, "target_tensors", {"zz": K.zeros((4, 2))}),
    (_fit, "sample_weight", {"zz": np.ones(4)}), (_fit, "class_weight", {"zz": {0: 1.0}}),
]


@pytest.mark.parametrize("call, argument, value", UNKNOWN_KEY, ids=[a for _, a, _ in UNKNOWN_KEY])
def test_a_dict_naming_no_output_gets_one_message(call, argument, value):
    with pytest.raises(ValueError, match=f"^Unknown entry in {argument} dictionary: 'zz'. Only expected the following "
                                         "keys: \\['p', 'q'\\]$"):
        call(argument, value)


def test_compile_keeps_what_it_resolved_in_a_named_tuple():
    model = _two_outputs()
    model.compile("sgd", {"p": "mse", "q": "mae"}, loss_weights={"q": 0.5}, metrics={"q": ["mse"]})
    setup = model._output_setup
    assert isinstance(setup, OutputSetup)
    assert setup.output_names == ["p", "q"] and setup.loss_weights == [1.0, 0.5]
    assert [fn.__name__ for fn in setup.loss_fns] == ["mean_squared_error", "mean_absolute_error"]
    assert [[name for name, _, _ in fns] for fns in setup.metric_fns] == [[], ["mse"]]
