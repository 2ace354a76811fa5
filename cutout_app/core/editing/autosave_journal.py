"""Crash-safe autosave of mask edits: a base snapshot plus an fsync'd journal of region diffs.

Each photo gets a folder in a per-user data directory (never next to the photo), named by the SHA-1
of its resolved path, size and mtime, so a photo changed on disk no longer matches its autosave.
The folder holds:

- ``meta.json``: source path, size, mtime_ns, mask shape, view settings, times and the current
  *generation* number; it is the commit point and is always replaced atomically.
- ``base.<gen>.png``: the soft mask when the generation began (written atomically).
- ``journal.<gen>.bin``: a 16-byte header (``CUTJ``, version, generation) then append-only records,
  each ``CREC x y w h payload_len crc32`` (little-endian u32s) followed by the zlib-compressed
  "after" bytes of that rectangle. Every append is flushed and fsync'd, so a crash loses at most the
  record being written; a torn or corrupt tail fails the length/CRC check and is ignored.

A new generation (``start``/``snapshot``) writes its base and empty journal first and then switches
``meta.json`` over, so a crash at any moment leaves one consistent generation on disk.

Every file is checked when read. :meth:`RestoreInfo.recover` restores what can be restored and says
what could not; a damaged autosave is then set aside (:meth:`AutosaveJournal.set_aside` moves it to
``<autosave dir>/damaged/``, it is never deleted silently) and the journal starts afresh. View
settings with bad values fall back to the defaults, with a note.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import cv2
import numpy as np

from cutout_app.core.edges.alpha import MaskSettings
from cutout_app.core.editing.geometry import Rect
from cutout_app.core.editing.mask_edit import EditRecord
from cutout_app.core.errors import CutoutError, ExportError
from cutout_app.core.files.atomic import atomic_write_bytes
from cutout_app.core.files.filelock import remove_stale_files

FORMAT_VERSION = 1
META_NAME = "meta.json"
_JOURNAL_MAGIC = b"CUTJ"
_JOURNAL_HEADER = struct.Struct("<4sIQ")  # magic, version, generation
_RECORD_MAGIC = b"CREC"
_RECORD_HEADER = struct.Struct("<4sIIIIII")  # magic, x, y, w, h, payload_len, crc32
#: Damaged autosaves are moved into this sub-folder of the autosave folder.
DAMAGED_DIR = "damaged"


def default_autosave_dir() -> Path:
    """Where autosaves live: ``$CUTOUT_DATA_DIR/autosave``, else the platform's user data folder.

    On Linux that is ``${XDG_DATA_HOME:-~/.local/share}/cutout/autosave``; on Windows
    ``%LOCALAPPDATA%/cutout/autosave``; on macOS ``~/Library/Application Support/cutout/autosave``.
    """
    env = os.environ.get("CUTOUT_DATA_DIR")
    if env:
        return Path(env).expanduser() / "autosave"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "cutout" / "autosave"


@dataclass(frozen=True)
class _PhotoKey:
    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, photo_path: str | os.PathLike[str]) -> _PhotoKey:
        path = Path(photo_path).expanduser().resolve()
        try:
            st = path.stat()
        except OSError as exc:
            raise CutoutError(f"Cannot autosave edits of '{path}': {exc.strerror or exc}") from exc
        return cls(str(path), st.st_size, st.st_mtime_ns)

    @property
    def digest(self) -> str:
        return hashlib.sha1(f"{self.path}\n{self.size}\n{self.mtime_ns}".encode("utf-8", "surrogatepass")).hexdigest()

    def matches(self, meta: dict[str, Any]) -> bool:
        return meta.get("source") == self.path and meta.get("size") == self.size and meta.get("mtime_ns") == self.mtime_ns


def _read_meta(folder: Path) -> dict[str, Any] | None:
    """The folder's meta file if it is there and sound, else None."""
    meta, _ = _inspect_meta(folder)
    return meta


