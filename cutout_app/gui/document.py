"""The open photo and its editable mask, as a QObject that tells views which region changed.

All pixel work is done by core: EditableMask edits the soft mask in place, matting maps it to alpha. The
threshold/softness are view settings (``settings``): changing them emits ``view_changed`` and never edits.
The click tool's :class:`~cutout_app.core.inference.interactive.Guidance` (clicks and painted strokes) follows the
mask's undo and redo, so undoing a click takes its dot away too; so does the first click's candidate on show
(:attr:`Document.candidate`), so undoing a Tab brings back the previous choice. A click's quick global mask is shown as a
*preview* (at the model's size, scaled by the view) until its refined mask replaces it; any edit, export
or Esc first makes the preview the mask, so what is shown is what is edited and saved.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal

from cutout_app.core.edges import MaskSettings, mask_alpha
from cutout_app.core.editing import EditableMask, EditRecord, HistoryStep, RestoredStep
from cutout_app.core.geometry import Rect
from cutout_app.core.files import Photo
from cutout_app.core.inference import Click, ClickStep, Guidance, Stroke, painted_pixels

#: Called with every committed edit record of the mask (the autosave journal appends it).
EditListener = Callable[[EditRecord], None]


class Document(QObject):
    """A photo, its soft mask (the editable state) and the alpha derived from it for display and export."""

    #: A region of the mask changed: a core Rect, or None for the whole image.
    changed = Signal(object)
    #: Undo/redo availability, the unsaved flag or "has a mask" changed.
    state_changed = Signal()
    #: The threshold or softness (how soft values map to alpha) changed.
    view_changed = Signal()
    #: The clicks shown changed (a click was made, applied, undone or cleared).
    clicks_changed = Signal()
    #: A click preview appeared or went (see ``preview``).
    preview_changed = Signal()
    #: The committed guidance changed without a mask edit (a click that changed nothing, Esc): autosave it.
    guidance_committed = Signal()

    def __init__(self, photo: Photo, settings: MaskSettings | None = None, soft: np.ndarray | None = None) -> None:
        super().__init__()
        self.photo = photo
        self.rgb = photo.rgb8()
        self.settings = settings or MaskSettings()
        initial = np.zeros((photo.height, photo.width), np.uint8) if soft is None else soft
        self.mask = EditableMask(initial)
        self.has_mask = soft is not None
        self._listeners: list[EditListener] = []
        #: Number of committed edits so far (tools use it to tell whether another edit came in between).
        self.edit_count = 0
        self.mask.on_change = self._on_commit
        #: The clicks and strokes that guide the next click, as of the current mask.
        self.guidance = Guidance()
        #: A click's guidance while the model works on it (shown at once, applied with its mask).
        self.pending: Guidance | None = None
        self._guidance_undo: list[Guidance] = []
        self._guidance_redo: list[Guidance] = []
        self._next_guidance: Guidance | None = None
        # The candidate (index, count) that the mask is, following the undo history as the guidance does.
        self._candidate: tuple[int, int] | None = None
        self._candidate_undo: list[tuple[int, int] | None] = []
        self._candidate_redo: list[tuple[int, int] | None] = []
        self._next_candidate: tuple[int, int] | None = None
        self._stroke: list[tuple[float, float]] = []
        self._stroke_radius = 0.0
        #: A click's global mask (uint8, the model's size), shown instead of the mask until it is settled.
        self.preview: np.ndarray | None = None
        self.preview_step: ClickStep | None = None
        self._preview_guidance = Guidance()

    # --- size ------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self.photo.width

    @property
    def height(self) -> int:
        return self.photo.height

    @property
    def soft(self) -> np.ndarray:
        return self.mask.soft

    # --- listeners -------------------------------------------------------------------------
    def add_edit_listener(self, listener: EditListener) -> None:
        """``listener(record)`` is called after each committed edit (stroke, click, replace, undo, redo)."""
        self._listeners.append(listener)

    @property
    def unsaved(self) -> bool:
        """True when the mask differs from the last exported (or opened) state."""
        return self.mask.dirty

    def _on_commit(self, record: EditRecord) -> None:
        self.edit_count += 1
        self._follow_history(record.kind)
        for listener in list(self._listeners):
            listener(record)

    # --- guidance of the click tool --------------------------------------------------------
    @property
    def clicks(self) -> tuple[Click, ...]:
        """The clicks to show: the pending click's, else those of the current mask."""
        return (self.pending or self.guidance).clicks

    @property
    def candidate(self) -> tuple[int, int] | None:
        """The first click's candidate on show, as (index, count), or None when what is shown is no candidate (a later
        click, an edit, a model without candidates)."""
        if self.preview is not None:
            return _candidate_of(self.preview_step)
        return self._candidate

    def set_pending(self, guidance: Guidance | None) -> None:
        """Show a click's guidance while its mask is computed (None: drop it)."""
        self.pending = guidance
        self.clicks_changed.emit()

    def show_preview(self, preview: np.ndarray, guidance: Guidance, step: ClickStep) -> None:
        """Show a click's quick mask (``preview``, a small picture of the whole photo) for ``guidance`` until it is
        settled; ``step`` makes it the photo-size mask if it is settled before its refinement lands."""
        self.preview, self._preview_guidance, self.preview_step = preview, guidance, step
        self.pending = guidance
        self.preview_changed.emit()
        self.clicks_changed.emit()

    def commit_preview(self) -> bool:
        """Make the shown preview the mask (one undo step, with its clicks); False if there was none."""
        if self.preview is None or self.preview_step is None:
            return False
        painted = painted_pixels(self._preview_guidance.strokes, self.height, self.width)
        self.apply_click_mask(self.preview_step.full_mask(painted), self._preview_guidance, self.preview_step)
        return True

    def drop_preview(self) -> None:
        """Stop showing the preview; the mask stays as it was."""
        if self.preview is not None:
            self.preview = self.preview_step = None
            self.preview_changed.emit()

    def clear_clicks(self) -> None:
        """Start over from the current mask: no clicks; painted pixels stay pinned (not an undo step)."""
        self.commit_preview()
        self.pending = None
        self.guidance = Guidance(strokes=self.guidance.strokes)
        self.clicks_changed.emit()
        self.guidance_committed.emit()

    def _follow_history(self, kind: str) -> None:
        """Keep the guidance in step with the mask's undo history (one entry per mask step)."""
        if kind == "undo":
            self._guidance_redo.append(self.guidance)
            self.guidance = self._guidance_undo.pop() if self._guidance_undo else Guidance()
            self._candidate_redo.append(self._candidate)
            self._candidate = self._candidate_undo.pop() if self._candidate_undo else None
        elif kind == "redo":
            self._guidance_undo.append(self.guidance)
            self.guidance = self._guidance_redo.pop() if self._guidance_redo else self.guidance
            self._candidate_undo.append(self._candidate)
            self._candidate = self._candidate_redo.pop() if self._candidate_redo else None
        else:
            self._guidance_undo.append(self.guidance)
            del self._guidance_undo[: -self.mask.max_steps]
            self._guidance_redo.clear()
            if self._next_guidance is not None:
                self.guidance = self._next_guidance
            self._candidate_undo.append(self._candidate)
            del self._candidate_undo[: -self.mask.max_steps]
            self._candidate_redo.clear()
            self._candidate = self._next_candidate
        self._next_guidance = self._next_candidate = None
        self.clicks_changed.emit()

    # --- view mapping ----------------------------------------------------------------------
    def set_view_settings(self, **changes: Any) -> None:
        """Change how the soft mask maps to alpha (threshold, softness, edge_px, shift_px: a view setting, not an
        edit, not undoable). ValueError for a value :class:`MaskSettings` refuses."""
        settings = dataclasses.replace(self.settings, **changes)
        if settings != self.settings:
            self.settings = settings
            self.view_changed.emit()

    def alpha(self, rect: Rect | None = None) -> np.ndarray:
        """The alpha (uint8) of the whole mask or of ``rect``: what is shown and exported."""
        box = None if rect is None else (rect.x, rect.y, rect.w, rect.h)
        return mask_alpha(self.mask.soft, self.settings, box)

    @property
    def shows_mask(self) -> bool:
        """True once there is a mask to show (an edit, a segmentation, a click's preview)."""
        return self.has_mask or self.preview is not None

    def _refresh(self, rect: Rect | None, full: bool = False) -> None:
        """Tell the views where the soft mask changed."""
        if full:
            self.changed.emit(None)
        elif rect is not None and not rect.empty:
            self.changed.emit(rect)

    def _edited(self) -> None:
        self.has_mask = True
        self.state_changed.emit()

    # --- edits -----------------------------------------------------------------------------
    def replace_mask(self, soft: np.ndarray) -> None:
        """Replace the whole soft mask (a segmentation result or a restore): one undo step, no clicks."""
        self.drop_preview()
        self._next_guidance = Guidance()
        self.mask.replace_all(soft)
        self._refresh(None, full=True)
        self._edited()

    def apply_click_mask(self, soft: np.ndarray, guidance: Guidance, step: ClickStep | None = None) -> None:
        """Set the mask that the model made for ``guidance``'s clicks: one undo step (only the changed box).

        ``step``: the click's step, which tells whether the mask is one of a first click's candidates."""
        self.pending = None
        self.drop_preview()
        self._next_guidance = guidance
        self._next_candidate = _candidate_of(step)
        rect = self.mask.replace_changed(soft)
        if rect is None:  # the same mask: no undo step, but the click counts
            self._candidate = self._next_candidate
            self._next_guidance = self._next_candidate = None
            self.guidance = guidance
            self.clicks_changed.emit()
            self.guidance_committed.emit()
            return
        self._refresh(rect, full=rect == self.mask.full_rect)
        self._edited()

    def begin_stroke(self, x: float, y: float, radius: float, hardness: float, mode: str) -> None:
        """Start a brush stroke with one dab at (x, y) (image pixels); ``mode`` is "add" or "erase"."""
        self.commit_preview()
        self.mask.begin_stroke()
        self._stroke, self._stroke_radius = [(x, y)], radius
        self._refresh(self.mask.dab(x, y, radius, hardness, mode))

    def stroke_to(self, x: float, y: float, radius: float, hardness: float, mode: str) -> None:
        """Continue the stroke to (x, y) with dabs along the way."""
        self._stroke.append((x, y))
        self._refresh(self.mask.stroke_to(x, y, radius, hardness, mode))

    def end_stroke(self) -> None:
        """Finish the stroke: it becomes one undo step (and one autosave record); the next click keeps its pixels."""
        if self._stroke:
            self._next_guidance = self.guidance.with_stroke(Stroke(tuple(self._stroke), self._stroke_radius))
            self._stroke = []
        rect = self.mask.end_stroke()
        self._next_guidance = None  # unused when the stroke changed nothing
        if rect is not None:
            self._edited()

    def keep_regions_at(self, points: Sequence[tuple[int, int]]) -> bool:
        """Keep only the connected foreground region(s) under ``points``; False if nothing changed."""
        self.commit_preview()
        rect = self.mask.keep_regions_at(list(points), self.settings.threshold)
        return self._after_click(rect)

    def remove_region_at(self, point: tuple[int, int]) -> bool:
        """Remove the connected foreground region under ``point``; False if nothing changed."""
        self.commit_preview()
        rect = self.mask.remove_region_at(point, self.settings.threshold)
        return self._after_click(rect)

    def _after_click(self, rect: Rect | None) -> bool:
        if rect is None:
            return False
        self._refresh(rect)
        self._edited()
        return True

    def undo(self) -> bool:
        """Undo the last edit; a click still in preview is the last edit and is simply dropped."""
        if self.preview is not None:
            self.drop_preview()
            self.set_pending(None)
            return True
        if not self.mask.can_undo:
            return False
        self._after_history(self.mask.undo())
        return True

    def redo(self) -> bool:
        if self.commit_preview() or not self.mask.can_redo:
            return False
        self._after_history(self.mask.redo())
        return True

    def _after_history(self, rect: Rect | None) -> None:
        full = rect is None or rect == self.mask.full_rect
        self._refresh(rect, full=full)
        self.state_changed.emit()

    def load_history(self, base: np.ndarray, steps: Sequence[RestoredStep], base_guidance: Guidance,
                     final_guidance: Guidance, saved: bool = False, redo: Sequence[RestoredStep] = (),
                     mask: EditableMask | None = None) -> None:
        """Take a restored autosave: ``base`` with no history below it, then each step as an undo step with its
        guidance, so undo steps back through what was restored and stops at ``base``; ``redo`` (the next to redo
        first) are the steps the user had undone, which redo brings back.

        ``mask``: that history already built (``EditableMask.from_history``, on the loader's thread: a 24 MP
        automatic mask's step costs 0.4 s to build), taken as it is. Edit listeners (the autosave) do not hear
        these steps: they are already on disk. ``saved`` says the result was exported as it is (closing then
        asks nothing). ``final_guidance`` is the guidance after the last step (it may change without a step: a
        click that changed nothing).
        """
        self.drop_preview()
        self.pending = None
        if mask is None:
            mask = EditableMask.from_history(base, [(s.rect, s.after) for s in steps], [(s.rect, s.after) for s in redo])
        if saved:
            mask.mark_clean()
        mask.on_change = self._on_commit
        self.mask = mask
        self.edit_count += 1
        # The guidance before each undo step, and after each redo step (the next to redo last), as the mask's own.
        self.guidance = final_guidance
        self._guidance_undo = [base_guidance, *(s.guidance for s in steps[:-1])][-len(steps):] if steps else []
        self._guidance_redo = [s.guidance for s in reversed(redo)]
        self._candidate, self._candidate_undo, self._candidate_redo = None, [None] * len(steps), [None] * len(redo)
        self._next_guidance = self._next_candidate = None
        self._refresh(None, full=True)
        self._edited()
        self.clicks_changed.emit()

    def history(self) -> tuple[list[tuple[HistoryStep, Guidance]], list[tuple[HistoryStep, Guidance]], Guidance]:
        """The undo history as the autosave writes it: the undo steps (oldest first) and the redo steps (the next
        first), each with the guidance after it, and the guidance before the first undo step."""
        undo, redo = self.mask.undo_steps(), self.mask.redo_steps()
        # The guidance before each undo step (the lists may keep more than the mask's steps: align them at the end).
        before = ([Guidance()] * len(undo) + self._guidance_undo)[-len(undo):] if undo else []
        after = [*before[1:], self.guidance] if undo else []
        redone = list(reversed(self._guidance_redo))
        redone = ([*redone, *[self.guidance] * len(redo)])[: len(redo)]
        base_guidance = before[0] if undo else self.guidance
        return list(zip(undo, after)), list(zip(redo, redone)), base_guidance

    def mark_saved(self) -> None:
        """The current mask was exported: closing needs no question until the next edit."""
        self.mask.mark_clean()
        self.state_changed.emit()


def _candidate_of(step: ClickStep | None) -> tuple[int, int] | None:
    """(index, count) of the candidate that ``step`` shows, or None when it has none to choose from."""
    if step is None or step.candidates < 2:
        return None
    return (step.candidate or 0, step.candidates)
