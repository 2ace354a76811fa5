"""Zoom-in: from the second click on, the global net sees a window around the object instead of the whole photo.

The global net sees the photo at a few hundred pixels, so a small object, or the detail a later click is
about, gets only a few of its pixels. RITM's zoom-in (Sofiiuk et al. 2021) crops the photo around the
current object and the clicks, expanded by a margin, and runs the net on that window at its full input
size. :func:`zoom_window` chooses the window; :class:`WindowedProbability` is the probability the refiner
then refines: the window's answer inside it and the current mask outside, so that tiles far from the
click keep what they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.geometry import Rect
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import GlobalPrediction

#: The window is the bounding box of the object and the clicks, grown by this factor (RITM's 1.4).
ZOOM_EXPAND = 1.4
#: ...and at least this share of the photo's long side on each axis, so the net keeps some context.
ZOOM_MIN_SIDE = 0.2
#: A window whose long side is more than this share of the photo's shows the net little more detail than
#: the whole photo does: the whole photo is used instead.
ZOOM_MAX_SIDE = 0.7


def zoom_window(height: int, width: int, current: np.ndarray | None, clicks: Sequence[Click], net_size: int) -> Rect | None:
    """The window (photo pixels) to run the global net on, or None for the whole photo.

    ``current`` is the current object as a bool map of any size covering the whole photo (the global net's
    view of the previous mask will do); ``clicks`` are in photo pixels. The window is at least ``net_size``
    (the net's input edge) on each axis where the photo allows: zooming in shows the net more of the photo's
    own pixels, never the same pixels enlarged.
    """
    boxes = [Rect(int(c.x), int(c.y), 1, 1) for c in clicks]
    if current is not None and current.any():
        x, y, w, h = cv2.boundingRect(current.astype(np.uint8))
        sy, sx = height / current.shape[0], width / current.shape[1]
        boxes.append(Rect.from_bounds(int(x * sx), int(y * sy), int(np.ceil((x + w) * sx)), int(np.ceil((y + h) * sy))))
    if not boxes:
        return None
    box = boxes[0]
    for other in boxes[1:]:
        box = box.union(other)
    least = max(ZOOM_MIN_SIDE * max(height, width), net_size)
    side_w, side_h = max(box.w * ZOOM_EXPAND, least), max(box.h * ZOOM_EXPAND, least)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    window = Rect.from_bounds(round(cx - side_w / 2), round(cy - side_h / 2), round(cx + side_w / 2), round(cy + side_h / 2))
    window = _shift_inside(window, height, width)
    return None if max(window.w, window.h) > ZOOM_MAX_SIDE * max(height, width) else window


def _shift_inside(window: Rect, height: int, width: int) -> Rect:
    """The window moved (not shrunk) to lie inside the photo where it fits, else clipped."""
    x = min(max(window.x, 0), max(0, width - window.w))
    y = min(max(window.y, 0), max(0, height - window.h))
    return Rect(x, y, window.w, window.h).clip(height, width)


@dataclass(frozen=True)
class WindowedProbability:
    """A photo-size probability made of a window's global prediction and, outside it, a full-size base.

    It answers the refiner's two questions as :class:`GlobalPrediction` does (:meth:`upsampled_at`,
    :meth:`footprint`) without making the photo-size array: ``base`` (uint8 0..255 or float 0..1, the
    photo's size) is read where asked, the window's prediction upsampled there.
    """

    base: np.ndarray
    window: Rect
    inner: GlobalPrediction  # of the window: height and width are the window's

    @property
    def height(self) -> int:
        """The photo's height."""
        return self.base.shape[0]

    @property
    def width(self) -> int:
        """The photo's width."""
        return self.base.shape[1]

    def _base(self, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray:
        if isinstance(rows, slice) and isinstance(cols, slice):
            values = self.base[rows, cols]
        else:
            values = self.base[np.ix_(_indices(rows, self.height), _indices(cols, self.width))]
        return values.astype(np.float32) / 255.0 if values.dtype == np.uint8 else values.astype(np.float32)

    def upsampled_at(self, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray:
        """The probability at rows ``rows`` and columns ``cols`` of the photo (float32)."""
        out = self._base(rows, cols)
        rows, cols = _indices(rows, self.height), _indices(cols, self.width)
        w = self.window
        r_in = np.flatnonzero((rows >= w.y) & (rows < w.bottom))
        c_in = np.flatnonzero((cols >= w.x) & (cols < w.right))
        if len(r_in) and len(c_in):
            out[np.ix_(r_in, c_in)] = self.inner.upsampled_at(rows[r_in] - w.y, cols[c_in] - w.x)
        return out

    def footprint(self, rows: slice, cols: slice) -> np.ndarray:
        """Values whose minimum and maximum bound :meth:`upsampled_at` over ``rows`` x ``cols`` (a flat array)."""
        r, c = _indices(rows, self.height), _indices(cols, self.width)
        if not len(r) or not len(c):
            return np.zeros(1, np.float32)
        tile = Rect.from_bounds(int(c.min()), int(r.min()), int(c.max()) + 1, int(r.max()) + 1)
        parts = [self._base(rows, cols).ravel()]
        inside = tile.intersect(self.window)
        if not inside.empty:
            local = slice(inside.y - self.window.y, inside.bottom - self.window.y)
            parts.append(self.inner.footprint(local, slice(inside.x - self.window.x, inside.right - self.window.x)).ravel())
        return np.concatenate(parts)


def _indices(index: slice | np.ndarray, length: int) -> np.ndarray:
    return np.arange(*index.indices(length)) if isinstance(index, slice) else np.asarray(index)



@dataclass(frozen=True)
class ScaledProbability:
    """A photo-size probability (``source``, of ``height`` x ``width``) read on the grid of the photo resized to
    ``small_h`` x ``small_w``: the refiner's input for a view-resolution pass."""

    source: GlobalPrediction | WindowedProbability
    height: int
    width: int
    small_h: int
    small_w: int

    def _rows(self, index: slice | np.ndarray) -> np.ndarray:
        return _photo_index(_indices(index, self.small_h), self.height, self.small_h)

    def _cols(self, index: slice | np.ndarray) -> np.ndarray:
        return _photo_index(_indices(index, self.small_w), self.width, self.small_w)

    def upsampled_at(self, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray:
        """The probability at rows ``rows`` and columns ``cols`` of the small grid (float32)."""
        return self.source.upsampled_at(self._rows(rows), self._cols(cols))

    def footprint(self, rows: slice, cols: slice) -> np.ndarray:
        """Values whose minimum and maximum bound :meth:`upsampled_at` over ``rows`` x ``cols`` of the small grid."""
        r, c = self._rows(rows), self._cols(cols)
        if not len(r) or not len(c):
            return np.zeros(1, np.float32)
        return self.source.footprint(slice(int(r.min()), int(r.max()) + 1), slice(int(c.min()), int(c.max()) + 1))


def _photo_index(small: np.ndarray, full: int, size: int) -> np.ndarray:
    """The photo pixel at the centre of each pixel ``small`` of a grid of ``size`` over ``full`` pixels."""
    return np.clip(np.floor((small + 0.5) * (full / size)), 0, full - 1).astype(np.intp)
