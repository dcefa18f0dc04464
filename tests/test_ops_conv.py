"""K's convolution, pooling and locally connected functions against direct loops over output positions."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, rand, differentiable_inside


# ------------------------------------------------------------------ references: plain loops, channels_last
def _geometry(n, k, s, d, padding):
    span = (k - 1) * d + 1
    if padding == "valid":
        return (n - span) // s + 1, 0
    out = -(-n // s)
    if padding == "causal":
        return out, span - 1
    return out, max((out - 1) * s + span - n, 0) // 2


def ref_conv(x, w, strides, padding, dilation, groups=1):
    nd = x.ndim - 2
    ksize = w.shape[:nd]
    geo = [_geometry(x.shape[1 + i], ksize[i], strides[i], dilation[i], padding) for i in range(nd)]
    out = [g[0] for g in geo]
    lo = [g[1] for g in geo]
    cout = w.shape[-1]
    cg, og = x.shape[-1] // groups, cout // groups
    y = np.zeros((x.shape[0], *out, cout))
    for opos in itertools.product(*map(range, out)):
        for kpos in itertools.product(*map(range, ksize)):
            ipos = [opos[i] * strides[i] - lo[i] + kpos[i] * dilation[i] for i in range(nd)]
            if any(p < 0 or p >= x.shape[1 + i] for i, p in enumerate(ipos)):
                continue
            xv = x[(slice(None), *ipos)]
            for g in range(groups):
                y[(slice(None), *opos, slice(g * og, (g + 1) * og))] += (
                    xv[:, g * cg:(g + 1) * cg] @ w[kpos][:, g * og:(g + 1) * og]
                )
    return y


def ref_conv_transpose(x, w, out, strides, padding, dilation):
    """Scatter form: every input cell adds its kernel-weighted values into the output."""
    nd = x.ndim - 2
    ksize = w.shape[:nd]
    lo = []
    for i in range(nd):
        span = (ksize[i] - 1) * dilation[i] + 1
        lo.append(0 if padding == "valid" else max((x.shape[1 + i] - 1) * strides[i] + span - out[i], 0) // 2)
    y = np.zeros((x.shape[0], *out, w.shape[-2]))
    for ipos in itertools.product(*map(range, x.shape[1:-1])):
        for kpos in itertools.product(*map(range, ksize)):
            opos = [ipos[i] * strides[i] - lo[i] + kpos[i] * dilation[i] for i in range(nd)]
            if any(p < 0 or p >= out[i] for i, p in enumerate(opos)):
                continue
            y[(slice(None), *opos)] += x[(slice(None), *ipos)] @ w[kpos].T
    return y


def ref_pool(x, pool, strides, padding, mode):
    nd = x.ndim - 2
    geo = [_geometry(x.shape[1 + i], pool[i], strides[i], 1, padding) for i in range(nd)]
    out = [g[0] for g in geo]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for opos in itertools.product(*map(range, out)):
        index = []
        for i in range(nd):
            start = opos[i] * strides[i] - geo[i][1]
            index.append(slice(max(start, 0), min(start + pool[i], x.shape[1 + i])))
        window = x[(slice(None), *index)].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *opos)] = window.max(axis=1) if mode == "max" else window.mean(axis=1)
    return y


def cf(a):
    """channels_last -> channels_first."""
    return np.moveaxis(a, -1, 1)


def cl(a):
    return np.moveaxis(a, 1, -1)


# ------------------------------------------------------------------ convolutions
CONV2D_CASES = [
    # x shape, kernel shape, strides, padding, dilation
    ((2, 5, 6, 2), (3, 3, 2, 3), (1, 1), "valid", (1, 1)),
    ((2, 5, 6, 2), (3, 2, 2, 3), (1, 1), "same", (1, 1)),
    ((1, 7, 6, 3), (3, 3, 3, 2), (2, 2), "same", (1, 1)),
    ((1, 7, 8, 2), (2, 3, 2, 2), (2, 3), "valid", (1, 1)),
    ((1, 7, 7, 2), (3, 2, 2, 2), (1, 1), "same", (2, 2)),
    ((2, 6, 5, 1), (2, 2, 1, 2), (1, 2), "valid", (2, 1)),
]


@pytest.mark.parametrize("xs,ws,strides,padding,dilation", CONV2D_CASES)
def test_conv2d_channels_last(backend_name, xs, ws, strides, padding, dilation):
    x, w = rand(*xs, seed=1), rand(*ws, seed=2)
    check_op(
        lambda a, b: K.conv2d(a, b, strides, padding, "channels_last", dilation),
        lambda a, b: ref_conv(a, b, strides, padding, dilation),
        [x, w], rtol=1e-4, atol=1e-5,
    )


@pytest.mark.parametrize("xs,ws,strides,padding,dilation", CONV2D_CASES[1:4])
def test_conv2d_channels_first(backend_name, xs, ws, strides, padding, dilation):
    x, w = cf(rand(*xs, seed=3)), rand(*ws, seed=4)
    check_op(
        lambda a, b: K.conv2d(a, b, strides, padding, "channels_first", dilation),
        lambda a, b: cf(ref_conv(cl(a), b, strides, padding, dilation)),
        [x, w], rtol=1e-4, atol=1e-5,
    )


def test_conv2d_default_data_format_follows_config(backend_name):
    x, w = rand(1, 2, 5, 5, seed=5), rand(3, 3, 2, 1, seed=6)
    K.set_image_data_format("channels_first")
    try:
        got = K.conv2d(x, w).numpy()
    finally:
        K.set_image_data_format("channels_last")
    np.testing.assert_allclose(got, cf(ref_conv(cl(x), w, (1, 1), "valid", (1, 1))), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_nd_with_fused_bias(backend_name, data_format):
    x, w, b = rand(2, 5, 4, 2, seed=60), rand(3, 2, 2, 3, seed=61), rand(3, seed=62)
    to = cf if data_format == "channels_first" else (lambda a: a)
    back = cl if data_format == "channels_first" else (lambda a: a)
    check_op(lambda a, k, c: K.conv_nd(a, k, c, (2, 1), "same", data_format),
             lambda a, k, c: to(ref_conv(back(a), k, (2, 1), "same", (1, 1)) + c), [to(x), w, b],
             rtol=1e-4, atol=1e-5)
    x1, w1 = rand(2, 6, 2, seed=63), rand(2, 2, 3, seed=64)
    check_op(lambda a, k, c: K.conv_nd(a, k, c, padding="causal"),
             lambda a, k, c: ref_conv(a, k, (1,), "causal", (1,)) + c, [x1, w1, b], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="bias"):
        K.conv_nd(x, w, K.ones((4,)))


@pytest.mark.parametrize("padding,strides,dilation",
                         [("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2), ("causal", 2, 1)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv1d(backend_name, padding, strides, dilation, data_format):
    x, w = rand(2, 7, 3, seed=7), rand(3, 3, 2, seed=8)
    to = (lambda a: a) if data_format == "channels_last" else (lambda a: np.swapaxes(a, 1, 2))
    check_op(
        lambda a, b: K.conv1d(a, b, strides, padding, data_format, dilation),
        lambda a, b: to(ref_conv(to(a), b, (strides,), padding, (dilation,))),
        [to(x), w], rtol=1e-4, atol=1e-5,
    )


@pytest.mark.parametrize("padding,strides,dilation", [("valid", (1, 1, 1), (1, 1, 1)), ("same", (2, 1, 2), (1, 1, 1)),
                                                     ("valid", (1, 1, 1), (1, 2, 1))])
def test_conv3d(backend_name, padding, strides, dilation):
    x, w = rand(1, 4, 5, 3, 2, seed=9), rand(2, 2, 2, 2, 2, seed=10)
    check_op(
        lambda a, b: K.conv3d(a, b, strides, padding, "channels_last", dilation),
        lambda a, b: ref_conv(a, b, strides, padding, dilation),
        [x, w], rtol=1e-4, atol=1e-5,
    )


def test_conv3d_channels_first(backend_name):
    x, w = rand(1, 2, 4, 3, 3, seed=11), rand(2, 2, 2, 2, 1, seed=12)
    got = K.conv3d(x, w, padding="same", data_format="channels_first").numpy()
    np.testing.assert_allclose(got, cf(ref_conv(cl(x), w, (1, 1, 1), "same", (1, 1, 1))), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding,strides", [("valid", (1, 1)), ("same", (2, 1))])
def test_depthwise_conv2d(backend_name, padding, strides):
    x, w = rand(2, 5, 4, 3, seed=13), rand(3, 2, 3, 2, seed=14)

    def ref(a, b):
        # Depthwise: channel c with filter m gives output channel c * M + m.
        grouped = b.reshape(3, 2, 1, 6)
        return ref_conv(a, grouped, strides, padding, (1, 1), groups=3)

    def ref_loop(a, b):
        cols = [ref_conv(a[..., c:c + 1], b[:, :, c:c + 1, :], strides, padding, (1, 1)) for c in range(3)]
        return np.concatenate(cols, axis=-1)

    np.testing.assert_allclose(ref(x, w), ref_loop(x, w), rtol=1e-5, atol=1e-6)
    check_op(lambda a, b: K.depthwise_conv2d(a, b, strides, padding), ref_loop, [x, w], rtol=1e-4, atol=1e-5)


def test_depthwise_conv2d_dilated_multiplier_one(backend_name):
    x, w = rand(2, 7, 6, 3, seed=53), rand(2, 3, 3, 1, seed=54)

    def ref(a, b):
        return np.concatenate(
            [ref_conv(a[..., c:c + 1], b[:, :, c:c + 1, :], (1, 2), "same", (2, 1)) for c in range(3)], axis=-1
        )

    check_op(lambda a, b: K.depthwise_conv2d(a, b, (1, 2), "same", dilation_rate=(2, 1)), ref, [x, w],
             rtol=1e-4, atol=1e-5)


def test_depthwise_conv2d_channels_first(backend_name):
    x, w = rand(1, 2, 5, 5, seed=15), rand(3, 3, 2, 2, seed=16)
    got = K.depthwise_conv2d(x, w, padding="same", data_format="channels_first").numpy()
    want = np.concatenate(
        [ref_conv(cl(x)[..., c:c + 1], w[:, :, c:c + 1, :], (1, 1), "same", (1, 1)) for c in range(2)], axis=-1
    )
    np.testing.assert_allclose(got, cf(want), rtol=1e-4, atol=1e-5)


def test_separable_conv2d(backend_name):
    x, dw, pw = rand(2, 5, 5, 2, seed=17), rand(3, 3, 2, 2, seed=18), rand(1, 1, 4, 3, seed=19)

    def ref(a, d, p):
        depth = np.concatenate(
            [ref_conv(a[..., c:c + 1], d[:, :, c:c + 1, :], (1, 1), "same", (1, 1)) for c in range(2)], axis=-1
        )
        return ref_conv(depth, p, (1, 1), "valid", (1, 1))

    check_op(lambda a, d, p: K.separable_conv2d(a, d, p, padding="same"), ref, [x, dw, pw], rtol=1e-4, atol=1e-5)


def test_separable_conv1d_channels_first(backend_name):
    x, dw, pw = rand(2, 2, 7, seed=20), rand(3, 2, 1, seed=21), rand(1, 2, 4, seed=22)

    def ref(a, d, p):
        a = np.swapaxes(a, 1, 2)
        depth = np.concatenate([ref_conv(a[..., c:c + 1], d[:, c:c + 1, :], (2,), "valid", (1,)) for c in range(2)], -1)
        return np.swapaxes(ref_conv(depth, p, (1,), "valid", (1,)), 1, 2)

    check_op(lambda a, d, p: K.separable_conv1d(a, d, p, strides=2, data_format="channels_first"), ref, [x, dw, pw],
             rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ transposed convolutions
@pytest.mark.parametrize("xs,ks,out,strides,padding,dilation", [
    ((2, 3, 4, 2), (3, 3, 3, 2), (5, 6), (1, 1), "valid", (1, 1)),
    ((1, 3, 3, 2), (3, 3, 2, 2), (7, 7), (2, 2), "valid", (1, 1)),
    ((1, 3, 4, 2), (3, 2, 1, 2), (6, 8), (2, 2), "same", (1, 1)),
    ((1, 3, 3, 1), (3, 3, 2, 1), (5, 5), (2, 2), "same", (1, 1)),
    ((1, 3, 3, 2), (2, 2, 2, 2), (5, 5), (1, 1), "valid", (2, 2)),
    ((1, 3, 3, 2), (3, 3, 2, 2), (8, 8), (2, 2), "valid", (1, 1)),
])
def test_conv2d_transpose(backend_name, xs, ks, out, strides, padding, dilation):
    x, w = rand(*xs, seed=23), rand(*ks, seed=24)
    shape = (xs[0],) + out + (ks[-2],)
    check_op(
        lambda a, b: K.conv2d_transpose(a, b, shape, strides, padding, "channels_last", dilation),
        lambda a, b: ref_conv_transpose(a, b, out, strides, padding, dilation),
        [x, w], rtol=1e-4, atol=1e-5,
    )


def test_conv_transpose_is_adjoint_of_conv(backend_name):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for the same geometry."""
    x, w = rand(2, 7, 6, 2, seed=25).astype(np.float64), rand(3, 3, 2, 3, seed=26).astype(np.float64)
    f64 = lambda a: K.constant(a, dtype="float64")  # noqa: E731
    y = K.conv2d(f64(x), f64(w), (2, 2), "same").numpy()
    g = rand(*y.shape, seed=27).astype(np.float64)
    back = K.conv2d_transpose(f64(g), f64(w), x.shape, (2, 2), "same").numpy()
    assert np.allclose(np.sum(y * g), np.sum(x * back), rtol=1e-10)


