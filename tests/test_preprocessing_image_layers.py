"""Resizing, CenterCrop and the Random* image layers: per-pixel NumPy references (written
pixel by pixel, not as the layers' interpolation matrices), training-only behaviour, seeds,
saving, bad arguments. (tf.keras parity: test_preprocessing_tf_reference.py.)"""
import math

import numpy as np
import pytest

from multinn import backend as K
from multinn.layers import (
    CenterCrop, Conv2D, Dense, Flatten, Input, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomHeight,
    RandomRotation, RandomTranslation, RandomWidth, RandomZoom, Resizing,
)
from multinn.models import Model, load_model
from tests.layer_test import layer_test

rng = np.random.default_rng(3)


def images(*shape):
    return (rng.random(shape) * 255).astype(np.float32)


def _keys(t, a=-0.5):
    t = abs(t)
    return ((a + 2) * t - (a + 3)) * t * t + 1 if t <= 1 else (a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a if t < 2 else 0.0)


def _sample_line(line, out_size, method):
    """TF2 resize of one axis, output sample by output sample."""
    n = line.shape[0]
    scale = n / out_size
    out = []
    for o in range(out_size):
        if method == "nearest":
            out.append(line[min(int(np.floor((o + 0.5) * scale)), n - 1)])
            continue
        src = (o + 0.5) * scale - 0.5
        f = int(np.floor(src))
        if method == "bilinear":
            lo, hi = np.clip([f, f + 1], 0, n - 1)
            out.append(line[lo] * (1 - (src - f)) + line[hi] * (src - f))
        else:
            q = round((src - f) * 1024) / 1024          # TensorFlow's weight table has 1024 steps
            taps = [(i, _keys(q + f - i)) for i in range(f - 1, f + 3) if 0 <= i < n]
            out.append(sum(line[i] * w for i, w in taps) / sum(w for _, w in taps))
    return np.stack(out)


def reference_resize(x, h, w, method):
    x = x.astype(np.float64)
    rows = np.stack([_sample_line(img, h, method) for img in x])                  # along height
    return np.stack([np.stack([_sample_line(r, w, method) for r in img]) for img in rows]).astype(np.float32)


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("size", [(3, 7), (8, 4)])
def test_resizing_matches_a_per_pixel_reference(backend_name, method, size):
    x = images(2, 5, 6, 3)
    layer_test(Resizing, kwargs={"height": size[0], "width": size[1], "interpolation": method}, input_data=x,
               expected_output=reference_resize(x, *size, method), rtol=1e-4, atol=1e-3)


def test_resizing_crop_to_aspect_ratio_and_integer_input(backend_name):
    x = images(1, 6, 10, 2)
    out = Resizing(3, 3, crop_to_aspect_ratio=True)(K.constant(x)).numpy()
    np.testing.assert_allclose(out, reference_resize(x[:, :, 2:8], 3, 3, "bilinear"), rtol=1e-4, atol=1e-3)
    assert K.dtype(Resizing(2, 2)(K.constant(x.astype(np.uint8)))) == "float32"
    assert Resizing(2, 3)(K.constant(x[0])).shape == (2, 3, 2)        # one unbatched image


def test_center_crop(backend_name):
    x = images(2, 7, 6, 3)
    layer_test(CenterCrop, kwargs={"height": 3, "width": 4}, input_data=x, expected_output=x[:, 2:5, 1:5])
    small = CenterCrop(8, 8)(K.constant(x)).numpy()                 # smaller than the crop: resized
    np.testing.assert_allclose(small, reference_resize(x[:, 0:6], 8, 8, "bilinear"), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("bad", [{"height": 0, "width": 2}, {"height": 2, "width": 2.5},
                                 {"height": 2, "width": 2, "interpolation": "area"}])
def test_resizing_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="Received: "):
        Resizing(**bad)


def test_image_layers_reject_wrong_ranks(backend_name):
    with pytest.raises(ValueError, match="rank 4"):
        Resizing(2, 2)(K.ones((2, 3)))
    with pytest.raises(ValueError, match="rank 4"):
        RandomFlip()(K.ones((2, 3)), training=True)


