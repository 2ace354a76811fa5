"""Progressive merge: a click changes only the part of the mask that it is about.

FocalClick (Chen et al., CVPR 2022) merges each new prediction into the previous mask instead of taking it
whole: after a keep click only pixels joined to the click can come in, after a remove click only pixels
joined to it can go, and nothing else changes. :func:`progressive_merge` does that on two soft masks of one
grid: the part that moved the click's way and is connected to the click is the *change*; there the new
mask is taken (only adding, or only removing), everywhere else the previous one stays, pixel for pixel.
Its bounding box, grown by :data:`FOCUS_EXPAND`, is the click's *focus region*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cutout_app.core.geometry import Rect

#: A soft mask pixel counts as in the mask from this value on (the editor's default threshold, 0.5).
LEVEL = 128
#: A click whose own pixel did not move takes the moved part nearest to it, this many grid pixels away at most.
NEAR = 3
#: The change is grown by this many grid pixels, so that the new mask's soft edge comes in with it.
EDGE_ROOM = 1
#: The focus region is the change's bounding box grown by this factor (FocalClick's focus crop: 1.75).
FOCUS_EXPAND = 1.75


@dataclass(frozen=True)
class Merge:
    """A merged soft mask, where it may differ from the previous one, and whether the click got its way."""

    mask: np.ndarray  # uint8, the grid's size
    change: np.ndarray  # bool, the grid's size
    acted: bool  # the click's own pixel is now in the mask (keep) or out of it (remove)


def progressive_merge(previous: np.ndarray, new: np.ndarray, x: int, y: int, positive: bool) -> Merge:
    """Merge ``new`` into ``previous`` (uint8 soft masks of one size) for a click at grid pixel (x, y).

    A keep click adds the part of ``new`` that is in the mask where ``previous`` is not and is connected
    to the click; a remove click takes out the part that ``previous`` has and ``new`` has not.
    """
    before, after = previous >= LEVEL, new >= LEVEL
    moved = (after & ~before) if positive else (before & ~after)
    change = component_at(moved, x, y)
    if change.any() and EDGE_ROOM:
        grown = cv2.dilate(change.view(np.uint8), np.ones((2 * EDGE_ROOM + 1,) * 2, np.uint8)).view(bool)
        # Room for the soft edge only where the new mask has it, never across the click's other side.
        change = grown & ((new > previous) if positive else (new < previous))
    mask = previous.copy()
    if positive:
        np.maximum(previous, new, out=mask, where=change)
    else:
        np.minimum(previous, new, out=mask, where=change)
    return Merge(mask, change, (mask[y, x] >= LEVEL) == positive)


def component_at(region: np.ndarray, x: int, y: int, near: int = NEAR) -> np.ndarray:
    """The 8-connected component of bool ``region`` at (x, y), or the one nearest to it within ``near``
    pixels; an empty map when there is none."""
    h, w = region.shape
    if not region.any():
        return np.zeros_like(region)
    y0, y1, x0, x1 = max(0, y - near), min(h, y + near + 1), max(0, x - near), min(w, x + near + 1)
    ys, xs = np.nonzero(region[y0:y1, x0:x1])
    if len(ys) == 0:
        return np.zeros_like(region)
    nearest = int(np.argmin((ys + y0 - y) ** 2 + (xs + x0 - x) ** 2))
    seed = (int(ys[nearest] + y0), int(xs[nearest] + x0))
    _, labels = cv2.connectedComponents(region.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    return labels == labels[seed]


def focus_of(change: np.ndarray) -> Rect | None:
    """The focus region (grid pixels) of a change: its bounding box grown by :data:`FOCUS_EXPAND`, clipped."""
    if not change.any():
        return None
    x, y, w, h = cv2.boundingRect(change.view(np.uint8))
    gw, gh = w * (FOCUS_EXPAND - 1) / 2, h * (FOCUS_EXPAND - 1) / 2
    grown = Rect.from_bounds(math.floor(x - gw), math.floor(y - gh), math.ceil(x + w + gw), math.ceil(y + h + gh))
    return grown.clip(*change.shape)
