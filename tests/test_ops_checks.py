"""K's argument checks (issue 11, item 5): out-of-range gather indices, bad permutation patterns
and expand_dims axes, K.dot's dtype rule, and shape errors that name the K function and both
shapes instead of passing NumPy's text through. Every check runs on both backends."""
from __future__ import annotations

import re
import sys

import numpy as np
import pytest

from multinn import backend as K
from tests.conftest import CUPY_MODE

TABLE = np.arange(6.0, dtype="float32").reshape(3, 2)


def _names(error, *parts):
    text = str(error.value)
    for part in parts:
        assert str(part) in text, f"{part!r} not in {text!r}"


# ------------------------------------------------------------------ K.gather
@pytest.mark.parametrize("bad", [-1, 3, -4, 100])
@pytest.mark.parametrize("as_tensor", [False, True], ids=["host-list", "tensor"])
def test_gather_refuses_an_index_outside_the_rows(backend_name, bad, as_tensor):
    indices = [0, bad, 1]
    if as_tensor:
        indices = K.constant(indices, dtype="int32")
    with pytest.raises(ValueError) as error:
        K.gather(K.constant(TABLE), indices)
    _names(error, "K.gather", f"index {bad}", "(3, 2)", "[0, 3)")


@pytest.mark.parametrize("indices", [[2, 0, 2], [[1], [0]], 2, []], ids=["list", "nested", "scalar", "empty"])
def test_gather_of_indices_in_range_matches_numpy(backend_name, indices):
    out = K.gather(K.constant(TABLE), indices)
    np.testing.assert_array_equal(out.numpy(), TABLE[np.asarray(indices, dtype="int64")])


def test_gather_refuses_float_indices_rather_than_truncating(backend_name):
    with pytest.raises(TypeError, match=r"K\.gather needs integer indices.*float32"):
        K.gather(K.constant(TABLE), K.constant([0.7, 1.0]))


def test_gather_from_a_scalar_names_the_shape(backend_name):
    with pytest.raises(ValueError, match=r"K\.gather.*shape \(\)"):
        K.gather(K.constant(1.0), [0])


def test_gather_keeps_its_gradient(backend_name):
    v = K.variable(TABLE)
    g = K.gradients(K.sum(K.gather(v, [2, 0, 2])), [v])[0].numpy()
    np.testing.assert_array_equal(g, np.array([[1, 1], [0, 0], [2, 2]], dtype="float32"))


@pytest.mark.skipif(CUPY_MODE != "standin", reason=f"the read counter is the CPU stand-in's (CuPy here: {CUPY_MODE})")
def test_gather_bounds_cost_one_device_read_and_none_for_host_indices(cupy_half):
    """Host indices are checked before the copy to the device; device indices by one read of
    both bounds together (one sync), not one per bound."""
    reads = sys.modules["cupy"].reads
    with K.backend_scope("cupy"):
        table = K.constant(TABLE)
        on_device = K.constant([2, 0], dtype="int32")
        with reads.recording() as host_reads:
            K.gather(table, [2, 0])
            K.gather(table, np.array([[1, 2]]))
        with reads.recording() as device_reads:
            K.gather(table, on_device)
    assert len(host_reads) == 0, host_reads
    assert len(device_reads) == 1, device_reads


# ------------------------------------------------------------------ permute_dimensions, expand_dims
@pytest.mark.parametrize("pattern", [(1,), (1, 0, 2), (0, 2), (0, 0), (1, -1), (0, -3)])
def test_permute_dimensions_refuses_a_pattern_that_is_not_a_permutation(backend_name, pattern):
    with pytest.raises(ValueError) as error:
        K.permute_dimensions(K.constant(TABLE), pattern)
    _names(error, "K.permute_dimensions", "(3, 2)", f"pattern={pattern}")


@pytest.mark.parametrize("pattern", [(1, 0), (-1, 0), (0, 1)])
def test_permute_dimensions_of_a_permutation_matches_numpy(backend_name, pattern):
    out = K.permute_dimensions(K.constant(TABLE), pattern)
    np.testing.assert_array_equal(out.numpy(), np.transpose(TABLE, [p % 2 for p in pattern]))


@pytest.mark.parametrize("axis", [3, 4, -4, -10])
def test_expand_dims_refuses_an_axis_past_the_rank(backend_name, axis):
    with pytest.raises(ValueError) as error:
        K.expand_dims(K.constant(TABLE), axis)
    _names(error, "K.expand_dims", "(3, 2)", f"axis={axis}", "[-3, 2]")


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_expand_dims_within_the_rank_matches_numpy(backend_name, axis):
    assert K.expand_dims(K.constant(TABLE), axis).shape == np.expand_dims(TABLE, axis).shape


# ------------------------------------------------------------------ K.dot's dtype rule
@pytest.mark.parametrize("x_dtype, y_dtype", [("float32", "int32"), ("int32", "float32"), ("int64", "float32")])
def test_dot_of_float32_and_an_integer_tensor_is_float32(backend_name, x_dtype, y_dtype):
    x = np.arange(6).reshape(2, 3)
    y = np.arange(12).reshape(3, 4) - 5
    out = K.dot(K.constant(x, dtype=x_dtype), K.constant(y, dtype=y_dtype))
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), (x @ y).astype("float32"))


def test_batch_dot_of_float32_and_int32_is_float32(backend_name):
    x = np.arange(12).reshape(2, 2, 3)
    y = np.arange(6).reshape(2, 3)
    out = K.batch_dot(K.constant(x, dtype="float32"), K.constant(y, dtype="int32"), axes=(2, 1))
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), np.einsum("bij,bj->bi", x, y).astype("float32"))


