"""The bytes of an autosave journal: its header, its records, and reading them back with every check.

A journal file is a header, then append-only records:

- header (version 2, 24 bytes): ``CUTJ``, version, generation (u64), and the number of records
  appended so far (u64, rewritten in place after each append, under the same fsync). It is what tells
  a journal cut at a record boundary from one that simply ended. Version 1 (16 bytes, no count) is
  still read.
- record: ``magic x y w h payload_len crc32`` (little-endian u32s), then ``payload_len`` bytes of
  zlib data; the CRC covers the header fields before it and the payload. ``CREC`` records hold the
  mask's new content inside the rectangle (``w * h`` bytes) after an edit; ``CUND`` and ``CRDO`` records
  the same after an undo or a redo (what the rectangle holds then), so that a restore rebuilds the undo
  and redo history the user had; ``CGDN`` records hold the click tool's guidance after the record before
  it, as JSON (x, y, w, h are 0).

Reading stops at the first record that is torn, corrupt or impossible for the mask's shape; the scan
says how many bytes were left and how many records the header promised. What a journal may cost to read
is bounded in bytes: at most :data:`MAX_JOURNAL_BYTES` of the file, and at most :data:`MAX_REPLAY_BYTES`
of mask content inflated from it (zlib packs a megabyte of a flat mask into a kilobyte, so a small journal
can hold gigabytes); a journal beyond either is read up to there, like one cut short.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import MAX_UNDO_BYTES

MAGIC = b"CUTJ"
VERSION = 2
_HEADER_V1 = struct.Struct("<4sIQ")  # magic, version, generation
HEADER = struct.Struct("<4sIQQ")  # magic, version, generation, records appended
#: Where the record count sits in a version-2 header.
COUNT_OFFSET = _HEADER_V1.size
COUNT = struct.Struct("<Q")
RECORD = struct.Struct("<4sIIIIII")  # magic, x, y, w, h, payload_len, crc32
MASK_MAGIC = b"CREC"
UNDO_MAGIC = b"CUND"
REDO_MAGIC = b"CRDO"
GUIDANCE_MAGIC = b"CGDN"
#: The kind of each mask record's magic: an edit, an undo or a redo.
MASK_KINDS = {MASK_MAGIC: "edit", UNDO_MAGIC: "undo", REDO_MAGIC: "redo"}
_MAGIC_OF_KIND = {kind: magic for magic, kind in MASK_KINDS.items()}
#: A stored guidance larger than this (uncompressed) is not one.
MAX_GUIDANCE_BYTES = 64 * 1024 * 1024
#: The most mask content (inflated bytes) read from one journal: what undo can hold at most, uncompressed.
MAX_REPLAY_BYTES = MAX_UNDO_BYTES
#: The most bytes of a journal file read.
MAX_JOURNAL_BYTES = MAX_REPLAY_BYTES


def history_budget() -> int:
    """The most mask content (inflated bytes) of undo history that a new generation writes: half the replay budget,
    so that the edits appended after it have room before the next generation."""
    return MAX_REPLAY_BYTES // 2


def header_bytes(generation: int, count: int = 0) -> bytes:
    """The header of a new (version 2) journal of ``generation`` holding ``count`` records."""
    return HEADER.pack(MAGIC, VERSION, generation, count)


def _packed(magic: bytes, rect: Rect, payload: bytes) -> bytes:
    head = RECORD.pack(magic, rect.x, rect.y, rect.w, rect.h, len(payload), 0)[:-4]
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def _record(magic: bytes, rect: Rect, raw: bytes) -> bytes:
    return _packed(magic, rect, zlib.compress(raw, 1))


def mask_record(rect: Rect, after: bytes, kind: str = "edit") -> bytes:
    """A record of the mask's new content ``after`` (``rect.w * rect.h`` bytes) inside ``rect``, after an edit, an
    undo or a redo (``kind``)."""
    return _record(_MAGIC_OF_KIND[kind], rect, after)


def packed_mask_record(rect: Rect, payload: bytes, kind: str = "edit") -> bytes:
    """:func:`mask_record` of content already compressed by zlib (``payload``)."""
    return _packed(_MAGIC_OF_KIND[kind], rect, payload)


def guidance_record(guidance: Any) -> bytes:
    """A record of the click tool's guidance (a JSON-ready object) as it is after the record before it."""
    return _record(GUIDANCE_MAGIC, Rect(0, 0, 0, 0), json.dumps(guidance, separators=(",", ":")).encode("utf-8"))


