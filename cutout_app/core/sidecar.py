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
"""

from __future__ import annotations

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

from cutout_app.core.atomic import atomic_write_bytes
from cutout_app.core.errors import CutoutError, ExportError
from cutout_app.core.mask_edit import EditRecord, Rect

FORMAT_VERSION = 1
META_NAME = "meta.json"
_JOURNAL_MAGIC = b"CUTJ"
_JOURNAL_HEADER = struct.Struct("<4sIQ")  # magic, version, generation
_RECORD_MAGIC = b"CREC"
_RECORD_HEADER = struct.Struct("<4sIIIIII")  # magic, x, y, w, h, payload_len, crc32


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
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION or not isinstance(meta.get("generation"), int):
        return None
    return meta


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


def _load(folder: Path, meta: dict[str, Any]) -> tuple[np.ndarray, int]:
    """Base + replayed journal of the current generation: ``(soft, number of records replayed)``."""
    gen = meta["generation"]
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
    for rect, raw, _ in _iter_records(data, gen):
        if rect.clip(*soft.shape) != rect:
            break
        soft[rect.slices] = np.frombuffer(raw, np.uint8).reshape(rect.h, rect.w)
        count += 1
    return soft, count


@dataclass(frozen=True)
class RestoreInfo:
    """An autosave found for a photo: what the GUI shows when offering to restore it."""

    photo_path: Path
    folder: Path
    shape: tuple[int, int]
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    data_dir: Path | None = None

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """The autosaved soft mask (uint8 H x W) and view settings; raises CutoutError if damaged."""
        meta = _read_meta(self.folder)
        if meta is None:
            raise CutoutError(f"The autosave in '{self.folder}' is gone or damaged")
        soft, _ = _load(self.folder, meta)
        return soft, dict(meta.get("settings") or {})

    def journal(self) -> AutosaveJournal:
        """The journal to continue appending to after restoring."""
        return AutosaveJournal.open_for(self.photo_path, self.data_dir)


class AutosaveJournal:
    """The autosave of one photo's mask edits. Create with :meth:`open_for`; independent of Qt.

    Typical use: ``start(soft, settings)`` after a segmentation, ``record(rec)`` (or ``append``) from
    :class:`~cutout_app.core.mask_edit.EditableMask`'s listener, ``snapshot(soft)`` every N records,
    ``discard()`` once the result is exported or the user declines a restore.
    Write failures raise :class:`ExportError`.
    """

    def __init__(self, folder: Path, key: _PhotoKey, data_dir: Path | None) -> None:
        self.folder = folder
        self._key = key
        self._data_dir = data_dir
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
        return cls(root / key.digest, key, Path(data_dir) if data_dir is not None else None)

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
        meta = _read_meta(folder)
        if meta is None or not key.matches(meta) or not _base_path(folder, meta["generation"]).is_file():
            return None
        shape = meta.get("shape")
        if not (isinstance(shape, list) and len(shape) == 2):
            return None
        return RestoreInfo(
            photo_path=Path(key.path),
            folder=folder,
            shape=(int(shape[0]), int(shape[1])),
            settings=dict(meta.get("settings") or {}),
            created=float(meta.get("created", 0.0)),
            updated=_updated_time(folder, meta),
            data_dir=Path(data_dir) if data_dir is not None else None,
        )

    # ------------------------------------------------------------------ state
    @property
    def started(self) -> bool:
        """True once a base snapshot exists (after :meth:`start` or when resuming an autosave)."""
        return self._meta is not None

    @property
    def settings(self) -> dict[str, Any]:
        """The view settings stored with the autosave."""
        return dict((self._meta or {}).get("settings") or {})

    def restore(self) -> tuple[np.ndarray, dict[str, Any]]:
        """Base + journal replayed: ``(soft uint8 H x W, settings)``; raises CutoutError if nothing/damaged."""
        meta = _read_meta(self.folder)
        if meta is None or not self._key.matches(meta):
            raise CutoutError(f"No autosave for '{self._key.path}'")
        soft, count = _load(self.folder, meta)
        self._meta = meta
        self.records_since_snapshot = count
        return soft, dict(meta.get("settings") or {})

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
