"""How the user edits and looks at the photo: tool, brush, view mode, overlay and the click tool's options.

:class:`EditorState` is the model the canvas, the tool panel and the actions bind to (as napari's layer
controls bind to their layer): a widget calls :meth:`EditorState.set`, and every view follows the one
``changed`` signal. Each option, its default, its limits and its settings key are written once, in
:data:`OPTIONS`; adding an option is a row there and a widget in the tool panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QColor

from cutout_app.gui.settings import AppSettings
from cutout_app.gui.shortcuts import command

MIN_BRUSH = 1
MAX_BRUSH = 1000
BRUSH_STEP = 1.25


class Tool(Enum):
    """What the left mouse button does on the canvas (keys: :mod:`cutout_app.gui.shortcuts`)."""

    CLICK = "click"  # left click: keep, right or Shift+left: remove; the model segments
    BOX = "box"  # drag a box (Ctrl: a lasso) around an object: new mask; Shift: add; Alt or right: remove
    ADD = "add"  # paint foreground
    ERASE = "erase"  # paint background
    REGION = "region"  # click: keep the region (left) / remove it (right)
    PAN = "pan"  # drag to pan

    def label(self) -> str:
        """The tool's name as the menu shows it."""
        return command(f"tool_{self.value}").menu_text()


class ViewMode(Enum):
    """How the canvas shows the photo and its mask."""

    OVERLAY = "overlay"  # photo with the mask as a coloured overlay
    CUTOUT = "cutout"  # the cut-out on a checkerboard (or a colour)
    SIDE_BY_SIDE = "side"  # original left, cut-out right, same zoom and pan

    def label(self) -> str:
        """The mode's name as the menu and the panel show it."""
        return command(f"view_{self.value}").menu_text()


class OverlayTint(Enum):
    """What the overlay colours: what is kept (the default), or what is removed (as Photoshop's quick mask)."""

    KEPT = "kept"
    REMOVED = "removed"

    def label(self) -> str:
        return {
            OverlayTint.KEPT: QCoreApplication.translate("ViewMode", "What is kept"),
            OverlayTint.REMOVED: QCoreApplication.translate("ViewMode", "What is removed"),
        }[self]


class Backdrop(Enum):
    """What the cut-out is shown on: a checkerboard, or a solid colour that makes holes and fringes stand out."""

    CHECKER = "checker"
    WHITE = "white"
    BLACK = "black"

    def label(self) -> str:
        return {
            Backdrop.CHECKER: QCoreApplication.translate("ViewMode", "Checkerboard"),
            Backdrop.WHITE: QCoreApplication.translate("ViewMode", "White"),
            Backdrop.BLACK: QCoreApplication.translate("ViewMode", "Black"),
        }[self]


def _clamped(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = float(value)
        if number != number:  # NaN
            raise ValueError("not a number")
        return min(high, max(low, number))

    return parse


def _color(value: Any) -> QColor:
    color = QColor(value)
    if not color.isValid():
        raise ValueError(f"not a colour: {value!r}")
    return color


def _flag(value: Any) -> bool:
    if isinstance(value, str):  # QSettings' INI files give "true"/"false"
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"not a flag: {value!r}")
        return value.lower() in ("true", "1")
    return bool(value)


@dataclass(frozen=True)
class Option:
    """One editor option: its default, how a value is checked (``parse`` raises or clamps) and stored."""

    default: Any
    parse: Callable[[Any], Any]
    key: str | None = None  # the QSettings key; None: not remembered between runs
    store: Callable[[Any], Any] = lambda value: value


#: Every editor option, by the name of its EditorState attribute.
OPTIONS: dict[str, Option] = {
    "tool": Option(Tool.ADD, Tool),
    "brush_size": Option(30.0, _clamped(MIN_BRUSH, MAX_BRUSH), "brush/size"),
    "brush_hardness": Option(0.7, _clamped(0.0, 1.0), "brush/hardness"),
    "view_mode": Option(ViewMode.OVERLAY, ViewMode, "view/mode", lambda mode: mode.value),
    "overlay_color": Option(QColor("#ff2060"), _color, "view/overlay_color", lambda color: color.name()),
    "overlay_opacity": Option(0.5, _clamped(0.0, 1.0), "view/overlay_opacity"),
    "overlay_tint": Option(OverlayTint.KEPT, OverlayTint, "view/overlay_tint", lambda tint: tint.value),
    "cutout_backdrop": Option(Backdrop.CHECKER, Backdrop, "view/cutout_backdrop", lambda backdrop: backdrop.value),
    "show_outline": Option(False, _flag, "view/show_outline"),
    "refine_clicks": Option(True, _flag, "clicks/refine"),
    "hover_preview": Option(True, _flag, "clicks/hover"),
}


class EditorState(QObject):
    """The editor's options; ``changed`` names the option that changed (see :data:`OPTIONS`)."""

    changed = Signal(str)

    tool: Tool
    brush_size: float  # diameter in photo pixels
    brush_hardness: float  # 0 soft .. 1 hard
    view_mode: ViewMode
    overlay_color: QColor
    overlay_opacity: float  # 0..1
    overlay_tint: OverlayTint  # the overlay colours what is kept or what is removed
    cutout_backdrop: Backdrop  # what the cut-out view shows behind the subject
    show_outline: bool  # draw the mask's outline (small holes show as rings)
    refine_clicks: bool  # run the full-resolution refinement after each click
    hover_preview: bool  # with the click tool, tint what a keep click would take where the pointer rests

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        for name, option in OPTIONS.items():
            setattr(self, name, option.default)

    # --- changing ------------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set options by name (checked and clamped as :data:`OPTIONS` says); ``changed`` for each that changed."""
        for name, value in values.items():
            value = OPTIONS[name].parse(value)
            if value != getattr(self, name):
                setattr(self, name, value)
                self.changed.emit(name)

    def set_tool(self, tool: Tool) -> None:
        """Choose the tool."""
        self.set(tool=tool)

    def set_view_mode(self, mode: ViewMode) -> None:
        """Choose how the canvas shows the photo."""
        self.set(view_mode=mode)

    def grow_brush(self) -> None:
        """One step bigger (``]``)."""
        self.set(brush_size=max(self.brush_size + 1, round(self.brush_size * BRUSH_STEP)))

    def shrink_brush(self) -> None:
        """One step smaller (``[``)."""
        self.set(brush_size=min(self.brush_size - 1, round(self.brush_size / BRUSH_STEP)))

    @property
    def brush_radius(self) -> float:
        """Half the brush size, at least half a pixel."""
        return max(0.5, self.brush_size / 2.0)

    # --- remembering ---------------------------------------------------------------------------
    @classmethod
    def load(cls, settings: AppSettings, parent: QObject | None = None) -> EditorState:
        """The options saved by :meth:`save_to` (a missing or unreadable value takes its default)."""
        state = cls(parent)
        for name, option in OPTIONS.items():
            raw = settings.store.value(option.key) if option.key else None
            if raw is None:
                continue
            try:
                setattr(state, name, option.parse(raw))
            except (TypeError, ValueError):
                pass  # a value from an older or hand-edited settings file
        return state

    def save_to(self, settings: AppSettings) -> None:
        """Remember the options that have a settings key."""
        for name, option in OPTIONS.items():
            if option.key:
                settings.store.setValue(option.key, option.store(getattr(self, name)))