def test_conv2d_transpose_channels_first_and_inferred_shape(backend_name):
    x, w = rand(1, 2, 3, 4, seed=28), rand(3, 3, 3, 2, seed=29)
    got = K.conv2d_transpose(x, w, None, (2, 2), "same", "channels_first")
    assert got.shape == (1, 3, 6, 8)
    want = cf(ref_conv_transpose(cl(x), w, (6, 8), (2, 2), "same", (1, 1)))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    padded = K.conv2d_transpose(x, w, None, (2, 2), "same", "channels_first", output_padding=(0, 1))
    assert padded.shape == (1, 3, 5, 8)


def test_conv1d_and_conv3d_transpose(backend_name):
    x, w = rand(2, 4, 3, seed=30), rand(3, 2, 3, seed=31)
    check_op(lambda a, b: K.conv1d_transpose(a, b, (2, 9, 2), 2, "valid"),
             lambda a, b: ref_conv_transpose(a, b, (9,), (2,), "valid", (1,)), [x, w], rtol=1e-4, atol=1e-5)
    x3, w3 = rand(1, 2, 3, 2, 2, seed=32), rand(2, 2, 2, 1, 2, seed=33)
    check_op(lambda a, b: K.conv3d_transpose(a, b, (1, 4, 6, 4, 1), (2, 2, 2), "same"),
             lambda a, b: ref_conv_transpose(a, b, (4, 6, 4), (2, 2, 2), "same", (1, 1, 1)), [x3, w3],
             rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ pooling
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("xs,pool,strides,padding", [
    ((2, 5, 6, 2), (2, 2), (2, 2), "valid"),
    ((2, 5, 7, 2), (2, 2), (2, 2), "same"),
    ((1, 7, 6, 3), (3, 3), (2, 1), "same"),
    ((1, 6, 6, 1), (3, 2), (1, 2), "valid"),
])
def test_pool2d(backend_name, mode, xs, pool, strides, padding):
    x = rand(*xs, seed=34)
    check_op(lambda a: K.pool2d(a, pool, strides, padding, "channels_last", mode),
             lambda a: ref_pool(a, pool, strides, padding, mode), [x])


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_channels_first(backend_name, mode):
    x = rand(2, 3, 5, 5, seed=35)
    check_op(lambda a: K.pool2d(a, (2, 2), (2, 2), "same", "channels_first", mode),
             lambda a: cf(ref_pool(cl(a), (2, 2), (2, 2), "same", mode)), [x])


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool1d_and_pool3d(backend_name, mode):
    x1 = rand(2, 7, 3, seed=36)
    check_op(lambda a: K.pool1d(a, 3, 2, "same", pool_mode=mode), lambda a: ref_pool(a, (3,), (2,), "same", mode), [x1])
    x3 = rand(1, 4, 5, 3, 2, seed=37)
    check_op(lambda a: K.pool3d(a, (2, 2, 2), (2, 2, 1), "valid", pool_mode=mode),
             lambda a: ref_pool(a, (2, 2, 2), (2, 2, 1), "valid", mode), [x3])
    got = K.pool3d(cf(x3), (2, 2, 2), (1, 1, 1), "same", "channels_first", mode).numpy()
    np.testing.assert_allclose(got, cf(ref_pool(x3, (2, 2, 2), (1, 1, 1), "same", mode)), rtol=1e-5, atol=1e-6)


def test_max_pool_gradient_goes_to_one_cell_on_ties(backend_name):
    x = K.variable(np.zeros((1, 4, 4, 1), dtype=np.float32))
    (g,) = K.gradients(K.sum(K.pool2d(x, (2, 2), (2, 2))), [x])
    g = g.numpy()[0, :, :, 0]
    assert g.sum() == 4.0
    np.testing.assert_array_equal(g[::2, ::2], np.ones((2, 2)))


def test_pool_float32_stays_float32(backend_name):
    x = K.constant(rand(1, 4, 4, 2, seed=38))
    assert K.pool2d(x, (2, 2), pool_mode="avg").dtype == np.float32


# ------------------------------------------------------------------ locally connected
def ref_local_conv(x, kernel, ksize, strides, channel_major):
    nd = x.ndim - 2
    out = [(x.shape[1 + i] - ksize[i]) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], *out, kernel.shape[-1]))
    for p, opos in enumerate(itertools.product(*map(range, out))):
        index = tuple(slice(opos[i] * strides[i], opos[i] * strides[i] + ksize[i]) for i in range(nd))
        window = x[(slice(None), *index)]
        if channel_major:
            window = np.moveaxis(window, -1, 1)
        y[(slice(None), *opos)] = window.reshape(x.shape[0], -1) @ kernel[p]
    return y


