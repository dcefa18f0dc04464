"""The NumPy backend's chunked kernels (numpy_conv.py, numpy_chunked.py, numpy_threads.py): the batch
split into many chunks and run on several worker threads gives what the generic whole-batch kernels
and hand-written NumPy references give."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from multinn.backends import get, numpy_chunked, numpy_conv
from multinn.backends.base import ArrayBackend
from multinn.backends.numpy_threads import ChunkPool, Scratch


class _Limit:
    """Stands in for OpenBLAS's per-thread control: reports `count` threads, records who went single."""

    def __init__(self, count):
        self.count = count

    def single(self):
        return self.count

    def restore(self, previous):
        pass


@pytest.fixture
def chunky(monkeypatch):
    """The NumPy backend with tiny chunks on three worker threads."""
    b = get("numpy")
    monkeypatch.setattr(b, "chunk_pool", ChunkPool(_Limit(3)))
    monkeypatch.setattr(b, "scratch", Scratch())
    monkeypatch.setattr(numpy_conv, "CHUNK_BYTES", 1)
    monkeypatch.setattr(numpy_conv, "INLINE_BYTES", 0)
    monkeypatch.setattr(numpy_chunked, "PIECE", 64)
    return b


# ------------------------------------------------------------------ references
def _ref_conv(x, w, strides, lo, out, dilation):
    """Direct loops over output positions and taps, float64 (x channels_last, padding `lo` before)."""
    nd = x.ndim - 2
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for opos in itertools.product(*map(range, out)):
        for kpos in itertools.product(*map(range, w.shape[:nd])):
            ipos = [opos[i] * strides[i] - lo[i] + kpos[i] * dilation[i] for i in range(nd)]
            if all(0 <= p < x.shape[1 + i] for i, p in enumerate(ipos)):
                y[(slice(None), *opos)] += x[(slice(None), *ipos)].astype(np.float64) @ w[kpos]
    return y


def _ref_conv_grads(x, w, dz, strides, lo, dilation):
    """dL/dx and dL/dw of sum(dz * conv(x, w)) by the same loops."""
    nd = x.ndim - 2
    out = dz.shape[1:-1]
    gx, gw = np.zeros(x.shape), np.zeros(w.shape)
    for opos in itertools.product(*map(range, out)):
        for kpos in itertools.product(*map(range, w.shape[:nd])):
            ipos = [opos[i] * strides[i] - lo[i] + kpos[i] * dilation[i] for i in range(nd)]
            if all(0 <= p < x.shape[1 + i] for i, p in enumerate(ipos)):
                d = dz[(slice(None), *opos)]
                gx[(slice(None), *ipos)] += d @ w[kpos].T
                gw[kpos] += x[(slice(None), *ipos)].T @ d
    return gx, gw


CASES = [
    # x shape, kernel shape, strides, pad_lo, out, dilation
    ((5, 7, 6, 3), (3, 3, 3, 4), (1, 1), (0, 0), (5, 4), (1, 1)),     # narrow channels: per-tap slabs
    ((4, 6, 5, 16), (3, 2, 16, 5), (2, 1), (1, 0), (3, 5), (1, 1)),   # wide channels, padding, strides
    ((3, 8, 7, 17), (2, 3, 17, 2), (1, 2), (1, 2), (7, 4), (2, 1)),   # dilation and padding after too
    ((6, 9, 2), (3, 2, 3), (2,), (2,), (5,), (1,)),                  # 1-D, causal-style padding
    ((2, 4, 5, 3, 16), (2, 2, 2, 16, 3), (1, 2, 1), (0, 1, 0), (3, 3, 2), (1, 1, 1)),  # 3-D
]


@pytest.mark.parametrize("xs,ws,strides,lo,out,dilation", CASES)
@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
def test_chunked_conv_forward_and_backward_match_loops(chunky, xs, ws, strides, lo, out, dilation, activation):
    rng = np.random.default_rng(sum(xs) + len(activation))
    x = rng.uniform(-1, 1, xs)
    w = rng.uniform(-1, 1, ws)
    bias = rng.uniform(-1, 1, ws[-1])
    dy = rng.uniform(-1, 1, (xs[0], *out, ws[-1]))
    nd = len(out)
    dil = dilation
    z = _ref_conv(x, w, strides, lo, out, dil) + bias
    act = {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh}[activation]
    y = chunky.conv_forward(x, w, strides, dil, lo, out, bias=bias, activation=activation)
    np.testing.assert_allclose(y, act(z), rtol=1e-12, atol=1e-12)
    dz = dy * {"linear": 1.0, "relu": (z > 0), "tanh": 1 - np.tanh(z) ** 2}[activation]
    want_x, want_w = _ref_conv_grads(x, w, dz, strides, lo, dil)
    gx, gw, gb = chunky.conv_backward(dy, y, x, w, activation, True, True, True, strides, dil, lo)
    np.testing.assert_allclose(gx, want_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, want_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, dz.reshape(-1, ws[-1]).sum(axis=0), rtol=1e-12, atol=1e-12)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == bias.shape and nd == x.ndim - 2


