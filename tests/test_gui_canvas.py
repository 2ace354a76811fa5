"""The canvas in the real window: region clicks, threshold view, zoom/pan, view modes and what is drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import open_window, two_discs
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from cutout_app.core.edges.alpha import alpha_from_soft
from cutout_app.gui.editor_state import Tool, ViewMode


@pytest.fixture
def window(qtbot, tiny_model_path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_model_path, tmp_path)
    assert win.open_path(photo_path)
    win.state.set(overlay_color=QColor(255, 0, 0), overlay_opacity=1.0)
    return win


def _click(qtbot, window, x: float, y: float, button=Qt.MouseButton.LeftButton, shift: bool = False) -> None:
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(window.canvas, button, mods, window.canvas.grab_point(x, y))


def _pixel(window, x: float, y: float) -> QColor:
    """The colour the canvas shows over image pixel (x, y)."""
    return window.canvas.grab().toImage().pixelColor(window.canvas.grab_point(x, y))


def test_click_keeps_or_removes_regions(qtbot, window):
    doc = window.document
    doc.replace_mask(two_discs())
    window.state.set_tool(Tool.REGION)

    _click(qtbot, window, 40, 60)  # keep the left disc only
    assert doc.soft[60, 40] == 255 and doc.soft[60, 120] == 0

    _click(qtbot, window, 120, 60, shift=True)  # Shift+click: keep the right one as well
    assert doc.soft[60, 40] == 255 and doc.soft[60, 120] == 255

    _click(qtbot, window, 40, 60, Qt.MouseButton.RightButton)  # right click removes a region
    assert doc.soft[60, 40] == 0 and doc.soft[60, 120] == 255

    window.undo()
    np.testing.assert_array_equal(doc.soft, two_discs())


def test_threshold_changes_display_not_soft_mask(qtbot, window):
    doc = window.document
    doc.replace_mask(np.full((120, 160), 128, np.uint8))
    window.panel.softness.set_value(0.0)
    soft = doc.soft.copy()

    window.panel.threshold.set_value(0.4)
    assert doc.settings.threshold == pytest.approx(0.4)
    shown_low = _pixel(window, 80, 60)
    assert (doc.alpha() == 255).all()

    window.panel.threshold.set_value(0.6)
    shown_high = _pixel(window, 80, 60)
    assert (doc.alpha() == 0).all()
    np.testing.assert_array_equal(doc.soft, soft)  # a view setting, not an edit
    assert not doc.mask.can_redo and shown_low != shown_high
    assert shown_low.red() == 255 and shown_low.green() == 0  # full-opacity red overlay where alpha is 255


def test_overlay_and_cutout_show_the_mask(qtbot, window):
    doc = window.document
    doc.replace_mask(two_discs())
    window.state.set_view_mode(ViewMode.OVERLAY)
    assert _pixel(window, 40, 60) == QColor(255, 0, 0)  # opacity 1: pure overlay colour on the mask
    assert _pixel(window, 80, 10) != QColor(255, 0, 0)

    window.state.set_view_mode(ViewMode.CUTOUT)
    rgb = doc.rgb[60, 40]
    assert _pixel(window, 40, 60) == QColor(*map(int, rgb))  # opaque: the photo itself
    background = _pixel(window, 80, 10)
    assert background.red() == background.green() == background.blue() >= 200  # checkerboard grey


def test_side_by_side_panes_share_zoom_and_pan(qtbot, window):
    window.state.set_view_mode(ViewMode.SIDE_BY_SIDE)
    canvas = window.canvas
    (left, _), (right, _) = canvas.panes()
    assert left.width() > 0 and right.left() > left.right()
    canvas.set_zoom(2.0)
    p_left = QPointF(left.left() + 50, 50)
    p_right = QPointF(right.left() + 50, 50)
    assert canvas.widget_to_image(p_left) == pytest.approx(canvas.widget_to_image(p_right))


def test_side_by_side_after_a_fit_shows_the_whole_photo_in_each_pane(qtbot, window):
    canvas = window.canvas
    canvas.fit_to_window()
    window.state.set_view_mode(ViewMode.SIDE_BY_SIDE)  # half the width each: the fit follows the panes
    for pane, _ in canvas.panes():
        assert 160 * canvas.zoom <= pane.width() and 120 * canvas.zoom <= pane.height()
    canvas.resize(canvas.width() // 2, canvas.height())  # and the window while the user has not zoomed
    for pane, _ in canvas.panes():
        assert 160 * canvas.zoom <= pane.width()
    canvas.set_zoom(canvas.zoom * 2)
    zoomed = canvas.zoom
    window.state.set_view_mode(ViewMode.OVERLAY)
    assert canvas.zoom == zoomed  # a zoom the user chose stays


def test_zoom_fit_and_pan(qtbot, window):
    canvas = window.canvas
    canvas.fit_to_window()
    fitted = canvas.zoom
    pane = canvas.panes()[0][0]
    assert 160 * fitted <= pane.width() and 120 * fitted <= pane.height()  # all of it is visible...
    assert max(160 * fitted / pane.width(), 120 * fitted / pane.height()) > 0.95  # ...and as large as fits
    top_left, bottom_right = canvas.grab_point(0, 0), canvas.grab_point(160, 120)
    assert top_left.x() - pane.left() == pytest.approx(pane.right() + 1 - bottom_right.x(), abs=1)  # centred

    window.ui_actions.zoom_in.trigger()
    assert canvas.zoom > fitted
    window.ui_actions.zoom_out.trigger()
    window.ui_actions.zoom_out.trigger()
    assert canvas.zoom < fitted
    window.ui_actions.actual.trigger()
    assert canvas.zoom == pytest.approx(1.0)
    assert window.status.zoom_label.text() == "100%"

    # The wheel zooms about the cursor: the image point under it stays put.
    anchor = canvas.grab_point(30, 40)
    before = canvas.widget_to_image(QPointF(anchor))
    wheel = QWheelEvent(
        QPointF(anchor), QPointF(canvas.mapToGlobal(anchor)), QPoint(0, 0), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(canvas, wheel)
    assert canvas.zoom == pytest.approx(1.25**2)
    assert canvas.widget_to_image(QPointF(anchor)) == pytest.approx(before, abs=1e-6)

    # Middle-button drag pans by the mouse movement.
    offset = (canvas.transform.offset_x, canvas.transform.offset_y)
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(130, 90))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(130, 90))
    assert (canvas.transform.offset_x, canvas.transform.offset_y) == pytest.approx((offset[0] + 30, offset[1] - 10))
    assert not window.document.soft.any()  # panning never paints


def test_space_drag_pans_without_segmenting(qtbot, window):
    canvas = window.canvas
    offset_x = canvas.transform.offset_x
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(140, 100))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(140, 100))
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    qtbot.wait(200)  # past the moment a tap would be decided
    assert canvas.transform.offset_x == pytest.approx(offset_x + 40)
    assert window.segment_worker is None and not window.document.soft.any()


def test_brush_size_keys_and_panel(qtbot, window):
    window.panel.size_spin.setValue(20)
    assert window.state.brush_size == 20
    window.ui_actions.brush_bigger.trigger()
    assert window.state.brush_size == 25 and window.panel.size_spin.value() == 25
    window.ui_actions.brush_smaller.trigger()
    window.ui_actions.brush_smaller.trigger()
    assert window.state.brush_size < 20 and window.panel.size_spin.value() == window.state.brush_size
    window.ui_actions.tools[Tool.ERASE].trigger()
    assert window.canvas.tool is Tool.ERASE
    window.state.set_tool(Tool.REGION)  # the state drives the actions' check marks too
    assert window.ui_actions.tools[Tool.REGION].isChecked()


def test_soft_brush_paints_partial_values(qtbot, window):
    window.state.set(tool=Tool.ADD, brush_size=20, brush_hardness=0.0)
    canvas = window.canvas
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(80.5, 60.5))
    soft = window.document.soft
    assert soft[60, 80] > 200 and 0 < soft[60, 88] < soft[60, 80]
    expected = alpha_from_soft(soft, window.document.settings.threshold, window.document.settings.softness)
    np.testing.assert_array_equal(window.document.alpha(), expected)
