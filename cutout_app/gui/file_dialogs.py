"""The window's file dialogs (open a photo, export as, choose a folder): Qt's own dialog, the same everywhere.

The platform's native dialog is used by some desktops and not others, and where it is not, Qt's widget
dialog shows: one dialog for every user is one that can be made right. Qt 6's dialog asks for two strings
that Qt's own Chinese translation (``qtbase_zh_CN.qm``) predates ("&Look in:", "Files of &type:"), so cutout's
translation carries them (:data:`QT_STRINGS`), and its "Date Modified" column is written in the interface's
locale (Qt writes it in the system's, which is the C locale's "6 12 2026 13:28" on many Linux set-ups).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, QIdentityProxyModel, QLocale, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QFileDialog, QFileSystemModel, QWidget

#: Strings of Qt's file dialog that Qt's own translations lack (cutout's translation carries them).
QT_STRINGS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)
#: The file system model's column of modification times.
_DATE_COLUMN = 3


def local_time(moment: QDateTime) -> str:
    """A file's time as the interface's locale writes a short date and time (ISO when that locale is C)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return moment.toString("yyyy-MM-dd HH:mm")
    return locale.toString(moment, QLocale.FormatType.ShortFormat)


class _LocalDates(QIdentityProxyModel):
    """The file system model as it is, but for its dates, written by :func:`local_time`."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        source = self.sourceModel()
        if role == Qt.ItemDataRole.DisplayRole and index.column() == _DATE_COLUMN and isinstance(source, QFileSystemModel):
            return local_time(source.lastModified(self.mapToSource(index)))
        return super().data(index, role)


def file_dialog(parent: QWidget | None, caption: str, start: str | Path = "", filters: str = "") -> QFileDialog:
    """A Qt file dialog (never the native one) starting at ``start``, with ``filters`` and local dates."""
    dialog = QFileDialog(parent, caption, str(start), filters)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setProxyModel(_LocalDates(dialog))
    return dialog


def _run(dialog: QFileDialog) -> str:
    """Show ``dialog`` modally: the chosen path, or "" when cancelled."""
    if dialog.exec() != QFileDialog.DialogCode.Accepted:
        return ""
    chosen = dialog.selectedFiles()
    return chosen[0] if chosen else ""


def open_file_name(parent: QWidget | None, caption: str, start: str | Path = "", filters: str = "") -> str:
    """Ask for an existing file to open; "" when cancelled."""
    dialog = file_dialog(parent, caption, start, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return _run(dialog)


def save_file_name(parent: QWidget | None, caption: str, start: str | Path = "", filters: str = "") -> str:
    """Ask where to write a file (the dialog asks before replacing one); "" when cancelled."""
    dialog = file_dialog(parent, caption, start, filters)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return _run(dialog)


def folder_name(parent: QWidget | None, caption: str, start: str | Path = "") -> str:
    """Ask for an existing folder; "" when cancelled."""
    dialog = file_dialog(parent, caption, start)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return _run(dialog)
