"""multinn.preprocessing.image (Keras 2.3.1's keras.preprocessing.image), checked against NumPy by hand."""
from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np
import pytest

from multinn import backend as K
from multinn.preprocessing import image
from multinn.preprocessing.image import ImageDataGenerator

PIL = pytest.importorskip("PIL.Image", reason="multinn.preprocessing.image's tests need Pillow ('multinn[test]')")
pytest.importorskip("scipy.ndimage", reason="multinn.preprocessing.image's tests need SciPy ('multinn[test]')")
from PIL import Image  # noqa: E402


# --- references written by hand ------------------------------------------------------------------------

def keras_matrix(theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, rows=1, cols=1):
    """Keras 2.3.1's transform, with NumPy: rotation @ shift @ shear @ zoom about (rows/2 + .5, cols/2 + .5)."""
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    m = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    m = m @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    m = m @ np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    m = m @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    ox, oy = rows / 2 + 0.5, cols / 2 + 0.5
    return np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ m @ np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])


def bilinear_nearest_fill(plane, matrix):
    """Output pixel o reads plane at matrix @ (o, 1), bilinear, coordinates clamped (fill_mode='nearest')."""
    rows, cols = plane.shape
    out = np.empty_like(plane, dtype="float64")
    for i in range(rows):
        for j in range(cols):
            r, c, _ = matrix @ np.array([i, j, 1.0])
            r, c = min(max(r, 0.0), rows - 1.0), min(max(c, 0.0), cols - 1.0)
            r0, c0 = int(math.floor(r)), int(math.floor(c))
            r1, c1 = min(r0 + 1, rows - 1), min(c0 + 1, cols - 1)
            fr, fc = r - r0, c - c0
            out[i, j] = ((1 - fr) * (1 - fc) * plane[r0, c0] + (1 - fr) * fc * plane[r0, c1]
                         + fr * (1 - fc) * plane[r1, c0] + fr * fc * plane[r1, c1])
    return out


def write_png(path, pixels):
    Image.fromarray(np.asarray(pixels, dtype="uint8")).save(path)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


# --- single-image transforms ------------------------------------------------------------------------------

def test_shift_moves_the_content_like_slicing(rng):
    x = rng.rand(5, 6, 2).astype("float32")
    out = image.apply_affine_transform(x, tx=2, ty=-1, fill_mode="constant", cval=-1.0)
    expected = np.full_like(x, -1.0)
    expected[:-2, 1:] = x[2:, :-1]  # output (i, j) reads input (i + 2, j - 1)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_rotation_by_90_degrees_matches_the_index_formula_and_rot90(rng):
    n = 5
    x = rng.rand(n, n, 3).astype("float32")
    out = image.apply_affine_transform(x, theta=90)
    centre = n / 2 + 0.5  # Keras 2.3.1's centre
    rows = np.clip((2 * centre - np.arange(n)).astype(int), 0, n - 1)
    expected = np.stack([x[rows, i] for i in range(n)])  # out[i, j] = x[2c - j, i], edges repeated
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # ... which is NumPy's clockwise rot90 moved two columns right by that off-centre pivot.
    np.testing.assert_allclose(out[:, 2:], np.rot90(x, -1)[:, :-2], atol=1e-5)


def test_composed_affine_transform_matches_a_hand_bilinear_resampling(rng):
    x = rng.rand(7, 9, 2)
    params = dict(theta=30.0, tx=1.5, ty=-2.0, shear=10.0, zx=0.8, zy=1.3)
    out = image.apply_affine_transform(x, **params, fill_mode="nearest", order=1)
    matrix = keras_matrix(**params, rows=7, cols=9)
    for c in range(2):
        np.testing.assert_allclose(out[..., c], bilinear_nearest_fill(x[..., c], matrix), atol=1e-6)


