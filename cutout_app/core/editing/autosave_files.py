"""The files of an autosave folder: where they live, their names, and reading each one with suspicion.

A photo's autosave folder (one per window: :mod:`cutout_app.core.editing.autosave_slots`) lies in a
per-user data directory, never next to the photo, and is named by the SHA-1 of the photo's resolved
path, size and mtime, so a photo changed on disk no longer matches its autosave. It holds:

- ``meta.json``: source path, size, mtime_ns, mask shape, view settings, times, the current
  *generation* number and, once the photo was exported, where the journal stood then; it is the
  commit point and is always replaced atomically;
- ``base.<gen>.png``: the soft mask when the generation began (written atomically);
- ``journal.<gen>.bin``: the edits since (:mod:`cutout_app.core.editing.journal_format`).

Everything read here may be damaged or hand-made: the meta file's fields are checked, bad view
settings are left out with a note, and the base image is decoded like any photo, in the decoder's
child process with its size limits, so a crafted file can neither crash nor hang the window.
Notes are English sentences that also carry their template, so that the window can translate them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.editing.journal_format import MAX_JOURNAL_BYTES
from cutout_app.core.errors import CutoutError, ImageReadError
from cutout_app.core.files.imageio import Photo
from cutout_app.core.files.regular import read_regular
from cutout_app.core.files.safe_decode import read_image_protected
from cutout_app.core.wording import QT_TRANSLATE_NOOP, Translate

META_FORMAT = 1
META_NAME = "meta.json"
#: The largest description file read: one holds a few hundred bytes.
MAX_META_BYTES = 1 << 20
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


def autosave_root(data_dir: str | os.PathLike[str] | None) -> Path:
    """``data_dir``, or :func:`default_autosave_dir` when None."""
    return Path(data_dir) if data_dir is not None else default_autosave_dir()


class Note(str):
    """A sentence about an autosave, in English, that also keeps its template for :meth:`translated`."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Note:
        note = super().__new__(cls, template.format(**params))
        note.template, note.params = template, params
        return note

    def translated(self, tr: Translate) -> str:
        """The sentence in the language of ``tr`` (the window passes its translate function)."""
        return tr(self.template).format(**self.params)


@dataclass(frozen=True)
class PhotoKey:
    """What identifies a photo version: resolved path, size and mtime."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, photo_path: str | os.PathLike[str]) -> PhotoKey:
        """The key of the file at ``photo_path``; CutoutError if it cannot be read."""
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


def base_path(folder: Path, gen: int) -> Path:
    return folder / f"base.{gen}.png"


def journal_path(folder: Path, gen: int) -> Path:
    return folder / f"journal.{gen}.bin"


def generations_on_disk(folder: Path) -> list[int]:
    """The generations that have a base image in ``folder``, newest first (for a folder without meta)."""
    gens = []
    for path in folder.glob("base.*.png"):
        middle = path.name[len("base.") : -len(".png")]
        if middle.isdigit() and len(middle) < 19:
            gens.append(int(middle))
    return sorted(gens, reverse=True)


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The folder's meta file if it is there and sound, else None."""
    meta, _ = inspect_meta(folder)
    return meta


def read_journal(folder: Path, gen: int) -> bytes:
    """The first :data:`~cutout_app.core.editing.journal_format.MAX_JOURNAL_BYTES` of the journal of ``gen``:
    a regular file, never read through a link. OSError if there is none or it cannot be read."""
    return read_regular(journal_path(folder, gen), MAX_JOURNAL_BYTES, follow=False, prefix=True)