def test_chunked_conv_float32_stays_float32_and_skips_what_is_not_asked(chunky):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (7, 6, 6, 4)).astype(np.float32)
    w = rng.uniform(-1, 1, (3, 3, 4, 8)).astype(np.float32)
    dy = rng.uniform(-1, 1, (7, 4, 4, 8)).astype(np.float32)
    one = (1, 1)
    y = chunky.conv_forward(x, w, one, one, (0, 0), (4, 4), activation="relu")
    assert y.dtype == np.float32
    generic = np.maximum(ArrayBackend.conv_forward(chunky, x, w, one, one, (0, 0), (4, 4)), 0)
    np.testing.assert_allclose(y, generic, rtol=1e-5, atol=1e-5)
    gx, gw, gb = chunky.conv_backward(dy, y, x, w, "relu", False, True, False, one, one, (0, 0))
    assert gx is None and gb is None and gw.dtype == np.float32
    wx, ww, _ = ArrayBackend.conv_backward(chunky, dy, y, x, w, "relu", True, True, False, one, one, (0, 0))
    np.testing.assert_allclose(gw, ww, rtol=1e-4, atol=1e-4)
    gx, gw, gb = chunky.conv_backward(dy, y, x, w, "relu", True, False, False, one, one, (0, 0))
    assert gw is None and gb is None
    np.testing.assert_allclose(gx, wx, rtol=1e-5, atol=1e-5)


def test_chunked_conv_reads_strided_inputs(chunky):
    # channels_first data reaches the kernels as a transposed (non-contiguous) view
    rng = np.random.default_rng(4)
    x = np.moveaxis(rng.uniform(-1, 1, (4, 16, 5, 6)), 1, -1)
    w = rng.uniform(-1, 1, (2, 2, 16, 3))
    y = chunky.conv_forward(x, w, (1, 1), (1, 1), (0, 0), (4, 5))
    np.testing.assert_allclose(y, _ref_conv(x, w, (1, 1), (0, 0), (4, 5), (1, 1)), rtol=1e-12, atol=1e-12)


def test_grouped_and_mixed_dtype_convs_take_the_generic_kernels(chunky):
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (3, 5, 5, 4))
    w = rng.uniform(-1, 1, (3, 3, 2, 6))
    one = (1, 1)
    got = chunky.conv_forward(x, w, one, one, (0, 0), (3, 3), groups=2)
    want = ArrayBackend.conv_forward(chunky, x, w, one, one, (0, 0), (3, 3), groups=2)
    np.testing.assert_array_equal(got, want)
    w32 = rng.uniform(-1, 1, (3, 3, 4, 2)).astype(np.float32)
    got = chunky.conv_forward(x, w32, one, one, (0, 0), (3, 3))
    np.testing.assert_allclose(got, _ref_conv(x, w32, one, (0, 0), (3, 3), one), rtol=1e-6)


@pytest.mark.parametrize("xs,pool,strides,lo,out", [
    ((5, 8, 6, 3), (2, 2), (2, 2), (0, 0), (4, 3)),
    ((4, 7, 7, 2), (3, 3), (2, 2), (1, 1), (4, 4)),   # overlapping windows, padding
    ((6, 9, 5), (2,), (2,), (0,), (4,)),              # 1-D, last cell in no window
])
def test_chunked_max_pool_matches_the_generic_kernels(chunky, xs, pool, strides, lo, out):
    rng = np.random.default_rng(sum(xs))
    x = rng.uniform(-1, 1, xs).astype(np.float32)
    y, arg = chunky.max_pool_with_argmax(x, pool, strides, lo, out)
    want_y, want_arg = ArrayBackend.max_pool_with_argmax(chunky, x, pool, strides, lo, out)
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(arg, want_arg)
    # each output's value sits in its window at the tap `arg` names
    for index in itertools.product(*map(range, y.shape)):
        kpos = np.unravel_index(int(arg[index]), pool)
        cell = tuple(index[1 + i] * strides[i] - lo[i] + kpos[i] for i in range(len(pool)))
        assert y[index] == x[(index[0], *cell, index[-1])]
    dy = rng.uniform(-1, 1, y.shape).astype(np.float32)
    dx = chunky.max_pool_backprop(arg, dy, xs[1:-1], pool, strides, lo)
    np.testing.assert_array_equal(dx, ArrayBackend.max_pool_backprop(chunky, arg, dy, xs[1:-1], pool, strides, lo))


