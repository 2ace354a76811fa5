"""The click tool's hover preview in the real window: resting the pointer tints what a keep click would take.

On the tiny hand-wired model that finds the bright disc (``export_object_two_stage`` in conftest), a keep
click anywhere on the photo takes the disc (centre (80, 60), radius 40).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from gui_support import open_window, settle_clicks
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from cutout_app.gui.editor_state import Tool
from cutout_app.gui.hover_preview import HOVER_DELAY_MS

A = (80.5, 60.5)  # on the disc
B = (100.5, 50.5)  # on the disc too, another pixel
C = (10.5, 10.5)  # background

_yy, _xx = np.mgrid[:120, :160]
DISC = (_yy - 60) ** 2 + (_xx - 80) ** 2 < 40**2


@pytest.fixture
def window(qtbot, tiny_object_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_object_path, tmp_path)
    assert win.open_path(photo_path)
    assert win.state.tool is Tool.CLICK and win.state.hover_preview
    return win


def _move(qtbot, window, point) -> None:
    qtbot.mouseMove(window.canvas, window.canvas.grab_point(*point))


def _colour(window, point) -> tuple[int, int, int]:
    c = window.canvas.grab().toImage().pixelColor(window.canvas.grab_point(*point))
    return c.red(), c.green(), c.blue()


def test_resting_the_pointer_tints_what_a_keep_click_would_take_and_touches_nothing(qtbot, window):
    doc, hover = window.document, window.hover
    plain, plain_c = _colour(window, A), _colour(window, C)
    mask, steps, guidance = doc.soft.copy(), doc.edit_count, doc.guidance
    with qtbot.waitSignal(hover.changed, timeout=20000):
        _move(qtbot, window, A)
    picture = hover.picture
    assert picture is not None and picture.shape == (120, 160)
    assert ((picture > 127) == DISC).mean() > 0.99  # the disc that a keep click there takes
    tinted = _colour(window, A)
    assert tinted[0] < plain[0] - 40 and tinted[2] >= plain[2]  # shown in the hover tint's blue, which has no red
    # The background, which the click would not take, is not tinted (the net gives it 1 % there: at most a shade).
    assert max(abs(a - b) for a, b in zip(_colour(window, C), plain_c)) <= 3
    # The mask, the undo history and the clicks are untouched.
    np.testing.assert_array_equal(doc.soft, mask)
    assert doc.edit_count == steps and doc.guidance == guidance and not doc.mask.can_undo
    assert not doc.shows_mask and not window.ui_actions.undo.isEnabled()

    # A click still works after hovering, and the tint goes with the press.
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.grab_point(*A))
    assert hover.picture is None
    qtbot.waitUntil(lambda: not window.clicks.busy, timeout=20000)
    assert ((doc.soft > 127) == DISC).mean() > 0.99 and len(doc.clicks) == 1
    assert _colour(window, A) != tinted


def test_a_move_before_the_preview_lands_drops_it(qtbot, window):
    hover = window.hover
    shown: list[tuple[float, float] | None] = []
    hover.changed.connect(lambda: shown.append(hover.point if hover.picture is not None else None))
    _move(qtbot, window, C)

    def move_on() -> None:  # the pointer moves on the moment the work for A starts: A's result can only land late
        hover.started.disconnect(move_on)
        canvas = window.canvas
        pos = canvas.grab_point(*B).toPointF()
        # Delivered at once (QTest may go through the platform, which could let A's result in first).
        QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseMove, pos, canvas.mapToGlobal(pos),
                                                   Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                                   Qt.KeyboardModifier.NoModifier))

    hover.started.connect(move_on)
    _move(qtbot, window, A)
    qtbot.waitUntil(lambda: hover.picture is not None, timeout=20000)
    assert hover.point is not None and int(hover.point[0]) == int(B[0]) and int(hover.point[1]) == int(B[1])
    assert [p for p in shown if p is not None and int(p[0]) == int(A[0])] == []  # A's tint never showed
    qtbot.wait(2 * HOVER_DELAY_MS)
    assert int(hover.point[0]) == int(B[0])  # nothing stale came after it either


def test_no_preview_while_a_click_is_computed_nor_with_the_option_off(qtbot, window):
    hover = window.hover
    starts: list[int] = []
    hover.started.connect(lambda: starts.append(1))
    window.click_at(*C, True)
    assert window.clicks.busy
    _move(qtbot, window, A)  # resting while the click is computed...
    qtbot.wait(HOVER_DELAY_MS + 200)
    assert starts == []
    qtbot.waitUntil(lambda: not window.clicks.busy, timeout=20000)
    assert hover.picture is None

    window.state.set(hover_preview=False)
    _move(qtbot, window, B)
    qtbot.wait(HOVER_DELAY_MS + 200)
    assert hover.picture is None
    window.state.set(hover_preview=True)
    window.state.set_tool(Tool.ADD)  # only the click tool previews clicks
    _move(qtbot, window, A)
    qtbot.wait(HOVER_DELAY_MS + 200)
    assert hover.picture is None and starts == []


def test_no_preview_with_a_model_that_takes_no_clicks(qtbot, tiny_model_path, tmp_path, photo_path, monkeypatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_model_path, tmp_path)
    assert win.open_path(photo_path)
    win.state.set_tool(Tool.CLICK)
    starts: list[int] = []
    win.hover.started.connect(lambda: starts.append(1))
    qtbot.mouseMove(win.canvas, win.canvas.grab_point(*A))
    qtbot.wait(HOVER_DELAY_MS + 200)
    assert starts == [] and win.hover.picture is None


def test_the_photo_is_prepared_for_the_global_net_once_in_the_background_for_hover_clicks_and_space(
        qtbot, tiny_object_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    window = open_window(qtbot, tiny_object_path, tmp_path)
    engine, made = window.engine, []
    plain = engine.prepare
    engine.prepare = lambda rgb: made.append(rgb) or plain(rgb)  # the real method, counted
    assert window.open_path(photo_path)
    qtbot.waitUntil(lambda: len(made) == 1 and not window.workers.busy, timeout=20000)  # made before any click
    assert made[0] is window.document.rgb
    _move(qtbot, window, C)  # the pointer may already rest on A from an earlier test
    with qtbot.waitSignal(window.hover.changed, timeout=20000):
        _move(qtbot, window, A)
    assert window.clicks.click(*A)
    settle_clicks(qtbot, window)
    assert window.segment()
    qtbot.waitUntil(lambda: not window.workers.busy, timeout=20000)
    assert len(made) == 1  # the hover, the click and Space all used the one made in the background
    kept = window.clicks.prepared.get(engine, window.document.rgb)
    np.testing.assert_array_equal(kept.rgb, plain(window.document.rgb).rgb)
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), np.full((50, 70, 3), 90, np.uint8))
    assert window.open_path(other)
    qtbot.waitUntil(lambda: len(made) == 2 and not window.workers.busy, timeout=20000)  # a new photo: made anew
    assert made[1] is window.document.rgb
