"""The main window driven like a user would: real window, real engine on the tiny model, real files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo
from gui_support import open_window, write_photo
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cutout_app.core.edges.alpha import MaskSettings, alpha_from_soft
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.files.imageio import read_image
from cutout_app.core.inference.engine import SegmentationEngine
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.gui.editor_state import Tool
from cutout_app.gui.prompts import SaveChoice, ScriptedPrompter


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Autosaves go to a fresh folder per test."""
    folder = tmp_path / "data"
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder))
    return folder


def _segment(qtbot, window) -> None:
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000) as blocker:
        assert window.segment()
    assert blocker.args == ["done"]


def _paint_stroke(qtbot, window, points: list[tuple[float, float]]) -> None:
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(canvas, canvas.grab_point(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[-1]))


def test_open_photo_and_bad_file(qtbot, tiny_model_path, tmp_path, photo_path):
    prompter = ScriptedPrompter()
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff this is not a JPEG")

    assert not window.open_path(bad)
    assert window.document is None
    assert prompter.errors and "broken.jpg" in prompter.errors[0][1]
    assert window.isVisible()

    assert window.open_path(photo_path)
    assert window.document is not None
    assert (window.document.width, window.document.height) == (160, 120)
    assert window.settings.recent_files()[0] == photo_path.resolve()
    assert "photo.jpg" in window.windowTitle()

    opened = window.document
    assert not window.open_path(tmp_path / "missing.png")
    assert window.document is opened  # a failed open keeps the photo that was open
    assert len(prompter.errors) == 2


def test_app_main_opens_segments_and_saves_a_picture(qtbot, tiny_model_path, tmp_path, photo_path):
    from cutout_app.gui.app import main

    out = tmp_path / "shot.png"
    assert main([str(photo_path), "--model", str(tiny_model_path), "--screenshot", str(out)]) == 0
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] > 300 and picture.shape[1] > 500


def test_open_recent_menu_reopens(qtbot, tiny_model_path, tmp_path, photo_path):
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.settings.add_recent_file(photo_path)
    window.fill_recent_menu()
    entries = [a for a in window.ui_actions.recent_menu.actions() if a.text() == str(photo_path.resolve())]
    assert len(entries) == 1
    with qtbot.waitSignal(window.open_finished, timeout=30000) as blocker:
        entries[0].trigger()
        assert window.open_worker is not None  # read in the background, not on the GUI thread
    assert blocker.args == [True]
    assert window.document is not None and window.document.photo.path == photo_path


def test_drop_file_url_opens_it(qtbot, tiny_model_path, tmp_path, photo_path):
    window = open_window(qtbot, tiny_model_path, tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_path))])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()  # the window takes image files
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, event)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.document is not None, timeout=3000)
    assert window.document.photo.path == photo_path


def test_segment_with_space_key_sets_mask_and_shows_provider(qtbot, tiny_model_path, tmp_path, photo_path):
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.open_path(photo_path)
    with qtbot.waitSignal(window.segmentation_finished, timeout=20000) as blocker:
        qtbot.keyClick(window.canvas, Qt.Key.Key_Space)
    assert blocker.args == ["done"]

    engine = SegmentationEngine(tiny_model_path)
    settings = MaskSettings(threshold=window.document.settings.threshold, softness=window.document.settings.softness)
    expected = segment_photo(engine, read_image(photo_path), settings)
    np.testing.assert_array_equal(window.document.soft, expected)
    assert window.document.has_mask and window.ui_actions.export.isEnabled()
    assert "tiny-test" in window.status.model_label.text() and "CPU" in window.status.model_label.text()
    window.undo()  # the segmentation is one undo step
    assert not window.document.soft.any()


def test_cancel_segmentation_leaves_mask_unchanged(qtbot, tiny_model_path, tmp_path):
    big = write_photo(tmp_path / "big.png", make_photo(1000, 1400, seed=3))
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.open_path(big)
    before = window.document.soft.copy()
    progress: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        progress.append((done, total))
        window.cancel_task()

    with qtbot.waitSignal(window.segmentation_finished, timeout=30000) as blocker:
        window.segment()
        window.segment_worker.signals.progress.connect(on_progress)
        assert window.status.progress.isVisible() and window.status.cancel_button.isVisible()
    assert blocker.args == ["cancelled"]
    assert progress and progress[-1][0] < progress[-1][1]  # stopped before the last tile
    np.testing.assert_array_equal(window.document.soft, before)
    assert not window.document.has_mask
    assert not window.status.progress.isVisible()
    assert window.ui_actions.segment.isEnabled()  # ready for another run


def test_paint_undo_redo(qtbot, tiny_model_path, tmp_path, photo_path):
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.open_path(photo_path)
    window.canvas.set_zoom(2.0)
    window.state.set(tool=Tool.ADD, brush_size=10, brush_hardness=1.0)
    before = window.document.soft.copy()

    _paint_stroke(qtbot, window, [(30, 30), (50, 35), (70, 40)])
    after = window.document.soft.copy()
    assert after[35, 50] == 255 and before[35, 50] == 0
    assert after[100, 150] == before[100, 150]  # far from the stroke: untouched
    assert window.document.unsaved and window.windowTitle().startswith("*")

    window.ui_actions.undo.trigger()
    np.testing.assert_array_equal(window.document.soft, before)
    window.ui_actions.redo.trigger()
    np.testing.assert_array_equal(window.document.soft, after)

    window.state.set_tool(Tool.ERASE)
    _paint_stroke(qtbot, window, [(50, 35)])
    assert window.document.soft[35, 50] == 0


