"""What a click of the region tool (K) will take, shown while the pointer hovers, before anything is applied.

The regions are core's :class:`~cutout_app.core.editing.RegionMap` of the document's mask at its
threshold, built on a :class:`~cutout_app.gui.workers.TaskWorker` (a few hundred ms on 24 MP) whenever
the region tool is in use and the mask or the threshold changed. Until it is ready nothing is shown, so
a preview never shows an old mask's regions: the map is dropped at every change of the mask (a region of
it repainted, an edit, undo or redo committed, a restore) and of the view settings, a map is only shown
for the edit it was built for, and nothing is shown over a click's or Space's preview (what is shown
there is not yet the mask).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cutout_app.core.editing import RegionMap
from cutout_app.gui.document import Document
from cutout_app.gui.workers import TaskWorker, WorkerPool


class RegionPreview(QObject):
    """The region under the pointer of one document; ``changed`` when it (or the map) changes."""

    changed = Signal()

    def __init__(self, pool: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.document: Document | None = None
        self.regions: RegionMap | None = None
        self.label = 0
        self._point: tuple[float, float] | None = None
        self._key: tuple[int, float] | None = None  # (edit count, threshold) the map was built for
        self._worker: TaskWorker | None = None
        self.active = False

    def set_document(self, document: Document | None) -> None:
        """Preview regions of ``document`` (None: nothing)."""
        if self.document is not None:
            self.document.changed.disconnect(self._stale)
            self.document.view_changed.disconnect(self._stale)
            self.document.state_changed.disconnect(self._check)
            self.document.preview_changed.disconnect(self._update_label)
        self.document = document
        if document is not None:
            document.changed.connect(self._stale)
            document.view_changed.connect(self._stale)
            document.state_changed.connect(self._check)  # every committed edit, undo and redo
            document.preview_changed.connect(self._update_label)
        self._stale()

    def set_active(self, active: bool) -> None:
        """Follow the pointer (the region tool is chosen) or show nothing."""
        self.active = active
        if not active:
            self.hover(None)
        else:
            self._ensure()

    def hover(self, point: tuple[float, float] | None) -> None:
        """The pointer is over image point ``point`` (None: it left the image)."""
        self._point = point
        self._update_label()

    def _current_key(self) -> tuple[int, float] | None:
        doc = self.document
        return None if doc is None else (doc.edit_count, doc.settings.threshold)

    def _check(self) -> None:
        """Drop the map if the mask moved on since it was built (a commit that repainted nothing)."""
        if self.regions is not None and self._key != self._current_key():
            self._stale()

    def _stale(self, *_: object) -> None:
        self.regions = None
        self._key = None
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self._update_label()
        if self.active:
            self._ensure()

    def _ensure(self) -> None:
        doc = self.document
        if doc is None or self._worker is not None or self.regions is not None:
            return
        key = (doc.edit_count, doc.settings.threshold)
        soft, threshold = doc.soft.copy(), doc.settings.threshold

        def task(progress, cancel):
            return RegionMap(soft, threshold)

        worker = TaskWorker(task, "regions")
        worker.signals.succeeded.connect(lambda regions: self._built(worker, key, regions))
        worker.signals.finished.connect(lambda: self._finished(worker))
        self._worker = worker
        self.pool.start(worker)

    def _built(self, worker: TaskWorker, key: tuple[int, float], regions: RegionMap) -> None:
        doc = self.document
        if worker is not self._worker or doc is None or key != (doc.edit_count, doc.settings.threshold):
            return
        self.regions, self._key = regions, key
        self._update_label()

    def _finished(self, worker: TaskWorker) -> None:
        if worker is self._worker:
            self._worker = None

    def _update_label(self) -> None:
        label = 0
        if self.active and self.regions is not None and self._point is not None and self.document is not None \
                and self.document.preview is None and self._key == self._current_key():
            label = self.regions.region_at(*self._point)
        if label != self.label:
            self.label = label
            self.changed.emit()

    def others(self) -> int:
        """How many other regions a keep click on the hovered one would remove."""
        return max(0, self.regions.count - 1) if self.regions is not None and self.label else 0
