"""Help > Keyboard Shortcuts (F1): every key and mouse gesture, from the table the actions use."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from cutout_app.gui.shortcuts import help_rows


class ShortcutsDialog(QDialog):
    """A two-column list, by section: the keys, and what they do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(780, 660)
        self.retranslate()

    def retranslate(self) -> None:
        """Fill the list in the current language."""
        self.setWindowTitle(self.tr("Keyboard Shortcuts"))
        self.tree.setHeaderLabels([self.tr("Keys"), self.tr("Does")])
        self.tree.clear()
        for section, rows in help_rows():
            head = QTreeWidgetItem([section])
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setFirstColumnSpanned(False)
            self.tree.addTopLevelItem(head)
            for keys, text in rows:
                head.addChild(QTreeWidgetItem([keys, text]))
            head.setExpanded(True)

    def rows(self) -> list[tuple[str, str]]:
        """Every ``(keys, what it does)`` row shown (for tests)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            out.extend((head.child(j).text(0), head.child(j).text(1)) for j in range(head.childCount()))
        return out

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
