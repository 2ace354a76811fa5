"""The click tool in the real window on the tiny hand-wired two-stage model.

The wired model's mask is the keep-click disks plus the previous mask, less the remove-click disks (see
``export_tiny_two_stage`` in conftest), so every test can say exactly where the mask must change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import applied_stages, open_window, settle_clicks
from PySide6.QtCore import Qt

from cutout_app.core.edges.alpha import MaskSettings
from cutout_app.core.files.imageio import read_image
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.gui.app import build_parser
from cutout_app.gui.canvas import KEEP_DOT, REMOVE_DOT
from cutout_app.gui.click_segmenter import PREVIEW_SIDE
from cutout_app.gui.editor_state import Tool
from cutout_app.gui.prompts import ScriptedPrompter

A = (80.5, 60.5)  # the photo's centre (its disc)
B = (30.5, 30.5)  # background, far from A


@pytest.fixture
def window(qtbot, tiny_two_stage_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_two_stage_path, tmp_path)
    assert win.open_path(photo_path)
    win.canvas.set_zoom(3.0)
    win.canvas.fit_to_window()
    return win


def _click(qtbot, window, point: tuple[float, float], button=Qt.MouseButton.LeftButton, shift: bool = False) -> None:
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(window.canvas, button, mods, window.canvas.grab_point(*point))



def _at(window, point: tuple[float, float]) -> int:
    return int(window.document.soft[int(point[1]), int(point[0])])



def test_a_keep_click_segments_there_and_shows_a_green_dot(qtbot, window):
    assert window.state.tool is Tool.CLICK  # the default tool after opening, with a model that takes clicks
    seen = applied_stages(window)
    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    assert seen == ["global", "refined"]
    doc = window.document
    assert _at(window, A) > 200 and _at(window, B) < 30 and doc.soft[5, 150] < 30
    [click] = doc.clicks
    assert click.positive and abs(click.x - A[0]) < 1 and abs(click.y - A[1]) < 1
    picture = window.canvas.grab().toImage()
    assert picture.pixelColor(window.canvas.grab_point(*A)) == KEEP_DOT
    assert window.status.model_label.text().endswith("CPU")


def test_right_click_and_shift_click_remove(qtbot, window):
    doc = window.document
    doc.replace_mask(np.full((120, 160), 255, np.uint8))
    _click(qtbot, window, A, Qt.MouseButton.RightButton)
    settle_clicks(qtbot, window)
    assert _at(window, A) < 30 and _at(window, B) > 200  # the rest comes through as the previous mask
    _click(qtbot, window, B, shift=True)
    settle_clicks(qtbot, window)
    assert _at(window, B) < 30 and doc.soft[100, 140] > 200
    assert [c.positive for c in doc.clicks] == [False, False]
    assert window.canvas.grab().toImage().pixelColor(window.canvas.grab_point(*B)) == REMOVE_DOT


def test_two_quick_clicks_end_with_the_second(qtbot, window):
    seen = applied_stages(window)
    # Both clicks before any event is processed: the first one's global pass is dropped.
    assert window.click_at(*A, True)
    assert window.click_at(*A, False)
    settle_clicks(qtbot, window)
    assert seen == ["global", "refined"] and _at(window, A) < 30
    assert [c.positive for c in window.document.clicks] == [True, False]

    # A click while the previous click's refinement runs: that refinement never lands.
    seen.clear()
    with qtbot.waitSignal(window.clicks.applied, timeout=20000):
        window.click_at(*B, True)
    assert seen == ["global"] and window.clicks.busy  # B's refinement is on its way...
    window.click_at(*B, False)  # ...and this click makes it stale
    settle_clicks(qtbot, window)
    assert seen == ["global", "global", "refined"]
    assert _at(window, B) < 30 and len(window.document.clicks) == 4


def test_undo_and_redo_a_click(qtbot, window):
    doc = window.document
    before = doc.soft.copy()
    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    after = doc.soft.copy()
    assert _at(window, A) > 200

    window.ui_actions.undo.trigger()  # one click is one undo step, global and refined together
    np.testing.assert_array_equal(doc.soft, before)
    assert doc.clicks == () and not doc.mask.can_undo
    window.ui_actions.redo.trigger()
    np.testing.assert_array_equal(doc.soft, after)
    assert len(doc.clicks) == 1


def test_brush_strokes_survive_the_next_click(qtbot, window):
    doc = window.document
    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    window.state.set(tool=Tool.ERASE, brush_size=4, brush_hardness=1.0)
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(70.5, 60.5))
    qtbot.mouseMove(canvas, canvas.grab_point(90.5, 60.5))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(90.5, 60.5))
    window.state.set(tool=Tool.ADD, brush_size=6)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(140.5, 100.5))
    assert _at(window, A) == 0 and doc.soft[100, 140] == 255

    window.state.set_tool(Tool.CLICK)
    before = doc.soft.copy()
    _click(qtbot, window, B)
    settle_clicks(qtbot, window)
    # The click took its own object, everything far from it stayed pixel for pixel (A's disk included), and
    # the painted pixels stayed exactly as painted.
    assert _at(window, B) > 200
    np.testing.assert_array_equal(doc.soft[50:, 50:], before[50:, 50:])
    assert _at(window, A) == 0 and doc.soft[60, 75] == 0 and doc.soft[100, 140] == 255


def test_esc_clears_the_clicks_and_starts_from_the_current_mask(qtbot, window):
    doc = window.document
    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    mask = doc.soft.copy()
    assert window.ui_actions.clear_clicks.isEnabled()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert doc.clicks == ()
    np.testing.assert_array_equal(doc.soft, mask)
    _click(qtbot, window, B)
    settle_clicks(qtbot, window)
    [click] = doc.clicks
    assert abs(click.x - B[0]) < 1 and abs(click.y - B[1]) < 1
    assert _at(window, A) > 200 and _at(window, B) > 200


def test_space_still_segments_the_whole_photo_automatically(qtbot, window, photo_path):
    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000) as blocker:
        qtbot.keyClick(window.canvas, Qt.Key.Key_Space)
    assert blocker.args == ["done"]
    doc = window.document
    expected = segment_photo(window.engine, read_image(photo_path), MaskSettings(doc.settings.threshold, doc.settings.softness))
    np.testing.assert_array_equal(doc.soft, expected)
    assert doc.clicks == ()  # automatic mode starts the clicks over
    window.undo()
    assert len(doc.clicks) == 1  # ...and undo brings them back with the mask


def test_provider_shown_and_a_cuda_fallback_said_once(qtbot, tiny_two_stage_path, tmp_path, photo_path, monkeypatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    from gui_support import make_settings

    from cutout_app.gui.main_window import MainWindow

    window = MainWindow(tiny_two_stage_path, provider="cuda", settings=make_settings(tmp_path), prompter=ScriptedPrompter())
    qtbot.addWidget(window)
    note = window.engine.provider_note
    assert note and "CUDA" in note  # this onnxruntime has no CUDA: the model runs on the CPU
    assert window.status.model_label.text().endswith("· CPU") and window.status.model_label.toolTip() == note
    assert window.status.currentMessage() == note
    window.open_path(photo_path)
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000):
        window.segment()
    assert window.status.currentMessage() != note  # said once, not after every run

    window.ui_actions.providers["cpu"].trigger()
    assert window.settings.provider() == "cpu" and window.engine.provider_note is None
    assert window.ui_actions.providers["cpu"].isChecked() and window.clicks.model is window.engine
    assert build_parser().parse_args(["--provider", "cuda"]).provider == "cuda"


def test_a_model_without_clicks_says_so(qtbot, tiny_model_path, tmp_path, photo_path, monkeypatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.open_path(photo_path)
    assert window.state.tool is not Tool.CLICK
    window.state.set_tool(Tool.CLICK)
    _click(qtbot, window, A)
    assert "no clicks" in window.status.currentMessage()
    assert not window.document.soft.any() and window.document.clicks == ()


def _global_shown(qtbot, window, point: tuple[float, float]) -> None:
    """Click and return as soon as the global pass is shown, before its refinement can land."""
    with qtbot.waitSignal(window.clicks.applied, timeout=20000) as blocker:
        window.click_at(*point, True)
    assert blocker.args == ["global"]


def test_the_global_pass_is_a_preview_until_the_refined_mask_lands(qtbot, window):
    doc = window.document
    _global_shown(qtbot, window, A)
    # Shown at once as a small picture of the photo, without touching the full-resolution mask...
    assert doc.preview is not None and max(doc.preview.shape) <= PREVIEW_SIDE
    assert not doc.soft.any() and window.ui_actions.undo.isEnabled()
    shown = window.canvas.grab().toImage().pixelColor(window.canvas.grab_point(A[0] + 8, A[1]))
    assert shown != window.canvas.grab().toImage().pixelColor(window.canvas.grab_point(*B))  # the overlay is there
    settle_clicks(qtbot, window)
    # ...then the refined mask is the mask, as one undo step.
    assert doc.preview is None and _at(window, A) > 200
    window.undo()
    assert not doc.soft.any() and doc.clicks == ()


def test_undo_during_a_refinement_drops_the_click(qtbot, window):
    doc = window.document
    _global_shown(qtbot, window, A)
    window.undo()
    assert doc.preview is None and doc.clicks == ()
    settle_clicks(qtbot, window)
    assert not doc.soft.any() and doc.clicks == ()  # the refinement never landed


def test_a_stroke_during_a_refinement_keeps_what_was_shown(qtbot, window):
    doc = window.document
    _global_shown(qtbot, window, A)
    doc.begin_stroke(20.5, 100.5, 3, 1.0, "add")
    doc.end_stroke()
    assert doc.preview is None and _at(window, A) > 200 and doc.soft[100, 20] == 255
    assert len(doc.clicks) == 1
    mask = doc.soft.copy()
    settle_clicks(qtbot, window)
    np.testing.assert_array_equal(doc.soft, mask)  # the stale refinement did not overwrite the stroke
    window.undo()
    window.undo()
    assert not doc.soft.any()  # the click (kept from its preview) and the stroke: two undo steps


def test_export_during_a_refinement_writes_what_is_shown(qtbot, window, tmp_path):
    _global_shown(qtbot, window, A)
    assert window.ui_actions.export.isEnabled()  # the first click's preview is something to export
    written = window.export_now(tmp_path / "out.png")
    assert written is not None and window.document.preview is None
    alpha = read_image(written).pixels[..., 3]
    assert alpha[int(A[1]), int(A[0])] > 200 and alpha[int(B[1]), int(B[0])] < 30
    assert _at(window, A) > 200 and not window.document.unsaved


def test_dots_stay_inside_their_pane_side_by_side(qtbot, window):
    from cutout_app.gui.canvas import BACKGROUND, PANE_GAP
    from cutout_app.gui.editor_state import ViewMode

    _click(qtbot, window, A)
    settle_clicks(qtbot, window)
    window.state.set_view_mode(ViewMode.SIDE_BY_SIDE)
    canvas = window.canvas
    (left, _), (right, _) = canvas.panes()
    dot = canvas.image_to_widget(*A)
    gap_x = left.right() + 1 + PANE_GAP // 2
    canvas.pan_by(gap_x - dot.x(), 0)  # A's dot now centred on the gap between the panes
    picture = canvas.grab().toImage()
    assert picture.pixelColor(gap_x, int(canvas.image_to_widget(*A).y())) == BACKGROUND
    assert picture.pixelColor(left.right() - 1, int(canvas.image_to_widget(*A).y())) == KEEP_DOT  # clipped, not gone
