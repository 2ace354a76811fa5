"""Draws the exposed part of a document with QPainter, from the pyramid level that suits the zoom.

The pixels come from core.display (overlay colours, checkerboard composite, the pyramids); this module only
picks the region, wraps the numpy results in QImages and draws them at the right place.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from cutout_app.core.edges import alpha_from_soft, lut_for
from cutout_app.core.editing import PreviewPyramid, Rect, composite_on_checker, overlay_rgba, scaled_mask
from cutout_app.gui.document import Document
from cutout_app.gui.view_transform import ViewTransform


class Content(Enum):
    """What a pane shows."""

    ORIGINAL = "original"
    OVERLAY = "overlay"
    CUTOUT = "cutout"


def numpy_to_qimage(arr: np.ndarray, fmt: QImage.Format) -> QImage:
    """Wrap a C-contiguous H x W x C uint8 array as a QImage without copying.

    The QImage does not own the memory: keep ``arr`` alive while the image is used.
    """
    if not arr.flags.c_contiguous:
        raise ValueError("array must be C-contiguous")
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, arr.strides[0], fmt)


class Renderer:
    """Pyramids of a document's photo and soft mask, and drawing of any region of them."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.photo = PreviewPyramid(document.rgb)
        # Level 0 is the mask's own array, edited in place; the smaller levels follow via invalidate().
        self.mask = PreviewPyramid(document.soft)
        self._lut_key: tuple[float, float] | None = None
        self._lut: np.ndarray | None = None
        # The preview scaled to one level: its source array (held, so that identity is a safe key) and level.
        self._preview_key: tuple[np.ndarray, int] | None = None
        self._preview_level: np.ndarray | None = None

    def invalidate(self, rect: Rect | None) -> None:
        """The soft mask changed inside ``rect`` (None: everywhere): refresh the smaller levels there."""
        if self.mask.base is not self.document.soft:
            self.mask.set_base(self.document.soft)
            return
        self.mask.update(rect if rect is not None else self.document.mask.full_rect)

    def view_lut(self) -> np.ndarray:
        """The soft -> alpha table of the document's current threshold and softness."""
        key = (self.document.settings.threshold, self.document.settings.softness)
        if key != self._lut_key or self._lut is None:
            self._lut, self._lut_key = lut_for(*key), key
        return self._lut

    def soft_level(self, level: int) -> np.ndarray:
        """The soft mask shown at pyramid ``level``: the document's click preview while it has one."""
        preview = self.document.preview
        if preview is None:
            return self.mask.level(level)
        if self._preview_key is None or self._preview_key[0] is not preview or self._preview_key[1] != level:
            self._preview_level = scaled_mask(preview, self.mask.level(level).shape[:2])
            self._preview_key = (preview, level)
        assert self._preview_level is not None
        return self._preview_level

    def level_for(self, scale: float) -> int:
        return self.mask.level_for_scale(scale)

    def visible_rect(self, transform: ViewTransform, area: QRect, level: int) -> Rect:
        """The level-``level`` rect that covers widget ``area`` (pane coordinates), with a 1-pixel margin."""
        doc = self.document
        x0, y0, x1, y1 = transform.widget_rect_to_image(area, doc.width, doc.height)
        if x1 <= x0 or y1 <= y0:
            return Rect(0, 0, 0, 0)
        lh, lw = self.mask.level(level).shape[:2]
        return PreviewPyramid.rect_at_level(Rect.from_bounds(x0, y0, x1, y1), level).grow(1).clip(lh, lw)

    def draw(
        self,
        painter: QPainter,
        transform: ViewTransform,
        area: QRect,
        content: Content,
        overlay_color: QColor,
        overlay_opacity: float,
    ) -> None:
        """Draw ``content`` for widget ``area`` (pane coordinates; the painter is translated to the pane)."""
        level = self.level_for(transform.scale)
        r = self.visible_rect(transform, area, level)
        if r.empty:
            return
        f = 1 << level
        s = transform.scale * f
        target = QRectF(r.x * s + transform.offset_x, r.y * s + transform.offset_y, r.w * s, r.h * s)
        # Smooth when shrinking or slightly enlarging; from 200% up show crisp pixels for precise editing.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, transform.scale < 2.0)
        rgb = np.ascontiguousarray(self.photo.level(level)[r.slices])
        soft = self.soft_level(level)[r.slices]
        if content is Content.CUTOUT:
            alpha = alpha_from_soft(np.ascontiguousarray(soft), *self._lut_key_now())
            pixels = composite_on_checker(rgb, alpha, r.x, r.y)
            painter.drawImage(target, numpy_to_qimage(pixels, QImage.Format.Format_RGB888))
            return
        painter.drawImage(target, numpy_to_qimage(rgb, QImage.Format.Format_RGB888))
        if content is Content.OVERLAY and overlay_opacity > 0:
            color = (overlay_color.red(), overlay_color.green(), overlay_color.blue())
            over = overlay_rgba(np.ascontiguousarray(soft), color, overlay_opacity, view_lut=self.view_lut())
            painter.drawImage(target, numpy_to_qimage(over, QImage.Format.Format_RGBA8888_Premultiplied))

    def _lut_key_now(self) -> tuple[float, float]:
        return self.document.settings.threshold, self.document.settings.softness
