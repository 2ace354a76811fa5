"""Box and lasso prompts: "the object in here", added to the mask or taken out of it inside the box only.

Crop and run: the global net sees the box and a margin around it with a keep click at its centre, and its
answer counts inside the box (or lasso) only; :func:`box_step` makes it a :class:`ClickStep` that the click
tool's refinement and merge take as they take a click's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.edges.alpha import to_soft_u8
from cutout_app.core.errors import ArgumentError
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import resize_mask
from cutout_app.core.inference.interactive import ClickStep, predict_window
from cutout_app.core.inference.two_stage import CutoutModel

#: A box's window reaches this share of its long side beyond it, for context (0.2 scored 0.816 / 0.866 on the
#: composites of box_step's docstring, 0.1 0.810 / 0.857, none 0.805 / 0.863).
BOX_MARGIN = 0.2


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
    if box.points:
        # The lasso rasterised on its box and a ring of pixels outside it (the whole photo's raster there: a
        # 250 MP photo's would be gigabytes of distances).
        near = area.grow(1).clip(height, width)
        lasso = box.inside((near.h, near.w), near)
        if not lasso[min(int(centre.y), height - 1) - near.y, min(int(centre.x), width - 1) - near.x]:
            centre = _lasso_inner_point(lasso, near)
    prediction = predict_window(model, rgb, window, (centre,), None)
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


def _lasso_inner_point(lasso: np.ndarray, near: Rect) -> Click:
    """The point of a lasso (``lasso``: its pixels over ``near``, bool) farthest from its outline (its centre may
    lie outside a bent lasso)."""
    dist = cv2.distanceTransform(np.pad(lasso.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return Click(float(x + near.x), float(y + near.y), True)


def _fit_grid(height: int, width: int, size: int = 64) -> tuple[int, int]:
    """A small grid of the photo's shape, to tell whether a mask has anything in it."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))