def test_local_conv1d(backend_name):
    x, k = rand(2, 7, 3, seed=39), rand(3, 9, 2, seed=40)
    check_op(lambda a, b: K.local_conv1d(a, b, (3,), (2,)), lambda a, b: ref_local_conv(a, b, (3,), (2,), False),
             [x, k])
    got = K.local_conv1d(np.swapaxes(x, 1, 2), k, (3,), (2,), "channels_first").numpy()
    np.testing.assert_allclose(got, np.swapaxes(ref_local_conv(x, k, (3,), (2,), True), 1, 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_local_conv2d(backend_name, data_format):
    x, k = rand(2, 5, 4, 2, seed=41), rand(4 * 2, 2 * 2 * 2, 3, seed=42)
    first = data_format == "channels_first"
    to = cf if first else (lambda a: a)
    check_op(lambda a, b: K.local_conv2d(a, b, (2, 2), (1, 2), (4, 2), data_format),
             lambda a, b: to(ref_local_conv(x.astype(a.dtype), b, (2, 2), (1, 2), first)), [to(x), k])


# ------------------------------------------------------------------ second-order gradients
def test_conv2d_second_order(backend_name):
    def grad_of_loss(x, w):
        loss = K.sum(K.square(K.conv2d(x, w, (2, 1), "same")))
        gx, gw = K.gradients(loss, [x, w], create_graph=True)
        return K.sum(gx * gx) + K.sum(K.sin(gw))

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 5, 4, 2, seed=43), rand(3, 2, 2, 2, seed=44)],
                      atol=1e-5, rtol=1e-4)


