"""Stateful recurrent layers (Keras 2): states kept between batches, reset_states, errors, fit and saving.

The reference for every stateful result is the same layer run without state on the whole
sequence, or with the kept states passed explicitly as `initial_state`.
"""
from __future__ import annotations

import numpy as np
import pytest

import multinn
from multinn import backend as K
from multinn import optimizers
from multinn.layers import GRU, LSTM, Bidirectional, Dense, Input, SimpleRNN
from multinn.models import Model, Sequential, load_model

BATCH, TIME, FEATURES, UNITS = 3, 6, 4, 5
CLASSES = [SimpleRNN, LSTM, GRU]


def _data(shape=(BATCH, TIME, FEATURES), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


def _twin(layer, **overrides):
    """A stateless copy of `layer` (same config and weights), built on the full sequence."""
    config = {**layer.get_config(), "stateful": False, "name": layer.name + "_twin", **overrides}
    twin = type(layer).from_config(config)
    twin(K.constant(_data()))
    twin.set_weights(layer.get_weights())
    return twin


def _np(values):
    return [np.asarray(v) for v in values]


@pytest.mark.parametrize("cls", CLASSES)
def test_two_halves_equal_the_whole_sequence(backend_name, cls):
    x = _data()
    layer = cls(UNITS, stateful=True, return_sequences=True, return_state=True)
    first = _np(layer(K.constant(x[:, :2])))
    second = _np(layer(K.constant(x[:, 2:])))
    whole = _np(_twin(layer)(K.constant(x)))
    np.testing.assert_allclose(np.concatenate([first[0], second[0]], axis=1), whole[0], rtol=1e-5, atol=1e-6)
    for returned, kept, expected in zip(second[1:], layer.states, whole[1:]):
        np.testing.assert_allclose(returned, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(K.get_value(kept), expected, rtol=1e-5, atol=1e-6)
    assert first[1].shape == (BATCH, UNITS) and not np.allclose(first[1], second[1])


@pytest.mark.parametrize("cls", CLASSES)
def test_go_backwards_halves_in_reverse_order_equal_the_whole(backend_name, cls):
    # Backwards, the last half of the sequence comes first.
    x = _data(seed=1)
    layer = cls(UNITS, stateful=True, go_backwards=True, return_sequences=True)
    late = layer(K.constant(x[:, 3:])).numpy()
    early = layer(K.constant(x[:, :3])).numpy()
    whole = _twin(layer)(K.constant(x)).numpy()
    np.testing.assert_allclose(np.concatenate([late, early], axis=1), whole, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_masked_steps_keep_the_kept_state(backend_name, cls):
    x = _data(seed=2)
    mask = np.ones((BATCH, TIME), dtype=bool)
    mask[0, 2:4] = False  # across the cut between the halves
    mask[1, 3:] = False  # the whole second half
    layer = cls(UNITS, stateful=True, return_state=True)
    layer(K.constant(x[:, :3]), mask=K.constant(mask[:, :3], dtype="bool"))
    after_first = _np(layer.states)
    out = _np(layer(K.constant(x[:, 3:]), mask=K.constant(mask[:, 3:], dtype="bool")))
    whole = _np(_twin(layer)(K.constant(x), mask=K.constant(mask, dtype="bool")))
    for got, want in zip(out[1:], whole[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The output of sample 1, all of whose steps in this call are masked, is K.rnn's
    # "previous output" of this call (zeros), so only the other samples' outputs compare.
    np.testing.assert_allclose(out[0][[0, 2]], whole[0][[0, 2]], rtol=1e-5, atol=1e-6)
    # sample 1 saw only masked steps in the second call: its kept state did not move
    for before, now in zip(after_first, _np(layer.states)):
        np.testing.assert_array_equal(before[1], now[1])


def test_bidirectional_both_directions_are_stateful(backend_name):
    x = _data(seed=3)
    a, b = K.constant(x[:, :3]), K.constant(x[:, 3:])
    bi = Bidirectional(LSTM(UNITS, stateful=True, return_sequences=True), merge_mode=None)
    assert bi.stateful
    fwd_a, _ = bi(a)
    fwd_b, _ = bi(b)
    fwd_whole = _twin(bi.forward_layer)(K.constant(x)).numpy()
    bwd_whole = _twin(bi.backward_layer)(K.constant(x)).numpy()
    np.testing.assert_allclose(np.concatenate([np.asarray(fwd_a), np.asarray(fwd_b)], axis=1), fwd_whole,
                               rtol=1e-5, atol=1e-6)
    # The backward direction continues through the sequence from its end: feed the halves the other way.
    bi.reset_states()
    _, bwd_b = bi(b)
    _, bwd_a = bi(a)
    # Bidirectional reverses the backward outputs in time, so each half comes out in forward order.
    np.testing.assert_allclose(np.concatenate([np.asarray(bwd_a), np.asarray(bwd_b)], axis=1),
                               bwd_whole[:, ::-1], rtol=1e-5, atol=1e-6)


def test_bidirectional_reset_states_with_values_and_errors(backend_name):
    bi = Bidirectional(GRU(2, stateful=True), merge_mode="concat")
    bi(K.constant(_data()))
    values = [np.full((BATCH, 2), 0.5, "float32"), np.full((BATCH, 2), -0.5, "float32")]
    bi.reset_states(values)
    np.testing.assert_array_equal(K.get_value(bi.forward_layer.states[0]), values[0])
    np.testing.assert_array_equal(K.get_value(bi.backward_layer.states[0]), values[1])
    with pytest.raises(ValueError, match="expects 2 state values"):
        bi.reset_states(values[:1])
    bi.reset_states(values)
    with pytest.raises(ValueError, match="State 0 is incompatible with layer backward_gru"):
        bi.reset_states([values[0] * 0, np.zeros((BATCH, 3), "float32")])
    np.testing.assert_array_equal(K.get_value(bi.forward_layer.states[0]), values[0])  # untouched
    bi.reset_states()
    assert not np.any(K.get_value(bi.forward_layer.states[0])) and not np.any(K.get_value(bi.backward_layer.states[0]))
    with pytest.raises(AttributeError, match="not stateful"):
        Bidirectional(GRU(2)).reset_states()


@pytest.mark.parametrize("cls", CLASSES)
def test_reset_states_returns_to_the_zero_state_result(backend_name, cls):
    x = K.constant(_data(seed=4)[:, :3])
    layer = cls(UNITS, stateful=True)
    first = layer(x).numpy()
    again = layer(x).numpy()
    assert not np.allclose(first, again)  # the second call started from the kept states
    layer.reset_states()
    assert all(not np.any(K.get_value(s)) for s in layer.states)
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls", CLASSES)
def test_reset_states_with_values_equals_an_explicit_initial_state(backend_name, cls):
    x = _data(seed=5)[:, :3]
    layer = cls(UNITS, stateful=True)
    layer(K.constant(x))
    rng = np.random.default_rng(6)
    values = [rng.uniform(-1, 1, (BATCH, UNITS)).astype("float32") for _ in layer.states]
    layer.reset_states(values if len(values) > 1 else values[0])  # one state may come bare, as in Keras 2
    for kept, value in zip(layer.states, values):
        np.testing.assert_array_equal(K.get_value(kept), value)
    expected = _twin(layer)(K.constant(x), initial_state=[K.constant(v) for v in values]).numpy()
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_explicit_initial_state_is_used_and_the_final_states_are_kept(backend_name):
    x = _data(seed=7)[:, :3]
    layer = LSTM(UNITS, stateful=True, return_state=True)
    layer(K.constant(x))  # moves the kept states away from zero
    start = [K.constant(_data((BATCH, UNITS), seed=s)) for s in (8, 9)]
    out = _np(layer(K.constant(x), initial_state=start))
    expected = _np(_twin(layer)(K.constant(x), initial_state=start))
    for got, want in zip(out, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for kept, want in zip(layer.states, expected[1:]):
        np.testing.assert_allclose(K.get_value(kept), want, rtol=1e-5, atol=1e-6)


def test_states_are_non_trainable_variables_and_not_weights(backend_name):
    layer = LSTM(UNITS, stateful=True)
    assert layer.states == [None, None]  # not built yet
    layer(K.constant(_data()))
    assert [K.int_shape(s) for s in layer.states] == [(BATCH, UNITS), (BATCH, UNITS)]
    assert all(K.is_variable(s) and not s.trainable for s in layer.states)
    assert len(layer.weights) == 3 and layer.non_trainable_weights == []
    assert all(s is not w for s in layer.states for w in layer.weights)
    assert layer.get_config()["stateful"] is True
    assert type(layer).from_config(layer.get_config()).stateful is True


def test_layer_dtype_carries_to_the_states(backend_name):
    layer = GRU(2, stateful=True, dtype="float64")
    layer(K.constant(_data(), dtype="float64"))
    assert K.dtype(layer.states[0]) == "float64"


def test_no_gradient_crosses_batches(backend_name):
    # The second batch's loss treats the kept states as constants; the first batch's graph
    # still sees the states it started from although the variables changed in place since.
    a, b = K.constant(_data(seed=10)[:, :3]), K.constant(_data(seed=10)[:, 3:])
    layer = GRU(UNITS, stateful=True, return_sequences=True)
    layer(a)
    layer.reset_states()
    twin = _twin(layer, return_state=True)
    with K.GradientTape() as tape:
        loss = K.sum(K.square(layer(a))) + K.sum(layer(b))
    got = tape.gradient(loss, layer.trainable_weights)
    with K.GradientTape() as tape:
        ya, state = twin(a)
        yb, _ = twin(b, initial_state=[K.stop_gradient(state)])
        expected_loss = K.sum(K.square(ya)) + K.sum(yb)
    expected = tape.gradient(expected_loss, twin.trainable_weights)
    np.testing.assert_allclose(float(loss), float(expected_loss), rtol=1e-5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- errors
def test_unknown_batch_size_is_refused_at_build(backend_name):
    with pytest.raises(ValueError, match=r"batch_input_shape.*Received: input_shape=\(None, 3, 4\)"):
        Sequential([LSTM(2, stateful=True, input_shape=(3, 4))])
    with pytest.raises(ValueError, match="batch_shape"):
        GRU(2, stateful=True)(Input((3, 4)))
    # with a batch size given either way, it builds
    assert Sequential([LSTM(2, stateful=True, input_shape=(3, 4), batch_size=2)]).layers[0].states[0].shape == (2, 2)
    assert GRU(2, stateful=True, return_sequences=True)(Input(batch_shape=(5, 3, 4))).shape == (5, 3, 2)


def test_a_batch_of_another_size_is_refused(backend_name):
    layer = SimpleRNN(2, stateful=True)
    layer(K.constant(_data()))
    with pytest.raises(ValueError, match=r"batch size 3.*Received: a batch of 2 samples"):
        layer(K.constant(_data((2, 3, FEATURES))))
    model = Sequential([SimpleRNN(2, stateful=True, batch_input_shape=(BATCH, 3, FEATURES))])
    with pytest.raises(ValueError):
        model.predict(_data((2, 3, FEATURES)))


def test_reset_states_errors(backend_name):
    with pytest.raises(AttributeError, match="not stateful"):
        LSTM(2).reset_states()
    with pytest.raises(ValueError, match="no states yet"):
        LSTM(2, stateful=True).reset_states()
    layer = LSTM(2, stateful=True)
    layer(K.constant(_data()))
    with pytest.raises(ValueError, match=r"lstm.*expects 2 state value\(s\) of shapes \[\(3, 2\), \(3, 2\)\]"):
        layer.reset_states([np.zeros((BATCH, 2))])
    with pytest.raises(ValueError, match=r"State 1 is incompatible with layer lstm.*expected shape=\(3, 2\), "
                                         r"found shape=\(2, 2\)"):
        layer.reset_states([np.zeros((BATCH, 2)), np.zeros((2, 2))])
    # a refused reset changes nothing
    layer.reset_states([np.ones((BATCH, 2))] * 2)
    with pytest.raises(ValueError):
        layer.reset_states([np.zeros((BATCH, 2)), np.zeros((BATCH, 3))])
    assert np.all(K.get_value(layer.states[0]) == 1)


# ---------------------------------------------------------------------- models
def _stateful_model(learning_rate=0.05, seed=0):
    multinn.utils.set_random_seed(seed)
    model = Sequential([
        LSTM(4, stateful=True, return_sequences=True, batch_input_shape=(BATCH, 2, FEATURES)),
        GRU(3, stateful=True),
        Dense(1),
    ])
    model.compile(optimizers.SGD(learning_rate=learning_rate), "mse")
    return model


def _stateless_copy(model):
    """The same network without state, with explicit initial states as extra inputs."""
    lstm, gru, dense = model.layers
    x = Input((None, FEATURES))
    starts = [Input((4,)), Input((4,)), Input((3,))]
    h = LSTM(4, return_sequences=True, return_state=True)(x, initial_state=starts[:2])
    y, state = GRU(3, return_state=True)(h[0], initial_state=starts[2:])
    out = Dense(1)(y)
    copy = Model([x] + starts, [out] + h[1:] + [state])
    copy.set_weights(model.get_weights())
    return copy


def test_states_persist_across_batches_and_epochs_in_fit(backend_name):
    # A zero learning rate keeps the weights fixed, so the kept states must equal one
    # stateless run over every chunk seen, in order.
    model = _stateful_model(learning_rate=0.0)
    chunks = [_data((BATCH, 2, FEATURES), seed=s) for s in (11, 12)]
    target = np.zeros((BATCH, 1), "float32")
    model.fit(chunks[0], target, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    model.train_on_batch(chunks[1], target)
    copy = _stateless_copy(model)
    whole = np.concatenate([chunks[0], chunks[0], chunks[1]], axis=1)
    zeros = [np.zeros((BATCH, n), "float32") for n in (4, 4, 3)]
    _, h, c, g = copy.predict([whole] + zeros, batch_size=BATCH)
    kept = _np(model.layers[0].states + model.layers[1].states)
    for got, want in zip(kept, [h, c, g]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_fit_then_predict_uses_and_updates_the_carried_state(backend_name):
    model = _stateful_model()
    rng = np.random.default_rng(13)
    for _ in range(3):
        x = rng.uniform(-1, 1, (BATCH, 2, FEATURES)).astype("float32")
        history = model.fit(x, x[:, -1, :1], batch_size=BATCH, shuffle=False, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    carried = _np(model.layers[0].states + model.layers[1].states)
    assert all(np.any(s) for s in carried)
    x = rng.uniform(-1, 1, (BATCH, 2, FEATURES)).astype("float32")
    copy = _stateless_copy(model)
    want, h, c, g = copy.predict([x] + carried, batch_size=BATCH)
    np.testing.assert_allclose(model.predict(x, batch_size=BATCH), want, rtol=1e-4, atol=1e-5)
    # predict kept the final states too (Keras 2 updates them in inference as well)
    for got, expected in zip(_np(model.layers[0].states + model.layers[1].states), [h, c, g]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    model.reset_states()
    assert all(not np.any(K.get_value(s)) for s in model.layers[0].states + model.layers[1].states)
    zeros = [np.zeros_like(s) for s in carried]
    np.testing.assert_allclose(model.predict(x, batch_size=BATCH), copy.predict([x] + zeros)[0],
                               rtol=1e-4, atol=1e-5)


def test_fit_over_several_batches_with_shuffle_false(backend_name):
    model = _stateful_model()
    x = _data((2 * BATCH, 2, FEATURES), seed=14)
    model.fit(x, x[:, -1, :1], batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    model.predict(x, batch_size=BATCH)
    assert model.stateful
    n = BATCH + 1
    with pytest.raises(ValueError, match=rf"divides by the batch size.*Received: {n} samples with batch_size={BATCH}"):
        model.fit(x[:n], x[:n, -1, :1], batch_size=BATCH, verbose=0)
    with pytest.raises(ValueError, match="divides by the batch size"):
        model.predict(x[:n], batch_size=BATCH)


def test_a_model_inside_a_model_is_stateful_through_its_layers(backend_name):
    inner = _stateful_model()
    outer = Sequential([inner])
    assert outer.stateful and not Sequential([Dense(1, input_shape=(2,))]).stateful
    x = _data((BATCH, 2, FEATURES), seed=17)
    first = outer.predict(x, batch_size=BATCH)
    assert not np.allclose(outer.predict(x, batch_size=BATCH), first)
    outer.reset_states()
    np.testing.assert_allclose(outer.predict(x, batch_size=BATCH), first, rtol=1e-6, atol=1e-7)
    with pytest.raises(AttributeError, match="set `stateful` on the layers"):
        outer.stateful = True


def test_functional_model_reset_states_reaches_bidirectional(backend_name):
    x = Input(batch_shape=(BATCH, 2, FEATURES))
    y = Bidirectional(SimpleRNN(2, stateful=True))(x)
    model = Model(x, Dense(1)(y))
    data = _data((BATCH, 2, FEATURES), seed=15)
    first = model.predict(data, batch_size=BATCH)
    assert not np.allclose(model.predict(data, batch_size=BATCH), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(data, batch_size=BATCH), first, rtol=1e-6, atol=1e-7)


def test_save_and_load_a_stateful_model(backend_name, tmp_path):
    model = _stateful_model()
    x = _data((BATCH, 2, FEATURES), seed=16)
    model.fit(x, x[:, -1, :1], batch_size=BATCH, shuffle=False, verbose=0)
    path = str(tmp_path / "stateful.mnn")
    model.save(path)
    loaded = load_model(path)
    assert [layer.stateful for layer in loaded.layers] == [True, True, False]
    assert loaded.layers[0].get_config()["batch_input_shape"] == (BATCH, 2, FEATURES)
    # the kept states are not weights: the same weights as a stateless LSTM + GRU + Dense, and
    # the loaded model starts from zero states
    assert len(loaded.get_weights()) == 3 + 3 + 2
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(not np.any(K.get_value(s)) for s in loaded.layers[0].states + loaded.layers[1].states)
    model.reset_states()
    np.testing.assert_allclose(loaded.predict(x, batch_size=BATCH), model.predict(x, batch_size=BATCH),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loaded.predict(x, batch_size=BATCH), model.predict(x, batch_size=BATCH),
                               rtol=1e-6, atol=1e-7)
