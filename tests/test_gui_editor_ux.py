"""Issue 19: the editor never throws work away, and does what a Photoshop, remove.bg or GIMP user expects.

pytest-qt on the real window with the real tiny models, fed the real event sequences (X11's Space
auto-repeat while a mouse button is held; keys; mouse moves), and a real crash of a window in a child
process (``tests/gui_child.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo
from gui_support import open_window, write_photo
from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QMimeData, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication
from test_autosave_windows import run_child

from cutout_app.core.edges import MaskSettings, mask_alpha
from cutout_app.core.files import export_alpha
from cutout_app.gui import i18n
from cutout_app.gui.autosave import describe_time
from cutout_app.gui.editor_state import Backdrop, Tool, ViewMode
from cutout_app.gui.prompts import SaveChoice, ScriptedPrompter
from cutout_app.gui.renderer import REGION_COLOR
from cutout_app.gui.shortcuts import COMMANDS, command
from cutout_app.gui.space_key import SETTLE_MS, TAP_MS

A = (80.5, 60.5)
B = (30.5, 30.5)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def window(qtbot, tiny_two_stage_path: Path, tmp_path: Path, photo_path: Path):
    win = open_window(qtbot, tiny_two_stage_path, tmp_path)
    assert win.open_path(photo_path)
    win.canvas.fit_to_window()
    yield win
    if win.document is not None:
        win.document.mark_saved()


def _activate(qtbot, window) -> None:
    """Make ``window`` the active one, as the user's window is: its shortcuts answer keys."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def _settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.clicks.busy and window.document.preview is None, timeout=20000)


def _click(qtbot, window, point, button=Qt.MouseButton.LeftButton) -> None:
    qtbot.mouseClick(window.canvas, button, Qt.KeyboardModifier.NoModifier, window.canvas.grab_point(*point))


def _stroke(qtbot, window, points) -> None:
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, canvas.grab_point(*point))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[-1]))


def _space(widget, pressed: bool) -> None:
    """Space as X11 delivers it while a mouse button is held: isAutoRepeat() false, always."""
    kind = QEvent.Type.KeyPress if pressed else QEvent.Type.KeyRelease
    QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", False))


def _mouse(widget, kind: QEvent.Type, pos: QPointF, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, pos, button, buttons, Qt.KeyboardModifier.NoModifier))


# --- 1. Space pan never changes the mask ----------------------------------------------------------


def test_the_x11_space_sequence_during_a_pan_leaves_the_mask_unchanged(qtbot, window):
    doc, canvas = window.document, window.canvas
    _click(qtbot, window, A)
    _settle(qtbot, window)
    window.state.set(tool=Tool.ADD, brush_size=6, brush_hardness=1.0)
    _stroke(qtbot, window, [(140.5, 100.5)])
    window.state.set_tool(Tool.CLICK)
    soft, clicks, strokes = doc.soft.copy(), doc.clicks, doc.guidance.strokes
    offset = canvas.transform.offset_x
    held = Qt.MouseButton.LeftButton

    _space(canvas, True)
    qtbot.wait(TAP_MS + 100)  # held past the auto-repeat delay, as a pan is
    _mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(100, 100), held)
    x = 100.0
    for _ in range(6):  # auto-repeat: release/press pairs, isAutoRepeat() false, while the button is held
        x += 10
        _mouse(canvas, QEvent.Type.MouseMove, QPointF(x, 100), held)
        _space(canvas, False)
        _space(canvas, True)
        qtbot.wait(5)
    _mouse(canvas, QEvent.Type.MouseMove, QPointF(x + 10, 100), held)
    _mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(x + 10, 100), Qt.MouseButton.NoButton)
    _space(canvas, False)
    qtbot.wait(SETTLE_MS * 4)

    assert canvas.transform.offset_x == pytest.approx(offset + 70)  # the pan went on through the pairs
    assert window.segment_worker is None and not window.status.currentMessage().startswith("Segment")
    np.testing.assert_array_equal(doc.soft, soft)
    assert doc.clicks == clicks and doc.guidance.strokes == strokes and len(strokes) == 1


def test_a_long_space_press_without_the_mouse_is_no_tap_but_a_short_one_is(qtbot, window):
    canvas = window.canvas
    _space(canvas, True)
    qtbot.wait(TAP_MS + 100)
    _space(canvas, False)
    qtbot.wait(SETTLE_MS * 4)
    assert window.segment_worker is None and not window.document.has_mask
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000) as blocker:
        _space(canvas, True)
        _space(canvas, False)
    assert blocker.args == ["done"]