RANDOM_LAYERS = [
    (RandomFlip, {}), (RandomRotation, {"factor": 0.2}), (RandomZoom, {"height_factor": 0.3}),
    (RandomTranslation, {"height_factor": 0.2, "width_factor": 0.2}), (RandomContrast, {"factor": 0.5}),
    (RandomBrightness, {"factor": 0.3}), (RandomHeight, {"factor": 0.3}), (RandomWidth, {"factor": 0.3}),
]


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS)
def test_random_layers_are_identity_at_inference(backend_name, cls, kwargs):
    x = images(2, 6, 5, 3)
    if cls in (RandomHeight, RandomWidth):   # their symbolic size is None: layer_test wants it exact
        inp = Input((6, 5, 3))
        model = Model(inp, cls(**kwargs)(inp))
        np.testing.assert_array_equal(model.predict(x), x)
        np.testing.assert_array_equal(Model.from_config(model.get_config()).predict(x), x)
        return
    layer_test(cls, kwargs=kwargs, input_data=x, expected_output=x, gradcheck=False)


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS + [(RandomCrop, {"height": 4, "width": 3})])
def test_random_layers_seeded_sequences_repeat_and_agree_across_backends(cls, kwargs):
    from tests.conftest import registry

    x = images(3, 6, 5, 2)
    runs = {}
    for name in ("numpy", "cupy"):
        if registry.unusable_reason(name) is not None:
            continue
        with K.backend_scope(name):
            layer = cls(seed=11, **kwargs)
            runs[name] = [layer(K.constant(x), training=True).numpy() for _ in range(3)]
    first = runs["numpy"]
    again = cls(seed=11, **kwargs)
    for a, b in zip(first, [again(K.constant(x), training=True).numpy() for _ in range(3)]):
        np.testing.assert_array_equal(a, b)                             # same seed, same sequence
    if cls not in (RandomHeight, RandomWidth):
        assert any(not np.array_equal(first[0], f) for f in first[1:])  # the stream moves on
    for other in runs.values():
        for a, b in zip(first, other):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-3)


def test_random_flip_flips_whole_images(backend_name):
    x = images(64, 3, 4, 1)
    for mode, axes in (("horizontal", [2]), ("vertical", [1]), ("horizontal_and_vertical", [1, 2])):
        out = RandomFlip(mode, seed=1)(K.constant(x), training=True).numpy()
        variants = []
        for i in range(2 ** len(axes)):
            v = x
            for bit, axis in enumerate(axes):
                v = np.flip(v, axis) if (i >> bit) & 1 else v
            variants.append(v)
        hits = [[np.array_equal(out[n], v[n]) for v in variants] for n in range(len(x))]
        assert all(any(h) for h in hits)
        counts = np.sum(hits, axis=0)
        assert all(c >= 64 / len(variants) / 3 for c in counts)       # every outcome occurs


def _reference_affine(img, matrix, mode, fill, method):
    """TensorFlow's transform for one image, pixel by pixel (matrix: output (x, y) -> input):
    the fill mode maps the sampling point into the image, then its neighbours are read, any
    outside the image giving `fill`."""
    h, w, _ = img.shape
    a0, a1, a2, a3, a4, a5 = matrix

    def mapped(c, n):
        if mode == "constant":
            return c
        if mode == "wrap":
            if c < 0:
                c += n * (int(-c / (n - 1)) + 1)
            elif c > n - 1:
                c -= n * int(c / (n - 1))
        elif mode == "reflect":
            c = (c + 0.5) % (2 * n)
            c = (2 * n - c if c > n else c) - 0.5
        return min(max(c, 0.0), n - 1.0)

    def read(y, x):
        return img[y, x] if 0 <= y < h and 0 <= x < w else np.full(img.shape[-1], fill)

    out = np.zeros_like(img, dtype=np.float64)
    for y in range(h):
        for x in range(w):
            sx, sy = mapped(a0 * x + a1 * y + a2, w), mapped(a3 * x + a4 * y + a5, h)
            if method == "nearest":
                out[y, x] = read(int(math.floor(sy + 0.5)), int(math.floor(sx + 0.5)))
                continue
            fx, fy = math.floor(sx), math.floor(sy)
            tx, ty = sx - fx, sy - fy
            out[y, x] = ((1 - ty) * ((1 - tx) * read(fy, fx) + tx * read(fy, fx + 1))
                         + ty * ((1 - tx) * read(fy + 1, fx) + tx * read(fy + 1, fx + 1)))
    return out


@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_random_rotation_matches_the_transform_reference(backend_name, mode, method):
    x = images(1, 5, 6, 2)
    turn = 0.1
    out = RandomRotation((turn, turn), fill_mode=mode, interpolation=method, fill_value=7.0)(K.constant(x), training=True)
    t = 2 * math.pi * turn
    c, s = math.cos(t), math.sin(t)
    cx, cy = 2.5, 2.0
    matrix = [c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy]
    np.testing.assert_allclose(out.numpy()[0], _reference_affine(x[0], matrix, mode, 7.0, method), rtol=1e-4, atol=1e-2)


def test_random_zoom_and_translation_match_the_transform_reference(backend_name):
    x = images(1, 6, 5, 1)
    out = RandomZoom((0.5, 0.5), (-0.2, -0.2))(K.constant(x), training=True).numpy()[0]
    matrix = [0.8, 0, 2 * 0.2, 0, 1.5, 2.5 * -0.5]
    np.testing.assert_allclose(out, _reference_affine(x[0], matrix, "reflect", 0.0, "bilinear"), rtol=1e-4, atol=1e-2)
    out = RandomTranslation((0.5, 0.5), (-0.2, -0.2), fill_mode="wrap")(K.constant(x), training=True).numpy()[0]
    matrix = [1, 0, 1.0, 0, 1, -3.0]
    np.testing.assert_allclose(out, _reference_affine(x[0], matrix, "wrap", 0.0, "bilinear"), rtol=1e-4, atol=1e-2)


