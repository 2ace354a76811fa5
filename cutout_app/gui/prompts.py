"""The questions and messages the window puts to the user, behind a small replaceable policy object.

The window never calls QMessageBox directly: it asks its ``prompter``. :class:`DialogPrompter` shows real
dialogs; :class:`ScriptedPrompter` answers from preset values and records what it was told, for tests and
for unattended runs (the screenshot mode), so that no modal dialog ever blocks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def restore_question(when: str, exported: str | None = None) -> str:
    """The question put before restoring an autosave: what it holds, truthfully."""
    if exported is None:
        return QCoreApplication.translate("Prompter", "This photo has unsaved edits, last made on {when}. Restore them?").format(
            when=when)
    return QCoreApplication.translate(
        "Prompter", "This photo has edits made since you exported it on {exported}, the last on {when}. Restore them?"
    ).format(when=when, exported=exported)


class SaveChoice(Enum):
    """Answer to "the photo has unsaved edits" when closing it."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class Prompter:
    """Interface: what the window asks and tells. Subclass and pass it to MainWindow(prompter=...)."""

    def error(self, title: str, text: str) -> None:
        raise NotImplementedError

    def info(self, title: str, text: str) -> None:
        raise NotImplementedError

    def ask_restore(self, when: str, exported: str | None = None) -> bool:
        """Restore the autosaved edits last made at ``when`` (a readable time)? ``exported``: when the photo was
        last exported, if it was (the edits are then those made since)."""
        raise NotImplementedError

    def ask_save_changes(self, name: str) -> SaveChoice:
        """``name`` has edits that were not exported: export, discard or cancel?"""
        raise NotImplementedError


class DialogPrompter(Prompter):
    """Real modal message boxes parented to the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)

    def info(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def ask_restore(self, when: str, exported: str | None = None) -> bool:
        answer = QMessageBox.question(
            self.parent,
            QCoreApplication.translate("Prompter", "Restore edits"),
            restore_question(when, exported),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_save_changes(self, name: str) -> SaveChoice:
        box = QMessageBox(self.parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(QCoreApplication.translate("Prompter", "Unsaved edits"))
        box.setText(QCoreApplication.translate("Prompter", "The edits of {name} have not been exported.").format(name=name))
        box.setInformativeText(QCoreApplication.translate("Prompter", "Export them before closing?"))
        box.setStandardButtons(
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return SaveChoice.SAVE
        if answer == QMessageBox.StandardButton.Discard:
            return SaveChoice.DISCARD
        return SaveChoice.CANCEL


@dataclass
class ScriptedPrompter(Prompter):
    """Answers without asking: ``restore`` and ``save_choice`` are the answers; messages are recorded."""

    restore: bool = True
    save_choice: SaveChoice = SaveChoice.DISCARD
    errors: list[tuple[str, str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    def error(self, title: str, text: str) -> None:
        self.errors.append((title, text))

    def info(self, title: str, text: str) -> None:
        self.infos.append((title, text))

    def ask_restore(self, when: str, exported: str | None = None) -> bool:
        self.questions.append(f"restore:{restore_question(when, exported)}")
        return self.restore

    def ask_save_changes(self, name: str) -> SaveChoice:
        self.questions.append(f"save:{name}")
        return self.save_choice
