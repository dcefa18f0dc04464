"""Tensor, autodiff, configuration and the primitive mechanism."""
import numpy as np
import pytest

from multinn import backend as K


def test_float32_stays_float32(backend_name):
    x = K.constant(np.ones(3, np.float32))
    assert (x * 2.0).dtype == np.float32
    assert (2.0 * x + 1).dtype == np.float32
    assert K.mean(x).dtype == np.float32


def test_host_data_takes_floatx(backend_name):
    assert K.dtype(K.constant([1.0, 2.0])) == "float32"
    assert K.dtype(K.variable(np.zeros(2))) == "float32"
    assert K.dtype(K.constant(np.arange(3))) == "float32"  # Keras 2: constant(dtype=None) is floatx
    assert K.dtype(K.convert_to_tensor(np.arange(3))).startswith("int")


def test_gradients_of_user_composite(backend_name):
    w = K.variable([[1.0, -2.0], [0.5, 0.0]])

    def l1_reg(weights):
        return 0.01 * K.sum(K.abs(weights))

    (g,) = K.gradients(l1_reg(w), [w])
    np.testing.assert_allclose(g.numpy(), 0.01 * np.sign(w.numpy()))


def test_unconnected_gradient_is_none(backend_name):
    a, b = K.variable([1.0]), K.variable([2.0])
    assert K.gradients(K.sum(a * 3), [a, b])[1] is None


def test_second_order_gradient(backend_name):
    x = K.variable([1.0, 2.0, -3.0], dtype="float64")
    (g,) = K.gradients(K.sum(x * x * x), [x], create_graph=True)
    (h,) = K.gradients(K.sum(g), [x])
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy())


def test_no_grad_records_nothing(backend_name):
    v = K.variable([1.0])
    with K.no_grad():
        y = K.exp(v) * 2
    assert y.node is None and not y.needs_grad
    assert K.exp(K.constant([1.0])).node is None  # constants never record


def test_stop_gradient(backend_name):
    v = K.variable([3.0])
    (g,) = K.gradients(K.sum(v * K.stop_gradient(v)), [v])
    np.testing.assert_allclose(g.numpy(), [3.0])
    assert isinstance(K.stop_gradient([v, v]), list)


def test_gradient_tape_watches_constants(backend_name):
    x = K.constant([3.0])
    with K.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0])
    with pytest.raises(RuntimeError):
        tape.gradient(y, x)


def test_non_trainable_variable_gets_no_gradient(backend_name):
    v = K.variable([1.0], trainable=False)
    assert K.exp(v).node is None


def test_user_primitive_with_per_backend_forward(backend_name):
    cube = K.primitive(
        "cube",
        forward={"generic": lambda b, x: x ** 3},
        grad=lambda dy, y, x: (dy * 3 * K.square(x),),
    )
    v = K.variable([2.0, -1.0])
    np.testing.assert_allclose(K.gradients(K.sum(cube(v)), [v])[0].numpy(), [12.0, 3.0])
    K.check_gradients(cube, [[0.3, -1.2]])


def test_check_gradients_catches_a_wrong_gradient(backend_name):
    wrong = K.primitive("wrong", lambda b, x: x * x, lambda dy, y, x: (dy * x,))
    with pytest.raises(AssertionError, match="disagrees"):
        K.check_gradients(wrong, [[1.0, 2.0]])


def test_mixed_backends_error_names_both():
    numpy_backend = K.default_backend()

    class Other(type(numpy_backend)):
        name = "other"

    t1 = K.Tensor(np.ones(2, np.float32), numpy_backend)
    t2 = K.Tensor(np.ones(2, np.float32), Other())
    with pytest.raises(ValueError, match="'numpy' and 'other'"):
        K.add(t1, t2)


def test_tensor_protocols(backend_name):
    t = K.constant([[1.0, 2.0]])
    assert t.shape == (1, 2) and t.ndim == 2 and str(t.dtype) == "float32"
    assert np.asarray(t).tolist() == [[1.0, 2.0]]
    assert "1." in str(t)
    assert (t @ K.transpose(t)).numpy().tolist() == [[5.0]]
    assert t[0, 1].numpy() == 2.0


def test_variable_assign_family(backend_name):
    v = K.variable([1.0, 2.0])
    data = v.data
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(K.constant([0.5, 0.5]))
    assert v.data is data
    np.testing.assert_allclose(v.numpy(), [3.5, 4.5])
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0, 3.0])


def test_graph_is_freed_with_its_tensors(backend_name):
    import gc
    import weakref

    v = K.variable(np.ones((4, 4)))
    y = K.exp(v) * 3
    ref = weakref.ref(y.node[1][0])  # the exp output held by the multiply node
    K.gradients(K.sum(y), [v])
    del y
    gc.disable()
    try:
        assert ref() is None  # freed by reference counting alone: the graph has no cycles
    finally:
        gc.enable()


def test_gradients_of_one_tensor_is_a_list(backend_name):
    x = K.variable([[1.0, 2.0], [3.0, 4.0]])
    grads = K.gradients(K.sum(K.square(x)), x)
    assert isinstance(grads, list) and len(grads) == 1
    np.testing.assert_allclose(grads[0].numpy(), 2 * x.numpy())


def test_gradients_through_shared_and_intermediate_tensors(backend_name):
    """A tensor reused by later ops gets every consumer's gradient before passing its own on,
    and an intermediate tensor can itself be a target."""
    v = K.variable([0.5, -1.5, 2.0])
    a = v * v  # used three times, at different depths
    b = K.sin(a) + a
    c = b * a + K.exp(-a)
    loss = K.sum(c * b)
    gv, ga = K.gradients(loss, [v, a])
    x = v.numpy().astype(np.float64)
    av = x * x
    bv, cv = np.sin(av) + av, (np.sin(av) + av) * av + np.exp(-av)
    db = np.cos(av) + 1
    dc_da = db * av + bv - np.exp(-av)
    expected_ga = dc_da * bv + cv * db
    np.testing.assert_allclose(ga.numpy(), expected_ga, rtol=1e-5)
    np.testing.assert_allclose(gv.numpy(), expected_ga * 2 * x, rtol=1e-5)


def test_no_grad_and_enable_grad_nest_and_decorate(backend_name):
    v = K.variable([1.0])
    with K.no_grad():
        with K.enable_grad():
            assert (v * 2).node is not None
        assert (v * 2).node is None
    assert K.is_recording()

    @K.no_grad()
    def depth(n):
        assert not K.is_recording()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3 and K.is_recording()
    try:
        with K.no_grad():
            raise KeyError("inside")
    except KeyError:
        pass
    assert K.is_recording()