# ------------------------------------------------------------------ optimizer pieces and keep masks
def test_adadelta_in_pieces_matches_the_formula(chunky):
    rng = np.random.default_rng(6)
    p0, g = rng.standard_normal((50, 9)), rng.standard_normal((50, 9))
    a0, d0 = rng.random((50, 9)), rng.random((50, 9)) * 1e-3
    p, a, d = p0.copy(), a0.copy(), d0.copy()
    chunky.adadelta_update(p, g, a, d, 0.5, 0.9, 1e-6)
    a1 = 0.9 * a0 + 0.1 * g**2
    u = g * np.sqrt(d0 + 1e-6) / np.sqrt(a1 + 1e-6)
    np.testing.assert_allclose(a, a1, rtol=1e-13)
    np.testing.assert_allclose(p, p0 - 0.5 * u, rtol=1e-13)
    np.testing.assert_allclose(d, 0.9 * d0 + 0.1 * u**2, rtol=1e-13)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_in_pieces_matches_the_formula(chunky, amsgrad):
    rng = np.random.default_rng(7)
    p0, g = rng.standard_normal((40, 11)), rng.standard_normal((40, 11))
    m0, v0 = rng.standard_normal((40, 11)), rng.random((40, 11))
    h0 = rng.random((40, 11))
    p, m, v, h = p0.copy(), m0.copy(), v0.copy(), h0.copy()
    chunky.adam_update(p, g, m, v, 0.01, 0.9, 0.999, 1e-7, vhat=h if amsgrad else None, decay=0.1)
    m1 = 0.9 * m0 + 0.1 * g
    v1 = 0.999 * v0 + 0.001 * g**2
    denom = np.sqrt(np.maximum(h0, v1) if amsgrad else v1) + 1e-7
    np.testing.assert_allclose(m, m1, rtol=1e-13)
    np.testing.assert_allclose(v, v1, rtol=1e-13)
    np.testing.assert_allclose(p, p0 * 0.9 - 0.01 * m1 / denom, rtol=1e-12)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("amsgrad, decay", [(False, 0.0), (True, 0.0), (False, 0.01), (True, 0.01)])
def test_adam_compiled_or_in_pieces_equals_the_generic_update_to_the_bit(chunky, monkeypatch, compiled, dtype,
                                                                         amsgrad, decay):
    if compiled:
        assert numpy_chunked.kernels() is not None, "numba is a dependency: the compiled pass must load"
        monkeypatch.setattr(numpy_chunked, "_SPLIT_UPDATE_MIN", 10)  # split among the three workers
    else:
        monkeypatch.setattr(numpy_chunked, "kernels", lambda: None)
    rng = np.random.default_rng(8)
    shape = (301, 7)
    p, g, m = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    v, h = rng.random(shape).astype(dtype), rng.random(shape).astype(dtype)
    got = [a.copy() for a in (p, g, m, v, h)]
    want = [a.copy() for a in (p, g, m, v, h)]
    chunky.adam_update(*got[:4], 0.00123, 0.9, 0.999, 1e-7, vhat=got[4] if amsgrad else None, decay=decay)
    ArrayBackend.adam_update(chunky, *want[:4], 0.00123, 0.9, 0.999, 1e-7, vhat=want[4] if amsgrad else None,
                             decay=decay)
    for a, b in zip(got, want):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_adadelta_compiled_or_in_pieces_equals_the_generic_update_to_the_bit(chunky, monkeypatch, compiled, dtype,
                                                                             lr):
    if compiled:
        assert numpy_chunked.kernels() is not None, "numba is a dependency: the compiled pass must load"
        monkeypatch.setattr(numpy_chunked, "_SPLIT_UPDATE_MIN", 10)
    else:
        monkeypatch.setattr(numpy_chunked, "kernels", lambda: None)
    rng = np.random.default_rng(10)
    shape = (97, 13)
    p, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    a, d = rng.random(shape).astype(dtype), (rng.random(shape) * 1e-3).astype(dtype)
    got, want = [x.copy() for x in (p, g, a, d)], [x.copy() for x in (p, g, a, d)]
    chunky.adadelta_update(*got, lr, 0.95, 1e-7)
    ArrayBackend.adadelta_update(chunky, *want, lr, 0.95, 1e-7)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)


