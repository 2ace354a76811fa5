"""A restore gives back the undo and redo history the user had (issue 28, the window's loose ends).

Before: an undone click came back as a step plus its undo, and undo stopped at the automatic mask (a whole-mask
change made a new base) and at the first edit (the base was the mask after it). Core's journal and the real
window, with the tiny two-stage model; a crash is the window's hold on its autosave let go, as a kill leaves it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import open_window
from PySide6.QtCore import Qt

from cutout_app.core.editing import journal_format
from cutout_app.core.editing.autosave_journal import AutosaveJournal, JournalHistory
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.files.imageio import read_image
from cutout_app.core.geometry import Rect
from cutout_app.gui.editor_state import Tool
from cutout_app.gui.prompts import ScriptedPrompter

SHAPE = (120, 160)


def _dab(mask: EditableMask, x: float, y: float, mode: str = "add") -> None:
    mask.dab(x, y, 8, 1.0, mode)
    mask.end_stroke()


def _history(mask: EditableMask) -> tuple[list[tuple[Rect, bytes]], list[tuple[Rect, bytes]]]:
    """The undo and redo steps of ``mask`` as (rect, content after) pairs."""
    return ([(s.rect, s.after().tobytes()) for s in mask.undo_steps()],
            [(s.rect, s.after().tobytes()) for s in mask.redo_steps()])


def _restored(recovered) -> tuple[list[tuple[Rect, bytes]], list[tuple[Rect, bytes]]]:
    return ([(s.rect, s.after.tobytes()) for s in recovered.steps], [(s.rect, s.after.tobytes()) for s in recovered.redo])


def _recover(photo: Path, data_dir: Path):
    info = AutosaveJournal.find_restorable(photo, data_dir)
    assert info is not None
    return info.recover(read=read_image)


def test_an_undone_edit_comes_back_as_redo_not_as_a_step_and_its_undo(photo_path: Path, tmp_path: Path) -> None:
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    mask = EditableMask(np.zeros(SHAPE, np.uint8), on_change=journal.record)
    journal.start(mask.soft, {})
    for x in (30, 70, 110):
        _dab(mask, x, 60)
    mask.undo()
    mask.undo()
    mask.redo()
    live = _history(mask)
    assert [len(side) for side in live] == [2, 1]
    journal.close()
    recovered = _recover(photo_path, tmp_path)
    assert _restored(recovered) == live  # before: five steps, the undos among them, and nothing to redo
    np.testing.assert_array_equal(recovered.soft, mask.soft)
    assert not recovered.base.any()  # undo goes down to the mask as it was before the first edit


def test_a_whole_mask_change_is_a_step_and_a_new_generation_writes_the_history(photo_path: Path,
                                                                                tmp_path: Path) -> None:
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    mask = EditableMask(np.zeros(SHAPE, np.uint8), on_change=journal.record)
    journal.start(mask.soft, {})
    _dab(mask, 30, 30)
    auto = np.zeros(SHAPE, np.uint8)
    auto[20:100, 40:120] = 230
    mask.replace_all(auto)  # the automatic mask: one more step, not a base that undo cannot go below
    _dab(mask, 80, 60, "erase")
    _dab(mask, 140, 100)
    mask.undo()
    live = _history(mask)
    assert [len(side) for side in live] == [3, 1]
    steps = mask.undo_steps()
    guidance = [{"clicks": [], "strokes": [], "step": k} for k in range(len(steps))]
    history = JournalHistory(list(zip(steps, guidance)), [(mask.redo_steps()[0], {"redo": 1})], {"base": True})
    journal.snapshot(mask.soft, {"now": True}, history)  # a compaction keeps it all
    assert (journal.folder / "base.2.png").exists() and journal.records_since_snapshot == 0
    journal.close()
    recovered = _recover(photo_path, tmp_path)
    assert _restored(recovered) == live
    assert not recovered.base.any()
    np.testing.assert_array_equal(recovered.soft, mask.soft)


def test_the_history_a_generation_writes_keeps_to_its_budget_oldest_steps_joining_the_base(
        photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_format, "MAX_REPLAY_BYTES", 2 * 3 * SHAPE[0] * SHAPE[1])  # 3 whole masks of history
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    mask = EditableMask(np.zeros(SHAPE, np.uint8))
    for value in range(1, 6):
        mask.replace_all(np.full(SHAPE, value * 40, np.uint8))
    journal.start(mask.soft, {}, None, JournalHistory([(s, None) for s in mask.undo_steps()]))
    journal.close()
    recovered = _recover(photo_path, tmp_path)
    assert len(recovered.steps) == 3 and int(recovered.base[0, 0]) == 80  # steps 1 and 2 joined the base
    assert int(recovered.soft[0, 0]) == 200 and not recovered.damaged


def test_undo_records_that_follow_no_step_are_restored_as_edits(photo_path: Path, tmp_path: Path) -> None:
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    journal.start(np.zeros(SHAPE, np.uint8), {})
    journal.append(Rect(10, 10, 4, 4), np.full((4, 4), 200, np.uint8))
    journal.append(Rect(50, 50, 4, 4), np.zeros((4, 4), np.uint8), "undo")  # the undo of a step before the base
    journal.append(Rect(10, 10, 4, 4), np.full((4, 4), 90, np.uint8), "undo")  # says 90 where the step found 0
    journal.close()
    recovered = _recover(photo_path, tmp_path)
    assert len(recovered.steps) == 3 and recovered.redo == ()  # every record an edit, in order, as they are
    assert int(recovered.soft[11, 11]) == 90


# --- the window ------------------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(folder))
    return folder


def _states(doc) -> tuple[list[bytes], list[bytes], list[int]]:
    """Every mask undo reaches from here down, every mask redo reaches up, and the number of clicks at each
    state (walked with the document's own undo and redo, and walked back)."""
    down, clicks = [doc.soft.tobytes()], [len(doc.clicks)]
    while doc.mask.can_undo:
        doc.undo()
        down.append(doc.soft.tobytes())
        clicks.append(len(doc.clicks))
    for _ in down[1:]:
        doc.redo()
    up = []
    while doc.mask.can_redo:
        doc.redo()
        up.append(doc.soft.tobytes())
    for _ in up:
        doc.undo()
    return down, up, clicks


def test_the_window_restores_the_undo_and_redo_history_the_user_had(qtbot, tiny_two_stage_path: Path, tmp_path: Path,
                                                                     photo_path: Path, data_dir: Path) -> None:
    first = open_window(qtbot, tiny_two_stage_path, tmp_path)
    assert first.open_path(photo_path)
    first.canvas.fit_to_window()
    with qtbot.waitSignal(first.segmentation_finished, timeout=30000):
        assert first.segment()  # the automatic mask
    doc = first.document
    first.state.set_tool(Tool.CLICK)
    qtbot.mouseClick(first.canvas, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier,
                     first.canvas.grab_point(80.5, 60.5))
    qtbot.waitUntil(lambda: not first.clicks.busy and doc.preview is None, timeout=20000)
    first.state.set(tool=Tool.ADD, brush_size=6, brush_hardness=1.0)
    canvas = first.canvas
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(10.5, 10.5))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas.grab_point(10.5, 10.5))
    first.undo()  # the dab, undone: redo can bring it back
    live = _states(doc)
    assert len(live[0]) == 3 and len(live[1]) == 1 and not np.frombuffer(live[0][-1], np.uint8).any()
    first.autosave.close()  # a crash: the journal stays, the window's hold on it is gone

    second = open_window(qtbot, tiny_two_stage_path, tmp_path, ScriptedPrompter(restore=True))
    assert second.open_path(photo_path)
    restored = second.document
    assert second.status.currentMessage() == "Restored the unsaved edits"  # the status bar says what happened
    assert _states(restored) == live  # the same steps down to the photo as opened, the same redo, the same clicks
    assert second.ui_actions.redo.isEnabled()
    second.redo()
    np.testing.assert_array_equal(restored.soft, np.frombuffer(live[1][0], np.uint8).reshape(restored.soft.shape))
    restored.mark_saved()
    doc.mark_saved()
