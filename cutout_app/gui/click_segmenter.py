"""The click tool's model runs: a click's quick global mask at once, then its refined mask in the background.

The global mask is shown as the document's preview (the model's size, scaled by the view), which costs
no full-resolution work on the GUI thread; the refined mask then becomes the mask as one undo step. Each
click bumps a generation number and cancels the work of older clicks; a refined mask is applied only
while its generation is the latest and its own preview is still shown (no edit, undo or Esc settled
it), so the latest click wins and no stale result ever overwrites a newer one. The maths is core's
(:mod:`cutout_app.core.inference.interactive`); the work runs on :class:`~cutout_app.gui.workers.TaskWorker` like
every other background task.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cutout_app.core.inference import (
    Click,
    CutoutModel,
    GlobalInput,
    Guidance,
    Refinement,
    Segmenter,
    full_size_mask,
    painted_pixels,
    quick_mask,
    refined_mask,
)
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState
from cutout_app.gui.workers import TaskWorker, WorkerPool


class ClickSegmenter(QObject):
    """Turns clicks on the open document into masks from a two-stage model."""

    #: A click's mask was applied: "global" (the quick pass) or "refined".
    applied = Signal(str)
    #: A click could not be segmented (the exception).
    failed = Signal(object)
    #: Refinement progress (tiles done, total).
    progress = Signal(int, int)
    #: Work started or ended.
    busy_changed = Signal(bool)

    def __init__(self, pool: WorkerPool, state: EditorState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.state = state
        self.model: CutoutModel | None = None
        self.document: Document | None = None
        self._prepared: GlobalInput | None = None  # the document's photo resized once for every click
        self._refinement: Refinement | None = None  # the last refinement: the next click reuses its tiles
        self._generation = 0
        self._workers: set[TaskWorker] = set()

    @staticmethod
    def takes_clicks(model: Segmenter | None) -> bool:
        """True for a model that clicks can guide (a two-stage model folder)."""
        return isinstance(model, CutoutModel)

    def set_model(self, model: Segmenter | None) -> None:
        """Use ``model`` for the next clicks (None, or a model that takes no clicks: clicks do nothing)."""
        self._stop()
        self.model = model if isinstance(model, CutoutModel) else None
        self._prepared = self._refinement = None

    def set_document(self, document: Document | None) -> None:
        """Segment clicks on ``document`` from now on; work for the previous one is dropped."""
        self._stop()
        self.document = document
        self._prepared = self._refinement = None

    @property
    def busy(self) -> bool:
        """True while a click's mask is being computed."""
        return bool(self._workers)

    # ------------------------------------------------------------------ clicks
    def click(self, x: float, y: float, positive: bool = True) -> bool:
        """Segment with one more click at photo pixel (x, y); False if there is nothing to do it with."""
        doc, model = self.document, self.model
        if doc is None or model is None or not (0 <= x < doc.width and 0 <= y < doc.height):
            return False
        guidance = (doc.pending or doc.guidance).with_click(Click(float(x), float(y), positive))
        self._stop()
        shown = doc.preview  # a previous click's preview: the mask the user sees, so the model's previous mask
        committed = doc.soft.copy()  # the worker's own copy: the user may paint meanwhile
        doc.set_pending(guidance)
        generation = self._generation
        rgb, prepared, refine = doc.rgb, self._prepared, self.state.refine_clicks
        width, height = doc.width, doc.height

        def task(progress, cancel):
            photo = prepared if prepared is not None else model.prepare(rgb)
            painted = painted_pixels(guidance.strokes, height, width)
            previous = committed if shown is None else full_size_mask(shown, width, height, committed, painted)
            prediction, preview = quick_mask(model, photo, guidance.clicks, previous)
            soft = None if refine else full_size_mask(preview, width, height, previous, painted)
            return photo, prediction, preview, soft, previous, painted

        worker = TaskWorker(task, "click")
        worker.signals.succeeded.connect(lambda result: self._global_done(doc, generation, guidance, *result))
        self._start(worker, generation)
        return True

    def _global_done(self, doc, generation, guidance, photo, prediction, preview, soft, previous, painted) -> None:
        if doc is not self.document:
            return
        self._prepared = photo
        if generation != self._generation:
            return  # a newer click is on its way
        if soft is not None:  # refinement is off: the global mask is the result
            doc.apply_click_mask(soft, guidance)
            self.applied.emit("global")
            return
        doc.show_preview(preview, guidance)
        self.applied.emit("global")
        if self.model is not None:
            self._refine(doc, generation, guidance, prediction, preview, previous, painted)

    def _refine(self, doc: Document, generation: int, guidance: Guidance, prediction, preview, previous, painted) -> None:
        model, rgb, refine_edges, reuse = self.model, doc.rgb, doc.settings.refine, self._refinement

        def task(progress, cancel):
            return refined_mask(model, rgb, prediction, previous, painted, refine_edges, progress, cancel, reuse)

        worker = TaskWorker(task, "refine")
        worker.signals.progress.connect(self.progress)
        worker.signals.succeeded.connect(lambda result: self._refined(doc, generation, guidance, preview, *result))
        self._start(worker, generation)

    def _refined(self, doc: Document, generation: int, guidance: Guidance, preview, soft, refinement) -> None:
        if doc is self.document:
            self._refinement = refinement  # right for this photo even when the mask itself is stale
        # An edit, undo or Esc since the global mask settled or dropped its preview: this result is stale.
        if doc is not self.document or generation != self._generation or doc.preview is not preview:
            return
        doc.apply_click_mask(soft, guidance)
        self.applied.emit("refined")

    # ------------------------------------------------------------------ work
    def _start(self, worker: TaskWorker, generation: int) -> None:
        was_busy = self.busy
        self._workers.add(worker)
        worker.signals.failed.connect(lambda exc: self._failed(generation, exc))
        worker.signals.finished.connect(lambda: self._finished(worker))
        self.pool.start(worker)
        if not was_busy:
            self.busy_changed.emit(True)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            if self.document is not None:
                self.document.commit_preview()  # a failed refinement leaves the global mask
                self.document.set_pending(None)
            self.failed.emit(exc)

    def _finished(self, worker: TaskWorker) -> None:
        self._workers.discard(worker)
        if not self.busy:
            self.busy_changed.emit(False)

    def _stop(self) -> None:
        """Drop the work of every click so far (a newer click, document or model takes over)."""
        self._generation += 1
        for worker in self._workers:
            worker.cancel()

    def cancel(self) -> None:
        """Stop the work of every click so far; what was shown stays (Esc during a refinement, export, close)."""
        self._stop()
        doc = self.document
        if doc is not None:
            doc.commit_preview()
            if doc.pending is not None:
                doc.set_pending(None)

    def clear(self) -> None:
        """Forget the clicks and start over from the current mask (Esc)."""
        self.cancel()
        if self.document is not None:
            self.document.clear_clicks()