def test_depthwise_second_order(backend_name):
    def grad_of_loss(x, w):
        loss = K.sum(K.square(K.depthwise_conv2d(x, w, padding="same")))
        gx, gw = K.gradients(loss, [x, w], create_graph=True)
        return K.sum(gx * gx) + K.sum(K.sin(gw))

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 4, 4, 2, seed=45), rand(2, 2, 2, 2, seed=46)],
                      atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_second_order(backend_name, mode):
    def grad_of_loss(x):
        loss = K.sum(K.square(K.pool2d(x, (2, 2), (1, 1), "same", pool_mode=mode)))
        (gx,) = K.gradients(loss, [x], create_graph=True)
        return gx * gx

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 4, 3, 2, seed=47)], atol=1e-5, rtol=1e-4)


def test_patches_second_order(backend_name):
    def grad_of_loss(x):
        loss = K.sum(K.square(K.extract_patches(x, (2, 2), (1, 1), "same")))
        (gx,) = K.gradients(loss, [x], create_graph=True)
        return K.sin(gx)

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 3, 4, 2, seed=48)], atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------ errors and shapes
def test_bad_arguments_name_what_was_received(backend_name):
    x = K.ones((1, 5, 5, 2))
    with pytest.raises(ValueError, match="padding"):
        K.conv2d(x, K.ones((3, 3, 2, 1)), padding="causal")
    with pytest.raises(ValueError, match="channels"):
        K.conv2d(x, K.ones((3, 3, 3, 1)))
    with pytest.raises(ValueError, match="does not fit"):
        K.conv2d(x, K.ones((7, 7, 2, 1)))
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(x, (2, 2), pool_mode="min")
    with pytest.raises(ValueError, match="strides"):
        K.conv2d(x, K.ones((3, 3, 2, 1)), strides=(1, 1, 1))


