"""Pixel rectangles: the boxes that mask edits, undo diffs, the autosave journal, the display and the click
steps (zoom windows, focus regions) share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    """An axis-aligned pixel rectangle: columns ``x .. x+w-1``, rows ``y .. y+h-1``."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.y + self.h

    @property
    def empty(self) -> bool:
        """True when the rectangle holds no pixel."""
        return self.w <= 0 or self.h <= 0

    @property
    def area(self) -> int:
        """Number of pixels (0 if empty)."""
        return 0 if self.empty else self.w * self.h

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` for indexing a numpy array: ``arr[rect.slices]``."""
        return slice(self.y, self.bottom), slice(self.x, self.right)

    @classmethod
    def from_bounds(cls, x0: int, y0: int, x1: int, y1: int) -> Rect:
        """The rectangle ``[x0, x1) x [y0, y1)``."""
        return cls(int(x0), int(y0), int(x1) - int(x0), int(y1) - int(y0))

    def union(self, other: Rect | None) -> Rect:
        """Smallest rectangle holding both (an empty one or None is ignored)."""
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Rect.from_bounds(
            min(self.x, other.x), min(self.y, other.y), max(self.right, other.right), max(self.bottom, other.bottom)
        )

    def intersect(self, other: Rect) -> Rect:
        """Overlap of both (possibly empty)."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect.from_bounds(x0, y0, max(x0, x1), max(y0, y1))

    def clip(self, height: int, width: int) -> Rect:
        """This rectangle cut to an image of ``height`` x ``width``."""
        return self.intersect(Rect(0, 0, width, height))

    def grow(self, margin: int) -> Rect:
        """The rectangle enlarged by ``margin`` pixels on every side."""
        return Rect(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)

    def contains_point(self, x: int, y: int) -> bool:
        """Whether pixel (x, y) lies in the rectangle."""
        return self.x <= x < self.right and self.y <= y < self.bottom
