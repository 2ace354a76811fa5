"""The autosave loader's cost is bounded in bytes: a small journal of zlib-packed full-mask records (979 KB
held 4 GB of mask and kept the loader 53 s on the GUI thread) is read up to the replay budget, and a restore
keeps no more undo steps than undo does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_photo

from cutout_app.core.editing import journal_format
from cutout_app.core.editing.autosave_journal import AutosaveJournal
from cutout_app.core.editing.mask_edit import MAX_UNDO_STEPS
from cutout_app.core.files.imageio import read_image


def _autosave(tmp_path: Path, shape: tuple[int, int]) -> tuple[Path, Path, AutosaveJournal]:
    photo = write_photo(tmp_path / "photo.png", height=shape[0], width=shape[1])
    data = tmp_path / "data"
    journal = AutosaveJournal.open_for(photo, data)
    journal.start(np.zeros(shape, np.uint8), {})
    return photo, data, journal


def test_a_journal_of_packed_full_masks_is_read_up_to_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_format, "MAX_REPLAY_BYTES", 8 << 20)  # the rule, at a size a test can afford
    shape = (1000, 1000)
    photo, data, journal = _autosave(tmp_path, shape)
    for value in range(1, 41):  # 40 MB of mask in a journal of about 40 KB
        journal.append((0, 0, shape[1], shape[0]), np.full(shape, value, np.uint8))
    journal.close()
    info = AutosaveJournal.find_restorable(photo, data)
    assert info is not None
    recovered = info.recover(read=read_image)
    assert len(recovered.steps) == 8  # 8 MB of records read, the rest left out
    assert recovered.soft is not None and int(recovered.soft[0, 0]) == 8
    assert recovered.damaged and any("more edits than a restore reads" in note for note in recovered.notes)


def test_a_restore_keeps_as_many_undo_steps_as_undo_does(tmp_path: Path) -> None:
    shape = (40, 50)
    photo, data, journal = _autosave(tmp_path, shape)
    for k in range(MAX_UNDO_STEPS + 30):
        journal.append((k % 50, 0, 1, 1), np.full((1, 1), k % 256, np.uint8))
    journal.close()
    recovered = AutosaveJournal.find_restorable(photo, data).recover(read=read_image)
    assert len(recovered.steps) == MAX_UNDO_STEPS and not recovered.damaged
    replayed = recovered.base.copy()
    for step in recovered.steps:
        replayed[step.rect.slices] = step.after
    np.testing.assert_array_equal(replayed, recovered.soft)  # the older edits joined the base
    assert int(recovered.soft[0, (MAX_UNDO_STEPS + 29) % 50]) == (MAX_UNDO_STEPS + 29) % 256
