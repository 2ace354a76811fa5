"""Finding a photo's autosaves and restoring them: the mask, its edits one by one, the clicks and strokes.

:func:`find_autosaves` lists the autosaves of a photo version that no live window holds (one per window
that edited it: :mod:`cutout_app.core.editing.autosave_slots`), newest first, each as a
:class:`RestoreInfo`. :meth:`RestoreInfo.recover` never raises for damaged files: it restores what can
be restored and says in :attr:`Recovered.notes` what could not, including edits that went missing
without leaving a trace in what remains (a journal cut at a record boundary, emptied or deleted, a lost
description file). The restored history is the one the user had: :attr:`Recovered.steps` lets undo step back
through the restored edits down to the base image, each with the clicks and strokes it had, and
:attr:`Recovered.redo` holds what the user had undone, for redo (a journal of undo and redo records is
replayed as undo and redo; one whose undo records do not follow its edits is restored as plain edits).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cutout_app.core.editing import journal_format
from cutout_app.core.editing.autosave_files import (
    ExportMark,
    ImageReader,
    Note,
    PhotoKey,
    autosave_root,
    base_problem,
    clean_settings,
    generations_on_disk,
    inspect_meta,
    read_base,
    read_journal,
)
from cutout_app.core.editing.mask_edit import MAX_UNDO_STEPS, EditableMask
from cutout_app.core.editing.autosave_slots import is_held, slot_folders
from cutout_app.core.geometry import Rect
from cutout_app.core.editing.guidance_codec import guidance_from_json
from cutout_app.core.errors import CutoutError
from cutout_app.core.files.safe_decode import read_image_protected
from cutout_app.core.inference import Guidance
from cutout_app.core.wording import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from cutout_app.core.editing.autosave_journal import AutosaveJournal

_DAMAGED = QT_TRANSLATE_NOOP("cutout", "the autosave is damaged: {problem}")
_GONE = QT_TRANSLATE_NOOP("cutout", "the autosave is gone")
_NO_META = QT_TRANSLATE_NOOP("cutout", "its description file was missing, so the view settings are the defaults")
_BASE = QT_TRANSLATE_NOOP("cutout", "the autosaved mask {problem}")
_NO_JOURNAL = QT_TRANSLATE_NOOP("cutout", "the journal of edits is missing: edits made after {time} are lost")
_BAD_JOURNAL = QT_TRANSLATE_NOOP("cutout", "the journal of edits is {state}: edits made after {time} are lost")
_TORN = QT_TRANSLATE_NOOP("cutout", "the last edits could not be read ({count} bytes of the journal are damaged or cut short)")
_MISSING = QT_TRANSLATE_NOOP("cutout", "the last {count} edit(s) are missing: the journal was cut short")
_BAD_CLICKS = QT_TRANSLATE_NOOP("cutout", "the saved clicks and strokes could not be read ({reason}); the mask is restored without them")
_OVER_BUDGET = QT_TRANSLATE_NOOP(
    "cutout", "the journal holds more edits than a restore reads ({size} MB of mask): the later edits are left out")
_JOURNAL_STATES = {"empty": "empty", "short": "cut short", "foreign": "not this autosave's"}


@dataclass(frozen=True)
class RestoredStep:
    """One restored edit: the mask's new content ``after`` inside ``rect``, and the guidance after it."""

    rect: Rect
    after: np.ndarray
    guidance: Guidance


