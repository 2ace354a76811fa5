"""Glue between the open document and core.sidecar's autosave journal.

Every committed edit (end of a stroke, a click, a segmentation, undo/redo) is appended to the journal
before the next one can happen, so a crash or kill loses at most the stroke in progress.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QDateTime, QLocale

from cutout_app.core.errors import CutoutError
from cutout_app.core.mask_edit import EditRecord
from cutout_app.core.matting import MaskSettings
from cutout_app.core.sidecar import AutosaveJournal, RestoreInfo
from cutout_app.gui.document import Document

log = logging.getLogger(__name__)

#: After this many region records the journal is compacted into a new base snapshot.
SNAPSHOT_EVERY = 100


def describe_time(seconds: float) -> str:
    """A timestamp in the user's locale (for "restore edits from ...")."""
    moment = QDateTime.fromSecsSinceEpoch(int(seconds))
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


class DocumentAutosave:
    """Journals the edits of one document; ``on_error(message)`` is called once if writing fails."""

    def __init__(
        self,
        document: Document,
        photo_path: Path,
        data_dir: Path | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.document = document
        self.data_dir = data_dir
        self.on_error = on_error
        self.failed = False
        self.journal = AutosaveJournal.open_for(photo_path, data_dir)
        document.add_edit_listener(self._on_edit)

    @staticmethod
    def find(photo_path: Path, data_dir: Path | None = None) -> RestoreInfo | None:
        """An autosave of this exact photo version, if there is one."""
        return AutosaveJournal.find_restorable(photo_path, data_dir)

    def restore(self, info: RestoreInfo) -> bool:
        """Load the autosaved mask and view settings into the document (one undoable step)."""
        try:
            soft, settings = info.restore()
        except CutoutError as exc:
            self._fail(str(exc))
            return False
        if soft.shape != (self.document.height, self.document.width):
            return False
        view = MaskSettings.from_dict({**self.document.settings.to_dict(), **settings})
        self.document.set_view_settings(view.threshold, view.softness)
        self.document.replace_mask(soft)  # journals itself as a snapshot through _on_edit
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
        if not self.journal.started or record.full or self.journal.records_since_snapshot >= SNAPSHOT_EVERY:
            self._guard(lambda: self.journal.start(self.document.soft, self.document.settings.to_dict())
                        if not self.journal.started else self.journal.snapshot(self.document.soft))  # fmt: skip
        else:
            self._guard(lambda: self.journal.record(record))

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except (CutoutError, OSError, ValueError) as exc:
            self._fail(str(exc))

    def _fail(self, message: str) -> None:
        log.warning("autosave failed: %s", message)
        self.failed = True
        if self.on_error is not None:
            self.on_error(message)