def _inspect_meta(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(meta, None)`` for a sound meta file, ``(None, None)`` if there is none, ``(None, problem)`` if damaged."""
    try:
        text = (folder / META_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"its description file cannot be read ({exc})"
    try:
        meta = json.loads(text)
    except ValueError:
        return None, "its description file is not valid JSON"
    problem = _meta_problem(meta)
    return (None, problem) if problem else (meta, None)


def _meta_problem(meta: object) -> str | None:
    """What is wrong with the fields that locate and shape the autosave, or None."""

    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not isinstance(meta, dict):
        return "its description file holds no fields"
    if meta.get("format") != FORMAT_VERSION:
        return f"it has an unknown format ({meta.get('format')!r})"
    shape = meta.get("shape")
    checks = {
        "generation": is_int(meta.get("generation")) and meta["generation"] >= 1,
        "source": isinstance(meta.get("source"), str),
        "size": is_int(meta.get("size")),
        "mtime_ns": is_int(meta.get("mtime_ns")),
        "shape": isinstance(shape, list) and len(shape) == 2 and all(is_int(v) and v > 0 for v in shape),
        "created": isinstance(meta.get("created", 0.0), (int, float)),
    }
    bad = [name for name, ok in checks.items() if not ok]
    return f"its description file has bad values ({', '.join(bad)})" if bad else None


def clean_settings(raw: object) -> tuple[dict[str, Any], list[str]]:
    """Stored view settings with bad values left out (the defaults apply), and a note for each one dropped."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, ["the saved view settings were unreadable; the defaults are used"]
    settings: dict[str, Any] = {}
    notes = []
    defaults = MaskSettings()
    for name, value in raw.items():
        try:
            MaskSettings(**{name: value})
        except TypeError:
            settings[name] = value  # not a mask setting: kept for whoever stored it
        except ValueError:
            notes.append(f"the saved {name} {value!r} is out of range; the default {getattr(defaults, name)!r} is used")
        else:
            settings[name] = value
    return settings, notes


def _base_path(folder: Path, gen: int) -> Path:
    return folder / f"base.{gen}.png"


def _journal_path(folder: Path, gen: int) -> Path:
    return folder / f"journal.{gen}.bin"


def _iter_records(data: bytes, generation: int) -> Iterator[tuple[Rect, bytes, int]]:
    """Valid records of a journal's bytes as ``(rect, raw after bytes, end offset)``; stops at the first bad one."""
    if len(data) < _JOURNAL_HEADER.size:
        return
    magic, version, gen = _JOURNAL_HEADER.unpack_from(data, 0)
    if magic != _JOURNAL_MAGIC or version != FORMAT_VERSION or gen != generation:
        return
    offset = _JOURNAL_HEADER.size
    while offset + _RECORD_HEADER.size <= len(data):
        magic, x, y, w, h, length, crc = _RECORD_HEADER.unpack_from(data, offset)
        start = offset + _RECORD_HEADER.size
        end = start + length
        if magic != _RECORD_MAGIC or end > len(data):
            return
        payload = data[start:end]
        if zlib.crc32(payload, zlib.crc32(data[offset : offset + _RECORD_HEADER.size - 4])) != crc:
            return
        try:
            raw = zlib.decompress(payload)
        except zlib.error:
            return
        if len(raw) != w * h:
            return
        yield Rect(x, y, w, h), raw, end
        offset = end


def _valid_journal_length(data: bytes, generation: int) -> int:
    """Bytes of ``data`` up to the end of the last valid record (header included), or 0 if the header is bad."""
    end = 0
    if len(data) >= _JOURNAL_HEADER.size and _JOURNAL_HEADER.unpack_from(data, 0) == (
        _JOURNAL_MAGIC,
        FORMAT_VERSION,
        generation,
    ):
        end = _JOURNAL_HEADER.size
    for _, _, rec_end in _iter_records(data, generation):
        end = rec_end
    return end


def _load(folder: Path, meta: dict[str, Any]) -> tuple[np.ndarray, int, int]:
    """Base + replayed journal of the current generation: ``(soft, records replayed, damaged journal bytes)``.

    Raises CutoutError if the base cannot be read. Journal bytes after the last sound record are
    counted, not replayed: a record cut short by a power cut, or damage.
    """
    gen = meta["generation"]
    problem = _base_problem(folder, gen)
    if problem:
        raise CutoutError(f"The autosaved mask in '{folder}' {problem}")
    try:
        encoded = np.fromfile(_base_path(folder, gen), np.uint8)
    except OSError as exc:
        raise CutoutError(f"The autosaved mask in '{folder}' cannot be read: {exc}") from exc
    soft = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED) if encoded.size else None
    shape = tuple(meta.get("shape", ()))
    if soft is None or soft.dtype != np.uint8 or soft.shape != shape:
        raise CutoutError(f"The autosaved mask in '{folder}' is damaged")
    try:
        data = _journal_path(folder, gen).read_bytes()
    except OSError:
        data = b""
    count = 0
    end = _JOURNAL_HEADER.size if data else 0
    for rect, raw, rec_end in _iter_records(data, gen):
        if rect.clip(*soft.shape) != rect:
            break
        soft[rect.slices] = np.frombuffer(raw, np.uint8).reshape(rect.h, rect.w)
        count += 1
        end = rec_end
    return soft, count, max(0, len(data) - end)