def test_export_png_alpha_matches_mask(qtbot, tiny_model_path, tmp_path, photo_path):
    prompter = ScriptedPrompter()
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    window.open_path(photo_path)
    _segment(qtbot, window)
    window.set_mask_view(threshold=0.4)
    out = tmp_path / "out" / "photo-cutout.png"

    with qtbot.waitSignal(window.export_finished, timeout=10000) as blocker:
        window.export_to(out)
    assert blocker.args == [out]
    written = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert written.shape == (120, 160, 4)
    expected = alpha_from_soft(window.document.soft, 0.4, window.document.settings.softness)
    np.testing.assert_array_equal(written[..., 3], expected)
    assert not window.document.unsaved

    # mask-only mode, and the original is never overwritten
    with qtbot.waitSignal(window.export_finished, timeout=10000):
        window.export_to(tmp_path / "mask.png", ExportOptions(mode=ExportMode.MASK))
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "mask.png"), cv2.IMREAD_UNCHANGED), expected)
    original = photo_path.read_bytes()
    with qtbot.waitSignal(window.export_finished, timeout=10000) as blocker:
        window.export_to(photo_path.with_suffix(".png"))  # fine: another file
    assert blocker.args[0] is not None
    with qtbot.waitSignal(window.export_finished, timeout=10000) as blocker:
        window.export_to(out)  # exists and overwrite not allowed
    assert blocker.args == [None]
    assert prompter.errors and "already exists" in prompter.errors[-1][1]
    assert photo_path.read_bytes() == original


def test_autosave_restores_edits_in_a_new_window(qtbot, tiny_model_path, tmp_path, photo_path):
    first = open_window(qtbot, tiny_model_path, tmp_path)
    first.open_path(photo_path)
    first.canvas.set_zoom(2.0)
    first.state.set(brush_size=12, brush_hardness=0.5)
    _paint_stroke(qtbot, first, [(20, 20), (80, 60)])
    _paint_stroke(qtbot, first, [(100, 90), (140, 100)])
    first.state.set_tool(Tool.ERASE)
    _paint_stroke(qtbot, first, [(50, 40)])
    edited = first.document.soft.copy()
    assert edited.any()

    # The first window is killed: its journal stays on disk, and its hold on it goes with the process.
    first.autosave.close()
    prompter = ScriptedPrompter(restore=True)
    second = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    second.open_path(photo_path)
    assert any(q.startswith("restore:") for q in prompter.questions)
    np.testing.assert_array_equal(second.document.soft, edited)
    assert second.document.unsaved

    # Declining a restore deletes the autosave.
    third_prompter = ScriptedPrompter(restore=False)
    third = open_window(qtbot, tiny_model_path, tmp_path, third_prompter)
    third.open_path(photo_path)
    assert not third.document.soft.any()
    fourth_prompter = ScriptedPrompter()
    fourth = open_window(qtbot, tiny_model_path, tmp_path, fourth_prompter)
    fourth.open_path(photo_path)
    assert fourth_prompter.questions == []


def test_close_with_unsaved_edits_asks(qtbot, tiny_model_path, tmp_path, photo_path):
    prompter = ScriptedPrompter(save_choice=SaveChoice.CANCEL)
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    window.open_path(photo_path)
    window.document.replace_mask(np.full((120, 160), 200, np.uint8))

    assert not window.close()
    assert window.isVisible() and prompter.questions == ["save:photo.jpg"]
    prompter.save_choice = SaveChoice.DISCARD
    assert window.close()


def test_language_menu_stores_choice(qtbot, tiny_model_path, tmp_path):
    prompter = ScriptedPrompter()
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    window.fill_language_menu()
    names = [a.text() for a in window.ui_actions.language_menu.actions()]
    assert "简体中文" in names and "English" in names
    [chinese] = [a for a in window.ui_actions.language_menu.actions() if a.text() == "简体中文"]
    try:
        chinese.trigger()
        assert window.settings.store.value("ui/language") == "zh_CN"
        assert prompter.infos == []  # no "applies after a restart": it applies now
    finally:
        from cutout_app.gui import i18n

        i18n.remove_translators(QApplication.instance())


def test_missing_model_keeps_window_usable(qtbot, tmp_path, photo_path):
    prompter = ScriptedPrompter()
    window = open_window(qtbot, tmp_path / "no-such-model.onnx", tmp_path, prompter)
    qtbot.waitUntil(lambda: bool(prompter.errors), timeout=3000)
    assert "no-such-model.onnx" in prompter.errors[0][1]
    assert window.open_path(photo_path)
    assert not window.ui_actions.segment.isEnabled() and not window.segment()
    assert "none" in window.status.model_label.text().lower()
