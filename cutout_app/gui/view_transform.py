"""The canvas's view transform: the one place that maps widget coordinates to image coordinates and back.

widget = image * scale + offset   (per pane; in side-by-side mode each pane has its own origin)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF

MIN_SCALE = 1 / 64
MAX_SCALE = 32.0
ZOOM_STEP = 1.25


@dataclass
class ViewTransform:
    """Zoom (``scale``, widget pixels per image pixel) and pan (``offset``, widget position of image (0, 0))."""

    scale: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0

    # --- mapping -------------------------------------------------------------------------------
    def to_image(self, point: QPointF) -> tuple[float, float]:
        """Image coordinates (continuous, pixel centres at +0.5) of a widget point."""
        return (point.x() - self.offset_x) / self.scale, (point.y() - self.offset_y) / self.scale

    def to_widget(self, x: float, y: float) -> QPointF:
        """Widget position of image point (x, y)."""
        return QPointF(x * self.scale + self.offset_x, y * self.scale + self.offset_y)

    def image_rect_to_widget(self, x: int, y: int, w: int, h: int, pad: int = 1) -> QRect:
        """Smallest integer widget rect covering the image rect (plus ``pad`` pixels for antialiasing)."""
        x0 = math.floor(x * self.scale + self.offset_x) - pad
        y0 = math.floor(y * self.scale + self.offset_y) - pad
        x1 = math.ceil((x + w) * self.scale + self.offset_x) + pad
        y1 = math.ceil((y + h) * self.scale + self.offset_y) + pad
        return QRect(x0, y0, x1 - x0, y1 - y0)

    def widget_rect_to_image(self, rect: QRectF | QRect, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer image rect (x0, y0, x1, y1), clipped to the image, that covers a widget rect; may be empty."""
        r = QRectF(rect)
        x0 = max(0, math.floor((r.left() - self.offset_x) / self.scale))
        y0 = max(0, math.floor((r.top() - self.offset_y) / self.scale))
        x1 = min(width, math.ceil((r.right() - self.offset_x) / self.scale) + 1)
        y1 = min(height, math.ceil((r.bottom() - self.offset_y) / self.scale) + 1)
        return x0, y0, max(x0, x1), max(y0, y1)

    # --- changing the view -------------------------------------------------------------------
    def zoom_at(self, factor: float, anchor: QPointF) -> None:
        """Multiply the scale by ``factor`` keeping the image point under ``anchor`` fixed."""
        new_scale = min(MAX_SCALE, max(MIN_SCALE, self.scale * factor))
        ix, iy = self.to_image(anchor)
        self.scale = new_scale
        self.offset_x = anchor.x() - ix * new_scale
        self.offset_y = anchor.y() - iy * new_scale

    def pan(self, dx: float, dy: float) -> None:
        self.offset_x += dx
        self.offset_y += dy

    def fit(self, image_w: int, image_h: int, view_w: int, view_h: int, margin: int = 8) -> None:
        """Scale and centre the image so that it fills a view of ``view_w`` x ``view_h`` (``margin`` px spare)."""
        avail_w = max(1, view_w - 2 * margin)
        avail_h = max(1, view_h - 2 * margin)
        self.scale = min(MAX_SCALE, max(MIN_SCALE, min(avail_w / max(1, image_w), avail_h / max(1, image_h))))
        self.offset_x = (view_w - image_w * self.scale) / 2
        self.offset_y = (view_h - image_h * self.scale) / 2
