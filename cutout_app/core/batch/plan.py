"""Batch cut-out of a folder of photos: plan which files to do, then run them one by one.

The sequential loop lives here with what every way of running a batch shares: the plan, claiming an
output, the reason a file failed, and recording results (report, callback, manifest). The pipelined
run is :mod:`cutout_app.core.batch.local`, the Ray job :mod:`cutout_app.core.batch.ray_job`.

One bad file never stops a batch: its failure is recorded with the reason and the batch goes on.
Photos are decoded in a child process (:mod:`cutout_app.core.files.safe_decode`), so even a decoder crash is
one file's failure. Cancelling stops between files (or inside a file's inference); what was written
stays written, and a later run with the same folders skips it. Batches that share an output folder
claim each output before working on it (:func:`cutout_app.core.files.filelock.claim`), so they split the
work instead of repeating it, and every run first removes what killed runs left behind. Every run
records its results in the output folder's manifest (:mod:`cutout_app.core.batch.manifest`); a rerun does
not retry the files that failed before unless asked to, except those that failed because the disk was
full (not a property of the photo). The search follows links to folders (never round a loop), and
lists every folder it could not read: a batch never drops a photo without saying so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from cutout_app.core.batch.manifest import Manifest
from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.errors import CutoutError, ExportError, printable
from cutout_app.core.files import imageio
from cutout_app.core.files.destination import output_path_for
from cutout_app.core.files.atomic import DISK_FULL_ERRORS, check_writable_folder
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.filelock import claim, remove_stale_files
from cutout_app.core.files.names import CUTOUT_SUFFIX, fit_name, is_cutout_path
from cutout_app.core.files.regular import check_no_links_below
from cutout_app.core.wording import QT_TRANSLATE_NOOP, Translate, same

if TYPE_CHECKING:
    pass

# The batch summary's wording, for the command line and the batch dialog alike (see core.wording).
_COUNTS = QT_TRANSLATE_NOOP("cutout", "Done: {done}, skipped (output exists): {skipped}, failed: {failed}.")
_CANCELLED = QT_TRANSLATE_NOOP("cutout", "Cancelled: {count} file(s) not processed.")
_FAILED = QT_TRANSLATE_NOOP("cutout", "These files could not be cut out:")
_FAILED_BEFORE = QT_TRANSLATE_NOOP(
    "cutout", "Not retried, they failed in an earlier run (--retry-failed retries them): {count}")
_UNREADABLE = QT_TRANSLATE_NOOP(
    "cutout", "These folders could not be searched; the photos in them are not in this batch:")

#: Added to an output's stem when it is written next to its source (output folder == input folder),
#: so that ``photo.png`` is never overwritten by the cut-out of ``photo.jpg`` or ``photo.png``.
IN_PLACE_SUFFIX = CUTOUT_SUFFIX

#: The note on an output skipped because another cutout process was producing it.
CLAIMED_ELSEWHERE = "another cutout process is writing this result"

#: done: written by this run; skipped: the output exists (or another process writes it); failed: this
#: run could not cut it out; failed-before: it failed in an earlier run and was not retried.
Status = Literal["done", "skipped", "failed", "failed-before"]


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
    #: For an item not retried: the reason it failed in an earlier run (from the manifest).
    earlier_error: str | None = None
    #: The output folder the batch was given (resolved): nothing is written through a link below it.
    out_root: Path | None = None


@dataclass
class BatchPlan:
    """The work of a batch: ``items`` to do, ``skipped`` ones whose output already exists,
    ``failed_before``: those that failed in an earlier run and are not retried, and ``unreadable``:
    the folders the search could not read, each with the reason."""

    in_dir: Path
    out_dir: Path
    items: list[BatchItem] = field(default_factory=list)
    skipped: list[BatchItem] = field(default_factory=list)
    failed_before: list[BatchItem] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    #: Items whose output exists and was cut out from another photo (the manifest says so), with the reason.
    conflicts: list[BatchItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of photos found (to do + skipped + not retried + in conflict)."""
        return len(self.items) + len(self.skipped) + len(self.failed_before) + len(self.conflicts)


