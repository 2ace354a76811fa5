"""core.interactive and EditableMask.replace_changed: a click's masks keep the painted pixels; only changes are stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import make_photo

from cutout_app.core.editing.geometry import Rect
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.files.names import cutout_path, is_cutout_path
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.interactive import Guidance, Stroke, full_size_mask, painted_pixels, quick_mask, refined_mask
from cutout_app.core.inference.two_stage import open_model


def test_painted_pixels_cover_the_strokes() -> None:
    assert painted_pixels([], 10, 10) is None
    covered = painted_pixels([Stroke(((2.5, 2.5), (7.5, 2.5)), 1.0)], 10, 10)
    assert covered[2, 2:8].all() and not covered[8, :].any()


def test_quick_and_refined_masks_keep_painted_pixels(tiny_two_stage_path: Path) -> None:
    model = open_model(tiny_two_stage_path, provider="cpu")
    rgb = make_photo(120, 160)
    previous = np.zeros((120, 160), np.uint8)
    previous[58:63, 70:91] = 255  # painted by hand, below the keep click too
    guidance = Guidance().with_click(Click(40.5, 40.5)).with_stroke(Stroke(((75.5, 60.5), (85.5, 60.5)), 1.0))
    painted = painted_pixels(guidance.strokes, 120, 160)
    prediction, preview = quick_mask(model, model.prepare(rgb), guidance.clicks, previous)
    assert preview.shape == prediction.probability.shape and preview.dtype == np.uint8
    quick = full_size_mask(preview, 160, 120, previous, painted)
    assert quick.shape == (120, 160) and quick[40, 40] > 200 and quick[100, 10] < 30
    refined, _ = refined_mask(model, rgb, prediction, previous, painted)
    for soft in (quick, refined):
        np.testing.assert_array_equal(soft[painted.view(bool)], previous[painted.view(bool)])


def test_replace_changed_stores_only_the_changed_box() -> None:
    mask = EditableMask(np.zeros((50, 60), np.uint8))
    new = mask.soft.copy()
    new[10:20, 30:35] = 200
    assert mask.replace_changed(new) == Rect(30, 10, 5, 10)
    assert mask.replace_changed(new) is None  # nothing changed: no undo step
    mask.undo()
    assert not mask.soft.any() and not mask.can_undo


def test_the_one_output_name_rule(tmp_path: Path) -> None:
    photo = tmp_path / "shop" / "cup.jpg"
    assert cutout_path(photo) == tmp_path / "shop" / "cup-cutout.png"
    assert cutout_path(photo, tmp_path) == tmp_path / "cup-cutout.png"
    assert is_cutout_path(cutout_path(photo)) and not is_cutout_path(photo)