@dataclass(frozen=True)
class Recovered:
    """What :meth:`RestoreInfo.recover` could restore.

    ``soft`` is the mask (None: nothing could be restored), ``settings`` the view settings without bad
    values, ``notes`` says in words what was lost or replaced, and ``damaged`` whether the autosave's
    files are damaged (then set it aside and start afresh). ``base`` and ``steps`` are the same mask as
    a history: the base image, then each edit undo can take back; ``base_guidance`` and ``guidance`` the
    clicks and strokes at the base and at the end. ``redo`` are the steps the user had undone, the next to
    redo first: applied in order on ``soft`` they give the mask as it was before those undos.
    """

    soft: np.ndarray | None
    settings: dict[str, Any]
    notes: tuple[Note, ...] = ()
    damaged: bool = False
    base: np.ndarray | None = None
    steps: tuple[RestoredStep, ...] = ()
    base_guidance: Guidance = field(default_factory=Guidance)
    guidance: Guidance = field(default_factory=Guidance)
    redo: tuple[RestoredStep, ...] = ()
    #: The history as an editable mask, built beforehand (:meth:`with_mask`), or None.
    mask: EditableMask | None = field(default=None, compare=False, repr=False)

    def editable(self) -> EditableMask | None:
        """The restored mask with its undo and redo history (None: nothing restored); see :meth:`with_mask`."""
        if self.mask is not None:
            return self.mask
        if self.base is None:
            return None
        return EditableMask.from_history(self.base, [(s.rect, s.after) for s in self.steps],
                                         [(s.rect, s.after) for s in self.redo])

    def with_mask(self) -> Recovered:
        """This result with its editable mask built now: what the window's loader does on its worker thread, so that
        the window only takes the mask (building the history of a 24 MP automatic mask took 0.4 s)."""
        return replace(self, mask=self.editable())


@dataclass(frozen=True)
class RestoreInfo:
    """An autosave found for a photo: what the window shows when offering to restore it.

    ``damage`` says why nothing can be restored (the meta file is broken); such an autosave should not
    be offered, only set aside with a message. ``notes`` lists what is known to be lost before
    restoring. ``exported`` is when the photo was last exported from this autosave (None: never), and
    ``edits_since_export`` whether the mask was edited after that.
    """

    photo_path: Path
    folder: Path
    shape: tuple[int, int]
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    data_dir: Path | None = None
    damage: Note | None = None
    notes: tuple[Note, ...] = ()
    exported: float | None = None
    edits_since_export: bool = True

    @property
    def restorable(self) -> bool:
        """True unless the autosave is known to be beyond restoring."""
        return self.damage is None

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """The autosaved soft mask (uint8 H x W) and view settings; raises CutoutError if damaged."""
        recovered = self.recover()
        if recovered.soft is None:
            raise CutoutError(f"The autosave in '{self.folder}' cannot be restored: {'; '.join(recovered.notes)}")
        return recovered.soft, recovered.settings

    def recover(self, read: ImageReader = read_image_protected) -> Recovered:
        """Restore what can be restored, never raising for damaged files: see :class:`Recovered`.

        ``read`` decodes the base image (see :func:`~cutout_app.core.editing.autosave_files.read_base`).
        """
        if self.damage is not None:
            return Recovered(None, {}, (self.damage,), damaged=True)
        meta, problem = inspect_meta(self.folder)
        if problem is not None:
            return Recovered(None, {}, (Note(_DAMAGED, problem=problem),), damaged=True)
        notes: list[Note] = []
        if meta is None:
            gens = generations_on_disk(self.folder)
            if not gens:
                return Recovered(None, {}, (Note(_GONE),), damaged=False)
            gen, shape, settings, damaged = gens[0], None, {}, True
            notes.append(Note(_NO_META))
        else:
            gen, shape = meta["generation"], (int(meta["shape"][0]), int(meta["shape"][1]))
            settings, bad = clean_settings(meta.get("settings"))
            notes.extend(bad)
            damaged = bool(bad)
        try:
            base = read_base(self.folder, gen, shape, read)
        except CutoutError as exc:
            return Recovered(None, settings, (Note(_BASE, problem=str(exc)), *notes), damaged=True)
        history, lost = _replay(self.folder, gen, base, self.updated)
        steps, base_guidance = history.undo, history.base_guidance
        if len(steps) > MAX_UNDO_STEPS:  # undo keeps no more steps than this: the older edits join the base
            for step in steps[:-MAX_UNDO_STEPS]:
                base[step.rect.slices] = step.after
            base_guidance = steps[-MAX_UNDO_STEPS - 1].guidance
            steps = steps[-MAX_UNDO_STEPS:]
        soft = base.copy()
        for step in steps:
            soft[step.rect.slices] = step.after
        redo = tuple(reversed(history.redo[-MAX_UNDO_STEPS:]))
        return Recovered(soft, settings, (*lost, *notes), damaged or bool(lost), base, tuple(steps), base_guidance,
                         history.guidance, redo)

    def journal(self) -> AutosaveJournal:
        """This autosave's journal, held for this window, to continue after restoring (or to discard it).

        Raises CutoutError when another window holds it by now.
        """
        from cutout_app.core.editing.autosave_journal import AutosaveJournal

        return AutosaveJournal.open_slot(self.folder, self.photo_path)


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds > 0 else "?"