def test_constant_fill_outside_the_image():
    ones = np.ones((3, 3, 3))
    out = ImageDataGenerator(fill_mode="constant").apply_transform(ones, {"theta": 45})
    matrix = keras_matrix(theta=45, rows=3, cols=3)
    inside = np.array([[all(0 <= v <= 2 for v in (matrix @ [i, j, 1])[:2]) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(out, np.repeat(inside[..., None], 3, axis=2).astype(float), atol=1e-6)
    assert inside.sum() == 4  # the off-centre pivot: not the symmetric diamond of 5


def test_affine_transform_of_a_channels_first_and_a_transposed_image(rng):
    x = rng.rand(6, 8, 3)
    expected = image.apply_affine_transform(x, theta=20, zx=1.2, channel_axis=2, row_axis=0, col_axis=1)
    first = image.apply_affine_transform(x.transpose(2, 0, 1), theta=20, zx=1.2, channel_axis=0, row_axis=1, col_axis=2)
    np.testing.assert_allclose(first, expected.transpose(2, 0, 1), atol=1e-9)
    transposed = image.apply_affine_transform(x.transpose(1, 0, 2), theta=20, zx=1.2, row_axis=1, col_axis=0,
                                              channel_axis=2)
    np.testing.assert_allclose(transposed, expected.transpose(1, 0, 2), atol=1e-9)


def test_random_transforms_draw_from_numpys_global_generator(rng):
    x = rng.rand(3, 6, 6)  # channels first, the random_* functions' default
    np.random.seed(7)
    got = image.random_rotation(x, 40)
    np.random.seed(7)
    theta = np.random.uniform(-40, 40)
    np.testing.assert_allclose(got, image.apply_affine_transform(x, theta=theta, row_axis=1, col_axis=2,
                                                                 channel_axis=0))
    np.random.seed(8)
    got = image.random_shift(x, 0.2, 0.3)
    np.random.seed(8)
    tx, ty = np.random.uniform(-0.3, 0.3) * 6, np.random.uniform(-0.2, 0.2) * 6
    matrix = keras_matrix(tx=tx, ty=ty, rows=6, cols=6)
    np.testing.assert_allclose(got[1], bilinear_nearest_fill(x[1], matrix), atol=1e-9)
    np.random.seed(9)
    got = image.random_zoom(x, (0.5, 1.5))
    np.random.seed(9)
    zx, zy = np.random.uniform(0.5, 1.5, 2)
    np.testing.assert_allclose(got[0], bilinear_nearest_fill(x[0], keras_matrix(zx=zx, zy=zy, rows=6, cols=6)),
                               atol=1e-9)
    np.random.seed(10)
    got = image.random_shear(x, 25)
    np.random.seed(10)
    shear = np.random.uniform(-25, 25)
    np.testing.assert_allclose(got[2], bilinear_nearest_fill(x[2], keras_matrix(shear=shear, rows=6, cols=6)),
                               atol=1e-9)
    with pytest.raises(ValueError, match="zoom_range"):
        image.random_zoom(x, (0.5, 1.0, 2.0))


def test_flip_and_channel_shift(rng):
    x = rng.rand(4, 5, 3)
    np.testing.assert_array_equal(image.flip_axis(x, 1), x[:, ::-1])
    np.testing.assert_array_equal(image.flip_axis(x, 0), x[::-1])
    np.testing.assert_allclose(image.apply_channel_shift(x, 0.3, channel_axis=2), np.clip(x + 0.3, x.min(), x.max()))
    np.random.seed(3)
    got = image.random_channel_shift(x, 0.5, channel_axis=2)
    np.random.seed(3)
    np.testing.assert_allclose(got, np.clip(x + np.random.uniform(-0.5, 0.5), x.min(), x.max()))


def test_brightness_scales_the_8_bit_image(rng):
    x = rng.uniform(-1, 3, size=(4, 4, 3))
    out = image.apply_brightness_shift(x, 0.6)
    eight_bit = ((x - x.min()) / (x.max() - x.min()) * 255).astype("uint8").astype("float64")
    np.testing.assert_allclose(out, np.clip(eight_bit * 0.6, 0, 255), atol=1.0)
    np.random.seed(4)
    got = image.random_brightness(x, (1.2, 1.8))
    np.random.seed(4)
    np.testing.assert_allclose(got, np.clip(eight_bit * np.random.uniform(1.2, 1.8), 0, 255), atol=1.0)
    with pytest.raises(ValueError, match="brightness_range"):
        image.random_brightness(x, (1.0,))
    five_channels = rng.uniform(0, 255, size=(3, 3, 5))  # not a Pillow mode: enhanced channel by channel
    np.testing.assert_allclose(ImageDataGenerator().apply_transform(five_channels, {"brightness": 1.5}),
                               np.clip(np.floor(five_channels) * 1.5, 0, 255), atol=1.0)


# --- image files ------------------------------------------------------------------------------------------

def test_img_to_array_and_array_to_img(rng):
    pixels = rng.randint(0, 256, size=(3, 4, 3)).astype("uint8")
    img = image.array_to_img(pixels, scale=False)
    assert img.mode == "RGB" and img.size == (4, 3)
    back = image.img_to_array(img)
    assert back.dtype == np.float32 and back.shape == (3, 4, 3)
    np.testing.assert_array_equal(back, pixels)
    np.testing.assert_array_equal(image.img_to_array(img, data_format="channels_first"), pixels.transpose(2, 0, 1))
    as_bytes = image.img_to_array(img, dtype="uint8")
    np.testing.assert_array_equal(as_bytes, pixels)
    as_bytes[0, 0, 0] = 1  # a writable array of its own, whatever Pillow's buffer is

    values = rng.uniform(-2, 5, size=(3, 4, 1))
    gray = image.array_to_img(values)
    assert gray.mode == "L"
    expected = ((values - values.min()) / (values.max() - values.min()) * 255).astype("uint8")
    np.testing.assert_array_equal(image.img_to_array(gray), expected)
    assert image.array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    rgba = image.array_to_img(rng.rand(4, 2, 2), data_format="channels_first")
    assert rgba.mode == "RGBA" and rgba.size == (2, 2)

    with pytest.raises(ValueError, match="rank 3"):
        image.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channel"):
        image.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="data_format"):
        image.img_to_array(img, data_format="channels_middle")


def test_save_img_and_load_img(tmp_path, rng):
    pixels = rng.randint(0, 256, size=(6, 8, 3)).astype("uint8")
    path = tmp_path / "a.png"
    image.save_img(str(path), pixels, scale=False)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), pixels)
    img = image.load_img(str(path))
    assert img.mode == "RGB" and img.size == (8, 6)
    np.testing.assert_array_equal(np.asarray(img), pixels)
    small = image.load_img(path, target_size=(3, 4))  # nearest: every other pixel
    np.testing.assert_array_equal(np.asarray(small), np.asarray(Image.open(path).resize((4, 3), Image.NEAREST)))
    gray = image.load_img(path, color_mode="grayscale")
    np.testing.assert_array_equal(np.asarray(gray), np.asarray(Image.open(path).convert("L")))
    assert image.load_img(path, color_mode="rgba").mode == "RGBA"
    with pytest.warns(UserWarning, match="grayscale is deprecated"):
        assert image.load_img(path, grayscale=True).mode == "L"
    with pytest.raises(ValueError, match="interpolation"):
        image.load_img(path, target_size=(3, 4), interpolation="cubic-ish")
    with pytest.raises(ValueError, match="color_mode"):
        image.load_img(path, color_mode="cmyk")
    channels_first = tmp_path / "b.png"
    image.save_img(channels_first, pixels.transpose(2, 0, 1), data_format="channels_first", scale=False)
    np.testing.assert_array_equal(np.asarray(Image.open(channels_first)), pixels)


