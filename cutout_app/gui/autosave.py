"""Glue between the open document and core's autosave: what is journaled, and what a reopened photo offers.

Every committed edit (end of a stroke, a click, a segmentation, undo/redo) is appended to the journal
before the next one can happen, with the clicks and strokes that guide the next click, so a crash or
kill loses at most the stroke in progress (or the edit whose new generation, below, was still being written:
a fraction of a second), and a restore brings back the mask, the click dots, the
painted strokes and the undo history as the user had it: each step undo can take back (down to the mask
the photo opened with, the automatic mask included) and each step redo can bring back. A new generation of
the autosave (the first edit, every :data:`SNAPSHOT_EVERY` records, a journal full of mask content) writes
that history with it, on a thread of its own from copies (a 24 MP base takes 0.1-0.3 s); the next use of the
journal waits for it.

Each window journals into its own slot (held for as long as the photo is open in it), so two windows
on one photo never overwrite each other; the second is told so. Reopening a photo offers each
autosave that no live window holds, newest first: declining one deletes that one only. An autosave
whose edits were all exported is restored without a question.

The autosave heals itself: a damaged autosave is restored as far as it can be, with a notice saying
what was lost, then set aside and started afresh from what was restored; a base image that went
missing is rewritten at the next edit; view settings with bad values fall back to the defaults. Only a
failure to *write* turns autosave off (``on_error``).
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from cutout_app.core.edges import MaskSettings
from cutout_app.core.editing import (
    MAX_UNDO_STEPS,
    AutosaveJournal,
    EditRecord,
    JournalHistory,
    Note,
    Recovered,
    RestoreInfo,
    guidance_to_json,
)
from cutout_app.core.errors import CutoutError
from cutout_app.core.wording import CONTEXT
from cutout_app.gui.document import Document

log = logging.getLogger(__name__)

#: After this many records the journal is compacted into a new generation (which writes the undo history again:
#: twice undo's step limit keeps that rewrite to at most one record written for every record appended).
SNAPSHOT_EVERY = 2 * MAX_UNDO_STEPS

#: Asked before restoring an autosave: True to restore it.
AskRestore = Callable[[RestoreInfo], bool]


def describe_time(seconds: float) -> str:
    """A moment in the user's locale, for "edits from ...": the long date (never the C locale's "30 11 2026") and the time."""
    moment = QDateTime.fromSecsSinceEpoch(int(seconds))
    locale = QLocale()
    return f"{locale.toString(moment.date(), QLocale.FormatType.LongFormat)} {locale.toString(moment.time(), QLocale.FormatType.ShortFormat)}"


def _note_text(note: str) -> str:
    """A core note in the user's language (plain strings are already translated)."""
    return note.translated(partial(QCoreApplication.translate, CONTEXT)) if isinstance(note, Note) else note


