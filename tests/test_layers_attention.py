"""EinsumDense, Attention, AdditiveAttention and MultiHeadAttention: layer_test, NumPy formulas,
masks, causal masking, dropout, return_attention_scores, saving. (tf.keras parity: test_layers_tf_reference.py.)"""
import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import (
    AdditiveAttention, Attention, Dense, EinsumDense, Embedding, GlobalAveragePooling1D, GroupNormalization, Input,
    LayerNormalization, MultiHeadAttention,
)
from multinn.models import Model, load_model
from tests.layer_test import layer_test

rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ EinsumDense
@pytest.mark.parametrize(
    "kwargs,input_shape,kernel,bias",
    [
        (dict(equation="ab,bc->ac", output_shape=4, bias_axes="c"), (3, 5), (5, 4), (4,)),
        (dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"), (2, 4, 5), (5, 2, 3), (2, 3)),
        (dict(equation="...b,bc->...c", output_shape=3, activation="tanh", bias_axes="c"), (2, 3, 4), (4, 3), (3,)),
        (dict(equation="abc...,cd->abd...", output_shape=(3, 2), bias_axes="d"), (2, 3, 4, 5), (4, 2), (2, 1)),
        (dict(equation="abc,cd->abd", output_shape=(None, 6)), (2, 3, 4), (4, 6), None),
    ],
)
def test_einsum_dense_layer_test_and_formula(backend_name, kwargs, input_shape, kernel, bias):
    out = layer_test(EinsumDense, kwargs=kwargs, input_shape=input_shape)
    layer = EinsumDense(**kwargs)
    x = rand(*input_shape)
    layer(K.constant(x))
    weights = [rand(*w.shape) for w in layer.get_weights()]
    assert tuple(weights[0].shape) == kernel
    assert (tuple(weights[1].shape) if len(weights) > 1 else None) == bias
    layer.set_weights(weights)
    want = np.einsum(kwargs["equation"], x, weights[0])
    if bias is not None:
        want = want + weights[1]
    if kwargs.get("activation") == "tanh":
        want = np.tanh(want)
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    assert out.shape == want.shape


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(equation="ab->b", output_shape=3), "must be of the form"),
        (dict(equation="ab,bc->ac", output_shape=3, bias_axes="z"), "bias axis 'z'"),
        (dict(equation="abc,cd->abd", output_shape=(5, 6)), "dimension 'b' the size 5"),
    ],
)
def test_einsum_dense_errors(backend_name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        EinsumDense(**kwargs)(K.ones((2, 3, 4)) if "abc" in kwargs["equation"] else K.ones((2, 3)))


# ------------------------------------------------------------------ Attention / AdditiveAttention
@pytest.mark.parametrize(
    "cls,kwargs,shapes",
    [
        (Attention, {}, [(2, 3, 4), (2, 5, 4)]),
        (Attention, {"use_scale": True}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
        (Attention, {"use_scale": True, "score_mode": "concat"}, [(2, 3, 4), (2, 5, 4)]),
        (AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
        (AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 4)]),
    ],
)
def test_dense_attention_layer_test(backend_name, cls, kwargs, shapes):
    layer_test(cls, kwargs=kwargs, input_shape=shapes)


def _dense_attention_reference(score_fn, q, v, k, q_mask=None, v_mask=None, causal=False):
    scores = score_fn(q, k)
    if v_mask is not None:
        scores = scores - 1e9 * (~v_mask[:, None, :])
    if causal:
        tq, tv = scores.shape[-2:]
        scores = scores - 1e9 * (np.arange(tq)[:, None] < np.arange(tv)[None, :])
    weights = softmax(scores)
    out = weights @ v
    if q_mask is not None:
        out = out * q_mask[:, :, None]
    return out, weights


def test_attention_formula_with_masks_and_causal(backend_name):
    q, v, k = rand(2, 4, 3), rand(2, 4, 3), rand(2, 4, 3)
    q_mask = np.array([[True, True, True, False], [True, False, True, True]])
    v_mask = np.array([[True, True, False, True], [True, True, True, True]])
    layer = Attention(use_scale=True)
    layer([K.constant(q), K.constant(v), K.constant(k)])
    layer.set_weights([np.array(0.7, dtype=np.float32)])
    out, scores = layer([K.constant(q), K.constant(v), K.constant(k)], mask=[K.constant(q_mask), K.constant(v_mask)],
                        use_causal_mask=True, return_attention_scores=True)
    want, want_scores = _dense_attention_reference(
        lambda a, b: 0.7 * np.einsum("bik,bjk->bij", a, b), q, v, k, q_mask, v_mask, causal=True)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-5, atol=1e-6)
    assert np.all(np.triu(scores.numpy()[0], 1) == 0)


