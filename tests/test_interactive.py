"""core.inference.interactive: a click changes only what it is about, remove clicks remove, zoom-in, boxes.

Most tests run the tiny hand-wired two-stage model of conftest, whose mask is the keep-click disks plus the
previous mask less the remove-click disks, so each can say where the mask must (and must not) change; the
box tests run the bundled model on the sample photo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.datasets.metrics import iou, unknown_band
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.errors import ArgumentError
from cutout_app.core.files.imageio import read_image
from cutout_app.core.files.names import cutout_path, is_cutout_path
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.click_merge import progressive_merge
from cutout_app.core.inference.clicks import Click, next_click
from cutout_app.core.inference import Box, Guidance, Stroke, box_step, click_step, painted_pixels, refine_step
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.core.inference.two_stage import CutoutModel, open_model
from cutout_app.core.inference.zoom import zoom_window
from cutout_app.core.paths import BUNDLED_MODEL_NAME, MODELS_DIR, PROJECT_ROOT


@pytest.fixture(scope="module")
def wired(tiny_two_stage_path: Path) -> CutoutModel:
    model = open_model(tiny_two_stage_path, provider="cpu")
    assert isinstance(model, CutoutModel)
    return model


def _click(model: CutoutModel, rgb: np.ndarray, clicks: list[Click], previous: np.ndarray | None, **kw):
    step = click_step(model, rgb, model.prepare(rgb), clicks, previous, **kw)
    soft, _ = refine_step(model, rgb, step)
    return step, soft


def test_painted_pixels_cover_the_strokes() -> None:
    assert painted_pixels([], 10, 10) is None
    covered = painted_pixels([Stroke(((2.5, 2.5), (7.5, 2.5)), 1.0)], 10, 10)
    assert covered[2, 2:8].all() and not covered[8, :].any()


def test_quick_and_refined_masks_keep_painted_pixels(wired: CutoutModel) -> None:
    rgb = make_photo(120, 160)
    previous = np.zeros((120, 160), np.uint8)
    previous[58:63, 70:91] = 255  # painted by hand, below the keep click too
    guidance = Guidance().with_click(Click(40.5, 40.5)).with_stroke(Stroke(((75.5, 60.5), (85.5, 60.5)), 1.0))
    painted = painted_pixels(guidance.strokes, 120, 160)
    step = click_step(wired, rgb, wired.prepare(rgb), guidance.clicks, previous)
    quick = step.full_mask(painted)
    assert quick.shape == (120, 160) and quick[40, 40] > 200 and quick[100, 10] < 30
    refined, _ = refine_step(wired, rgb, step, painted)
    for soft in (quick, refined):
        np.testing.assert_array_equal(soft[painted.view(bool)], previous[painted.view(bool)])


def test_a_keep_click_on_a_missed_part_changes_nothing_else_pixel_for_pixel(wired: CutoutModel) -> None:
    rgb = make_photo(120, 160)
    automatic = np.zeros((120, 160), np.uint8)
    automatic[20:100, 40:80] = 255  # a good mask of the body; the "limb" near (120, 60) was missed
    automatic[30:40, 50:60] = 128  # soft values stay exactly as they were too
    step, soft = _click(wired, rgb, [Click(120.5, 60.5)], automatic)
    assert soft[60, 120] > 200  # the limb came in...
    focus = step.focus
    assert focus is not None and focus.area < 0.25 * 120 * 160
    outside = np.ones((120, 160), bool)
    outside[focus.slices] = False
    np.testing.assert_array_equal(soft[outside], automatic[outside])  # ...and nothing outside its focus moved
    assert np.all(soft >= automatic)  # a keep click only adds
    np.testing.assert_array_equal(soft[20:100, 40:80], automatic[20:100, 40:80])


def test_a_remove_click_always_takes_the_clicked_pixel_out_and_only_removes(wired: CutoutModel) -> None:
    rgb = make_photo(120, 160)
    mask = np.zeros((120, 160), np.uint8)
    mask[20:100, 20:140] = 255
    for point in ((80.5, 60.5), (22.5, 21.5), (138.5, 98.5)):  # the middle, and the corners of the object
        step, soft = _click(wired, rgb, [Click(100.5, 50.5), Click(*point, positive=False)], mask)
        assert soft[int(point[1]), int(point[0])] < 128
        assert np.all(soft <= mask)  # a remove click only removes
        assert np.count_nonzero(soft < 128) - np.count_nonzero(mask < 128) < 0.5 * np.count_nonzero(mask)
        assert step.focus is not None and step.focus.contains_point(int(point[0]), int(point[1]))


def test_a_first_click_takes_the_nets_answer_whole(wired: CutoutModel) -> None:
    rgb = make_photo(120, 160)
    step, soft = _click(wired, rgb, [Click(80.5, 60.5)], np.zeros((120, 160), np.uint8))
    assert step.change is None and step.focus is None and soft[60, 80] > 200


def test_the_progressive_merge_keeps_what_is_not_connected_to_the_click() -> None:
    previous = np.zeros((40, 40), np.uint8)
    new = np.zeros((40, 40), np.uint8)
    new[5:15, 5:15] = 255  # joined to the click
    new[25:35, 25:35] = 255  # elsewhere: the net's answer, not the click's
    merge = progressive_merge(previous, new, 10, 10, positive=True)
    assert merge.acted and merge.mask[10, 10] == 255 and not merge.mask[25:35, 25:35].any()
    assert merge.change[5:15, 5:15].all() and not merge.change[20:, 20:].any()
    removed = progressive_merge(new, previous, 30, 30, positive=False)
    assert removed.acted and not removed.mask[25:35, 25:35].any() and removed.mask[10, 10] == 255


def test_the_zoom_window_holds_the_object_and_the_clicks_with_a_margin() -> None:
    current = np.zeros((300, 400), bool)
    current[100:130, 200:240] = True  # a small object in a 4000 x 3000 photo (the map is 10x smaller)
    window = zoom_window(3000, 4000, current, [Click(2100, 1100)], net_size=320)
    assert window is not None
    assert window.contains_point(2000, 1000) and window.contains_point(2399, 1299)  # the object
    assert 0 < window.w <= 0.7 * 4000 and window.w >= 800  # at least 20 % of the long side: context
    big = np.ones((300, 400), bool)
    assert zoom_window(3000, 4000, big, [Click(10, 10)], net_size=320) is None  # nothing to gain: the whole photo
    corner = zoom_window(3000, 4000, None, [Click(5, 5)], net_size=320)
    assert corner is not None and corner.x == 0 and corner.y == 0 and corner.w >= 800  # moved inside, not shrunk


def test_a_small_object_is_looked_at_through_a_window_from_the_first_click(wired: CutoutModel) -> None:
    rgb = make_photo(480, 640)  # the wired net sees it at 64 px: a click's disk is a small object
    step, soft = _click(wired, rgb, [Click(320.5, 240.5)], np.zeros((480, 640), np.uint8))
    assert step.window != Rect(0, 0, 640, 480) and step.window.contains_point(320, 240)
    assert soft[240, 320] > 200 and (soft[:, :200] < 30).all()
    unzoomed, _ = _click(wired, rgb, [Click(320.5, 240.5)], np.zeros((480, 640), np.uint8), zoom=False)
    assert unzoomed.window == Rect(0, 0, 640, 480)


def test_the_click_simulator_never_repeats_a_pixel_and_ignores_the_unknown_band() -> None:
    truth = np.zeros((50, 50), np.uint8)
    truth[10:40, 10:40] = 255
    truth[8:12, 8:42] = 128  # GrabCut's unknown band
    band = unknown_band(truth)
    assert band is not None and band.sum() == 4 * 34
    first = next_click(np.zeros_like(truth), truth, ignore=band)
    assert first is not None and first.positive
    again = next_click(np.zeros_like(truth), truth, ignore=band, clicked=[first])
    assert again is not None and (again.x, again.y) != (first.x, first.y)
    prediction = truth.copy()
    prediction[band] = 0  # wrong only inside the unknown band: nothing left to click, a perfect IoU
    assert next_click(prediction, truth, ignore=band) is None
    assert iou(prediction, truth, ignore=band) == 1.0 and iou(prediction, truth) < 1.0
    assert unknown_band(np.full((4, 4), 128, np.uint8) + np.eye(4, dtype=np.uint8)) is None  # a soft mask has none


@pytest.fixture(scope="module")
def bundled() -> CutoutModel:
    model = open_model(MODELS_DIR / BUNDLED_MODEL_NAME, provider="cpu")
    assert isinstance(model, CutoutModel)
    return model


def test_a_box_around_the_subject_takes_it_and_nothing_outside_the_box(bundled: CutoutModel) -> None:
    photo = read_image(PROJECT_ROOT / "resources" / "samples" / "cat.jpg")
    rgb = photo.rgb8()
    automatic = segment_photo(bundled, photo)
    ys, xs = np.nonzero(automatic >= 128)
    box = Box(max(0, xs.min() - 5), max(0, ys.min() - 5), min(rgb.shape[1], xs.max() + 6), min(rgb.shape[0], ys.max() + 6))
    step = box_step(bundled, rgb, box, np.zeros(rgb.shape[:2], np.uint8))
    soft, _ = refine_step(bundled, rgb, step)
    assert iou(soft, automatic) > 0.9
    outside = np.ones(rgb.shape[:2], bool)
    outside[box.rect(*rgb.shape[:2]).slices] = False
    assert not (soft[outside] >= 128).any()
    removed, _ = refine_step(bundled, rgb, box_step(bundled, rgb, Box(box.x0, box.y0, box.x1, box.y1, positive=False), soft))
    assert np.count_nonzero(removed >= 128) < 0.1 * np.count_nonzero(soft >= 128)  # a negative box takes it out


@pytest.mark.parametrize("bad", [Box(-5, 0, 10, 10), Box(0, 0, 0, 10), Box(10, 10, 5, 20), Box(0, 0, 10, 1e9),
                                 Box(float("nan"), 0, 10, 10)])
def test_bad_boxes_are_argument_errors(bundled: CutoutModel, bad: Box) -> None:
    rgb = make_photo(120, 160)
    with pytest.raises(ArgumentError):
        box_step(bundled, rgb, bad)


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