def test_list_pictures(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.png", "b.JPEG", "sub/c.bmp", "d.txt"):
        (tmp_path / name).write_bytes(b"")
    found = sorted(os.path.relpath(p, tmp_path) for p in image.list_pictures(str(tmp_path)))
    assert found == ["a.png", "b.JPEG", os.path.join("sub", "c.bmp")]
    assert [os.path.basename(p) for p in image.list_pictures(str(tmp_path), ext="png")] == ["a.png"]


def test_missing_optional_packages_are_named(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match="Pillow"):
        image.load_img(__file__)
    with pytest.raises(ImportError, match="Pillow"):
        image.array_to_img(np.zeros((2, 2, 3)))
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    with pytest.raises(ImportError, match="SciPy"):
        image.apply_affine_transform(np.zeros((3, 3, 1)), theta=10)
    with pytest.raises(ImportError, match="SciPy"):
        ImageDataGenerator(zca_whitening=True).fit(np.zeros((2, 2, 2, 1)))


# --- ImageDataGenerator -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_featurewise_statistics(data_format, rng):
    x = rng.uniform(0, 10, size=(6, 4, 5, 3)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    axes = (0, 1, 2) if data_format == "channels_last" else (0, 2, 3)
    with pytest.warns(UserWarning, match="featurewise_std_normalization"):
        gen = ImageDataGenerator(featurewise_std_normalization=True, data_format=data_format)
    assert gen.featurewise_center
    gen.fit(x)
    mean = x.astype("float64").mean(axis=axes, keepdims=True)[0]
    std = (x - mean).astype("float64").std(axis=axes, keepdims=True)[0]
    np.testing.assert_allclose(gen.mean, mean, rtol=1e-5)
    np.testing.assert_allclose(gen.std, std, rtol=1e-5)
    sample = x[2].copy()
    np.testing.assert_allclose(gen.standardize(sample), (x[2] - mean) / (std + 1e-6), rtol=1e-5, atol=1e-5)


def test_zca_whitening_matches_an_eigendecomposition(rng):
    x = rng.rand(40, 2, 3, 1).astype("float64")
    with pytest.warns(UserWarning, match="zca_whitening"):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-6, dtype="float64")
    gen.fit(x)
    flat = x.reshape(40, -1)
    centred = flat - flat.mean()  # one channel: its mean is the mean of every pixel
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred / 40)
    expected = vectors @ np.diag(1 / np.sqrt(eigenvalues + 1e-6)) @ vectors.T
    np.testing.assert_allclose(gen.principal_components, expected, rtol=1e-6, atol=1e-6)
    whitened = np.stack([gen.standardize(x[i].copy()) for i in range(40)]).reshape(40, -1)
    np.testing.assert_allclose(whitened.T @ whitened / 40, np.eye(6), atol=1e-3)


