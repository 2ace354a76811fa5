"""The click tool's model runs: a click's quick global mask at once, then its refined mask in the background.

The global mask is shown as the document's preview (a picture of the whole photo at up to
:data:`PREVIEW_SIDE` pixels, scaled by the view), which costs no full-resolution work on the GUI thread; the refined mask then becomes the mask as one undo step. Each
click bumps a generation number and cancels the work of older clicks; a refined mask is applied only
while its generation is the latest and its own preview is still shown (no edit, undo or Esc settled
it), so the latest click wins and no stale result ever overwrites a newer one. A box or lasso
(:meth:`ClickSegmenter.box`) and Tab's next candidate (:meth:`ClickSegmenter.next_candidate`) take the same
path: each is one undo step. The maths is core's
(:mod:`cutout_app.core.inference.interactive`); the work runs on :class:`~cutout_app.gui.workers.TaskWorker` like
every other background task.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Signal

from cutout_app.core.errors import ArgumentError
from cutout_app.core.inference import (
    Box,
    Click,
    ClickStep,
    CutoutModel,
    Guidance,
    Refinement,
    Segmenter,
    box_step,
    click_step,
    painted_pixels,
    refine_step,
    view_step,
)
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState
from cutout_app.gui.prepared_photo import PreparedPhoto
from cutout_app.gui.workers import TaskWorker, WorkerPool

#: A click's quick mask is shown as a picture of the whole photo with this long side at most.
PREVIEW_SIDE = 1024
#: A first click (or Space) on a photo shown at this scale or less is refined first at the view's scale, shown,
#: then at full resolution: the user sees refined edges long before the full-resolution pass ends.
VIEW_FIRST_SCALE = 0.5


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
    #: A first click's candidate is showing: its index and how many there are (0 when the step has none).
    candidate_shown = Signal(int, int)

    def __init__(self, pool: WorkerPool, state: EditorState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.state = state
        self.model: CutoutModel | None = None
        self.document: Document | None = None
        #: The document's photo resized for the global net once, for every click (and the hover preview, Space).
        self.prepared = PreparedPhoto(pool)
        self._refinement: Refinement | None = None  # the last first click's refinement: the next one reuses its tiles
        self._step: ClickStep | None = None  # the last step shown: Tab shows its next candidate
        self._generation = 0
        self._workers: set[TaskWorker] = set()
        #: The scale the view shows the photo at (widget pixels per photo pixel); the window sets it.
        self.view_scale: Callable[[], float] = lambda: 1.0

    @staticmethod
    def takes_clicks(model: Segmenter | None) -> bool:
        """True for a model that clicks can guide (a two-stage model folder)."""
        return isinstance(model, CutoutModel)

    def set_model(self, model: Segmenter | None) -> None:
        """Use ``model`` for the next clicks (None, or a model that takes no clicks: clicks do nothing)."""
        self._stop()
        self.model = model if isinstance(model, CutoutModel) else None
        self._refinement = self._step = None
        self._prepare()

    def set_document(self, document: Document | None) -> None:
        """Segment clicks on ``document`` from now on; work for the previous one is dropped."""
        self._stop()
        self.document = document
        self._refinement = self._step = None
        self._prepare()

    def _prepare(self) -> None:
        self.prepared.reset(self.model, None if self.document is None else self.document.rgb)

    @property
    def busy(self) -> bool:
        """True while a click's mask is being computed."""
        return bool(self._workers)

    # ------------------------------------------------------------------ clicks
    def click(self, x: float, y: float, positive: bool = True) -> bool:
        """Segment with one more click at photo pixel (x, y); False if there is nothing to do it with."""
        doc = self.document
        if doc is None or self.model is None or not (0 <= x < doc.width and 0 <= y < doc.height):
            return False
        guidance = (doc.pending or doc.guidance).with_click(Click(float(x), float(y), positive))
        model = self.model

        def make(rgb, photo, previous):
            return click_step(model, rgb, photo, guidance.clicks, previous)

        return self._run(guidance, make)

    def box(self, box: Box, replace: bool = False) -> bool:
        """Segment "the object in here" (a box or a lasso, photo pixels, inside the photo): a positive box adds it to
        the mask, a negative one removes it inside the box; ``replace``: it becomes the whole mask (the clicks and
        strokes start over). False if there is nothing to do it with.

        A negative box on a mask with nothing in it fails with :class:`ArgumentError` (nothing to remove)."""
        doc = self.document
        if doc is None or self.model is None:
            return False
        guidance = Guidance() if replace else doc.pending or doc.guidance
        model = self.model

        def make(rgb, photo, previous):
            step = box_step(model, rgb, box, None if replace else previous, guidance.clicks)
            if not box.positive and step.change is None:  # core found no mask to take it out of
                raise ArgumentError(QCoreApplication.translate("ClickSegmenter", "There is nothing to remove: the mask is empty"))
            return step

        return self._run(guidance, make)

    def next_candidate(self) -> bool:
        """Show the next candidate of the first click (Tab), after the one on show; False when there is none to
        choose from. The candidate on show becomes the mask first, so each Tab is one undo step and undo brings
        back the previous choice."""
        doc, step = self.document, self._step
        if doc is None or self.model is None or step is None or step.candidates < 2:
            return False
        shown = doc.candidate
        if shown is None or (doc.pending or doc.guidance).clicks != step.clicks or shown[1] != step.candidates:
            return False  # what is on show is no candidate of this click (an edit or a later click came after it)
        doc.commit_preview()
        chosen = step.with_candidate(shown[0] + 1)
        return self._run(doc.guidance, lambda rgb, photo, previous: chosen, previous_of=step)

    def _run(self, guidance: Guidance, make, previous_of: ClickStep | None = None) -> bool:
        """Compute a step (``make(rgb, photo, previous)``) off the GUI thread, show its quick mask, then refine it.

        ``previous_of``: the step whose previous mask this one replaces (Tab: the same mask the first click saw)."""
        doc, model = self.document, self.model
        assert doc is not None and model is not None
        self._stop()
        shown = doc.preview_step  # a previous click's step on show: its quick mask is what the user sees
        committed = doc.soft.copy() if previous_of is None else previous_of.previous  # the worker's own copy
        doc.set_pending(guidance)
        generation = self._generation
        rgb, prepared, refine = doc.rgb, self.prepared, self.state.refine_clicks
        width, height = doc.width, doc.height

        def task(progress, cancel):
            photo = prepared.get(model, rgb)
            painted = painted_pixels(guidance.strokes, height, width)
            previous = committed if shown is None or previous_of is not None else shown.full_mask(painted)
            step = make(rgb, photo, previous)
            preview = step.preview(preview_shape(height, width))
            soft = None if refine else step.full_mask(painted)
            return step, preview, soft, painted

        worker = TaskWorker(task, "click")
        worker.signals.succeeded.connect(lambda result: self._global_done(doc, generation, guidance, *result))
        self._start(worker, generation)
        return True

    def _global_done(self, doc, generation, guidance, step, preview, soft, painted) -> None:
        if doc is not self.document:
            return
        if generation != self._generation:
            return  # a newer click is on its way
        self._step = step
        self.candidate_shown.emit(step.candidate or 0, step.candidates)
        if soft is not None:  # refinement is off: the quick mask is the result
            doc.apply_click_mask(soft, guidance, step)
            self.applied.emit("global")
            return
        doc.show_preview(preview, guidance, step)
        self.applied.emit("global")
        if self.model is None:
            return
        scale = self.view_scale()
        if step.focus is None and scale <= VIEW_FIRST_SCALE:
            self._view(doc, generation, guidance, step, preview, painted, scale)
        else:
            self._refine(doc, generation, guidance, step, preview, painted)

    def _view(self, doc: Document, generation: int, guidance: Guidance, step: ClickStep, preview, painted, scale: float) -> None:
        """Refine a first step at the view's scale and show it, then refine it at full resolution."""
        model, rgb, refine_edges = self.model, doc.rgb, doc.settings.refine

        def task(progress, cancel):
            return view_step(model, rgb, step, scale, refine_edges, cancel)

        def shown(picture) -> None:
            if doc is not self.document or generation != self._generation or doc.preview is not preview:
                return  # a newer click, an edit, undo or Esc came first
            doc.show_preview(picture, guidance, step)
            self.applied.emit("view")
            self._refine(doc, generation, guidance, step, picture, painted)

        worker = TaskWorker(task, "view")
        worker.signals.succeeded.connect(shown)
        self._start(worker, generation)

    def _refine(self, doc: Document, generation: int, guidance: Guidance, step: ClickStep, preview, painted) -> None:
        model, rgb, refine_edges, reuse = self.model, doc.rgb, doc.settings.refine, self._refinement

        def task(progress, cancel):
            return refine_step(model, rgb, step, painted, refine_edges, progress, cancel, reuse, remember=True)

        worker = TaskWorker(task, "refine")
        worker.signals.progress.connect(self.progress)
        worker.signals.succeeded.connect(lambda result: self._refined(doc, generation, guidance, step, preview, *result))
        self._start(worker, generation)

    def _refined(self, doc: Document, generation: int, guidance: Guidance, step: ClickStep, preview, soft, refinement) -> None:
        if doc is self.document and refinement is not None:
            self._refinement = refinement  # right for this photo even when the mask itself is stale
        # An edit, undo or Esc since the global mask settled or dropped its preview: this result is stale.
        if doc is not self.document or generation != self._generation or doc.preview is not preview:
            return
        doc.apply_click_mask(soft, guidance, step)
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

    def finish(self) -> None:
        """Return once the work of the last click has ended (its full-resolution mask landed), the window kept
        painting meanwhile: an export or a copy writes the full-resolution mask, not the preview."""
        if not self.busy:
            return
        loop = QEventLoop()
        self.busy_changed.connect(loop.quit)
        try:
            if self.busy:
                loop.exec()
        finally:
            self.busy_changed.disconnect(loop.quit)

    def cancel(self) -> None:
        """Stop the work of every click so far; what was shown stays (Esc during a refinement, close)."""
        self._stop()
        doc = self.document
        if doc is not None:
            doc.commit_preview()
            if doc.pending is not None:
                doc.set_pending(None)

    def clear(self) -> None:
        """Forget the clicks and start over from the current mask (Esc)."""
        self.cancel()
        self._step = None
        if self.document is not None:
            self.document.clear_clicks()


def preview_shape(height: int, width: int) -> tuple[int, int]:
    """The size of a click's quick picture of the photo: the photo's, or :data:`PREVIEW_SIDE` on the long side."""
    scale = min(1.0, PREVIEW_SIDE / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))
