"""Every key and mouse gesture of the window, written once: the actions take their keys from here, and so do
the Help > Keyboard Shortcuts dialog and the tooltips.

:data:`COMMANDS` names each command of the menus and toolbar with its menu text and its keys (the first
is the one the menu shows). :data:`GESTURES` lists what the canvas does with Space and the mouse,
which no action carries. Strings are English source text, translated in the ``Shortcuts`` context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QKeySequence

Key = str | QKeySequence.StandardKey
_S = QKeySequence.StandardKey

#: The sections of the help dialog, in order.
SECTIONS = (
    QT_TRANSLATE_NOOP("Shortcuts", "File"),
    QT_TRANSLATE_NOOP("Shortcuts", "Tools"),
    QT_TRANSLATE_NOOP("Shortcuts", "Mask"),
    QT_TRANSLATE_NOOP("Shortcuts", "Edit"),
    QT_TRANSLATE_NOOP("Shortcuts", "View"),
    QT_TRANSLATE_NOOP("Shortcuts", "Help"),
)


@dataclass(frozen=True)
class Command:
    """A command of the window: its menu text (with its ``&`` mnemonic), its keys and its help section.

    ``canvas_key`` is a key that the canvas handles itself (Space): shown, never made a shortcut.
    ``short`` is the toolbar's text when the menu text is too long for it. ``help_note`` is the help dialog's
    text when the menu's does not say all the key does (Esc cancels, or clears the clicks).
    """

    name: str
    text: str
    keys: tuple[Key, ...] = ()
    section: str = "File"
    canvas_key: str = ""
    short: str = ""
    help_note: str = ""

    def toolbar_text(self) -> str:
        """The text of the command's toolbar button."""
        if self.short:
            return QCoreApplication.translate("Shortcuts", self.short)
        return plain(self.menu_text()).removesuffix("...")

    def help_text(self) -> str:
        """What the help dialog says the keys do, in the user's language."""
        return QCoreApplication.translate("Shortcuts", self.help_note) if self.help_note else plain(self.menu_text())

    def menu_text(self) -> str:
        """The menu text in the user's language."""
        return QCoreApplication.translate("Shortcuts", self.text)

    def sequences(self) -> list[QKeySequence]:
        """The key sequences of the action (standard keys expanded to this platform's)."""
        out: list[QKeySequence] = []
        for key in self.keys:
            bindings = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) else [QKeySequence(key)]
            out.extend(b for b in bindings if b not in out)  # a key twice would make the shortcut ambiguous
        return out

    def key_text(self) -> str:
        """The keys as the user reads them ("Ctrl+O", "Ctrl+Shift+Z or Ctrl+Y"...), empty when there are none.

        A platform's standard key shows its main binding only (Ctrl+V, not also Shift+Ins and F18).
        """
        shown = [QKeySequence(self.canvas_key)] if self.canvas_key else []
        for key in self.keys:
            bindings = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) else [QKeySequence(key)]
            shown.extend(bindings[:1])
        return _joined(shown)


@dataclass(frozen=True)
class Gesture:
    """What the canvas does with a key held or the mouse; shown in the help dialog only."""

    keys: str
    text: str
    section: str


def _joined(sequences: list[QKeySequence]) -> str:
    or_ = QCoreApplication.translate("Shortcuts", " or ")
    seen: list[str] = []
    for sequence in sequences:
        text = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        if text and text not in seen:
            seen.append(text)
    return or_.join(seen)


def _c(name: str, text: str, keys: tuple[Key, ...], section: str, canvas_key: str = "", short: str = "",
       help_note: str = "") -> Command:
    return Command(name, text, keys, section, canvas_key, short, help_note)


