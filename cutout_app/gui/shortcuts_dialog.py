"""Help > Keyboard Shortcuts (F1): every key and mouse gesture, from the table the actions use.

A two-column table by section; a long description wraps onto more lines (its row grows), so no row is
ever cut off, whatever the width of the dialog or the language.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cutout_app.gui.shortcuts import help_rows


class ShortcutsDialog(QDialog):
    """A two-column list, by section: the keys, and what they do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self._rows: list[tuple[str, str]] = []
        self.resize(780, 660)
        self.retranslate()

    def retranslate(self) -> None:
        """Fill the list in the current language."""
        self.setWindowTitle(self.tr("Keyboard Shortcuts"))
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Does")])
        self.table.clearSpans()
        self.table.setRowCount(0)
        self._rows = []
        for section, rows in help_rows():
            head = QTableWidgetItem(section)
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, head)
            self.table.setSpan(row, 0, 1, 2)
            for keys, text in rows:
                row = self.table.rowCount()
                self.table.insertRow(row)
                self.table.setItem(row, 0, QTableWidgetItem(keys))
                self.table.setItem(row, 1, QTableWidgetItem(text))
                self._rows.append((keys, text))

    def rows(self) -> list[tuple[str, str]]:
        """Every ``(keys, what it does)`` row shown (for tests)."""
        return list(self._rows)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