@dataclass
class FileResult:
    """What happened to one photo of a batch. ``retry``: it failed for a reason outside the photo (the
    disk was full), so the next run retries it without being asked."""

    src: Path
    dst: Path
    status: Status
    error: str | None = None
    seconds: float = 0.0
    retry: bool = False
    #: It failed because its output was cut out from another photo: the manifest keeps that photo's record.
    conflict: bool = False


#: Why a photo whose output exists, made from another photo of the same name, is not skipped.
OTHER_SOURCE = ("its output already exists and was cut out from another photo ({other}); "
                "use another output folder, or --overwrite to replace it")


def failed_result(src: Path, dst: Path, exc: BaseException, seconds: float = 0.0) -> FileResult:
    """The result of a photo that failed with ``exc``: its reason, and whether the next run retries it."""
    return FileResult(src, dst, "failed", failure_reason(exc), seconds, retry=disk_was_full(exc))


@dataclass
class BatchReport:
    """The results of a batch run, in the order the files were handled."""

    results: list[FileResult] = field(default_factory=list)
    cancelled: bool = False
    #: Number of files the plan had to do (so a cancelled report can say how many were left).
    planned: int = 0
    #: Number of those that were handled (done, failed, or skipped because their output appeared meanwhile).
    handled: int = 0
    #: Folders the search could not read, with the reason (from the plan).
    unreadable: list[tuple[Path, str]] = field(default_factory=list)

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
    def failed_before(self) -> list[FileResult]:
        """Files that failed in an earlier run and were not retried, each with that run's reason."""
        return [r for r in self.results if r.status == "failed-before"]

    @property
    def not_started(self) -> int:
        """Files of the plan that were never reached (only non-zero after a cancel)."""
        return max(0, self.planned - self.handled)

    def summary(self, tr: Translate = same, name: Callable[[Path], str] = str) -> str:
        """A multi-line summary that names every failed file (as ``name`` shows it) and why it failed, and
        every folder the search could not read.

        ``tr`` translates the wording (see :mod:`cutout_app.core.wording`). Names and reasons are
        :func:`~cutout_app.core.errors.printable`: a file name cannot act on the terminal.
        """
        lines = [tr(_COUNTS).format(done=len(self.done), skipped=len(self.skipped), failed=len(self.failed))]
        if self.cancelled:
            lines.append(tr(_CANCELLED).format(count=self.not_started))
        for heading, results in ((tr(_FAILED), self.failed),
                                 (tr(_FAILED_BEFORE).format(count=len(self.failed_before)), self.failed_before)):
            if results:
                lines.append(heading)
                lines.extend(f"  {printable(name(r.src))}: {printable(r.error or '')}" for r in results)
        if self.unreadable:
            lines.append(tr(_UNREADABLE))
            lines.extend(f"  {printable(name(folder))}: {reason}" for folder, reason in self.unreadable)
        return "\n".join(lines)


def plan_batch(
    in_dir: Path, out_dir: Path, recursive: bool = BatchOptions.recursive, overwrite: bool = BatchOptions.overwrite,
    retry_failed: bool = False,
) -> BatchPlan:
    """Find the photos under ``in_dir`` and decide where each cut-out goes in ``out_dir``.

    Only files with a supported image extension are taken, in sorted order; hidden files and folders
    (such as macOS ``._photo.jpg`` resource forks) are ignored. With ``recursive`` the sub-folder
    structure is kept in ``out_dir``; ``out_dir`` itself is never searched when it lies inside
    ``in_dir``. When an output would land next to its source it gets the ``-cutout`` suffix, and
    such ``-cutout.png`` files are not taken as sources, so a re-run never cuts out its own results.
    An output name too long for the file system is shortened. Links to folders are followed, except
    back into a folder they lie in (a loop); a folder that cannot be read (no permission, a path longer
    than the system allows) goes to ``unreadable`` with the reason. Broken links (dangling or looping)
    and files whose path is too long to look at are taken, so that the run lists them as failed. An
    output that already exists goes to ``skipped`` unless ``overwrite``, or to ``conflicts`` when the
    manifest says it was cut out from another photo (two batches of same-named photos into one folder:
    never a silent skip); one whose latest manifest record is a failure goes to ``failed_before`` unless
    ``retry_failed`` or ``overwrite`` (or the failure was a full disk). Raises CutoutError if ``in_dir``
    is not a folder.
    """
    in_dir = Path(in_dir).expanduser()
    out_dir = Path(out_dir).expanduser()
    if not in_dir.is_dir():
        raise CutoutError(f"Input folder '{in_dir}' does not exist or is not a folder")
    in_real = in_dir.resolve()
    out_real = out_dir.resolve()

    sources, unreadable = _find_sources(in_real, out_real, recursive)
    plan = plan_sources(in_dir, in_real, sources, out_dir, overwrite, retry_failed)
    plan.unreadable = unreadable
    return plan