@dataclass(frozen=True)
class Entry:
    """One sound record: a mask region (``rect``, its ``after`` bytes and its ``kind``: "edit", "undo" or "redo") or
    a guidance (``guidance``)."""

    rect: Rect | None = None
    after: bytes | None = None
    guidance: Any = None
    kind: str = "edit"

    @property
    def is_mask(self) -> bool:
        return self.rect is not None


@dataclass
class Scan:
    """What a journal's bytes hold.

    ``entries`` are its sound records in order; ``end`` is the offset after the last of them (0 when the
    header is not this generation's); ``declared`` the number of records its header says were appended
    (None for a version-1 header); ``problem`` what is wrong with the header, if anything; ``left`` the
    bytes after ``end`` that could not be read; ``over_budget`` whether reading stopped at
    :data:`MAX_REPLAY_BYTES` of mask content.
    """

    entries: list[Entry] = field(default_factory=list)
    end: int = 0
    declared: int | None = None
    problem: str | None = None
    left: int = 0
    version: int = VERSION
    over_budget: bool = False

    @property
    def missing(self) -> int:
        """Records the header promised that are not there (cut off, or lost in a crash)."""
        return max(0, (self.declared or 0) - len(self.entries))


def _inflate(payload: bytes, limit: int) -> bytes | None:
    """``payload`` decompressed if it holds at most ``limit`` bytes, else None (no zlib bomb gets past)."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(payload, limit + 1)
    except zlib.error:
        return None
    if len(raw) > limit or not inflater.eof:
        return None
    return raw


def scan(data: bytes, generation: int, shape: tuple[int, int]) -> Scan:
    """Read a journal's bytes for ``generation`` of a mask of ``shape`` (height, width); never raises."""
    out = Scan()
    if not data:
        out.problem = "empty"
        return out
    if len(data) < _HEADER_V1.size:
        out.problem = "short"
        out.left = len(data)
        return out
    magic, version, gen = _HEADER_V1.unpack_from(data, 0)
    if magic != MAGIC or version not in (1, VERSION) or gen != generation:
        out.problem = "foreign"
        out.left = len(data)
        return out
    if version == VERSION:
        if len(data) < HEADER.size:
            out.problem = "short"
            out.left = len(data)
            return out
        out.declared = HEADER.unpack_from(data, 0)[3]
    out.version = version
    offset = out.end = HEADER.size if version == VERSION else _HEADER_V1.size
    height, width = shape
    inflated = 0
    while offset + RECORD.size <= len(data):
        magic, x, y, w, h, length, crc = RECORD.unpack_from(data, offset)
        start = offset + RECORD.size
        end = start + length
        if (magic not in MASK_KINDS and magic != GUIDANCE_MAGIC) or end > len(data):
            break
        payload = data[start:end]
        if zlib.crc32(payload, zlib.crc32(data[offset : offset + RECORD.size - 4])) != crc:
            break
        if magic in MASK_KINDS:
            rect = Rect(x, y, w, h)
            if rect.empty or rect.clip(height, width) != rect:
                break
            if inflated + w * h > MAX_REPLAY_BYTES:
                out.over_budget = True
                break
            inflated += w * h
            raw = _inflate(payload, w * h)
            if raw is None or len(raw) != w * h:
                break
            out.entries.append(Entry(rect=rect, after=raw, kind=MASK_KINDS[magic]))
        else:
            raw = _inflate(payload, MAX_GUIDANCE_BYTES)
            try:
                guidance = json.loads(raw) if raw is not None else None
            except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
                guidance = None
            if guidance is None:
                break
            out.entries.append(Entry(guidance=guidance))
        offset = out.end = end
    out.left = len(data) - out.end
    return out