#: Every command with its keys; ``tool_<tool>`` and ``view_<mode>`` also name the tools and view modes.
COMMANDS: dict[str, Command] = {c.name: c for c in (
    _c("open", QT_TRANSLATE_NOOP("Shortcuts", "&Open..."), (_S.Open,), "File"),
    _c("paste", QT_TRANSLATE_NOOP("Shortcuts", "&Paste Photo"), (_S.Paste,), "File"),
    _c("next_photo", QT_TRANSLATE_NOOP("Shortcuts", "&Next Photo in Folder"), ("PgDown",), "File", short="▶"),
    _c("previous_photo", QT_TRANSLATE_NOOP("Shortcuts", "Pre&vious Photo in Folder"), ("PgUp",), "File", short="◀"),
    _c("export", QT_TRANSLATE_NOOP("Shortcuts", "&Export..."), ("Ctrl+E",), "File"),
    _c("copy", QT_TRANSLATE_NOOP("Shortcuts", "&Copy Cut-out"), (_S.Copy,), "File"),
    _c("batch", QT_TRANSLATE_NOOP("Shortcuts", "&Batch Export..."), ("Ctrl+B",), "File"),
    _c("quit", QT_TRANSLATE_NOOP("Shortcuts", "&Quit"), (_S.Quit,), "File"),
    _c("tool_click", QT_TRANSLATE_NOOP("Shortcuts", "Click to segment"), ("C",), "Tools",
       short=QT_TRANSLATE_NOOP("Shortcuts", "Click")),
    _c("tool_box", QT_TRANSLATE_NOOP("Shortcuts", "Box / lasso"), ("R",), "Tools",
       short=QT_TRANSLATE_NOOP("Shortcuts", "Box")),
    _c("tool_add", QT_TRANSLATE_NOOP("Shortcuts", "Add brush"), ("B",), "Tools"),
    _c("tool_erase", QT_TRANSLATE_NOOP("Shortcuts", "Erase brush"), ("E",), "Tools"),
    _c("tool_region", QT_TRANSLATE_NOOP("Shortcuts", "Keep / remove region"), ("K",), "Tools",
       short=QT_TRANSLATE_NOOP("Shortcuts", "Region")),
    _c("tool_pan", QT_TRANSLATE_NOOP("Shortcuts", "Pan"), ("H",), "Tools"),
    _c("brush_smaller", QT_TRANSLATE_NOOP("Shortcuts", "Smaller brush"), ("[",), "Tools"),
    _c("brush_bigger", QT_TRANSLATE_NOOP("Shortcuts", "Bigger brush"), ("]",), "Tools"),
    _c("segment", QT_TRANSLATE_NOOP("Shortcuts", "&Segment Automatically"), (), "Mask", canvas_key="Space",
       short=QT_TRANSLATE_NOOP("Shortcuts", "Segment")),
    _c("next_candidate", QT_TRANSLATE_NOOP("Shortcuts", "&Next Candidate"), ("Tab",), "Mask"),
    _c("cancel", QT_TRANSLATE_NOOP("Shortcuts", "&Cancel"), ("Esc",), "Mask",
       help_note=QT_TRANSLATE_NOOP("Shortcuts", "Cancel what runs; when nothing runs, clear the clicks")),
    _c("clear_clicks", QT_TRANSLATE_NOOP("Shortcuts", "C&lear Clicks"), ("Esc",), "Mask"),
    _c("undo", QT_TRANSLATE_NOOP("Shortcuts", "&Undo"), ("Ctrl+Z",), "Edit"),
    _c("redo", QT_TRANSLATE_NOOP("Shortcuts", "&Redo"), ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit"),
    _c("view_overlay", QT_TRANSLATE_NOOP("Shortcuts", "Overlay"), ("1",), "View"),
    _c("view_cutout", QT_TRANSLATE_NOOP("Shortcuts", "Cutout"), ("2",), "View"),
    _c("view_side", QT_TRANSLATE_NOOP("Shortcuts", "Side by side"), ("3",), "View"),
    _c("outline", QT_TRANSLATE_NOOP("Shortcuts", "Show &Outline"), ("O",), "View"),
    _c("zoom_in", QT_TRANSLATE_NOOP("Shortcuts", "Zoom &In"), (_S.ZoomIn, "Ctrl+="), "View"),
    _c("zoom_out", QT_TRANSLATE_NOOP("Shortcuts", "Zoom &Out"), (_S.ZoomOut,), "View"),
    _c("fit", QT_TRANSLATE_NOOP("Shortcuts", "&Fit to Window"), ("Ctrl+0",), "View"),
    _c("actual", QT_TRANSLATE_NOOP("Shortcuts", "&Actual Size (100%)"), ("Ctrl+1",), "View"),
    _c("shortcuts", QT_TRANSLATE_NOOP("Shortcuts", "&Keyboard Shortcuts"), (_S.HelpContents, "F1"), "Help"),
    _c("about", QT_TRANSLATE_NOOP("Shortcuts", "&About cutout"), (), "Help"),
)}

#: What Space and the mouse do on the canvas.
GESTURES: tuple[Gesture, ...] = (
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Left click"),
            QT_TRANSLATE_NOOP("Shortcuts", "Click tool: keep what is clicked · brushes: paint · region tool: keep the region"),
            "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Right click or Shift+click"),
            QT_TRANSLATE_NOOP("Shortcuts", "Click tool: remove what is clicked · brushes: paint the opposite · "
                                           "region tool: remove the region"), "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Resting the pointer"),
            QT_TRANSLATE_NOOP("Shortcuts", "Click tool: tints what a keep click there would take (the mask is untouched)"),
            "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Drag"),
            QT_TRANSLATE_NOOP("Shortcuts", "Box tool: the object in the box becomes the mask"), "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Shift+drag"),
            QT_TRANSLATE_NOOP("Shortcuts", "Box tool: add the object in the box to the mask"), "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Alt+drag or right drag"),
            QT_TRANSLATE_NOOP("Shortcuts", "Box tool: remove the object in the box (only inside the box)"), "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Ctrl+drag"),
            QT_TRANSLATE_NOOP("Shortcuts", "Box tool: draw a lasso around the object instead of a box "
                                           "(with Shift, Alt or the right button as for a box)"), "Tools"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Space + drag, middle button drag"),
            QT_TRANSLATE_NOOP("Shortcuts", "Pan (never changes the mask)"), "View"),
    Gesture(QT_TRANSLATE_NOOP("Shortcuts", "Mouse wheel"), QT_TRANSLATE_NOOP("Shortcuts", "Zoom at the pointer"), "View"),
)


