"""Crash-safe autosave of mask edits: a base snapshot plus an fsync'd journal of region diffs and clicks.

Each window that edits a photo writes its own autosave folder (a *slot*, held with a lock for the
window's lifetime: :mod:`cutout_app.core.editing.autosave_slots`); the folder's files are described in
:mod:`cutout_app.core.editing.autosave_files` and the journal's bytes in
:mod:`cutout_app.core.editing.journal_format`. Every append is flushed and fsync'd, with the journal
header's record count, so a crash loses at most the record being written, and a journal cut short
later is noticed.

A new generation (``start``/``snapshot``) writes its base and its journal (holding the clicks and
strokes of that moment) first and then switches ``meta.json`` over, so a crash at any moment leaves
one consistent generation on disk. Given the window's undo history (:class:`JournalHistory`), a new
generation's base is the mask before the oldest step undo can take back, and its journal starts with
those steps and the ones redo can bring back, so a restore gives the user the same undo and redo; undo
and redo themselves are journaled as such (``journal_format``'s kinds), and a whole-mask change (Space)
is one more record, never a new base that undo could not go below. A generation's journal holds at most
``journal_format.MAX_REPLAY_BYTES`` of mask content (what a restore reads): :meth:`AutosaveJournal.has_room`
says when the next record needs a new generation first. :meth:`AutosaveJournal.mark_exported` notes in the meta file where
the journal stood when the photo was exported, so that reopening it can tell edits made since.

Finding and restoring autosaves is :mod:`cutout_app.core.editing.autosave_restore`; a damaged autosave
is set aside (:meth:`AutosaveJournal.set_aside` moves it to ``<autosave dir>/damaged/``, it is never
deleted silently) and the journal starts afresh.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Sequence

import cv2
import numpy as np

from cutout_app.core.editing import journal_format
from cutout_app.core.editing.autosave_files import (
    DAMAGED_DIR,
    META_FORMAT,
    META_NAME,
    ExportMark,
    PhotoKey,
    autosave_root,
    base_path,
    clean_settings,
    journal_path,
    read_meta,
)
from cutout_app.core.editing.autosave_restore import RestoreInfo, find_autosaves, held_elsewhere
from cutout_app.core.editing.autosave_slots import LOCK_NAME, SlotLock, is_held, parse_slot, slot_name
from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import MAX_UNDO_STEPS, EditRecord, HistoryStep
from cutout_app.core.errors import CutoutError, ExportError
from cutout_app.core.files.atomic import atomic_write_bytes
from cutout_app.core.files.filelock import remove_stale_files
from cutout_app.core.files.regular import open_regular

#: More windows than this on one photo share the last slot's number range no further.
MAX_SLOTS = 64
#: The journal kind of each kind of :class:`EditRecord` (every other kind is an edit).
_RECORD_KINDS = {"undo": "undo", "redo": "redo"}


@dataclass(frozen=True)
class JournalHistory:
    """The undo history that a new generation writes, so that a restore gives back the same undo and redo.

    ``undo``: the steps undo can take back, oldest first, each with the click tool's guidance after it (a
    JSON-ready object); ``redo``: the steps redo can bring back, the next one first, each with its guidance;
    ``base_guidance``: the guidance before the first undo step. Steps beyond
    :func:`~cutout_app.core.editing.journal_format.history_budget` (the oldest first) join the base.
    """

    undo: Sequence[tuple[HistoryStep, Any]] = ()
    redo: Sequence[tuple[HistoryStep, Any]] = ()
    base_guidance: Any = None

    def within_budget(self) -> tuple[list[tuple[HistoryStep, Any]], list[tuple[HistoryStep, Any]], Any]:
        """The undo steps, the redo steps and the base guidance that fit the history budget and undo's step limit:
        the newest undo steps first, then the next redo steps (a redo step costs twice: it is written as an edit
        and as its undo)."""
        room = journal_format.history_budget()
        undo: list[tuple[HistoryStep, Any]] = []
        base_guidance = self.base_guidance
        for index in range(len(self.undo) - 1, -1, -1):
            area = self.undo[index][0].rect.area
            if area > room or len(undo) == MAX_UNDO_STEPS:
                base_guidance = self.undo[index][1]  # this step and the older ones join the base
                break
            room -= area
            undo.insert(0, self.undo[index])
        redo: list[tuple[HistoryStep, Any]] = []
        for step in self.redo[:MAX_UNDO_STEPS]:
            if 2 * step[0].rect.area > room:
                break
            room -= 2 * step[0].rect.area
            redo.append(step)
        return undo, redo, base_guidance


class AutosaveJournal:
    """The autosave of one window's edits of one photo. Create with :meth:`open_for`, :meth:`open_new` or
    :meth:`RestoreInfo.journal`; independent of Qt.

    Typical use: ``start(soft, settings, guidance)`` at the first edit, ``record(rec)`` from
    :class:`~cutout_app.core.editing.mask_edit.EditableMask`'s listener and ``append_guidance`` when the
    clicks change, ``snapshot(soft, guidance)`` every N records, ``mark_exported()`` after an export,
    ``discard()`` when the user declines a restore or discards the edits, ``close()`` at the end (the
    autosave stays on disk, free for another window to restore). Write failures raise :class:`ExportError`.
    """

    def __init__(self, folder: Path, key: PhotoKey, lock: SlotLock | None) -> None:
        self.folder = folder
        self._key = key
        self._lock = lock
        self._meta: dict[str, Any] | None = None
        self._file: BinaryIO | None = None
        self._count = 0  # records in the current journal file (mask and guidance)
        self._counted = False  # whether the header has a record count to keep up to date
        self.records_since_snapshot = 0
        self._replay_bytes: int | None = None  # mask content in the current journal (None: not read yet)
        meta = read_meta(folder)
        if meta is not None and key.matches(meta):
            self._meta = meta

    # ------------------------------------------------------------------ opening
    @classmethod
    def open_for(cls, photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> AutosaveJournal:
        """The first slot of ``photo_path`` (which must exist) that no other window holds, resumed as it is.

        An autosave there is continued: appends go after its last valid record (a torn tail is cut off first).
        """
        return cls._claim(photo_path, data_dir, empty_only=False)

    @classmethod
    def open_new(cls, photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> AutosaveJournal:
        """A slot of ``photo_path`` that no window holds and that holds no autosave: for a window's fresh edits."""
        return cls._claim(photo_path, data_dir, empty_only=True)

    @classmethod
    def _claim(cls, photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None,
               empty_only: bool) -> AutosaveJournal:
        key = PhotoKey.of(photo_path)
        root = autosave_root(data_dir)
        for number in range(1, MAX_SLOTS + 1):
            folder = root / slot_name(key.digest, number)
            if empty_only and folder.exists() and any(p.name != LOCK_NAME for p in folder.iterdir()):
                continue
            try:
                lock = SlotLock.take(folder)
            except OSError as exc:
                raise ExportError(f"Cannot create the autosave folder '{root}': {exc.strerror or exc}") from exc
            if lock is not None:
                return cls(folder, key, lock)
        raise ExportError(f"Too many windows autosave '{key.path}' at once")

    @classmethod
    def open_slot(cls, folder: Path, photo_path: str | os.PathLike[str]) -> AutosaveJournal:
        """The journal in slot ``folder``, held for this window; CutoutError if another window holds it."""
        try:
            lock = SlotLock.take(folder)
        except OSError as exc:
            raise CutoutError(f"Cannot lock the autosave '{folder}': {exc.strerror or exc}") from exc
        if lock is None:
            raise CutoutError(f"The autosave '{folder}' is in use by another cutout window")
        return cls(folder, PhotoKey.of(photo_path), lock)

    @staticmethod
    def find_all_restorable(photo_path: str | os.PathLike[str],
                            data_dir: str | os.PathLike[str] | None = None) -> list[RestoreInfo]:
        """Every autosave of this exact photo version that no live window holds, newest first."""
        return find_autosaves(photo_path, data_dir)

    @staticmethod
    def find_restorable(photo_path: str | os.PathLike[str],
                        data_dir: str | os.PathLike[str] | None = None) -> RestoreInfo | None:
        """The newest autosave of this exact photo version (same path, size and mtime) that no window holds, or None."""
        found = find_autosaves(photo_path, data_dir)
        return found[0] if found else None

    @staticmethod
    def windows_editing(photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> int:
        """How many windows (this process's included) hold an autosave of this photo version now."""
        return held_elsewhere(photo_path, data_dir)

    # ------------------------------------------------------------------ state
    @property
    def started(self) -> bool:
        """True once a base snapshot exists (after :meth:`start` or when resuming an autosave)."""
        return self._meta is not None

    @property
    def settings(self) -> dict[str, Any]:
        """The view settings stored with the autosave (bad values left out)."""
        return clean_settings((self._meta or {}).get("settings"))[0]

    @property
    def base_missing(self) -> bool:
        """True when the autosave has started but its base image is no longer on disk (then snapshot)."""
        return self._meta is not None and not base_path(self.folder, self._meta["generation"]).is_file()

    @property
    def exported(self) -> ExportMark | None:
        """Where the journal stood at the last export (None: not exported since this autosave began)."""
        return ExportMark.from_meta(self._meta) if self._meta is not None else None

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """Base + journal replayed: ``(soft uint8 H x W, settings)``; raises CutoutError if nothing/damaged."""
        meta = read_meta(self.folder)
        if meta is None or not self._key.matches(meta):
            raise CutoutError(f"No autosave for '{self._key.path}'")
        info = RestoreInfo(Path(self._key.path), self.folder, (int(meta["shape"][0]), int(meta["shape"][1])))
        recovered = info.recover()
        if recovered.soft is None:
            raise CutoutError(f"The autosave in '{self.folder}' cannot be restored: {'; '.join(recovered.notes)}")
        self._meta = meta
        self.records_since_snapshot = len(recovered.steps)
        return recovered.soft, recovered.settings

    def has_room(self, nbytes: int) -> bool:
        """Whether a record of ``nbytes`` of mask content still fits this generation's journal (what a restore reads);
        if not, start a new generation (:meth:`snapshot`) instead of appending it."""
        if self._meta is None:
            return True
        if self._replay_bytes is None:
            self._append_handle()  # reads what the journal holds
        assert self._replay_bytes is not None
        return self._replay_bytes + nbytes <= journal_format.MAX_REPLAY_BYTES

    # ------------------------------------------------------------------ writing
    def start(self, soft: np.ndarray, settings: dict[str, Any] | None = None, guidance: Any = None,
              history: JournalHistory | None = None) -> None:
        """Begin a new autosave of ``soft`` with the given view settings: a base snapshot and a journal holding
        ``history`` (the base is then the mask before its oldest undo step) and ``guidance`` (the clicks now)."""
        old = self._meta or read_meta(self.folder) or {}
        meta = {
            "format": META_FORMAT,
            "source": self._key.path,
            "size": self._key.size,
            "mtime_ns": self._key.mtime_ns,
            "shape": [int(soft.shape[0]), int(soft.shape[1])],
            "settings": dict(settings or {}),
            "created": time.time(),
            "generation": int(old.get("generation", 0)) + 1 if isinstance(old.get("generation"), int) else 1,
        }
        self._write_generation(soft, meta, guidance, history)

    def snapshot(self, soft: np.ndarray, guidance: Any = None, history: JournalHistory | None = None) -> None:
        """Compact: a new generation of ``soft`` (its base, and a journal holding ``history`` and ``guidance``, as
        :meth:`start` writes them); settings, times and the export mark are kept."""
        if self._meta is None:
            raise RuntimeError("snapshot() before start()")
        meta = dict(self._meta)
        meta["shape"] = [int(soft.shape[0]), int(soft.shape[1])]
        meta["generation"] = int(meta["generation"]) + 1
        self._write_generation(soft, meta, guidance, history)

    def update_settings(self, settings: dict[str, Any]) -> None:
        """Store new view settings (threshold, softness...) with the autosave."""
        if self._meta is None:
            raise RuntimeError("update_settings() before start()")
        meta = dict(self._meta, settings=dict(settings))
        self._write_meta(meta)
        self._meta = meta

    def mark_exported(self) -> None:
        """Note that the mask as it now stands was exported: reopening the photo then asks nothing."""
        if self._meta is None:
            return
        self._append_handle()  # counts the records already there
        mark = ExportMark(time.time(), int(self._meta["generation"]), self._count)
        meta = dict(self._meta, exported=mark.to_dict())
        self._write_meta(meta)
        self._meta = meta

    def append(self, rect: Rect | tuple[int, int, int, int], after: np.ndarray, kind: str = "edit") -> None:
        """Append one region diff (``after`` = the mask's new content inside ``rect``) made by an edit, an undo or a
        redo (``kind``), flushed and fsync'd."""
        if self._meta is None:
            raise RuntimeError("append() before start()")
        rect = rect if isinstance(rect, Rect) else Rect(*(int(v) for v in rect))
        h, w = self._meta["shape"]
        if after.dtype != np.uint8 or after.shape != (rect.h, rect.w) or rect.empty or rect.clip(h, w) != rect:
            raise ValueError(f"bad journal record: rect {rect} with {after.dtype} {after.shape} on a {h}x{w} mask")
        self._write_record(journal_format.mask_record(rect, np.ascontiguousarray(after).tobytes(), kind))
        self.records_since_snapshot += 1
        if self._replay_bytes is not None:
            self._replay_bytes += rect.area

    def append_guidance(self, guidance: Any) -> None:
        """Append the click tool's guidance (a JSON-ready object) as it is after the last mask record."""
        if self._meta is None:
            raise RuntimeError("append_guidance() before start()")
        self._write_record(journal_format.guidance_record(guidance))

    def record(self, rec: EditRecord) -> None:
        """Journal an :class:`EditRecord` from the mask's listener, as an edit, an undo or a redo; a whole-mask change
        that no longer fits the journal becomes a new generation (without the history: the window passes it)."""
        if rec.full and not self.has_room(rec.rect.area):
            self.snapshot(rec.after)
        else:
            self.append(rec.rect, rec.after, _RECORD_KINDS.get(rec.kind, "edit"))

    def close(self) -> None:
        """Close the journal and let other windows have it (the autosave stays on disk)."""
        self._close_file()
        if self._lock is not None:
            self._lock.release()

    def discard(self) -> None:
        """Delete this autosave (the user declined to restore it, or discarded the edits); the slot stays held."""
        self._close_file()
        self._meta = None
        self.records_since_snapshot = 0
        for path in self._files():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def set_aside(self) -> Path | None:
        """Move this (damaged) autosave to ``<autosave dir>/damaged/`` and start afresh.

        Returns where it went, or None if there was nothing to move or it could not be moved (then it
        stays, and the next :meth:`start` writes over it).
        """
        self._close_file()
        self._meta = None
        self.records_since_snapshot = 0
        files = self._files()
        if not files:
            return None
        stamp = f"{self.folder.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        target = self.folder.parent / DAMAGED_DIR / stamp
        n = 2
        while target.exists():
            target = target.with_name(f"{stamp}-{n}")
            n += 1
        try:
            target.mkdir(parents=True)
            for path in files:  # file by file: the slot's lock stays where it is
                path.rename(target / path.name)
        except OSError:
            return None
        return target

    def _files(self) -> list[Path]:
        """The autosave's files in its slot folder (all but the slot's lock)."""
        try:
            return [p for p in self.folder.iterdir() if p.name != LOCK_NAME]
        except OSError:
            return []

    # ------------------------------------------------------------------ internals
    def _hold(self) -> None:
        """Make sure this window holds the slot before writing to it."""
        if self._lock is not None and self._lock.held:
            return
        try:
            lock = SlotLock.take(self.folder)
        except OSError as exc:
            raise ExportError(f"Cannot lock the autosave '{self.folder}': {exc.strerror or exc}") from exc
        if lock is None:
            raise ExportError(f"The autosave '{self.folder}' is in use by another cutout window")
        self._lock = lock

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def _append_handle(self) -> BinaryIO:
        if self._file is None:
            assert self._meta is not None
            self._hold()
            gen = self._meta["generation"]
            path = journal_path(self.folder, gen)
            # A regular file, never opened through a link; read no further than the loader would.
            fh = os.fdopen(open_regular(path, os.O_RDWR | os.O_CREAT, 0o600, follow=False), "r+b")
            data = fh.read(journal_format.MAX_JOURNAL_BYTES + 1)
            found = journal_format.scan(data, gen, (int(self._meta["shape"][0]), int(self._meta["shape"][1])))
            if found.problem is not None:  # missing or foreign header: start the journal afresh
                fh.seek(0)
                fh.write(journal_format.header_bytes(gen))
                found = journal_format.Scan(end=journal_format.HEADER.size)
            fh.truncate(found.end)
            fh.seek(found.end)
            self._file = fh
            self._count = len(found.entries)
            self._replay_bytes = sum(entry.rect.area for entry in found.entries if entry.rect is not None)
            self._counted = found.version == journal_format.VERSION
            if self._counted:
                os.pwrite(fh.fileno(), journal_format.COUNT.pack(self._count), journal_format.COUNT_OFFSET)
        return self._file

    def _write_record(self, data: bytes) -> None:
        try:
            fh = self._append_handle()
            fh.write(data)
            fh.flush()
            if self._counted:
                os.pwrite(fh.fileno(), journal_format.COUNT.pack(self._count + 1), journal_format.COUNT_OFFSET)
            os.fsync(fh.fileno())
        except OSError as exc:
            self._close_file()
            raise ExportError(f"Autosave failed in '{self.folder}': {exc.strerror or exc}") from exc
        self._count += 1

    def _write_meta(self, meta: dict[str, Any]) -> None:
        self._hold()
        meta = dict(meta, updated=time.time())
        atomic_write_bytes(self.folder / META_NAME, json.dumps(meta, indent=1).encode("utf-8"))

    def _write_generation(self, soft: np.ndarray, meta: dict[str, Any], guidance: Any,
                          history: JournalHistory | None = None) -> None:
        if soft.dtype != np.uint8 or soft.ndim != 2:
            raise ValueError(f"soft mask must be 2-D uint8, got {soft.dtype} {soft.shape}")
        base, records, replay_bytes = _generation_records(soft, guidance, history)
        self._close_file()
        self._hold()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"Cannot create the autosave folder '{self.folder}': {exc.strerror or exc}") from exc
        gen = meta["generation"]
        ok, png = cv2.imencode(".png", np.ascontiguousarray(base), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise ExportError("Cannot encode the autosave snapshot")
        atomic_write_bytes(base_path(self.folder, gen), png.tobytes())
        atomic_write_bytes(journal_path(self.folder, gen), journal_format.header_bytes(gen, len(records)) + b"".join(records))
        self._write_meta(meta)  # the commit point
        self._meta = dict(meta)
        self.records_since_snapshot = 0
        self._replay_bytes = replay_bytes
        for stale in list(self.folder.glob("base.*.png")) + list(self.folder.glob("journal.*.bin")):
            if stale.name not in (base_path(self.folder, gen).name, journal_path(self.folder, gen).name):
                stale.unlink(missing_ok=True)
        remove_stale_files(self.folder)  # temporary files of a writer that was killed


def _generation_records(soft: np.ndarray, guidance: Any, history: JournalHistory | None
                        ) -> tuple[np.ndarray, list[bytes], int]:
    """A new generation of ``soft``: its base, its journal's records and the mask content they hold.

    Without a history the base is ``soft`` and the journal holds ``guidance`` only. With one, the base is ``soft``
    with the kept undo steps taken back, and the journal holds each undo step (an edit) with its guidance, each
    redo step as an edit and then, last first, as its undo, and ``guidance``."""
    if history is None:
        return soft, ([journal_format.guidance_record(guidance)] if guidance is not None else []), 0
    undo, redo, base_guidance = history.within_budget()
    base = soft.copy()
    for step, _ in reversed(undo):
        base[step.rect.slices] = step.before()
    records: list[bytes] = []
    written = base_guidance
    if base_guidance is not None:
        records.append(journal_format.guidance_record(base_guidance))
    for step, step_guidance in [*undo, *redo]:
        records.append(journal_format.packed_mask_record(step.rect, step.after_zlib()))
        if step_guidance is not None and step_guidance != written:
            records.append(journal_format.guidance_record(step_guidance))
            written = step_guidance
    for step, _ in reversed(redo):
        records.append(journal_format.mask_record(step.rect, np.ascontiguousarray(step.before()).tobytes(), "undo"))
    if guidance is not None:
        records.append(journal_format.guidance_record(guidance))
    replay_bytes = sum(step.rect.area for step, _ in undo) + 2 * sum(step.rect.area for step, _ in redo)
    return base, records, replay_bytes


def cleanup_stale(data_dir: str | os.PathLike[str] | None = None, max_age_days: float = 30.0) -> int:
    """Delete autosaves whose photo is gone or changed, or that are older than ``max_age_days``; returns the count.

    Autosaves that a window holds are left alone.
    """
    root = autosave_root(data_dir)
    removed = 0
    if not root.is_dir():
        return 0
    now = time.time()
    for folder in root.iterdir():
        parsed = parse_slot(folder.name)
        if not folder.is_dir() or parsed is None or is_held(folder) or not folder.exists():
            continue  # (asking whether it is held removes a slot that a window left empty)
        meta = read_meta(folder)
        if meta is None and all(p.name == LOCK_NAME for p in folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)  # a slot a window claimed and left empty: no autosave
            continue
        if meta is None:  # no commit yet, or a lost description: keep it for restore
            try:
                stale = now - folder.stat().st_mtime > max(86400, max_age_days * 86400)
            except OSError:
                continue
        else:
            try:
                key = PhotoKey.of(meta.get("source", ""))
                stale = not key.matches(meta) or key.digest != parsed[0]
            except CutoutError:
                stale = True
            stale = stale or now - _newest(folder) > max_age_days * 86400
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _newest(folder: Path) -> float:
    times = []
    for path in folder.glob("*"):
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=0.0)