# --- 2. restore after a crash brings back clicks and strokes -------------------------------------


def test_restore_after_a_crash_brings_back_clicks_strokes_and_their_undo(qtbot, tiny_two_stage_path, tmp_path, photo_path):
    shown = run_child("clicks", tiny_two_stage_path, photo_path, tmp_path / "shown.npz")
    prompter = ScriptedPrompter(restore=True)
    window = open_window(qtbot, tiny_two_stage_path, tmp_path, prompter)
    assert window.open_path(photo_path)
    window.canvas.fit_to_window()
    doc = window.document
    np.testing.assert_array_equal(doc.soft, shown["soft"])
    assert [[c.x, c.y, c.positive] for c in doc.clicks] == shown["clicks"].tolist()  # the dots are back
    assert len(doc.guidance.strokes) == int(shown["strokes"]) == 2
    restored = doc.soft.copy()

    _click(qtbot, window, B)  # the next click goes on from the restored clicks and keeps the painted pixels
    _settle(qtbot, window)
    assert len(doc.clicks) == 2 and doc.soft[30, 30] > 200
    assert doc.soft[60, 80] == 0 and doc.soft[60, 75] == 0 and doc.soft[100, 140] == 255

    window.undo()
    np.testing.assert_array_equal(doc.soft, restored)
    window.undo()  # steps back through what was restored: the add dab...
    assert doc.soft[100, 140] != 255 and doc.soft[55:66, 78:83].max() > 150 and len(doc.guidance.strokes) == 1
    window.undo()  # ...the erase stroke...
    assert doc.soft[60, 80] > 200
    while doc.mask.can_undo:
        window.undo()
    assert not doc.soft.any()  # ...the click: undo goes down to the mask the photo opened with, as it did before the crash
    doc.mark_saved()


# --- 3. no false question after an export ------------------------------------------------------------


def test_reopening_after_export_asks_nothing_and_later_edits_are_called_what_they_are(qtbot, tiny_model_path, tmp_path,
                                                                                      photo_path):
    first = open_window(qtbot, tiny_model_path, tmp_path)
    assert first.open_path(photo_path)
    first.state.set(tool=Tool.ADD, brush_size=12, brush_hardness=1.0)
    _stroke(qtbot, first, [(40.5, 40.5), (90.5, 70.5)])
    exported = first.document.soft.copy()
    assert first.export_now(tmp_path / "out.png") is not None
    assert first.close()  # nothing unsaved: no question

    prompter = ScriptedPrompter(restore=True)
    second = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    assert second.open_path(photo_path)
    assert prompter.questions == []  # before the fix: "This photo has unsaved edits... Restore them?"
    np.testing.assert_array_equal(second.document.soft, exported)  # the work is not thrown away either
    assert not second.document.unsaved

    _stroke(qtbot, second, [(120.5, 90.5)])
    second.autosave.close()  # what a crash leaves: the journal on disk, the window's hold on it gone
    third_prompter = ScriptedPrompter(restore=False)
    third = open_window(qtbot, tiny_model_path, tmp_path, third_prompter)
    assert third.open_path(photo_path)
    [question] = third_prompter.questions
    assert "since you exported it" in question
    assert re.search(r"\b\d{1,2} \d{1,2} \d{4}\b", question) is None  # not the C locale's "30 11 2026"
    second.document.mark_saved()


def test_dates_use_the_locale_long_format() -> None:
    old = QLocale()
    try:
        QLocale.setDefault(QLocale.c())
        text = describe_time(1796048940)
        assert "2026" in text and "November" in text
        QLocale.setDefault(QLocale("zh_CN"))
        assert "2026年11月" in describe_time(1796048940)
    finally:
        QLocale.setDefault(old)


# --- 4, 5, 6. what the screen shows --------------------------------------------------------------------


def test_opening_in_cutout_view_shows_the_photo_until_there_is_a_mask(qtbot, tiny_model_path, tmp_path):
    photo = np.zeros((120, 160, 3), np.uint8)
    photo[...] = (30, 160, 60)  # a green photo: no checkerboard grey
    path = write_photo(tmp_path / "green.png", photo)
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.state.set_view_mode(ViewMode.CUTOUT)
    assert window.open_path(path)
    picture = window.canvas.grab().toImage()
    colour = picture.pixelColor(window.canvas.grab_point(80, 60))
    assert (colour.red(), colour.green(), colour.blue()) == (30, 160, 60)


