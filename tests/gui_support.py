"""Helpers for the GUI tests: build the real main window on the tiny test model with throwaway settings."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QMimeData, QSettings
from PySide6.QtWidgets import QApplication

from cutout_app.gui.main_window import MainWindow
from cutout_app.gui.prompts import ScriptedPrompter
from cutout_app.gui.settings import AppSettings


def make_settings(folder: Path) -> AppSettings:
    """QSettings in an INI file under ``folder`` instead of the user's own."""
    return AppSettings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))


def open_window(qtbot, model_path: Path, folder: Path, prompter: ScriptedPrompter | None = None) -> MainWindow:
    """A shown MainWindow; the autosave folder comes from $CUTOUT_DATA_DIR (tests set it to tmp_path)."""
    window = MainWindow(model_path, settings=make_settings(folder), prompter=prompter or ScriptedPrompter())
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    return window


def settle_clicks(qtbot, window, timeout: int = 30000) -> None:
    """Wait until no click work is left in ``window`` (its last signals delivered)."""
    qtbot.waitUntil(lambda: not window.clicks.busy, timeout=timeout)


def applied_stages(window) -> list[str]:
    """A list that collects the stages of the click masks ``window`` shows ("global", "view", "refined")."""
    seen: list[str] = []
    window.clicks.applied.connect(seen.append)
    return seen


def write_photo(path: Path, rgb: np.ndarray) -> Path:
    """Write an RGB array as an image file (format from the suffix)."""
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def two_discs(height: int = 120, width: int = 160) -> np.ndarray:
    """A soft mask with two separate filled discs: left centred at (40, 60), right at (120, 60)."""
    soft = np.zeros((height, width), np.uint8)
    cv2.circle(soft, (40, 60), 20, 255, -1)
    cv2.circle(soft, (120, 60), 20, 255, -1)
    return soft


def offer_clipboard(mime_type: str, data: bytes) -> None:
    """Put ``data`` on the clipboard under ``mime_type`` alone."""
    clip = QMimeData()
    clip.setData(mime_type, data)
    QApplication.clipboard().setMimeData(clip)


def paste_and_wait(qtbot, window: MainWindow, mime_type: str, data: bytes) -> None:
    """Offer ``data`` on the clipboard and paste it in as a photo; the open succeeds."""
    offer_clipboard(mime_type, data)
    with qtbot.waitSignal(window.open_finished, timeout=30000) as blocker:
        assert window.paste_photo()
    assert blocker.args == [True]


def window_on_photo(qtbot, model_path: Path, folder: Path, photo_path: Path, monkeypatch) -> MainWindow:  # noqa: ANN001
    """A window on ``model_path`` with its data (autosaves) under ``folder``, showing the photo at ``photo_path``."""
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder / "data"))
    window = open_window(qtbot, model_path, folder)
    assert window.open_path(photo_path)
    return window