def test_additive_attention_formula(backend_name):
    q, v = rand(2, 3, 4), rand(2, 5, 4)
    v_mask = np.array([[True, True, False, True, True], [True, True, True, True, False]])
    layer = AdditiveAttention()
    layer([K.constant(q), K.constant(v)])
    scale = rand(4)
    layer.set_weights([scale])
    out = layer([K.constant(q), K.constant(v)], mask=[None, K.constant(v_mask)])
    want, _ = _dense_attention_reference(
        lambda a, b: (scale * np.tanh(a[:, :, None, :] + b[:, None, :, :])).sum(-1), q, v, v, None, v_mask)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-6)


def test_attention_dropout_only_in_training(backend_name):
    q = rand(2, 6, 4)
    layer = Attention(dropout=0.5)
    test_out = layer([K.constant(q), K.constant(q)], training=False).numpy()
    ref, weights = _dense_attention_reference(lambda a, b: np.einsum("bik,bjk->bij", a, b), q, q, q)
    np.testing.assert_allclose(test_out, ref, rtol=1e-5, atol=1e-6)
    _, scores = layer([K.constant(q), K.constant(q)], training=True, return_attention_scores=True)
    out = layer([K.constant(q), K.constant(q)], training=True).numpy()
    assert not np.allclose(out, ref)
    # tf.keras's Attention returns the scores after dropout: each is 0 or the softmax scaled by 1/(1-rate)
    s = scores.numpy()
    dropped = s == 0
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(s[~dropped], 2 * weights[~dropped], rtol=1e-5, atol=1e-6)


def test_attention_propagates_the_query_mask(backend_name):
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 0]])
    inp = Input(shape=(5,), dtype="int32")
    emb = Embedding(10, 4, mask_zero=True)
    e = emb(inp)
    att = Attention()
    model = Model(inp, att([e, e]))
    got = model.predict(tokens)
    vectors = K.get_value(emb.embeddings)[tokens]
    mask = tokens != 0
    want, _ = _dense_attention_reference(lambda a, b: np.einsum("bik,bjk->bij", a, b), vectors, vectors, vectors,
                                         mask, mask)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert model.layers[-1].compute_mask([e, e], [K.constant(mask), K.constant(mask)]).numpy().tolist() == mask.tolist()


def test_attention_masks_in_a_model_come_from_propagation(backend_name):
    q, q_mask = Input(shape=(3, 4)), Input(shape=(3,), dtype="bool")
    with pytest.raises(ValueError, match="mask propagation"):
        Attention()([q, q], mask=[q_mask, q_mask])


def test_attention_rejects_a_single_input(backend_name):
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        Attention()(K.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="cosine")


# ------------------------------------------------------------------ MultiHeadAttention
@pytest.mark.parametrize(
    "kwargs,shapes",
    [
        (dict(num_heads=2, key_dim=2), [(2, 3, 4), (2, 2, 4), (2, 2, 4)]),
        (dict(num_heads=2, key_dim=2, value_dim=3, output_shape=2, use_bias=False), [(2, 3, 3), (2, 2, 4), (2, 2, 5)]),
        (dict(num_heads=1, key_dim=2, attention_axes=(2,)), [(2, 2, 3, 3), (2, 2, 3, 3), (2, 2, 3, 3)]),
    ],
)
def test_multi_head_attention_layer_test(backend_name, kwargs, shapes):
    layer_test(MultiHeadAttention, kwargs=kwargs, input_shape=shapes)


def _mha_reference(weights, q, v, k, num_heads, key_dim, mask=None):
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    # project to heads: (batch, steps, heads, size)
    pq = np.tensordot(q, wq, axes=([2], [0])) + bq
    pk = np.tensordot(k, wk, axes=([2], [0])) + bk
    pv = np.tensordot(v, wv, axes=([2], [0])) + bv
    out = np.zeros(q.shape[:2] + (num_heads, wv.shape[-1]))
    all_scores = []
    for h in range(num_heads):
        s = pq[:, :, h, :] @ pk[:, :, h, :].transpose(0, 2, 1) / np.sqrt(key_dim)
        if mask is not None:
            s = s + (1.0 - mask) * -1e9
        p = softmax(s)
        all_scores.append(p)
        out[:, :, h, :] = p @ pv[:, :, h, :]
    final = np.tensordot(out, wo, axes=([2, 3], [0, 1])) + bo
    return final, np.stack(all_scores, axis=1)