def test_outline_and_a_solid_backdrop_show_a_small_hole(qtbot, window):
    doc, canvas = window.document, window.canvas
    soft = np.zeros((120, 160), np.uint8)
    soft[20:100, 30:130] = 255
    soft[58:63, 78:83] = 0  # a 5 px hole, nearly invisible in a pale overlay
    doc.replace_mask(soft)
    canvas.set_zoom(4.0)
    canvas.zoom_by(1.0)
    window.state.set(show_outline=True)
    ring = canvas.grab().toImage().pixelColor(canvas.grab_point(77.5, 60.5))
    assert (ring.red(), ring.green(), ring.blue()) == (0, 255, 255)
    window.state.set(show_outline=False, view_mode=ViewMode.CUTOUT, cutout_backdrop=Backdrop.BLACK)
    hole = canvas.grab().toImage().pixelColor(canvas.grab_point(80.5, 60.5))
    assert (hole.red(), hole.green(), hole.blue()) == (0, 0, 0)
    window.state.set(cutout_backdrop=Backdrop.WHITE)
    hole = canvas.grab().toImage().pixelColor(canvas.grab_point(80.5, 60.5))
    assert (hole.red(), hole.green(), hole.blue()) == (255, 255, 255)


def test_edge_width_and_shift_are_view_settings_of_the_export(qtbot, window):
    doc = window.document
    soft = np.zeros((120, 160), np.uint8)
    soft[20:100, 30:130] = 160  # an unsure inside
    doc.replace_mask(soft)
    window.panel.softness.set_value(1.0)
    assert doc.alpha()[60, 80] < 255
    window.panel.edge_spin.setValue(4)
    window.panel.shift_spin.setValue(-3)
    assert doc.settings.edge_px == 4 and doc.settings.shift_px == -3
    np.testing.assert_array_equal(doc.soft, soft)  # the edits are untouched
    alpha = doc.alpha()
    np.testing.assert_array_equal(alpha, mask_alpha(soft, MaskSettings(softness=1.0, edge_px=4, shift_px=-3)))
    assert alpha[60, 80] == 255 and alpha[60, 30] == 0  # the inside is solid, the outline moved in


# --- 7. keyboard shortcuts, written once -----------------------------------------------------------


def test_f1_lists_every_key_and_tooltips_name_the_tools_keys(qtbot, window):
    _activate(qtbot, window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_F1)
    dialog = window._shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    keys = {k for k, _ in dialog.rows()}
    for cmd in COMMANDS.values():
        if cmd.key_text():
            assert cmd.key_text() in keys, cmd.name
    assert {"Space", "C", "B", "E", "K", "H", "[", "]", "1", "2", "3", "Ctrl+Z", "PgDown"} <= keys
    for tool in Tool:
        action = window.ui_actions.tools[tool]
        key = command(f"tool_{tool.value}").keys[0]
        assert action.toolTip().endswith(f"({key})") and action.shortcut().toString() == key
    assert window.panel.click_box.title().endswith("(C)")


# --- 8. clipboard ----------------------------------------------------------------------------------------


