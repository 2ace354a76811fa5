"""A real window in a child process that edits a photo with real mouse events and is then killed with SIGKILL.

Run by the crash tests (``python tests/gui_child.py MODE MODEL PHOTO OUT``) with ``CUTOUT_DATA_DIR`` set:

- ``clicks``: one window; a keep click at A, an erase stroke across A, an add dab at (140, 100);
- ``two-windows``: two windows on the same photo, each paints its own stroke.

Before the kill it writes what each window shows to ``OUT`` (``.npz``: masks, clicks, stroke counts), so
the test can compare the restore with what the user saw.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

A = (80.5, 60.5)


def _wait(app: QApplication, done, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()


def _window(model: Path, folder: Path, name: str):
    from cutout_app.gui.main_window import MainWindow
    from cutout_app.gui.prompts import ScriptedPrompter
    from cutout_app.gui.settings import AppSettings

    settings = AppSettings(QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat))
    window = MainWindow(model, settings=settings, prompter=ScriptedPrompter(restore=False))
    window.resize(900, 600)
    window.show()
    return window


def _stroke(window, points: list[tuple[float, float]]) -> None:
    canvas = window.canvas
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, canvas.grab_point(*points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, canvas.grab_point(*point))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, canvas.grab_point(*points[-1]))


def main() -> None:
    from cutout_app.gui.editor_state import Tool

    mode, model, photo, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    app = QApplication([])
    shown: dict[str, np.ndarray] = {}
    if mode == "clicks":
        window = _window(model, out.parent, "clicks")
        assert window.open_path(photo)
        window.canvas.fit_to_window()
        canvas = window.canvas
        QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, canvas.grab_point(*A))
        _wait(app, lambda: not window.clicks.busy and window.document.preview is None)
        window.state.set(tool=Tool.ERASE, brush_size=4, brush_hardness=1.0)
        _stroke(window, [(70.5, 60.5), (90.5, 60.5)])
        window.state.set(tool=Tool.ADD, brush_size=6)
        _stroke(window, [(140.5, 100.5)])
        doc = window.document
        shown = {"soft": doc.soft.copy(), "clicks": np.array([[c.x, c.y, c.positive] for c in doc.clicks]),
                 "strokes": np.array(len(doc.guidance.strokes))}
    else:
        first, second = _window(model, out.parent, "first"), _window(model, out.parent, "second")
        for window, points in ((first, [(20.5, 20.5), (60.5, 30.5)]), (second, [(100.5, 90.5), (140.5, 100.5)])):
            assert window.open_path(photo)  # the second one opens the photo while the first is editing it
            window.canvas.fit_to_window()
            window.state.set(tool=Tool.ADD, brush_size=8, brush_hardness=1.0)
            _stroke(window, points)
        shown = {"first": first.document.soft.copy(), "second": second.document.soft.copy(),
                 "notices": np.array(len(second.prompter.infos))}
    _wait(app, lambda: False, 0.2)
    np.savez(out, **shown)
    print("edited", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # a crash: no close, no clean-up, the journals left as they are


if __name__ == "__main__":
    main()
