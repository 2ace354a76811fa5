"""The side panel: segment button, click tool, brush, the mask's edge, view mode and overlay.

The editor options are bound both ways to the :class:`~cutout_app.gui.editor_state.EditorState`, as
napari's layer controls are to their layer: user input calls ``state.set``, and ``state.changed``
updates the widget with its signals blocked. Threshold, softness, edge width and shift belong to the
open photo, so the window applies them (``mask_changed``). Every text is set in :meth:`ToolPanel.retranslate`,
which a language change calls again; the keys shown come from :mod:`cutout_app.gui.shortcuts`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
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

from cutout_app.core.edges import MAX_EDGE_PX, MAX_SHIFT_PX, MaskSettings
from cutout_app.gui.editor_state import MAX_BRUSH, MIN_BRUSH, OPTIONS, Backdrop, EditorState, OverlayTint, ViewMode
from cutout_app.gui.shortcuts import command, tooltip


def _slider(minimum: int, maximum: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(minimum, maximum)
    slider.setValue(value)
    slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    return slider


def _spin(minimum: int, maximum: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSuffix(" px")
    spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    return spin


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
    """Controls of the editor state (brush, click tool, view) and of the photo's mask (threshold, edge)."""

    segment_clicked = Signal()
    #: The user changed a mask setting: its MaskSettings field name and value.
    mask_changed = Signal(str, object)
    #: A mask setting was set (slider released, spin box changed): store it with the autosave.
    mask_committed = Signal()

    def __init__(self, state: EditorState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.segment_button = QPushButton()
        self.segment_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.segment_button.setMinimumHeight(34)
        self.segment_button.clicked.connect(self.segment_clicked)

        # click tool
        self.refine_check = QCheckBox()
        self.refine_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.refine_check.toggled.connect(lambda on: state.set(refine_clicks=on))
        self.hover_check = QCheckBox()
        self.hover_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hover_check.toggled.connect(lambda on: state.set(hover_preview=on))
        self.click_help = QLabel()
        self.click_help.setWordWrap(True)
        self.box_help = QLabel()
        self.box_help.setWordWrap(True)
        self.click_box = QGroupBox()
        click_form = QVBoxLayout(self.click_box)
        click_form.addWidget(self.click_help)
        click_form.addWidget(self.box_help)
        click_form.addWidget(self.refine_check)
        click_form.addWidget(self.hover_check)

        # brush
        self.size_spin = _spin(MIN_BRUSH, MAX_BRUSH)
        self.size_spin.valueChanged.connect(lambda size: state.set(brush_size=size))
        self.hardness = PercentSlider(state.brush_hardness)
        self.hardness.changed.connect(lambda value: state.set(brush_hardness=value))
        self.brush_box = QGroupBox()
        self.brush_form = QFormLayout(self.brush_box)
        self.brush_form.addRow(QLabel(), self.size_spin)
        self.brush_form.addRow(QLabel(), self.hardness)

        # the mask's edge (settings of the open photo, applied by the window)
        defaults = MaskSettings()
        self.threshold = PercentSlider(defaults.threshold)
        self.softness = PercentSlider(defaults.softness)
        self.edge_spin = _spin(0, int(MAX_EDGE_PX))
        self.edge_spin.setValue(round(defaults.edge_px))
        self.shift_spin = _spin(-MAX_SHIFT_PX, MAX_SHIFT_PX)
        self.shift_spin.setValue(defaults.shift_px)
        for name, slider in (("threshold", self.threshold), ("softness", self.softness)):
            slider.changed.connect(lambda value, n=name: self.mask_changed.emit(n, value))
            slider.slider.sliderReleased.connect(self.mask_committed)
        for name, spin in (("edge_px", self.edge_spin), ("shift_px", self.shift_spin)):
            spin.valueChanged.connect(lambda value, n=name: (self.mask_changed.emit(n, value), self.mask_committed.emit()))
        self.mask_box = QGroupBox()
        self.mask_form = QFormLayout(self.mask_box)
        for widget in (self.threshold, self.softness, self.edge_spin, self.shift_spin):
            self.mask_form.addRow(QLabel(), widget)

        # view
        self.mode_combo = QComboBox()
        self.mode_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for mode in ViewMode:
            self.mode_combo.addItem("", mode)
        self.mode_combo.currentIndexChanged.connect(lambda _: state.set_view_mode(self.mode_combo.currentData()))
        self.opacity = PercentSlider(state.overlay_opacity)
        self.opacity.changed.connect(lambda value: state.set(overlay_opacity=value))
        self.tint_combo = QComboBox()
        self.tint_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for tint in OverlayTint:
            self.tint_combo.addItem("", tint)
        self.tint_combo.currentIndexChanged.connect(lambda _: state.set(overlay_tint=self.tint_combo.currentData()))
        self.color_button = QPushButton()
        self.color_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.color_button.clicked.connect(self._choose_color)
        self.backdrop_combo = QComboBox()
        self.backdrop_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for backdrop in Backdrop:
            self.backdrop_combo.addItem("", backdrop)
        self.backdrop_combo.currentIndexChanged.connect(lambda _: state.set(cutout_backdrop=self.backdrop_combo.currentData()))
        self.outline_check = QCheckBox()
        self.outline_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.outline_check.toggled.connect(lambda on: state.set(show_outline=on))
        self.view_box = QGroupBox()
        self.view_form = QFormLayout(self.view_box)
        for widget in (self.mode_combo, self.opacity, self.tint_combo, self.color_button, self.backdrop_combo):
            self.view_form.addRow(QLabel(), widget)
        self.view_form.addRow(self.outline_check)

        layout = QVBoxLayout(self)
        layout.addWidget(self.segment_button)
        layout.addWidget(self.click_box)
        layout.addWidget(self.brush_box)
        layout.addWidget(self.mask_box)
        layout.addWidget(self.view_box)
        layout.addStretch(1)
        self.setMinimumWidth(250)

        self.retranslate()
        for name in OPTIONS:
            self._show(name)
        state.changed.connect(self._show)

    # --- texts ---------------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Set every text in the current language (called again when the language changes)."""
        self.segment_button.setText(tooltip("segment"))
        self.click_box.setTitle(tooltip("tool_click"))
        self.click_help.setText(self.tr("Left click: keep · right or Shift+click: remove · Esc: clear clicks"))
        self.box_help.setText(self.tr("{tool}: drag around an object · Shift: add it · Alt or right drag: remove it · "
                                      "Ctrl: lasso").format(tool=tooltip("tool_box")))
        self.refine_check.setText(self.tr("Refine at full resolution"))
        self.refine_check.setToolTip(self.tr("After each click, refine the mask tile by tile (slower, sharper edges)."))
        self.hover_check.setText(self.tr("Preview where the pointer rests"))
        self.hover_check.setToolTip(self.tr("With the click tool, rest the pointer to see what a keep click there would "
                                            "take, tinted. The mask does not change."))
        self.brush_box.setTitle(self.tr("Brush"))
        keys = f"{command('brush_smaller').key_text()} {command('brush_bigger').key_text()}"
        self._label(self.brush_form, self.size_spin, self.tr("Size ({keys}):").format(keys=keys))
        self._label(self.brush_form, self.hardness, self.tr("Hardness:"))
        self.mask_box.setTitle(self.tr("Mask"))
        self._label(self.mask_form, self.threshold, self.tr("Threshold:"))
        self._label(self.mask_form, self.softness, self.tr("Edge softness:"))
        self.softness.setToolTip(self.tr("How much of the model's soft transition the edge keeps. With an edge width, "
                                         "only within that width: the inside stays solid."))
        self._label(self.mask_form, self.edge_spin, self.tr("Edge width:"))
        self.edge_spin.setSpecialValueText(self.tr("as the model gives it"))
        self.edge_spin.setToolTip(self.tr("Feather the outline over this many pixels. Everything farther inside stays "
                                          "fully opaque, everything farther outside fully clear."))
        self._label(self.mask_form, self.shift_spin, self.tr("Shift edge:"))
        self.shift_spin.setToolTip(self.tr("Move the outline out (grow, +) or in (shrink, −) by this many pixels."))
        self.view_box.setTitle(self.tr("View"))
        self._label(self.view_form, self.mode_combo, self.tr("Show:"))
        for i in range(self.mode_combo.count()):
            mode = self.mode_combo.itemData(i)
            self.mode_combo.setItemText(i, mode.label())
            self.mode_combo.setItemData(i, tooltip(f"view_{mode.value}"), Qt.ItemDataRole.ToolTipRole)
        self._label(self.view_form, self.opacity, self.tr("Overlay opacity:"))
        self._label(self.view_form, self.tint_combo, self.tr("Overlay colours:"))
        for combo in (self.tint_combo, self.backdrop_combo):
            for i in range(combo.count()):
                combo.setItemText(i, combo.itemData(i).label())
        self._label(self.view_form, self.color_button, self.tr("Overlay colour:"))
        self._label(self.view_form, self.backdrop_combo, self.tr("Cut-out on:"))
        self.backdrop_combo.setToolTip(self.tr("A solid colour shows holes and fringes that a checkerboard hides."))
        self.outline_check.setText(tooltip("outline"))
        self.outline_check.setToolTip(self.tr("Draw the mask's outline: small holes show as rings."))

    @staticmethod
    def _label(form: QFormLayout, field: QWidget, text: str) -> None:
        label = form.labelForField(field)
        if isinstance(label, QLabel):
            label.setText(text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # --- state -> widgets, without echoing back ------------------------------------------------
    def _show(self, name: str) -> None:
        s = self.state
        widget, show = {
            "brush_size": (self.size_spin, lambda: self.size_spin.setValue(round(s.brush_size))),
            "brush_hardness": (self.hardness, lambda: self.hardness.set_value(s.brush_hardness)),
            "refine_clicks": (self.refine_check, lambda: self.refine_check.setChecked(s.refine_clicks)),
            "hover_preview": (self.hover_check, lambda: self.hover_check.setChecked(s.hover_preview)),
            "view_mode": (self.mode_combo, lambda: self.mode_combo.setCurrentIndex(self.mode_combo.findData(s.view_mode))),
            "overlay_opacity": (self.opacity, lambda: self.opacity.set_value(s.overlay_opacity)),
            "overlay_color": (self.color_button, self._show_color),
            "overlay_tint": (self.tint_combo, lambda: self.tint_combo.setCurrentIndex(self.tint_combo.findData(s.overlay_tint))),
            "cutout_backdrop": (self.backdrop_combo,
                                lambda: self.backdrop_combo.setCurrentIndex(self.backdrop_combo.findData(s.cutout_backdrop))),
            "show_outline": (self.outline_check, lambda: self.outline_check.setChecked(s.show_outline)),
        }.get(name, (None, None))
        if widget is not None:
            with QSignalBlocker(widget):
                show()

    def mask_settings(self) -> MaskSettings:
        """The threshold, softness, edge width and shift the panel shows (for a photo just opened)."""
        return MaskSettings(threshold=self.threshold.value(), softness=self.softness.value(),
                            edge_px=float(self.edge_spin.value()), shift_px=self.shift_spin.value())

    def show_mask_settings(self, settings: MaskSettings) -> None:
        """Show the open photo's threshold, softness, edge width and shift."""
        for slider, value in ((self.threshold, settings.threshold), (self.softness, settings.softness)):
            with QSignalBlocker(slider):
                slider.set_value(value)
        for spin, number in ((self.edge_spin, round(settings.edge_px)), (self.shift_spin, settings.shift_px)):
            with QSignalBlocker(spin):
                spin.setValue(number)

    def _show_color(self) -> None:
        color = self.state.overlay_color
        self.color_button.setText(color.name())
        text = "black" if color.lightness() > 127 else "white"
        self.color_button.setStyleSheet(f"background-color: {color.name()}; color: {text}")

    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self.state.overlay_color, self, self.tr("Overlay colour"))
        if color.isValid():
            self.state.set(overlay_color=color)