def test_large_float32_conv_stays_float32_and_matches_float64(backend_name):
    x, w = rand(4, 12, 12, 8, seed=49), rand(3, 3, 8, 16, seed=50)
    got = K.conv2d(x, w, padding="same")
    assert got.dtype == np.float32
    want = K.conv2d(K.constant(x, dtype="float64"), K.constant(w, dtype="float64"), padding="same").numpy()
    assert math.isclose(float(np.abs(got.numpy() - want).max()), 0.0, abs_tol=1e-4)


def test_placeholders_defer_to_k_function(backend_name):
    x = K.placeholder(shape=(None, 6, 5, 2))
    w = K.variable(rand(3, 3, 2, 4, seed=51))
    y = K.pool2d(K.conv2d(x, w, padding="same"), (2, 2), (2, 2), pool_mode="avg")
    assert K.int_shape(y) == (None, 3, 2, 4)
    data = rand(3, 6, 5, 2, seed=52)
    got = K.function([x], [y])([data])[0]
    want = ref_pool(ref_conv(data, w.numpy(), (1, 1), "same", (1, 1)), (2, 2), (2, 2), "valid", "avg")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_wide_channels_take_the_strided_im2col_path(backend_name):
    # 16+ input channels: patches come from one strided copy rather than per-tap slabs
    x, w = rand(2, 5, 6, 16, seed=55), rand(2, 3, 16, 2, seed=56)
    check_op(lambda a, b: K.conv2d(a, b, (2, 1), "same"), lambda a, b: ref_conv(a, b, (2, 1), "same", (1, 1)),
             [x, w], grad=False, rtol=1e-4, atol=1e-5)
    x64 = K.constant(x, dtype="float64")
    K.check_gradients(lambda k: K.conv2d(x64, k, (2, 1), "same"), [w], atol=1e-5, rtol=1e-4)
    w64 = K.constant(w, dtype="float64")
    K.check_gradients(lambda a: K.conv2d(a, w64, (2, 1), "same"), [x[:1, :3, :4]], atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------ grouped convolution (tf.keras 2's groups=)
def ref_grouped(x, w, groups, conv):
    """A grouped convolution as `groups` plain ones on the channel blocks, concatenated."""
    cg, og = x.shape[-1] // groups, w.shape[-1] // groups
    return np.concatenate([conv(x[..., g * cg:(g + 1) * cg], w[..., g * og:(g + 1) * og]) for g in range(groups)],
                          axis=-1)


@pytest.mark.parametrize("nd,xs,ws,groups,strides,padding,dilation", [
    (1, (2, 7, 4), (3, 2, 6), 2, (1,), "causal", (2,)),
    (1, (2, 8, 6), (2, 2, 3), 3, (2,), "same", (1,)),
    (2, (2, 5, 6, 4), (3, 2, 1, 8), 4, (1, 1), "same", (1, 1)),
    (2, (1, 7, 6, 6), (3, 3, 3, 4), 2, (2, 1), "valid", (1, 1)),
    (2, (1, 7, 7, 4), (2, 2, 2, 6), 2, (1, 1), "valid", (2, 2)),
    (3, (1, 4, 5, 3, 4), (2, 2, 2, 2, 4), 2, (1, 2, 1), "same", (1, 1, 1)),
])
def test_grouped_conv_matches_one_conv_per_group(backend_name, nd, xs, ws, groups, strides, padding, dilation):
    x, w = rand(*xs, seed=70), rand(*ws, seed=71)
    fn = (K.conv1d, K.conv2d, K.conv3d)[nd - 1]
    check_op(lambda a, b: fn(a, b, strides, padding, "channels_last", dilation, groups=groups),
             lambda a, b: ref_grouped(a, b, groups, lambda xa, wb: ref_conv(xa, wb, strides, padding, dilation)),
             [x, w], rtol=1e-4, atol=1e-5)


def test_grouped_conv_channels_first_and_fused_bias(backend_name):
    x, w, b = rand(2, 5, 5, 6, seed=72), rand(3, 3, 2, 9, seed=73), rand(9, seed=74)
    check_op(lambda a, k, c: K.conv_nd(a, k, c, padding="same", data_format="channels_first", groups=3),
             lambda a, k, c: cf(ref_grouped(cl(a), k, 3, lambda xa, wb: ref_conv(xa, wb, (1, 1), "same", (1, 1)))
                                + c),
             [cf(x), w, b], rtol=1e-4, atol=1e-5)
    got = K.conv2d(cf(x), w, data_format="channels_first", groups=3).numpy()
    want = cf(ref_grouped(x, w, 3, lambda xa, wb: ref_conv(xa, wb, (1, 1), "valid", (1, 1))))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_grouped_conv_second_order(backend_name):
    def grad_of_loss(x, w):
        loss = K.sum(K.square(K.conv2d(x, w, (2, 1), "same", groups=2)))
        gx, gw = K.gradients(loss, [x, w], create_graph=True)
        return K.sum(gx * gx) + K.sum(K.sin(gw))

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 5, 4, 4, seed=75), rand(3, 2, 2, 6, seed=76)],
                      atol=1e-5, rtol=1e-4)


