"""Overlay, checkerboard composite and the preview pyramid used by the canvas."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cutout_app.core.edges.alpha import lut_for
from cutout_app.core.editing.display import (
    CHECKER_DARK,
    CHECKER_LIGHT,
    PreviewPyramid,
    checkerboard,
    composite_on_checker,
    overlay_rgba,
)
from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import EditableMask


def test_overlay_values_and_byte_order() -> None:
    soft = np.array([[0, 255, 128]], np.uint8)
    out = overlay_rgba(soft, color=(255, 64, 0), opacity=0.5)
    assert out.shape == (1, 3, 4) and out.dtype == np.uint8
    assert out[0, 0].tolist() == [0, 0, 0, 0]
    assert out[0, 1].tolist() == [128, 32, 0, 128]  # R, G, B, A premultiplied, alpha = 255 * 0.5
    r, g, b, a = out[0, 2].tolist()
    assert a == 64 and r == 64 and g == 16 and b == 0
    assert (out[..., :3] <= out[..., 3:]).all()  # premultiplied: colour never exceeds alpha


def test_overlay_invert_and_view_lut() -> None:
    soft = np.array([[0, 100, 200, 255]], np.uint8)
    inv = overlay_rgba(soft, (255, 255, 255), 1.0, invert=True)
    assert inv[0, :, 3].tolist() == [255, 155, 55, 0]
    hard = overlay_rgba(soft, (0, 0, 255), 1.0, view_lut=lut_for(0.5, 0.0))
    assert hard[0, :, 3].tolist() == [0, 0, 255, 255] and hard[0, :, 2].tolist() == [0, 0, 255, 255]
    with pytest.raises(ValueError):
        overlay_rgba(soft.astype(np.float32))


def test_checkerboard_cells_and_phase() -> None:
    full = checkerboard(64, 80, cell=8)
    assert full[0, 0] == CHECKER_LIGHT and full[0, 8] == CHECKER_DARK and full[8, 8] == CHECKER_LIGHT
    assert full[7, 7] == CHECKER_LIGHT and full[8, 7] == CHECKER_DARK
    # a region at an offset lines up with the full board
    for x0, y0 in [(3, 5), (13, 21), (0, 9)]:
        part = checkerboard(20, 30, x0, y0, cell=8)
        assert np.array_equal(part, full[y0 : y0 + 20, x0 : x0 + 30])


def test_composite_on_checker_values() -> None:
    rgb = np.full((4, 4, 3), 100, np.uint8)
    alpha = np.array([[0, 255, 128, 64]] * 4, np.uint8)
    out = composite_on_checker(rgb, alpha, 0, 0, cell=16)
    assert out[0, 0].tolist() == [CHECKER_LIGHT] * 3
    assert out[0, 1].tolist() == [100] * 3
    expected = (100 * 128 + CHECKER_LIGHT * 127) / 255
    assert all(abs(v - expected) <= 1 for v in out[0, 2].tolist())
    # region at an offset composites against the offset board
    off = composite_on_checker(rgb, np.zeros((4, 4), np.uint8), 16, 0, cell=16)
    assert (off == CHECKER_DARK).all()


def test_composite_is_within_one_of_exact_for_all_alphas() -> None:
    a = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rgb = np.dstack([np.full((16, 16), v, np.uint8) for v in (0, 77, 255)])
    out = composite_on_checker(rgb, a, 0, 0, cell=100).astype(int)
    ref = np.rint((rgb.astype(float) * a[..., None] + CHECKER_LIGHT * (255.0 - a[..., None])) / 255)
    assert np.abs(out - ref).max() <= 1
    assert (out[a == 0] == CHECKER_LIGHT).all() and (out[a == 255] == rgb[a == 255]).all()


@pytest.mark.parametrize("shape", [(301, 517), (256, 300, 3)])
def test_pyramid_levels_and_region_update_match_a_rebuild(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, shape, dtype=np.uint8)
    pyr = PreviewPyramid(base, min_size=32)
    assert [lvl.shape[:2] for lvl in pyr.levels][:3] == [shape[:2], ((shape[0] + 1) // 2, (shape[1] + 1) // 2),
                                                         ((shape[0] + 3) // 4, (shape[1] + 3) // 4)]
    assert max(pyr.levels[-1].shape[:2]) <= 32
    assert pyr.base is base
    # edit a region of level 0 (including the odd right/bottom edge) and update only that region
    for rect in [Rect(37, 11, 50, 23), Rect(shape[1] - 5, shape[0] - 3, 5, 3)]:
        base[rect.slices] = 255 - base[rect.slices]
        rects = pyr.update(rect)
        assert rects[0] == rect and len(rects) == len(pyr.levels)
        fresh = PreviewPyramid(base.copy(), min_size=32)
        for k, (got, want) in enumerate(zip(pyr.levels, fresh.levels)):
            assert np.array_equal(got, want), f"level {k} differs after updating {rect}"
    assert rects[1].w <= 3 and rects[1].h <= 2


def test_pyramid_follows_mask_edits() -> None:
    mask = EditableMask(np.zeros((400, 600), np.uint8))
    pyr = PreviewPyramid(mask.soft, min_size=64)
    pyr.update(mask.dab(300, 200, 40))
    mask.end_stroke()
    lvl2 = pyr.level(2)
    assert lvl2[50, 75] == 255 and lvl2[5, 5] == 0
    expected = cv2.resize(mask.soft, (150, 100), interpolation=cv2.INTER_AREA)
    assert np.abs(lvl2.astype(int) - expected).max() <= 2
    pyr.update(mask.undo())
    assert pyr.level(2).max() == 0


def test_level_for_scale() -> None:
    pyr = PreviewPyramid(np.zeros((4000, 6000), np.uint8), min_size=256)
    assert len(pyr.levels) == 6  # 6000 -> 3000 -> 1500 -> 750 -> 375 -> 188
    assert pyr.level_for_scale(2.0) == 0 and pyr.level_for_scale(1.0) == 0
    assert pyr.level_for_scale(0.6) == 0 and pyr.level_for_scale(0.5) == 1
    assert pyr.level_for_scale(0.3) == 1 and pyr.level_for_scale(0.25) == 2
    assert pyr.level_for_scale(0.001) == 5
    assert PreviewPyramid.rect_at_level(Rect(5, 6, 10, 10), 2) == Rect(1, 1, 3, 3)
