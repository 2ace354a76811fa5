"""The pipelined batch: decoding, inference and PNG writing of different photos overlap.

Three stages joined by small bounded queues, so that memory holds only a few photos at a time:

* a reader thread claims each output and decodes its photo in the decoder child process
  (:class:`~cutout_app.core.safe_decode.DecoderProcess`: a decoder crash is that file's failure);
* the calling thread runs the model (:func:`cutout_app.core.pipeline.photo_alpha`) in the one
  onnxruntime session of ``engine``;
* a writer thread composes, encodes and writes the PNG atomically (:func:`cutout_app.core.export.export_result`).

The steps are those of :func:`cutout_app.core.pipeline.cut_out_file`, so the files written are the
same as the sequential :func:`cutout_app.core.batch.run_batch`'s. onnxruntime, OpenCV and zlib release
the GIL, so the stages run on different cores. Results arrive in plan order.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from cutout_app.core import pipeline
from cutout_app.core.batch import (
    BatchItem,
    BatchOptions,
    BatchPlan,
    BatchReport,
    FileResult,
    claim_item,
    failure_reason,
    start_run,
)
from cutout_app.core.errors import Cancelled
from cutout_app.core.export import check_destination, export_result
from cutout_app.core.imageio import Photo
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.core.safe_decode import DecoderProcess

if TYPE_CHECKING:
    from cutout_app.core.two_stage import Segmenter

#: Photos waiting between two stages. One keeps every stage busy when inference is the slow stage.
QUEUE_SIZE = 1

_END = None  # the last message on a queue


def inference_threads() -> int:
    """onnxruntime threads for a pipelined batch: every core but the one the PNG writer keeps busy."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


@dataclass
class _Job:
    """One item between stages: its claim, its data so far, or its result once it has one."""

    item: BatchItem
    start: float
    claim: contextlib.ExitStack | None = None
    photo: Photo | None = None
    alpha: np.ndarray | None = None
    result: FileResult | None = None

    def finish(self, status: str, error: str | None = None) -> FileResult:
        """Set the result, drop the pixels and release the claim."""
        self.result = FileResult(self.item.src, self.item.dst, status, error, time.perf_counter() - self.start)  # type: ignore[arg-type]
        self.photo = self.alpha = None
        self.release()
        return self.result

    def release(self) -> None:
        if self.claim is not None:
            self.claim.close()
            self.claim = None


def run_pipelined(
    engine: Segmenter,
    plan: BatchPlan,
    options: BatchOptions,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    decoder: DecoderProcess | None = None,
) -> BatchReport:
    """:func:`cutout_app.core.batch.run_batch` with decoding, inference and writing overlapped.

    Same arguments, results, manifest and errors. ``progress`` and ``on_result`` are called from the
    writer thread. Cancelling stops every stage at its next check (between photos, or between tiles of
    the model and of the export's edge steps); the photos not written count as not started.
    """
    recorder = start_run(plan, on_result)
    report = recorder.report
    cancel = cancel or CancelToken()
    stop = threading.Event()  # set when the calling thread stops early (cancel or an error)
    decoded: queue.Queue[_Job | None] = queue.Queue(QUEUE_SIZE)
    segmented: queue.Queue[_Job | None] = queue.Queue(QUEUE_SIZE)
    errors: list[BaseException] = []
    total = len(plan.items)

    def read_all() -> None:
        own = decoder is None
        reader = decoder or DecoderProcess()
        try:
            for item in plan.items:
                if stop.is_set() or cancel.cancelled:
                    break
                decoded.put(_read(item, options, reader))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
        finally:
            if own:
                reader.close()
            decoded.put(_END)

    def write_all() -> None:
        while (job := segmented.get()) is not _END:
            try:
                if job.result is None:
                    _write(job, options, cancel)
                report.handled += 1
                recorder.record(job.result)
                if progress is not None:
                    progress(report.handled, total)
            except Cancelled:
                job.release()  # stopped in the export's edge steps: not handled
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread; keep draining
                errors.append(exc)
                job.release()

    reader_thread = threading.Thread(target=read_all, name="batch-reader", daemon=True)
    writer_thread = threading.Thread(target=write_all, name="batch-writer", daemon=True)
    reader_thread.start()
    writer_thread.start()
    job: _Job | None = None
    try:
        while (job := decoded.get()) is not _END:
            if job.result is None:
                if cancel.cancelled:
                    job.release()
                    break
                try:
                    job.alpha = pipeline.photo_alpha(engine, job.photo, options.mask, cancel=cancel)  # type: ignore[arg-type]
                except Cancelled:
                    job.release()
                    break
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                    job.finish("failed", failure_reason(exc))
            segmented.put(job)
            job = None  # the writer's now
    finally:
        stop.set()
        while job is not _END:  # release what was read but will not be segmented
            if job is not None:
                job.release()
            job = decoded.get()
        segmented.put(_END)
        writer_thread.join()
        reader_thread.join()
    report.cancelled = cancel.cancelled and report.handled < total
    if errors:
        raise errors[0]
    return report


def _read(item: BatchItem, options: BatchOptions, decoder: DecoderProcess) -> _Job:
    """Claim ``item`` and decode its photo: a job to segment, or one that already has its result."""
    job = _Job(item, time.perf_counter())
    job.claim, skipped = claim_item(item, options.overwrite)
    if skipped is not None:
        job.claim, job.result = None, skipped
        return job
    try:
        check_destination(item.dst, item.src, options.overwrite)  # as cut_out_file does before reading
        job.photo = decoder.read(item.src)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        job.finish("failed", failure_reason(exc))
    return job


def _write(job: _Job, options: BatchOptions, cancel: CancelToken) -> None:
    """Export the job's photo with its alpha and finish it (done or failed); Cancelled passes through."""
    try:
        export_result(job.photo, job.alpha, job.item.dst, options.export, overwrite=options.overwrite,  # type: ignore[arg-type]
                      cancel=cancel)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001
        job.finish("failed", failure_reason(exc))
    else:
        job.finish("done")
