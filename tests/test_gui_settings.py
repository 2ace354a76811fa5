"""AppSettings (QSettings in an INI file) and the background TaskWorker."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from cutout_app.core.errors import ImageReadError
from cutout_app.gui.settings import MAX_RECENT
from cutout_app.gui.workers import TaskWorker, WorkerPool
from gui_support import make_settings


def test_recent_files_are_deduplicated_and_capped(tmp_path: Path):
    settings = make_settings(tmp_path)
    for i in range(MAX_RECENT + 3):
        settings.add_recent_file(tmp_path / f"{i}.jpg")
    settings.add_recent_file(tmp_path / "5.jpg")
    files = settings.recent_files()
    assert len(files) == MAX_RECENT
    assert files[0] == (tmp_path / "5.jpg").resolve() and files.count(files[0]) == 1
    settings.remove_recent_file(tmp_path / "5.jpg")
    assert (tmp_path / "5.jpg").resolve() not in settings.recent_files()


def test_view_options_survive_a_new_settings_object(tmp_path: Path):
    settings = make_settings(tmp_path)
    settings.set_overlay_opacity(0.25)
    settings.set_overlay_color(QColor("#00ff00"))
    settings.set_brush_size(42)
    settings.set_view_mode("cutout")
    settings.set_last_open_dir(tmp_path)
    settings.sync()
    again = make_settings(tmp_path)
    assert again.overlay_opacity() == pytest.approx(0.25)
    assert again.overlay_color() == QColor("#00ff00")
    assert (again.brush_size(), again.view_mode(), again.last_open_dir()) == (42, "cutout", tmp_path)


def test_worker_reports_progress_result_and_errors(qtbot):
    pool = WorkerPool()
    progress: list[tuple[int, int]] = []

    def task(report, cancel):
        for i in range(3):
            report(i + 1, 3)
        return "result"

    worker = TaskWorker(task)
    worker.signals.progress.connect(lambda d, t: progress.append((d, t)))
    with qtbot.waitSignal(worker.signals.succeeded, timeout=5000) as blocker:
        pool.start(worker)
    assert blocker.args == ["result"] and progress == [(1, 3), (2, 3), (3, 3)]

    def failing(report, cancel):
        raise ImageReadError("x.jpg", "broken")

    bad = TaskWorker(failing)
    with qtbot.waitSignal(bad.signals.failed, timeout=5000) as blocker:
        pool.start(bad)
    assert isinstance(blocker.args[0], ImageReadError)


def test_worker_cancel_emits_cancelled(qtbot):
    def slow(report, cancel):
        while True:
            cancel.raise_if_cancelled()
            report(0, 1)

    worker = TaskWorker(slow)
    worker.signals.progress.connect(lambda d, t: worker.cancel())
    with qtbot.waitSignal(worker.signals.cancelled, timeout=5000):
        WorkerPool().start(worker)
    qtbot.waitUntil(lambda: worker.done, timeout=5000)
