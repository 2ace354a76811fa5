"""The main window: open a photo, segment it in the background, correct the mask, export the cut-out.

Two models, the views bound to them, and the window: :class:`~cutout_app.gui.document.Document` (the photo
and its mask) and :class:`~cutout_app.gui.editor_state.EditorState` (tool, brush, view); the canvas, the tool
panel and the actions bind to them. The window opens (a file, a dropped file, a pasted photo, the next
photo of the folder), segments (Space, and clicks, boxes, lassos and Tab's candidates through
:class:`~cutout_app.gui.click_segmenter.ClickSegmenter`; resting the pointer previews a click through
:class:`~cutout_app.gui.hover_preview.HoverPreview`),
exports or copies the cut-out, and closes; background tasks run as :mod:`cutout_app.gui.workers` TaskWorkers,
edits are autosaved by :mod:`cutout_app.gui.autosave`, and questions to the user go through ``self.prompter``.
A language change retranslates the window at once (:meth:`MainWindow.retranslate`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox, QScrollArea

from cutout_app import __version__
from cutout_app.core.editing import RestoreInfo, default_autosave_dir
from cutout_app.core.errors import ArgumentError, CutoutError
from cutout_app.core.files import (
    SUPPORTED_EXTENSIONS,
    ExportOptions,
    cutout_path,
    export_result,
    is_supported_image,
    neighbour_photo,
)
from cutout_app.core.inference import (
    CutoutModel,
    Guidance,
    ProviderChoice,
    Segmenter,
    auto_step,
    check_runs,
    open_model,
    refine_step,
    segment_photo,
    view_step,
)
from cutout_app.core.paths import default_model_path
from cutout_app.gui.actions import build_actions
from cutout_app.gui.autosave import DocumentAutosave, describe_time
from cutout_app.gui.canvas import ImageCanvas
from cutout_app.gui.click_segmenter import VIEW_FIRST_SCALE, ClickSegmenter, preview_shape
from cutout_app.gui.clipboard import clipboard_photo, cutout_png, put_on_clipboard
from cutout_app.gui.document import Document
from cutout_app.gui.photo_loader import LoadedPhoto, PastedData, load_photo
from cutout_app.gui.editor_state import EditorState, Tool
from cutout_app.gui.export_dialog import ExportDialog
from cutout_app.gui.file_dialogs import open_file_name
from cutout_app.gui.gesture import BoxDrag, BoxMode
from cutout_app.gui.hover_preview import HoverPreview
from cutout_app.gui.prompts import DialogPrompter, Prompter, SaveChoice
from cutout_app.gui.region_preview import RegionPreview
from cutout_app.gui.settings import AppSettings, pictures_dir
from cutout_app.gui.shortcuts import command
from cutout_app.gui.status_bar import StatusBar, model_text
from cutout_app.gui.tool_panel import ToolPanel
from cutout_app.gui.workers import TaskWorker, WorkerPool

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The cutout editor window.

    ``model_path`` (default: $CUTOUT_MODEL or the bundled model) is opened on ``provider`` (default: the
    saved choice) unless ``engine`` is given; a model that cannot be loaded leaves the window usable
    without segmentation. ``settings``, ``prompter`` and ``autosave_dir`` replace the user's QSettings,
    the message boxes and the autosave folder.
    """

    #: A photo was opened (its path).
    document_opened = Signal(object)
    #: An attempt to open a photo ended: True if it was opened.
    open_finished = Signal(bool)
    #: Segmentation ended: "done", "cancelled" or "failed".
    segmentation_finished = Signal(str)
    #: Export ended: the written Path, or None if it failed.
    export_finished = Signal(object)
    #: Copying the cut-out to the clipboard ended: True if it is there.
    copy_finished = Signal(bool)
    #: The model's probe ended: True if every part ran and gave a finite map, False if it was refused.
    model_checked = Signal(bool)

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        engine: Segmenter | None = None,
        provider: ProviderChoice | None = None,
        settings: AppSettings | None = None,
        prompter: Prompter | None = None,
        autosave_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.prompter = prompter or DialogPrompter(self)
        self.autosave_dir = autosave_dir
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.provider: ProviderChoice = provider or self.settings.provider()
        self.engine = engine
        self.model_error: str | None = None
        self._note_shown: str | None = None
        if self.engine is None:
            self._load_engine()
        self.document: Document | None = None
        self.autosave: DocumentAutosave | None = None
        self.state = EditorState.load(self.settings, self)
        self.workers = WorkerPool(self)
        self.clicks = ClickSegmenter(self.workers, self.state, self)
        self.clicks.set_model(self.engine)
        self.segment_worker: TaskWorker | None = None
        self.export_worker: TaskWorker | None = None
        self.copy_worker: TaskWorker | None = None
        #: The photo being read for opening (File > Open, drop, Recent, PageDown/PageUp, paste), if any.
        self.open_worker: TaskWorker | None = None
        self._batch_dialog = None
        self._export_options = ExportOptions()
        self._export_result: Path | None = None
        self._segment_outcome = "done"

        self.setWindowTitle("cutout")
        self.setAcceptDrops(True)
        self.regions = RegionPreview(self.workers, self)
        self.hover = HoverPreview(self.workers, self.state, self.clicks.prepared, self)
        self.hover.set_model(self.engine)
        self.canvas = ImageCanvas(self.state, self.regions, self, hover=self.hover)
        self.setCentralWidget(self.canvas)
        self.panel = ToolPanel(self.state)
        self.dock = QDockWidget(self)
        self.dock.setObjectName("tool-dock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.ui_actions = build_actions(self)
        self._shortcuts_dialog = None
        self.retranslate()
        self._connect()
        self._show_model()
        self._update_actions()
        self._update_title()
        self._restore_window()
        if self.model_error:
            QTimer.singleShot(0, self._report_model_error)
        self._probe_engine()

    # ------------------------------------------------------------------ setup
    def _restore_window(self) -> None:
        """The size, place, toolbar and dock of the last session, maximised if it was (shown so by ``show()``)."""
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state, maximised = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        if maximised:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def _save_window(self) -> None:
        """Remember the window for the next start: geometry (the normal one too), toolbar and dock, maximised."""
        self.settings.set_window_geometry(bytes(self.saveGeometry().data()))
        self.settings.set_window_state(bytes(self.saveState().data()), self.isMaximized())

    def _load_engine(self) -> None:
        try:
            self.engine = open_model(self.model_path, self.provider)
            self.model_error = None
        except CutoutError as exc:
            self.engine = None
            self.model_error = str(exc)
            log.warning("no model: %s", exc)

    def _probe_engine(self) -> None:
        """Run each part of the model once, in the background (the window opens without waiting for it): a model
        that gives NaN, loops past its time budget or asks for more memory than models may use is refused as if
        it could not be loaded, before the first photo. ``model_checked`` says how it ended."""
        engine = self.engine
        if engine is None:
            return
        worker = TaskWorker(lambda progress, cancel: check_runs(engine), "probe")
        worker.signals.succeeded.connect(lambda _: self.model_checked.emit(True))
        worker.signals.failed.connect(lambda exc, e=engine: self._engine_refused(e, exc))
        self.workers.start(worker)

    def _engine_refused(self, engine: Segmenter, exc: BaseException) -> None:
        if engine is self.engine:  # not replaced meanwhile (another provider)
            self.cancel_task()
            self.engine, self.model_error = None, str(exc)
            log.warning("model refused: %s", exc)
            self.clicks.set_model(None)
            self.hover.set_model(None)
            self._show_model()
            self._update_actions()
            self._report_model_error()
        self.model_checked.emit(False)

    def _show_model(self) -> None:
        """The model and the provider it really runs on; a fall back from CUDA is said once."""
        note = self.engine.provider_note if self.engine is not None else None
        self.status.show_model(model_text(self.engine, self.model_error), note)
        if note and note != self._note_shown:
            self.status.showMessage(note, 10000)
        self._note_shown = note

    def _report_model_error(self) -> None:
        self.prompter.error(
            self.tr("Model not available"),
            self.tr("Segmentation is disabled: {reason}").format(reason=self.model_error),
        )

    def _connect(self) -> None:
        c, p, k = self.canvas, self.panel, self.clicks
        c.segment_requested.connect(self.segment)
        c.click_requested.connect(self.click_at)
        c.box_requested.connect(self.box_at)
        c.view_changed.connect(lambda: self.status.show_zoom(c.zoom))
        k.view_scale = lambda: c.zoom
        p.segment_clicked.connect(self.segment)
        p.mask_changed.connect(lambda name, value: self.set_mask_view(**{name: value}))
        p.mask_committed.connect(self._store_view_settings)
        self.regions.changed.connect(self._show_region_hint)
        k.applied.connect(self._click_applied)
        k.failed.connect(self._click_failed)
        k.progress.connect(lambda done, total: self.status.set_progress(done, total, self.tr("tiles")))
        k.busy_changed.connect(self._clicks_busy)
        k.busy_changed.connect(self.hover.set_busy)
        self.state.changed.connect(self._on_state_changed)
        self.status.cancel_clicked.connect(self.cancel_task)

    # ------------------------------------------------------------------ state display
    def _update_actions(self) -> None:
        a, doc = self.ui_actions, self.document
        busy = self.segment_worker is not None
        running = busy or self.export_worker is not None or self.clicks.busy
        a.segment.setEnabled(doc is not None and self.engine is not None and not busy)
        self.panel.segment_button.setEnabled(a.segment.isEnabled())
        a.cancel.setEnabled(running)
        a.clear_clicks.setEnabled(doc is not None and bool(doc.clicks) and not running)
        a.next_candidate.setEnabled(doc is not None and self._has_candidates())
        a.providers[self.provider].setChecked(True)
        a.export.setEnabled(doc is not None and doc.shows_mask and self.export_worker is None)
        a.copy.setEnabled(doc is not None and doc.shows_mask and self.copy_worker is None)
        a.undo.setEnabled(doc is not None and (doc.preview is not None or doc.mask.can_undo))
        a.redo.setEnabled(doc is not None and doc.mask.can_redo)
        a.batch.setEnabled(self.engine is not None)
        for action in (a.zoom_in, a.zoom_out, a.fit, a.actual, a.next_photo, a.previous_photo):
            action.setEnabled(doc is not None)
        if a.tool_group.isEnabled() != (doc is not None):
            a.enable_tools(doc is not None, self.state.tool)

    def _update_title(self) -> None:
        doc = self.document
        if doc is None or doc.photo.path is None:
            self.setWindowTitle("cutout")
            return
        star = "*" if doc.unsaved else ""
        self.setWindowTitle(f"{star}{doc.photo.path.name} — cutout")

    def _on_document_state(self) -> None:
        self._update_actions()
        self._update_title()

    def retranslate(self) -> None:
        """Set the window's own texts in the current language (the panel and dialogs follow by themselves)."""
        self.ui_actions.retranslate()
        self.dock.setWindowTitle(self.tr("Mask and view"))
        self.canvas.empty_text = self.tr("Open a photo or drop one here\n\nFile > Open ({open}) · paste one ({paste})").format(
            open=self.ui_actions.open.shortcut().toString(), paste=self.ui_actions.paste.shortcut().toString())
        self.canvas.update()
        self.status.retranslate()
        self._show_model()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        """File > Open."""
        folder = self.settings.last_open_dir()
        patterns = " ".join(f"*{ext}" for ext in sorted(SUPPORTED_EXTENSIONS))
        name = open_file_name(self, self.tr("Open photo"), folder or "",
                              self.tr("Images ({patterns});;All files (*)").format(patterns=patterns))
        if name:
            self.start_open(Path(name))

    def open_path(self, path: Path | str) -> bool:
        """Open the photo at ``path`` and return once that ended (the window goes on painting and answering
        meanwhile, and Cancel stops it); False if it was not opened. See :meth:`start_open`."""
        outcome: list[bool] = []
        loop = QEventLoop()

        def ended(opened: bool) -> None:
            outcome.append(opened)
            loop.quit()

        self.open_finished.connect(ended)
        try:
            self.start_open(path)
            if not outcome:
                loop.exec()
        finally:
            self.open_finished.disconnect(ended)
        return outcome[0]

    def start_open(self, source: Path | str | PastedData) -> TaskWorker:
        """Read a photo (a file, or pasted image bytes) in the background and then open it; ``open_finished`` says
        how it ended. A photo still being read for opening is cancelled.

        The photo is decoded in the decoder child and its autosaves recovered off the GUI thread
        (:mod:`cutout_app.gui.photo_loader`), so a photo that cannot be read leaves the open one as it is;
        then the open photo is closed (asking about unsaved edits) and an autosave is offered for restore.
        """
        source = source if isinstance(source, PastedData) else Path(source)
        name = source.name if isinstance(source, Path) else self.tr("the pasted photo")
        if self.open_worker is not None:
            self.open_worker.cancel()
        pasted = self._pasted_dir()
        worker = TaskWorker(lambda progress, cancel: load_photo(source, self.autosave_dir, pasted, cancel), "open")
        worker.signals.succeeded.connect(lambda loaded, w=worker: self._photo_loaded(w, loaded))
        worker.signals.failed.connect(lambda exc, w=worker: self._photo_not_loaded(w, source, exc))
        worker.signals.cancelled.connect(lambda w=worker: self._open_ended(w, False, self.tr("Opening cancelled")))
        self.open_worker = worker
        self.status.start_task(self.tr("Opening {name}...").format(name=name))
        self.workers.start(worker)
        return worker

    def _pasted_dir(self) -> Path:
        """Where pasted photos are saved to be opened (beside the autosaves, in cutout's data folder)."""
        return (self.autosave_dir or default_autosave_dir()).parent / "pasted"

    def _photo_not_loaded(self, worker: TaskWorker, source: Path | PastedData, exc: BaseException) -> None:
        if worker is not self.open_worker:
            return
        if isinstance(exc, MemoryError):
            name = source.name if isinstance(source, Path) else ""
            message = self.tr("Not enough memory to open {name}.").format(name=name)
        else:
            message = str(exc)
        self.prompter.error(self.tr("Cannot open photo"), message)
        if isinstance(source, Path) and not source.exists():
            self.settings.remove_recent_file(source)
        self._open_ended(worker, False, message)

    def _photo_loaded(self, worker: TaskWorker, loaded: LoadedPhoto) -> None:
        if worker is not self.open_worker:
            return  # a later open replaced it
        self.open_worker = None
        self._end_open_task()
        path = loaded.path
        if not self.close_document():
            self.status.clearMessage()
            self.open_finished.emit(False)
            return
        self._set_document(Document(loaded.photo, self.panel.mask_settings()))
        if self.clicks.takes_clicks(self.engine):
            self.state.set_tool(Tool.CLICK)
        self.settings.add_recent_file(path)
        self.settings.set_last_open_dir(path.resolve().parent)
        self.status.showMessage(self.tr("Opened {name}").format(name=path.name), 5000)
        self._offer_restore(path, loaded.autosaves)  # its message, if any, replaces that one
        self.document_opened.emit(path)
        self.open_finished.emit(True)

    def _end_open_task(self) -> None:
        if self.segment_worker is None and self.export_worker is None and not self.clicks.busy:
            self.status.end_task()

    def _open_ended(self, worker: TaskWorker, opened: bool, message: str) -> None:
        if worker is not self.open_worker:
            return
        self.open_worker = None
        self._end_open_task()
        self.status.showMessage(message, 8000)
        self.open_finished.emit(opened)

    def _set_document(self, document: Document | None) -> None:
        self.document = document
        self.canvas.set_document(document)
        self.clicks.set_document(document)
        if document is not None:
            document.state_changed.connect(self._on_document_state)
            document.clicks_changed.connect(self._update_actions)
            document.preview_changed.connect(self._update_actions)
            document.clicks_changed.connect(self._show_candidate)
            document.preview_changed.connect(self._show_candidate)
            self.status.show_size(document.width, document.height)
        else:
            self.status.show_size(0, 0)
        self._show_candidate()
        self.status.show_zoom(self.canvas.zoom)
        self.canvas.setFocus()
        self._update_actions()
        self._update_title()

    def _offer_restore(self, path: Path, found: list | None = None) -> None:
        assert self.document is not None
        self.autosave = DocumentAutosave(self.document, path, self.autosave_dir, self._on_autosave_error,
                                         self._on_autosave_notice)
        if self.autosave.offer_restore(self._ask_restore, found):
            self.panel.show_mask_settings(self.document.settings)
            if self.document.unsaved:
                self.status.showMessage(self.tr("Restored the unsaved edits"), 5000)
            else:
                self.status.showMessage(self.tr("Reopened with the mask you exported"), 5000)

    def _ask_restore(self, info: RestoreInfo) -> bool:
        exported = describe_time(info.exported) if info.exported is not None else None
        return self.prompter.ask_restore(describe_time(info.updated), exported)

    def _on_autosave_notice(self, message: str) -> None:
        self.prompter.info(self.tr("Autosave"), message)

    def _on_autosave_error(self, message: str) -> None:
        self.prompter.error(self.tr("Autosave failed"), self.tr("Edits are no longer saved automatically: {reason}").format(reason=message))

    def close_document(self) -> bool:
        """Close the open photo, asking about unsaved edits; False if the user cancelled."""
        doc = self.document
        if doc is None:
            return True
        self.clicks.cancel()  # a click still refining: its preview becomes the mask, so the question covers it
        if doc.unsaved:
            name = doc.photo.path.name if doc.photo.path else ""
            choice = self.prompter.ask_save_changes(name)
            if choice is SaveChoice.CANCEL:
                return False
            if choice is SaveChoice.SAVE:
                if not self.export_dialog(wait=True):
                    return False
            elif choice is SaveChoice.DISCARD and self.autosave is not None:
                self.autosave.discard()
        self.cancel_task()  # a running segmentation's result is dropped: it belongs to the closed photo
        if self.copy_worker is not None:
            self.copy_worker.cancel()
        if self.autosave is not None:
            self.autosave.close()
            self.autosave = None
        self._set_document(None)
        return True

    def fill_recent_menu(self) -> None:
        menu = self.ui_actions.recent_menu
        menu.clear()
        files = self.settings.recent_files()
        for path in files:
            action = menu.addAction(str(path))
            action.triggered.connect(lambda checked=False, p=path: self.start_open(p))
        if not files:
            menu.addAction(self.tr("(none)")).setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction(self.tr("Clear list")).triggered.connect(self.settings.clear_recent_files)

    def open_neighbour(self, step: int) -> bool:
        """Open the next (``step`` 1, PageDown) or previous (-1, PageUp) photo of the open photo's folder."""
        doc = self.document
        if doc is None or doc.photo.path is None:
            return False
        target = neighbour_photo(doc.photo.path, step)
        if target is None:
            message = self.tr("This is the last photo in the folder") if step > 0 else self.tr("This is the first photo in the folder")
            self.status.showMessage(message, 4000)
            return False
        self.start_open(target)
        return True

    def paste_photo(self) -> bool:
        """Edit > Paste Photo (Ctrl+V): open the photo on the clipboard (a file it names, or image bytes cutout reads,
        saved as a file); True if its reading started. Nothing on the clipboard is decoded in the window."""
        try:
            source = clipboard_photo()
        except OSError as exc:
            self.prompter.error(self.tr("Cannot paste"), str(exc))
            return False
        if source is None:
            self.status.showMessage(self.tr("The clipboard holds no photo"), 4000)
            return False
        self.start_open(source)
        return True

    # drag and drop ----------------------------------------------------------------------
    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and is_supported_image(url.toLocalFile()):
                return Path(url.toLocalFile())
        urls = [u for u in mime.urls() if u.isLocalFile()]
        return Path(urls[0].toLocalFile()) if urls else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        path = self._dropped_path(event)
        if path is not None:
            event.acceptProposedAction()
            # Open after the drop returns, so the source application is not blocked by a dialog.
            QTimer.singleShot(0, lambda: self.start_open(path))

    # ------------------------------------------------------------------ segmentation
    def segment(self) -> bool:
        """Run the model on the open photo in the background; False if it could not start."""
        doc, engine = self.document, self.engine
        if doc is None or engine is None or self.segment_worker is not None:
            return False
        self.clicks.cancel()  # the whole photo in automatic mode: the clicks' work is dropped
        settings, photo, rgb, prepared = doc.settings, doc.photo, doc.rgb, self.clicks.prepared
        view_scale = self.canvas.zoom
        worker: TaskWorker

        def task(progress, cancel):
            if not isinstance(engine, CutoutModel):
                return segment_photo(engine, photo, settings, progress, cancel)
            # A two-stage model shows its global mask at once, then the mask refined at the view's scale on a
            # large photo, then the full-resolution mask (one undo step).
            step = auto_step(engine, prepared.get(engine, rgb))
            worker.signals.item.emit((step.preview(preview_shape(*rgb.shape[:2])), step))
            if view_scale <= VIEW_FIRST_SCALE:
                worker.signals.item.emit((view_step(engine, rgb, step, view_scale, settings.refine, cancel), step))
            return refine_step(engine, rgb, step, refine_edges=settings.refine, progress=progress, cancel=cancel)[0]

        worker = TaskWorker(task, "segment")
        worker.signals.item.connect(lambda shown, d=doc: self._segment_preview(d, *shown))
        worker.signals.progress.connect(lambda done, total: self.status.set_progress(done, total, self.tr("tiles")))
        worker.signals.succeeded.connect(lambda soft, d=doc: self._segment_done(d, soft))
        worker.signals.cancelled.connect(lambda: self._segment_ended("cancelled", self.tr("Segmentation cancelled")))
        worker.signals.failed.connect(lambda exc: self._segment_failed(exc))
        worker.signals.finished.connect(self._segment_finished)
        self.segment_worker = worker
        self.status.start_task(self.tr("Segmenting..."))
        self._update_actions()
        self.workers.start(worker)
        return True

    def _segment_preview(self, doc: Document, picture, step) -> None:
        """Space's quick mask (then its view-scale refinement) on show while the full-resolution mask is made."""
        if doc is self.document and self.segment_worker is not None:
            doc.show_preview(picture, Guidance(), step)

    def _segment_done(self, doc: Document, soft) -> None:
        if doc is not self.document:
            return
        doc.replace_mask(soft)
        if doc.pending is not None:  # Space's preview showed no clicks meanwhile
            doc.set_pending(None)
        assert self.engine is not None
        self._show_model()
        self._segment_ended("done", self.tr("Segmented with {model}").format(model=self.engine.info.name))

    def _segment_failed(self, exc: BaseException) -> None:
        self.prompter.error(self.tr("Segmentation failed"), str(exc))
        self._segment_ended("failed", self.tr("Segmentation failed"))

    def _segment_ended(self, outcome: str, message: str) -> None:
        self.status.showMessage(message, 5000)
        self._segment_outcome = outcome
        doc = self.document
        if outcome != "done" and doc is not None and doc.preview is not None:
            doc.drop_preview()  # a cancelled or failed Space leaves the mask as it was
            doc.set_pending(None)

    def _segment_finished(self) -> None:
        self.segment_worker = None
        self.status.end_task()
        self._update_actions()
        self.segmentation_finished.emit(self._segment_outcome)

    def cancel_task(self) -> None:
        """Cancel the running segmentation, click refinement or export (Esc / the Cancel button)."""
        for worker in (self.segment_worker, self.export_worker, self.open_worker):
            if worker is not None:
                worker.cancel()
                self.status.cancel_button.setEnabled(False)
                self.status.showMessage(self.tr("Cancelling..."))
        if self.clicks.busy:
            self.clicks.cancel()  # what a click already showed stays
            self.status.showMessage(self.tr("Refinement cancelled"), 3000)

    # ------------------------------------------------------------------ clicks
    def _can_click(self) -> bool:
        """Whether a click, box or lasso can run now; if not, the status bar says why."""
        if self.document is None:
            return False
        if self.segment_worker is not None:
            self.status.showMessage(self.tr("Wait for the segmentation to finish, or press Esc"), 4000)
            return False
        if not self.clicks.takes_clicks(self.engine):
            self.status.showMessage(self.tr("This model takes no clicks: press Space, or use the brush"), 5000)
            return False
        return True

    def click_at(self, x: float, y: float, positive: bool = True) -> bool:
        """A click of the click tool at photo pixel (x, y): keep (``positive``) or remove; False if not run."""
        return self._can_click() and self.clicks.click(x, y, positive)

    def box_at(self, drag: BoxDrag) -> bool:
        """The box tool's drag ended: segment the object in the box or lasso (clipped to the photo), as a new mask,
        added to it or removed from it (``drag.mode``); one undo step. False if not run (the status bar says why)."""
        if not self._can_click():
            return False
        doc = self.document
        assert doc is not None
        box = drag.box(doc.width, doc.height)
        if box is None:
            what = self.tr("This lasso") if drag.lasso else self.tr("This box")
            self.status.showMessage(self.tr("{what} has no area inside the photo: drag across the object").format(what=what), 5000)
            return False
        if drag.mode is BoxMode.REMOVE and not doc.shows_mask:
            self.status.showMessage(self.tr("There is nothing to remove: the mask is empty"), 5000)
            return False
        return self.clicks.box(box, replace=drag.mode is BoxMode.NEW)

    def _click_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ArgumentError):  # asked for something that cannot be done: say why, no dialog
            self.status.showMessage(str(exc), 5000)
        else:
            self.prompter.error(self.tr("Segmentation failed"), str(exc))

    def _has_candidates(self) -> bool:
        """Whether the model answers an ambiguous first click with candidates (Tab shows the next)."""
        return self.clicks.takes_clicks(self.engine) and self.engine is not None and self.engine.info.candidates > 0

    def next_candidate(self) -> bool:
        """Mask > Next Candidate (Tab): show the first click's next candidate; False (the status bar says why) if
        there is none to choose from."""
        if self.document is None or not self._has_candidates():
            return False
        if not self.clicks.next_candidate():
            self.status.showMessage(self.tr("No candidates to choose from: they come with the first click"), 4000)
            return False
        return True

    def _show_candidate(self) -> None:
        doc = self.document
        self.status.show_candidate(doc.candidate if doc is not None else None, command("next_candidate").key_text())

    def clear_clicks(self) -> None:
        """Mask > Clear Clicks (Esc): forget the clicks; the next one starts from the current mask."""
        if self.document is not None and self.document.clicks:
            self.clicks.clear()
            self.status.showMessage(self.tr("Clicks cleared"), 3000)

    def _click_applied(self, stage: str) -> None:
        """A click's mask is on show: say what happens next until it has happened (the label stays while work runs)."""
        if stage == "global" and self.state.refine_clicks:
            self.status.start_task(self.tr("Refining..."))
        elif stage == "view":
            self.status.start_task(self.tr("Refining at full resolution..."))
        else:
            self.status.showMessage(self.tr("Mask refined") if stage == "refined" else self.tr("Mask updated"), 5000)
        self._show_model()

    def _clicks_busy(self, busy: bool) -> None:
        if busy:
            self.status.start_task(self.tr("Segmenting the click..."))
        elif self.segment_worker is None:
            self.status.end_task()
        self._update_actions()

    # ------------------------------------------------------------------ model
    def set_provider(self, provider: ProviderChoice) -> None:
        """Mask > Run the Model On: remember the choice and reopen the model there."""
        self.settings.set_provider(provider)
        if provider == self.provider and self.engine is not None:
            return
        self.cancel_task()
        self.provider = provider
        self._load_engine()
        self.clicks.set_model(self.engine)
        self.hover.set_model(self.engine)
        self._show_model()
        self._update_actions()
        if self.model_error:
            self._report_model_error()
        self._probe_engine()

    # ------------------------------------------------------------------ export
    def export_dialog(self, wait: bool = False) -> bool:
        """File > Export: ask for mode and file, then export (``wait``: block until written). False if cancelled."""
        default = self.default_export_path()
        if default is None:
            return False
        dialog = ExportDialog(default, self._export_options, self)
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return False
        self._export_options = dialog.options()
        if wait:
            return self.export_now(dialog.path(), dialog.options(), overwrite=dialog.overwrite) is not None
        return self.export_to(dialog.path(), dialog.options(), overwrite=dialog.overwrite) is not None

    def default_export_path(self) -> Path | None:
        """Where File > Export offers to write the open photo's cut-out: beside the photo, or for a pasted photo
        (saved in cutout's hidden data folder) in the folder of the last export, else the user's Pictures."""
        doc = self.document
        if doc is None or doc.photo.path is None:
            return None
        folder = None
        if doc.photo.path.parent == self._pasted_dir():
            folder = self.settings.last_export_dir()
            if folder is None or not folder.is_dir():
                folder = pictures_dir()
        return cutout_path(doc.photo.path, folder)

    def export_now(self, path: Path | str, options: ExportOptions | None = None, overwrite: bool = False) -> Path | None:
        """Write the cut-out to ``path`` before returning (used when closing); None if it failed.

        The work runs in the export worker while a local event loop keeps the window painting: the edge
        steps take a while on a large photo (matting's first use compiles), and the window must not look frozen meanwhile.
        """
        worker = self.export_to(path, options, overwrite)
        if worker is None:
            return None
        loop = QEventLoop()
        self.export_finished.connect(loop.quit)
        try:
            loop.exec()
        finally:
            self.export_finished.disconnect(loop.quit)
        return self._export_result

    def export_to(self, path: Path | str, options: ExportOptions | None = None, overwrite: bool = False) -> TaskWorker | None:
        """Write the cut-out to ``path`` in the background; ``export_finished`` reports the result."""
        doc = self.document
        if doc is None or self.export_worker is not None:
            return None
        self.clicks.finish()  # the full-resolution mask is what is written: a click still refining is waited for
        alpha = doc.alpha()  # a snapshot: edits made while it is written do not tear the file
        photo, options, path = doc.photo, options or ExportOptions(), Path(path)
        edit_count = doc.edit_count

        def task(progress, cancel):
            return export_result(photo, alpha, path, options, overwrite=overwrite, progress=progress, cancel=cancel)

        worker = TaskWorker(task, "export")
        worker.signals.progress.connect(lambda d, t: self.status.set_progress(d, t, self.tr("edge tiles")))
        worker.signals.succeeded.connect(lambda written, d=doc: self._export_done(d, written, edit_count))
        worker.signals.failed.connect(self._export_failed)
        worker.signals.finished.connect(self._export_finished)
        self.export_worker = worker
        self._export_result = None
        self.status.start_task(self.tr("Exporting {name}...").format(name=path.name))
        self._update_actions()
        self.workers.start(worker)
        return worker

    def _export_done(self, doc: Document, written: Path, edit_count: int) -> None:
        if doc is self.document and doc.edit_count == edit_count:
            doc.mark_saved()
            if self.autosave is not None:
                self.autosave.mark_exported()
        self.status.showMessage(self.tr("Exported {path}").format(path=written), 8000)
        self._export_result = Path(written)
        self.settings.set_last_export_dir(self._export_result.parent)

    def _export_failed(self, exc: BaseException) -> None:
        self._export_result = None
        self.prompter.error(self.tr("Export failed"), str(exc))

    def _export_finished(self) -> None:
        self.status.end_task()
        self.export_worker = None
        self._update_actions()
        self.export_finished.emit(self._export_result)

    def copy_cutout(self) -> TaskWorker | None:
        """Edit > Copy Cut-out (Ctrl+C): the cut-out with its transparency, as PNG data other applications paste."""
        doc = self.document
        if doc is None or not doc.shows_mask or self.copy_worker is not None:
            return None
        self.clicks.finish()  # the full-resolution mask is what is copied
        alpha, photo, options = doc.alpha(), doc.photo, self._export_options

        def task(progress, cancel):
            return cutout_png(photo, alpha, options)

        worker = TaskWorker(task, "copy")
        worker.signals.succeeded.connect(self._copied)
        worker.signals.failed.connect(lambda exc: (self.prompter.error(self.tr("Copy failed"), str(exc)),
                                                   self.copy_finished.emit(False)))
        worker.signals.cancelled.connect(lambda: self.copy_finished.emit(False))
        worker.signals.finished.connect(self._copy_ended)
        self.copy_worker = worker
        self.status.showMessage(self.tr("Copying the cut-out..."))
        self._update_actions()
        self.workers.start(worker)
        return worker

    def _copied(self, result) -> None:
        png, image = result
        put_on_clipboard(png, image)
        self.status.showMessage(self.tr("Copied the cut-out ({width} × {height}, with transparency)").format(
            width=image.width(), height=image.height()), 5000)
        self.copy_finished.emit(True)

    def _copy_ended(self) -> None:
        self.copy_worker = None
        self._update_actions()

    # ------------------------------------------------------------------ editing
    def undo(self) -> None:
        if self.document is not None and self.document.undo():
            self.status.showMessage(self.tr("Undone"), 2000)

    def redo(self) -> None:
        if self.document is not None and self.document.redo():
            self.status.showMessage(self.tr("Redone"), 2000)

    def _on_state_changed(self, name: str) -> None:
        if name == "tool" and self.document is not None:
            self.status.showMessage(self.state.tool.label(), 2000)
        elif name == "brush_size":
            self.status.showMessage(self.tr("Brush size {size} px").format(size=round(self.state.brush_size)), 2000)

    def set_mask_view(self, **changes: float) -> None:
        """Change the threshold, softness, edge width or shift of the open photo's mask (a view setting: edits are kept)."""
        if self.document is not None:
            self.document.set_view_settings(**changes)

    def _show_region_hint(self) -> None:
        regions = self.regions
        if regions.label:
            self.status.showMessage(self.tr("Click: keep this region, remove {count} other(s) · right click: remove "
                                            "this region").format(count=regions.others()))
        else:
            self.status.clearMessage()

    def _store_view_settings(self) -> None:
        if self.autosave is not None:
            self.autosave.save_settings()

    # ------------------------------------------------------------------ other windows
    def batch_export(self) -> None:
        """File > Batch Export: the batch dialog (its own engine, so the window stays usable)."""
        try:
            from cutout_app.gui.batch_dialog import BatchDialog
        except ImportError as exc:
            self.prompter.error(self.tr("Batch export"), str(exc))
            return
        if self._batch_dialog is None or not self._batch_dialog.isVisible():
            self._batch_dialog = BatchDialog(self.model_path, self, provider=self.provider, settings=self.settings)
        self._batch_dialog.show()
        self._batch_dialog.raise_()

    def fill_language_menu(self) -> None:
        menu = self.ui_actions.language_menu
        menu.clear()
        try:
            from cutout_app.gui import i18n
        except ImportError:
            menu.addAction(self.tr("(not available)")).setEnabled(False)
            return
        current = i18n.saved_language(self.settings.store)
        system = menu.addAction(self.tr("System default"))
        system.setCheckable(True)
        system.setChecked(current is None)
        system.triggered.connect(lambda checked=False: self.choose_language(None))
        for code, name in i18n.available_languages():
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(code == current)
            action.triggered.connect(lambda checked=False, c=code: self.choose_language(c))

    def choose_language(self, code: str | None) -> None:
        """Switch the interface language now (None: follow the system) and remember it."""
        from cutout_app.gui import i18n

        i18n.set_language(code, self.settings.store)
        app = QApplication.instance()
        if app is not None:
            i18n.install_translator(app, code, self.settings.store)  # Qt retranslates every window (LanguageChange)

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts (F1)."""
        from cutout_app.gui.shortcuts_dialog import ShortcutsDialog

        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    def about_text(self) -> str:
        """Help > About's text: cutout's version, what it does, and the model in use."""
        return self.tr("cutout {version}\n\ncutout cuts subjects out of photos with a U-Net run tile by tile.\n\n{model}").format(
            version=__version__, model=model_text(self.engine, self.model_error))

    def show_about(self) -> None:
        """Help > About cutout."""
        QMessageBox.about(self, self.tr("About cutout"), self.about_text())

    # ------------------------------------------------------------------ keys and closing
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        # Space reaches the window when a side widget has focus: give it to the canvas.
        if not self.canvas.space.key(event, pressed=True):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if not self.canvas.space.key(event, pressed=False):
            super().keyReleaseEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self.close_document():
            event.ignore()
            return
        self.workers.cancel_all()
        self.workers.wait()
        self.state.save_to(self.settings)
        self._save_window()
        self.settings.sync()
        event.accept()