def _base_problem(folder: Path, gen: int) -> str | None:
    """A cheap check of the base image: there, and a whole PNG (signature first, IEND last)."""
    path = _base_path(folder, gen)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(max(0, size - 12))
            tail = f.read(12)
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if head != b"\x89PNG\r\n\x1a\n" or tail[4:8] != b"IEND":
        return "is damaged (cut short or overwritten)"
    return None


@dataclass(frozen=True)
class Recovered:
    """What :meth:`RestoreInfo.recover` could restore.

    ``soft`` is the mask (None: nothing could be restored), ``settings`` the view settings without bad
    values, ``notes`` says in words what was lost or replaced, and ``damaged`` whether the autosave's
    files are damaged (then set it aside and start afresh).
    """

    soft: np.ndarray | None
    settings: dict[str, Any]
    notes: tuple[str, ...] = ()
    damaged: bool = False


@dataclass(frozen=True)
class RestoreInfo:
    """An autosave found for a photo: what the GUI shows when offering to restore it.

    ``damage`` says why nothing can be restored (the meta file or the base image is broken); such an
    autosave should not be offered, only set aside with a message. ``notes`` lists settings replaced
    by defaults.
    """

    photo_path: Path
    folder: Path
    shape: tuple[int, int]
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    data_dir: Path | None = None
    damage: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def restorable(self) -> bool:
        """True unless the autosave is known to be beyond restoring."""
        return self.damage is None

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """The autosaved soft mask (uint8 H x W) and view settings; raises CutoutError if damaged."""
        recovered = self.recover()
        if recovered.soft is None:
            raise CutoutError(f"The autosave in '{self.folder}' cannot be restored: {'; '.join(recovered.notes)}")
        return recovered.soft, recovered.settings

    def recover(self) -> Recovered:
        """Restore what can be restored, never raising for damaged files: see :class:`Recovered`."""
        if self.damage is not None:
            return Recovered(None, {}, (self.damage,), damaged=True)
        meta, problem = _inspect_meta(self.folder)
        if meta is None:
            return Recovered(None, {}, (problem or "the autosave is gone",), damaged=problem is not None)
        settings, notes = clean_settings(meta.get("settings"))
        try:
            soft, _, lost = _load(self.folder, meta)
        except CutoutError:
            problem = _base_problem(self.folder, meta["generation"]) or "is damaged"
            return Recovered(None, settings, (f"the autosaved mask {problem}", *notes), damaged=True)
        if lost:
            notes.insert(0, f"the last edits could not be read ({lost} bytes of the journal are damaged or cut short)")
        return Recovered(soft, settings, tuple(notes), damaged=lost > 0)

    def journal(self) -> AutosaveJournal:
        """The journal to continue appending to after restoring."""
        return AutosaveJournal.open_for(self.photo_path, self.data_dir)


