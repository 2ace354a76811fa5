"""The one way the GUI runs background work: a QRunnable that runs a core call with progress and cancellation.

The core functions take ``progress(done, total)`` and ``cancel: CancelToken``; :class:`TaskWorker` runs one of
them on the global QThreadPool and turns those callbacks into Qt signals delivered on the GUI thread.
Segmentation, clicks, export and the batch all run this way, with the same signals and one error path
(``failed`` carries the exception).
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from cutout_app.core.errors import Cancelled
from cutout_app.core.progress import CancelToken, ProgressCallback

#: A task gets the progress callback and the cancel token and returns its result.
Task = Callable[[ProgressCallback, CancelToken], Any]


class WorkerSignals(QObject):
    """Signals of a :class:`TaskWorker`; created on the GUI thread so that slots run there."""

    progress = Signal(int, int)
    item = Signal(object)  # one partial result as it comes (a batch's file)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # always last, after one of the three above


class TaskWorker(QRunnable):
    """Run ``task(progress, cancel)`` on a pool thread; :meth:`cancel` asks it to stop at its next check.

    A task that returns after a cancel is reported as cancelled, unless ``result_on_cancel`` (its result
    says itself what was left undone, as a batch report does).
    """

    def __init__(self, task: Task, name: str = "task", *, result_on_cancel: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python keeps the reference; see WorkerPool
        self.task = task
        self.name = name
        self.result_on_cancel = result_on_cancel
        self.token = CancelToken()
        self.signals = WorkerSignals()
        self.done = False

    def cancel(self) -> None:
        """Request cancellation; the task raises Cancelled at its next check and ``cancelled`` is emitted."""
        self.token.cancel()

    def run(self) -> None:  # runs on the pool thread
        try:
            result = self.task(self.signals.progress.emit, self.token)
            if self.token.cancelled and not self.result_on_cancel:
                raise Cancelled("Cancelled by the user")
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user, not kill the thread
            exc.traceback_text = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.done = True
            self.signals.finished.emit()


class WorkerPool(QObject):
    """Starts TaskWorkers on the global QThreadPool and keeps them alive until they finish."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: set[TaskWorker] = set()

    def start(self, worker: TaskWorker) -> TaskWorker:
        self._running.add(worker)
        worker.signals.finished.connect(lambda w=worker: self._running.discard(w))
        QThreadPool.globalInstance().start(worker)
        return worker

    @property
    def busy(self) -> bool:
        return any(not w.done for w in self._running)

    def cancel_all(self) -> None:
        for worker in list(self._running):
            worker.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every started worker has returned (used when closing the window)."""
        return QThreadPool.globalInstance().waitForDone(msecs)