def test_ctrl_c_copies_the_cutout_with_alpha_and_ctrl_v_pastes_a_photo(qtbot, window, tmp_path):
    doc = window.document
    soft = np.zeros((120, 160), np.uint8)
    soft[20:100, 30:130] = 255
    doc.replace_mask(soft)
    _activate(qtbot, window)
    with qtbot.waitSignal(window.copy_finished, timeout=30000) as blocker:
        qtbot.keyClick(window.canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [True]
    mime = QApplication.clipboard().mimeData()
    png = cv2.imdecode(np.frombuffer(bytes(mime.data("image/png").data()), np.uint8), cv2.IMREAD_UNCHANGED)
    assert png.shape == (120, 160, 4)
    np.testing.assert_array_equal(png[:, :, 3], export_alpha(doc.photo, doc.alpha()))  # as exported: its rim trimmed
    assert mime.hasImage() and QApplication.clipboard().image().hasAlphaChannel()

    pasted = np.ascontiguousarray(make_photo(90, 70, seed=4))
    ok, data = cv2.imencode(".png", cv2.cvtColor(pasted, cv2.COLOR_RGB2BGR))
    clip = QMimeData()
    clip.setData("image/png", data.tobytes())
    QApplication.clipboard().setMimeData(clip)
    doc.mark_saved()
    with qtbot.waitSignal(window.open_finished, timeout=30000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.document is not doc and (window.document.width, window.document.height) == (70, 90)
    np.testing.assert_array_equal(window.document.rgb, pasted)
    del mime
    QApplication.clipboard().clear()  # the offscreen clipboard must not outlive the test holding Python's data


# --- 9. next and previous photo ---------------------------------------------------------------------------


def test_page_down_opens_the_next_photo_of_the_folder(qtbot, tiny_model_path, tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    for name in ("item2.jpg", "item10.jpg", "item1.jpg", "item2-cutout.png", "notes.txt"):
        write_photo(folder / name, make_photo(60, 80)) if name != "notes.txt" else (folder / name).write_text("x")
    prompter = ScriptedPrompter(save_choice=SaveChoice.CANCEL)
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    assert window.open_path(folder / "item2.jpg")
    _activate(qtbot, window)
    with qtbot.waitSignal(window.open_finished, timeout=30000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    assert window.document.photo.path.name == "item10.jpg"  # natural order; cut-outs and other files skipped
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    assert window.document.photo.path.name == "item10.jpg" and "last photo" in window.status.currentMessage()
    window.document.replace_mask(np.full((60, 80), 255, np.uint8))
    with qtbot.waitSignal(window.open_finished, timeout=30000) as blocker:
        qtbot.keyClick(window.canvas, Qt.Key.Key_PageUp)
    assert blocker.args == [False] and prompter.questions == ["save:item10.jpg"]  # the unsaved-edits rule of any open
    assert window.document.photo.path.name == "item10.jpg"
    prompter.save_choice = SaveChoice.DISCARD
    for _ in range(2):
        with qtbot.waitSignal(window.open_finished, timeout=30000):
            window.ui_actions.previous_photo.trigger()
    assert window.document.photo.path.name == "item1.jpg"


# --- 10. first start ------------------------------------------------------------------------------------


def test_first_start_says_how_to_open_a_photo_and_highlights_no_tool(qtbot, tiny_model_path, tmp_path, photo_path):
    window = open_window(qtbot, tiny_model_path, tmp_path)
    assert "Open a photo or drop one here" in window.canvas.empty_text
    picture = window.canvas.grab().toImage()
    centre = picture.pixelColor(window.canvas.rect().center())
    middle_row = [picture.pixelColor(x, window.canvas.height() // 2 - 20).lightness() for x in range(window.canvas.width())]
    assert max(middle_row) > centre.lightness() + 60  # the text is drawn
    assert not any(action.isChecked() for action in window.ui_actions.tools.values())
    assert not window.ui_actions.tool_group.isEnabled()
    assert window.open_path(photo_path)
    assert sum(action.isChecked() for action in window.ui_actions.tools.values()) == 1


# --- 11. live language ---------------------------------------------------------------------------------


def test_a_language_switch_retranslates_the_visible_window_and_qt_dialogs(qtbot, window):
    file_menu = window.ui_actions.menus["file"]
    assert file_menu.title() == "&File"
    try:
        window.choose_language("zh_CN")
        qtbot.wait(20)  # Qt posts LanguageChange to every window
        assert window.settings.store.value("ui/language") == "zh_CN"
        assert file_menu.title() != "&File" and "F" in file_menu.title()  # 文件(&F)
        assert window.panel.brush_box.title() == QCoreApplication.translate("ToolPanel", "Brush") != "Brush"
        assert window.ui_actions.undo.text() != "&Undo"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") != "Cancel"  # Qt's own buttons: qtbase
        window.choose_language("en")
        qtbot.wait(20)
        assert file_menu.title() == "&File" and window.panel.brush_box.title() == "Brush"
    finally:
        i18n.remove_translators(QApplication.instance())


# --- 13. the region tool shows what a click takes ---------------------------------------------------------


def test_hovering_with_the_region_tool_shows_what_a_click_takes(qtbot, window):
    doc, canvas = window.document, window.canvas
    soft = np.zeros((120, 160), np.uint8)
    cv2.circle(soft, (50, 60), 25, 255, -1)  # the subject...
    cv2.circle(soft, (120, 60), 20, 255, -1)  # ...and a spill, joined to it by a thin bridge
    soft[59:61, 70:105] = 255
    doc.replace_mask(soft)
    window.state.set_tool(Tool.REGION)
    qtbot.waitUntil(lambda: window.regions.regions is not None, timeout=10000)
    pos = QPointF(canvas.grab_point(50.5, 60.5))
    _mouse(canvas, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton)
    assert window.regions.label != 0
    spill = canvas.grab().toImage().pixelColor(canvas.grab_point(120.5, 60.5))
    plain = np.array([spill.red(), spill.green(), spill.blue()])
    assert abs(int(plain[0]) - REGION_COLOR[0]) < 60 and plain[1] > 100  # the spill is tinted: the click takes it too
    assert "Click: keep this region" in window.status.currentMessage()
    np.testing.assert_array_equal(doc.soft, soft)  # a preview, nothing applied