def plain(text: str) -> str:
    """A menu text without its mnemonic, as a label shows it: "&Open..." -> "Open...", "打开(&O)..." -> "打开..."."""
    return re.sub(r"\(&[^&)]\)", "", text).replace("&&", "\0").replace("&", "").replace("\0", "&")


def command(name: str) -> Command:
    """The command called ``name``."""
    return COMMANDS[name]


def tooltip(name: str, text: str | None = None) -> str:
    """``text`` (default: the command's menu text without ``&``) followed by its keys, as a tooltip shows it."""
    cmd = COMMANDS[name]
    label = plain(text if text is not None else cmd.menu_text())
    keys = cmd.key_text()
    return f"{label} ({keys})" if keys else label


def help_rows() -> list[tuple[str, list[tuple[str, str]]]]:
    """The help dialog's content: for each section (translated), its ``(keys, what it does)`` rows.

    Keys that two commands share (Esc: cancel, else clear the clicks) are one row, with the first command's
    help text, which says both."""
    rows: dict[str, list[tuple[str, str]]] = {s: [] for s in SECTIONS}
    for cmd in COMMANDS.values():
        keys = cmd.key_text()
        if keys and all(keys != shown for shown, _ in rows[cmd.section]):
            rows[cmd.section].append((keys, cmd.help_text()))
    for gesture in GESTURES:
        rows[gesture.section].append((QCoreApplication.translate("Shortcuts", gesture.keys),
                                      QCoreApplication.translate("Shortcuts", gesture.text)))
    return [(QCoreApplication.translate("Shortcuts", s), r) for s, r in rows.items() if r]
