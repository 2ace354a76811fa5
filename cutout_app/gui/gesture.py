"""How a mouse gesture on the canvas becomes an edit of the document, for the tool the editor state holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from cutout_app.gui.document import Document
from cutout_app.gui.editor_state import EditorState, Tool

#: Called for a click of the click tool: (x, y, positive) in photo pixels.
ClickHandler = Callable[[float, float, bool], None]


@dataclass
class Gesture:
    """Turns presses, moves and releases (in image coordinates) into edits of a document."""

    state: EditorState
    on_click: ClickHandler | None = None
    _mode: str | None = None
    _keep_points: list[tuple[float, float]] = field(default_factory=list)
    _keep_edit: int = -1  # document.edit_count right after the last keep click

    @property
    def painting(self) -> bool:
        """True between the press and the release of a brush stroke."""
        return self._mode is not None

    def press(self, doc: Document, x: float, y: float, right: bool = False, shift: bool = False) -> None:
        """Start a stroke (brushes; the right button paints the opposite mode), or apply a click."""
        tool = self.state.tool
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
        """Continue a stroke."""
        if self._mode is not None:
            doc.stroke_to(x, y, self.state.brush_radius, self.state.brush_hardness, self._mode)

    def release(self, doc: Document) -> None:
        """End a stroke: one undo step."""
        if self._mode is not None:
            self._mode = None
            doc.end_stroke()
