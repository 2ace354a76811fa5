"""The batch dialog, driven like a user would: real widgets, real engine on the tiny model, real files."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from conftest import make_photo
from PySide6.QtCore import QSettings, Qt

from cutout_app.core.files.export_options import ExportMode
from cutout_app.gui.batch_dialog import BatchDialog
from cutout_app.gui.settings import AppSettings


def _write_jpeg(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(make_photo(60, 80, seed), cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(data.tobytes())


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "photos"
    _write_jpeg(src / "one.jpg", 1)
    _write_jpeg(src / "nested" / "two.jpg", 2)
    _write_jpeg(src / "three.jpg", 3)
    (src / "corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage, not a photo")
    return src, tmp_path / "results"


@pytest.fixture
def dialog(qtbot, tiny_model_path: Path, tmp_path: Path) -> BatchDialog:
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    dlg = BatchDialog(tiny_model_path, settings=settings)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_batch_dialog_runs_and_reports_the_corrupt_file(qtbot, dialog: BatchDialog, folders: tuple[Path, Path]) -> None:
    src, out = folders
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(out))
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData(ExportMode.RGBA))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000) as blocker:
        assert dialog.start()
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    report = blocker.args[0]
    assert report is not None and not report.cancelled
    assert len(report.done) == 3 and [r.src.name for r in report.failed] == ["corrupt.jpg"]

    summary = dialog.summary_text()
    assert "corrupt.jpg" in summary and "failed: 1" in summary
    for rel in ("one.png", "three.png", "nested/two.png"):
        pixels = cv2.imread(str(out / rel), cv2.IMREAD_UNCHANGED)
        assert pixels is not None and pixels.shape == (60, 80, 4)
    assert dialog.results_table.rowCount() == 4
    statuses = {dialog.results_table.item(r, 0).text(): dialog.results_table.item(r, 1).text() for r in range(4)}
    assert statuses["nested/two.jpg"] == "Done" and statuses["corrupt.jpg"] == "Failed"
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum() == 4
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()

    # A second run skips everything that was done.
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000) as blocker:
        dialog.start()
    assert len(blocker.args[0].skipped) == 3 and len(blocker.args[0].done) == 0


def test_cancel_stops_the_batch(qtbot, dialog: BatchDialog, folders: tuple[Path, Path]) -> None:
    src, out = folders
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(out))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000) as blocker:
        assert dialog.start()
        # The worker checks the token before each file, so a click right away stops it before the first.
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert not dialog.cancel_button.isEnabled()
    report = blocker.args[0]
    assert report.cancelled and report.done == [] and report.not_started == 4
    assert not out.exists() or not any(out.rglob("*.png"))
    assert "Cancelled" in dialog.summary_text()
    assert dialog.start_button.isEnabled()


def test_bad_output_folder_gives_one_message(qtbot, dialog: BatchDialog, folders: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = folders
    blocker_file = tmp_path / "a-file.txt"
    blocker_file.write_text("x")
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(blocker_file))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000) as blocker:
        dialog.start()
    assert blocker.args[0] is None
    assert "is a file" in dialog.summary_text()
    assert dialog.results_table.rowCount() == 0


def test_start_without_folders_explains(dialog: BatchDialog) -> None:
    assert not dialog.start()
    assert "folder" in dialog.summary_text()
    assert not dialog.is_running()


def test_options_follow_the_widgets(dialog: BatchDialog) -> None:
    from PySide6.QtGui import QColor

    dialog.recursive_check.setChecked(False)
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData(ExportMode.BACKGROUND))
    dialog.set_background_color(QColor(10, 20, 30))
    dialog.threshold_spin.setValue(0.7)
    options = dialog.options()
    assert not options.recursive
    assert options.export.mode == ExportMode.BACKGROUND and tuple(options.export.background) == (10, 20, 30)
    assert options.mask.threshold == pytest.approx(0.7)
    assert dialog.color_button.isEnabled()


def test_missing_model_is_reported_not_raised(qtbot, folders: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = folders
    dlg = BatchDialog(tmp_path / "missing.onnx")
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.output_edit.setText(str(out))
    with qtbot.waitSignal(dlg.batch_finished, timeout=60000) as blocker:
        dlg.start()
    assert blocker.args[0] is None
    assert "missing.onnx" in dlg.summary_text()
    assert dlg.start_button.isEnabled()


def test_batch_runs_a_two_stage_model_in_automatic_mode(qtbot, tiny_two_stage_path: Path, folders, tmp_path: Path) -> None:
    src, out = folders
    dlg = BatchDialog(tiny_two_stage_path, provider="cpu")
    qtbot.addWidget(dlg)
    dlg.input_edit.setText(str(src))
    dlg.output_edit.setText(str(out))
    dlg.mode_combo.setCurrentIndex(dlg.mode_combo.findData(ExportMode.MASK))
    assert dlg.mode_combo.currentText() == "Mask only (grayscale)"  # the export dialog's wording
    with qtbot.waitSignal(dlg.batch_finished, timeout=60000) as blocker:
        assert dlg.start()
    report = blocker.args[0]
    assert len(report.done) == 3 and [r.src.name for r in report.failed] == ["corrupt.jpg"]
    assert "corrupt.jpg" in dlg.summary_text()
    mask = cv2.imread(str(out / "one.png"), cv2.IMREAD_UNCHANGED)
    assert mask is not None and mask.shape == (60, 80)  # mask-only mode: one channel


def test_failed_rows_stand_out_the_summary_comes_first_and_the_output_folder_opens(
    qtbot, dialog: BatchDialog, folders: tuple[Path, Path]
) -> None:
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices

    from cutout_app.gui.batch_dialog import FAILED_BACKGROUND

    src, out = folders
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(out))
    assert not dialog.open_output_folder()  # nothing there yet: said, not opened
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000):
        assert dialog.start()
    rows = {dialog.results_table.item(r, 0).text(): r for r in range(dialog.results_table.rowCount())}
    failed = dialog.results_table.item(rows["corrupt.jpg"], 1)
    done = dialog.results_table.item(rows["one.jpg"], 1)
    assert failed.background().color() == FAILED_BACKGROUND and failed.font().bold()
    assert done.background().color() != FAILED_BACKGROUND
    layout = dialog.layout()
    assert layout.indexOf(dialog.summary_label) < layout.indexOf(dialog.results_table)  # read without scrolling
    assert dialog.summary_label.text().startswith("Done: 3") and dialog.summary_label.isVisible()

    class Opened(QObject):
        urls: list[QUrl] = []

        @Slot(QUrl)
        def show(self, url: QUrl) -> None:
            self.urls.append(url)

    opened = Opened()
    QDesktopServices.setUrlHandler("file", opened, "show")  # the file manager, as Qt lets an app route it
    try:
        qtbot.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in opened.urls] == [out.resolve()]


def test_batch_edge_options_reach_the_mask_settings(dialog: BatchDialog) -> None:
    dialog.edge_spin.setValue(5)
    dialog.shift_spin.setValue(-2)
    mask = dialog.options().mask
    assert mask.edge_px == 5 and mask.shift_px == -2
