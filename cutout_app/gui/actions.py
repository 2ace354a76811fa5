"""The window's actions, menus and toolbar (what each does lives in the window and its EditorState).

Texts and keys come from the one table in :mod:`cutout_app.gui.shortcuts`; :meth:`Actions.retranslate`
sets them again when the language changes. Tool and view-mode actions set the editor state; their check
marks follow ``state.changed``. Tool tips name each command's keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

from cutout_app.gui.canvas import ImageCanvas
from cutout_app.gui.editor_state import EditorState, Tool, ViewMode
from cutout_app.gui.settings import PROVIDERS
from cutout_app.gui.shortcuts import command, tooltip


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
    def paste_photo(self) -> object: ...
    def open_neighbour(self, step: int) -> object: ...
    def fill_recent_menu(self) -> None: ...
    def export_dialog(self) -> object: ...
    def copy_cutout(self) -> object: ...
    def batch_export(self) -> object: ...
    def undo(self) -> object: ...
    def redo(self) -> object: ...
    def segment(self) -> object: ...
    def cancel_task(self) -> None: ...
    def clear_clicks(self) -> None: ...
    def next_candidate(self) -> object: ...
    def set_provider(self, provider: str) -> object: ...
    def fill_language_menu(self) -> None: ...
    def show_shortcuts(self) -> None: ...
    def show_about(self) -> None: ...


def _menu_texts() -> dict[str, str]:
    return {
        "file": QCoreApplication.translate("MainWindow", "&File"),
        "recent": QCoreApplication.translate("MainWindow", "Open &Recent"),
        "edit": QCoreApplication.translate("MainWindow", "&Edit"),
        "mask": QCoreApplication.translate("MainWindow", "&Mask"),
        "provider": QCoreApplication.translate("MainWindow", "Run the Model &On"),
        "view": QCoreApplication.translate("MainWindow", "&View"),
        "language": QCoreApplication.translate("MainWindow", "&Language"),
        "help": QCoreApplication.translate("MainWindow", "&Help"),
        "toolbar": QCoreApplication.translate("MainWindow", "Tools"),
    }


def _provider_names() -> dict[str, str]:
    return {
        "auto": QCoreApplication.translate("MainWindow", "Automatic (CUDA if available)"),
        "cuda": QCoreApplication.translate("MainWindow", "CUDA (GPU)"),
        "cpu": QCoreApplication.translate("MainWindow", "CPU"),
    }


@dataclass
class Actions:
    """Every action of the window, by command name (see :data:`cutout_app.gui.shortcuts.COMMANDS`)."""

    by_name: dict[str, QAction]
    menus: dict[str, QMenu]
    toolbar: QToolBar
    providers: dict[str, QAction]
    tool_group: QActionGroup
    tools: dict[Tool, QAction] = field(default_factory=dict)
    modes: dict[ViewMode, QAction] = field(default_factory=dict)

    def __getattr__(self, name: str) -> QAction:
        by_name = self.__dict__.get("by_name", {})
        if name in by_name:
            return by_name[name]
        raise AttributeError(name)

    @property
    def recent_menu(self) -> QMenu:
        return self.menus["recent"]

    @property
    def language_menu(self) -> QMenu:
        return self.menus["language"]

    def enable_tools(self, enabled: bool, tool: Tool) -> None:
        """The tools are usable only with a photo open: without one none is checked."""
        self.tool_group.setEnabled(enabled)
        for action in self.tools.values():
            action.setChecked(enabled and action is self.tools[tool])

    def retranslate(self) -> None:
        """Set every text in the current language."""
        for name, action in self.by_name.items():
            cmd = command(name)
            text = cmd.menu_text()
            action.setText(f"{text}\t{cmd.canvas_key}" if cmd.canvas_key else text)
            action.setIconText(cmd.toolbar_text())
            action.setToolTip(tooltip(name))
            action.setStatusTip(tooltip(name))
        for name, text in _menu_texts().items():
            if name == "toolbar":
                self.toolbar.setWindowTitle(text)
            else:
                self.menus[name].setTitle(text)
        for choice, text in _provider_names().items():
            self.providers[choice].setText(text)


def build_actions(window: ActionTarget) -> Actions:
    """Create every action and the menu bar and toolbar of ``window``."""
    state = window.state
    canvas = window.canvas
    slots = {
        "open": window.open_dialog,
        "paste": window.paste_photo,
        "next_photo": partial(window.open_neighbour, 1),
        "previous_photo": partial(window.open_neighbour, -1),
        "export": window.export_dialog,
        "copy": window.copy_cutout,
        "batch": window.batch_export,
        "quit": window.close,
        "undo": window.undo,
        "redo": window.redo,
        "segment": window.segment,
        "cancel": window.cancel_task,
        "clear_clicks": window.clear_clicks,
        "next_candidate": window.next_candidate,
        "brush_bigger": state.grow_brush,
        "brush_smaller": state.shrink_brush,
        "outline": lambda: state.set(show_outline=not state.show_outline),
        "zoom_in": canvas.zoom_in,
        "zoom_out": canvas.zoom_out,
        "fit": canvas.fit_to_window,
        "actual": partial(canvas.set_zoom, 1.0),
        "shortcuts": window.show_shortcuts,
        "about": window.show_about,
        **{f"tool_{tool.value}": partial(state.set_tool, tool) for tool in Tool},
        **{f"view_{mode.value}": partial(state.set_view_mode, mode) for mode in ViewMode},
    }
    by_name: dict[str, QAction] = {}
    for name, slot in slots.items():
        action = QAction(window)
        action.setShortcuts(command(name).sequences())
        action.triggered.connect(lambda checked=False, slot=slot: slot())
        window.addAction(action)  # shortcuts work while the menu bar is hidden or another widget has focus
        by_name[name] = action
    a = by_name.__getitem__

    menu_bar = window.menuBar()
    menus: dict[str, QMenu] = {}
    menus["file"] = menu_bar.addMenu("")
    menus["recent"] = QMenu(window)
    menus["recent"].aboutToShow.connect(window.fill_recent_menu)
    file_menu = menus["file"]
    file_menu.addAction(a("open"))
    file_menu.addMenu(menus["recent"])
    file_menu.addAction(a("paste"))
    file_menu.addAction(a("previous_photo"))
    file_menu.addAction(a("next_photo"))
    file_menu.addSeparator()
    file_menu.addAction(a("export"))
    file_menu.addAction(a("copy"))
    file_menu.addAction(a("batch"))
    file_menu.addSeparator()
    file_menu.addAction(a("quit"))

    menus["edit"] = edit_menu = menu_bar.addMenu("")
    edit_menu.addAction(a("undo"))
    edit_menu.addAction(a("redo"))
    edit_menu.addSeparator()
    tool_group = QActionGroup(window)
    tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)  # none checked without a photo
    tools: dict[Tool, QAction] = {}
    for tool in Tool:
        action = a(f"tool_{tool.value}")
        action.setCheckable(True)
        tool_group.addAction(action)
        edit_menu.addAction(action)
        tools[tool] = action
    edit_menu.addSeparator()
    edit_menu.addAction(a("brush_bigger"))
    edit_menu.addAction(a("brush_smaller"))

    menus["mask"] = mask_menu = menu_bar.addMenu("")
    # Esc cancels what runs; when nothing does it clears the clicks (only one of the two is enabled at a time).
    a("cancel").setEnabled(False)
    for name in ("segment", "next_candidate", "cancel", "clear_clicks"):
        mask_menu.addAction(a(name))
    mask_menu.addSeparator()
    menus["provider"] = provider_menu = mask_menu.addMenu("")
    provider_group = QActionGroup(window)
    providers: dict[str, QAction] = {}
    for choice in PROVIDERS:
        action = QAction(window)
        action.setCheckable(True)
        action.triggered.connect(lambda checked=False, c=choice: window.set_provider(c))
        provider_group.addAction(action)
        provider_menu.addAction(action)
        providers[choice] = action

    menus["view"] = view_menu = menu_bar.addMenu("")
    mode_group = QActionGroup(window)
    modes: dict[ViewMode, QAction] = {}
    for mode in ViewMode:
        action = a(f"view_{mode.value}")
        action.setCheckable(True)
        mode_group.addAction(action)
        view_menu.addAction(action)
        modes[mode] = action
    a("outline").setCheckable(True)
    view_menu.addAction(a("outline"))
    view_menu.addSeparator()
    for name in ("zoom_in", "zoom_out", "fit", "actual"):
        view_menu.addAction(a(name))
    view_menu.addSeparator()
    menus["language"] = view_menu.addMenu("")
    menus["language"].aboutToShow.connect(window.fill_language_menu)

    menus["help"] = help_menu = menu_bar.addMenu("")
    help_menu.addAction(a("shortcuts"))
    help_menu.addAction(a("about"))

    bar = QToolBar(window)
    bar.setObjectName("main-toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for group in (("open", "previous_photo", "next_photo", "export"), ("segment",), tuple(f"tool_{t.value}" for t in Tool),
                  ("undo", "redo"), ("fit", "actual")):
        for name in group:
            bar.addAction(a(name))
        bar.addSeparator()
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    actions = Actions(by_name, menus, bar, providers, tool_group, tools, modes)
    actions.retranslate()

    def follow_state(name: str) -> None:
        if name == "tool" and tool_group.isEnabled():
            tools[state.tool].setChecked(True)
        elif name == "view_mode":
            modes[state.view_mode].setChecked(True)
        elif name == "show_outline":
            a("outline").setChecked(state.show_outline)

    for name in ("tool", "view_mode", "show_outline"):
        follow_state(name)
    state.changed.connect(follow_state)
    return actions
