"""The box and lasso tool in the real window, dragged with the mouse, on a tiny hand-wired model that finds objects.

The global net of ``export_object_two_stage`` (conftest) finds the bright disc of the test photo (centre
(80, 60), radius 40) wherever it looks, so a box's mask is the part of the disc inside the box.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from gui_support import open_window, settle_clicks
from PySide6.QtCore import Qt

from cutout_app.gui.canvas import KEEP_DOT, REMOVE_DOT
from cutout_app.gui.editor_state import Tool

_yy, _xx = np.mgrid[:120, :160]
DISC = (_yy - 60) ** 2 + (_xx - 80) ** 2 < 40**2
RIGHT = DISC & (_xx >= 80)
LEFT = DISC & (_xx < 80)


@pytest.fixture
def window(qtbot, tiny_object_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_object_path, tmp_path)
    assert win.open_path(photo_path)
    qtbot.keyClick(win.canvas, Qt.Key.Key_R)  # the box tool's key
    assert win.state.tool is Tool.BOX and win.ui_actions.tools[Tool.BOX].isChecked()
    return win


def _drag(qtbot, window, points, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier,
          during=None) -> None:
    """Press at the first photo point, move through the others, release at the last; ``during(canvas)`` runs
    before the release."""
    canvas = window.canvas
    qtbot.mousePress(canvas, button, mods, canvas.grab_point(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, canvas.grab_point(*point))
    if during is not None:
        during(canvas)
    qtbot.mouseRelease(canvas, button, mods, canvas.grab_point(*points[-1]))



def _agree(soft: np.ndarray, expected: np.ndarray) -> float:
    return float(((soft > 127) == expected).mean())


def _pen_pixels(canvas, colour) -> int:
    """How many pixels of the canvas show the drag's pen colour."""
    image = canvas.grab().toImage().convertToFormat(canvas.grab().toImage().Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    pixels = pixels.reshape(image.height(), image.width(), 3).astype(int)
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return int((np.abs(pixels - target).sum(axis=2) < 40).sum())


def test_a_box_takes_the_object_inside_it_as_one_undo_step(qtbot, window):
    doc = window.document
    seen: list[int] = []
    _drag(qtbot, window, [(80, 12), (120, 60), (150, 108)], during=lambda c: seen.append(_pen_pixels(c, KEEP_DOT)))
    assert seen[0] > 50  # the box was drawn while the button was held...
    settle_clicks(qtbot, window)
    assert _pen_pixels(window.canvas, KEEP_DOT) == 0  # ...and went with the release
    assert _agree(doc.soft, RIGHT) > 0.99 and (doc.soft[:, :76] < 30).all()  # the right half only: what is in the box
    assert doc.clicks == ()  # a box is no click
    window.ui_actions.undo.trigger()
    assert not doc.soft.any() and not doc.mask.can_undo  # one undo step


def test_shift_adds_and_a_plain_box_starts_a_new_mask(qtbot, window):
    doc = window.document
    _drag(qtbot, window, [(80, 12), (150, 108)])
    settle_clicks(qtbot, window)
    _drag(qtbot, window, [(10, 12), (80, 108)], mods=Qt.KeyboardModifier.ShiftModifier)
    settle_clicks(qtbot, window)
    assert _agree(doc.soft, DISC) > 0.99  # Shift: the left half was added to the right one
    _drag(qtbot, window, [(10, 12), (80, 108)])
    settle_clicks(qtbot, window)
    assert _agree(doc.soft, LEFT) > 0.99 and (doc.soft[:, 84:] < 30).all()  # a plain box: the new mask alone
    window.undo()
    assert _agree(doc.soft, DISC) > 0.99


@pytest.mark.parametrize("how", ["alt", "right"])
def test_alt_or_right_drag_removes_only_inside_the_box(qtbot, window, how):
    doc = window.document
    disc = np.where(DISC, 255, 0).astype(np.uint8)
    doc.replace_mask(disc)
    before = doc.soft.copy()
    seen: list[int] = []
    button, mods = ((Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier) if how == "alt"
                    else (Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier))
    _drag(qtbot, window, [(82, 5), (155, 115)], button, mods, during=lambda c: seen.append(_pen_pixels(c, REMOVE_DOT)))
    assert seen[0] > 50  # drawn in the remove colour
    settle_clicks(qtbot, window)
    assert _agree(doc.soft, LEFT) > 0.99
    np.testing.assert_array_equal(doc.soft[:, :81], before[:, :81])  # outside the box, pixel for pixel
    window.ui_actions.undo.trigger()
    np.testing.assert_array_equal(doc.soft, before)


def test_a_lasso_with_ctrl_takes_what_is_inside_the_lasso(qtbot, window):
    doc = window.document
    triangle = [(80, 15), (150, 60), (80, 105)]
    _drag(qtbot, window, [*triangle, (80, 16)], mods=Qt.KeyboardModifier.ControlModifier)
    settle_clicks(qtbot, window)
    inside = np.zeros((120, 160), np.uint8)
    cv2.fillPoly(inside, [np.array(triangle, np.int32)], 1)
    near = cv2.dilate(inside, np.ones((7, 7), np.uint8)).astype(bool)
    taken = doc.soft > 127
    assert taken[inside.astype(bool) & DISC].mean() > 0.9  # the disc inside the lasso...
    assert not taken[~near].any()  # ...and nothing beyond it (the corners of its box stay out)


def test_a_box_with_no_area_does_nothing_and_says_why(qtbot, window):
    doc = window.document
    doc.replace_mask(np.where(DISC, 255, 0).astype(np.uint8))
    before, steps = doc.soft.copy(), doc.edit_count
    _drag(qtbot, window, [(40, 40), (40, 40)])  # a click with the box tool
    assert "no area" in window.status.currentMessage() and not window.clicks.busy
    canvas = window.canvas
    canvas.zoom_out()  # grey margins all round the photo
    outside = canvas.grab_point(-5, 60)
    assert canvas.pane_at(outside.toPointF()) is not None  # the grey margin left of the photo, in the canvas
    window.status.clearMessage()
    _drag(qtbot, window, [(-30, 10), (-5, 100)])  # a box wholly left of the photo
    assert "no area" in window.status.currentMessage() and not window.clicks.busy
    np.testing.assert_array_equal(doc.soft, before)
    assert doc.edit_count == steps


def test_a_box_reaching_past_the_photo_is_clipped_to_it(qtbot, window):
    doc = window.document
    _drag(qtbot, window, [(80, -20), (200, 140)])
    settle_clicks(qtbot, window)
    assert _agree(doc.soft, RIGHT) > 0.99


def test_removing_from_an_empty_mask_says_so(qtbot, window):
    _drag(qtbot, window, [(10, 10), (150, 110)], mods=Qt.KeyboardModifier.AltModifier)
    assert "nothing to remove" in window.status.currentMessage()
    assert not window.clicks.busy and not window.document.soft.any()
