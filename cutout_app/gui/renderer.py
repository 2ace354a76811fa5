"""Draws the exposed part of a document with QPainter, from the pyramid level that suits the zoom.

The pixels come from core (the alpha with its edge width and shift, overlay colours, the cut-out on a
checkerboard or a colour, the outline, the pyramids); this module only picks the region, wraps the numpy
results in QImages and draws them at the right place. Until the photo has a mask, the cut-out shows
the photo itself: an empty checkerboard would look like a photo that failed to open. The previews of what
a click would take are tints over it: the region tool's (:data:`REGION_COLOR`) and the click tool's hover
preview (:data:`HOVER_COLOR`), both unlike the mask's overlay.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QImage, QPainter

from cutout_app.core.edges import mask_alpha
from cutout_app.core.editing import (
    PreviewPyramid,
    composite_on_checker,
    composite_on_color,
    outline_rgba,
    overlay_rgba,
    scaled_mask,
)
from cutout_app.core.geometry import Rect
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import Backdrop, EditorState, OverlayTint
from cutout_app.gui.hover_preview import HoverPreview
from cutout_app.gui.region_preview import RegionPreview
from cutout_app.gui.view_transform import ViewTransform

#: The region tool's preview: the region a click takes.
REGION_COLOR = (255, 200, 0)
#: The click tool's hover preview: what a keep click where the pointer rests would take, and its opacity.
HOVER_COLOR = (0, 190, 255)
HOVER_OPACITY = 0.45
BACKDROP_COLORS = {Backdrop.WHITE: (255, 255, 255), Backdrop.BLACK: (0, 0, 0)}


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

    def __init__(self, document: Document, state: EditorState, regions: RegionPreview | None = None,
                 hover: HoverPreview | None = None) -> None:
        self.document = document
        self.state = state
        self.regions = regions
        self.hover = hover
        self.photo = PreviewPyramid(document.rgb)
        # Level 0 is the mask's own array, edited in place; the smaller levels follow via invalidate().
        self.mask = PreviewPyramid(document.soft)
        # The preview scaled to one level: its source array (held, so that identity is a safe key) and level.
        self._preview_key: tuple[np.ndarray, int] | None = None
        self._preview_level: np.ndarray | None = None
        self._hover_key: tuple[np.ndarray, int] | None = None  # the same for the hover preview's picture
        self._hover_level: np.ndarray | None = None

    def invalidate(self, rect: Rect | None) -> None:
        """The soft mask changed inside ``rect`` (None: everywhere): refresh the smaller levels there."""
        if self.mask.base is not self.document.soft:
            self.mask.set_base(self.document.soft)
            return
        self.mask.update(rect if rect is not None else self.document.mask.full_rect)

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

    def draw(self, painter: QPainter, transform: ViewTransform, area: QRect, content: Content) -> None:
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
        state = self.state
        if not self.document.shows_mask:
            content = Content.ORIGINAL
        alpha = self._alpha(level, r) if content is not Content.ORIGINAL or state.show_outline else None
        if content is Content.CUTOUT:
            assert alpha is not None
            backdrop = BACKDROP_COLORS.get(state.cutout_backdrop)
            pixels = composite_on_checker(rgb, alpha, r.x, r.y) if backdrop is None else composite_on_color(rgb, alpha, backdrop)
            painter.drawImage(target, numpy_to_qimage(pixels, QImage.Format.Format_RGB888))
        else:
            painter.drawImage(target, numpy_to_qimage(rgb, QImage.Format.Format_RGB888))
        if content is Content.OVERLAY and state.overlay_opacity > 0:
            assert alpha is not None
            color = state.overlay_color
            over = overlay_rgba(alpha, (color.red(), color.green(), color.blue()), state.overlay_opacity,
                                invert=state.overlay_tint is OverlayTint.REMOVED)
            painter.drawImage(target, numpy_to_qimage(over, QImage.Format.Format_RGBA8888_Premultiplied))
        if alpha is not None and state.show_outline and self.document.shows_mask:
            painter.drawImage(target, numpy_to_qimage(outline_rgba(alpha), QImage.Format.Format_RGBA8888_Premultiplied))
        self._draw_region(painter, target, r, level)
        self._draw_hover(painter, target, r, level)

    def _alpha(self, level: int, r: Rect) -> np.ndarray:
        """The alpha of level-``level`` rect ``r``: what the export will hold there, at this level's scale."""
        return mask_alpha(self.soft_level(level), self.document.settings, (r.x, r.y, r.w, r.h), scale=1.0 / (1 << level))

    def _draw_region(self, painter: QPainter, target: QRectF, r: Rect, level: int) -> None:
        """The region tool's preview: the hovered region tinted."""
        preview = self.regions
        if preview is None or not preview.label or preview.regions is None:
            return
        if preview.regions.shape != self.document.soft.shape:
            return
        bounds = PreviewPyramid.rect_at_level(preview.regions.bounds(preview.label), level).intersect(r)
        if bounds.empty:
            return
        region = preview.regions.mask(preview.label, bounds, level)
        tint = overlay_rgba(region, REGION_COLOR, 0.55)
        s = target.width() / r.w
        box = QRectF(target.x() + (bounds.x - r.x) * s, target.y() + (bounds.y - r.y) * s, bounds.w * s, bounds.h * s)
        painter.drawImage(box, numpy_to_qimage(tint, QImage.Format.Format_RGBA8888_Premultiplied))

    def _draw_hover(self, painter: QPainter, target: QRectF, r: Rect, level: int) -> None:
        """The click tool's hover preview: what a keep click would take, tinted."""
        picture = self.hover.picture if self.hover is not None and self.hover.document is self.document else None
        if picture is None:
            return
        if self._hover_key is None or self._hover_key[0] is not picture or self._hover_key[1] != level:
            self._hover_level = scaled_mask(picture, self.mask.level(level).shape[:2])
            self._hover_key = (picture, level)
        assert self._hover_level is not None
        tint = overlay_rgba(np.ascontiguousarray(self._hover_level[r.slices]), HOVER_COLOR, HOVER_OPACITY)
        painter.drawImage(target, numpy_to_qimage(tint, QImage.Format.Format_RGBA8888_Premultiplied))