def test_fit_sees_the_rescaled_data(rng):
    x = rng.uniform(0, 255, size=(8, 5, 5, 3)).astype("float32")
    gen = ImageDataGenerator(rescale=1 / 255, featurewise_center=True, featurewise_std_normalization=True)
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.ravel(), (x / 255).mean(axis=(0, 1, 2)), rtol=1e-5)
    batch = next(gen.flow(x, batch_size=8))
    np.testing.assert_allclose(batch.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(batch.std(axis=(0, 1, 2)), 1, atol=1e-3)


def test_fit_with_augmentation_uses_the_augmented_copies(rng):
    x = rng.rand(3, 4, 4, 1)
    gen = ImageDataGenerator(featurewise_center=True, horizontal_flip=True, vertical_flip=True, dtype="float64")
    gen.fit(x, augment=True, rounds=4, seed=5)
    np.random.seed(5)
    copies = []
    reference = ImageDataGenerator(horizontal_flip=True, vertical_flip=True, dtype="float64")
    for _ in range(4):
        for i in range(3):
            copies.append(reference.random_transform(x[i]))
    np.testing.assert_allclose(gen.mean.ravel(), [np.mean(copies)])
    with pytest.raises(ValueError, match="rank 4"):
        gen.fit(x[0])


def test_standardize_order_samplewise_and_preprocessing_function(rng):
    x = rng.uniform(0, 255, size=(4, 4, 3)).astype("float32")
    gen = ImageDataGenerator(rescale=1 / 255, samplewise_center=True, samplewise_std_normalization=True,
                             preprocessing_function=lambda img: img + 10)
    scaled = (x + 10) / 255
    expected = (scaled - scaled.mean()) / (((scaled - scaled.mean()) ** 2).mean() ** 0.5 + 1e-6)
    np.testing.assert_allclose(gen.standardize(x.copy()), expected, rtol=1e-4, atol=1e-5)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        ImageDataGenerator(featurewise_center=True).standardize(x.copy())


def test_standardize_leaves_a_k_tensor_alone(backend_name):
    values = np.array([[[1.0], [3.0]]], dtype="float32")
    tensor = K.constant(values)
    out = ImageDataGenerator(rescale=2.0, samplewise_center=True).standardize(tensor)
    np.testing.assert_allclose(out, [[[-2.0], [2.0]]])
    np.testing.assert_array_equal(K.eval(tensor), values)


def test_get_random_transform_draws_in_keras_order():
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=3, height_shift_range=0.1, shear_range=5,
                             zoom_range=[0.9, 1.2], channel_shift_range=20, horizontal_flip=True,
                             vertical_flip=False, brightness_range=(0.5, 1.5))
    params = gen.get_random_transform((10, 12, 3), seed=11)
    np.random.seed(11)
    theta = np.random.uniform(-30, 30)
    tx = np.random.uniform(-0.1, 0.1) * 10           # a float below 1: a fraction of the 10 rows
    ty = np.random.choice(3) * np.random.choice([-1, 1])  # an int n: whole pixels in (-n, n)
    shear = np.random.uniform(-5, 5)
    zx, zy = np.random.uniform(0.9, 1.2, 2)
    flip_h = np.random.random() < 0.5
    flip_v_draw = np.random.random()
    channel = np.random.uniform(-20, 20)
    brightness = np.random.uniform(0.5, 1.5)
    assert params["theta"] == pytest.approx(theta) and params["tx"] == pytest.approx(tx)
    assert params["ty"] == ty and params["shear"] == pytest.approx(shear)
    assert (params["zx"], params["zy"]) == pytest.approx((zx, zy))
    assert bool(params["flip_horizontal"]) == flip_h and not params["flip_vertical"] and flip_v_draw >= 0
    assert params["channel_shift_intensity"] == pytest.approx(channel)
    assert params["brightness"] == pytest.approx(brightness)
    listed = ImageDataGenerator(width_shift_range=[2, 4]).get_random_transform((5, 5, 1), seed=1)
    assert abs(listed["ty"]) in (2, 4) and listed["tx"] == 0 and listed["theta"] == 0


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_generator_brightness_keeps_the_8_bit_range(data_format, rng):
    x = rng.randint(0, 256, size=(4, 5, 3)).astype("float32")
    gen = ImageDataGenerator(data_format=data_format)
    if data_format == "channels_first":
        out = gen.apply_transform(x.transpose(2, 0, 1), {"brightness": 0.5}).transpose(1, 2, 0)
    else:
        out = gen.apply_transform(x, {"brightness": 0.5})
    np.testing.assert_allclose(out, x * 0.5, atol=1.0)


