"""`cutout synth --hair`: composites whose true alpha and true foreground are known, for measuring edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cutout_app.cli import main
from cutout_app.core.datasets.synthetic import make_matting_composite
from cutout_app.core.files.imageio import read_image, read_mask


def test_the_layers_blend_into_the_photo() -> None:
    example = make_matting_composite(120, 160, np.random.default_rng(7))
    alpha, image, fg = example.alpha, example.image.astype(float), example.foreground.astype(float)
    soft = (alpha > 0) & (alpha < 255)
    assert soft.mean() > 0.01  # strands and edges: many partly covered pixels
    opaque = alpha == 255
    assert np.abs(image[opaque] - fg[opaque]).mean() < 4  # only rounding and sensor noise apart
    assert (example.foreground[alpha == 0] == 0).all()
    # Where alpha is partial, the photo is not the foreground: the background shows through.
    assert np.abs(image[soft] - fg[soft]).mean() > 4


def test_synth_hair_writes_images_masks_and_foregrounds(tmp_path: Path) -> None:
    out = tmp_path / "hair"
    assert main(["synth", str(out), "--count", "2", "--size", "64", "80", "--hair", "--workers", "1"]) == 0
    for stem in ("00000", "00001"):
        photo = read_image(out / "images" / f"{stem}.png")
        alpha = read_mask(out / "masks" / f"{stem}.png")
        foreground = read_image(out / "foregrounds" / f"{stem}.png")
        assert photo.pixels.shape == foreground.pixels.shape == (64, 80, 3) and alpha.shape == (64, 80)
        expected = make_matting_composite(64, 80, np.random.default_rng([0, int(stem)]))
        np.testing.assert_array_equal(photo.pixels, expected.image)  # lossless and reproducible
        np.testing.assert_array_equal(alpha, expected.alpha)
        np.testing.assert_array_equal(foreground.pixels, expected.foreground)
