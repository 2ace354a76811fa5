"""What a keep click of the click tool would take where the pointer rests, shown before anything is clicked.

As Photoshop's Object Finder: when the pointer rests (:data:`HOVER_DELAY_MS` without moving to another
photo pixel) over the photo with the click tool, core's first-click pass (:func:`click_step` with one keep
click and no previous mask, then :meth:`ClickStep.preview`) runs on a
:class:`~cutout_app.gui.workers.TaskWorker`, and its picture of the whole photo (at most
``PREVIEW_SIDE`` pixels on the long side) is shown as a tint by the renderer. A move bumps a generation
number, cancels the work and drops the tint, so a result for an old position is never shown. Nothing here
touches the mask or the undo history. It is off while a click is computed, while a click's preview is on
show, with a model that takes no clicks, and when the editor's ``hover_preview`` option is off.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from cutout_app.core.inference import Click, CutoutModel, Segmenter, click_step
from cutout_app.gui.click_segmenter import preview_shape
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState, Tool
from cutout_app.gui.prepared_photo import PreparedPhoto
from cutout_app.gui.workers import TaskWorker, WorkerPool

#: The pointer must rest this long before the preview is computed.
HOVER_DELAY_MS = 300


class HoverPreview(QObject):
    """The click tool's hover preview of one document; ``changed`` when the tint appears or goes."""

    changed = Signal()
    #: The pointer rested: the preview's work started (tests and the bench time from here).
    started = Signal()

    def __init__(self, pool: WorkerPool, state: EditorState, prepared: PreparedPhoto, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.state = state
        self.prepared = prepared  # the photo resized for the global net, shared with the clicks
        self.document: Document | None = None
        self.model: CutoutModel | None = None
        #: The tint on show: a uint8 picture of the whole photo (what a keep click at ``point`` takes), or None.
        self.picture: np.ndarray | None = None
        #: The photo point the picture is for.
        self.point: tuple[float, float] | None = None
        self._pointer: tuple[float, float] | None = None  # where the pointer rests (photo pixels), None: off the photo
        self._busy = False  # a click is being computed
        self._generation = 0
        self._worker: TaskWorker | None = None
        self._waiting = False  # the pointer rested while an older worker still ran: start when it ends
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(HOVER_DELAY_MS)
        self._timer.timeout.connect(self._rested)
        state.changed.connect(self._on_state_changed)

    # ------------------------------------------------------------------ inputs
    def set_document(self, document: Document | None) -> None:
        """Preview clicks on ``document`` (None: nothing)."""
        if self.document is not None:
            self.document.preview_changed.disconnect(self._on_preview_changed)
        self.document = document
        if document is not None:
            document.preview_changed.connect(self._on_preview_changed)
        self.hover(None)

    def set_model(self, model: Segmenter | None) -> None:
        """Preview with ``model`` (one that takes no clicks: nothing)."""
        self.model = model if isinstance(model, CutoutModel) else None
        self.hover(None)

    def set_busy(self, busy: bool) -> None:
        """A click is being computed (``busy``): no preview until it is done."""
        self._busy = busy
        if busy:
            self.hover(None)

    @property
    def active(self) -> bool:
        """True when resting the pointer would show a preview now."""
        doc = self.document
        return (self.state.tool is Tool.CLICK and self.state.hover_preview and self.model is not None
                and doc is not None and doc.preview is None and not self._busy)

    def hover(self, point: tuple[float, float] | None) -> None:
        """The pointer moved to photo point ``point`` (None: it left the photo, a button was pressed, a pan began).

        A move to another photo pixel drops the tint and the work on its way, and waits for the next rest."""
        if point is not None and self.document is not None:
            x, y = point
            if not (0 <= x < self.document.width and 0 <= y < self.document.height):
                point = None
        if point is not None and self._pointer is not None and _pixel(point) == _pixel(self._pointer):
            return  # still on the same pixel: the rest goes on
        self._pointer = point
        self._drop()
        if point is not None and self.active:
            self._timer.start()

    # ------------------------------------------------------------------ work
    def _drop(self) -> None:
        """Forget the tint and any work for an older pointer position."""
        self._timer.stop()
        self._generation += 1
        self._waiting = False
        if self._worker is not None:
            self._worker.cancel()
        if self.picture is not None:
            self.picture = self.point = None
            self.changed.emit()

    def _rested(self) -> None:
        if self._pointer is None or not self.active:
            return
        if self._worker is not None:  # one at a time: the old one, cancelled, is still running its net
            self._waiting = True
            return
        self._start(self._pointer)

    def _start(self, point: tuple[float, float]) -> None:
        doc, model = self.document, self.model
        assert doc is not None and model is not None
        generation, prepared, rgb = self._generation, self.prepared, doc.rgb
        shape = preview_shape(doc.height, doc.width)

        def task(progress, cancel):
            photo = prepared.get(model, rgb)
            cancel.raise_if_cancelled()
            step = click_step(model, rgb, photo, (Click(point[0], point[1], True),), previous=None)
            cancel.raise_if_cancelled()
            return step.preview(shape)

        worker = TaskWorker(task, "hover")
        worker.signals.succeeded.connect(lambda picture: self._done(doc, generation, point, picture))
        worker.signals.finished.connect(lambda: self._finished(worker))
        self._worker = worker
        self.pool.start(worker)
        self.started.emit()

    def _done(self, doc: Document, generation: int, point: tuple[float, float], picture: np.ndarray) -> None:
        if doc is not self.document:
            return
        if generation != self._generation or not self.active:
            return  # the pointer moved, a click came, or the tool changed since: this tint is stale
        self.picture, self.point = picture, point
        self.changed.emit()

    def _finished(self, worker: TaskWorker) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        if self._waiting:
            self._waiting = False
            self._rested()

    def _on_preview_changed(self) -> None:
        if self.document is not None and self.document.preview is not None:
            self.hover(None)  # a click's preview is on show

    def _on_state_changed(self, name: str) -> None:
        if name in ("tool", "hover_preview") and not self.active:
            self.hover(None)


def _pixel(point: tuple[float, float]) -> tuple[int, int]:
    return int(point[0]), int(point[1])
