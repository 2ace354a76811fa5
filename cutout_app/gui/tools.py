"""Editing tools and view modes of the canvas, and how a mouse gesture becomes a document edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from PySide6.QtCore import QCoreApplication

from cutout_app.gui.document import Document

MIN_BRUSH = 1
MAX_BRUSH = 1000
BRUSH_STEP = 1.25


class Tool(Enum):
    """What the left mouse button does on the canvas."""

    ADD = "add"  # paint foreground (B)
    ERASE = "erase"  # paint background (E)
    REGION = "region"  # click: keep the region (left) / remove it (right) (K)
    PAN = "pan"  # drag to pan (H)

    def label(self) -> str:
        labels = {
            Tool.ADD: QCoreApplication.translate("Tool", "Add brush"),
            Tool.ERASE: QCoreApplication.translate("Tool", "Erase brush"),
            Tool.REGION: QCoreApplication.translate("Tool", "Keep / remove region"),
            Tool.PAN: QCoreApplication.translate("Tool", "Pan"),
        }
        return labels[self]


class ViewMode(Enum):
    """How the canvas shows the photo and its mask."""

    OVERLAY = "overlay"  # photo with the mask as a coloured overlay
    CUTOUT = "cutout"  # the cut-out on a checkerboard
    SIDE_BY_SIDE = "side"  # original left, cut-out right, same zoom and pan

    def label(self) -> str:
        labels = {
            ViewMode.OVERLAY: QCoreApplication.translate("ViewMode", "Overlay"),
            ViewMode.CUTOUT: QCoreApplication.translate("ViewMode", "Cutout"),
            ViewMode.SIDE_BY_SIDE: QCoreApplication.translate("ViewMode", "Side by side"),
        }
        return labels[self]


@dataclass
class Brush:
    """Brush size (diameter in image pixels) and hardness (0 soft .. 1 hard)."""

    size: float = 30.0
    hardness: float = 0.7

    @property
    def radius(self) -> float:
        return max(0.5, self.size / 2.0)

    def grow(self) -> None:
        self.size = min(MAX_BRUSH, max(self.size + 1, round(self.size * BRUSH_STEP)))

    def shrink(self) -> None:
        self.size = max(MIN_BRUSH, min(self.size - 1, round(self.size / BRUSH_STEP)))


@dataclass
class Gesture:
    """Turns presses, moves and releases (in image coordinates) into edits of a document."""

    brush: Brush = field(default_factory=Brush)
    tool: Tool = Tool.ADD
    _mode: str | None = None
    _keep_points: list[tuple[float, float]] = field(default_factory=list)
    _keep_edit: int = -1  # document.edit_count right after the last keep click

    @property
    def painting(self) -> bool:
        return self._mode is not None

    def press(self, doc: Document, x: float, y: float, right: bool = False, shift: bool = False) -> None:
        """Start a stroke (brushes; the right button paints the opposite mode) or apply a region click."""
        if self.tool in (Tool.ADD, Tool.ERASE):
            mode = self.tool.value
            if right:
                mode = "erase" if mode == "add" else "add"
            self._mode = mode
            doc.begin_stroke(x, y, self.brush.radius, self.brush.hardness, mode)
        elif self.tool is Tool.REGION:
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
        if self._mode is not None:
            doc.stroke_to(x, y, self.brush.radius, self.brush.hardness, self._mode)

    def release(self, doc: Document) -> None:
        if self._mode is not None:
            self._mode = None
            doc.end_stroke()