def inspect_meta(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(meta, None)`` for a sound meta file, ``(None, None)`` if there is none, ``(None, problem)`` if damaged."""
    try:
        text = read_regular(folder / META_NAME, MAX_META_BYTES, follow=False).decode("utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"its description file cannot be read ({getattr(exc, 'strerror', None) or exc})"
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError):
        return None, "its description file is not valid JSON"
    problem = _meta_problem(meta)
    return (None, problem) if problem else (meta, None)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _meta_problem(meta: object) -> str | None:
    """What is wrong with the fields that locate and shape the autosave, or None."""
    if not isinstance(meta, dict):
        return "its description file holds no fields"
    if meta.get("format") != META_FORMAT:
        return f"it has an unknown format ({str(meta.get('format'))[:20]!r})"
    shape = meta.get("shape")
    checks = {
        "generation": _is_int(meta.get("generation")) and 1 <= meta["generation"] < 2**62,
        "source": isinstance(meta.get("source"), str),
        "size": _is_int(meta.get("size")),
        "mtime_ns": _is_int(meta.get("mtime_ns")),
        "shape": isinstance(shape, list) and len(shape) == 2 and all(_is_int(v) and 0 < v < 2**31 for v in shape),
        "created": isinstance(meta.get("created", 0.0), (int, float)) and not isinstance(meta.get("created"), bool),
    }
    bad = [name for name, ok in checks.items() if not ok]
    return f"its description file has bad values ({', '.join(bad)})" if bad else None


_BAD_SETTINGS = QT_TRANSLATE_NOOP("cutout", "the saved view settings were unreadable; the defaults are used")
_BAD_SETTING = QT_TRANSLATE_NOOP("cutout", "the saved {name} {value} is not valid; the default {default} is used")


def clean_settings(raw: object) -> tuple[dict[str, Any], list[Note]]:
    """Stored view settings without bad values (the defaults apply), and a note for each one left out.

    A value is bad when :class:`MaskSettings` refuses it, whatever its type (null, a list, 1e400...).
    Keys that are no mask setting are kept for whoever stored them.
    """
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [Note(_BAD_SETTINGS)]
    settings: dict[str, Any] = {}
    notes = []
    defaults = MaskSettings()
    known = MaskSettings.field_names()
    for name, value in raw.items():
        if name not in known:
            settings[name] = value
            continue
        try:
            MaskSettings(**{name: value})
        except ValueError:
            shown = repr(value) if len(repr(value)) <= 24 else repr(value)[:21] + "..."
            notes.append(Note(_BAD_SETTING, name=name, value=shown, default=repr(getattr(defaults, name))))
        else:
            settings[name] = value
    return settings, notes


def base_problem(folder: Path, gen: int) -> str | None:
    """A cheap check of the base image: there, and a whole PNG (signature first, IEND last)."""
    path = base_path(folder, gen)
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


#: Reads an image file as a Photo, raising ImageReadError: the decoder child by default.
ImageReader = Callable[[Path], Photo]


def read_base(folder: Path, gen: int, shape: tuple[int, int] | None, read: ImageReader = read_image_protected) -> np.ndarray:
    """The base image of generation ``gen`` as a soft mask (uint8 H x W), decoded like any photo.

    ``shape`` (height, width), when known, must match. ``read`` decodes it: by default in the decoder's
    child process, as the window opens photos (a caller that is itself such a child may pass
    ``read_image``). Raises CutoutError saying what is wrong with it.
    """
    problem = base_problem(folder, gen)
    if problem:
        raise CutoutError(problem)
    try:
        photo = read(base_path(folder, gen))
    except ImageReadError as exc:
        raise CutoutError(f"cannot be decoded ({exc.reason})") from None
    pixels = photo.pixels
    if pixels.dtype != np.uint8 or pixels.shape[2] != 3:
        raise CutoutError("is not an 8-bit grey mask")
    soft = np.ascontiguousarray(pixels[:, :, 0])
    if not (np.array_equal(soft, pixels[:, :, 1]) and np.array_equal(soft, pixels[:, :, 2])):
        raise CutoutError("is not a grey mask")
    if shape is not None and soft.shape != shape:
        raise CutoutError(f"has the wrong size ({soft.shape[1]}x{soft.shape[0]}, not {shape[1]}x{shape[0]})")
    return soft


@dataclass(frozen=True)
class ExportMark:
    """Where the journal stood when the photo was last exported: its generation and record count, and when."""

    time: float
    generation: int
    records: int

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "generation": self.generation, "records": self.records}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> ExportMark | None:
        """The mark stored in ``meta``; None when there is none or it is not sound."""
        raw = meta.get("exported")
        if not isinstance(raw, dict):
            return None
        time_, gen, records = raw.get("time"), raw.get("generation"), raw.get("records")
        if not isinstance(time_, (int, float)) or isinstance(time_, bool) or not _is_int(gen) or not _is_int(records):
            return None
        if not (0 <= time_ < 1e12 and gen >= 1 and records >= 0):
            return None
        return cls(float(time_), gen, records)