@dataclass
class _History:
    """An undo history as a journal is replayed: the undo stack on the base (oldest first), the redo stack (the next
    to redo last), the guidance at the base and now."""

    undo: list[RestoredStep] = field(default_factory=list)
    redo: list[RestoredStep] = field(default_factory=list)
    base_guidance: Guidance = field(default_factory=Guidance)
    guidance: Guidance = field(default_factory=Guidance)

    def edit(self, rect: Rect, after: np.ndarray) -> None:
        self.undo.append(RestoredStep(rect, after, self.guidance))
        self.redo.clear()

    def undo_step(self, rect: Rect) -> bool:
        """Take back the last step if it is at ``rect``; False (nothing changed) if there is none there."""
        if not self.undo or self.undo[-1].rect != rect:
            return False
        self.redo.append(self.undo.pop())
        self.guidance = self.undo[-1].guidance if self.undo else self.base_guidance
        return True

    def redo_step(self, rect: Rect, after: np.ndarray) -> bool:
        """Bring back the next undone step if it is this one; False (nothing changed) if it is not."""
        if not self.redo or self.redo[-1].rect != rect or not np.array_equal(self.redo[-1].after, after):
            return False
        self.undo.append(self.redo.pop())
        self.guidance = self.undo[-1].guidance
        return True

    def set_guidance(self, guidance: Guidance) -> None:
        self.guidance = guidance
        if self.undo:
            self.undo[-1] = RestoredStep(self.undo[-1].rect, self.undo[-1].after, guidance)
        else:
            self.base_guidance = guidance

    def applied(self, base: np.ndarray) -> np.ndarray:
        """``base`` with the undo stack's steps applied: the mask this history stands at."""
        soft = base.copy()
        for step in self.undo:
            soft[step.rect.slices] = step.after
        return soft


def _replay(folder: Path, gen: int, base: np.ndarray, updated: float) -> tuple[_History, list[Note]]:
    """The journal of ``gen`` as an undo history on ``base``, and what was lost.

    Undo and redo records are replayed as undo and redo where they follow the edits before them; one that does not
    (its step is older than the base, or the journal was not written by this rule) is one more edit. If what the
    history stands at is not what the journal's records leave, every record is an edit, in order, as they are."""
    height, width = base.shape
    try:
        data = read_journal(folder, gen)
    except OSError:
        when = _when(os.path.getmtime(folder / f"base.{gen}.png")) if (folder / f"base.{gen}.png").exists() else "?"
        return _History(), [Note(_NO_JOURNAL, time=when)]
    scan = journal_format.scan(data, gen, (height, width))
    lost: list[Note] = []
    if scan.problem is not None:
        lost.append(Note(_BAD_JOURNAL, state=_JOURNAL_STATES[scan.problem], time=_when(updated)))
    elif scan.over_budget:
        lost.append(Note(_OVER_BUDGET, size=journal_format.MAX_REPLAY_BYTES >> 20))
    elif scan.left:
        lost.append(Note(_TORN, count=scan.left))
    if scan.missing:
        lost.append(Note(_MISSING, count=scan.missing))
    history, flat = _History(), _History()  # as undo and redo; every record an edit
    last = base.copy()  # what the records leave
    for entry in scan.entries:
        if entry.is_mask:
            assert entry.rect is not None and entry.after is not None
            after = np.frombuffer(entry.after, np.uint8).reshape(entry.rect.h, entry.rect.w)
            last[entry.rect.slices] = after
            flat.edit(entry.rect, after)
            if entry.kind == "undo" and history.undo_step(entry.rect):
                continue
            if entry.kind == "redo" and history.redo_step(entry.rect, after):
                continue
            history.edit(entry.rect, after)
            continue
        try:
            guidance = guidance_from_json(entry.guidance, height, width)
        except ValueError as exc:
            lost.append(Note(_BAD_CLICKS, reason=str(exc)))
            break
        history.set_guidance(guidance)
        flat.set_guidance(guidance)
    if not np.array_equal(history.applied(base), last):
        return flat, lost
    return history, lost