def test_apply_transform_flips_each_layout(rng):
    x = rng.rand(4, 5, 3)
    last = ImageDataGenerator(data_format="channels_last")
    np.testing.assert_array_equal(last.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1])
    np.testing.assert_array_equal(last.apply_transform(x, {"flip_vertical": True}), x[::-1])
    first = ImageDataGenerator(data_format="channels_first")
    xf = x.transpose(2, 0, 1)
    np.testing.assert_array_equal(first.apply_transform(xf, {"flip_horizontal": True}), xf[:, :, ::-1])
    np.testing.assert_allclose(first.apply_transform(xf, {"tx": 1}), image.apply_affine_transform(
        xf, tx=1, row_axis=1, col_axis=2, channel_axis=0))
    np.testing.assert_array_equal(last.apply_transform(x, {}), x)


def test_generator_arguments_are_checked():
    with pytest.raises(ValueError, match="data_format"):
        ImageDataGenerator(data_format="channels_lst")
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=(0.5, 1, 2))
    with pytest.raises(ValueError, match="brightness_range"):
        ImageDataGenerator(brightness_range=0.5)
    with pytest.raises(ValueError, match="fill_mode"):
        ImageDataGenerator(fill_mode="mirror")
    gen = ImageDataGenerator(zoom_range=0.25)
    assert gen.zoom_range == [0.75, 1.25] and gen.data_format == K.image_data_format() and gen.dtype == K.floatx()


# --- flow and the iterators -------------------------------------------------------------------------------

