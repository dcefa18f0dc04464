"""The NumPy backend's compiled LSTM steps (backends/numba_recurrent.py) against the NumPy kernels
and a plain NumPy LSTM, masks, recurrent dropout and go_backwards included; and when they apply."""
import numpy as np
import pytest

from multinn.backends import numba_recurrent
from multinn.backends.numpy_backend import NumpyBackend

ALL = (True, True, True, True)


class PlainKernels(NumpyBackend):
    """The same backend with the compiled path switched off: the NumPy kernels."""

    def _compiled_steps(self, *args):
        return None


@pytest.fixture(params=["compiled loop", "Python loop"])
def lstm_loop(request, monkeypatch):
    """The LSTM's time loop compiled whole (calling cblas_sgemm), or in Python around the compiled
    steps, as NumPy builds without a 64-bit cblas_sgemm run it."""
    assert numba_recurrent.kernels() is not None, "numba is a dependency: the compiled path must load"
    if request.param == "Python loop":
        monkeypatch.setattr(numba_recurrent, "_gemm", None)
    else:
        assert numba_recurrent._gemm is not None, "NumPy's wheels bundle OpenBLAS with a 64-bit cblas_sgemm"
    return request.param


def _case(seed, batch=7, steps=9, units=5, masked=False, dropped=False):
    rng = np.random.default_rng(seed)
    xw = rng.normal(size=(batch, steps, 4 * units)).astype(np.float32)
    kernel = (rng.normal(size=(units, 4 * units)) * 0.6).astype(np.float32)
    h0, c0 = (rng.normal(size=(batch, units)).astype(np.float32) for _ in range(2))
    mask = rng.random((batch, steps)) > 0.35 if masked else None
    recurrent_mask = ((rng.random((batch, units)) > 0.5) * 2.0).astype(np.float32) if dropped else None
    return xw, kernel, h0, c0, mask, recurrent_mask


def _written(y, units, masked):
    """The packed columns the kernels write: without a mask the output block is left unwritten
    (the output is h's block)."""
    return y if masked else y[..., units:]


