"""The batch manifest: one JSON line per handled photo in the output folder, so that a rerun resumes.

``OUT/cutout-manifest.jsonl`` holds records ``{"source", "output", "status", "error", "seconds"}``, with
``output`` relative to OUT, and ``"retry": true`` on a failure that the next run retries without being
asked (the disk was full: not a property of the photo). The latest record of an output is its state. Records are appended with one
``write`` on an ``O_APPEND`` file and synced, so a run killed with ``kill -9`` loses at most the record of
the file it was finishing (whose PNG, written atomically, is then found on the next run). A line cut
short by a power loss is ignored on reading. Local batches and Ray jobs write the same manifest.

The output folder may come from someone else, so the manifest is only ever a regular file opened with
``O_NOFOLLOW`` (:mod:`cutout_app.core.files.regular`): a manifest planted as a link (to ``~/.bashrc``), a
FIFO or a device is refused with a clear error, never written through or read without end, and a
manifest larger than :data:`MAX_MANIFEST_BYTES` is refused. Records write ``$`` and the backquote as JSON
escapes, so that no line holds a shell command substitution, wherever it ends up.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cutout_app.core.errors import ExportError
from cutout_app.core.files.atomic import os_error_reason
from cutout_app.core.files.regular import open_regular, read_regular
from cutout_app.core.wording import QT_TRANSLATE_NOOP, Translate, same

MANIFEST_NAME = "cutout-manifest.jsonl"

_TEXT = QT_TRANSLATE_NOOP("cutout", "All runs into this folder ({manifest}): {done} done, {failed} failed.")

#: Statuses a manifest records: cut out by a run, failed, or found already written (``skipped``).
RECORDED = ("done", "failed", "skipped")

#: The largest manifest read: about a million records.
MAX_MANIFEST_BYTES = 256 << 20

#: Characters written as JSON escapes: a shell would substitute a command inside double quotes at them.
_SHELL_ESCAPES = str.maketrans({"$": "\\u0024", "`": "\\u0060"})


@dataclass(frozen=True)
class ManifestEntry:
    """The latest record of one output."""

    source: str
    output: Path
    status: str
    error: str | None
    seconds: float
    retry: bool = False


@dataclass(frozen=True)
class ManifestSummary:
    """What a manifest says about its output folder."""

    path: Path
    done: int
    failed: list[ManifestEntry]

    def text(self, tr: Translate = same) -> str:
        """One line with the counts (a run's report names its failures); ``tr`` as in core.wording."""
        return tr(_TEXT).format(manifest=self.path.name, done=self.done, failed=len(self.failed))


class Manifest:
    """The manifest of output folder ``out_dir`` (the file need not exist yet). Thread-safe appends."""

    def __init__(self, out_dir: str | Path) -> None:
        self.folder = Path(out_dir).expanduser().resolve()
        self.path = self.folder / MANIFEST_NAME
        self._lock = threading.Lock()

    def entries(self) -> dict[Path, ManifestEntry]:
        """The latest entry of each output (absolute path); empty when there is no manifest yet."""
        try:
            data = read_regular(self.path, MAX_MANIFEST_BYTES, follow=False)
        except (FileNotFoundError, NotADirectoryError):
            return {}  # no run has written here yet (a bad folder is the run's error to report)
        except OSError as exc:
            raise ExportError(f"Cannot read the manifest '{self.path}': {os_error_reason(exc)}") from exc
        latest: dict[Path, ManifestEntry] = {}
        for line in data.splitlines():
            entry = self._parse(line)
            if entry is not None:
                latest[entry.output] = entry
        return latest

    def failures(self, entries: dict[Path, ManifestEntry] | None = None) -> dict[Path, str]:
        """Outputs whose latest record is a failure that a rerun does not retry unless asked, with its reason
        (of ``entries``, :meth:`entries` read already, or read now)."""
        entries = self.entries() if entries is None else entries
        return {out: e.error or "unknown error" for out, e in entries.items() if e.status == "failed" and not e.retry}

    def summary(self) -> ManifestSummary:
        """Counts of done (cut out or found written) and failed outputs, over every run into this folder."""
        entries = self.entries().values()
        failed = [e for e in entries if e.status == "failed"]
        return ManifestSummary(self.path, len(entries) - len(failed), failed)

    def append(self, source: str, output: Path, status: str, error: str | None, seconds: float,
               retry: bool = False) -> None:
        """Add one record (``status`` one of :data:`RECORDED`; ``retry``: a failure the next run retries) and sync it."""
        if status not in RECORDED:
            raise ValueError(f"a manifest records {RECORDED}, not {status!r}")
        record = {
            "source": source,
            "output": Path(output).relative_to(self.folder).as_posix(),
            "status": status,
            "error": error,
            "seconds": round(seconds, 3),
        }
        if retry:
            record["retry"] = True
        try:
            line = (json.dumps(record, ensure_ascii=False).translate(_SHELL_ESCAPES) + "\n").encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: its bytes as JSON escapes, which read back the same
            line = (json.dumps(record).translate(_SHELL_ESCAPES) + "\n").encode("ascii")
        with self._lock:
            try:
                fd = open_regular(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644, follow=False)
            except OSError as exc:
                raise ExportError(f"Cannot write the manifest '{self.path}': {os_error_reason(exc)}") from exc
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # end a line cut short by a crash, so this record stands alone
                os.write(fd, line)
                os.fsync(fd)
            except OSError as exc:
                raise ExportError(f"Cannot write the manifest '{self.path}': {os_error_reason(exc)}") from exc
            finally:
                os.close(fd)

    def _parse(self, line: bytes) -> ManifestEntry | None:
        try:
            record = json.loads(line)
            status = record["status"]
            if status not in RECORDED:
                return None
            return ManifestEntry(
                source=str(record["source"]),
                output=self.folder / str(record["output"]),
                status=status,
                error=record.get("error"),
                seconds=float(record.get("seconds") or 0.0),
                retry=record.get("retry") is True,
            )
        except (ValueError, KeyError, TypeError, RecursionError):
            return None  # a torn or foreign line (or one nested deeper than the parser goes)