def test_flow_covers_every_sample_once_per_epoch(backend_name, rng):
    x = rng.rand(10, 3, 3, 1).astype("float32")
    y = np.arange(10)
    it = ImageDataGenerator().flow(K.constant(x), K.constant(y, dtype="int32"), batch_size=4, seed=3)
    assert len(it) == 3
    batches = [it[i] for i in range(len(it))]
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    assert sorted(ys.tolist()) == list(range(10))
    np.testing.assert_array_equal(xs, x[ys])  # images stay with their labels
    again = ImageDataGenerator().flow(x, y, batch_size=4, seed=3)
    np.testing.assert_array_equal(np.concatenate([again[i][1] for i in range(3)]), ys)
    with pytest.raises(ValueError, match="length 3"):
        it[3]
    plain = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert [next(plain)[1].tolist() for _ in range(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]


def test_flow_extras_sample_weight_and_no_labels(rng):
    x = rng.rand(6, 2, 2, 3)
    misc = rng.rand(6, 4)
    weights = np.linspace(0.1, 0.6, 6)
    xb, yb, wb = ImageDataGenerator().flow((x, misc), np.arange(6), sample_weight=weights, batch_size=3,
                                             shuffle=False)[1]
    np.testing.assert_allclose(xb[0], x[3:], rtol=1e-6)
    np.testing.assert_array_equal(xb[1], misc[3:])
    np.testing.assert_array_equal(yb, [3, 4, 5])
    np.testing.assert_allclose(wb, weights[3:])
    only_x = ImageDataGenerator(rescale=2.0).flow(x, batch_size=6, shuffle=False)[0]
    np.testing.assert_allclose(only_x, 2 * x, rtol=1e-6)
    with pytest.raises(ValueError, match="same length"):
        ImageDataGenerator().flow(x, np.arange(5))
    with pytest.raises(ValueError, match="rank 4"):
        ImageDataGenerator().flow(x[0], None)


def test_flow_validation_split_subsets(rng):
    x = rng.rand(8, 2, 2, 1)
    y = np.array([0, 1] * 4)
    gen = ImageDataGenerator(validation_split=0.25)
    val = gen.flow(x, y, batch_size=8, shuffle=False, subset="validation")[0]
    train = gen.flow(x, y, batch_size=8, shuffle=False, subset="training")[0]
    np.testing.assert_allclose(val[0], x[:2], rtol=1e-6)
    np.testing.assert_array_equal(val[1], y[:2])
    np.testing.assert_allclose(train[0], x[2:], rtol=1e-6)
    with pytest.raises(ValueError, match="different number of classes"):
        gen.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="subset"):
        gen.flow(x, y, subset="test")


def test_flow_save_to_dir(tmp_path, rng):
    ImageDataGenerator().flow(rng.rand(3, 4, 4, 3), batch_size=3, save_to_dir=str(tmp_path), save_prefix="aug")[0]
    saved = sorted(os.listdir(tmp_path))
    assert len(saved) == 3 and all(name.startswith("aug_") and name.endswith(".png") for name in saved)


def make_class_folders(root, counts, size=(6, 5)):
    """PNGs whose pixels all hold the image's number; returns {class: [numbers in file order]}."""
    numbers, k = {}, 0
    for cls, count in counts.items():
        (root / cls).mkdir(parents=True)
        numbers[cls] = []
        for i in range(count):
            write_png(root / cls / f"img{i:02d}.png", np.full(size + (3,), 10 * k + 5))
            numbers[cls].append(10 * k + 5)
            k += 1
    return numbers


def test_flow_from_directory_lists_classes_and_labels(tmp_path):
    numbers = make_class_folders(tmp_path, {"dog": 3, "cat": 2})
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "dog" / "deeper").mkdir()
    write_png(tmp_path / "dog" / "deeper" / "x.png", np.full((6, 5, 3), 250))
    it = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(6, 5), batch_size=10, shuffle=False)
    assert it.class_indices == {"cat": 0, "dog": 1}
    assert it.samples == 6 and it.num_classes == 2
    assert it.filenames == [os.path.join("cat", "img00.png"), os.path.join("cat", "img01.png"),
                            os.path.join("dog", "img00.png"), os.path.join("dog", "img01.png"),
                            os.path.join("dog", "img02.png"), os.path.join("dog", "deeper", "x.png")]
    np.testing.assert_array_equal(it.classes, [0, 0, 1, 1, 1, 1])
    x, y = it[0]
    assert x.shape == (6, 6, 5, 3) and x.dtype == np.float32
    expected_values = numbers["cat"] + numbers["dog"] + [250]
    np.testing.assert_array_equal(x[:, 0, 0, 0], expected_values)
    np.testing.assert_array_equal(y, np.eye(2)[[0, 0, 1, 1, 1, 1]])
    for mode, expected in (("binary", [0, 0, 1, 1, 1, 1]), ("sparse", [0, 0, 1, 1, 1, 1])):
        _, labels = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(6, 5), class_mode=mode,
                                                             shuffle=False)[0]
        np.testing.assert_array_equal(labels, expected)
    x_in, y_in = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(6, 5), class_mode="input",
                                                          shuffle=False)[0]
    np.testing.assert_array_equal(x_in, y_in)
    alone = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(6, 5), class_mode=None,
                                                     shuffle=False)[0]
    assert alone.shape == (6, 6, 5, 3)
    only_dog = ImageDataGenerator().flow_from_directory(str(tmp_path), classes=["dog"], target_size=(6, 5))
    assert only_dog.samples == 4 and only_dog.class_indices == {"dog": 0}
    with pytest.raises(ValueError, match="class_mode"):
        ImageDataGenerator().flow_from_directory(str(tmp_path), class_mode="multi")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        ImageDataGenerator().flow_from_directory(str(tmp_path / "nowhere"))


