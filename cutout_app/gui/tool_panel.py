"""The side panel: segment button, brush size/hardness, mask threshold/softness, view mode and overlay."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cutout_app.gui.tools import MAX_BRUSH, MIN_BRUSH, ViewMode


def _slider(minimum: int, maximum: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(minimum, maximum)
    slider.setValue(value)
    slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    return slider


class PercentSlider(QWidget):
    """A 0..100 slider with its value shown as a percentage; ``value`` is 0..1."""

    changed = Signal(float)

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = _slider(0, 100, round(value * 100))
        self.label = QLabel()
        self.label.setMinimumWidth(36)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_value)
        self._show()

    def value(self) -> float:
        return self.slider.value() / 100.0

    def set_value(self, value: float) -> None:
        self.slider.setValue(round(value * 100))

    def _show(self) -> None:
        self.label.setText(f"{self.slider.value()}%")

    def _on_value(self, _: int) -> None:
        self._show()
        self.changed.emit(self.value())


class ToolPanel(QWidget):
    """Controls that change the canvas's brush, the document's view settings and the view mode."""

    segment_clicked = Signal()
    brush_size_changed = Signal(int)
    hardness_changed = Signal(float)
    threshold_changed = Signal(float)
    softness_changed = Signal(float)
    threshold_committed = Signal()  # slider released: store the view settings
    mode_changed = Signal(object)  # ViewMode
    opacity_changed = Signal(float)
    color_changed = Signal(QColor)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segment_button = QPushButton(self.tr("Segment (Space)"))
        self.segment_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.segment_button.setMinimumHeight(34)
        self.segment_button.clicked.connect(self.segment_clicked)

        # brush
        self.size_spin = QSpinBox()
        self.size_spin.setRange(MIN_BRUSH, MAX_BRUSH)
        self.size_spin.setSuffix(" px")
        self.size_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.size_spin.valueChanged.connect(self.brush_size_changed)
        self.hardness = PercentSlider(0.7)
        self.hardness.changed.connect(self.hardness_changed)
        brush_box = QGroupBox(self.tr("Brush"))
        brush_form = QFormLayout(brush_box)
        brush_form.addRow(self.tr("Size ([ ]):"), self.size_spin)
        brush_form.addRow(self.tr("Hardness:"), self.hardness)

        # mask view
        self.threshold = PercentSlider(0.5)
        self.threshold.changed.connect(self.threshold_changed)
        self.threshold.slider.sliderReleased.connect(self.threshold_committed)
        self.softness = PercentSlider(0.1)
        self.softness.changed.connect(self.softness_changed)
        self.softness.slider.sliderReleased.connect(self.threshold_committed)
        mask_box = QGroupBox(self.tr("Mask"))
        mask_form = QFormLayout(mask_box)
        mask_form.addRow(self.tr("Threshold:"), self.threshold)
        mask_form.addRow(self.tr("Edge softness:"), self.softness)

        # view
        self.mode_combo = QComboBox()
        self.mode_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for mode in ViewMode:
            self.mode_combo.addItem(mode.label(), mode)
        self.mode_combo.currentIndexChanged.connect(lambda _: self.mode_changed.emit(self.mode_combo.currentData()))
        self.opacity = PercentSlider(0.5)
        self.opacity.changed.connect(self.opacity_changed)
        self.color_button = QPushButton()
        self.color_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.color_button.clicked.connect(self._choose_color)
        self._color = QColor(255, 32, 96)
        self._show_color()
        view_box = QGroupBox(self.tr("View"))
        view_form = QFormLayout(view_box)
        view_form.addRow(self.tr("Show:"), self.mode_combo)
        view_form.addRow(self.tr("Overlay opacity:"), self.opacity)
        view_form.addRow(self.tr("Overlay colour:"), self.color_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.segment_button)
        layout.addWidget(brush_box)
        layout.addWidget(mask_box)
        layout.addWidget(view_box)
        layout.addStretch(1)
        self.setMinimumWidth(240)

    # --- setters that do not echo signals back ----------------------------------------------
    def show_brush(self, size: float, hardness: float) -> None:
        for widget in (self.size_spin, self.hardness.slider):
            widget.blockSignals(True)
        self.size_spin.setValue(round(size))
        self.hardness.set_value(hardness)
        self.hardness._show()
        for widget in (self.size_spin, self.hardness.slider):
            widget.blockSignals(False)

    def show_mode(self, mode: ViewMode) -> None:
        index = self.mode_combo.findData(mode)
        if index >= 0 and index != self.mode_combo.currentIndex():
            self.mode_combo.setCurrentIndex(index)

    def show_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self._show_color()

    def _show_color(self) -> None:
        self.color_button.setText(self._color.name())
        text = "black" if self._color.lightness() > 127 else "white"
        self.color_button.setStyleSheet(f"background-color: {self._color.name()}; color: {text}")

    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self._color, self, self.tr("Overlay colour"))
        if color.isValid():
            self.show_color(color)
            self.color_changed.emit(color)
