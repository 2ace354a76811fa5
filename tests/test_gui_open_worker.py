"""The window never waits on a decoder: every way of opening a photo reads it in a worker, through the decoder
child, and the event loop keeps running (timer ticks are counted) until it is open, refused or cancelled."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import cv2
import decoder_faults
import numpy as np
import pytest
from gui_support import offer_clipboard, open_window, paste_and_wait, write_photo
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cutout_app.gui.prompts import ScriptedPrompter

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, signals and /proc")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _photo(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    return write_photo(path, rng.integers(0, 255, (60, 80, 3), dtype=np.uint8))


def _decoder_children() -> list[int]:
    """This process's live decoder children (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"safe_decode" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_a_decode_that_never_ends_leaves_the_window_responsive_and_cancel_stops_it(
        qtbot, tiny_model_path, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    decoder_faults.inject(monkeypatch, tmp_path, "never-ends", "SIGSTOP")  # the decoder stops at this file for good
    slow = _photo(tmp_path / "never-ends.png")
    window = open_window(qtbot, tiny_model_path, tmp_path)
    ticks = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    window.start_open(slow)
    qtbot.waitUntil(lambda: bool(_decoder_children()), timeout=30000)
    ticks.clear()
    qtbot.wait(1000)
    assert len(ticks) >= 5  # the event loop ran while the decoder was stuck (none if the GUI thread waited)
    assert window.status.cancel_button.isVisible()
    with qtbot.waitSignal(window.open_finished, timeout=30000) as blocker:
        qtbot.mouseClick(window.status.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False] and window.document is None
    qtbot.waitUntil(lambda: not _decoder_children(), timeout=30000)  # the stuck decoder was killed
    assert window.open_path(_photo(tmp_path / "fine.png", 1))  # and the next photo opens


def test_a_fifo_is_refused_at_once_and_the_open_photo_stays(qtbot, tiny_model_path, tmp_path) -> None:  # noqa: ANN001
    prompter = ScriptedPrompter()
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    assert window.open_path(_photo(tmp_path / "photo.png"))
    opened = window.document
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)  # nobody writes: reading it would block for ever
    assert not window.open_path(fifo)
    assert window.document is opened and "FIFO" in prompter.errors[-1][1]


def test_a_drop_is_read_in_the_background(qtbot, tiny_model_path, tmp_path) -> None:  # noqa: ANN001
    window = open_window(qtbot, tiny_model_path, tmp_path)
    photo = _photo(tmp_path / "dropped.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(window, QDragEnterEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, buttons, keys))
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, buttons, keys)
    started: list[str] = []
    start = window.workers.start
    window.workers.start = lambda worker: (started.append(worker.name), start(worker))[1]
    with qtbot.waitSignal(window.open_finished, timeout=30000) as blocker:
        QApplication.sendEvent(window, event)
    assert blocker.args == [True] and window.document.photo.path == photo
    assert started == ["open"]  # the photo was read by a worker


def test_clipboard_data_is_only_ever_decoded_by_the_child(qtbot, tiny_model_path, tmp_path) -> None:  # noqa: ANN001
    """An SVG offered as image/bmp is no photo (Qt decoded it in the window for 24 s before); a real BMP
    offered under any name is opened through the decoder child."""
    window = open_window(qtbot, tiny_model_path, tmp_path)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="60000" height="60000"><rect width="60000" height="60000"/></svg>'
    offer_clipboard("image/bmp", svg)
    assert not window.paste_photo()
    assert window.document is None and window.open_worker is None
    assert "no photo" in window.status.currentMessage()

    rgb = np.ascontiguousarray(np.random.default_rng(3).integers(0, 255, (40, 50, 3), dtype=np.uint8))
    ok, bmp = cv2.imencode(".bmp", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    paste_and_wait(qtbot, window, "image/x-anything", bmp.tobytes())
    np.testing.assert_array_equal(window.document.rgb, rgb)
    assert window.document.photo.path.suffix == ".bmp"
    QApplication.clipboard().clear()
