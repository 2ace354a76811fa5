"""Crash-safe autosave: base snapshot + fsync'd journal, restore after a 'crash', torn tails, stale photos."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cutout_app.core.editing import journal_format
from cutout_app.core.editing.autosave_files import default_autosave_dir
from cutout_app.core.editing.autosave_journal import AutosaveJournal, cleanup_stale
from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.files.imageio import read_image

SETTINGS = {"threshold": 0.4, "softness": 0.2, "refine": True}


def _start_mask() -> np.ndarray:
    soft = np.zeros((120, 160), np.uint8)
    soft[30:90, 40:120] = 255
    return soft


def _edit_session(photo: Path, data_dir: Path) -> tuple[EditableMask, AutosaveJournal]:
    journal = AutosaveJournal.open_for(photo, data_dir)
    mask = EditableMask(_start_mask(), on_change=journal.record)
    journal.start(mask.soft, SETTINGS)
    mask.begin_stroke()
    mask.stroke_to(10, 10, 6)
    mask.stroke_to(150, 100, 6)
    mask.end_stroke()
    mask.dab(60, 60, 15, 0.3, "erase")
    mask.end_stroke()
    assert mask.remove_region_at((100, 40), 0.5) is not None
    mask.undo()
    return mask, journal


def test_restore_after_crash_equals_live_mask(photo_path: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "autosave"
    mask, journal = _edit_session(photo_path, data_dir)
    assert journal.records_since_snapshot == 4
    # "crash": the process dies, its files are closed and the kernel drops its lock; look again from disk
    journal._close_file()
    journal._lock.release()
    info = AutosaveJournal.find_restorable(photo_path, data_dir)
    assert info is not None
    assert info.shape == (120, 160) and info.settings == SETTINGS and info.created > 0
    soft, settings = info.restore()
    assert np.array_equal(soft, mask.soft) and settings == SETTINGS
    soft2, _ = AutosaveJournal.open_for(photo_path, data_dir).restore()
    assert np.array_equal(soft2, mask.soft)


def test_restored_journal_continues(photo_path: Path, tmp_path: Path) -> None:
    mask, journal = _edit_session(photo_path, tmp_path)
    journal.close()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None
    soft, _ = info.restore()
    resumed = info.journal()
    mask2 = EditableMask(soft, on_change=resumed.record)
    mask2.dab(100, 20, 9)
    mask2.end_stroke()
    resumed.close()
    again, _ = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    assert np.array_equal(again, mask2.soft)


def test_torn_or_corrupt_tail_is_ignored(photo_path: Path, tmp_path: Path) -> None:
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    mask = EditableMask(_start_mask(), on_change=journal.record)
    journal.start(mask.soft, SETTINGS)
    for i in range(3):
        mask.dab(20 + 30 * i, 20, 8)
        mask.end_stroke()
    good = mask.soft.copy()
    (jfile,) = tmp_path.glob("*/journal.*.bin")
    size_good = jfile.stat().st_size
    mask.dab(100, 100, 12)
    mask.end_stroke()
    journal.close()
    full = jfile.read_bytes()
    assert len(full) > size_good + 30

    jfile.write_bytes(full[: size_good + (len(full) - size_good) // 2])  # crash mid-write
    soft, _ = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    assert np.array_equal(soft, good)

    broken = bytearray(full)
    broken[-3] ^= 0xFF  # same length, bad CRC
    jfile.write_bytes(bytes(broken))
    soft, _ = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    assert np.array_equal(soft, good)

    # appending after a torn tail cuts the tail first, so the new record is reachable
    jfile.write_bytes(full[: size_good + 10])
    resumed = AutosaveJournal.open_for(photo_path, tmp_path)
    patch = np.full((5, 6), 123, np.uint8)
    resumed.append(Rect(1, 2, 6, 5), patch)
    resumed.close()
    soft, _ = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    expected = good.copy()
    expected[2:7, 1:7] = 123
    assert np.array_equal(soft, expected)


def test_changed_photo_is_not_restorable(photo_path: Path, tmp_path: Path) -> None:
    _, journal = _edit_session(photo_path, tmp_path)
    journal.close()
    assert AutosaveJournal.find_restorable(photo_path, tmp_path) is not None
    st = photo_path.stat()
    os.utime(photo_path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert AutosaveJournal.find_restorable(photo_path, tmp_path) is None
    assert not AutosaveJournal.open_for(photo_path, tmp_path).started
    # the stale autosave is cleaned up
    assert cleanup_stale(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == [photo_path.name]


def test_missing_photo_or_no_autosave(tmp_path: Path, photo_path: Path) -> None:
    assert AutosaveJournal.find_restorable(tmp_path / "nope.jpg", tmp_path) is None
    assert AutosaveJournal.find_restorable(photo_path, tmp_path / "empty") is None
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    with pytest.raises(RuntimeError):
        journal.append(Rect(0, 0, 1, 1), np.zeros((1, 1), np.uint8))


def test_discard_removes_files(photo_path: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "autosave"
    _, journal = _edit_session(photo_path, data_dir)
    assert any(data_dir.iterdir())
    journal.discard()
    assert [p.name for p in journal.folder.iterdir()] == [".lock"]  # the window still holds its (empty) slot
    assert AutosaveJournal.find_restorable(photo_path, data_dir) is None
    journal.close()
    assert list(data_dir.iterdir()) == []  # an empty slot goes when the window lets it go


def test_snapshot_compacts_and_keeps_one_generation(photo_path: Path, tmp_path: Path) -> None:
    mask, journal = _edit_session(photo_path, tmp_path)
    journal.snapshot(mask.soft)
    assert journal.records_since_snapshot == 0
    folder = journal.folder
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "base.2.png", "journal.2.bin", "meta.json"]
    assert (folder / "journal.2.bin").stat().st_size == 24  # header only
    mask.dab(80, 60, 5)
    mask.end_stroke()
    journal.update_settings({"threshold": 0.7})
    journal.close()
    # a crash while writing the next generation (base written, meta not switched) changes nothing
    (folder / "base.3.png").write_bytes(b"half a png")
    soft, settings = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    assert np.array_equal(soft, mask.soft) and settings == {"threshold": 0.7}


def test_replace_all_is_one_more_step_that_a_restore_can_undo(photo_path: Path, tmp_path: Path) -> None:
    mask, journal = _edit_session(photo_path, tmp_path)
    before = mask.soft.copy()
    mask.replace_all(np.full(mask.soft.shape, 200, np.uint8))
    assert journal.records_since_snapshot == 5  # a record, not a new base that undo could not go below
    journal.close()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    recovered = info.recover(read=read_image)
    assert (recovered.soft == 200).all() and recovered.steps[-1].rect == mask.full_rect
    under = recovered.base.copy()
    for step in recovered.steps[:-1]:
        under[step.rect.slices] = step.after
    np.testing.assert_array_equal(under, before)


def test_a_whole_mask_that_no_longer_fits_the_journal_starts_a_generation(photo_path: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_format, "MAX_REPLAY_BYTES", 3 * 120 * 160)
    mask, journal = _edit_session(photo_path, tmp_path)
    for value in (200, 100, 50):
        mask.replace_all(np.full(mask.soft.shape, value, np.uint8))
    assert journal.records_since_snapshot <= 2  # the third whole mask went to a new base
    journal.close()
    soft, _ = AutosaveJournal.open_for(photo_path, tmp_path).restore()
    assert (soft == 50).all()


def test_append_rejects_bad_records(photo_path: Path, tmp_path: Path) -> None:
    journal = AutosaveJournal.open_for(photo_path, tmp_path)
    journal.start(_start_mask(), {})
    with pytest.raises(ValueError):
        journal.append(Rect(150, 0, 20, 2), np.zeros((2, 20), np.uint8))  # past the right edge
    with pytest.raises(ValueError):
        journal.append(Rect(0, 0, 3, 2), np.zeros((3, 2), np.uint8))  # shape mismatch
    journal.close()


def test_default_dir_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    assert default_autosave_dir() == tmp_path / "data" / "autosave"
    monkeypatch.delenv("CUTOUT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and not os.uname().sysname == "Darwin":
        assert default_autosave_dir() == tmp_path / "xdg" / "cutout" / "autosave"


def test_autosave_lives_outside_the_photo_folder(photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "user-data"))
    before = set(photo_path.parent.iterdir())
    journal = AutosaveJournal.open_for(photo_path)
    journal.start(_start_mask(), {})
    assert journal.folder.is_relative_to(tmp_path / "user-data" / "autosave")
    assert set(photo_path.parent.iterdir()) - before == {tmp_path / "user-data"}  # tmp_path is the photo's folder
    assert AutosaveJournal.find_restorable(photo_path) is None  # this window holds it
    journal.close()
    assert AutosaveJournal.find_restorable(photo_path) is not None