def test_flow_from_directory_resizes_converts_and_splits(tmp_path):
    make_class_folders(tmp_path, {"a": 4, "b": 4}, size=(8, 8))
    gen = ImageDataGenerator(validation_split=0.5, rescale=1 / 255, data_format="channels_first")
    val = gen.flow_from_directory(str(tmp_path), target_size=(4, 2), color_mode="grayscale", subset="validation",
                                  shuffle=False)
    train = gen.flow_from_directory(str(tmp_path), target_size=(4, 2), color_mode="grayscale", subset="training",
                                    shuffle=False)
    assert val.filenames == [os.path.join(c, f"img{i:02d}.png") for c in "ab" for i in (0, 1)]
    assert train.filenames == [os.path.join(c, f"img{i:02d}.png") for c in "ab" for i in (2, 3)]
    x, _ = val[0]
    assert x.shape == (4, 1, 4, 2)
    gray_of_first = np.asarray(Image.open(tmp_path / "a" / "img00.png").convert("L"), dtype="float32")[0, 0]
    np.testing.assert_allclose(x[0], np.full((1, 4, 2), gray_of_first / 255), rtol=1e-6)
    rgba = ImageDataGenerator().flow_from_directory(str(tmp_path), target_size=(3, 3), color_mode="rgba")
    assert rgba[0][0].shape[-1] == 4
    with pytest.raises(ValueError, match="color mode"):
        ImageDataGenerator().flow_from_directory(str(tmp_path), color_mode="cmyk")


def test_flow_from_directory_with_seed_repeats_its_augmentations(tmp_path):
    make_class_folders(tmp_path, {"a": 3, "b": 3}, size=(8, 8))
    gen = ImageDataGenerator(rotation_range=40, zoom_range=0.3, horizontal_flip=True)
    first = gen.flow_from_directory(str(tmp_path), target_size=(8, 8), batch_size=4, seed=21)
    second = gen.flow_from_directory(str(tmp_path), target_size=(8, 8), batch_size=4, seed=21)
    for _ in range(3):
        a, b = next(first), next(second)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def table_folder(root):
    for name, value in (("p.png", 10), ("q.png", 20), ("r.png", 30), ("s.png", 40)):
        write_png(root / name, np.full((4, 4, 3), value))


