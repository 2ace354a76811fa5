"""Click-guided segmentation of an open photo: one click's quick mask, then its refined mask.

A click runs the two-stage model twice over: :func:`click_step`, the global pass (fast, shown at once), and
:func:`refine_step`, the full-resolution refinement (slow, cancellable) that replaces it. What a click may
change follows the user's intent, whatever the net answers:

- **The first click** (no mask yet) takes the net's answer whole. A net with candidates answers an
  ambiguous click (one keep click) with several readings (the part, the object, the object with what it
  holds): the one with the best predicted IoU shows, and ``candidate`` picks another.
- **Every later click** is merged progressively (``core.inference.click_merge``): a keep click only adds,
  a remove click only removes, and only the part connected to the click, inside its focus region; every
  other pixel keeps its value. A click never undoes an earlier one: a reading that would take out a keep
  click's pixel (or take in a remove click's) is refused, and the click is read again through a window
  around it. When the net does not move the clicked pixel, the click takes (or drops) the thing under it,
  as a first click there would find it; in the end the clicked pixel always lies on the side the click
  asked for.
- **Zoom-in** (``core.inference.zoom``): from the second click on, and from the first for a small object,
  the global net sees a window around the object and the clicks at its full input size.

Pixels the user painted with the brush (:class:`Stroke`) stay as painted: the model never overwrites a
correction made by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.edges.alpha import default_radius, refine_mask, to_soft_u8
from cutout_app.core.errors import ArgumentError
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.click_merge import LEVEL, Merge, component_at, focus_of, progressive_merge
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import GlobalInput, GlobalPrediction, resize_mask
from cutout_app.core.inference.soft_mask import soft_mask
from cutout_app.core.inference.two_stage import CutoutModel, Refinement
from cutout_app.core.inference.zoom import ScaledProbability, WindowedProbability, zoom_window
from cutout_app.core.progress import CancelToken, ProgressCallback

#: A preview pixel averages up to this many photo pixels per axis (nearest samples beyond): a 24 MP mask's
#: picture in 4 ms instead of 25 (``bench/README.md``), for display only.
PREVIEW_SAMPLES = 2
#: A first click's object smaller than this share of the photo is looked at again through a zoom window.
SMALL_OBJECT = 0.03
#: A click the net reads wrongly is read again through a window of this share of the photo's long side
#: around it.
LOCAL_SIDE = 0.25
#: A remove click takes the whole thing under it when the net's removal is less than this share of it...
GROW_TO_THING = 3.0
#: ...unless that thing is more than this share of the mask (a remove click is not Esc).
MOST_OF_MASK = 0.8
#: A box's window reaches this share of its long side beyond it, for context (0.2 scored 0.816 / 0.866 on the
#: composites of box_step's docstring, 0.1 0.810 / 0.857, none 0.805 / 0.863).
BOX_MARGIN = 0.2


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
    box: Box | None = None  # the step of a box or lasso rather than of the last click

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


@dataclass(frozen=True)
class Box:
    """A box (or, with ``points``, a lasso inside it) around "the object in here", in photo pixels: a
    positive one adds it to the mask, a negative one takes it out."""

    x0: float
    y0: float
    x1: float
    y1: float
    positive: bool = True
    points: tuple[tuple[float, float], ...] = ()  # a lasso's polygon; () for the rectangle itself

    @classmethod
    def around(cls, points: Sequence[tuple[float, float]], positive: bool = True) -> Box:
        """The lasso through ``points`` (photo pixels), in its bounding box."""
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls(min(xs), min(ys), max(xs), max(ys), positive, tuple((float(x), float(y)) for x, y in points))

    def rect(self, height: int, width: int) -> Rect:
        """The box's pixels inside a photo of ``height`` x ``width``."""
        return Rect.from_bounds(math.floor(self.x0), math.floor(self.y0), math.ceil(self.x1), math.ceil(self.y1)).clip(height, width)

    def inside(self, grid: tuple[int, int], window: Rect) -> np.ndarray:
        """The box (or lasso) on the grid (``grid``: height, width) of a pass over ``window``, as bool."""
        gh, gw = grid
        sx, sy = gw / window.w, gh / window.h
        if not self.points:
            out = np.zeros(grid, bool)
            out[max(0, math.floor((self.y0 - window.y) * sy)) : math.ceil((self.y1 - window.y) * sy),
                max(0, math.floor((self.x0 - window.x) * sx)) : math.ceil((self.x1 - window.x) * sx)] = True
            return out
        polygon = np.array([[(x - window.x) * sx, (y - window.y) * sy] for x, y in self.points], np.float32)
        out = np.zeros(grid, np.uint8)
        cv2.fillPoly(out, [np.round(polygon).astype(np.int32)], 1)
        return out.view(bool)


