"""Batch cut-out of a folder of photos: plan which files to do, then run them one by one.

One bad file never stops a batch: its failure is recorded with the reason and the batch goes on.
Photos are decoded in a child process (:mod:`cutout_app.core.safe_decode`), so even a decoder crash is
one file's failure. Cancelling stops between files (or inside a file's inference); what was written
stays written, and a later run with the same folders skips it. Batches that share an output folder
claim each output before working on it (:func:`cutout_app.core.filelock.claim`), so they split the
work instead of repeating it, and a run removes what killed runs left behind.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from cutout_app.core import export, imageio, pipeline
from cutout_app.core.atomic import check_writable_folder
from cutout_app.core.errors import Cancelled, CutoutError, ExportError
from cutout_app.core.export import ExportOptions
from cutout_app.core.filelock import claim, remove_stale_files
from cutout_app.core.filenames import fit_name
from cutout_app.core.matting import MaskSettings
from cutout_app.core.naming import CUTOUT_SUFFIX, is_cutout_path
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.core.safe_decode import DecoderProcess

if TYPE_CHECKING:
    from cutout_app.core.two_stage import Segmenter

#: Added to an output's stem when it is written next to its source (output folder == input folder),
#: so that ``photo.png`` is never overwritten by the cut-out of ``photo.jpg`` or ``photo.png``.
IN_PLACE_SUFFIX = CUTOUT_SUFFIX

#: The note on an output skipped because another cutout process was producing it.
CLAIMED_ELSEWHERE = "another cutout process is writing this result"

Status = Literal["done", "skipped", "failed"]


@dataclass
class BatchOptions:
    """How a batch runs: which files it picks and what it writes."""

    recursive: bool = True
    overwrite: bool = False
    export: ExportOptions = field(default_factory=ExportOptions)
    mask: MaskSettings = field(default_factory=MaskSettings)


@dataclass(frozen=True)
class BatchItem:
    """One photo and the PNG its cut-out goes to."""

    src: Path
    dst: Path


@dataclass
class BatchPlan:
    """The work of a batch: ``items`` to do, and ``skipped`` ones whose output already exists."""

    in_dir: Path
    out_dir: Path
    items: list[BatchItem] = field(default_factory=list)
    skipped: list[BatchItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of photos found (to do + skipped)."""
        return len(self.items) + len(self.skipped)


@dataclass
class FileResult:
    """What happened to one photo of a batch."""

    src: Path
    dst: Path
    status: Status
    error: str | None = None
    seconds: float = 0.0


@dataclass
class BatchReport:
    """The results of a batch run, in the order the files were handled."""

    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False
    #: Number of files the plan had to do (so a cancelled report can say how many were left).
    planned: int = 0
    #: Number of those that were handled (done, failed, or skipped because their output appeared meanwhile).
    handled: int = 0

    @property
    def done(self) -> list[FileResult]:
        """Files cut out and written in this run."""
        return [r for r in self.results if r.status == "done"]

    @property
    def skipped(self) -> list[FileResult]:
        """Files left alone because their output already existed (or another process was writing it)."""
        return [r for r in self.results if r.status == "skipped"]

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be cut out, each with its reason in ``error``."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def not_started(self) -> int:
        """Files of the plan that were never reached (only non-zero after a cancel)."""
        return max(0, self.planned - self.handled)

    def summary(self) -> str:
        """A multi-line, human-readable summary that names every failed file and why it failed."""
        lines = [f"Done: {len(self.done)}, skipped (output exists): {len(self.skipped)}, failed: {len(self.failed)}"]
        if self.cancelled:
            lines.append(f"Cancelled: {self.not_started} file(s) not processed.")
        if self.failed:
            lines.append("Failed files:")
            lines.extend(f"  {r.src}: {r.error}" for r in self.failed)
        return "\n".join(lines)


def plan_batch(in_dir: Path, out_dir: Path, recursive: bool = True, overwrite: bool = False) -> BatchPlan:
    """Find the photos under ``in_dir`` and decide where each cut-out goes in ``out_dir``.

    Only files with a supported image extension are taken, in sorted order; hidden files and folders
    (such as macOS ``._photo.jpg`` resource forks) are ignored. With ``recursive`` the sub-folder
    structure is kept in ``out_dir``; ``out_dir`` itself is never searched when it lies inside
    ``in_dir``. When an output would land next to its source it gets the ``-cutout`` suffix, and
    such ``-cutout.png`` files are not taken as sources, so a re-run never cuts out its own results.
    An output name too long for the file system is shortened. Broken links (dangling or looping) are
    taken, so that the run lists them as failed. An output that already exists goes to ``skipped``
    unless ``overwrite``. Raises CutoutError if ``in_dir`` is not a folder.
    """
    in_dir = Path(in_dir).expanduser()
    out_dir = Path(out_dir).expanduser()
    if not in_dir.is_dir():
        raise CutoutError(f"Input folder '{in_dir}' does not exist or is not a folder")
    in_real = in_dir.resolve()
    out_real = out_dir.resolve()

    sources = _find_sources(in_real, out_real, recursive)
    source_set = set(sources)
    taken: set[Path] = set()
    plan = BatchPlan(in_dir=in_dir, out_dir=out_dir)
    for src in sources:
        rel_parent = src.parent.relative_to(in_real)
        dst = _output_for(src, out_real / rel_parent, source_set, taken)
        taken.add(dst)
        item = BatchItem(src=src, dst=dst)
        if _exists(dst) and not overwrite:
            plan.skipped.append(item)
        else:
            plan.items.append(item)
    return plan