class DocumentAutosave:
    """Journals the edits of one document, in a slot of its own.

    ``on_error(message)`` is called once if writing fails (autosave is then off); ``on_notice(message)``
    tells the user what a restore could not bring back, that a damaged autosave was set aside, or that
    the photo is open in another window.
    """

    def __init__(
        self,
        document: Document,
        photo_path: Path,
        data_dir: Path | None = None,
        on_error: Callable[[str], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.document = document
        self.photo_path = Path(photo_path)
        self.data_dir = data_dir
        self.on_error = on_error
        self.on_notice = on_notice
        self.failed = False
        #: This window's journal: claimed at the first edit, or the autosave it restored.
        self.journal: AutosaveJournal | None = None
        self._written_guidance: Any = None
        #: A new generation being written off the window's thread (:meth:`_write_in_background`), and its failure.
        self._writer: threading.Thread | None = None
        self._writer_error: str | None = None
        document.add_edit_listener(self._on_edit)
        document.guidance_committed.connect(self._on_guidance)

    @staticmethod
    def find(photo_path: Path, data_dir: Path | None = None) -> list[RestoreInfo]:
        """The autosaves of this exact photo version that no live window holds, newest first."""
        return AutosaveJournal.find_all_restorable(photo_path, data_dir)

    # ------------------------------------------------------------------ opening
    def offer_restore(self, ask: AskRestore, found: list[tuple[RestoreInfo, Recovered]] | None = None) -> bool:
        """Offer each autosave of this photo (newest first) until one is restored; True if one was.

        One whose edits were all exported is restored without asking; a damaged one beyond restoring is
        set aside with a notice; declining one deletes it. Autosaves left after a restore stay on disk.
        ``found``: the autosaves and what each restores, read beforehand off the GUI thread (the photo
        loader does); None finds and recovers them here.
        """
        recovered = {info.folder: result for info, result in found or []}
        if AutosaveJournal.windows_editing(self.photo_path, self.data_dir):
            self._notify([QCoreApplication.translate(
                "DocumentAutosave",
                "This photo is open in another cutout window. The edits made here are autosaved separately, and both are offered when the photo is opened again after a crash.")])
        restored, left = False, 0
        for info in [info for info, _ in found] if found is not None else self.find(self.photo_path, self.data_dir):
            try:
                journal = info.journal()
            except CutoutError:
                continue  # another window took it meanwhile
            if restored:
                journal.close()
                left += 1
            elif not info.restorable:
                self._restore(info, journal, saved=False, recovered=recovered.get(info.folder))  # sets it aside, says why
                journal.close()
            elif info.exported is not None and not info.edits_since_export:
                restored = self._restore(info, journal, saved=True, recovered=recovered.get(info.folder))
            elif ask(info):
                restored = self._restore(info, journal, saved=False, recovered=recovered.get(info.folder))
            else:
                journal.discard()
                journal.close()
        if left:
            kept = QCoreApplication.translate(
                "DocumentAutosave",
                "{count} more set(s) of unsaved edits of this photo, from other windows, are kept; they are offered when the photo is opened again.")
            self._notify([kept.format(count=left)])
        return restored

    def _restore(self, info: RestoreInfo, journal: AutosaveJournal, saved: bool, recovered: Recovered | None = None) -> bool:
        """Load ``info``'s autosave (``recovered`` already, or recovered now) into the document and go on journaling
        in ``journal``; False if nothing came back."""
        recovered = recovered or info.recover()
        notes = [_note_text(note) for note in recovered.notes]
        soft, damaged = recovered.soft, recovered.damaged
        if soft is not None and soft.shape != (self.document.height, self.document.width):
            notes.append(QCoreApplication.translate("DocumentAutosave", "the autosaved mask does not fit this photo"))
            soft, damaged = None, True
        moved = journal.set_aside() if damaged else None
        if notes:
            if soft is not None:  # what came back, before what did not
                restored = QCoreApplication.translate(
                    "DocumentAutosave",
                    "restored: the mask with {edits} edit(s) to undo one by one, {clicks} click(s) and {strokes} brush stroke(s)")
                guidance = recovered.guidance
                notes.insert(0, restored.format(edits=len(recovered.steps), clicks=len(guidance.clicks),
                                                strokes=len(guidance.strokes)))
            self._notify_restore(soft is not None, damaged, notes, moved)
        if soft is None or recovered.base is None:
            return False
        self.journal = journal
        view = MaskSettings.from_dict({**self.document.settings.to_dict(), **recovered.settings})
        self.document.set_view_settings(**{name: getattr(view, name) for name in view.field_names() if name != "refine"})
        self.document.load_history(recovered.base, recovered.steps, recovered.base_guidance, recovered.guidance,
                                   saved=saved and not damaged, redo=recovered.redo, mask=recovered.mask)
        self._written_guidance = guidance_to_json(recovered.guidance)
        if damaged:  # what was restored goes to a fresh autosave at once, its base written off the window's thread
            soft, settings, guidance, history = (self.document.soft.copy(), self.document.settings.to_dict(),
                                                 self._current_guidance(), self._history())  # fmt: skip
            self._write_in_background(lambda: journal.start(soft, settings, guidance, history))
        else:
            journal.records_since_snapshot = len(recovered.steps) + len(recovered.redo)
            self.save_settings()  # bad stored values are replaced by the ones in use
        return True

    # ------------------------------------------------------------------ the document's life
    def discard(self) -> None:
        """Delete this window's autosave (the user discarded the edits)."""
        self.flush()
        if self.journal is not None:
            self.journal.discard()

    def mark_exported(self) -> None:
        """The document was exported as it stands: reopening it later asks nothing."""
        self.flush()
        if self.journal is not None and self.journal.started and not self.failed:
            self._guard(self.journal.mark_exported)

    def save_settings(self) -> None:
        """Store the current threshold, softness, edge width and shift with the autosave (if one exists)."""
        self.flush()
        if self.journal is not None and self.journal.started and not self.failed:
            journal = self.journal
            self._guard(lambda: journal.update_settings(self.document.settings.to_dict()))

    def close(self) -> None:
        """Stop journaling; the autosave stays on disk, free for another window to restore.

        A document closed with nothing unsaved leaves nothing to offer: an autosave that was never
        exported is deleted (its edits were undone), an exported one is marked as exported as it stands.
        """
        self.flush()
        if self.journal is None:
            return
        if not self.document.unsaved and self.journal.started and not self.failed:
            if self.journal.exported is None:
                self.journal.discard()
            else:
                self._guard(self.journal.mark_exported)
        self.journal.close()

    # ------------------------------------------------------------------ journaling
    def _current_guidance(self) -> Any:
        self._written_guidance = guidance_to_json(self.document.guidance)
        return self._written_guidance

    def _history(self) -> JournalHistory:
        """The document's undo history, as the journal writes it."""
        undo, redo, base_guidance = self.document.history()
        return JournalHistory([(step, guidance_to_json(g)) for step, g in undo],
                              [(step, guidance_to_json(g)) for step, g in redo], guidance_to_json(base_guidance))

    def _claimed(self) -> AutosaveJournal:
        if self.journal is None:
            self.journal = AutosaveJournal.open_new(self.photo_path, self.data_dir)
        return self.journal

    def _on_edit(self, record: EditRecord) -> None:
        self.flush()
        if self.failed:
            return

        def write() -> None:
            journal = self._claimed()
            if journal.started and not (journal.records_since_snapshot >= SNAPSHOT_EVERY or journal.base_missing
                                        or not journal.has_room(record.rect.area)):  # fmt: skip
                journal.record(record)
                self._write_guidance(journal)
                return
            # A whole generation (the first edit's, or a compaction): the mask as it now stands, written off the
            # window's thread from copies.
            soft, settings = self.document.soft.copy(), self.document.settings.to_dict()
            guidance, history = self._current_guidance(), self._history()
            if not journal.started:
                self._write_in_background(lambda: journal.start(soft, settings, guidance, history))
            else:
                self._write_in_background(lambda: journal.snapshot(soft, guidance, history))

        self._guard(write)

    def _on_guidance(self) -> None:
        self.flush()
        if not self.failed and self.journal is not None and self.journal.started:
            journal = self.journal
            self._guard(lambda: self._write_guidance(journal))

    def _write_guidance(self, journal: AutosaveJournal) -> None:
        guidance = guidance_to_json(self.document.guidance)
        if guidance != self._written_guidance:
            journal.append_guidance(guidance)
            self._written_guidance = guidance

    def _write_in_background(self, action: Callable[[], None]) -> None:
        """Run a journal write of a whole generation (``action``, on copies of what it writes) on a thread of its own:
        a 24 MP base takes 0.1-0.3 s to encode and write, more than the window may stop for. Every later use of
        the journal waits for it first (:meth:`flush`), and a failure is reported there."""
        self.flush()

        def run() -> None:
            try:
                action()
            except (CutoutError, OSError, ValueError) as exc:
                self._writer_error = str(exc)

        self._writer = threading.Thread(target=run, name="autosave-generation")
        self._writer.start()

    def flush(self) -> None:
        """Wait until a generation being written off the window's thread (the first edit's, a compaction's, or a
        restored damaged autosave's) is on disk, and report its failure. Every use of the journal does this first."""
        if self._writer is None:
            return
        self._writer.join()
        self._writer = None
        if self._writer_error is not None:
            message, self._writer_error = self._writer_error, None
            self._fail(message)

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except (CutoutError, OSError, ValueError) as exc:
            self._fail(str(exc))

    # ------------------------------------------------------------------ telling the user
    def _notify_restore(self, restored: bool, damaged: bool, notes: list[str], moved: Path | None) -> None:
        if not restored:
            head = QCoreApplication.translate("DocumentAutosave", "The unsaved edits could not be restored:")
        elif damaged:
            head = QCoreApplication.translate("DocumentAutosave", "Some unsaved edits could not be restored:")
        else:
            head = QCoreApplication.translate("DocumentAutosave", "The unsaved edits were restored, but:")
        lines = [head, *(f"- {note}" for note in notes)]
        if moved is not None:
            moved_to = QCoreApplication.translate("DocumentAutosave", "The damaged autosave was moved to {folder}.")
            lines.append(moved_to.format(folder=moved))
        self._notify(lines)

    def _notify(self, lines: list[str]) -> None:
        message = "\n".join(lines)
        log.warning("autosave: %s", message)
        if self.on_notice is not None:
            self.on_notice(message)

    def _fail(self, message: str) -> None:
        log.warning("autosave failed: %s", message)
        self.failed = True
        if self.on_error is not None:
            self.on_error(message)
