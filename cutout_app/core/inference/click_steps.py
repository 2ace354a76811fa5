"""A click's global pass: the first click takes the net's answer (or a candidate of it), a later one is merged.

:func:`click_step` reads the last click through the zoom window (``core.inference.zoom``), merges the reading
into the current mask progressively (``core.inference.click_merge``), and when that reading would undo an
earlier click or not move the clicked pixel, reads the click again: through a window around it alone, then as
the thing under it (what a lone keep click there finds). A remove click takes out that thing rather than a
hole when the net's own removal is far smaller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from cutout_app.core.edges.alpha import to_soft_u8
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.click_merge import LEVEL, Merge, component_at, progressive_merge
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import GlobalInput, GlobalPrediction, resize_mask
from cutout_app.core.inference.interactive import ClickStep, grid_point, predict_window
from cutout_app.core.inference.two_stage import CutoutModel
from cutout_app.core.inference.zoom import zoom_window

#: A first click's object smaller than this share of the photo is looked at again through a zoom window.
SMALL_OBJECT = 0.03
#: A click the net reads wrongly is read again through a window of this share of the photo's long side
#: around it.
LOCAL_SIDE = 0.25
#: A remove click takes the whole thing under it when the net's removal is less than this share of it...
GROW_TO_THING = 3.0
#: ...unless that thing is more than this share of the mask (a remove click is not Esc).
MOST_OF_MASK = 0.8


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
                prediction, chosen = _chosen(predict_window(model, rgb, window, clicks, None), clicks, candidate)
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
            x, y = grid_point(c, self.window, grid)
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
                  else predict_window(model, rgb, window, asked, None if found else previous))
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
    x, y = grid_point(click, Rect(0, 0, photo.width, photo.height), taken.shape)
    return np.count_nonzero(component_at(taken, x, y)) < SMALL_OBJECT * taken.size


def _merge(previous: np.ndarray, new: np.ndarray, click: Click, window: Rect, shape: tuple[int, ...]) -> Merge:
    x, y = grid_point(click, window, shape)
    return progressive_merge(previous, new, x, y, click.positive)
