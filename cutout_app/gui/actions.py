"""The window's actions, menus and toolbar (what each does lives in the window and its EditorState).

Tool and view-mode actions set the editor state; their check marks follow ``state.changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

from cutout_app.gui.canvas import ImageCanvas
from cutout_app.gui.editor_state import EditorState, Tool, ViewMode
from cutout_app.gui.settings import PROVIDERS


class ActionTarget(Protocol):
    """The window that the actions work on: a QMainWindow with these commands (MainWindow is one)."""

    state: EditorState
    canvas: ImageCanvas

    # QMainWindow's own
    def menuBar(self) -> QMenuBar: ...
    def addAction(self, action: QAction) -> None: ...
    def addToolBar(self, area: Qt.ToolBarArea, toolbar: QToolBar) -> None: ...
    def close(self) -> bool: ...

    # the window's commands
    def open_dialog(self) -> object: ...
    def fill_recent_menu(self) -> None: ...
    def export_dialog(self) -> object: ...
    def batch_export(self) -> object: ...
    def undo(self) -> object: ...
    def redo(self) -> object: ...
    def segment(self) -> object: ...
    def cancel_task(self) -> None: ...
    def clear_clicks(self) -> None: ...
    def set_provider(self, provider: str) -> object: ...
    def fill_language_menu(self) -> None: ...
    def show_about(self) -> None: ...


@dataclass
class Actions:
    open: QAction
    recent_menu: QMenu
    export: QAction
    batch: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    segment: QAction
    cancel: QAction
    clear_clicks: QAction
    providers: dict[str, QAction]
    tools: dict[Tool, QAction]
    modes: dict[ViewMode, QAction]
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    actual: QAction
    brush_bigger: QAction
    brush_smaller: QAction
    language_menu: QMenu


def _action(window: ActionTarget, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    window.addAction(action)  # shortcuts work while the menu bar is hidden or another widget has focus
    return action


def build_actions(window: ActionTarget) -> Actions:
    """Create every action and the menu bar and toolbar of ``window``."""
    menu_bar = window.menuBar()

    # File
    file_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&File"))
    open_action = _action(window, QCoreApplication.translate("MainWindow", "&Open..."), window.open_dialog, QKeySequence.StandardKey.Open)
    recent_menu = QMenu(QCoreApplication.translate("MainWindow", "Open &Recent"), window)
    recent_menu.aboutToShow.connect(window.fill_recent_menu)
    export_action = _action(window, QCoreApplication.translate("MainWindow", "&Export..."), window.export_dialog, "Ctrl+E")
    batch_action = _action(window, QCoreApplication.translate("MainWindow", "&Batch Export..."), window.batch_export, "Ctrl+B")
    quit_action = _action(window, QCoreApplication.translate("MainWindow", "&Quit"), window.close, QKeySequence.StandardKey.Quit)
    file_menu.addAction(open_action)
    file_menu.addMenu(recent_menu)
    file_menu.addSeparator()
    file_menu.addAction(export_action)
    file_menu.addAction(batch_action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)

    # Edit
    edit_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Edit"))
    undo = _action(window, QCoreApplication.translate("MainWindow", "&Undo"), window.undo, "Ctrl+Z")
    redo = _action(window, QCoreApplication.translate("MainWindow", "&Redo"), window.redo, "Ctrl+Shift+Z")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit_menu.addAction(undo)
    edit_menu.addAction(redo)
    edit_menu.addSeparator()
    tool_group = QActionGroup(window)
    tools: dict[Tool, QAction] = {}
    state = window.state
    for tool, key in ((Tool.CLICK, "C"), (Tool.ADD, "B"), (Tool.ERASE, "E"), (Tool.REGION, "K"), (Tool.PAN, "H")):
        action = _action(window, tool.label(), partial(state.set_tool, tool), key)
        action.setCheckable(True)
        tool_group.addAction(action)
        edit_menu.addAction(action)
        tools[tool] = action
    edit_menu.addSeparator()
    bigger = _action(window, QCoreApplication.translate("MainWindow", "Bigger brush"), state.grow_brush, "]")
    smaller = _action(window, QCoreApplication.translate("MainWindow", "Smaller brush"), state.shrink_brush, "[")
    edit_menu.addAction(bigger)
    edit_menu.addAction(smaller)

    # Mask
    mask_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Mask"))
    # Space is handled by the canvas (tap = segment, hold + drag = pan), so it is only shown in the text.
    segment = _action(window, QCoreApplication.translate("MainWindow", "&Segment") + "\tSpace", window.segment)
    segment.setIconText(QCoreApplication.translate("MainWindow", "Segment"))
    # Esc cancels what runs; when nothing does it clears the clicks (only one of the two is enabled at a time).
    cancel = _action(window, QCoreApplication.translate("MainWindow", "&Cancel"), window.cancel_task, "Esc")
    cancel.setEnabled(False)
    clear_clicks = _action(window, QCoreApplication.translate("MainWindow", "C&lear Clicks"), window.clear_clicks, "Esc")
    mask_menu.addAction(segment)
    mask_menu.addAction(cancel)
    mask_menu.addAction(clear_clicks)
    mask_menu.addSeparator()
    provider_menu = mask_menu.addMenu(QCoreApplication.translate("MainWindow", "Run the Model &On"))
    provider_group = QActionGroup(window)
    providers: dict[str, QAction] = {}
    names = {
        "auto": QCoreApplication.translate("MainWindow", "Automatic (CUDA if available)"),
        "cuda": QCoreApplication.translate("MainWindow", "CUDA (GPU)"),
        "cpu": QCoreApplication.translate("MainWindow", "CPU"),
    }
    for choice in PROVIDERS:
        action = _action(window, names[choice], partial(window.set_provider, choice))
        action.setCheckable(True)
        provider_group.addAction(action)
        provider_menu.addAction(action)
        providers[choice] = action

    # View
    view_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&View"))
    mode_group = QActionGroup(window)
    modes: dict[ViewMode, QAction] = {}
    for mode, key in ((ViewMode.OVERLAY, "1"), (ViewMode.CUTOUT, "2"), (ViewMode.SIDE_BY_SIDE, "3")):
        action = _action(window, mode.label(), partial(state.set_view_mode, mode), key)
        action.setCheckable(True)
        mode_group.addAction(action)
        view_menu.addAction(action)
        modes[mode] = action
    view_menu.addSeparator()
    zoom_in = _action(window, QCoreApplication.translate("MainWindow", "Zoom &In"), window.canvas.zoom_in, QKeySequence.StandardKey.ZoomIn)
    zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
    zoom_out = _action(window, QCoreApplication.translate("MainWindow", "Zoom &Out"), window.canvas.zoom_out, QKeySequence.StandardKey.ZoomOut)
    zoom_out.setShortcuts([QKeySequence("Ctrl+-")])
    fit = _action(window, QCoreApplication.translate("MainWindow", "&Fit to Window"), window.canvas.fit_to_window, "Ctrl+0")
    actual = _action(window, QCoreApplication.translate("MainWindow", "&Actual Size (100%)"), partial(window.canvas.set_zoom, 1.0), "Ctrl+1")
    for action in (zoom_in, zoom_out, fit, actual):
        view_menu.addAction(action)
    view_menu.addSeparator()
    language_menu = view_menu.addMenu(QCoreApplication.translate("MainWindow", "&Language"))
    language_menu.aboutToShow.connect(window.fill_language_menu)

    # Help
    help_menu = menu_bar.addMenu(QCoreApplication.translate("MainWindow", "&Help"))
    help_menu.addAction(_action(window, QCoreApplication.translate("MainWindow", "&About cutout"), window.show_about))

    # Toolbar
    bar = QToolBar(QCoreApplication.translate("MainWindow", "Tools"), window)
    bar.setObjectName("main-toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.addAction(open_action)
    bar.addAction(export_action)
    bar.addSeparator()
    bar.addAction(segment)
    bar.addSeparator()
    for action in tools.values():
        bar.addAction(action)
    bar.addSeparator()
    bar.addAction(undo)
    bar.addAction(redo)
    bar.addSeparator()
    bar.addAction(fit)
    bar.addAction(actual)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def follow_state(name: str) -> None:
        if name == "tool":
            tools[state.tool].setChecked(True)
        elif name == "view_mode":
            modes[state.view_mode].setChecked(True)

    for name in ("tool", "view_mode"):
        follow_state(name)
    state.changed.connect(follow_state)

    return Actions(
        open=open_action,
        recent_menu=recent_menu,
        export=export_action,
        batch=batch_action,
        quit=quit_action,
        undo=undo,
        redo=redo,
        segment=segment,
        cancel=cancel,
        clear_clicks=clear_clicks,
        providers=providers,
        tools=tools,
        modes=modes,
        zoom_in=zoom_in,
        zoom_out=zoom_out,
        fit=fit,
        actual=actual,
        brush_bigger=bigger,
        brush_smaller=smaller,
        language_menu=language_menu,
    )
