"""Space on the canvas: a short tap segments the photo, a hold pans; a pan never segments.

Telling them apart by Qt's ``isAutoRepeat()`` is not enough. On X11, while a mouse button is held,
Qt delivers the key's auto-repeat as ordinary release/press pairs with ``isAutoRepeat()`` false, so a
Space held through a pan looks like many taps. Here a release only counts once no press follows it
at once (auto-repeat's press comes in the same burst), and a tap is judged by time and motion: Space
held down less than :data:`TAP_MS`, no mouse button pressed meanwhile, and none held at the release.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

#: Longest Space press that still counts as a tap (X11's auto-repeat starts after about 500-660 ms).
TAP_MS = 400
#: A release is final when no press follows within this time (auto-repeat's press follows at once).
SETTLE_MS = 40


class SpaceKey(QObject):
    """Follows the Space key of one widget; ``tapped`` is emitted for a tap, ``held_changed`` when it goes down/up."""

    tapped = Signal()
    held_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.held = False
        self._pressed_at = 0.0
        self._released_at = 0.0
        self._used = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._finish)

    @staticmethod
    def is_space(event: QKeyEvent) -> bool:
        """True for Space without modifiers (the keypad flag aside)."""
        return event.key() == Qt.Key.Key_Space and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier

    def key(self, event: QKeyEvent, pressed: bool) -> bool:
        """Take a key event; True if it was Space (then it is consumed)."""
        if not self.is_space(event):
            return False
        if event.isAutoRepeat():
            return True
        if pressed:
            if self._settle.isActive():  # the release just before was auto-repeat's: still held
                self._settle.stop()
            elif not self.held:
                self.held, self._pressed_at, self._used = True, time.monotonic(), False
                self.held_changed.emit(True)
        elif self.held and not self._settle.isActive():
            self._released_at = time.monotonic()
            self._settle.start()
        return True

    def use(self) -> None:
        """The mouse was used while Space was down (a pan): this press is no tap."""
        if self.held:
            self._used = True

    def _finish(self) -> None:
        self.held = False
        self.held_changed.emit(False)
        quick = (self._released_at - self._pressed_at) * 1000.0 < TAP_MS
        if quick and not self._used and QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            self.tapped.emit()
