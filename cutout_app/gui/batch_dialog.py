"""The batch dialog: cut out every photo of a folder in the background, with a report.

The work is :func:`cutout_app.core.batch.local.run_pipelined` on a :class:`~cutout_app.gui.workers.TaskWorker`, like
every background task of the window; the model is opened by the window's own loader, on the provider the
window uses. The dialog only collects the options, shows per-file results as they arrive (failed rows in
red) and summarises the run at the end, above the list, where it is seen without scrolling; "Open output
folder" shows the results. Every text is set in :meth:`BatchDialog.retranslate`, which a language change
calls again.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cutout_app.core.batch import (
    BatchOptions,
    BatchReport,
    FileResult,
    Manifest,
    ManifestSummary,
    batch_workers,
    check_output_folder,
    inference_threads,
    plan_batch,
    run_pipelined,
)
from cutout_app.core.edges import MAX_EDGE_PX, MAX_SHIFT_PX, MaskSettings
from cutout_app.core.errors import CutoutError
from cutout_app.core.files import ExportMode, ExportOptions
from cutout_app.core.inference import ProviderChoice, Segmenter, open_model
from cutout_app.core.wording import CONTEXT
from cutout_app.gui.export_dialog import edge_checkboxes, export_mode_label
from cutout_app.gui.file_dialogs import folder_name
from cutout_app.gui.settings import AppSettings
from cutout_app.gui.workers import TaskWorker, WorkerPool

_DEFAULT_OUTPUT_NAME = "cutouts"
#: The results list always shows at least this many rows, however long the summary above it is.
MIN_RESULT_ROWS = 6
#: Failed rows of the results list stand out in this colour.
FAILED_BACKGROUND = QColor(255, 214, 214)
FAILED_TEXT = QColor(140, 0, 0)


class BatchDialog(QDialog):
    """Choose an input and an output folder and export options, then cut out every photo in the input.

    ``batch_finished`` carries the BatchReport (None when the batch could not start; the reason is
    then in :meth:`summary_text`). The model at ``model_path`` is opened on ``provider`` when the first
    batch needs it; pass ``engine`` to reuse a loaded model that nothing else runs meanwhile, and
    ``settings`` to remember the folders.
    """

    batch_finished = Signal(object)

    def __init__(
        self,
        model_path: Path,
        parent: QWidget | None = None,
        engine: Segmenter | None = None,
        settings: AppSettings | None = None,
        provider: ProviderChoice = "auto",
    ) -> None:
        super().__init__(parent)
        self.model_path = Path(model_path)
        self.provider = provider
        self._engine = engine
        self._settings = settings
        self._pool = WorkerPool(self)
        self._worker: TaskWorker | None = None
        self._report: BatchReport | None = None
        self._background = QColor(*ExportOptions().background)

        self.setMinimumWidth(640)
        self._build()
        self.retranslate()
        self._restore_folders()
        self._update_enabled()

    # --- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.input_edit = QLineEdit()
        self.input_browse = QPushButton()
        self.input_browse.clicked.connect(self._browse_input)
        self.output_edit = QLineEdit()
        self.output_browse = QPushButton()
        self.output_browse.clicked.connect(self._browse_output)
        self.recursive_check = QCheckBox()
        self.recursive_check.setChecked(BatchOptions().recursive)
        self.overwrite_check = QCheckBox()

        self.folders_box = QGroupBox()
        self.folders_form = QFormLayout(self.folders_box)
        self.folders_form.addRow(QLabel(), self._row(self.input_edit, self.input_browse))
        self.folders_form.addRow(QLabel(), self._row(self.output_edit, self.output_browse))
        self.folders_form.addRow(QLabel(), self._row(self.recursive_check, self.overwrite_check, stretch_first=False))

        defaults = MaskSettings()
        self.mode_combo = QComboBox()
        for mode in ExportMode:
            self.mode_combo.addItem("", mode)
        self.mode_combo.currentIndexChanged.connect(self._update_enabled)
        self.color_button = QPushButton()
        self.color_button.clicked.connect(self._choose_color)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setValue(defaults.threshold)
        self.refine_check = QCheckBox()
        self.refine_check.setChecked(defaults.refine)
        self.edge_spin = QSpinBox()
        self.edge_spin.setRange(0, int(MAX_EDGE_PX))
        self.edge_spin.setValue(round(defaults.edge_px))
        self.edge_spin.setSuffix(" px")
        self.shift_spin = QSpinBox()
        self.shift_spin.setRange(-MAX_SHIFT_PX, MAX_SHIFT_PX)
        self.shift_spin.setValue(defaults.shift_px)
        self.shift_spin.setSuffix(" px")
        self.shift_label = QLabel()
        self.decontaminate_check, self.matting_check = edge_checkboxes(ExportOptions())
        self.set_background_color(self._background)

        self.export_box = QGroupBox()
        self.export_form = QFormLayout(self.export_box)
        self.export_form.addRow(QLabel(), self._row(self.mode_combo, self.color_button))
        self.export_form.addRow(QLabel(), self._row(self.threshold_spin, self.refine_check, stretch_first=False))
        self.export_form.addRow(QLabel(), self._row(self.edge_spin, self.shift_label, self.shift_spin, stretch_first=False))
        self.export_form.addRow(QLabel(), self._row(self.decontaminate_check, self.matting_check, stretch_first=False))

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.status_label = QLabel()

        # The summary sits above the list, so it is seen when the batch ends, however long the list is.
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.summary_view = QPlainTextEdit()
        self.summary_view.setReadOnly(True)
        self.summary_view.setMaximumHeight(90)
        self.summary_view.hide()

        self.results_table = QTableWidget(0, 3)
        self.results_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_table.verticalHeader().setVisible(False)
        header = self.results_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.results_table.setMinimumHeight(self._rows_height(MIN_RESULT_ROWS))

        self.start_button = QPushButton()
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton()
        self.cancel_button.clicked.connect(self.cancel)
        self.open_folder_button = QPushButton()
        self.open_folder_button.clicked.connect(self.open_output_folder)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.open_folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.folders_box)
        layout.addWidget(self.export_box)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.summary_view)
        layout.addWidget(self.results_table, 1)
        layout.addWidget(self.buttons)

    def retranslate(self) -> None:
        """Set every text in the current language (called again when the language changes)."""
        self.setWindowTitle(self.tr("Batch cut-out"))
        self.input_edit.setPlaceholderText(self.tr("Folder with the photos to cut out"))
        self.output_edit.setPlaceholderText(self.tr("Folder for the PNG results (created if needed)"))
        for button in (self.input_browse, self.output_browse):
            button.setText(self.tr("Browse…"))
        self.recursive_check.setText(self.tr("Include sub-folders"))
        self.overwrite_check.setText(self.tr("Overwrite existing results"))
        self.overwrite_check.setToolTip(self.tr("When unchecked, photos whose PNG already exists are skipped."))
        self.folders_box.setTitle(self.tr("Folders"))
        for row, text in enumerate((self.tr("Input folder:"), self.tr("Output folder:"))):
            self._form_label(self.folders_form, row, text)
        for i in range(self.mode_combo.count()):
            self.mode_combo.setItemText(i, export_mode_label(self.mode_combo.itemData(i)))
        self.color_button.setText(self.tr("Colour…"))
        self.threshold_spin.setToolTip(self.tr("Pixels more likely than this to be foreground are kept."))
        self.refine_check.setText(self.tr("Refine edges"))
        self.edge_spin.setSpecialValueText(self.tr("as the model gives it"))
        self.edge_spin.setToolTip(self.tr("Feather the outline over this many pixels; the inside stays solid."))
        self.shift_label.setText(self.tr("Shift edge:"))
        self.shift_spin.setToolTip(self.tr("Move the outline out (grow, +) or in (shrink, −) by this many pixels."))
        self.export_box.setTitle(self.tr("Export"))
        for row, text in enumerate((self.tr("Output:"), self.tr("Threshold:"), self.tr("Edge width:"), self.tr("Edges:"))):
            self._form_label(self.export_form, row, text)
        if self._report is None and self._worker is None and not self.summary_label.text():
            self.status_label.setText(self.tr("Ready."))
        self.results_table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Status"), self.tr("Error")])
        self.start_button.setText(self.tr("Start"))
        self.cancel_button.setText(self.tr("Cancel batch"))
        self.open_folder_button.setText(self.tr("Open output folder"))
        self.open_folder_button.setToolTip(self.tr("Show the results in the file manager"))

    @staticmethod
    def _form_label(form: QFormLayout, row: int, text: str) -> None:
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if item is not None and isinstance(item.widget(), QLabel):
            item.widget().setText(text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _row(*widgets: QWidget, stretch_first: bool = True) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        for i, widget in enumerate(widgets):
            box.addWidget(widget, 1 if i == 0 and stretch_first else 0)
        if not stretch_first:
            box.addStretch(1)
        return row

    # --- options -----------------------------------------------------------------------------------
    def set_background_color(self, color: QColor) -> None:
        """The colour used by the "on a background colour" export."""
        self._background = QColor(color)
        swatch = QPixmap(16, 16)
        swatch.fill(self._background)
        self.color_button.setIcon(QIcon(swatch))

    def options(self) -> BatchOptions:
        """The batch options the widgets describe."""
        mode = self.mode_combo.currentData()
        background = (self._background.red(), self._background.green(), self._background.blue())
        return BatchOptions(
            recursive=self.recursive_check.isChecked(),
            overwrite=self.overwrite_check.isChecked(),
            export=ExportOptions(mode=mode, background=background, decontaminate=self.decontaminate_check.isChecked(),
                                 matting=self.matting_check.isChecked()),
            mask=MaskSettings(
                threshold=float(self.threshold_spin.value()),
                refine=self.refine_check.isChecked(),
                edge_px=float(self.edge_spin.value()),
                shift_px=self.shift_spin.value(),
            ),
        )

    def is_running(self) -> bool:
        return self._worker is not None

    def report(self) -> BatchReport | None:
        """The report of the last finished batch."""
        return self._report

    def summary_text(self) -> str:
        """The summary the user reads when the batch ends: the counts and, below them, the failures."""
        details = self.summary_view.toPlainText() if self.summary_view.isVisibleTo(self) else ""
        return "\n".join(filter(None, (self.summary_label.text(), details)))

    def _show_summary(self, head: str, details: str = "") -> None:
        self.summary_label.setText(head)
        self.summary_view.setPlainText(details)
        self.summary_view.setVisible(bool(details))
        self._fit_height()

    def _rows_height(self, rows: int) -> int:
        """The results list's height that shows ``rows`` rows under its header."""
        table = self.results_table
        row = table.verticalHeader().defaultSectionSize()
        return table.horizontalHeader().sizeHint().height() + rows * row + 2 * table.frameWidth()

    def _fit_height(self) -> None:
        """Grow the dialog (within its screen) when the summary needs room, rather than squeezing the list."""
        needed = self.sizeHint().height()
        screen = self.screen()
        if screen is not None:
            needed = min(needed, screen.availableGeometry().height())
        if self.height() < needed:
            self.resize(self.width(), needed)

    @Slot()
    def open_output_folder(self) -> bool:
        """Show the output folder in the file manager; False if it does not exist yet."""
        folder = Path(self.output_edit.text().strip()).expanduser()
        if not self.output_edit.text().strip() or not folder.is_dir():
            self.status_label.setText(self.tr("The output folder does not exist yet."))
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder.resolve())))

    # --- folders -----------------------------------------------------------------------------------
    def _restore_folders(self) -> None:
        if self._settings is None:
            return
        for edit, value in zip((self.input_edit, self.output_edit), self._settings.batch_folders()):
            if value:
                edit.setText(value)

    def _remember_folders(self) -> None:
        if self._settings is not None:
            self._settings.set_batch_folders(self.input_edit.text().strip(), self.output_edit.text().strip())

    @Slot()
    def _browse_input(self) -> None:
        folder = folder_name(self, self.tr("Choose the folder of photos"), self.input_edit.text())
        if folder:
            self.input_edit.setText(folder)
            if not self.output_edit.text().strip():
                self.output_edit.setText(str(Path(folder) / _DEFAULT_OUTPUT_NAME))

    @Slot()
    def _browse_output(self) -> None:
        start = self.output_edit.text() or self.input_edit.text()
        folder = folder_name(self, self.tr("Choose the output folder"), start)
        if folder:
            self.output_edit.setText(folder)

    @Slot()
    def _choose_color(self) -> None:
        color = QColorDialog.getColor(self._background, self, self.tr("Background colour"))
        if color.isValid():
            self.set_background_color(color)

    # --- running -----------------------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        """Start the batch with the current options; False (and a message) if the fields are not filled in."""
        if self._worker is not None:
            return False
        in_text, out_text = self.input_edit.text().strip(), self.output_edit.text().strip()
        if not in_text:
            self._show_problem(self.tr("Choose the folder of photos to cut out."))
            return False
        if not out_text:
            self._show_problem(self.tr("Choose the output folder."))
            return False
        self._remember_folders()
        self._report = None
        self.results_table.setRowCount(0)
        self._show_summary("")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.status_label.setText(self.tr("Looking for photos…"))

        in_dir, out_dir, options, engine = Path(in_text), Path(out_text), self.options(), self._engine
        model_path, provider = self.model_path, self.provider

        def task(progress, cancel):
            # Start retries what failed before: the dialog lists every failure of the run it shows.
            plan = plan_batch(in_dir, out_dir, options.recursive, options.overwrite, retry_failed=True)
            check_output_folder(plan.out_dir)  # before the slow model load: one clear message
            progress(0, len(plan.items))
            workers = batch_workers()
            model = engine if engine is not None or not plan.items else open_model(model_path, provider,
                                                                                    inference_threads(workers), probe=True)
            report = run_pipelined(model, plan, options, progress=progress, cancel=cancel,
                                   on_result=worker.signals.item.emit, workers=workers)
            return report, model, Manifest(out_dir).summary()

        worker = TaskWorker(task, "batch", result_on_cancel=True)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.item.connect(self._on_result)
        worker.signals.succeeded.connect(self._on_succeeded)
        worker.signals.failed.connect(self._on_failed)
        worker.signals.finished.connect(self._on_finished)
        self._worker = worker
        self._update_enabled()
        self._pool.start(worker)
        return True

    @Slot()
    def cancel(self) -> None:
        """Ask the running batch to stop after the current file; finished files stay written."""
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText(self.tr("Cancelling…"))

    def _show_problem(self, message: str) -> None:
        self.status_label.setText(message)
        self._show_summary(message)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        if done == 0:  # the plan is made: ``total`` photos to cut out
            self.progress_bar.setFormat(self.tr("%v of %m files"))
            self.progress_bar.setTextVisible(True)
            if total:
                self.status_label.setText(self.tr("Cutting out {count} photos…").format(count=total))
            else:
                self.status_label.setText(self.tr("Nothing to do."))

    def _status_text(self, status: str) -> str:
        return {
            "done": self.tr("Done"),
            "skipped": self.tr("Skipped (result exists)"),
            "failed": self.tr("Failed"),
        }.get(status, status)

    def _display_name(self, path: Path) -> str:
        base = Path(self.input_edit.text().strip()).expanduser()
        for root in (base, base.resolve()):
            try:
                return Path(path).relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)

    @Slot(object)
    def _on_result(self, result: FileResult) -> None:
        row = self.results_table.rowCount()
        self.results_table.insertRow(row)
        cells = (self._display_name(result.src), self._status_text(result.status), result.error or "")
        failed = result.status == "failed"
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(str(result.src) if column == 0 else text)
            if failed:
                item.setBackground(QBrush(FAILED_BACKGROUND))
                item.setForeground(QBrush(FAILED_TEXT))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.results_table.setItem(row, column, item)
        self.results_table.scrollToBottom()

    @Slot(object)
    def _on_succeeded(self, result: tuple[BatchReport, Segmenter | None, ManifestSummary]) -> None:
        report, self._engine, manifest = result
        self._report = report
        tr = partial(QCoreApplication.translate, CONTEXT)
        lines = report.summary(tr, self._display_name).splitlines()
        first = 2 if report.cancelled else 1
        head = [*lines[:first], self.tr("Results are in {folder}").format(folder=self.output_edit.text().strip()),
                manifest.text(tr)]
        self._show_summary("\n".join(head), "\n".join(lines[first:]))
        self.status_label.setText(self.tr("Cancelled.") if report.cancelled else self.tr("Finished."))

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self._report = None
        message = str(exc) if isinstance(exc, CutoutError) else f"{type(exc).__name__}: {exc}"
        self._show_problem(self.tr("The batch could not run: {reason}").format(reason=message))

    @Slot()
    def _on_finished(self) -> None:
        self._worker = None
        self._update_enabled()
        self.batch_finished.emit(self._report)

    def _update_enabled(self) -> None:
        running = self._worker is not None
        for widget in (
            self.input_edit,
            self.input_browse,
            self.output_edit,
            self.output_browse,
            self.recursive_check,
            self.overwrite_check,
            self.mode_combo,
            self.threshold_spin,
            self.refine_check,
            self.edge_spin,
            self.shift_spin,
            self.decontaminate_check,
            self.matting_check,
            self.start_button,
        ):
            widget.setEnabled(not running)
        self.color_button.setEnabled(not running and self.mode_combo.currentData() == ExportMode.BACKGROUND)
        self.cancel_button.setEnabled(running)

    # --- closing -----------------------------------------------------------------------------------
    def reject(self) -> None:
        """Closing the dialog cancels a running batch and waits for the current file to stop."""
        if self._worker is not None:
            self._worker.cancel()
            self._pool.wait()
        super().reject()
