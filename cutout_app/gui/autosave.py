"""Glue between the open document and core.autosave_journal's autosave journal.

Every committed edit (end of a stroke, a click, a segmentation, undo/redo) is appended to the journal
before the next one can happen, so a crash or kill loses at most the stroke in progress.

The autosave heals itself: a damaged autosave is restored as far as it can be, with a notice saying
what was lost, then set aside and started afresh; a base image that went missing is rewritten at the
next edit; view settings with bad values fall back to the defaults. Only a failure to *write* turns
autosave off (``on_error``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from cutout_app.core.edges import MaskSettings
from cutout_app.core.editing import AutosaveJournal, EditRecord, RestoreInfo
from cutout_app.core.errors import CutoutError
from cutout_app.gui.document import Document

log = logging.getLogger(__name__)

#: After this many region records the journal is compacted into a new base snapshot.
SNAPSHOT_EVERY = 100


def describe_time(seconds: float) -> str:
    """A timestamp in the user's locale (for "restore edits from ...")."""
    moment = QDateTime.fromSecsSinceEpoch(int(seconds))
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


def _tr(text: str) -> str:
    return QCoreApplication.translate("DocumentAutosave", text)


class DocumentAutosave:
    """Journals the edits of one document.

    ``on_error(message)`` is called once if writing fails (autosave is then off); ``on_notice(message)``
    tells the user what a restore could not bring back, or that a damaged autosave was set aside.
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
        self.journal = AutosaveJournal.open_for(photo_path, data_dir)
        document.add_edit_listener(self._on_edit)

    @staticmethod
    def find(photo_path: Path, data_dir: Path | None = None) -> RestoreInfo | None:
        """An autosave of this exact photo version, if there is one (possibly a damaged one: see ``restorable``)."""
        return AutosaveJournal.find_restorable(photo_path, data_dir)

    def offer_restore(self, ask: Callable[[RestoreInfo], bool]) -> bool:
        """Look for this photo's autosave and restore it if ``ask(info)`` says so; True if something was restored.

        An autosave beyond restoring is not offered: it is set aside with a notice. Declining deletes it.
        """
        info = self.find(self.photo_path, self.data_dir)
        if info is None:
            return False
        if not info.restorable:
            return self.restore(info)  # sets it aside and says why
        if ask(info):
            return self.restore(info)
        self.discard()
        return False

    def restore(self, info: RestoreInfo) -> bool:
        """Load the autosaved mask and view settings into the document (one undoable step).

        Whatever could not be restored is named in a notice; a damaged autosave is set aside and a new
        one starts from the restored mask. False if nothing was restored.
        """
        recovered = info.recover()
        notes = list(recovered.notes)
        soft, damaged = recovered.soft, recovered.damaged
        if soft is not None and soft.shape != (self.document.height, self.document.width):
            notes.append(_tr("the autosaved mask does not fit this photo"))
            soft, damaged = None, True
        moved = self.journal.set_aside() if damaged else None
        if notes:
            self._notify(soft is not None, damaged, notes, moved)
        if soft is None:
            return False
        view = MaskSettings.from_dict({**self.document.settings.to_dict(), **recovered.settings})
        self.document.set_view_settings(view.threshold, view.softness)
        self.document.replace_mask(soft)  # journals itself as a snapshot (or a fresh start) through _on_edit
        self.save_settings()  # bad stored values are replaced by the ones in use
        return True

    def discard(self) -> None:
        """Delete the autosave (the user declined to restore it, or discarded the edits)."""
        self.journal.discard()

    def save_settings(self) -> None:
        """Store the current threshold/softness with the autosave (if one exists)."""
        if self.journal.started and not self.failed:
            self._guard(lambda: self.journal.update_settings(self.document.settings.to_dict()))

    def close(self) -> None:
        self.journal.close()

    def _on_edit(self, record: EditRecord) -> None:
        if self.failed:
            return
        journal = self.journal
        if not journal.started or record.full or journal.records_since_snapshot >= SNAPSHOT_EVERY or journal.base_missing:
            self._guard(lambda: self.journal.start(self.document.soft, self.document.settings.to_dict())
                        if not self.journal.started else self.journal.snapshot(self.document.soft))  # fmt: skip
        else:
            self._guard(lambda: self.journal.record(record))

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except (CutoutError, OSError, ValueError) as exc:
            self._fail(str(exc))

    def _notify(self, restored: bool, damaged: bool, notes: list[str], moved: Path | None) -> None:
        if not restored:
            head = _tr("The unsaved edits could not be restored:")
        elif damaged:
            head = _tr("Some unsaved edits could not be restored:")
        else:
            head = _tr("The unsaved edits were restored, but:")
        lines = [head, *(f"- {note}" for note in notes)]
        if moved is not None:
            lines.append(_tr("The damaged autosave was moved to {folder}.").format(folder=moved))
        message = "\n".join(lines)
        log.warning("autosave: %s", message)
        if self.on_notice is not None:
            self.on_notice(message)

    def _fail(self, message: str) -> None:
        log.warning("autosave failed: %s", message)
        self.failed = True
        if self.on_error is not None:
            self.on_error(message)
