"""The autosave survives kill -9 and heals itself: damaged files, a lost base image, bad settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.editing.autosave_journal import DAMAGED_DIR, AutosaveJournal
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.files.imageio import Photo

SETTINGS = {"threshold": 0.4, "softness": 0.2, "refine": True}

# The editing session that both the killed child and the test replay: stroke k paints a line of dabs.
SESSION = textwrap.dedent(
    """
    import numpy as np
    from cutout_app.core.editing.mask_edit import EditableMask

    def start_mask():
        soft = np.zeros((120, 160), np.uint8)
        soft[30:90, 40:120] = 200
        return soft

    def stroke(mask, k, dabs=None):
        rng = np.random.default_rng(k)
        mask.begin_stroke()
        points = rng.uniform((5, 5), (155, 115), size=(6, 2))
        for x, y in points[:dabs]:
            mask.stroke_to(float(x), float(y), 5 + k % 4, 0.8, "erase" if k % 3 == 2 else "add")
        if dabs is None:
            mask.end_stroke()
    """
)

# The child: a real process of the editing core. It edits, compacts after stroke 2, and is killed with
# SIGKILL at the point named by KILL_AT: inside stroke 4 (by the test), or at the n-th file operation
# of the compaction that follows stroke 4 (by itself, through an audit hook, just before the call).
CHILD = SESSION + textwrap.dedent(
    """
    import os, signal, sys
    from cutout_app.core.editing.autosave_journal import AutosaveJournal

    photo, data_dir, kill_at = sys.argv[1], sys.argv[2], sys.argv[3]
    journal = AutosaveJournal.open_for(photo, data_dir)
    mask = EditableMask(start_mask(), on_change=journal.record)
    journal.start(mask.soft, {"threshold": 0.4, "softness": 0.2, "refine": True})
    for k in range(4):
        stroke(mask, k)
        if k == 2:
            journal.snapshot(mask.soft)
    print("strokes done", flush=True)
    if kill_at == "stroke":
        stroke(mask, 4, dabs=3)  # half a stroke
        print("mid-stroke", flush=True)
        sys.stdin.read()  # wait for the kill
    else:
        target = int(kill_at)
        seen = []
        def hook(event, args):
            if event in ("os.rename", "os.remove") and "autosave" in str(args[0]):
                seen.append(event)
                if len(seen) == target:
                    os.kill(os.getpid(), signal.SIGKILL)
        sys.addaudithook(hook)
        journal.snapshot(mask.soft)
        print("compaction finished", flush=True)
    """
)

_session: dict = {}
exec(SESSION, _session)


def _expected_after(strokes: int) -> np.ndarray:
    mask = EditableMask(_session["start_mask"]())
    for k in range(strokes):
        _session["stroke"](mask, k)
    return mask.soft.copy()


def _run_child(photo: Path, data_dir: Path, kill_at: str) -> subprocess.CompletedProcess[str] | None:
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-c", CHILD, str(photo), str(data_dir), kill_at]
    if kill_at != "stroke":
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "strokes done"
    assert proc.stdout.readline().strip() == "mid-stroke"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    return None


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("kill_at", ["stroke", "1", "2", "3", "4"])
def test_kill_9_during_a_stroke_or_compaction_restores_the_last_completed_stroke(
    photo_path: Path, tmp_path: Path, kill_at: str
) -> None:
    """Compaction writes base (rename 1), journal (rename 2), meta (rename 3), then removes old files (4)."""
    data_dir = tmp_path / "autosave"
    finished = _run_child(photo_path, data_dir, kill_at)
    if finished is not None:
        assert finished.returncode == -signal.SIGKILL, finished.stderr
        assert "compaction finished" not in finished.stdout

    info = AutosaveJournal.find_restorable(photo_path, data_dir)
    assert info is not None and info.restorable
    recovered = info.recover()
    assert recovered.notes == () and not recovered.damaged
    assert np.array_equal(recovered.soft, _expected_after(4))
    assert recovered.settings == SETTINGS

    # Editing goes on from the restored mask, and a second crash restores that too.
    journal = info.journal()
    mask = EditableMask(recovered.soft, on_change=journal.record)
    _session["stroke"](mask, 7)
    journal.close()
    again, _ = AutosaveJournal.open_for(photo_path, data_dir).restore()
    assert np.array_equal(again, mask.soft)


# --- healing, through the window's autosave glue ----------------------------------------------


@pytest.fixture
def document(qapp):  # noqa: ANN001 - pytest-qt's QApplication
    from cutout_app.gui.document import Document

    return Document(Photo(make_photo(120, 160)), soft=_session["start_mask"]())


def _autosave(document, photo: Path, data_dir: Path, notices: list[str], errors: list[str]):  # noqa: ANN001, ANN202
    from cutout_app.gui.autosave import DocumentAutosave

    return DocumentAutosave(document, photo, data_dir, on_error=errors.append, on_notice=notices.append)


def _edited_autosave(photo: Path, data_dir: Path, strokes: int = 3) -> tuple[AutosaveJournal, np.ndarray]:
    journal = AutosaveJournal.open_for(photo, data_dir)
    mask = EditableMask(_session["start_mask"](), on_change=journal.record)
    journal.start(mask.soft, SETTINGS)
    for k in range(strokes):
        _session["stroke"](mask, k)
    journal.close()
    return journal, mask.soft.copy()


def _stroke_document(document, k: int) -> None:  # noqa: ANN001
    document.begin_stroke(20.0 + 10 * k, 30.0, 6.0, 1.0, "add")
    document.stroke_to(60.0 + 10 * k, 70.0, 6.0, 1.0, "add")
    document.end_stroke()


def test_truncated_base_is_set_aside_with_a_message_and_autosave_starts_afresh(
    document, photo_path: Path, tmp_path: Path  # noqa: ANN001
) -> None:
    journal, _ = _edited_autosave(photo_path, tmp_path)
    (base,) = journal.folder.glob("base.*.png")
    base.write_bytes(base.read_bytes()[: base.stat().st_size // 2])

    notices: list[str] = []
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, notices, errors)
    asked: list[object] = []
    assert autosave.offer_restore(lambda info: asked.append(info) or True) is False
    assert asked == []  # nothing to offer
    assert len(notices) == 1 and "could not be restored" in notices[0] and "damaged" in notices[0]
    (moved,) = (tmp_path / DAMAGED_DIR).iterdir()
    assert moved.name.startswith(journal.folder.name) and (moved / "meta.json").is_file()
    assert str(moved) in notices[0]

    _stroke_document(document, 0)  # autosave is on, in a fresh folder
    assert errors == [] and not autosave.failed
    autosave.close()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable
    soft, _ = info.restore()
    assert np.array_equal(soft, document.soft)


def test_damaged_journal_restores_what_it_can_then_starts_afresh(document, photo_path: Path, tmp_path: Path) -> None:  # noqa: ANN001
    journal, _ = _edited_autosave(photo_path, tmp_path, strokes=3)
    (jfile,) = journal.folder.glob("journal.*.bin")
    data = bytearray(jfile.read_bytes())
    # damage the last record's payload: the first two strokes survive
    data[-5] ^= 0xFF
    jfile.write_bytes(bytes(data))

    notices: list[str] = []
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, notices, errors)
    assert autosave.offer_restore(lambda info: True) is True
    assert np.array_equal(document.soft, _expected_after(2))
    assert len(notices) == 1 and "Some unsaved edits could not be restored" in notices[0]
    assert "journal" in notices[0] and len(list((tmp_path / DAMAGED_DIR).iterdir())) == 1

    _stroke_document(document, 1)
    assert errors == []
    autosave.close()
    soft, _ = AutosaveJournal.find_restorable(photo_path, tmp_path).restore()
    assert np.array_equal(soft, document.soft)


def test_missing_base_is_rewritten_at_the_next_stroke(document, photo_path: Path, tmp_path: Path) -> None:  # noqa: ANN001
    notices: list[str] = []
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, notices, errors)
    _stroke_document(document, 0)
    autosave.flush()  # the first edit's base is written off the window's thread
    (base,) = autosave.journal.folder.glob("base.*.png")
    base.unlink()  # meta.json still there, the window still editing
    _stroke_document(document, 1)
    _stroke_document(document, 2)
    assert errors == []
    autosave.close()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable  # before the fix: the strokes went to a journal without base
    soft, _ = info.restore()
    assert np.array_equal(soft, document.soft)


def test_bad_settings_fall_back_to_defaults_with_a_message(document, photo_path: Path, tmp_path: Path) -> None:  # noqa: ANN001
    journal, edited = _edited_autosave(photo_path, tmp_path)
    meta_path = journal.folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["settings"] = {"threshold": 7.5, "softness": 0.3}
    meta_path.write_text(json.dumps(meta))

    notices: list[str] = []
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, notices, errors)
    assert autosave.offer_restore(lambda info: True) is True  # before the fix: ValueError escaped
    autosave.flush()  # the fresh autosave is written off the window's thread
    assert np.array_equal(document.soft, edited)
    assert document.settings.threshold == 0.5 and document.settings.softness == 0.3
    assert len(notices) == 1 and "threshold 7.5" in notices[0]
    assert len(list((tmp_path / DAMAGED_DIR).iterdir())) == 1  # set aside, as other damage is
    stored = json.loads((autosave.journal.folder / "meta.json").read_text())
    assert stored["settings"]["threshold"] == 0.5  # the restored mask is autosaved afresh, without the bad value
    assert errors == []


def test_meta_with_bad_fields_is_reported_not_raised(photo_path: Path, tmp_path: Path) -> None:
    journal, _ = _edited_autosave(photo_path, tmp_path)
    meta_path = journal.folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["shape"] = ["tall", -3]
    meta_path.write_text(json.dumps(meta))
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and not info.restorable and "shape" in (info.damage or "")
    recovered = info.recover()
    assert recovered.soft is None and recovered.damaged


def _generation_writers(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The threads that write whole autosave generations from now on (the real writes, each one's thread noted)."""
    writers: list[threading.Thread] = []
    real = AutosaveJournal._write_generation

    def observed(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        writers.append(threading.current_thread())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AutosaveJournal, "_write_generation", observed)
    return writers