def check_output_folder(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and prove it is writable, or raise one clear ExportError."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise ExportError(f"Output folder '{out_dir}' is a file, not a folder") from exc
    except OSError as exc:
        raise ExportError(f"Cannot create output folder '{out_dir}': {exc.strerror or exc}") from exc
    if not out_dir.is_dir():
        raise ExportError(f"Output folder '{out_dir}' is not a folder")
    check_writable_folder(out_dir)


def run_batch(
    engine: Segmenter,
    plan: BatchPlan,
    options: BatchOptions,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    decoder: DecoderProcess | None = None,
) -> BatchReport:
    """Cut out every item of ``plan`` and write its PNG; return what happened to each file.

    Skipped items are reported first (status "skipped"). ``progress(done, total)`` is called after
    each file to do; ``on_result`` receives each FileResult as soon as it is known. A failing file
    is recorded and the batch goes on; cancelling ends the batch with ``report.cancelled = True``.
    An output that appeared since planning, or that another cutout process is writing, is skipped.
    Photos are decoded by ``decoder`` (default: a child process for this run).
    Raises ExportError before doing anything if the output folder cannot be created or written.
    """
    check_output_folder(plan.out_dir)
    report = BatchReport(planned=len(plan.items))

    def record(result: FileResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    for item in plan.skipped:
        record(FileResult(item.src, item.dst, "skipped"))
    for folder in sorted({item.dst.parent for item in plan.items}):
        remove_stale_files(folder, ".png")

    own_decoder = decoder is None
    decoder = decoder or DecoderProcess()
    total = len(plan.items)
    try:
        for index, item in enumerate(plan.items):
            if cancel is not None and cancel.cancelled:
                report.cancelled = True
                break
            try:
                result = _run_item(engine, item, options, cancel, decoder)
            except Cancelled:
                report.cancelled = True
                break
            report.handled += 1
            record(result)
            if progress is not None:
                progress(index + 1, total)
    finally:
        if own_decoder:
            decoder.close()
    return report


def _run_item(
    engine: Segmenter, item: BatchItem, options: BatchOptions, cancel: CancelToken | None, decoder: DecoderProcess
) -> FileResult:
    """Claim, process and time one item; every problem but a cancel becomes a failed result."""
    start = time.perf_counter()
    try:
        item.dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # export_result reports it
    with claim(item.dst) as mine:
        if not mine:
            return FileResult(item.src, item.dst, "skipped", CLAIMED_ELSEWHERE)
        if not options.overwrite and _exists(item.dst):
            return FileResult(item.src, item.dst, "skipped")  # written by another run since planning
        try:
            _process(engine, item, options, cancel, decoder)
        except Cancelled:
            raise
        except CutoutError as exc:
            return FileResult(item.src, item.dst, "failed", str(exc), time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return FileResult(item.src, item.dst, "failed", message, time.perf_counter() - start)
    return FileResult(item.src, item.dst, "done", None, time.perf_counter() - start)


def _process(
    engine: Segmenter, item: BatchItem, options: BatchOptions, cancel: CancelToken | None, decoder: DecoderProcess
) -> None:
    """Read (in the decoder process), segment and export one photo (raises on any problem)."""
    pipeline.cut_out_file(engine, item.src, item.dst, options.export, options.mask, options.overwrite, cancel=cancel,
                          read=decoder.read)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False where the name cannot even be looked up (too long, no access)."""
    try:
        return path.exists()
    except OSError:
        return False


def _find_sources(in_dir: Path, out_dir: Path, recursive: bool) -> list[Path]:
    """Supported, non-hidden image files under ``in_dir`` (resolved), sorted, skipping ``out_dir``."""
    found: list[Path] = []
    in_place = in_dir == out_dir
    for root, dirs, files in os.walk(in_dir):
        root_path = Path(root)
        if recursive:
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (root_path / d).resolve() != out_dir)
        else:
            dirs[:] = []
        for name in sorted(files):
            path = root_path / name
            if name.startswith(".") or not imageio.is_supported_image(path):
                continue
            if not path.is_file() and not (path.is_symlink() and not path.exists()):
                continue  # a FIFO, a device...; broken links are taken, to be reported as failed
            if in_place and is_cutout_path(path):
                continue  # a result of an earlier in-place batch, not a photo
            found.append(path)
    found.sort(key=lambda p: p.relative_to(in_dir).parts)
    return found


def _output_for(src: Path, dst_dir: Path, sources: set[Path], taken: set[Path]) -> Path:
    """The output path of ``src`` in ``dst_dir``: never a source file, never another item's output.

    Next to its source the name ends in ``-cutout``; two sources sharing a stem (``p.jpg``, ``p.png``)
    are told apart by their extension (``p.png``, ``p-png.png``). A stem too long for the file system
    with these additions is shortened.
    """
    default = export.output_path_for(src, dst_dir)
    suffix = IN_PLACE_SUFFIX if default.parent == src.parent else ""
    ext = src.suffix.lstrip(".").lower()
    extras = ["", f"-{ext}"]
    n = 2
    while True:
        for extra in extras:
            candidate = default.with_name(fit_name(default.stem, f"{extra}{suffix}.png"))
            if candidate not in sources and candidate not in taken:
                return candidate
        extras = [f"-{ext}-{n}"]
        n += 1