def test_grouped_conv_bad_groups_name_what_was_received(backend_name):
    x = K.ones((1, 5, 5, 4))
    with pytest.raises(ValueError, match="divisible by `groups`. Received: groups=2"):
        K.conv2d(x, K.ones((3, 3, 2, 5)), groups=2)
    with pytest.raises(ValueError, match="expects 6 .*Received: groups=3"):
        K.conv2d(x, K.ones((3, 3, 2, 6)), groups=3)
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="`groups` must be a positive int"):
            K.conv1d(K.ones((1, 5, 4)), K.ones((3, 2, 4)), groups=bad)


# ------------------------------------------------------------------ conv_nd's fused activations
@pytest.mark.parametrize("activation", ["relu", "tanh", "linear", None])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_nd_fused_activation(backend_name, activation, data_format):
    x, w, b = rand(3, 6, 5, 2, seed=80), rand(3, 2, 2, 4, seed=81), rand(4, seed=82)
    act = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "linear": lambda v: v, None: lambda v: v}[activation]
    to = cf if data_format == "channels_first" else (lambda a: a)
    back = cl if data_format == "channels_first" else (lambda a: a)
    check_op(lambda a, k, c: K.conv_nd(a, k, c, (1, 2), "same", data_format, activation=activation),
             lambda a, k, c: to(act(ref_conv(back(a), k, (1, 2), "same", (1, 1)) + c)), [to(x), w, b],
             rtol=1e-4, atol=1e-5)