def test_adam_on_a_view_takes_the_generic_update(chunky):
    rng = np.random.default_rng(9)
    base = rng.standard_normal((20, 10)).astype(np.float32)
    p, want = base[:, ::2], base.copy()[:, ::2].copy()
    g, m, v = (rng.standard_normal((20, 5)).astype(np.float32) for _ in range(3))
    v = np.abs(v)
    m2, v2 = m.copy(), v.copy()
    chunky.adam_update(p, g, m, v, 0.01, 0.9, 0.999, 1e-7)
    ArrayBackend.adam_update(chunky, want, g, m2, v2, 0.01, 0.9, 0.999, 1e-7)
    np.testing.assert_array_equal(p, want)
    np.testing.assert_array_equal(base[:, ::2], want)  # written through the view


def test_keep_mask_from_worker_ranges_is_the_one_pass_mask(chunky, monkeypatch):
    monkeypatch.setattr(chunky, "philox_chunk", 5)
    for shape, level in [((37, 29), 0.3), ((1001,), 0.5), ((3, 3), 0.2), ((50, 20), 1.0), ((40, 40), 0.0),
                         ((41, 40), 1.0 - 2.0**-30)]:
        got = chunky.random_keep_mask(shape, level, 2**33 + 9, 17)
        want = ArrayBackend.random_keep_mask(chunky, shape, level, 2**33 + 9, 17)
        assert got.shape == shape and got.dtype == bool
        np.testing.assert_array_equal(got, want)
        for dtype in ("float32", "float64") if level < 1.0 else ():  # dropout's level is below 1
            mask = chunky.dropout_mask(shape, level, 2**33 + 9, 17, dtype)
            assert mask.dtype == np.dtype(dtype) and mask.shape == shape
            # the kept units carry 1 / (1 - level), as a float of that dtype
            np.testing.assert_array_equal(mask, np.where(want, np.dtype(dtype).type(1 / (1 - level)), 0))


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
@pytest.mark.parametrize("shape", [(37, 5), (3, 11, 4)])
def test_bias_and_activation_by_row_ranges_equal_one_pass(chunky, monkeypatch, activation, shape):
    monkeypatch.setattr(numpy_chunked, "BIAS_ROWS_MIN", 8)
    rng = np.random.default_rng(4)
    y = rng.uniform(-2, 2, shape).astype(np.float32)
    bias = rng.uniform(-1, 1, shape[-1:]).astype(np.float32)
    for b in (bias, None):
        got, want = y.copy(), y.copy()
        chunky.bias_activation_in_place(got, b, activation)
        ArrayBackend.bias_activation_in_place(chunky, want, b, activation)
        np.testing.assert_array_equal(got, want)
    # a view is left to the one pass, and still right
    view = y.copy()[:, ::-1]
    want = view.copy()
    chunky.bias_activation_in_place(view, bias, activation)
    ArrayBackend.bias_activation_in_place(chunky, want, bias, activation)
    np.testing.assert_array_equal(view, want)


# ------------------------------------------------------------------ the pool itself
def test_chunk_pool_keeps_order_and_raises_what_a_worker_raised():
    pool = ChunkPool(_Limit(3))
    assert pool.workers == 3
    assert pool.map(lambda i: i * 10, range(20)) == [i * 10 for i in range(20)]

    def fail(i):
        if i == 7:
            raise ValueError("chunk 7")
        return i

    with pytest.raises(ValueError, match="chunk 7"):
        pool.map(fail, range(10))
    # a worker that maps again runs inline (no deadlock on its own pool)
    assert pool.map(lambda i: sum(pool.map(lambda j: j, range(i))), range(5)) == [0, 0, 1, 3, 6]


class _ProcessCount:
    """Stands in for OpenBLAS's count, which is the process's: records what was set, and when."""

    def __init__(self, count):
        self.count, self.log = count, []
        self._lock = __import__("threading").Lock()

    def single(self):
        with self._lock:
            previous, self.count = self.count, 1
            self.log.append(("single", previous))
            return previous

    def restore(self, previous):
        with self._lock:
            self.count = previous
            self.log.append(("restore", previous))