def check_box(box: Box, height: int, width: int) -> Box:
    """``box`` if it has an area inside the photo; :class:`ArgumentError` naming what is wrong otherwise."""
    what = "lasso" if box.points else "box"
    if not all(math.isfinite(v) for v in (box.x0, box.y0, box.x1, box.y1)):
        raise ArgumentError(f"The {what} {box.x0:g},{box.y0:g},{box.x1:g},{box.y1:g} is not made of numbers")
    if box.x1 <= box.x0 or box.y1 <= box.y0:
        raise ArgumentError(f"The {what} {box.x0:g},{box.y0:g},{box.x1:g},{box.y1:g} has no area: write X0,Y0,X1,Y1 "
                            "with X0 < X1 and Y0 < Y1")
    if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
        raise ArgumentError(f"The {what} {box.x0:g},{box.y0:g},{box.x1:g},{box.y1:g} reaches outside the {width}x{height} photo")
    return box


def box_step(model: CutoutModel, rgb: np.ndarray, box: Box, previous: np.ndarray | None = None,
             clicks: Sequence[Click] = ()) -> ClickStep:
    """The quick mask of a box or lasso: the global net on the box and a margin around it with a keep click at
    the box's centre (crop and run), its answer kept inside the box only, and merged into ``previous`` (only
    adding for a positive box, only removing for a negative one). ``clicks`` are the clicks so far, kept with
    the step for the next click.

    On 30 held-out composites a set (duts-tr / ccp-people), the boxed object's IoU before refinement was
    0.82 / 0.87 with the centre click against 0.57 / 0.77 with automatic mode on the same crop
    (``bench/README.md``): in a box that holds parts of neighbours, the salient thing is not always the one
    boxed."""
    height, width = rgb.shape[:2]
    box = check_box(box, height, width)
    area = box.rect(height, width)
    window = area.grow(round(BOX_MARGIN * max(area.w, area.h))).clip(height, width)
    centre = Click((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, True)
    if box.points and not box.inside((height, width), Rect(0, 0, width, height))[min(int(centre.y), height - 1), min(int(centre.x), width - 1)]:
        centre = _lasso_inner_point(box, height, width)
    prediction = _predict_window(model, rgb, window, (centre,), None)
    grid = prediction.probability.shape
    inside = box.inside(grid, window)
    found = np.where(inside, to_soft_u8(prediction.probability), 0).astype(np.uint8)
    has_mask = previous is not None and bool(resize_mask(previous, *_fit_grid(height, width)).max() >= 0.5)
    if not has_mask:
        if not box.positive:  # nothing to take out of an empty mask: a step that changes nothing
            empty = np.zeros(grid, np.uint8)
            return ClickStep(tuple(clicks), height, width, window, prediction, empty, np.zeros(grid, bool), previous=previous, box=box)
        return ClickStep(tuple(clicks), height, width, window, prediction, found, previous=previous, box=box)
    prev_grid = to_soft_u8(resize_mask(previous[window.slices], *grid))  # type: ignore[index]
    new = found if box.positive else np.where(inside, 255 - found, prev_grid).astype(np.uint8)
    change = inside & ((new > prev_grid) if box.positive else (new < prev_grid))
    merged = prev_grid.copy()
    np.copyto(merged, new, where=change)
    return ClickStep(tuple(clicks), height, width, window, prediction, merged, change, previous=previous, box=box)


def _lasso_inner_point(box: Box, height: int, width: int) -> Click:
    """The point of a lasso farthest from its outline (its centre may lie outside a bent lasso)."""
    inside = box.inside((height, width), Rect(0, 0, width, height))
    dist = cv2.distanceTransform(np.pad(inside.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return Click(float(x), float(y), True)


def _fit_grid(height: int, width: int, size: int = 64) -> tuple[int, int]:
    """A small grid of the photo's shape, to tell whether a mask has anything in it."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


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


def click_step(
    model: CutoutModel,
    rgb: np.ndarray,
    photo: GlobalInput,
    clicks: Sequence[Click],
    previous: np.ndarray | None = None,
    candidate: int | None = None,
    zoom: bool = True,
) -> ClickStep:
    """The global pass of the last of ``clicks`` on ``rgb`` (prepared once as ``photo``), merged into
    ``previous`` (the current soft mask, photo size, or None).

    ``candidate`` picks a first click's candidate (default: the best predicted one); ``zoom`` False keeps
    the whole photo in view (to measure what zoom-in brings).
    """
    clicks = tuple(clicks)
    height, width = photo.height, photo.width
    whole = Rect(0, 0, width, height)
    small_prev = None if previous is None else resize_mask(previous, photo.small_h, photo.small_w)
    if small_prev is None or small_prev.max() < 0.5:  # a first click: nothing to merge into
        prediction, chosen = _chosen(model.predict_global(photo, clicks), clicks, candidate)
        window = whole
        if zoom and _small_object(prediction, clicks[-1], photo):
            window = zoom_window(height, width, prediction.probability >= 0.5, clicks, model.global_net.size) or whole
            if window != whole:
                prediction, chosen = _chosen(_predict_window(model, rgb, window, clicks, None), clicks, candidate)
        return ClickStep(clicks, height, width, window, prediction, to_soft_u8(prediction.probability),
                         candidate=chosen, previous=previous)
    window = (zoom_window(height, width, small_prev >= 0.5, clicks, model.global_net.size) if zoom else None) or whole
    click = clicks[-1]
    readings = [lambda: _attempt(model, rgb, photo, window, clicks, previous, small_prev)]
    local = _local_window(height, width, click)
    if local is not None:  # the click's neighbourhood alone, where the net may read it better
        readings.append(lambda: _attempt(model, rgb, photo, local, clicks, previous, small_prev))
    # The thing under the click, as a lone keep click there finds it: what a keep click takes, or a remove
    # click drops, when the net does not move the clicked pixel.
    readings.append(lambda: _attempt(model, rgb, photo, window, clicks, previous, small_prev, found=True))
    harmless = None
    for read in readings:
        reading = read()
        if reading.undoes_a_click(clicks):
            continue
        if reading.acted:
            if not click.positive and read is not readings[-1]:
                reading = _whole_thing(reading, readings[-1](), clicks)
            return reading.step(clicks, height, width, previous)
        harmless = harmless or reading
    if harmless is None:  # every reading would undo another click: change nothing but the clicked pixel
        reading = readings[0]()
        harmless = replace(reading, merge=Merge(reading.prev_grid, np.zeros_like(reading.merge.change), False))
    return harmless.step(clicks, height, width, previous)


def _whole_thing(removal: _Reading, thing: _Reading, clicks: Sequence[Click]) -> _Reading:
    """A remove click takes out the thing under it, not a hole: ``thing`` (the thing under the click, in the
    mask) instead of the net's ``removal`` when that is far smaller, unless the thing is most of the mask or
    takes out a keep click."""
    if not thing.acted or thing.undoes_a_click(clicks):
        return removal
    mask_area = np.count_nonzero(thing.prev_grid >= LEVEL) / thing.prev_grid.size * thing.window.area
    if thing.changed > GROW_TO_THING * removal.changed and thing.changed <= MOST_OF_MASK * mask_area:
        return thing
    return removal


@dataclass(frozen=True)
class _Reading:
    """One reading of a later click through a window: the net's prediction and its merge into the mask."""

    window: Rect
    prediction: GlobalPrediction
    merge: Merge
    prev_grid: np.ndarray  # the previous mask on the window's grid

    @property
    def acted(self) -> bool:
        return self.merge.acted

    @property
    def changed(self) -> float:
        """The changed area in photo pixels (comparable across windows)."""
        return np.count_nonzero(self.merge.change) / self.merge.change.size * self.window.area

    def undoes_a_click(self, clicks: Sequence[Click]) -> bool:
        """Whether the change would take out a keep click's pixel (a remove click) or take in a remove click's
        (a keep click): a click never undoes an earlier one; the net that says so has lost its way."""
        last = clicks[-1]
        grid = self.merge.change.shape
        for c in clicks[:-1]:
            if c.positive == last.positive or not self.window.contains_point(int(c.x), int(c.y)):
                continue
            x, y = _grid_point(c, self.window, grid)
            if self.merge.change[y, x]:
                return True
        return False

    def step(self, clicks: tuple[Click, ...], height: int, width: int, previous: np.ndarray) -> ClickStep:
        return ClickStep(clicks, height, width, self.window, self.prediction, self.merge.mask, self.merge.change, previous=previous)


def _attempt(
    model: CutoutModel, rgb: np.ndarray, photo: GlobalInput, window: Rect, clicks: Sequence[Click],
    previous: np.ndarray, small_prev: np.ndarray, found: bool = False,
) -> _Reading:
    """The last of ``clicks`` read through ``window`` and merged into the previous mask.

    ``found``: the net is asked, with a lone keep click at the same place and no previous mask, for the thing
    under the click, which is then added (keep) or dropped (remove) as the click asks."""
    whole = window == Rect(0, 0, photo.width, photo.height)
    click = clicks[-1]
    asked = (Click(click.x, click.y, True),) if found else clicks
    prediction = (model.predict_global(photo, asked, None if found else small_prev) if whole
                  else _predict_window(model, rgb, window, asked, None if found else previous))
    grid = prediction.probability.shape
    prev_grid = to_soft_u8(small_prev) if whole else to_soft_u8(resize_mask(previous[window.slices], *grid))
    new = to_soft_u8(prediction.probability)
    if found and not click.positive:
        new = 255 - new
    return _Reading(window, prediction, _merge(prev_grid, new, click, window, grid), prev_grid)


def _local_window(height: int, width: int, click: Click) -> Rect | None:
    """A square window of :data:`LOCAL_SIDE` of the photo around ``click`` (None if that is the whole photo)."""
    side = max(16, round(LOCAL_SIDE * max(height, width)))
    window = Rect(int(click.x) - side // 2, int(click.y) - side // 2, side, side)
    x = min(max(window.x, 0), max(0, width - side))
    y = min(max(window.y, 0), max(0, height - side))
    window = Rect(x, y, side, side).clip(height, width)
    return None if window == Rect(0, 0, width, height) else window


def _chosen(prediction: GlobalPrediction, clicks: Sequence[Click], candidate: int | None) -> tuple[GlobalPrediction, int | None]:
    """An ambiguous click's candidate (``candidate``, else the best) and its index, or output 0 and None."""
    if prediction.candidates is None or len(clicks) != 1 or not clicks[0].positive:
        return prediction, None
    k = (prediction.best_candidate() if candidate is None else candidate) % len(prediction.candidates)
    return prediction.chosen(k), k


def _small_object(prediction: GlobalPrediction, click: Click, photo: GlobalInput) -> bool:
    """Whether the object found under ``click`` covers less than :data:`SMALL_OBJECT` of the photo."""
    taken = prediction.probability >= 0.5
    x, y = _grid_point(click, Rect(0, 0, photo.width, photo.height), taken.shape)
    return np.count_nonzero(component_at(taken, x, y)) < SMALL_OBJECT * taken.size


def _predict_window(model: CutoutModel, rgb: np.ndarray, window: Rect, clicks: Sequence[Click],
                    previous: np.ndarray | None) -> GlobalPrediction:
    """The global net on ``window`` of the photo, with the clicks inside it and the previous mask's window."""
    inside = [Click(c.x - window.x, c.y - window.y, c.positive) for c in clicks
              if window.x <= c.x < window.right and window.y <= c.y < window.bottom]
    crop = np.ascontiguousarray(rgb[window.slices])
    return model.predict_global(model.prepare(crop), inside, None if previous is None else previous[window.slices])


def _merge(previous: np.ndarray, new: np.ndarray, click: Click, window: Rect, shape: tuple[int, ...]) -> Merge:
    x, y = _grid_point(click, window, shape)
    return progressive_merge(previous, new, x, y, click.positive)


def _grid_point(click: Click, window: Rect, shape: tuple[int, ...]) -> tuple[int, int]:
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
