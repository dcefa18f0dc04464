"""Shape K functions against NumPy references computed another way, with float64 gradients."""
import numpy as np
import pytest

from multinn import backend as K
from tests.helpers import check_op, rand


def _nhwc(fn):
    """Runs an NHWC reference on NCHW data (and back)."""
    return lambda x: np.moveaxis(fn(np.moveaxis(x, 1, -1)), -1, 1)


def _nearest_ref(x, fh, fw):
    n, h, w, c = x.shape
    out = np.empty((n, h * fh, w * fw, c), x.dtype)
    for i in range(h * fh):
        for j in range(w * fw):
            out[:, i, j] = x[:, i // fh, j // fw]
    return out


def _bilinear_ref(x, fh, fw):
    # TensorFlow 1 resize_bilinear without align_corners: source = destination / factor.
    n, h, w, c = x.shape
    out = np.empty((n, h * fh, w * fw, c), np.float64)
    for i in range(h * fh):
        y = i / fh
        y0 = int(np.floor(y))
        y1, dy = min(y0 + 1, h - 1), y - y0
        for j in range(w * fw):
            xx = j / fw
            x0 = int(np.floor(xx))
            x1, dx = min(x0 + 1, w - 1), xx - x0
            top = x[:, y0, x0] * (1 - dx) + x[:, y0, x1] * dx
            bottom = x[:, y1, x0] * (1 - dx) + x[:, y1, x1] * dx
            out[:, i, j] = top * (1 - dy) + bottom * dy
    return out.astype(x.dtype)


def _pad_ref(x, pads):
    out = np.zeros(tuple(d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype)
    out[tuple(slice(a, a + d) for d, (a, _) in zip(x.shape, pads))] = x
    return out


def test_permute_dimensions(backend_name):
    check_op(lambda x: K.permute_dimensions(x, (2, 0, 1)), lambda x: np.einsum("abc->cab", x), [rand(2, 3, 5)])


def test_permute_dimensions_rejects_non_permutation(backend_name):
    with pytest.raises(ValueError, match="pattern"):
        K.permute_dimensions(K.zeros((2, 3)), (0, 0))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_repeat_elements(backend_name, axis):
    check_op(lambda x: K.repeat_elements(x, 3, axis), lambda x: np.repeat(x, 3, axis=axis), [rand(2, 3, 1 + 2)])


def test_repeat(backend_name):
    ref = lambda x: np.stack([x] * 4, axis=1)  # noqa: E731
    check_op(lambda x: K.repeat(x, 4), ref, [rand(3, 5)])


def test_repeat_needs_2d(backend_name):
    with pytest.raises(ValueError, match="2D"):
        K.repeat(K.zeros((2, 3, 4)), 2)


@pytest.mark.parametrize("n", [3, (2, 1), (1, 2, 3)])
def test_tile(backend_name, n):
    check_op(lambda x: K.tile(x, n), lambda x: np.tile(x, n), [rand(3, 2)])


def test_flatten_and_batch_flatten(backend_name):
    check_op(K.flatten, lambda x: np.array([v for v in x.ravel()]), [rand(2, 3, 5)])
    check_op(K.batch_flatten, lambda x: np.stack([s.ravel() for s in x]), [rand(3, 2, 5)])
    assert K.batch_flatten(K.zeros((0, 3, 2))).shape == (0, 6)


def test_temporal_padding(backend_name):
    check_op(lambda x: K.temporal_padding(x, (2, 1)), lambda x: _pad_ref(x, ((0, 0), (2, 1), (0, 0))), [rand(2, 3, 4)])
    assert K.temporal_padding(K.ones((1, 3, 2))).shape == (1, 5, 2)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_2d_padding(backend_name, data_format):
    padding = ((1, 2), (0, 3))
    inner = ((0, 0),) + padding + ((0, 0),)
    ref = (lambda x: np.pad(x, inner)) if data_format == "channels_last" else _nhwc(lambda x: np.pad(x, inner))
    check_op(lambda x: K.spatial_2d_padding(x, padding, data_format), ref, [rand(2, 3, 5, 2)])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_3d_padding(backend_name, data_format):
    padding = ((1, 0), (0, 2), (2, 1))
    inner = ((0, 0),) + padding + ((0, 0),)
    ref = (lambda x: np.pad(x, inner)) if data_format == "channels_last" else _nhwc(lambda x: np.pad(x, inner))
    check_op(lambda x: K.spatial_3d_padding(x, padding, data_format), ref, [rand(1, 2, 3, 2, 2)])


def test_padding_defaults_follow_image_data_format(backend_name):
    previous = K.image_data_format()
    try:
        K.set_image_data_format("channels_first")
        assert K.spatial_2d_padding(K.ones((1, 2, 3, 3))).shape == (1, 2, 5, 5)
        K.set_image_data_format("channels_last")
        assert K.spatial_2d_padding(K.ones((1, 3, 3, 2))).shape == (1, 5, 5, 2)
    finally:
        K.set_image_data_format(previous)


def test_padding_rejects_bad_pairs(backend_name):
    with pytest.raises(ValueError, match="padding"):
        K.spatial_2d_padding(K.ones((1, 2, 2, 1)), ((1, 1),))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_resize_images(backend_name, data_format, interpolation):
    ref = _nearest_ref if interpolation == "nearest" else _bilinear_ref
    ref2 = (lambda x: ref(x, 2, 3)) if data_format == "channels_last" else _nhwc(lambda x: ref(x, 2, 3))
    check_op(lambda x: K.resize_images(x, 2, 3, data_format, interpolation), ref2, [rand(2, 3, 3, 2)])


def test_resize_images_rejects_unknown_interpolation(backend_name):
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(K.ones((1, 2, 2, 1)), 2, 2, "channels_last", interpolation="cubic")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resize_volumes(backend_name, data_format):
    def ref(x):
        if data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        out = np.empty((x.shape[0], x.shape[1] * 2, x.shape[2], x.shape[3] * 3, x.shape[4]), x.dtype)
        for d in range(out.shape[1]):
            for w in range(out.shape[3]):
                out[:, d, :, w] = x[:, d // 2, :, w // 3]
        return out if data_format == "channels_last" else np.moveaxis(out, -1, 1)

    check_op(lambda x: K.resize_volumes(x, 2, 1, 3, data_format), ref, [rand(1, 2, 3, 2, 2)])


def test_one_hot(backend_name):
    def ref(idx):
        out = np.zeros(idx.shape + (4,), np.float32)
        for pos, v in np.ndenumerate(idx):
            if 0 <= v < 4:
                out[pos + (v,)] = 1
        return out

    idx = np.array([[0, 3, 1], [2, 2, 7]], np.int32)
    check_op(lambda i: K.one_hot(i, 4), ref, [idx], grad=False)
    assert K.dtype(K.one_hot(K.constant(idx, dtype="int32"), 4)) == K.floatx()


@pytest.mark.parametrize("axes", [0, [1, 2], -1])
def test_reverse(backend_name, axes):
    check_op(lambda x: K.reverse(x, axes), lambda x: np.flip(x, axes), [rand(2, 3, 5)])


def test_slice(backend_name):
    check_op(lambda x: K.slice(x, (1, 0, 2), (2, -1, 3)), lambda x: x[1:3, :, 2:5], [rand(3, 2, 5)])
    with pytest.raises(ValueError, match="start"):
        K.slice(K.zeros((2, 2)), (0,), (1,))


def test_pad(backend_name):
    check_op(lambda x: K.pad(x, ((1, 0), (2, 3))), lambda x: _pad_ref(x, ((1, 0), (2, 3))), [rand(3, 2)])
