"""AppSettings (QSettings in an INI file), the EditorState it remembers, and the background TaskWorker."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_support import make_settings
from PySide6.QtGui import QColor

from cutout_app.core.errors import ImageReadError
from cutout_app.gui.editor_state import MAX_BRUSH, OPTIONS, EditorState, Tool, ViewMode
from cutout_app.gui.settings import MAX_RECENT
from cutout_app.gui.workers import TaskWorker, WorkerPool


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


def test_editor_state_survives_a_new_settings_object(tmp_path: Path):
    settings = make_settings(tmp_path)
    state = EditorState()
    state.set(overlay_opacity=0.25, overlay_color=QColor("#00ff00"), brush_size=800, view_mode=ViewMode.CUTOUT,
              refine_clicks=False, tool=Tool.ERASE)
    state.save_to(settings)
    settings.set_provider("cpu")
    settings.set_last_open_dir(tmp_path)
    settings.sync()

    again = EditorState.load(make_settings(tmp_path))
    assert again.overlay_opacity == pytest.approx(0.25) and again.overlay_color == QColor("#00ff00")
    assert again.brush_size == 800  # the tool's maximum (1000) is the saved setting's maximum too
    assert (again.view_mode, again.refine_clicks) == (ViewMode.CUTOUT, False)
    assert again.tool is OPTIONS["tool"].default  # the tool is not remembered between runs
    assert make_settings(tmp_path).provider() == "cpu" and make_settings(tmp_path).last_open_dir() == tmp_path


def test_editor_state_clamps_and_ignores_bad_saved_values(tmp_path: Path):
    settings = make_settings(tmp_path)
    settings.store.setValue("brush/size", 5000)
    settings.store.setValue("view/mode", "no-such-mode")
    settings.store.setValue("view/overlay_color", "not a colour")
    state = EditorState.load(settings)
    assert state.brush_size == MAX_BRUSH
    assert state.view_mode is OPTIONS["view_mode"].default and state.overlay_color == OPTIONS["overlay_color"].default

    changes: list[str] = []
    state.changed.connect(changes.append)
    state.set(brush_size=MAX_BRUSH)  # no change: no signal
    state.grow_brush()
    state.set(brush_hardness=2.0, tool=Tool.CLICK)
    assert state.brush_size == MAX_BRUSH and state.brush_hardness == 1.0
    assert changes == ["brush_hardness", "tool"]
    with pytest.raises(KeyError):
        state.set(no_such_option=1)


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
