"""The image view: zoom, pan, view modes, brush cursor, click dots, and mouse gestures that edit the mask.

Drawing is delegated to :class:`~cutout_app.gui.renderer.Renderer`, which composes only the exposed part of
the image from a pyramid level that suits the zoom. After an edit only the changed rect is repainted.
In side-by-side mode the widget holds two panes (original left, cut-out right) that share one transform.
The tool, brush, view mode and overlay come from the :class:`~cutout_app.gui.editor_state.EditorState`;
the canvas repaints when it changes. Space is :class:`~cutout_app.gui.space_key.SpaceKey`'s: a tap asks
for segmentation, a hold pans, and a pan never changes the mask. With no photo open the canvas says how
to open one. The box tool's drag is drawn as a dashed box or lasso while the button is held; the pointer's
rests feed the click tool's :class:`~cutout_app.gui.hover_preview.HoverPreview`.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from cutout_app.core.edges import edge_reach
from cutout_app.core.geometry import Rect
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState, Tool, ViewMode
from cutout_app.gui.gesture import BoxDrag, BoxMode, Gesture
from cutout_app.gui.hover_preview import HoverPreview
from cutout_app.gui.region_preview import RegionPreview
from cutout_app.gui.renderer import Content, Renderer
from cutout_app.gui.space_key import SpaceKey
from cutout_app.gui.view_transform import ZOOM_STEP, ViewTransform

BACKGROUND = QColor(48, 48, 52)
PANE_GAP = 4
#: Click dots: radius in widget pixels (the same at every zoom) and colours.
DOT_RADIUS = 5.0
KEEP_DOT = QColor(40, 200, 70)
REMOVE_DOT = QColor(230, 40, 40)
#: The box tool's drag: green when it adds (or makes a new mask), red when it removes.
BOX_PEN = {BoxMode.NEW: KEEP_DOT, BoxMode.ADD: KEEP_DOT, BoxMode.REMOVE: REMOVE_DOT}


class ImageCanvas(QWidget):
    """Shows a :class:`Document` and lets the user zoom, pan and paint on it."""

    #: The zoom or pan changed (the status bar shows the zoom).
    view_changed = Signal()
    #: Space was tapped (pressed and released quickly, the mouse untouched): the window runs segmentation.
    segment_requested = Signal()
    #: A click of the click tool at photo pixel (x, y): keep (True) or remove (False).
    click_requested = Signal(float, float, bool)
    #: The box tool's drag ended: the :class:`~cutout_app.gui.gesture.BoxDrag` (photo pixels, not yet clipped).
    box_requested = Signal(object)

    def __init__(self, state: EditorState, regions: RegionPreview | None = None, parent: QWidget | None = None,
                 *, hover: HoverPreview | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAcceptDrops(False)  # the window handles drops
        self.setMinimumSize(200, 150)
        self.transform = ViewTransform()
        self.document: Document | None = None
        self.renderer: Renderer | None = None
        self.gesture = Gesture(state, self.click_requested.emit, self.box_requested.emit)
        self._fitted = True  # the view follows the window (resize, view mode) until the user zooms or pans
        self._pan_from: QPointF | None = None
        self.space = SpaceKey(self)
        self.space.tapped.connect(self.segment_requested)
        self.space.held_changed.connect(lambda held: self._update_cursor_shape())
        self.regions = regions
        if regions is not None:
            regions.changed.connect(self.update)
        self.hover = hover
        if hover is not None:
            hover.changed.connect(self.update)
        self._cursor_pos: QPointF | None = None
        #: The text shown while no photo is open (the window translates it).
        self.empty_text = ""
        state.changed.connect(self._on_state_changed)
        self._update_cursor_shape()

    # ------------------------------------------------------------------ document
    def set_document(self, document: Document | None) -> None:
        """Show ``document`` (None: an empty view) fitted to the window."""
        if self.document is not None:
            self.document.changed.disconnect(self._on_document_changed)
            self.document.view_changed.disconnect(self.update)
            self.document.clicks_changed.disconnect(self.update)
            self.document.preview_changed.disconnect(self.update)
        self.document = document
        self.renderer = Renderer(document, self.state, self.regions, self.hover) if document is not None else None
        if self.hover is not None:
            self.hover.set_document(document)
        if self.regions is not None:
            self.regions.set_document(document)
            self.regions.set_active(document is not None and self.tool is Tool.REGION)
        if document is not None:
            document.changed.connect(self._on_document_changed)
            document.view_changed.connect(self.update)
            document.clicks_changed.connect(self.update)
            document.preview_changed.connect(self.update)
            self.fit_to_window()
        self.update()

    def _on_document_changed(self, rect: Rect | None) -> None:
        if self.renderer is None or self.document is None:
            return
        self.renderer.invalidate(rect)
        if rect is None:
            self.update()
        else:
            settings = self.document.settings  # a shaped edge reaches beyond the pixels that changed
            for widget_rect in self.image_rect_to_widget(rect.grow(edge_reach(settings.edge_px, settings.shift_px) + 1)):
                self.update(widget_rect)

    # ------------------------------------------------------------------ editor state
    @property
    def tool(self) -> Tool:
        return self.state.tool

    def _on_state_changed(self, name: str) -> None:
        if name == "tool":
            self._update_cursor_shape()
            if self.regions is not None:
                self.regions.set_active(self.document is not None and self.tool is Tool.REGION)
        if name == "view_mode" and self._fitted:
            self.fit_to_window()
        self.update()

    # ------------------------------------------------------------------ panes and mapping
    def panes(self) -> list[tuple[QRect, Content]]:
        """The widget areas that show the image, with what each shows."""
        full = self.rect()
        mode = self.state.view_mode
        if mode is ViewMode.SIDE_BY_SIDE:
            half = (full.width() - PANE_GAP) // 2
            return [
                (QRect(0, 0, half, full.height()), Content.ORIGINAL),
                (QRect(half + PANE_GAP, 0, full.width() - half - PANE_GAP, full.height()), Content.CUTOUT),
            ]
        return [(full, Content.CUTOUT if mode is ViewMode.CUTOUT else Content.OVERLAY)]

    def pane_at(self, pos: QPointF) -> QRect | None:
        for rect, _ in self.panes():
            if rect.contains(pos.toPoint()):
                return rect
        return None

    def widget_to_image(self, pos: QPointF) -> tuple[float, float]:
        """Image coordinates of a widget position (in whichever pane it falls; the left one if none)."""
        pane = self.pane_at(pos) or self.panes()[0][0]
        return self.transform.to_image(pos - QPointF(pane.topLeft()))

    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Widget position of an image point in the first pane."""
        return self.transform.to_widget(x, y) + QPointF(self.panes()[0][0].topLeft())

    def image_rect_to_widget(self, rect: Rect) -> list[QRect]:
        """The widget rects (one per pane, clipped to it) that show image rect ``rect``."""
        out = []
        for pane, _ in self.panes():
            r = self.transform.image_rect_to_widget(rect.x, rect.y, rect.w, rect.h, pad=2)
            r = r.translated(pane.topLeft()).intersected(pane)
            if not r.isEmpty():
                out.append(r)
        return out

    # ------------------------------------------------------------------ zoom and pan
    @property
    def zoom(self) -> float:
        return self.transform.scale

    def _pane_center(self) -> QPointF:
        pane = self.panes()[0][0]
        return QPointF(pane.width() / 2, pane.height() / 2)

    def fit_to_window(self) -> None:
        """Show the whole image as large as the pane allows, centred."""
        if self.document is None:
            return
        pane = self.panes()[0][0]
        self.transform.fit(self.document.width, self.document.height, pane.width(), pane.height())
        self._fitted = True
        self._view_moved()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` about ``anchor`` (pane coordinates; default the pane centre)."""
        self._fitted = False
        self.transform.zoom_at(factor, anchor if anchor is not None else self._pane_center())
        self._view_moved()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def set_zoom(self, scale: float) -> None:
        """Set the zoom (1.0 = 100%) about the pane centre."""
        self.zoom_by(scale / self.transform.scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self._fitted = False
        self.transform.pan(dx, dy)
        self._view_moved()

    def _view_moved(self) -> None:
        self.update()
        self.view_changed.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        if self._fitted and self.document is not None:
            self.fit_to_window()
        super().resizeEvent(event)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        exposed = event.rect()
        painter.fillRect(exposed, BACKGROUND)
        if self.renderer is not None:
            for pane, content in self.panes():
                area = pane.intersected(exposed)
                if area.isEmpty():
                    continue
                painter.save()
                painter.setClipRect(area)
                painter.translate(pane.topLeft())
                self.renderer.draw(painter, self.transform, area.translated(-pane.topLeft()), content)
                painter.restore()
            self._paint_clicks(painter)
            self._paint_drag(painter)
        elif self.empty_text:
            painter.setPen(QColor(200, 200, 205))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
        self._paint_cursor(painter)
        painter.end()

    def _paint_clicks(self, painter: QPainter) -> None:
        """Green (keep) and red (remove) dots on the clicks, the same size at every zoom, in every pane."""
        assert self.document is not None
        clicks = self.document.clicks
        if not clicks:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        for pane, _ in self.panes():
            painter.setClipRect(pane)  # a dot near a pane's edge must not spill into the gap or the other pane
            for click in clicks:
                centre = self.transform.to_widget(click.x, click.y) + QPointF(pane.topLeft())
                painter.setBrush(KEEP_DOT if click.positive else REMOVE_DOT)
                painter.drawEllipse(centre, DOT_RADIUS, DOT_RADIUS)
        painter.restore()

    def _drag_polygon(self, drag: BoxDrag) -> QPolygonF:
        """The box tool's drag in widget coordinates (first pane)."""
        return QPolygonF([self.image_to_widget(x, y) for x, y in drag.outline()])

    def _paint_drag(self, painter: QPainter) -> None:
        """The box or lasso being dragged: a dashed outline over a dark one, so it shows on any photo."""
        drag = self.gesture.drag
        if drag is None or not drag.points:
            return
        polygon = self._drag_polygon(drag)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawPolygon(polygon)
        pen = QPen(BOX_PEN[drag.mode], 1.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawPolygon(polygon)
        painter.restore()

    def _drag_area(self) -> QRect | None:
        """The widget rect that the drag's outline covers, pen included (None: no drag)."""
        drag = self.gesture.drag
        return self._drag_polygon(drag).boundingRect().toAlignedRect().adjusted(-3, -3, 3, 3) if drag else None

    def _update_drag_area(self, before: QRect | None) -> None:
        """Repaint where the drag was (``before``) and where it is now."""
        for rect in (before, self._drag_area()):
            if rect is not None:
                self.update(rect)

    def _paint_cursor(self, painter: QPainter) -> None:
        rect = self._cursor_rect()
        if rect is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        centre = QRectF(rect).center()
        r = self.state.brush_radius * self.transform.scale
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
        painter.drawEllipse(centre, r, r)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 1))
        painter.drawEllipse(centre, r, r)

    def _cursor_rect(self) -> QRect | None:
        """Widget rect of the brush outline, or None when it is not shown."""
        if self._cursor_pos is None or self.document is None or self.tool not in (Tool.ADD, Tool.ERASE):
            return None
        if self._pan_from is not None or self.space.held:
            return None
        r = self.state.brush_radius * self.transform.scale + 3
        c = self._cursor_pos
        return QRect(int(c.x() - r) - 1, int(c.y() - r) - 1, int(2 * r) + 3, int(2 * r) + 3)

    def _update_cursor_area(self, old: QRect | None) -> None:
        new = self._cursor_rect()
        for rect in (old, new):
            if rect is not None:
                self.update(rect)

    def _update_cursor_shape(self) -> None:
        if self._pan_from is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self.space.held or self.tool is Tool.PAN:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.tool in (Tool.REGION, Tool.CLICK):
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        pos = event.position()
        button = event.button()
        self.space.use()  # Space held with a mouse button is a pan, never a tap
        if self.hover is not None:
            self.hover.hover(None)  # a press ends the rest: the hover preview goes
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and (self.space.held or self.tool is Tool.PAN)
        ):
            self._pan_from = pos
            self._update_cursor_shape()
            return
        if button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) and self.document is not None:
            assert self.document is not None
            x, y = self.widget_to_image(pos)
            mods = event.modifiers()
            self.gesture.press(self.document, x, y, right=button == Qt.MouseButton.RightButton,
                               shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
                               alt=bool(mods & Qt.KeyboardModifier.AltModifier),
                               ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier))
            self._update_drag_area(None)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        pos = event.position()
        old_cursor = self._cursor_rect()
        self._cursor_pos = pos
        if event.buttons() != Qt.MouseButton.NoButton:
            self.space.use()
        if self.regions is not None and self.regions.active:
            self.regions.hover(self.widget_to_image(pos) if self._pan_from is None else None)
        if self.hover is not None:
            resting = self._pan_from is None and not self.space.held and event.buttons() == Qt.MouseButton.NoButton
            self.hover.hover(self.widget_to_image(pos) if resting and self.pane_at(pos) is not None else None)
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self.pan_by(delta.x(), delta.y())
            return
        if self.gesture.painting and self.document is not None:
            x, y = self.widget_to_image(pos)
            before = self._drag_area()
            self.gesture.move(self.document, x, y)
            self._update_drag_area(before)
        self._update_cursor_area(old_cursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.space.use()
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor_shape()
            return
        if self.gesture.painting and self.document is not None:
            before = self._drag_area()
            self.gesture.release(self.document)
            self._update_drag_area(before)
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        old = self._cursor_rect()
        self._cursor_pos = None
        self._update_cursor_area(old)
        if self.regions is not None:
            self.regions.hover(None)
        if self.hover is not None:
            self.hover.hover(None)
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if self.document is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        pos = event.position()
        pane = self.pane_at(pos) or self.panes()[0][0]
        self.zoom_by(ZOOM_STEP**steps, pos - QPointF(pane.topLeft()))
        event.accept()

    # ------------------------------------------------------------------ keys: Space = segment (tap) or pan (hold)
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if not self.space.key(event, pressed=True):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if not self.space.key(event, pressed=False):
            super().keyReleaseEvent(event)

    def grab_point(self, x: float, y: float) -> QPoint:
        """Widget point over image pixel (x, y) of the first pane (tests and scripts drive the mouse with it)."""
        return self.image_to_widget(x, y).toPoint()
