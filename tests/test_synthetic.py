"""Synthetic composites: exact coverage masks, determinism, and data sets written to disk."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.datasets.synthetic import (
    ellipse_outline,
    load_textures,
    make_composite,
    random_texture,
    rasterise,
    write_dataset,
)
from cutout_app.core.errors import CutoutError
from cutout_app.core.files.imageio import read_image


def test_composite_shapes_dtypes_and_both_classes() -> None:
    for seed in range(6):
        rgb, mask = make_composite(96, 128, np.random.default_rng(seed))
        assert rgb.shape == (96, 128, 3) and rgb.dtype == np.uint8
        assert mask.shape == (96, 128) and mask.dtype == np.uint8
        assert (mask == 0).any() and (mask == 255).any()
        # Anti-aliased: the edge has partial coverage.
        assert ((mask > 0) & (mask < 255)).any()


def test_composite_is_deterministic_per_seed() -> None:
    a = make_composite(80, 100, np.random.default_rng(42))
    b = make_composite(80, 100, np.random.default_rng(42))
    c = make_composite(80, 100, np.random.default_rng(43))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_rasterise_gives_exact_coverage() -> None:
    square = np.array([[5.0, 5.0], [15.0, 5.0], [15.0, 15.0], [5.0, 15.0]]) + 0.25
    cov = rasterise(square, 30, 30)
    assert cov.sum() == pytest.approx(100.0, abs=1e-3)
    assert cov[10, 5] == pytest.approx(0.75) and cov[10, 15] == pytest.approx(0.25)
    assert cov[10, 6:15].min() == 1.0 and cov[10, :5].max() == 0.0 and cov[10, 16:].max() == 0.0
    disc = rasterise(ellipse_outline(np.random.default_rng(0), 12.3, 1000) + np.array([30.4, 25.7]), 60, 60)
    assert disc.sum() == pytest.approx(math.pi * 12.3**2, rel=0.01)


def test_texture_values_stay_in_range() -> None:
    rng = np.random.default_rng(1)
    for _ in range(10):
        tex = random_texture(40, 50, rng)
        assert tex.shape == (40, 50, 3) and tex.dtype == np.float32
        assert tex.min() >= 0 and tex.max() <= 1


def _write_textures(folder: Path) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        photo = rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)
        ok, data = cv2.imencode(".png", photo)
        assert ok
        (folder / f"tex{i}.png").write_bytes(data.tobytes())
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "notes.txt").write_text("ignored")


def test_write_dataset_writes_matching_readable_pairs(tmp_path: Path) -> None:
    textures = tmp_path / "textures ü"
    _write_textures(textures)
    out = write_dataset(tmp_path / "synth ü", 5, size=(64, 80), seed=3, texture_dir=textures)
    images = sorted((out / "images").iterdir())
    masks = sorted((out / "masks").iterdir())
    assert [p.name for p in images] == [f"{i:05d}.jpg" for i in range(5)]
    assert [p.stem for p in masks] == [p.stem for p in images]
    assert all(p.suffix == ".png" for p in masks)
    for image, mask_path in zip(images, masks):
        photo = read_image(image)
        mask = cv2.imdecode(np.fromfile(str(mask_path), np.uint8), cv2.IMREAD_GRAYSCALE)
        assert (photo.height, photo.width) == mask.shape == (64, 80)
        assert mask.min() == 0 and mask.max() == 255
    assert not list(out.rglob("*.tmp"))


def test_write_dataset_reports_progress_and_is_reproducible(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    a = write_dataset(tmp_path / "a", 3, size=(48, 48), seed=5, progress=lambda d, t: calls.append((d, t)))
    b = write_dataset(tmp_path / "b", 3, size=(48, 48), seed=5, workers=2)  # same files from worker processes
    assert calls == [(1, 3), (2, 3), (3, 3)]
    for sub in ("images", "masks"):
        for pa in (a / sub).iterdir():
            assert pa.read_bytes() == (b / sub / pa.name).read_bytes()


def test_textures_are_loaded_and_bad_folders_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "tex"
    _write_textures(folder)
    photos = load_textures(folder)
    assert len(photos) == 2 and all(p.dtype == np.uint8 and p.shape == (70, 90, 3) for p in photos)
    with pytest.raises(CutoutError):
        load_textures(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CutoutError):
        load_textures(empty)
