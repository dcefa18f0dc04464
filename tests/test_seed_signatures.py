"""Signatures the seeds' tf.keras 2 layer reference uses beside Keras 2.3.1's: Input(ragged=...),
Layer(dynamic=...), regularizers.l1(l1=...) / l2(l2=...)."""
import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import regularizers
from multinn.layers import Dense, Layer


def test_input_takes_the_tf_keras_signature():
    x = multinn.Input(shape=(3,), batch_size=4, name="seed_in", dtype="float32", sparse=False, tensor=None, ragged=False)
    assert x.shape == (4, 3)
    assert x._keras_history[0].name == "seed_in"


@pytest.mark.parametrize("kind, instead", [("sparse", "toarray"), ("ragged", "pad_sequences")])
def test_sparse_and_ragged_inputs_say_what_to_use_instead(kind, instead):
    for make in (lambda: multinn.Input(shape=(3,), **{kind: True}), lambda: multinn.layers.InputLayer(input_shape=(3,), **{kind: True})):
        with pytest.raises(NotImplementedError) as info:
            make()
        assert isinstance(info.value, ValueError)  # what Keras 2 code catching ValueError expects
        assert f"Received: {kind}=True" in str(info.value) and instead in str(info.value)


def test_dynamic_is_accepted_kept_in_the_config_and_reloaded(tmp_path, backend_name):
    assert Layer(trainable=True, name=None, dtype=None, dynamic=False).dynamic is False
    layer = Dense(2, dynamic=True)
    assert layer.dynamic and layer.get_config()["dynamic"] is True
    assert "dynamic" not in Dense(2).get_config()  # tf.keras writes it only when set
    assert Dense.from_config(layer.get_config()).dynamic

    model = multinn.Sequential([Dense(2, input_shape=(3,), dynamic=True)])
    path = str(tmp_path / "m.h5")
    model.save(path)
    again = multinn.models.load_model(path)
    assert again.layers[0].dynamic
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)


def test_dynamic_still_rejects_misspelled_keywords():
    with pytest.raises(TypeError, match="dynamc"):
        Dense(2, dynamc=True)


@pytest.mark.parametrize(
    "make, l1, l2",
    [
        (lambda: regularizers.l1(l1=0.3), 0.3, 0.0),
        (lambda: regularizers.l1(l=0.3), 0.3, 0.0),
        (lambda: regularizers.l1(0.3), 0.3, 0.0),
        (lambda: regularizers.l1(), 0.01, 0.0),
        (lambda: regularizers.l2(l2=0.2), 0.0, 0.2),
        (lambda: regularizers.l2(l=0.2), 0.0, 0.2),
        (lambda: regularizers.l2(), 0.0, 0.01),
    ],
)
def test_regularizer_factor_keywords_of_both_apis(make, l1, l2, backend_name):
    w = np.array([[-1.5, 2.0], [0.25, -3.0]])
    expected = l1 * np.abs(w).sum() + l2 * (w ** 2).sum()
    reg = make()
    assert reg.get_config() == {"l1": l1, "l2": l2}
    np.testing.assert_allclose(K.eval(reg(K.constant(w, dtype="float64"))), expected, rtol=1e-12)


@pytest.mark.parametrize("function, name", [(regularizers.l1, "l1"), (regularizers.l2, "l2")])
def test_regularizer_factor_given_twice_is_refused(function, name):
    with pytest.raises(TypeError, match=f"Received: l=0.1, {name}=0.2"):
        function(0.1, **{name: 0.2})