def test_multi_head_attention_formula_with_mask_and_causal(backend_name):
    q, v = rand(2, 4, 6), rand(2, 5, 6)
    mask = rng.random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True  # every query step sees something
    layer = MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    layer(K.constant(q), K.constant(v))
    weights = [rand(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    out, scores = layer(K.constant(q), K.constant(v), attention_mask=K.constant(mask), return_attention_scores=True)
    want, want_scores = _mha_reference(weights, q, v, v, 3, 2, mask)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), want_scores, rtol=1e-4, atol=1e-5)
    causal = np.tril(np.ones((4, 5), dtype=bool))
    out = layer(K.constant(q), K.constant(v), use_causal_mask=True)
    np.testing.assert_allclose(out.numpy(), _mha_reference(weights, q, v, v, 3, 2, causal[None])[0], rtol=1e-4, atol=1e-5)


def test_multi_head_attention_weight_order_is_tf_keras(backend_name):
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=7)
    layer(K.ones((1, 2, 5)), K.ones((1, 3, 6)))
    assert [w.name for w in layer.weights] == [
        "query/kernel:0", "query/bias:0", "key/kernel:0", "key/bias:0", "value/kernel:0", "value/bias:0",
        "attention_output/kernel:0", "attention_output/bias:0"]
    assert [tuple(w.shape) for w in layer.get_weights()] == [(5, 2, 3), (2, 3), (6, 2, 3), (2, 3), (6, 2, 4), (2, 4),
                                                            (2, 4, 7), (7,)]


def test_multi_head_attention_in_a_model_returns_scores_and_saves(backend_name, tmp_path):
    q_in = Input(shape=(4, 6))
    mask_in = Input(shape=(4, 4), dtype="bool")
    mha = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1)
    out, scores = mha(q_in, q_in, attention_mask=mask_in, return_attention_scores=True)
    model = Model([q_in, mask_in], [out, scores])
    assert tuple(out.shape) == (None, 4, 6) and tuple(scores.shape) == (None, 2, 4, 4)
    x = rand(3, 4, 6)
    mask = rng.random((3, 4, 4)) > 0.4
    mask[:, :, 0] = True
    got_out, got_scores = model.predict([x, mask])
    want, want_scores = _mha_reference(mha.get_weights(), x, x, x, 2, 3, mask)
    np.testing.assert_allclose(got_out, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_scores, want_scores, rtol=1e-4, atol=1e-5)
    for name in ("mha.h5", "mha.multinn"):
        model.save(str(tmp_path / name))
        loaded = load_model(str(tmp_path / name), compile=False)
        for a, b in zip(loaded.predict([x, mask]), (got_out, got_scores)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_transformer_block_trains_saves_and_reloads(backend_name, tmp_path):
    # one encoder block: self-attention with a padding mask, residuals, layer norms, feed-forward
    tokens = rng.integers(1, 20, size=(16, 6))
    tokens[::3, 4:] = 0
    labels = (tokens[:, 0] > 10).astype(np.float32)[:, None]
    inp = Input(shape=(6,), dtype="int32")
    x = Embedding(20, 8, mask_zero=True)(inp)
    a = MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = LayerNormalization()(x + a)
    f = Dense(8)(Dense(16, activation="relu")(x))
    x = LayerNormalization()(x + f)
    out = Dense(1, activation="sigmoid")(GlobalAveragePooling1D()(x))
    model = Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    first = model.train_on_batch(tokens, labels)
    for _ in range(15):
        last = model.train_on_batch(tokens, labels)
    assert last < first
    path = str(tmp_path / "block.h5")
    model.save(path)
    np.testing.assert_allclose(load_model(path).predict(tokens), model.predict(tokens), rtol=1e-5, atol=1e-6)


def test_multi_head_attention_errors(backend_name):
    with pytest.raises(ValueError, match="num_heads=0"):
        MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="dropout=1.5"):
        MultiHeadAttention(num_heads=1, key_dim=2, dropout=1.5)
    with pytest.raises(ValueError, match="value=None"):
        MultiHeadAttention(num_heads=1, key_dim=2)(K.ones((1, 2, 3)))


def test_numpy_integer_arguments_count_as_ints(backend_name):
    layer = MultiHeadAttention(num_heads=np.int64(2), key_dim=np.int32(3))
    assert layer.get_config()["num_heads"] == 2 and type(layer.get_config()["key_dim"]) is int
    assert type(GroupNormalization(groups=np.int64(2)).groups) is int
    with pytest.raises(ValueError, match="num_heads=True"):
        MultiHeadAttention(num_heads=True, key_dim=2)


def test_normalization_and_preprocessing_take_numpy_integers(backend_name):
    from multinn.layers import IntegerLookup, RandomFlip

    assert LayerNormalization(axis=np.int64(-1)).get_config()["axis"] == -1
    assert LayerNormalization(axis=[np.int64(1)]).get_config()["axis"] == [1]
    assert type(RandomFlip(seed=np.int64(3)).seed) is int
    lookup = IntegerLookup(mask_token=np.int64(0), vocabulary=[5, 6])
    assert type(lookup.get_config()["mask_token"]) is int
