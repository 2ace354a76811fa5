"""The window's refinement stages (issue 27): a first click or Space on a photo shown small is refined at the view's
scale first, then at full resolution; export waits for the full-resolution mask; the status says what runs.

On the tiny hand-wired two-stage model of conftest (its mask: the keep-click disks plus the previous mask, less the
remove-click disks), in the real window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import applied_stages, settle_clicks, window_on_photo

from cutout_app.core.files.imageio import read_image
from cutout_app.core.inference import Click, click_step, open_model, refine_step
from cutout_app.gui.editor_state import Tool

A = (80.5, 60.5)
B = (30.5, 30.5)


@pytest.fixture
def window(qtbot, tiny_two_stage_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    win = window_on_photo(qtbot, tiny_two_stage_path, tmp_path, photo_path, monkeypatch)
    win.state.set_tool(Tool.CLICK)
    return win




def test_a_first_click_on_a_photo_shown_small_is_refined_at_the_view_first_then_in_full(qtbot, window):
    doc = window.document
    window.clicks.view_scale = lambda: 0.25
    seen = applied_stages(window)
    window.click_at(*A)
    settle_clicks(qtbot, window)
    assert seen == ["global", "view", "refined"]
    staged = doc.soft.copy()
    window.undo()
    window.clicks.view_scale = lambda: 1.0  # shown at full size: no view pass
    seen.clear()
    window.click_at(*A)
    settle_clicks(qtbot, window)
    assert seen == ["global", "refined"]
    np.testing.assert_array_equal(doc.soft, staged)  # the view pass changes when, never what


def test_space_shows_its_global_mask_at_once_then_the_refined_one(qtbot, window, tiny_two_stage_path, photo_path):
    from cutout_app.core.inference.pipeline import segment_photo

    doc = window.document
    window.canvas.set_zoom(0.25)
    previews: list[tuple[int, int]] = []
    doc.preview_changed.connect(lambda: previews.append(None if doc.preview is None else doc.preview.shape))
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000) as blocker:
        window.segment()
    assert blocker.args == ["done"]
    assert len([p for p in previews if p is not None]) == 2  # the global mask, then the view-scale refinement
    model = open_model(tiny_two_stage_path, provider="cpu")
    np.testing.assert_array_equal(doc.soft, segment_photo(model, read_image(photo_path), doc.settings))


def test_an_export_during_the_refinement_waits_and_writes_the_full_resolution_mask(qtbot, window, tmp_path):
    import cv2

    doc = window.document
    with qtbot.waitSignal(window.clicks.applied, timeout=20000):
        window.click_at(*A)
    written = window.export_now(tmp_path / "out.png")  # while the refinement may still run
    assert written is not None and doc.preview is None and not window.clicks.busy
    alpha = cv2.imread(str(written), cv2.IMREAD_UNCHANGED)[..., 3]
    np.testing.assert_array_equal(alpha, doc.alpha())  # the refined mask, not the quick preview


def test_a_click_during_a_refinement_leaves_no_stale_tile(qtbot, window, tiny_two_stage_path, photo_path):
    doc = window.document
    with qtbot.waitSignal(window.clicks.applied, timeout=20000):
        window.click_at(*A)
    window.click_at(*B)  # A's refinement is cancelled if it still runs
    settle_clicks(qtbot, window)
    model = open_model(tiny_two_stage_path, provider="cpu")
    rgb = read_image(photo_path).rgb8()
    prepared = model.prepare(rgb)
    first = click_step(model, rgb, prepared, [Click(*A)], np.zeros(rgb.shape[:2], np.uint8))
    refined_a, _ = refine_step(model, rgb, first)
    expected = [refine_step(model, rgb, click_step(model, rgb, prepared, [Click(*A), Click(*B)], previous))[0]
                for previous in (first.full_mask(), refined_a)]  # A shown as its quick mask, or refined, when B came
    assert any(np.array_equal(doc.soft, e) for e in expected)
    assert len(doc.clicks) == 2


def test_the_status_says_refining_until_the_refined_mask_lands(qtbot, window):
    with qtbot.waitSignal(window.clicks.applied, timeout=20000) as blocker:
        window.click_at(*A)
    assert blocker.args == ["global"]
    assert window.status.progress.format().startswith("Refining")  # no timeout: it stays while the work runs
    settle_clicks(qtbot, window)
    assert window.status.progress.isHidden() and "refined" in window.status.currentMessage()