def plan_sources(
    in_dir: Path, root: Path, sources: list[Path], out_dir: Path, overwrite: bool = False, retry_failed: bool = False,
    source_name: Callable[[Path], str] = str,
) -> BatchPlan:
    """The plan for ``sources`` (files under ``root``, in order): :func:`plan_batch` after its search.

    A Ray job plans the files it listed on a remote file system with it (``root`` is then that file
    system's path of the folder, ``source_name`` names a source as its manifest records do), so that its
    outputs get the same names as a local run's.
    """
    out_dir = Path(out_dir).expanduser()
    out_real = out_dir.resolve()
    manifest = Manifest(out_real)
    records = manifest.entries()
    earlier = {} if overwrite or retry_failed else manifest.failures(records)
    source_set = set(sources)
    taken: set[Path] = set()
    plan = BatchPlan(in_dir=Path(in_dir), out_dir=out_dir)
    for src in sources:
        dst = _output_for(src, out_real / src.parent.relative_to(root), source_set, taken)
        taken.add(dst)
        record = records.get(dst)
        if _exists(dst) and not overwrite and record is not None and record.source != source_name(src):
            plan.conflicts.append(BatchItem(src, dst, OTHER_SOURCE.format(other=record.source), out_root=out_real))
        elif _exists(dst) and not overwrite:
            plan.skipped.append(BatchItem(src, dst, out_root=out_real))
        elif dst in earlier:
            plan.failed_before.append(BatchItem(src, dst, earlier[dst], out_root=out_real))
        else:
            plan.items.append(BatchItem(src, dst, out_root=out_real))
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


class BatchRecorder:
    """Where a run's results go: its report, the ``on_result`` callback and the output folder's manifest.

    A result found already written is recorded in the manifest only when the manifest has no record
    of that output (so reruns do not grow it). Thread-safe.
    """

    def __init__(
        self,
        report: BatchReport,
        out_dir: Path,
        on_result: Callable[[FileResult], None] | None = None,
        source_name: Callable[[Path], str] = str,
    ) -> None:
        self.report = report
        self.manifest = Manifest(out_dir)
        self._known = set(self.manifest.entries())
        self._on_result = on_result
        self._source_name = source_name
        self._lock = threading.Lock()

    def record(self, result: FileResult) -> None:
        """Add ``result`` to the report and the manifest, then pass it to the callback."""
        with self._lock:
            self.report.results.append(result)
            fresh_skip = result.status == "skipped" and result.error is None and result.dst not in self._known
            if (result.status in ("done", "failed") and not result.conflict) or fresh_skip:
                self.manifest.append(self._source_name(result.src), result.dst, result.status, result.error,
                                     result.seconds, retry=result.retry)
                self._known.add(result.dst)
        if self._on_result is not None:
            self._on_result(result)


def start_run(
    plan: BatchPlan,
    on_result: Callable[[FileResult], None] | None = None,
    source_name: Callable[[Path], str] = str,
) -> BatchRecorder:
    """What every run does first: check the output folder, record the skipped and not retried items,
    and remove what killed runs left in the output folders (all of them, even when every output is
    written). Raises ExportError for an unusable folder."""
    check_output_folder(plan.out_dir)
    report = BatchReport(planned=len(plan.items), unreadable=list(plan.unreadable))
    recorder = BatchRecorder(report, plan.out_dir, on_result, source_name)
    for item in plan.skipped:
        recorder.record(FileResult(item.src, item.dst, "skipped"))
    for item in plan.failed_before:
        recorder.record(FileResult(item.src, item.dst, "failed-before", item.earlier_error))
    for item in plan.conflicts:
        recorder.record(FileResult(item.src, item.dst, "failed", item.earlier_error, conflict=True))
    every_item = plan.items + plan.skipped + plan.failed_before + plan.conflicts
    for folder in sorted({Path(plan.out_dir)} | {item.dst.parent for item in every_item}):
        remove_stale_files(folder, ".png")
    return recorder