def test_workers_run_at_one_blas_thread_and_the_caller_gets_its_count_back():
    import threading

    limit = _ProcessCount(3)
    pool = ChunkPool(limit)
    assert pool.workers == 3
    limit.log.clear()
    seen = pool.map(lambda i: limit.count, range(6))
    assert seen == [1] * 6 and limit.count == 3
    assert limit.log == [("single", 3), ("restore", 3)]
    # a failing chunk still gives the count back
    with pytest.raises(ZeroDivisionError):
        pool.map(lambda i: 1 // (i - 2), range(4))
    assert limit.count == 3
    # maps from two caller threads at once: the count goes back once both are done
    limit.log.clear()
    barrier = threading.Barrier(2)
    callers = [threading.Thread(target=lambda: pool.map(lambda i: barrier.wait() if i == 0 else i, range(3)))
               for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert limit.count == 3 and limit.log[0] == ("single", 3) and limit.log[-1] == ("restore", 3)
    assert [entry for entry in limit.log if entry[0] == "restore"] == [("restore", 3)]


def test_the_real_blas_count_comes_back_after_the_workers_ran_products():
    from multinn.backends import numpy_blas

    limit = numpy_blas.find_thread_limit()
    if limit is None:
        pytest.skip("this NumPy build bundles no OpenBLAS with openblas_set_num_threads_local")
    count = limit.single()
    limit.restore(count)
    pool = ChunkPool(limit)
    a = np.ones((64, 64), np.float32)
    pool.map(lambda i: a @ a, range(4))
    after = limit.single()
    limit.restore(after)
    # the pool's workers must not leave the caller's big products on one thread
    assert after == count


def test_the_caller_takes_items_too_and_a_busy_pool_leaves_a_second_caller_to_itself():
    import threading

    pool = ChunkPool(_Limit(2))
    assert pool.map(lambda i: i + 1, range(40)) == list(range(1, 41))
    assert len(pool._threads) == 1  # workers - 1 background threads: the caller is the other
    # while one caller's map holds the workers, another caller's map runs in its own thread
    inside, release = threading.Event(), threading.Event()
    seen = []

    def slow(i):
        if i == 0:
            inside.set()
            release.wait(10)
        return i

    first = threading.Thread(target=lambda: seen.append(pool.map(slow, range(2))))
    first.start()
    inside.wait(10)
    second = pool.map(lambda i: threading.current_thread().name, range(3))
    assert second == [threading.current_thread().name] * 3
    release.set()
    first.join(10)
    assert seen == [[0, 1]]


def test_scratch_reuses_its_buffer_and_does_not_keep_huge_ones(monkeypatch):
    scratch = Scratch()
    a = scratch.take("cols", (4, 5), np.dtype("float64"))
    b = scratch.take("cols", (2, 3), np.dtype("float32"))
    assert np.shares_memory(a, b) and b.shape == (2, 3) and b.dtype == np.float32
    monkeypatch.setattr(Scratch, "keep_bytes", 100)
    big = scratch.take("cols", (50,), np.dtype("float64"))
    assert not np.shares_memory(big, scratch.take("cols", (50,), np.dtype("float64")))


def test_results_do_not_depend_on_the_number_of_threads(chunky, monkeypatch):
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, (9, 7, 7, 16)).astype(np.float32)
    w = rng.uniform(-1, 1, (3, 3, 16, 8)).astype(np.float32)
    dy = rng.uniform(-1, 1, (9, 7, 7, 8)).astype(np.float32)
    args = ((1, 1), (1, 1), (1, 1))

    def run():
        y = chunky.conv_forward(x, w, *args, (7, 7), activation="relu")
        return (y, *chunky.conv_backward(dy, y, x, w, "relu", True, True, True, *args),
                *chunky.max_pool_with_argmax(y, (2, 2), (2, 2), (0, 0), (3, 3)))

    threaded = run()
    monkeypatch.setattr(chunky, "chunk_pool", ChunkPool(None))
    assert chunky.chunk_pool.workers == 1
    for a, b in zip(threaded, run()):
        np.testing.assert_array_equal(a, b)


def test_chunk_threads_can_be_switched_off(monkeypatch):
    from multinn.backends.numpy_backend import NumpyBackend

    monkeypatch.setenv("MULTINN_CHUNK_THREADS", "0")
    assert NumpyBackend().chunk_pool.workers == 1
    assert ChunkPool(None).workers == 1
    assert ChunkPool(_Limit(4)).workers == 4


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_gets_a_fresh_pool(chunky):
    import os
    import warnings

    x = np.ones((6, 5, 5, 16))
    w = np.ones((3, 3, 16, 2))
    chunky.conv_forward(x, w, (1, 1), (1, 1), (0, 0), (3, 3))  # the parent's workers are running
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12 warns on fork with threads
        pid = os.fork()
    if pid == 0:  # the child: its pool must start its own threads, not wait on the parent's
        code = 1
        try:
            y = chunky.conv_forward(x, w, (1, 1), (1, 1), (0, 0), (3, 3))
            code = 0 if np.all(y == 144.0) else 2
        finally:
            os._exit(code)
    import time

    deadline = time.monotonic() + 60
    while True:  # a child stuck on the parent's (absent) threads is killed, not waited on forever
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung on the chunk pool")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
