"""How a mouse gesture on the canvas becomes an edit of the document, for the tool the editor state holds.

The box tool's drag is a :class:`BoxDrag` while the button is held (the canvas draws it) and is handed to
``on_box`` on release; what it asks for (:class:`BoxMode`) is read from the button and modifiers at the press:
a plain drag makes the object in the box the mask, Shift adds it, Alt or the right button removes it, and
Ctrl draws a freehand lasso instead of a box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from cutout_app.core.inference import Box
from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState, Tool

#: Called for a click of the click tool: (x, y, positive) in photo pixels.
ClickHandler = Callable[[float, float, bool], None]


class BoxMode(Enum):
    """What a box or lasso does to the mask."""

    NEW = "new"  # the object in it becomes the mask
    ADD = "add"  # Shift: it is added to the mask
    REMOVE = "remove"  # Alt or the right button: it is taken out, inside the box only


@dataclass
class BoxDrag:
    """A box (``lasso`` False: from the first point to the last) or a lasso (the points in order) being dragged,
    in photo pixels; the points may lie outside the photo until :meth:`box` clips them."""

    points: list[tuple[float, float]]
    mode: BoxMode = BoxMode.NEW
    lasso: bool = False

    def extend(self, x: float, y: float) -> None:
        """The pointer moved to (x, y): a box's far corner, or the lasso's next point."""
        if self.lasso or len(self.points) < 2:
            self.points.append((x, y))
        else:
            self.points[-1] = (x, y)

    def outline(self) -> list[tuple[float, float]]:
        """The corners of the box (or the lasso's points) to draw, in photo pixels."""
        if self.lasso:
            return list(self.points)
        (x0, y0), (x1, y1) = self.points[0], self.points[-1]
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def box(self, width: int, height: int) -> Box | None:
        """The core :class:`Box` of this drag clipped to a ``width`` x ``height`` photo, or None when nothing of it
        with an area (at least a pixel each way) lies inside the photo."""
        clipped = [(min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))) for x, y in self.outline()]
        xs, ys = [p[0] for p in clipped], [p[1] for p in clipped]
        if max(xs) - min(xs) < 1 or max(ys) - min(ys) < 1 or (self.lasso and len(clipped) < 3):
            return None
        positive = self.mode is not BoxMode.REMOVE
        if self.lasso:
            return Box.around(clipped, positive)
        return Box(min(xs), min(ys), max(xs), max(ys), positive)


@dataclass
class Gesture:
    """Turns presses, moves and releases (in image coordinates) into edits of a document."""

    state: EditorState
    on_click: ClickHandler | None = None
    on_box: Callable[[BoxDrag], None] | None = None
    #: The box tool's drag while the button is held.
    drag: BoxDrag | None = None
    _mode: str | None = None
    _keep_points: list[tuple[float, float]] = field(default_factory=list)
    _keep_edit: int = -1  # document.edit_count right after the last keep click

    @property
    def painting(self) -> bool:
        """True between the press and the release of a brush stroke or of a box tool's drag."""
        return self._mode is not None or self.drag is not None

    def press(self, doc: Document, x: float, y: float, right: bool = False, shift: bool = False,
              alt: bool = False, ctrl: bool = False) -> None:
        """Start a stroke (brushes; the right button paints the opposite mode) or a box tool's drag, or apply a click."""
        tool = self.state.tool
        if tool is Tool.BOX:
            mode = BoxMode.REMOVE if right or alt else BoxMode.ADD if shift else BoxMode.NEW
            self.drag = BoxDrag([(x, y)], mode, lasso=ctrl)
            return
        if tool in (Tool.ADD, Tool.ERASE):
            mode = tool.value
            if right:
                mode = "erase" if mode == "add" else "add"
            self._mode = mode
            doc.begin_stroke(x, y, self.state.brush_radius, self.state.brush_hardness, mode)
        elif tool is Tool.CLICK:
            if self.on_click is not None:
                self.on_click(x, y, not (right or shift))
        elif tool is Tool.REGION:
            self._region_click(doc, x, y, right, shift)

    def _region_click(self, doc: Document, x: float, y: float, right: bool, shift: bool) -> None:
        if right:
            self._keep_points.clear()
            doc.remove_region_at((x, y))
        elif shift and self._keep_points and self._keep_edit == doc.edit_count:
            # Shift+click adds a region to the last keep: redo that keep with one more point.
            doc.undo()
            self._keep_points.append((x, y))
            doc.keep_regions_at(self._keep_points)  # None: the points now cover every region
        else:
            self._keep_points = [(x, y)]
            if not doc.keep_regions_at(self._keep_points):
                self._keep_points.clear()
        self._keep_edit = doc.edit_count

    def move(self, doc: Document, x: float, y: float) -> None:
        """Continue a stroke or a drag."""
        if self.drag is not None:
            self.drag.extend(x, y)
        elif self._mode is not None:
            doc.stroke_to(x, y, self.state.brush_radius, self.state.brush_hardness, self._mode)

    def release(self, doc: Document) -> None:
        """End a stroke (one undo step) or a drag (handed to ``on_box``)."""
        drag, self.drag = self.drag, None
        if drag is not None:
            if self.on_box is not None:
                self.on_box(drag)
        elif self._mode is not None:
            self._mode = None
            doc.end_stroke()