def test_random_contrast_and_brightness_formulas(backend_name):
    x = images(8, 4, 4, 3)
    out = RandomContrast((0.3, 0.6), seed=4)(K.constant(x), training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    # each image: one factor in [0.7, 1.6] for all its pixels and channels (before clipping)
    for n in range(len(x)):
        inside = (out[n] > 0) & (out[n] < 255)
        factors = ((out[n] - mean[n]) / (x[n] - mean[n]))[inside]
        assert factors.max() - factors.min() < 1e-3 and 0.7 - 1e-4 <= factors.mean() <= 1.6 + 1e-4
    out = RandomBrightness(0.2, seed=4)(K.constant(x), training=True).numpy()
    for n in range(len(x)):
        inside = (out[n] > 0) & (out[n] < 255)
        shift = (out[n] - x[n])[inside]
        assert shift.max() - shift.min() < 1e-3 and abs(shift.mean()) <= 0.2 * 255 + 1e-3
    assert out.min() >= 0 and out.max() <= 255


def test_random_crop_training_window_and_inference_resize(backend_name):
    x = images(2, 8, 7, 1)
    layer = RandomCrop(4, 5, seed=2)
    out = layer(K.constant(x), training=True).numpy()
    windows = [x[:, i:i + 4, j:j + 5] for i in range(5) for j in range(3)]
    assert any(np.array_equal(out, w) for w in windows)
    # inference: the centred 5 x 7 window (aspect 4:5) resized to 4 x 5, as tf.keras 2 does
    np.testing.assert_allclose(layer(K.constant(x)).numpy(), reference_resize(x[:, 1:6], 4, 5, "bilinear"),
                               rtol=1e-4, atol=1e-3)
    out = layer_test(RandomCrop, kwargs={"height": 4, "width": 5}, input_data=x, gradcheck=False)
    assert out.shape == (2, 4, 5, 1)


def test_random_height_and_width_sizes(backend_name):
    x = images(2, 10, 8, 1)
    h = RandomHeight((0.2, 0.2))(K.constant(x), training=True).numpy()
    np.testing.assert_allclose(h, reference_resize(x, 12, 8, "bilinear"), rtol=1e-4, atol=1e-3)
    w = RandomWidth((-0.5, -0.5), interpolation="nearest")(K.constant(x), training=True).numpy()
    np.testing.assert_allclose(w, reference_resize(x, 10, 4, "nearest"))
    assert RandomHeight(0.2).compute_output_shape((None, 10, 8, 1)) == (None, None, 8, 1)


@pytest.mark.parametrize("cls,bad", [
    (RandomFlip, {"mode": "diagonal"}), (RandomRotation, {"factor": "x"}), (RandomZoom, {"height_factor": -1.5}),
    (RandomZoom, {"height_factor": (0.5, 0.1)}), (RandomTranslation, {"height_factor": 2.0, "width_factor": 0.1}),
    (RandomContrast, {"factor": 1.5}), (RandomBrightness, {"factor": 0.1, "value_range": (1, 0)}),
    (RandomHeight, {"factor": (-1.0, 0.2)}), (RandomRotation, {"factor": 0.1, "fill_mode": "mirror"}),
    (RandomCrop, {"height": 0, "width": 2}),
])
def test_random_layers_reject_bad_arguments(cls, bad):
    with pytest.raises(ValueError, match="Received: "):
        cls(**bad)


def test_random_layers_reject_a_float_seed():
    with pytest.raises(TypeError, match="Received: seed=1.5"):
        RandomFlip(seed=1.5)


def test_augmentation_model_trains_saves_and_reloads(backend_name, tmp_path):
    inp = Input((8, 8, 1))
    x = RandomFlip("horizontal", seed=1)(inp)
    x = RandomRotation(0.05, seed=2)(x)
    x = RandomZoom(0.1, seed=3)(x)
    x = Conv2D(2, 3)(x)
    out = Dense(2, activation="softmax")(Flatten()(x))
    model = Model(inp, out)
    model.compile("adam", "categorical_crossentropy")
    data = images(8, 8, 8, 1) / 255
    labels = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 8)]
    model.fit(data, labels, epochs=1, batch_size=4, verbose=0)
    want = model.predict(data)
    for name in ("aug.h5", "aug.zip"):
        model.save(str(tmp_path / name))
        np.testing.assert_allclose(load_model(str(tmp_path / name)).predict(data), want, rtol=1e-5, atol=1e-6)
