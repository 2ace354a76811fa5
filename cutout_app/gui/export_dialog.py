"""File > Export: choose what to write (RGBA / mask only / on a colour), how to treat edges, and where."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cutout_app.core.files import ExportMode, ExportOptions
from cutout_app.gui.file_dialogs import save_file_name


def export_mode_label(mode: ExportMode) -> str:
    """The one wording of each export mode, for the export and the batch dialogs."""
    labels = {
        ExportMode.RGBA: QCoreApplication.translate("ExportMode", "Transparent PNG (RGBA)"),
        ExportMode.MASK: QCoreApplication.translate("ExportMode", "Mask only (grayscale)"),
        ExportMode.BACKGROUND: QCoreApplication.translate("ExportMode", "On a background colour"),
    }
    return labels[mode]


def edge_checkboxes(options: ExportOptions) -> tuple[QCheckBox, QCheckBox]:
    """The decontamination and matting check boxes of the export and batch dialogs, set from ``options``."""
    decontaminate = QCheckBox(QCoreApplication.translate("EdgeOptions", "Clean edge colours"))
    decontaminate.setToolTip(QCoreApplication.translate(
        "EdgeOptions",
        "In hair and soft edges, export the subject's own colour instead of a mix with the old background.",
    ))
    decontaminate.setChecked(options.decontaminate)
    matting = QCheckBox(QCoreApplication.translate("EdgeOptions", "Alpha matting for hair and fur (slower)"))
    matting.setToolTip(QCoreApplication.translate(
        "EdgeOptions", "Recompute the transparency along the outline from the photo's colours."))
    matting.setChecked(options.matting)
    return decontaminate, matting


class ExportDialog(QDialog):
    """Asks for the export mode, background colour and output file."""

    def __init__(self, default_path: Path, options: ExportOptions | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export cut-out"))
        options = options or ExportOptions()
        self._color = QColor(*options.background)
        self.overwrite = False

        self.mode_buttons = {mode: QRadioButton(export_mode_label(mode)) for mode in ExportMode}
        self.modes = QButtonGroup(self)
        for mode, button in self.mode_buttons.items():
            self.modes.addButton(button)
            button.setChecked(options.mode is mode)
            button.toggled.connect(self._update_enabled)
        self.background = self.mode_buttons[ExportMode.BACKGROUND]
        self.color_button = QPushButton()
        self.color_button.clicked.connect(self._choose_color)
        self._show_color()
        self.decontaminate_check, self.matting_check = edge_checkboxes(options)

        self.path_edit = QLineEdit(str(default_path))
        browse = QPushButton(self.tr("Browse..."))
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        bg_row = QHBoxLayout()
        bg_row.addWidget(self.background)
        bg_row.addWidget(self.color_button)
        bg_row.addStretch(1)

        form = QFormLayout()
        mode_box = QVBoxLayout()
        for mode, button in self.mode_buttons.items():
            if mode is not ExportMode.BACKGROUND:
                mode_box.addWidget(button)
        mode_box.addLayout(bg_row)
        form.addRow(self.tr("Result:"), mode_box)
        edge_box = QVBoxLayout()
        edge_box.addWidget(self.decontaminate_check)
        edge_box.addWidget(self.matting_check)
        form.addRow(self.tr("Edges:"), edge_box)
        form.addRow(self.tr("File:"), path_row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._update_enabled()
        self.resize(560, self.sizeHint().height())

    def options(self) -> ExportOptions:
        """The chosen mode, background colour and edge treatment."""
        mode = next(mode for mode, button in self.mode_buttons.items() if button.isChecked())
        background = (self._color.red(), self._color.green(), self._color.blue())
        return ExportOptions(mode=mode, background=background, decontaminate=self.decontaminate_check.isChecked(),
                             matting=self.matting_check.isChecked())

    def path(self) -> Path:
        """The chosen output file (``.png`` added if missing)."""
        path = Path(self.path_edit.text().strip()).expanduser()
        return path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")

    def _update_enabled(self) -> None:
        self.color_button.setEnabled(self.background.isChecked())
        self.decontaminate_check.setEnabled(not self.mode_buttons[ExportMode.MASK].isChecked())

    def _show_color(self) -> None:
        self.color_button.setText(self._color.name())
        self.color_button.setStyleSheet(
            f"background-color: {self._color.name()}; color: {'black' if self._color.lightness() > 127 else 'white'}"
        )

    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self._color, self, self.tr("Background colour"))
        if color.isValid():
            self._color = color
            self._show_color()

    def _browse(self) -> None:
        name = save_file_name(self, self.tr("Export as"), self.path(), self.tr("PNG images (*.png)"))
        if name:
            self.path_edit.setText(name)
            self.overwrite = Path(name).exists()  # the file dialog already asked

    def _accept(self) -> None:
        path = self.path()
        if not path.name or path.name == ".png":
            return
        if path.exists() and not self.overwrite:
            answer = QMessageBox.question(
                self,
                self.tr("Replace file"),
                self.tr("{name} already exists. Replace it?").format(name=path.name),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.overwrite = True
        self.accept()
