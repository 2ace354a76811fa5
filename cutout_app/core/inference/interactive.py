"""Click-guided segmentation of an open photo: a step's quick mask, then its refined mask.

Every prompt becomes a :class:`ClickStep` by its own module (``click_steps`` for clicks, ``box_steps`` for
boxes and lassos, :func:`auto_step` here for automatic mode): the global pass, fast, shown at once. Then
:func:`refine_step`, the full-resolution refinement (slow, cancellable), replaces it; :func:`view_step` gives
the same at the view's scale first on a large photo. What a step may change follows the user's intent:

- **A first step** (no mask yet) takes the net's answer whole. A net with candidates answers an ambiguous
  click (one keep click) with several readings (the part, the object, the object with what it holds): the
  one with the best predicted IoU shows, and ``candidate`` picks another.
- **Every later step** is merged progressively (``core.inference.click_merge``): a keep click only adds, a
  remove click only removes, and only the part connected to the click, inside its focus region; every other
  pixel keeps its value, and the clicked pixel always ends up on the side the click asked for.
- **Zoom-in** (``core.inference.zoom``): from the second click on, and from the first for a small object,
  the global net sees a window around the object and the clicks at its full input size.

Pixels the user painted with the brush (:class:`Stroke`) stay as painted: the model never overwrites a
correction made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from cutout_app.core.edges.alpha import default_radius, refine_mask, to_soft_u8
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.click_merge import focus_of
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import GlobalInput, GlobalPrediction, resize_mask
from cutout_app.core.inference.soft_mask import soft_mask
from cutout_app.core.inference.two_stage import CutoutModel, Refinement
from cutout_app.core.inference.zoom import ScaledProbability, WindowedProbability
from cutout_app.core.progress import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from cutout_app.core.inference.box_steps import Box

#: A preview pixel averages up to this many photo pixels per axis (nearest samples beyond): a 24 MP mask's
#: picture in 4 ms instead of 25 (``bench/README.md``), for display only.
PREVIEW_SAMPLES = 2


@dataclass(frozen=True)
class Stroke:
    """A brush stroke as the pixels it covered: its dab centres (photo pixels) and the brush radius."""

    points: tuple[tuple[float, float], ...]
    radius: float


@dataclass(frozen=True)
class Guidance:
    """What guides the next click: the clicks so far and the brush strokes whose pixels stay as painted."""

    clicks: tuple[Click, ...] = ()
    strokes: tuple[Stroke, ...] = field(default=(), repr=False)

    def with_click(self, click: Click) -> Guidance:
        """These clicks and one more."""
        return Guidance(self.clicks + (click,), self.strokes)

    def with_stroke(self, stroke: Stroke) -> Guidance:
        """These strokes and one more."""
        return Guidance(self.clicks, self.strokes + (stroke,))


def painted_pixels(strokes: Sequence[Stroke], height: int, width: int) -> np.ndarray | None:
    """A uint8 map (1 = covered by a stroke) of ``height`` x ``width``, or None without strokes."""
    if not strokes:
        return None
    covered = np.zeros((height, width), np.uint8)
    for stroke in strokes:
        thickness = max(1, int(np.ceil(2 * stroke.radius + 1)))
        points = [(int(round(x - 0.5)), int(round(y - 0.5))) for x, y in stroke.points]
        cv2.circle(covered, points[0], thickness // 2, 1, thickness=-1)
        for a, b in zip(points, points[1:]):
            cv2.line(covered, a, b, 1, thickness=thickness)
    return covered


def _keep_painted(soft: np.ndarray, previous: np.ndarray, painted: np.ndarray | None) -> np.ndarray:
    if painted is not None:
        np.copyto(soft, previous, where=painted.view(bool))
    return soft


@dataclass(frozen=True)
class ClickStep:
    """One click's global pass: its quick mask, and what its refinement needs.

    ``quick`` is the merged soft mask at the grid of the global pass over ``window`` (the whole photo, or a
    zoom window); ``change`` (same grid) is where this click may change the mask, None for a first click,
    which may change anything. ``prediction`` keeps the net's candidates, so that another one can be shown
    (:meth:`with_candidate`) without running the net again.
    """

    clicks: tuple[Click, ...]
    height: int
    width: int
    window: Rect
    prediction: GlobalPrediction
    quick: np.ndarray
    change: np.ndarray | None = None
    candidate: int | None = None
    previous: np.ndarray | None = field(default=None, repr=False)  # the photo-size mask it was merged into
    box: Box | None = None  # the step of a box or lasso (``core.inference.box_steps``) rather than of the last click

    @property
    def positive(self) -> bool:
        """True when the step adds (a keep click, a box), False when it removes."""
        if self.box is not None:
            return self.box.positive
        return self.clicks[-1].positive if self.clicks else True

    @property
    def candidates(self) -> int:
        """How many candidates the first click has to choose from (0: none)."""
        return 0 if self.candidate is None or self.prediction.candidates is None else len(self.prediction.candidates)

    @property
    def focus(self) -> Rect | None:
        """The photo pixels this click may change (the change's focus region), None for everywhere."""
        if self.change is None:
            return None
        if self.box is not None:
            return self.box.rect(self.height, self.width)
        c = self.clicks[-1]
        clicked = Rect(min(int(c.x), self.width - 1), min(int(c.y), self.height - 1), 1, 1)  # settled whatever the net says
        grid = focus_of(self.change)
        if grid is None:
            return clicked
        return _grid_to_photo(grid, self.change.shape, self.window).clip(self.height, self.width).union(clicked)

    def with_candidate(self, candidate: int) -> ClickStep:
        """The same first click showing candidate ``candidate`` (wrapping round); itself when there are none."""
        if not self.candidates:
            return self
        k = candidate % self.candidates
        prediction = self.prediction.chosen(k)
        return replace(self, prediction=prediction, quick=to_soft_u8(prediction.probability), candidate=k)

    def coarse(self) -> GlobalPrediction | WindowedProbability:
        """The photo-size probability that the refiner refines."""
        whole = self.window == Rect(0, 0, self.width, self.height)
        if self.change is None and whole:
            return self.prediction  # a first click's answer, as the net gave it
        inner = GlobalPrediction(self.quick.astype(np.float32) / 255.0, self.window.h, self.window.w)
        if whole:
            return inner
        base = self.previous if self.previous is not None else np.broadcast_to(np.zeros(1, np.uint8), (self.height, self.width))
        return WindowedProbability(base, self.window, inner)

    def full_mask(self, painted: np.ndarray | None = None) -> np.ndarray:
        """The quick mask at the photo's size (the previous mask wherever the click may not change it)."""
        soft = self.previous.copy() if self.previous is not None else np.zeros((self.height, self.width), np.uint8)
        if self.change is None:
            rows, cols = self.window.slices
            soft[rows, cols] = cv2.resize(self.quick, (self.window.w, self.window.h), interpolation=cv2.INTER_LINEAR)
        else:
            self._paste(soft, self._upsampled_change(), cv2.resize(self.quick, (self.window.w, self.window.h), interpolation=cv2.INTER_LINEAR))
        return _keep_painted(self._settle_click(soft), self.previous if self.previous is not None else soft, painted)

    def preview(self, shape: tuple[int, int]) -> np.ndarray:
        """The quick mask for the window to show at once: uint8 of ``shape`` (height, width) covering the whole
        photo (the previous mask at that size, with this step's grid where it may change it)."""
        h, w = shape
        if self.previous is None or self.change is None:  # a first step: what it does not cover shows nothing yet
            out = np.zeros(shape, np.uint8)
        elif self.previous.shape == shape:
            out = self.previous.copy()
        else:
            out = to_soft_u8(resize_mask(self.previous, h, w, PREVIEW_SAMPLES))
        sy, sx = h / self.height, w / self.width
        box = Rect.from_bounds(int(self.window.x * sx), int(self.window.y * sy),
                               max(int(self.window.x * sx) + 1, round(self.window.right * sx)),
                               max(int(self.window.y * sy) + 1, round(self.window.bottom * sy))).clip(h, w)
        if box.empty:
            return out
        quick = cv2.resize(self.quick, (box.w, box.h), interpolation=cv2.INTER_LINEAR)
        region = out[box.slices]
        if self.change is None:
            region[...] = quick
        else:
            where = cv2.resize(self.change.view(np.uint8), (box.w, box.h), interpolation=cv2.INTER_NEAREST).view(bool)
            np.copyto(region, quick, where=where)
        return out

    def merge(self, refined: np.ndarray, focus: Rect) -> np.ndarray:
        """The photo-size mask after this click: ``refined`` (uint8, ``focus``'s size) merged into the previous
        mask where the click may change it, only adding for a keep click and only removing for a remove click."""
        assert self.previous is not None and self.change is not None
        soft = self.previous.copy()
        change = self._upsampled_change()[focus.y - self.window.y : focus.bottom - self.window.y,
                                          focus.x - self.window.x : focus.right - self.window.x]
        target = soft[focus.slices]
        combine = np.maximum if self.positive else np.minimum
        np.copyto(target, combine(target, refined), where=change)
        return self._settle_click(soft)

    def _upsampled_change(self) -> np.ndarray:
        """The change at the window's photo pixels (nearest), as bool."""
        assert self.change is not None
        return cv2.resize(self.change.view(np.uint8), (self.window.w, self.window.h), interpolation=cv2.INTER_NEAREST).view(bool)

    def _paste(self, soft: np.ndarray, where: np.ndarray, values: np.ndarray) -> None:
        target = soft[self.window.slices]
        combine = np.maximum if self.positive else np.minimum
        np.copyto(target, combine(target, values), where=where)

    def _settle_click(self, soft: np.ndarray) -> np.ndarray:
        """The last click's own pixel on the side it asked for, whatever the net said (a later click only)."""
        if self.change is not None and self.box is None:
            c = self.clicks[-1]
            row, col = min(int(c.y), self.height - 1), min(int(c.x), self.width - 1)
            soft[row, col] = 255 if c.positive else 0
        return soft


def auto_step(model: CutoutModel, photo: GlobalInput, previous: np.ndarray | None = None) -> ClickStep:
    """Automatic mode as a step: the global net finds the photo's main subject, with no click (``previous``
    guides it when given). Like a first click it may change the whole mask."""
    prediction = model.predict_global(photo, (), previous)
    return ClickStep((), photo.height, photo.width, Rect(0, 0, photo.width, photo.height), prediction,
                     to_soft_u8(prediction.probability))


def view_step(model: CutoutModel, rgb: np.ndarray, step: ClickStep, scale: float, refine_edges: bool = True,
              cancel: CancelToken | None = None) -> np.ndarray:
    """A first step's refined mask at ``scale`` of the photo (uint8, the whole photo): what a view that shows
    the photo at that scale needs, in a fraction of the full-resolution refinement's time. The refiner and the
    edge filter run on the photo resized to that scale, with the step's probability read at those pixels."""
    height, width = rgb.shape[:2]
    h, w = max(1, round(height * scale)), max(1, round(width * scale))
    small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    bands = model.refine_rows(small, ScaledProbability(step.coarse(), height, width, h, w), cancel=cancel,
                              tile_size=model.tile_size)
    return soft_mask(bands, small, refine_edges)


def predict_window(model: CutoutModel, rgb: np.ndarray, window: Rect, clicks: Sequence[Click],
                    previous: np.ndarray | None) -> GlobalPrediction:
    """The global net on ``window`` of the photo, with the clicks inside it and the previous mask's window."""
    inside = [Click(c.x - window.x, c.y - window.y, c.positive) for c in clicks
              if window.x <= c.x < window.right and window.y <= c.y < window.bottom]
    crop = np.ascontiguousarray(rgb[window.slices])
    return model.predict_global(model.prepare(crop), inside, None if previous is None else previous[window.slices])


def grid_point(click: Click, window: Rect, shape: tuple[int, ...]) -> tuple[int, int]:
    """The click's pixel on the grid (``shape``) of a global pass over ``window``."""
    gh, gw = shape[:2]
    x = int((click.x - window.x) * gw / window.w)
    y = int((click.y - window.y) * gh / window.h)
    return min(max(x, 0), gw - 1), min(max(y, 0), gh - 1)


def _grid_to_photo(grid: Rect, shape: tuple[int, ...], window: Rect) -> Rect:
    """A rectangle on the grid (``shape``) of a pass over ``window`` in photo pixels (covering it whole)."""
    gh, gw = shape[:2]
    sx, sy = window.w / gw, window.h / gh
    return Rect.from_bounds(window.x + int(grid.x * sx), window.y + int(grid.y * sy),
                            window.x + int(np.ceil(grid.right * sx)), window.y + int(np.ceil(grid.bottom * sy)))


def refine_step(
    model: CutoutModel,
    rgb: np.ndarray,
    step: ClickStep,
    painted: np.ndarray | None = None,
    refine_edges: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    reuse: Refinement | None = None,
    remember: bool = False,
) -> tuple[np.ndarray, Refinement | None]:
    """The full-resolution soft mask (uint8, photo size) after ``step``, and, with ``remember``, its
    :class:`Refinement` for the next first click to reuse (None after a merged click).

    A first step is refined over the whole photo a band of rows at a time (reusing ``reuse``'s tiles where
    its global probability did not move); a later click only inside its focus region, where it is merged
    into the previous mask. Cancellable between tiles (``cancel``); painted pixels keep the previous mask.
    """
    height, width = step.height, step.width
    coarse = step.coarse()
    focus = step.focus
    previous = step.previous if step.previous is not None else np.zeros((height, width), np.uint8)
    if focus is None:
        if not isinstance(coarse, GlobalPrediction):
            reuse = None
        keep = np.empty((height, width), np.float32) if remember and isinstance(coarse, GlobalPrediction) else None
        bands = model.refine_rows(rgb, coarse, reuse=reuse, progress=progress, cancel=cancel)  # type: ignore[arg-type]
        soft = soft_mask(bands, rgb, refine_edges, keep)
        refinement = None if keep is None else Refinement(coarse, keep)  # type: ignore[arg-type]
        return _keep_painted(step._settle_click(soft), previous, painted), refinement
    if not step.change.any():  # type: ignore[union-attr]
        return _keep_painted(step._settle_click(previous.copy()), previous, painted), None
    radius = default_radius(height, width)
    reach = 2 * radius if refine_edges else 0
    around = focus.grow(reach).clip(height, width)
    prob = model.refine_region(rgb, coarse, around, progress=progress, cancel=cancel)
    if refine_edges:
        if cancel is not None:
            cancel.raise_if_cancelled()
        prob = refine_mask(prob, np.ascontiguousarray(rgb[around.slices]), radius)
    inner = prob[focus.y - around.y : focus.bottom - around.y, focus.x - around.x : focus.right - around.x]
    return _keep_painted(step.merge(to_soft_u8(inner), focus), previous, painted), None