def _numpy_lstm(xw, kernel, h0, c0, mask, recurrent_mask, go_backwards):
    """A step loop written straight from the LSTM equations (Keras 2's gate order i, f, c, o)."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    x, m = (xw[:, ::-1], None if mask is None else mask[:, ::-1]) if go_backwards else (xw, mask)
    h, c, out, outs = h0.astype(np.float64), c0.astype(np.float64), np.zeros(h0.shape), []
    u = h0.shape[1]
    for t in range(x.shape[1]):
        z = x[:, t] + (h if recurrent_mask is None else h * recurrent_mask) @ kernel
        i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        keep = np.ones((len(h), 1), bool) if m is None else m[:, t:t + 1]
        h, c, out = np.where(keep, h_new, h), np.where(keep, c_new, c), np.where(keep, h_new, out)
        outs.append(out)
    return np.stack(outs, axis=1), h, c


def test_rational_tanh_is_within_float32_rounding():
    x = np.linspace(-12, 12, 400_001).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    approx = numba_recurrent.tanh_approx_reference(x)
    assert approx.dtype == np.float32
    assert np.abs(approx - exact).max() < 3.5e-7
    assert np.all(np.abs(approx) <= 1.0)
    assert np.array_equal(numba_recurrent.tanh_approx_reference(-x), -approx)  # odd, as tanh


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dropped", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_compiled_steps_equal_the_numpy_kernels(masked, dropped, go_backwards, lstm_loop):
    assert numba_recurrent.kernels() is not None, "numba is a dependency: the compiled path must load"
    xw, kernel, h0, c0, mask, rmask = _case(1, masked=masked, dropped=dropped)
    compiled, plain = NumpyBackend(), PlainKernels()
    y = compiled.lstm_forward(xw, kernel, h0, c0, mask, rmask, go_backwards)
    y_ref = plain.lstm_forward(xw, kernel, h0, c0, mask, rmask, go_backwards)
    u = kernel.shape[0]
    np.testing.assert_allclose(_written(y, u, masked), _written(y_ref, u, masked), rtol=1e-5, atol=2e-6)
    outputs, h, c = _numpy_lstm(xw, kernel, h0, c0, mask, rmask, go_backwards)
    np.testing.assert_allclose(y[:, :, :u] if masked else y[:, :, u:2 * u], outputs, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(y[:, -1, u:2 * u], h, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(y[:, -1, 2 * u:3 * u], c, rtol=1e-5, atol=2e-6)
    dy = np.random.default_rng(2).normal(size=y.shape).astype(np.float32)
    if not masked:
        dy[:, :, :u] = 0.0  # nothing reads the unwritten output block
    grads = compiled.lstm_backward(dy, y, kernel, h0, c0, mask, rmask, go_backwards, ALL)
    want = plain.lstm_backward(dy, y_ref, kernel, h0, c0, mask, rmask, go_backwards, ALL)
    for got, expected in zip(grads, want):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_compiled_gradients_match_finite_differences_of_the_compiled_forward():
    """The hand-written backward is the derivative of the compiled forward (float32 central
    differences on a tiny case, weighted sum of the output blocks)."""
    xw, kernel, h0, c0, mask, _ = _case(3, batch=2, steps=4, units=3, masked=True)
    b = NumpyBackend()
    u = kernel.shape[0]
    weights = np.random.default_rng(4).normal(size=(2, 4, 3 * u)).astype(np.float32)

    def loss(kernel_value):
        y = b.lstm_forward(xw, kernel_value, h0, c0, mask, None, False)
        return float((y[:, :, :3 * u].astype(np.float64) * weights).sum())

    y = b.lstm_forward(xw, kernel, h0, c0, mask, None, False)
    dy = np.zeros_like(y)
    dy[:, :, :3 * u] = weights
    grk = b.lstm_backward(dy, y, kernel, h0, c0, mask, None, False, ALL)[1]
    eps = 1e-2
    numeric = np.zeros_like(kernel, dtype=np.float64)
    for idx in np.ndindex(kernel.shape):
        up, down = kernel.copy(), kernel.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (loss(up) - loss(down)) / (2 * eps)
    np.testing.assert_allclose(grk, numeric, rtol=2e-2, atol=2e-3)


def test_float64_and_hard_sigmoid_keep_the_numpy_kernels(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the compiled step ran")

    class Refusing:  # every compiled kernel refuses to run
        def __getattr__(self, name):
            return refuse

    monkeypatch.setattr(numba_recurrent, "kernels", Refusing)
    monkeypatch.setattr(numba_recurrent, "_gemm", 1)  # an address, never called here
    b = NumpyBackend()
    xw, kernel, h0, c0, mask, rmask = _case(5)
    b.lstm_forward(*(a.astype(np.float64) for a in (xw, kernel, h0, c0)), None, None, False)
    b.lstm_forward(xw, kernel, h0, c0, None, None, False, recurrent_activation="hard_sigmoid")
    with pytest.raises(AssertionError, match="compiled step ran"):
        b.lstm_forward(xw, kernel, h0, c0, None, None, False)


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "GRU_reset_after"])
def test_recurrent_layers_train_the_same_with_and_without_the_compiled_steps(monkeypatch, layer):
    import multinn
    from multinn import backend as K

    def recurrent():
        if layer == "LSTM":
            return multinn.layers.LSTM(4, recurrent_dropout=0.3)
        return multinn.layers.GRU(4, reset_after=layer == "GRU_reset_after", recurrent_dropout=0.3)

    rng = np.random.default_rng(6)
    x = rng.normal(size=(8, 6, 3)).astype(np.float32)
    x[:3, 4:] = 0.0  # masked tails
    y = rng.normal(size=(8, 4)).astype(np.float32)

    def trained():
        with K.backend_scope("numpy"):
            multinn.utils.set_random_seed(7)
            model = multinn.Sequential([multinn.layers.Masking(0.0, input_shape=(6, 3)),
                                        recurrent()])
            model.compile("adam", "mse")
            model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
            return model.predict(x), [w.copy() for w in model.get_weights()]

    fast_out, fast_weights = trained()
    monkeypatch.setattr(numba_recurrent, "kernels", lambda: None)
    plain_out, plain_weights = trained()
    np.testing.assert_allclose(fast_out, plain_out, rtol=1e-4, atol=1e-5)
    for a, b in zip(fast_weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.fixture
def unloaded(monkeypatch):
    """The compiled steps not loaded yet (monkeypatch puts the loaded ones back afterwards)."""
    monkeypatch.setattr(numba_recurrent, "_loaded", False)
    monkeypatch.setattr(numba_recurrent, "_kernels", None)
    monkeypatch.setattr(numba_recurrent, "_gemm", numba_recurrent._gemm)


def test_numba_can_be_switched_off_by_the_environment(monkeypatch, unloaded):
    monkeypatch.setenv("MULTINN_NUMBA", "0")
    assert numba_recurrent.kernels() is None
    monkeypatch.delenv("MULTINN_NUMBA")
    monkeypatch.setattr(numba_recurrent, "_loaded", False)
    assert numba_recurrent.kernels() is not None


@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dropped", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_compiled_gru_equals_the_numpy_kernels_and_a_plain_loop(reset_after, masked, dropped, go_backwards):
    rng = np.random.default_rng(11)
    batch, steps, u = 6, 8, 5
    xw = rng.normal(size=(batch, steps, 3 * u)).astype(np.float32)
    # weights small enough that the recurrence contracts: an expanding one (doubled by the dropout
    # mask's 1 / (1 - rate)) amplifies float32 rounding itself, whichever tanh is used
    kernel = (rng.normal(size=(u, 3 * u)) * 0.3).astype(np.float32)
    bias = rng.normal(size=(u,)).astype(np.float32) if reset_after else None
    h0 = rng.normal(size=(batch, u)).astype(np.float32)
    mask = rng.random((batch, steps)) > 0.35 if masked else None
    rmask = ((rng.random((batch, u)) > 0.5) * 2.0).astype(np.float32) if dropped else None
    args = (xw, kernel, bias, h0, mask, rmask, go_backwards, reset_after)
    y = NumpyBackend().gru_forward(*args)
    np.testing.assert_allclose(_written(y, u, masked), _written(PlainKernels().gru_forward(*args), u, masked),
                               rtol=1e-4, atol=1e-5)
    # Keras 2.3.1's GRU equations, step by step in float64
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    h, out = h0.astype(np.float64), np.zeros((batch, u))
    for k, t in enumerate(order):
        hd = h if rmask is None else h * rmask
        x = xw[:, t]
        if reset_after:
            m = hd @ kernel
            z, r = sig(x[:, :u] + m[:, :u]), sig(x[:, u:2 * u] + m[:, u:2 * u])
            cand = np.tanh(x[:, 2 * u:] + r * (m[:, 2 * u:] + bias))
        else:
            z, r = sig(x[:, :u] + hd @ kernel[:, :u]), sig(x[:, u:2 * u] + hd @ kernel[:, u:2 * u])
            cand = np.tanh(x[:, 2 * u:] + (r * hd) @ kernel[:, 2 * u:])
        h_new = z * hd + (1 - z) * cand
        keep = np.ones((batch, 1), bool) if mask is None else mask[:, t:t + 1]
        h, out = np.where(keep, h_new, h), np.where(keep, h_new, out)
        np.testing.assert_allclose(y[:, k, :u] if masked else y[:, k, u:2 * u], out, rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(y[:, k, u:2 * u], h, rtol=1e-5, atol=2e-6)
    dy = rng.normal(size=y.shape).astype(np.float32)
    if not masked:
        dy[:, :, :u] = 0.0  # nothing reads the unwritten output block
    needs = (True, True, reset_after, True)
    got = NumpyBackend().gru_backward(dy, y, kernel, bias, h0, mask, rmask, go_backwards, needs, reset_after)
    want = PlainKernels().gru_backward(dy, y, kernel, bias, h0, mask, rmask, go_backwards, needs, reset_after)
    for a, e in zip(got, want):
        assert (a is None) == (e is None)
        if a is not None:
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


class ThreeThreads:
    """A stand-in for the backend's worker pool: three real threads."""

    workers = 3

    def map(self, fn, items):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(3) as pool:
            return list(pool.map(fn, items))


