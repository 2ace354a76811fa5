"""The window's loose ends of issue 28, on the real window and dialogs (pytest-qt, offscreen, the tiny models).

About names cutout's version; a pasted photo exports to the last export folder or Pictures, never to the
hidden data folder; the window comes back maximised; F1 lists Esc once and never cuts a row off; Qt's file
dialog speaks Chinese with readable dates; the batch dialog locks its edge options while it runs and keeps
its list readable after the summary; the K tool's hover region never outlives the mask it was built for.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo
from gui_support import make_settings, open_window, paste_and_wait, two_discs
from PySide6.QtCore import QEvent, QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QTreeView

from cutout_app import __version__
from cutout_app.gui import i18n
from cutout_app.gui.batch_dialog import MIN_RESULT_ROWS, BatchDialog
from cutout_app.gui.editor_state import Tool
from cutout_app.gui.export_dialog import ExportDialog
from cutout_app.gui.main_window import MainWindow
from cutout_app.gui.prompts import ScriptedPrompter
from cutout_app.gui.settings import pictures_dir


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder))
    return folder


def _when_modal(qtbot, act) -> list[object]:
    """Run ``act(dialog)`` on the next modal dialog as soon as it shows (then it is closed); what ``act`` returned."""
    seen: list[object] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        seen.append(act(dialog))
        dialog.close()

    QTimer.singleShot(0, poll)
    return seen


# --- About --------------------------------------------------------------------------------------------------


def test_about_names_cutouts_version(qtbot, tiny_model_path: Path, tmp_path: Path) -> None:
    window = open_window(qtbot, tiny_model_path, tmp_path)
    seen = _when_modal(qtbot, lambda box: box.text() if isinstance(box, QMessageBox) else None)
    window.ui_actions.about.trigger()
    assert seen and f"cutout {__version__}" in str(seen[0])


# --- a pasted photo exports where the user exports, not into the data folder ------------------------------


def _paste(qtbot, window: MainWindow, seed: int) -> None:
    ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(make_photo(60, 80, seed=seed)), cv2.COLOR_RGB2BGR))
    paste_and_wait(qtbot, window, "image/png", data.tobytes())


def test_a_pasted_photo_exports_to_the_last_export_folder_or_pictures(qtbot, tiny_model_path: Path, tmp_path: Path,
                                                                      data_dir: Path) -> None:
    window = open_window(qtbot, tiny_model_path, tmp_path)
    try:
        _paste(qtbot, window, 1)
        assert data_dir in window.document.photo.path.parents  # the pasted bytes are kept in the data folder...
        window.document.replace_mask(np.full((60, 80), 255, np.uint8))
        offered = _when_modal(qtbot, lambda dialog: dialog.path() if isinstance(dialog, ExportDialog) else None)
        assert not window.export_dialog()
        assert offered and offered[0].parent == pictures_dir()  # ...but nothing exported goes there by default
        assert data_dir not in offered[0].parents

        exports = tmp_path / "exports"
        exports.mkdir()
        assert window.export_now(exports / "first.png") is not None
        window.document.mark_saved()
        _paste(qtbot, window, 2)
        assert window.default_export_path().parent == exports  # the folder of the last export, remembered
        assert make_settings(tmp_path).last_export_dir() == exports
        window.document.mark_saved()
    finally:
        QApplication.clipboard().clear()


# --- the window comes back maximised -------------------------------------------------------------------------


def _new_window(qtbot, model: Path, folder: Path) -> MainWindow:
    window = MainWindow(model, settings=make_settings(folder), prompter=ScriptedPrompter())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_window_comes_back_maximised_and_back_normal(qtbot, tiny_model_path: Path, tmp_path: Path) -> None:
    first = _new_window(qtbot, tiny_model_path, tmp_path)
    assert not first.isMaximized()
    first.showMaximized()
    qtbot.waitUntil(first.isMaximized)
    assert first.close()
    second = _new_window(qtbot, tiny_model_path, tmp_path)
    qtbot.waitUntil(second.isMaximized, timeout=3000)
    second.showNormal()
    qtbot.waitUntil(lambda: not second.isMaximized())
    assert second.close()
    third = _new_window(qtbot, tiny_model_path, tmp_path)
    qtbot.wait(100)
    assert not third.isMaximized()


# --- F1 -------------------------------------------------------------------------------------------------------


def test_f1_lists_esc_once_and_cuts_no_row_off(qtbot, tiny_model_path: Path, tmp_path: Path) -> None:
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.show_shortcuts()
    dialog = window._shortcuts_dialog
    qtbot.waitExposed(dialog)
    rows = dialog.rows()
    esc = [text for keys, text in rows if keys == "Esc"]
    assert len(esc) == 1 and "clear the clicks" in esc[0]  # one row says both things Esc does
    assert any(keys.startswith("Right click") for keys, _ in rows)
    table = dialog.table
    for width in (780, 460):  # as it opens, and narrowed
        dialog.resize(width, 660)
        qtbot.wait(50)
        metrics = table.fontMetrics()
        for row in range(table.rowCount()):
            if table.columnSpan(row, 0) > 1:
                continue  # a section's title
            for column in (0, 1):
                text = table.item(row, column).text()
                room = table.columnWidth(column) - 2 * table.style().pixelMetric(table.style().PixelMetric.PM_FocusFrameHMargin) - 2
                need = metrics.boundingRect(QRect(0, 0, room, 10000), Qt.TextFlag.TextWordWrap, text)
                assert table.rowHeight(row) >= need.height(), (width, text)  # the whole text shows: wrapped, not cut


# --- Qt's file dialog in Chinese ---------------------------------------------------------------------------------


def test_the_file_dialog_speaks_chinese_and_writes_dates_with_separators(qtbot, qapp, tiny_model_path: Path,
                                                                         tmp_path: Path, photo_path: Path) -> None:
    window = open_window(qtbot, tiny_model_path, tmp_path)
    window.settings.set_last_open_dir(photo_path.parent)
    assert i18n.install_translator(qapp, "zh_CN") == "zh_CN"
    try:
        def look(dialog) -> tuple[list[str], str]:
            assert isinstance(dialog, QFileDialog)
            labels = [label.text() for label in dialog.findChildren(QLabel)]
            view = dialog.findChild(QTreeView, "treeView")
            qtbot.waitUntil(lambda: view.model().rowCount(view.rootIndex()) > 0, timeout=5000)
            model, root = view.model(), view.rootIndex()
            names = [model.index(r, 0, root).data() for r in range(model.rowCount(root))]
            return labels, model.index(names.index(photo_path.name), 3, root).data()

        seen = _when_modal(qtbot, look)
        window.open_dialog()
        assert seen, "no file dialog"
        labels, date = seen[0]
    finally:
        i18n.remove_translators(qapp)
    assert any("查找范围" in text for text in labels) and any("文件类型" in text for text in labels)
    assert not any(text in ("&Look in:", "Files of &type:") for text in labels)
    assert re.search(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", date), date  # not "6 12 2026 13:28"


# --- the batch dialog ---------------------------------------------------------------------------------------------


def test_the_batch_dialog_locks_its_edge_options_while_it_runs_and_keeps_its_list_readable(
        qtbot, tiny_model_path: Path, tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for k in range(3):
        ok, data = cv2.imencode(".jpg", make_photo(60, 80, k))
        (src / f"photo{k}.jpg").write_bytes(data.tobytes())
    for k in range(8):
        (src / f"broken{k}.jpg").write_bytes(b"\xff\xd8\xff not a photo")
    dialog = BatchDialog(tiny_model_path, settings=make_settings(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000):
        assert dialog.start()
        assert not dialog.edge_spin.isEnabled() and not dialog.shift_spin.isEnabled()
    assert dialog.edge_spin.isEnabled() and dialog.shift_spin.isEnabled()
    qtbot.wait(50)
    table = dialog.results_table
    assert table.rowCount() == 11 and dialog.summary_view.isVisible()  # the failures are listed above the table
    assert table.viewport().height() >= MIN_RESULT_ROWS * table.rowHeight(0)  # before: 2 rows


# --- the K tool's hover region --------------------------------------------------------------------------------------


def test_the_region_tools_hover_never_outlives_the_mask_it_was_built_for(qtbot, tiny_two_stage_path: Path,
                                                                           tmp_path: Path, photo_path: Path) -> None:
    window = open_window(qtbot, tiny_two_stage_path, tmp_path)
    assert window.open_path(photo_path)
    doc, canvas = window.document, window.canvas
    doc.replace_mask(two_discs())
    window.state.set_tool(Tool.REGION)
    qtbot.waitUntil(lambda: window.regions.regions is not None, timeout=10000)
    pos = QPointF(canvas.grab_point(40.5, 60.5))
    QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseMove, pos, pos, Qt.MouseButton.NoButton,
                                               Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert window.regions.label != 0
    shown: list[tuple[bool, int]] = []
    doc.preview_changed.connect(lambda: shown.append((doc.preview is not None, window.regions.label)))
    with qtbot.waitSignal(window.segmentation_finished, timeout=30000):
        assert window.segment()  # Space with the region tool: its quick mask is shown first
    assert (True, 0) in shown and all(label == 0 for previewing, label in shown if previewing)
    # Every commit drops a map built for an older mask, even one that repainted nothing.
    regions = window.regions
    qtbot.waitUntil(lambda: regions.regions is not None, timeout=10000)
    old = regions.regions
    doc.mask.dab(5, 5, 3)
    doc.mask.end_stroke()  # committed behind the document's back: no repaint signal
    doc.state_changed.emit()
    assert regions.regions is not old and regions.label == 0
    qtbot.waitUntil(lambda: regions.regions is not None, timeout=10000)
    doc.mark_saved()