def test_flow_from_dataframe_modes(tmp_path):
    table_folder(tmp_path)
    table = {"filename": ["p.png", "q.png", "r.png", "s.png", "missing.png"],
             "class": ["y", "x", ["x", "z"], "z", "x"], "score": [0.1, 0.2, 0.3, 0.4, 0.5],
             "other": [1, 2, 3, 4, 5], "weight": [1.0, 2.0, 3.0, 4.0, 5.0]}
    gen = ImageDataGenerator()
    with pytest.warns(UserWarning, match="1 invalid image filename"):
        it = gen.flow_from_dataframe(table, str(tmp_path), target_size=(4, 4), shuffle=False, weight_col="weight")
    assert it.class_indices == {"x": 0, "y": 1, "z": 2} and it.filenames == ["p.png", "q.png", "r.png", "s.png"]
    x, y, w = it[0]
    np.testing.assert_array_equal(x[:, 0, 0, 0], [10, 20, 30, 40])
    np.testing.assert_array_equal(y, [[0, 1, 0], [1, 0, 0], [1, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0, 4.0])
    raw = gen.flow_from_dataframe(table, str(tmp_path), y_col=["score", "other"], class_mode="raw",
                                  target_size=(4, 4), shuffle=False)[0][1]
    np.testing.assert_allclose(raw, [[0.1, 1], [0.2, 2], [0.3, 3], [0.4, 4]])
    outputs = gen.flow_from_dataframe(table, str(tmp_path), y_col=["score", "other"], class_mode="multi_output",
                                      target_size=(4, 4), shuffle=False)[0][1]
    np.testing.assert_allclose(outputs[0], [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(outputs[1], [1, 2, 3, 4])
    kept = gen.flow_from_dataframe(table, str(tmp_path), classes=["z", "x"], class_mode="categorical",
                                   target_size=(4, 4), shuffle=False)
    assert kept.filenames == ["q.png", "r.png", "s.png"] and kept.class_indices == {"x": 0, "z": 1}
    with pytest.raises(ValueError, match="2 classes"):
        gen.flow_from_dataframe({"filename": ["p.png", "q.png", "r.png"], "class": ["a", "b", "c"]},
                                str(tmp_path), class_mode="binary")
    with pytest.raises(TypeError, match="must be strings"):
        gen.flow_from_dataframe({"filename": ["p.png"], "class": [3]}, str(tmp_path), class_mode="sparse")
    with pytest.raises(ValueError, match="no column"):
        gen.flow_from_dataframe({"file": ["p.png"], "class": ["a"]}, str(tmp_path))


def test_flow_from_pandas_dataframe_with_absolute_paths_and_subsets(tmp_path):
    pandas = pytest.importorskip("pandas", reason="flow_from_dataframe's pandas test needs pandas ('multinn[test]')")
    table_folder(tmp_path)
    frame = pandas.DataFrame({"path": [str(tmp_path / n) for n in ("p.png", "q.png", "r.png", "s.png")],
                              "label": ["a", "b", "a", "b"]})
    gen = ImageDataGenerator(validation_split=0.5)
    val = gen.flow_from_dataframe(frame, x_col="path", y_col="label", class_mode="binary", target_size=(4, 4),
                                  subset="validation", shuffle=False)
    train = gen.flow_from_dataframe(frame, x_col="path", y_col="label", class_mode="binary", target_size=(4, 4),
                                    subset="training", shuffle=False)
    x, y = val[0]
    np.testing.assert_array_equal(x[:, 0, 0, 0], [10, 20])
    np.testing.assert_array_equal(y, [0, 1])
    np.testing.assert_array_equal(train[0][0][:, 0, 0, 0], [30, 40])


def test_fit_generator_on_flow_trains_as_fit_on_the_same_batches(backend_name, rng):
    from multinn.layers import Dense, Flatten
    from multinn.models import Sequential
    from multinn.utils import set_random_seed

    x = rng.rand(16, 4, 4, 1).astype("float32")
    y = np.eye(2, dtype="float32")[(x.mean(axis=(1, 2, 3)) > 0.5).astype(int)]

    def model():
        set_random_seed(1)
        m = Sequential([Flatten(input_shape=(4, 4, 1)), Dense(2, activation="softmax")])
        m.compile(optimizer="sgd", loss="categorical_crossentropy")
        return m

    by_generator = model()
    history = by_generator.fit_generator(ImageDataGenerator(rescale=0.5).flow(x, y, batch_size=4, shuffle=False),
                                         steps_per_epoch=4, epochs=3, verbose=0, shuffle=False)
    by_fit = model()
    by_fit.fit(0.5 * x, y, batch_size=4, epochs=3, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 3
    for a, b in zip(by_generator.get_weights(), by_fit.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_iterator_is_a_keras_sequence_with_a_reshuffle_each_epoch():
    from multinn.utils import Sequence

    it = ImageDataGenerator().flow(np.zeros((50, 1, 1, 1)), np.arange(50), batch_size=50, shuffle=True)
    assert isinstance(it, Sequence) and isinstance(it, image.Iterator)
    first = it[0][1].tolist()
    it.on_epoch_end()
    second = it[0][1].tolist()
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    with pytest.raises(ValueError, match="batch_size"):
        ImageDataGenerator().flow(np.zeros((2, 1, 1, 1)), batch_size=0)


def test_keras_import_path_names():
    expected = {"ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
                "load_img", "img_to_array", "array_to_img", "save_img", "apply_affine_transform",
                "apply_brightness_shift", "apply_channel_shift", "random_rotation", "random_shift", "random_shear",
                "random_zoom", "random_channel_shift", "random_brightness"}
    assert expected <= set(image.__all__)
    import multinn.preprocessing as preprocessing

    assert preprocessing.image is image
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ImageDataGenerator()
