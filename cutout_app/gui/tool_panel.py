"""The side panel: segment button, brush size/hardness, click tool, mask threshold/softness, view mode and overlay.

The editor options are bound both ways to the :class:`~cutout_app.gui.editor_state.EditorState`, as
napari's layer controls are to their layer: user input calls ``state.set``, and ``state.changed``
updates the widget with its signals blocked. Threshold and softness belong to the open photo, so the
window applies them.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
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

from cutout_app.core.edges import MaskSettings
from cutout_app.gui.editor_state import MAX_BRUSH, MIN_BRUSH, OPTIONS, EditorState, ViewMode


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
        """Show ``value`` (0..1); ``changed`` follows unless this widget's signals are blocked."""
        self.slider.setValue(round(value * 100))

    def _show(self) -> None:
        self.label.setText(f"{self.slider.value()}%")

    def _on_value(self, _: int) -> None:
        self._show()
        self.changed.emit(self.value())


class ToolPanel(QWidget):
    """Controls of the editor state (brush, click tool, view) and of the photo's mask view (threshold, softness)."""

    segment_clicked = Signal()
    threshold_changed = Signal(float)
    softness_changed = Signal(float)
    threshold_committed = Signal()  # slider released: store the view settings

    def __init__(self, state: EditorState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.segment_button = QPushButton(self.tr("Segment (Space)"))
        self.segment_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.segment_button.setMinimumHeight(34)
        self.segment_button.clicked.connect(self.segment_clicked)

        # brush
        self.size_spin = QSpinBox()
        self.size_spin.setRange(MIN_BRUSH, MAX_BRUSH)
        self.size_spin.setSuffix(" px")
        self.size_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.size_spin.valueChanged.connect(lambda size: state.set(brush_size=size))
        self.hardness = PercentSlider(state.brush_hardness)
        self.hardness.changed.connect(lambda value: state.set(brush_hardness=value))
        brush_box = QGroupBox(self.tr("Brush"))
        brush_form = QFormLayout(brush_box)
        brush_form.addRow(self.tr("Size ([ ]):"), self.size_spin)
        brush_form.addRow(self.tr("Hardness:"), self.hardness)

        # click tool
        self.refine_check = QCheckBox(self.tr("Refine at full resolution"))
        self.refine_check.setToolTip(self.tr("After each click, refine the mask tile by tile (slower, sharper edges)."))
        self.refine_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.refine_check.toggled.connect(lambda on: state.set(refine_clicks=on))
        click_box = QGroupBox(self.tr("Click (C)"))
        click_form = QVBoxLayout(click_box)
        click_form.addWidget(QLabel(self.tr("Left click: keep · right or Shift+click: remove · Esc: clear clicks")))
        click_form.itemAt(0).widget().setWordWrap(True)
        click_form.addWidget(self.refine_check)

        # mask view (a setting of the open photo, applied by the window)
        defaults = MaskSettings()
        self.threshold = PercentSlider(defaults.threshold)
        self.threshold.changed.connect(self.threshold_changed)
        self.threshold.slider.sliderReleased.connect(self.threshold_committed)
        self.softness = PercentSlider(defaults.softness)
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
        self.mode_combo.currentIndexChanged.connect(lambda _: state.set_view_mode(self.mode_combo.currentData()))
        self.opacity = PercentSlider(state.overlay_opacity)
        self.opacity.changed.connect(lambda value: state.set(overlay_opacity=value))
        self.color_button = QPushButton()
        self.color_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.color_button.clicked.connect(self._choose_color)
        view_box = QGroupBox(self.tr("View"))
        view_form = QFormLayout(view_box)
        view_form.addRow(self.tr("Show:"), self.mode_combo)
        view_form.addRow(self.tr("Overlay opacity:"), self.opacity)
        view_form.addRow(self.tr("Overlay colour:"), self.color_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.segment_button)
        layout.addWidget(click_box)
        layout.addWidget(brush_box)
        layout.addWidget(mask_box)
        layout.addWidget(view_box)
        layout.addStretch(1)
        self.setMinimumWidth(240)

        for name in OPTIONS:
            self._show(name)
        state.changed.connect(self._show)

    # --- state -> widgets, without echoing back ------------------------------------------------
    def _show(self, name: str) -> None:
        s = self.state
        widget, show = {
            "brush_size": (self.size_spin, lambda: self.size_spin.setValue(round(s.brush_size))),
            "brush_hardness": (self.hardness, lambda: self.hardness.set_value(s.brush_hardness)),
            "refine_clicks": (self.refine_check, lambda: self.refine_check.setChecked(s.refine_clicks)),
            "view_mode": (self.mode_combo, lambda: self.mode_combo.setCurrentIndex(self.mode_combo.findData(s.view_mode))),
            "overlay_opacity": (self.opacity, lambda: self.opacity.set_value(s.overlay_opacity)),
            "overlay_color": (self.color_button, self._show_color),
        }.get(name, (None, None))
        if widget is not None:
            with QSignalBlocker(widget):
                show()

    def show_mask_settings(self, settings: MaskSettings) -> None:
        """Show the open photo's threshold and softness."""
        for slider, value in ((self.threshold, settings.threshold), (self.softness, settings.softness)):
            with QSignalBlocker(slider):
                slider.set_value(value)

    def _show_color(self) -> None:
        color = self.state.overlay_color
        self.color_button.setText(color.name())
        text = "black" if color.lightness() > 127 else "white"
        self.color_button.setStyleSheet(f"background-color: {color.name()}; color: {text}")

    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self.state.overlay_color, self, self.tr("Overlay colour"))
        if color.isValid():
            self.state.set(overlay_color=color)