class AutosaveJournal:
    """The autosave of one photo's mask edits. Create with :meth:`open_for`; independent of Qt.

    Typical use: ``start(soft, settings)`` after a segmentation, ``record(rec)`` (or ``append``) from
    :class:`~cutout_app.core.editing.mask_edit.EditableMask`'s listener, ``snapshot(soft)`` every N records,
    ``discard()`` once the result is exported or the user declines a restore.
    Write failures raise :class:`ExportError`.
    """

    def __init__(self, folder: Path, key: _PhotoKey) -> None:
        self.folder = folder
        self._key = key
        self._meta: dict[str, Any] | None = None
        self._file: BinaryIO | None = None
        self.records_since_snapshot = 0
        meta = _read_meta(folder)
        if meta is not None and key.matches(meta):
            self._meta = meta

    # ------------------------------------------------------------------ lookup
    @classmethod
    def open_for(cls, photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> AutosaveJournal:
        """The journal of ``photo_path`` (which must exist) under ``data_dir`` (default :func:`default_autosave_dir`).

        An existing autosave of the same photo version is resumed: appends continue after its last
        valid record (a torn tail is cut off first).
        """
        root = Path(data_dir) if data_dir is not None else default_autosave_dir()
        key = _PhotoKey.of(photo_path)
        return cls(root / key.digest, key)

    @staticmethod
    def find_restorable(
        photo_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
    ) -> RestoreInfo | None:
        """The autosave of this exact photo version (same path, size and mtime), or None."""
        try:
            key = _PhotoKey.of(photo_path)
        except CutoutError:
            return None
        root = Path(data_dir) if data_dir is not None else default_autosave_dir()
        folder = root / key.digest
        meta, problem = _inspect_meta(folder)
        info = functools.partial(
            RestoreInfo, photo_path=Path(key.path), folder=folder, data_dir=Path(data_dir) if data_dir is not None else None
        )
        if problem is not None:  # the folder is named after this very photo version, so it was its autosave
            return info(shape=(0, 0), damage=f"the autosave is damaged: {problem}")
        if meta is None or not key.matches(meta):
            return None
        shape = (int(meta["shape"][0]), int(meta["shape"][1]))
        settings, notes = clean_settings(meta.get("settings"))
        base_problem = _base_problem(folder, meta["generation"])
        return info(
            shape=shape,
            settings=settings,
            created=float(meta.get("created", 0.0)),
            updated=_updated_time(folder, meta),
            damage=f"the autosaved mask {base_problem}" if base_problem else None,
            notes=tuple(notes),
        )

    # ------------------------------------------------------------------ state
    @property
    def started(self) -> bool:
        """True once a base snapshot exists (after :meth:`start` or when resuming an autosave)."""
        return self._meta is not None

    @property
    def settings(self) -> dict[str, Any]:
        """The view settings stored with the autosave (bad values left out)."""
        return clean_settings((self._meta or {}).get("settings"))[0]

    @property
    def base_missing(self) -> bool:
        """True when the autosave has started but its base image is no longer on disk (then snapshot)."""
        return self._meta is not None and not _base_path(self.folder, self._meta["generation"]).is_file()

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """Base + journal replayed: ``(soft uint8 H x W, settings)``; raises CutoutError if nothing/damaged."""
        meta = _read_meta(self.folder)
        if meta is None or not self._key.matches(meta):
            raise CutoutError(f"No autosave for '{self._key.path}'")
        soft, count, _ = _load(self.folder, meta)
        self._meta = meta
        self.records_since_snapshot = count
        return soft, clean_settings(meta.get("settings"))[0]

    # ------------------------------------------------------------------ writing
    def start(self, soft: np.ndarray, settings: dict[str, Any] | None = None) -> None:
        """Begin a new autosave from ``soft`` (base snapshot, empty journal) with the given view settings."""
        old = self._meta or _read_meta(self.folder) or {}
        meta = {
            "format": FORMAT_VERSION,
            "source": self._key.path,
            "size": self._key.size,
            "mtime_ns": self._key.mtime_ns,
            "shape": [int(soft.shape[0]), int(soft.shape[1])],
            "settings": dict(settings or {}),
            "created": time.time(),
            "generation": int(old.get("generation", 0)) + 1 if isinstance(old.get("generation"), int) else 1,
        }
        self._write_generation(soft, meta)

    def snapshot(self, soft: np.ndarray) -> None:
        """Compact: make ``soft`` the new base and clear the journal (settings and created time are kept)."""
        if self._meta is None:
            raise RuntimeError("snapshot() before start()")
        meta = dict(self._meta)
        meta["shape"] = [int(soft.shape[0]), int(soft.shape[1])]
        meta["generation"] = int(meta["generation"]) + 1
        self._write_generation(soft, meta)

    def update_settings(self, settings: dict[str, Any]) -> None:
        """Store new view settings (threshold, softness...) with the autosave."""
        if self._meta is None:
            raise RuntimeError("update_settings() before start()")
        meta = dict(self._meta, settings=dict(settings))
        self._write_meta(meta)
        self._meta = meta

    def append(self, rect: Rect | tuple[int, int, int, int], after: np.ndarray) -> None:
        """Append one region diff (``after`` = the mask's new content inside ``rect``), flushed and fsync'd."""
        if self._meta is None:
            raise RuntimeError("append() before start()")
        rect = rect if isinstance(rect, Rect) else Rect(*(int(v) for v in rect))
        h, w = self._meta["shape"]
        if after.dtype != np.uint8 or after.shape != (rect.h, rect.w) or rect.empty or rect.clip(h, w) != rect:
            raise ValueError(f"bad journal record: rect {rect} with {after.dtype} {after.shape} on a {h}x{w} mask")
        payload = zlib.compress(np.ascontiguousarray(after).tobytes(), 1)
        head = _RECORD_HEADER.pack(_RECORD_MAGIC, rect.x, rect.y, rect.w, rect.h, len(payload), 0)[:-4]
        crc = zlib.crc32(payload, zlib.crc32(head))
        try:
            fh = self._append_handle()
            fh.write(head + struct.pack("<I", crc) + payload)
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as exc:
            self.close()
            raise ExportError(f"Autosave failed in '{self.folder}': {exc.strerror or exc}") from exc
        self.records_since_snapshot += 1

    def record(self, rec: EditRecord) -> None:
        """Journal an :class:`EditRecord` from the mask's listener: whole-mask changes become a snapshot."""
        if rec.full:
            self.snapshot(rec.after)
        else:
            self.append(rec.rect, rec.after)

    def close(self) -> None:
        """Close the journal file (the autosave stays on disk)."""
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def discard(self) -> None:
        """Delete this photo's autosave (after export, or when the user declines to restore it)."""
        self.close()
        self._meta = None
        self.records_since_snapshot = 0
        shutil.rmtree(self.folder, ignore_errors=True)

    def set_aside(self) -> Path | None:
        """Move this photo's (damaged) autosave to ``<autosave dir>/damaged/`` and start afresh.

        Returns where it went, or None if there was nothing to move or it could not be moved (then it
        stays, and the next :meth:`start` writes over it).
        """
        self.close()
        self._meta = None
        self.records_since_snapshot = 0
        if not self.folder.exists():
            return None
        stamp = f"{self.folder.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        target = self.folder.parent / DAMAGED_DIR / stamp
        n = 2
        while target.exists():
            target = target.with_name(f"{stamp}-{n}")
            n += 1
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folder.rename(target)
        except OSError:
            return None
        return target

    # ------------------------------------------------------------------ internals
    def _append_handle(self) -> BinaryIO:
        if self._file is None:
            assert self._meta is not None
            path = _journal_path(self.folder, self._meta["generation"])
            fh = open(path, "r+b") if path.exists() else open(path, "w+b")
            data = fh.read()
            valid = _valid_journal_length(data, self._meta["generation"])
            if valid == 0:  # missing or foreign header: start the journal afresh
                fh.seek(0)
                fh.write(_JOURNAL_HEADER.pack(_JOURNAL_MAGIC, FORMAT_VERSION, self._meta["generation"]))
                valid = _JOURNAL_HEADER.size
            fh.truncate(valid)
            fh.seek(valid)
            self._file = fh
        return self._file

    def _write_meta(self, meta: dict[str, Any]) -> None:
        meta = dict(meta, updated=time.time())
        atomic_write_bytes(self.folder / META_NAME, json.dumps(meta, indent=1).encode("utf-8"))

    def _write_generation(self, soft: np.ndarray, meta: dict[str, Any]) -> None:
        if soft.dtype != np.uint8 or soft.ndim != 2:
            raise ValueError(f"soft mask must be 2-D uint8, got {soft.dtype} {soft.shape}")
        self.close()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"Cannot create the autosave folder '{self.folder}': {exc.strerror or exc}") from exc
        gen = meta["generation"]
        ok, png = cv2.imencode(".png", np.ascontiguousarray(soft), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise ExportError("Cannot encode the autosave snapshot")
        atomic_write_bytes(_base_path(self.folder, gen), png.tobytes())
        atomic_write_bytes(_journal_path(self.folder, gen), _JOURNAL_HEADER.pack(_JOURNAL_MAGIC, FORMAT_VERSION, gen))
        self._write_meta(meta)  # the commit point
        self._meta = dict(meta)
        self.records_since_snapshot = 0
        for stale in list(self.folder.glob("base.*.png")) + list(self.folder.glob("journal.*.bin")):
            if stale.name not in (_base_path(self.folder, gen).name, _journal_path(self.folder, gen).name):
                stale.unlink(missing_ok=True)
        remove_stale_files(self.folder)  # temporary files of a writer that was killed


def _updated_time(folder: Path, meta: dict[str, Any]) -> float:
    try:
        return _journal_path(folder, meta["generation"]).stat().st_mtime
    except OSError:
        return float(meta.get("updated", meta.get("created", 0.0)))


def cleanup_stale(data_dir: str | os.PathLike[str] | None = None, max_age_days: float = 30.0) -> int:
    """Delete autosaves whose photo is gone or changed, or that are older than ``max_age_days``; returns the count."""
    root = Path(data_dir) if data_dir is not None else default_autosave_dir()
    removed = 0
    if not root.is_dir():
        return 0
    now = time.time()
    for folder in root.iterdir():
        if not folder.is_dir() or len(folder.name) != 40:
            continue
        meta = _read_meta(folder)
        if meta is None:  # no commit yet: may be another instance writing right now
            try:
                stale = now - folder.stat().st_mtime > 86400
            except OSError:
                continue
        else:
            try:
                key = _PhotoKey.of(meta.get("source", ""))
                stale = not key.matches(meta) or key.digest != folder.name
            except CutoutError:
                stale = True
            stale = stale or now - _updated_time(folder, meta) > max_age_days * 86400
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