def claim_item(item: BatchItem, overwrite: bool) -> tuple[contextlib.ExitStack, FileResult | None]:
    """Claim ``item``'s output for the work that follows, or say why it is skipped.

    Returns the stack holding the claim (close it when the item is finished, from any thread) and
    None, or a closed stack and the "skipped" result: another process holds the claim, or the output
    appeared since planning (unless ``overwrite``); or the "failed" result of an output whose folder
    inside the output folder is a link (planted there: nothing is written through it).
    """
    if item.out_root is not None:
        try:
            check_no_links_below(item.out_root, item.dst)
        except OSError as exc:
            return contextlib.ExitStack(), FileResult(item.src, item.dst, "failed",
                                                      f"Cannot write '{item.dst}': {exc.strerror}")
    try:
        item.dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # writing the result reports it
    stack = contextlib.ExitStack()
    if not stack.enter_context(claim(item.dst)):
        stack.close()
        return stack, FileResult(item.src, item.dst, "skipped", CLAIMED_ELSEWHERE)
    if not overwrite and _exists(item.dst):
        stack.close()
        return stack, FileResult(item.src, item.dst, "skipped")  # written by another run since planning
    return stack, None


def failure_reason(exc: BaseException) -> str:
    """The reason a report gives for ``exc``: a CutoutError's own message, else the type and message."""
    if isinstance(exc, CutoutError):
        return str(exc)
    return printable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def disk_was_full(exc: BaseException) -> bool:
    """Whether ``exc`` came from a full disk (an OSError with ENOSPC or EDQUOT anywhere in its chain)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRORS:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False where the name cannot even be looked up (too long, no access)."""
    try:
        return path.exists()
    except OSError:
        return False


def _find_sources(in_dir: Path, out_dir: Path, recursive: bool) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Supported, non-hidden image files under ``in_dir`` (resolved), sorted, skipping ``out_dir``; and the
    folders that could not be read, with the reason.

    Links to folders are followed; one that leads back to a folder it lies in (a loop) is not, since
    everything in it is found already.
    """
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    in_place = in_dir == out_dir
    try:
        out_key = _folder_key(out_dir)
    except OSError:
        out_key = None  # not made yet
    chains = {str(in_dir): {_folder_key(in_dir)}}  # each folder's own key and its parents' (loop detection)

    def not_read(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or in_dir), _folder_reason(exc)))

    for root, dirs, files in os.walk(in_dir, onerror=not_read, followlinks=True):
        root_path = Path(root)
        chain = chains.pop(root, set())
        kept = []
        for d in sorted(dirs) if recursive else []:
            if d.startswith("."):
                continue
            try:
                key = _folder_key(root_path / d)
            except OSError as exc:
                unreadable.append((root_path / d, _folder_reason(exc)))
                continue
            if key in chain or key == out_key:
                continue  # a loop, or the output folder
            kept.append(d)
            chains[str(root_path / d)] = chain | {key}
        dirs[:] = kept
        for name in sorted(files):
            path = root_path / name
            if name.startswith(".") or not imageio.is_supported_image(path):
                continue
            # FIFOs, devices and broken links are taken too: the run lists them as failed with the reason
            # (the reader opens regular files only), and a path too long to look at says so.
            if in_place and is_cutout_path(path):
                continue  # a result of an earlier in-place batch, not a photo
            found.append(path)
    found.sort(key=lambda p: p.relative_to(in_dir).parts)
    return found, unreadable


def _folder_key(path: Path) -> tuple[int, int]:
    """The device and inode of the folder ``path`` leads to (links followed); OSError if it cannot be looked at."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _folder_reason(exc: OSError) -> str:
    """Why a folder could not be searched, in a user's words."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "its path is longer than the system allows"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    return str(exc.strerror or exc)


def _output_for(src: Path, dst_dir: Path, sources: set[Path], taken: set[Path]) -> Path:
    """The output path of ``src`` in ``dst_dir``: never a source file, never another item's output.

    Next to its source the name ends in ``-cutout``; two sources sharing a stem (``p.jpg``, ``p.png``)
    are told apart by their extension (``p.png``, ``p-png.png``). A stem too long for the file system
    with these additions is shortened.
    """
    default = output_path_for(src, dst_dir)
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
