"""Issue 18, items 1-4: no second window, damaged journal, bad setting or crafted base image loses an edit silently.

One test per defect, on the real code: real windows (a second one in this process, two in a child process
killed with SIGKILL), real journals damaged on disk, a real crafted APNG in place of the base image.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import fuzz_support
import numpy as np
import pytest
from gui_support import open_window

from cutout_app.core.edges import MaskSettings
from cutout_app.core.editing import DAMAGED_DIR, AutosaveJournal, EditableMask
from cutout_app.core.editing.journal_format import HEADER, RECORD, scan
from cutout_app.gui.autosave import DocumentAutosave
from cutout_app.gui.editor_state import Tool
from cutout_app.gui.prompts import ScriptedPrompter

HERE = Path(__file__).resolve().parent


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder))
    return folder / "autosave"


def run_child(mode: str, model: Path, photo: Path, out: Path) -> dict[str, np.ndarray]:
    """Run ``tests/gui_child.py`` (real windows, real mouse events) until it kills itself; what it showed."""
    proc = subprocess.run([sys.executable, str(HERE / "gui_child.py"), mode, str(model), str(photo), str(out)],
                          capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert "edited" in proc.stdout
    return dict(np.load(out))


def _stroke(qtbot, window, points) -> None:  # noqa: ANN001
    from PySide6.QtCore import Qt

    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, canvas.grab_point(*point))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(*points[-1]))


# --- 1. two windows on the same photo ---------------------------------------------------------------


def test_a_second_window_journals_apart_and_is_told(qtbot, tiny_model_path, tmp_path, photo_path, data_dir) -> None:
    first = open_window(qtbot, tiny_model_path, tmp_path)
    assert first.open_path(photo_path)
    first.state.set(tool=Tool.ADD, brush_size=10, brush_hardness=1.0)
    _stroke(qtbot, first, [(20.5, 20.5), (60.5, 30.5)])
    prompter = ScriptedPrompter()
    second = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    assert second.open_path(photo_path)
    assert len(prompter.infos) == 1 and "open in another cutout window" in prompter.infos[0][1]
    second.state.set(tool=Tool.ADD, brush_size=10, brush_hardness=1.0)
    _stroke(qtbot, second, [(100.5, 90.5), (140.5, 100.5)])
    a, b = first.autosave.journal, second.autosave.journal
    assert a.folder != b.folder and a.folder.name in b.folder.name  # <digest> and <digest>-2
    journal_a = next(a.folder.glob("journal.*.bin")).read_bytes()
    second.document.replace_mask(np.full((120, 160), 90, np.uint8))  # a segmentation: the second window compacts
    assert next(a.folder.glob("journal.*.bin")).read_bytes() == journal_a  # ...and never touches the first's files
    assert AutosaveJournal.find_all_restorable(photo_path) == []  # both live: nothing to offer, nothing to delete
    for window in (first, second):
        window.document.mark_saved()
        window.close()


def test_after_a_crash_of_two_windows_each_autosave_is_offered(qtbot, tiny_model_path, tmp_path, photo_path, data_dir):
    shown = run_child("two-windows", tiny_model_path, photo_path, tmp_path / "shown.npz")
    assert int(shown["notices"]) == 1  # the second window was told that the photo was open in the first
    assert not np.array_equal(shown["first"], shown["second"])
    assert len(AutosaveJournal.find_all_restorable(photo_path)) == 2

    restored = []
    for _ in range(2):  # a window each, while the other stays open: both sets of strokes come back
        prompter = ScriptedPrompter(restore=True)
        window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
        assert window.open_path(photo_path)
        assert prompter.questions and prompter.questions[0].startswith("restore:")
        restored.append(window.document.soft.copy())
    assert {restored[0].tobytes(), restored[1].tobytes()} == {shown["first"].tobytes(), shown["second"].tobytes()}


def test_declining_in_one_window_deletes_only_what_it_declined(qtbot, tiny_model_path, tmp_path, photo_path, data_dir):
    run_child("two-windows", tiny_model_path, photo_path, tmp_path / "shown.npz")
    holder = AutosaveJournal.find_all_restorable(photo_path)[1].journal()  # a live window holds the older one
    prompter = ScriptedPrompter(restore=False)
    window = open_window(qtbot, tiny_model_path, tmp_path, prompter)
    assert window.open_path(photo_path)
    assert len(prompter.questions) == 1  # the held one is not offered...
    assert holder.started and next(holder.folder.glob("journal.*.bin")).exists()  # ...nor deleted
    holder.close()
    assert len(AutosaveJournal.find_all_restorable(photo_path)) == 1


# --- 2. journal problems are reported ---------------------------------------------------------------


def _autosave_with_strokes(photo: Path, root: Path, strokes: int = 3) -> tuple[AutosaveJournal, np.ndarray, np.ndarray]:
    journal = AutosaveJournal.open_for(photo, root)
    mask = EditableMask(np.zeros((120, 160), np.uint8), on_change=journal.record)
    journal.start(mask.soft, {"threshold": 0.5})
    base = mask.soft.copy()
    for k in range(strokes):
        mask.dab(20 + 40 * k, 60, 8, 1.0, "add")
        mask.end_stroke()
    journal.close()
    return journal, base, mask.soft.copy()


def _damage_journal(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "short":
        path.write_bytes(data[:10])
    elif how == "boundary":  # cut exactly after the first record: every byte left is sound
        first = HEADER.size + RECORD.size + RECORD.unpack_from(data, HEADER.size)[5]
        assert len(scan(data[:first], 1, (120, 160)).entries) == 1
        path.write_bytes(data[:first])
    elif how == "deleted":
        path.unlink()


@pytest.mark.parametrize("how", ["empty", "short", "boundary", "deleted"])
def test_a_damaged_journal_is_reported_by_the_restore(photo_path: Path, tmp_path: Path, how: str) -> None:
    journal, base, edited = _autosave_with_strokes(photo_path, tmp_path)
    _damage_journal(next(journal.folder.glob("journal.*.bin")), how)
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable
    recovered = info.recover()
    assert recovered.soft is not None and not np.array_equal(recovered.soft, edited)
    assert recovered.notes, "before the fix: the base came back and nothing said that strokes were lost"
    assert recovered.damaged
    text = " ".join(recovered.notes)
    assert ("lost" in text or "missing" in text) and "journal" in text


def test_a_deleted_description_file_still_offers_base_and_journal(qtbot, tmp_path, photo_path) -> None:
    from cutout_app.core.files import Photo
    from cutout_app.gui.document import Document

    journal, _, edited = _autosave_with_strokes(photo_path, tmp_path)
    (journal.folder / "meta.json").unlink()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable  # before the fix: nothing was offered
    document = Document(Photo(np.zeros((120, 160, 3), np.uint8), photo_path))
    notices: list[str] = []
    autosave = DocumentAutosave(document, photo_path, tmp_path, on_notice=notices.append)
    assert autosave.offer_restore(lambda info: True)
    np.testing.assert_array_equal(document.soft, edited)
    assert len(notices) == 1 and "description file was missing" in notices[0]
    autosave.close()


# --- 3. bad settings values in meta.json ------------------------------------------------------------


@pytest.mark.parametrize("value", [None, [0.5], {"a": 1}, 10**400, "0.5", True])
def test_bad_settings_in_meta_heal_with_a_notice_and_a_fresh_autosave(qtbot, tmp_path, photo_path, value) -> None:
    from cutout_app.core.files import Photo
    from cutout_app.gui.document import Document

    journal, _, edited = _autosave_with_strokes(photo_path, tmp_path)
    meta_path = journal.folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["settings"] = {"threshold": value, "softness": value, "edge_px": 3}
    meta_path.write_text(json.dumps(meta))
    document = Document(Photo(np.zeros((120, 160, 3), np.uint8), photo_path))
    notices: list[str] = []
    errors: list[str] = []
    autosave = DocumentAutosave(document, photo_path, tmp_path, on_error=errors.append, on_notice=notices.append)
    assert autosave.offer_restore(lambda info: True)  # before the fix: TypeError or OverflowError on every reopen
    autosave.flush()  # the fresh autosave is written off the window's thread
    np.testing.assert_array_equal(document.soft, edited)
    defaults = MaskSettings()
    assert (document.settings.threshold, document.settings.softness) == (defaults.threshold, defaults.softness)
    assert document.settings.edge_px == 3
    assert len(notices) == 1 and "threshold" in notices[0] and "softness" in notices[0]
    assert len(list((tmp_path / DAMAGED_DIR).iterdir())) == 1  # set aside
    assert json.loads((autosave.journal.folder / "meta.json").read_text())["settings"]["threshold"] == 0.5
    assert errors == []
    autosave.close()


# --- 4. the base image is decoded like any photo --------------------------------------------------


@pytest.mark.parametrize("name", sorted(fuzz_support.apng_crashers()))
def test_a_crafted_apng_in_place_of_the_base_never_reaches_the_window(tmp_path: Path, photo_path: Path, name: str) -> None:
    journal, _, _ = _autosave_with_strokes(photo_path, tmp_path)
    (base,) = journal.folder.glob("base.*.png")
    base.write_bytes(fuzz_support.apng_crashers()[name])  # decoded in this process, OpenCV's APNG code crashes it
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None
    recovered = info.recover()  # this test process is still alive: the base was decoded in the decoder's child
    assert recovered.soft is None and recovered.damaged
    assert "autosaved mask" in recovered.notes[0]