def describe(folder: Path, key: PhotoKey, data_dir: Path | None) -> RestoreInfo | None:
    """What slot ``folder`` holds for the photo version ``key``, without decoding anything; None if nothing."""
    meta, problem = inspect_meta(folder)
    common: dict[str, Any] = {"photo_path": Path(key.path), "folder": folder, "data_dir": data_dir}
    if problem is not None:  # the folder is named after this very photo version, so it was its autosave
        return RestoreInfo(shape=(0, 0), damage=Note(_DAMAGED, problem=problem), updated=_mtime(folder), **common)
    if meta is None:
        gens = generations_on_disk(folder)
        if not gens:
            return None
        problem = base_problem(folder, gens[0])
        return RestoreInfo(shape=(0, 0), updated=_newest_mtime(folder), notes=(Note(_NO_META),),
                           damage=Note(_BASE, problem=problem) if problem else None, **common)
    if not key.matches(meta):
        return None
    shape = (int(meta["shape"][0]), int(meta["shape"][1]))
    settings, notes = clean_settings(meta.get("settings"))
    mark = ExportMark.from_meta(meta)
    created = meta.get("created", 0.0)
    problem = base_problem(folder, meta["generation"])  # cheap: there, and a whole PNG
    return RestoreInfo(
        shape=shape,
        settings=settings,
        created=float(created) if isinstance(created, (int, float)) else 0.0,
        updated=_newest_mtime(folder),
        damage=Note(_BASE, problem=problem) if problem else None,
        notes=tuple(notes),
        exported=mark.time if mark is not None else None,
        edits_since_export=mark is None or _edited_since(folder, meta, mark, shape),
        **common,
    )


def _edited_since(folder: Path, meta: dict[str, Any], mark: ExportMark, shape: tuple[int, int]) -> bool:
    """True when the journal holds a mask edit after the export ``mark``."""
    gen = meta["generation"]
    if gen != mark.generation:
        return True  # a new base was written since: only an edit does that
    try:
        data = read_journal(folder, gen)
    except OSError:
        return True
    entries = journal_format.scan(data, gen, shape).entries
    return any(entry.is_mask for entry in entries[mark.records :])


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _newest_mtime(folder: Path) -> float:
    """When the autosave was last written: its newest file."""
    return max([_mtime(p) for p in folder.glob("*")] or [_mtime(folder)])


def find_autosaves(photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> list[RestoreInfo]:
    """The autosaves of this exact photo version (same path, size and mtime) that no live window holds, newest first."""
    try:
        key = PhotoKey.of(photo_path)
    except CutoutError:
        return []
    root = autosave_root(data_dir)
    found = []
    for folder in slot_folders(root, key.digest):
        if is_held(folder):
            continue  # another window is editing there
        info = describe(folder, key, Path(data_dir) if data_dir is not None else None)
        if info is not None:
            found.append(info)
    return sorted(found, key=lambda info: info.updated, reverse=True)


def held_elsewhere(photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> int:
    """How many windows (of any process, this one included) hold an autosave of this photo version now."""
    try:
        key = PhotoKey.of(photo_path)
    except CutoutError:
        return 0
    return sum(1 for folder in slot_folders(autosave_root(data_dir), key.digest) if is_held(folder))
