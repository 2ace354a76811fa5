"""The connected regions of a soft mask as the region tool sees them, so the window can show what a click takes.

:meth:`~cutout_app.core.editing.mask_edit.EditableMask.keep_regions_at` and ``remove_region_at`` act
on the 8-connected component of ``soft >= threshold`` under the click; :class:`RegionMap` labels all of
them once (a few hundred ms on 24 MP, so the window builds it off the GUI thread) and then answers
"which region is under the pointer" at once, and draws that region at any preview level.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from cutout_app.core.edges.alpha import threshold_level
from cutout_app.core.geometry import Rect


class RegionMap:
    """The foreground regions (``soft >= threshold``, 8-connected) of a soft mask, labelled 1..count."""

    def __init__(self, soft: np.ndarray, threshold: float) -> None:
        if soft.dtype != np.uint8 or soft.ndim != 2:
            raise ValueError(f"soft mask must be 2-D uint8, got {soft.dtype} {soft.shape}")
        level = threshold_level(threshold)
        binary = cv2.compare(soft, level - 1, cv2.CMP_GT) if level > 0 else np.full(soft.shape, 255, np.uint8)
        count, self.labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_32S)
        self.count = int(count) - 1  # label 0 is the background
        self._stats = stats
        self.threshold = threshold

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the mask."""
        return self.labels.shape  # type: ignore[return-value]

    def region_at(self, x: float, y: float) -> int:
        """The label of the region under image point (x, y); 0 on background or outside the image."""
        col, row = math.floor(x), math.floor(y)
        height, width = self.labels.shape
        if not (0 <= col < width and 0 <= row < height):
            return 0
        return int(self.labels[row, col])

    def bounds(self, label: int) -> Rect:
        """The bounding box of region ``label`` (1..count)."""
        x, y, w, h = (int(v) for v in self._stats[label, :4])
        return Rect(x, y, w, h)

    def area(self, label: int) -> int:
        """Pixels of region ``label``."""
        return int(self._stats[label, cv2.CC_STAT_AREA])

    def mask(self, label: int, rect: Rect, level: int = 0) -> np.ndarray:
        """Region ``label`` (255) over ``rect`` of preview level ``level`` (2**level times smaller), nearest pixels."""
        step = 1 << level
        sampled = self.labels[rect.y * step : rect.bottom * step : step, rect.x * step : rect.right * step : step]
        return cv2.compare(np.ascontiguousarray(sampled), label, cv2.CMP_EQ) if sampled.size else np.zeros((rect.h, rect.w), np.uint8)
