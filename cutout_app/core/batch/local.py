"""The pipelined batch: decoding, inference and PNG writing of different photos overlap.

A reader thread and a few workers, joined by a small bounded queue, so that memory holds only a few
photos at a time:

* the reader claims each output and decodes its photo in the decoder child process
  (:class:`~cutout_app.core.files.safe_decode.DecoderProcess`: a decoder crash is that file's failure);
* each of :func:`batch_workers` worker threads takes the next decoded photo, runs the model on it
  (:func:`cutout_app.core.inference.pipeline.photo_alpha`) in the one onnxruntime session of ``engine``, then
  composes, encodes and writes its PNG atomically (:func:`cutout_app.core.files.export.export_result`).

Whole photos per worker, rather than one stage per thread, keep every core busy whichever step is the
slow one: on 2 cores the model (one onnxruntime thread) and the export take about as long, and a
stage pipeline was bound by the model alone. onnxruntime, OpenCV, zlib and pymatting's kernels (matting)
release the GIL, so the workers run on different cores.

The steps are those of :func:`cutout_app.core.inference.pipeline.cut_out_file`, so the files written are the
same whatever the number of workers. Results are recorded in plan order.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from cutout_app.core.batch.plan import (
    BatchItem,
    BatchOptions,
    BatchPlan,
    BatchRecorder,
    BatchReport,
    FileResult,
    claim_item,
    failed_result,
    start_run,
)
from cutout_app.core.errors import Cancelled
from cutout_app.core.files.destination import check_destination
from cutout_app.core.files.export import export_result
from cutout_app.core.files.imageio import Photo
from cutout_app.core.files.safe_decode import DecoderProcess
from cutout_app.core.inference import pipeline
from cutout_app.core.progress import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from cutout_app.core.inference.two_stage import Segmenter

#: Most photos segmented and written at once. Each holds a photo's working memory (about 1.2 GB at
#: 50 MP), so more workers than this share the cores through onnxruntime's threads instead.
MAX_WORKERS = 4

#: Decoded photos waiting for a worker. One is enough: decoding is much faster than the rest.
QUEUE_SIZE = 1

_END = None  # the last message on the queue


def machine_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def workers_for(cores: int) -> int:
    """How many photos a batch works on at once on ``cores`` cores: one per core, at most :data:`MAX_WORKERS`."""
    return max(1, min(cores, MAX_WORKERS))


def batch_workers() -> int:
    """How many photos a pipelined batch on this machine works on at once (:func:`workers_for` its cores)."""
    return workers_for(machine_cores())


def inference_threads(workers: int) -> int:
    """onnxruntime threads for the session of a pipelined batch with ``workers``: the cores shared among them."""
    return max(1, machine_cores() // workers)


@dataclass
class _Job:
    """One item from reader to worker: its place in the plan, its claim, its photo, then its result."""

    index: int
    item: BatchItem
    start: float
    claim: contextlib.ExitStack | None = None
    photo: Photo | None = None
    result: FileResult | None = None

    def finish(self, status: str, error: str | None = None) -> FileResult:
        """Set the result, drop the pixels and release the claim."""
        return self._set(FileResult(self.item.src, self.item.dst, status, error, time.perf_counter() - self.start))  # type: ignore[arg-type]

    def fail(self, exc: BaseException) -> FileResult:
        """Set the result of a photo that failed with ``exc`` (:func:`failed_result`), drop the pixels, release the claim."""
        return self._set(failed_result(self.item.src, self.item.dst, exc, time.perf_counter() - self.start))

    def _set(self, result: FileResult) -> FileResult:
        self.result = result
        self.photo = None
        self.release()
        return result

    def release(self) -> None:
        if self.claim is not None:
            self.claim.close()
            self.claim = None


class _InOrder:
    """Records results in plan order, whichever worker finishes first; thread-safe."""

    def __init__(self, recorder: BatchRecorder, total: int, progress: ProgressCallback | None) -> None:
        self._recorder = recorder
        self._total = total
        self._progress = progress
        self._next = 0
        self._waiting: dict[int, FileResult | None] = {}
        self._lock = threading.Lock()

    def finished(self, index: int, result: FileResult | None) -> None:
        """Item ``index`` is over: with its result, or None when it was stopped before being handled."""
        with self._lock:
            self._waiting[index] = result
            while self._next in self._waiting:
                ready = self._waiting.pop(self._next)
                self._next += 1
                if ready is not None:
                    report = self._recorder.report
                    report.handled += 1
                    self._recorder.record(ready)
                    if self._progress is not None:
                        self._progress(report.handled, self._total)


def run_pipelined(
    engine: Segmenter,
    plan: BatchPlan,
    options: BatchOptions,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    decoder: DecoderProcess | None = None,
    workers: int | None = None,
) -> BatchReport:
    """Cut out every item of ``plan`` and write its PNG, ``workers`` photos at a time; return what happened.

    Skipped and not retried items are reported first; results are recorded in plan order.
    ``progress(done, total)`` is called after each file to do; ``on_result`` receives each FileResult,
    and the output folder's manifest records it. A failing file is recorded and the batch goes on;
    cancelling ends the batch with ``report.cancelled = True``. An output that appeared since planning,
    or that another cutout process is writing, is skipped. Photos are decoded by ``decoder`` (default:
    a child process for this run). ``workers`` (None or 0: :func:`batch_workers`) must not be negative. ``progress`` and ``on_result`` are called from the
    worker threads, one call at a time. Cancelling stops every worker at its next check (between
    photos, or between tiles of the model and of the export's edge steps); the photos not written
    count as not started.
    """
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be 0 (cutout chooses) or more, not {workers}")
    recorder = start_run(plan, on_result)
    report = recorder.report
    cancel = cancel or CancelToken()
    stop = threading.Event()  # set when the batch ends early: cancelled, or an unexpected error
    decoded: queue.Queue[_Job | None] = queue.Queue(QUEUE_SIZE)
    in_order = _InOrder(recorder, len(plan.items), progress)
    errors: list[BaseException] = []

    def read_all() -> None:
        own = decoder is None
        reader = decoder or DecoderProcess()
        try:
            for index, item in enumerate(plan.items):
                if stop.is_set() or cancel.cancelled:
                    break
                decoded.put(_read(index, item, options, reader))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
            stop.set()
        finally:
            if own:
                reader.close()
            decoded.put(_END)

    def work() -> None:
        while (job := decoded.get()) is not _END:
            result = None
            try:
                if not (stop.is_set() or cancel.cancelled):
                    result = job.result or _cut_out(job, engine, options, cancel)
            except Cancelled:
                stop.set()
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread; keep draining
                errors.append(exc)
                stop.set()
            job.release()
            try:
                in_order.finished(job.index, result)
            except BaseException as exc:  # noqa: BLE001 - e.g. the manifest could not be written
                errors.append(exc)
                stop.set()
        decoded.put(_END)  # for the next worker

    threads = [threading.Thread(target=read_all, name="batch-reader", daemon=True)]
    threads += [threading.Thread(target=work, name=f"batch-worker-{n}", daemon=True)
                for n in range(workers or batch_workers())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.cancelled = cancel.cancelled and report.handled < len(plan.items)
    if errors:
        raise errors[0]
    return report


def _read(index: int, item: BatchItem, options: BatchOptions, decoder: DecoderProcess) -> _Job:
    """Claim ``item`` and decode its photo: a job to cut out, or one that already has its result."""
    job = _Job(index, item, time.perf_counter())
    job.claim, skipped = claim_item(item, options.overwrite)
    if skipped is not None:
        job.claim, job.result = None, skipped
        return job
    try:
        check_destination(item.dst, item.src, options.overwrite)  # as cut_out_file does before reading
        job.photo = decoder.read(item.src)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        job.fail(exc)
    return job


def _cut_out(job: _Job, engine: Segmenter, options: BatchOptions, cancel: CancelToken) -> FileResult:
    """Segment the job's photo and write its PNG: its result, done or failed; Cancelled passes through."""
    try:
        alpha = pipeline.photo_alpha(engine, job.photo, options.mask, cancel=cancel)  # type: ignore[arg-type]
        export_result(job.photo, alpha, job.item.dst, options.export, overwrite=options.overwrite,  # type: ignore[arg-type]
                      cancel=cancel)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        return job.fail(exc)
    return job.finish("done")