def test_the_fresh_autosave_of_a_damaged_one_is_written_off_the_restoring_thread(
        document, photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    # Its base is a whole mask (0.1-0.3 s at 24 MP): the window's thread must not wait for it (issue 28).
    journal, edited = _edited_autosave(photo_path, tmp_path)
    meta_path = journal.folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["settings"] = {"threshold": 7.5}  # damage that is restored, then set aside
    meta_path.write_text(json.dumps(meta))
    writers = _generation_writers(monkeypatch)
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, [], errors)
    assert autosave.offer_restore(lambda info: True) is True
    autosave.flush()
    assert len(writers) == 1 and writers[0] is not threading.current_thread()
    # Written whole: the next window restores the same mask, and the next edit journals after it.
    document.begin_stroke(90.0, 20.0, 6.0, 1.0, "add")
    document.end_stroke()
    autosave.close()
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable
    assert np.array_equal(info.recover().soft, document.soft)
    assert errors == []


def test_whole_generations_are_written_off_the_editing_thread(document, photo_path: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    # The first edit's base and each compaction (a 24 MP base: 0.16 s in bench_gui) never stop the window; a
    # record between them is appended at once, after the generation it follows.
    from cutout_app.gui import autosave as glue

    writers = _generation_writers(monkeypatch)
    monkeypatch.setattr(glue, "SNAPSHOT_EVERY", 3)
    errors: list[str] = []
    autosave = _autosave(document, photo_path, tmp_path, [], errors)
    for k in range(6):  # the first edit starts the autosave, the fifth compacts it
        _stroke_document(document, k)
    autosave.close()
    assert len(writers) == 2 and threading.current_thread() not in writers
    info = AutosaveJournal.find_restorable(photo_path, tmp_path)
    assert info is not None and info.restorable
    assert np.array_equal(info.restore()[0], document.soft)
    assert errors == []
