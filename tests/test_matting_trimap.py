"""Alpha matting for hair and fur: a trimap from the mask, solved tile by tile with closed-form matting."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from test_foreground import blond_hair_on_a_green_wall

from cutout_app.core.datasets.synthetic import make_matting_composite
from cutout_app.core.edges.trimap_matting import BACKGROUND, SUBJECT, UNKNOWN, band_radius, make_trimap, matte
from cutout_app.core.errors import Cancelled
from cutout_app.core.files.export import export_alpha, export_result
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.imageio import read_image
from cutout_app.core.progress import CancelToken


def coarse_mask(alpha: np.ndarray) -> np.ndarray:
    """What a segmentation model gives on hair: the body's outline, strands lost, a slightly soft edge."""
    hard = (alpha >= 128).astype(np.uint8) * 255
    opened = cv2.morphologyEx(hard, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    return cv2.GaussianBlur(opened, (0, 0), 1.0)


def test_band_radius_scales_with_the_photo() -> None:
    assert band_radius(480, 640) < band_radius(3000, 4000) < band_radius(6000, 8000)
    assert band_radius(10, 10) == 3


def test_trimap_band_has_the_asked_width() -> None:
    alpha = np.zeros((60, 80), np.uint8)
    alpha[:, 40:] = 255
    for radius in (3, 6):
        trimap = make_trimap(alpha, radius)
        row = trimap[30]
        assert set(np.unique(trimap)) == {BACKGROUND, UNKNOWN, SUBJECT}
        assert (row == UNKNOWN).sum() == 2 * radius
        assert row[0] == BACKGROUND and row[-1] == SUBJECT
    assert (make_trimap(alpha.astype(np.uint16) * 257, 3) == make_trimap(alpha, 3)).all()


@pytest.mark.parametrize("radius", [8, 30])
def test_matting_brings_back_the_strands(radius: int) -> None:
    photo, alpha, _ = blond_hair_on_a_green_wall(320, 400)
    mask = coarse_mask(alpha)
    result = matte(photo, mask, radius=radius)
    band = make_trimap(mask, radius) == UNKNOWN
    truth = alpha.astype(np.float64)
    sad_mask = np.abs(mask[band] - truth[band]).sum()
    sad_matte = np.abs(result[band] - truth[band]).sum()
    assert sad_matte < 0.8 * sad_mask, (sad_mask, sad_matte)
    assert set(np.unique(result[~band])) <= {0, 255}


def test_a_tile_without_surely_subject_pixels_keeps_the_mask() -> None:
    photo, alpha, _ = blond_hair_on_a_green_wall(64, 64)
    mask = np.zeros((64, 64), np.uint8)
    mask[:, :2] = 200  # a sliver thinner than the band: no pixel is surely subject
    result = matte(photo, mask, radius=4)
    np.testing.assert_array_equal(result[make_trimap(mask, 4) == UNKNOWN], mask[make_trimap(mask, 4) == UNKNOWN])


def test_progress_counts_tiles_and_cancel_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    from cutout_app.core.edges import trimap_matting

    example = make_matting_composite(160, 200, np.random.default_rng(5))
    monkeypatch.setattr(trimap_matting, "TILE", 64)
    calls: list[tuple[int, int]] = []
    out = matte(example.image, coarse_mask(example.alpha), radius=5, progress=lambda d, t: calls.append((d, t)))
    assert out.dtype == np.uint8 and out.shape == example.alpha.shape
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] > 1
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        matte(example.image, coarse_mask(example.alpha), radius=5, cancel=token)


def test_export_with_matting(tmp_path: Path) -> None:
    image, alpha, _ = blond_hair_on_a_green_wall(320, 400)
    ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    (tmp_path / "hair.png").write_bytes(png.tobytes())
    photo = read_image(tmp_path / "hair.png")
    mask = coarse_mask(alpha)
    plain = cv2.imread(str(export_result(photo, mask, tmp_path / "a.png")), cv2.IMREAD_UNCHANGED)
    matted = cv2.imread(str(export_result(photo, mask, tmp_path / "b.png", ExportOptions(matting=True))),
                        cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(plain[..., 3], export_alpha(photo, mask))  # the mask, its opaque rim trimmed
    assert (plain[..., 3] <= mask).all()
    truth = alpha.astype(np.float64)
    assert np.abs(matted[..., 3] - truth).sum() < 0.8 * np.abs(plain[..., 3] - truth).sum()


def test_matting_lowers_the_alpha_error_on_hair_composites() -> None:
    from cutout_app.core.datasets.synthetic import coarse_probability
    from cutout_app.core.edges.alpha import alpha_from_soft, refine_mask, to_soft_u8

    before = after = 0.0
    for seed in range(3):
        example = make_matting_composite(240, 320, np.random.default_rng(seed))
        prob = refine_mask(coarse_probability(example.alpha), example.image)
        alpha = alpha_from_soft(to_soft_u8(prob), 0.5, 0.1)  # what the export gets without matting
        truth = example.alpha.astype(np.float64)
        before += np.abs(alpha - truth).sum()
        after += np.abs(matte(example.image, alpha) - truth).sum()
    assert after < 0.95 * before, (before, after)