@pytest.mark.parametrize("masked", [False, True])
def test_row_ranges_on_threads_give_the_single_thread_results(monkeypatch, masked, lstm_loop):
    xw, kernel, h0, c0, mask, rmask = _case(8, batch=7, masked=masked, dropped=True)
    single = NumpyBackend()
    monkeypatch.setattr(numba_recurrent, "_MIN_ROWS_PER_THREAD", 10 ** 9)
    y1 = single.lstm_forward(xw, kernel, h0, c0, mask, rmask, True)
    dy = np.random.default_rng(10).normal(size=y1.shape).astype(np.float32)
    g1 = single.lstm_backward(dy, y1, kernel, h0, c0, mask, rmask, True, ALL)
    bias = np.random.default_rng(11).normal(size=(5,)).astype(np.float32)
    gru_args = (xw[:, :, :15], kernel[:, :15], bias, h0, mask, rmask, True, True)
    r1 = single.gru_forward(*gru_args)
    dr = np.random.default_rng(12).normal(size=r1.shape).astype(np.float32)
    gru_needs = (True, True, True, True)
    b1 = single.gru_backward(dr, r1, *gru_args[1:7], gru_needs, True)
    threaded = NumpyBackend()
    threaded.chunk_pool = ThreeThreads()
    monkeypatch.setattr(numba_recurrent, "_MIN_ROWS_PER_THREAD", 2)
    assert numba_recurrent._ranges(7, 3) == [(0, 2), (2, 4), (4, 7)]
    y3 = threaded.lstm_forward(xw, kernel, h0, c0, mask, rmask, True)
    np.testing.assert_allclose(_written(y3, 5, masked), _written(y1, 5, masked), rtol=1e-6, atol=1e-7)
    for a, b in zip(threaded.lstm_backward(dy, y3, kernel, h0, c0, mask, rmask, True, ALL), g1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    r3 = threaded.gru_forward(*gru_args)
    np.testing.assert_allclose(_written(r3, 5, masked), _written(r1, 5, masked), rtol=1e-6, atol=1e-7)
    for a, b in zip(threaded.gru_backward(dr, r3, *gru_args[1:7], gru_needs, True), b1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_compile_failure_warns_and_falls_back_to_the_numpy_kernels(monkeypatch, unloaded):
    from multinn.backends import numba_steps

    def broken(gemm=None):
        raise RuntimeError("LLVM said no")

    monkeypatch.setattr(numba_steps, "warm_up", broken)
    with pytest.warns(RuntimeWarning, match="LLVM said no"):
        assert numba_recurrent.kernels() is None
    xw, kernel, h0, c0, mask, rmask = _case(12)
    np.testing.assert_array_equal(NumpyBackend().lstm_forward(xw, kernel, h0, c0, mask, rmask, False)[..., 5:],
                                  PlainKernels().lstm_forward(xw, kernel, h0, c0, mask, rmask, False)[..., 5:])


def test_numba_steps_that_cannot_load_warn_and_fall_back(monkeypatch, unloaded):
    """numba raises a RuntimeError at import where no folder for its cache is writable."""

    def unloadable():
        raise RuntimeError("cannot cache function 'lstm_forward_step': no locator available")

    monkeypatch.setattr(numba_recurrent, "_load_steps", unloadable)
    with pytest.warns(RuntimeWarning, match="no locator available"):
        assert numba_recurrent.kernels() is None


def test_without_cblas_sgemm_the_lstm_runs_its_compiled_steps_from_python(monkeypatch, unloaded):
    from multinn.backends import numba_gemm

    monkeypatch.setattr(numba_gemm, "sgemm_address", lambda: None)
    steps = numba_recurrent.kernels()
    assert steps is not None and numba_recurrent._gemm is None

    def refuse(*args):
        raise AssertionError("the compiled loop ran without an sgemm to call")

    monkeypatch.setattr(steps, "lstm_forward_loop", refuse)
    monkeypatch.setattr(steps, "lstm_backward_loop", refuse)
    xw, kernel, h0, c0, mask, rmask = _case(14, masked=True, dropped=True)
    got = NumpyBackend().lstm_forward(xw, kernel, h0, c0, mask, rmask, False)
    want = PlainKernels().lstm_forward(xw, kernel, h0, c0, mask, rmask, False)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    dy = np.random.default_rng(20).normal(size=got.shape).astype(np.float32)
    for a, b in zip(NumpyBackend().lstm_backward(dy, got, kernel, h0, c0, mask, rmask, False, ALL),
                    PlainKernels().lstm_backward(dy, want, kernel, h0, c0, mask, rmask, False, ALL)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_sgemm_called_from_compiled_code_equals_numpy():
    import numba

    from multinn.backends.numba_gemm import sgemm, sgemm_address

    address = sgemm_address()
    if address is None:
        pytest.skip("this NumPy build bundles no OpenBLAS with 64-bit-integer cblas_sgemm")

    @numba.njit
    def product(a, t, b, c, beta):  # c = a[:, t] @ b + beta * c, a[:, t] with rows apart
        rows = a[:, t]
        sgemm(address, c.shape[0], c.shape[1], b.shape[0], rows, a.strides[0] // 4, b, b.shape[1], beta, c,
              c.shape[1])

    rng = np.random.default_rng(15)
    a = rng.normal(size=(6, 4, 5)).astype(np.float32)
    b = rng.normal(size=(5, 3)).astype(np.float32)
    for beta in (0.0, 1.0):
        c = rng.normal(size=(6, 3)).astype(np.float32)
        want = a[:, 2].astype(np.float64) @ b + beta * c
        product(a, 2, b, c, np.float32(beta))
        np.testing.assert_allclose(c, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_an_input_bias_read_by_the_kernels_equals_one_added_beforehand(go_backwards):
    xw, kernel, h0, c0, mask, rmask = _case(16, masked=True, dropped=True)
    bias = np.random.default_rng(17).normal(size=(4 * 5,)).astype(np.float32)
    args = (kernel, h0, c0, mask, rmask, go_backwards)
    plain = PlainKernels()
    for dtype in (np.float32, np.float64):  # the generic kernels: the same rounding, to the bit
        cast = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype != bool else a for a in args]
        np.testing.assert_array_equal(plain.lstm_forward(xw.astype(dtype), *cast, input_bias=bias.astype(dtype)),
                                      plain.lstm_forward(xw.astype(dtype) + bias.astype(dtype), *cast))
    got = NumpyBackend().lstm_forward(xw, *args, input_bias=bias)
    np.testing.assert_allclose(got, plain.lstm_forward(xw + bias, *args), rtol=1e-6, atol=1e-7)


def test_the_input_bias_gradient_with_create_graph_equals_the_plain_one():
    from multinn import backend as K

    xw, kernel, h0, c0, _, _ = _case(18)
    f64 = "float64"
    x = K.variable(xw[:, :, :3], dtype=f64)
    k = K.variable(np.random.default_rng(19).normal(size=(3, 20)) * 0.3, dtype=f64)
    r, b = K.variable(kernel, dtype=f64), K.variable(np.linspace(-0.5, 0.5, 20), dtype=f64)
    h, c = K.constant(h0, dtype=f64), K.constant(c0, dtype=f64)
    loss = lambda: K.sum(K.square(K.lstm_sequence(x, k, r, b, h, c)[1]))  # noqa: E731
    plain = [g.numpy() for g in K.gradients(loss(), [k, b])]
    graphed = [g.numpy() for g in K.gradients(loss(), [k, b], create_graph=True)]
    for a, e in zip(graphed, plain):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
    assert np.abs(plain[1]).max() > 1e-3  # the bias gets a real gradient