def test_conv_nd_fused_activation_second_order(backend_name):
    def grad_of_loss(x, w):
        loss = K.sum(K.square(K.conv_nd(x, w, None, (2, 1), "same", activation="tanh")))
        gx, gw = K.gradients(loss, [x, w], create_graph=True)
        return K.sum(gx * gx) + K.sum(K.sin(gw))

    K.check_gradients(differentiable_inside(grad_of_loss), [rand(1, 5, 4, 2, seed=83), rand(3, 2, 2, 2, seed=84)],
                      atol=1e-5, rtol=1e-4)

    def relu_grad(x, w):  # relu's backward taken again: through the recorded mask
        loss = K.sum(K.square(K.conv_nd(x, w, None, padding="same", activation="relu")))
        return K.gradients(loss, [w], create_graph=True)[0]

    K.check_gradients(differentiable_inside(relu_grad), [rand(1, 4, 4, 2, seed=85), rand(2, 2, 2, 3, seed=86)],
                      atol=1e-5, rtol=1e-4)


def test_conv_nd_refuses_other_activations(backend_name):
    with pytest.raises(ValueError, match="activation='sigmoid'"):
        K.conv_nd(K.ones((1, 3, 3, 1)), K.ones((2, 2, 1, 1)), activation="sigmoid")