# ------------------------------------------------------------------ shape errors name the function
def _raises_naming(fn, name, *shapes):
    with pytest.raises(ValueError) as error:
        fn()
    text = str(error.value)
    assert text.startswith(name), text
    for shape in shapes:
        assert str(tuple(shape)) in text, f"{shape} not in {text!r}"
    assert "gufunc" not in text and "operands could not be broadcast" not in text, text


@pytest.mark.parametrize("x_shape, y_shape", [((3, 2), (3, 2)), ((4, 3), (2,)), ((2, 5, 3), (4, 2, 2))])
def test_dot_shape_error_names_both_shapes(backend_name, x_shape, y_shape):
    _raises_naming(lambda: K.dot(K.ones(x_shape), K.ones(y_shape)), "K.dot", x_shape, y_shape)


@pytest.mark.parametrize("x_shape, y_shape", [((2, 3, 4), (3, 4, 5)), ((2,), (2, 3))])
def test_batch_dot_shape_error_names_both_shapes(backend_name, x_shape, y_shape):
    _raises_naming(lambda: K.batch_dot(K.ones(x_shape), K.ones(y_shape)), "K.batch_dot", x_shape, y_shape)


@pytest.mark.parametrize("shape", [(4, 2), (-1, 4), (-1, -1), (2, -2)])
def test_reshape_error_names_both_shapes(backend_name, shape):
    _raises_naming(lambda: K.reshape(K.ones((3, 2)), shape), "K.reshape", (3, 2), shape)


def test_reshape_error_of_a_placeholder_graph_names_both_shapes(backend_name):
    """The sizes of a placeholder graph are probed when it is built: the error comes then."""
    x = K.placeholder(shape=(None, 3))
    _raises_naming(lambda: K.reshape(x, (-1, 2)), "K.reshape", (-1, 2))


def test_concatenate_error_names_every_shape(backend_name):
    _raises_naming(
        lambda: K.concatenate([K.ones((3, 2)), K.ones((2, 2))], axis=1), "K.concatenate", (3, 2), (2, 2)
    )


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_crossentropy_needs_equal_shapes(backend_name, from_logits):
    _raises_naming(
        lambda: K.categorical_crossentropy(K.ones((3, 2)), K.ones((3, 4)), from_logits=from_logits),
        "K.categorical_crossentropy", (3, 2), (3, 4),
    )


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_needs_shapes_that_broadcast(backend_name, from_logits):
    _raises_naming(
        lambda: K.binary_crossentropy(K.ones((3, 2)), K.ones((3, 4)), from_logits=from_logits),
        "K.binary_crossentropy", (3, 2), (3, 4),
    )


def test_binary_crossentropy_still_broadcasts_a_column_target(backend_name):
    t = np.array([[1.0], [0.0]], dtype="float32")
    p = np.array([[0.9, 0.2], [0.3, 0.6]], dtype="float32")
    out = K.binary_crossentropy(K.constant(t), K.constant(p)).numpy()
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_sparse_categorical_crossentropy_names_both_shapes(backend_name):
    with pytest.raises(ValueError, match=re.escape("K.sparse_categorical_crossentropy")) as error:
        K.sparse_categorical_crossentropy(K.constant([0, 1, 2, 0], dtype="int32"), K.ones((3, 4)))
    _names(error, "(3, 4)", "(4,)")


# ------------------------------------------------------------------ Embedding relies on K.gather's check
def test_embedding_names_itself_and_the_bad_index(backend_name):
    from multinn.layers import Embedding

    layer = Embedding(5, 2, name="words")
    with pytest.raises(ValueError) as error:
        layer(K.constant([[0, 5]], dtype="int32"))
    _names(error, "Embedding 'words'", "input_dim=5", "index 5", "[0, 5)")
    with pytest.raises(ValueError, match="index -1"):
        layer(K.constant([[-1, 0]], dtype="int32"))


@pytest.mark.skipif(CUPY_MODE != "standin", reason=f"the read counter is the CPU stand-in's (CuPy here: {CUPY_MODE})")
def test_embedding_checks_its_indices_with_one_device_read(cupy_half):
    from multinn.layers import Embedding

    reads = sys.modules["cupy"].reads
    with K.backend_scope("cupy"):
        layer = Embedding(5, 2)
        indices = K.constant([[0, 4], [2, 3]], dtype="int32")
        layer(indices)  # builds the weights
        with reads.recording() as seen:
            out = layer(indices)
    assert len(seen) == 1, seen
    np.testing.assert_array_equal(out.numpy(), K.get_value(layer.embeddings)[[[0, 4], [2, 3]]])


def test_gather_from_a_placeholder_checks_the_rows_it_is_fed(backend_name):
    x = K.placeholder(shape=(None, 2))
    picked = K.gather(x, [0, 2])
    assert picked.shape == (2, 2)
    f = K.function([x], [picked])
    np.testing.assert_array_equal(f([TABLE])[0], TABLE[[0, 2]])
    with pytest.raises(ValueError, match=r"K\.gather: index 2 is out of range.*\(2, 2\)"):
        f([TABLE[:2]])


def test_gather_of_rows_past_a_probe_size_waits_for_the_real_batch(backend_name):
    """Unknown sizes are probed with small stand-ins (2 and 3 rows for a Keras batch): indices
    beyond them are checked against the batch the model is actually given."""
    from multinn.layers import Input, Lambda
    from multinn.models import Model

    x = Input((2,))
    model = Model(x, Lambda(lambda t: K.gather(t, [0, 3]))(x))
    np.testing.assert_array_equal(model.predict(np.arange(8.0).reshape(4, 2), batch_size=4), [[0, 1], [6, 7]])
    with pytest.raises(ValueError, match=r"K\.gather: index 3 is out of range"):
        model.predict(TABLE, batch_size=3)
