"""The window's status bar: messages, task progress with Cancel, the first click's candidate on show, zoom, and the
model and provider in use."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from cutout_app.core.inference import Segmenter


def model_text(engine: Segmenter | None, error: str | None = None) -> str:
    """"Model: <name> <version> · <provider actually used>", or why there is no model."""
    if engine is None:
        return QCoreApplication.translate("StatusBar", "Model: none") + (f" ({error})" if error else "")
    return QCoreApplication.translate("StatusBar", "Model: {name} {version} · {provider}").format(
        name=engine.info.name, version=engine.info.version, provider=engine.provider
    )


class StatusBar(QStatusBar):
    """Progress bar and Cancel button (shown while a task runs), the candidate, zoom and model labels."""

    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton()
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.zoom_label = QLabel()
        self.size_label = QLabel()
        self.model_label = QLabel()
        self.candidate_label = QLabel()  # kept apart from the messages, which come and go
        self.addPermanentWidget(self.candidate_label)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel_button)
        self.addPermanentWidget(self.size_label)
        self.addPermanentWidget(self.zoom_label)
        self.addPermanentWidget(self.model_label)
        self._candidate: tuple[int, int] | None = None
        self._next_key = ""
        self.end_task()
        self.retranslate()

    def retranslate(self) -> None:
        """Set the texts in the current language."""
        self.cancel_button.setText(self.tr("Cancel"))
        self.show_candidate(self._candidate, self._next_key)

    def show_candidate(self, candidate: tuple[int, int] | None, next_key: str = "") -> None:
        """Say which of a first click's candidates is on show (``candidate``: index from 0, count) and the key that
        shows the next one ("Candidate 2 of 3 — Tab: next"); None hides it."""
        self._candidate, self._next_key = candidate, next_key
        if candidate is None:
            self.candidate_label.hide()
            return
        index, count = candidate
        self.candidate_label.setText(self.tr("Candidate {index} of {count} — {key}: next").format(
            index=index + 1, count=count, key=next_key))
        self.candidate_label.show()

    def start_task(self, text: str) -> None:
        """Show an indeterminate progress bar labelled ``text`` and the Cancel button; the label stays, with the
        counts of :meth:`set_progress` after it, until the task ends."""
        self._task_text = text
        self.progress.setRange(0, 0)
        self.progress.setFormat(text)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.showMessage(text)

    def set_progress(self, done: int, total: int, unit: str) -> None:
        """``done`` of ``total`` (e.g. tiles) finished."""
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        label = getattr(self, "_task_text", "")
        self.progress.setFormat(f"{label} {done}/{total} {unit}".strip())

    def end_task(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def show_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    def show_size(self, width: int, height: int) -> None:
        self.size_label.setText(f"{width} × {height}" if width else "")

    def show_model(self, text: str, note: str | None = None) -> None:
        """The model label; ``note`` (why the provider is not the one asked for) is its tooltip."""
        self.model_label.setText(text)
        self.model_label.setToolTip(note or "")
