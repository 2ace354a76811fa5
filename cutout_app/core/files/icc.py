"""ICC colour profiles: found in JPEG, PNG and WebP files, and embedded in the PNGs cutout writes.

OpenCV decodes pixels but drops the profile, and its PNG encoder cannot write one. A photo taken in
Display P3 or Adobe RGB stores colours that mean something else in sRGB, so a cut-out written without
the profile looks duller or shifted. cutout keeps the profile's bytes as they were and puts them into
the result's ``iCCP`` chunk; no colour is converted.
"""

from __future__ import annotations

import logging
import struct
import zlib

log = logging.getLogger(__name__)

#: The marker of an ICC profile's pieces in JPEG APP2 segments.
JPEG_ICC_MARKER = b"ICC_PROFILE\x00"

#: The largest profile cutout carries over (real ones are a few hundred bytes to a few hundred KB). A PNG
#: must open everywhere, and Pillow refuses an iCCP chunk that inflates to more than 1 MiB.
MAX_PROFILE_BYTES = 1 << 20


def is_profile(data: bytes | None) -> bool:
    """True if ``data`` looks like an ICC profile: the header's size matches and its signature is ``acsp``.

    A profile larger than :data:`MAX_PROFILE_BYTES` is not carried over; the log says so.
    """
    if data is not None and len(data) > MAX_PROFILE_BYTES:
        log.warning("an ICC colour profile of more than %d bytes is dropped: the PNG is written without it",
                    MAX_PROFILE_BYTES)
        return False
    if data is None or len(data) < 132:
        return False
    (size,) = struct.unpack_from(">I", data, 0)
    return size == len(data) and data[36:40] == b"acsp"


def from_jpeg_segments(segments: list[bytes]) -> bytes | None:
    """The profile stored in JPEG APP2 payloads (each ``ICC_PROFILE\\0``, sequence number, count, data).

    None if the pieces are missing, repeated or do not form a profile.
    """
    pieces: dict[int, bytes] = {}
    counts = set()
    for payload in segments:
        if not payload.startswith(JPEG_ICC_MARKER) or len(payload) < len(JPEG_ICC_MARKER) + 2:
            continue
        seq, count = payload[len(JPEG_ICC_MARKER)], payload[len(JPEG_ICC_MARKER) + 1]
        pieces[seq] = payload[len(JPEG_ICC_MARKER) + 2 :]
        counts.add(count)
    if len(counts) != 1 or sorted(pieces) != list(range(1, counts.pop() + 1)):
        return None
    data = b"".join(pieces[k] for k in sorted(pieces))
    return data if is_profile(data) else None


def from_png_iccp(body: bytes) -> bytes | None:
    """The profile in the body of a PNG ``iCCP`` chunk (name, 0, method 0, zlib data); None if broken."""
    end = body.find(b"\x00", 0, 80)
    if end < 1 or len(body) < end + 2 or body[end + 1] != 0:
        return None
    try:
        decompressor = zlib.decompressobj()
        data = decompressor.decompress(body[end + 2 :], MAX_PROFILE_BYTES + 1)
    except zlib.error:
        return None
    return data if is_profile(data) else None


def from_webp_iccp(body: bytes) -> bytes | None:
    """The profile in the body of a WebP ``ICCP`` chunk (the bytes themselves); None if broken."""
    data = bytes(body)
    return data if is_profile(data) else None


def embed_in_png(png: bytes, profile: bytes, name: bytes = b"ICC profile") -> bytes:
    """``png`` with an ``iCCP`` chunk holding ``profile`` right after ``IHDR`` (where PNG requires it).

    Raises ValueError if ``png`` is not a PNG that starts with its IHDR chunk or already has a profile.
    """
    signature = b"\x89PNG\r\n\x1a\n"
    if png[:8] != signature or png[12:16] != b"IHDR":
        raise ValueError("not a PNG that starts with IHDR")
    if {b"iCCP", b"sRGB"} & {kind for kind, _ in _chunks_before_data(png)}:
        raise ValueError("the PNG already declares its colour space")
    (ihdr_length,) = struct.unpack_from(">I", png, 8)
    after_ihdr = 8 + 12 + ihdr_length
    body = name + b"\x00\x00" + zlib.compress(profile, 9)
    chunk = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    return png[:after_ihdr] + chunk + png[after_ihdr:]


def png_profile(png: bytes) -> bytes | None:
    """The ICC profile of a PNG file's bytes, or None."""
    for kind, body in _chunks_before_data(png):
        if kind == b"iCCP":
            return from_png_iccp(body)
    return None


def _chunks_before_data(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of a PNG's chunks before its first IDAT (where colour-space chunks must be)."""
    chunks, pos = [], 8
    while pos + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        if kind in (b"IDAT", b"IEND"):
            break
        chunks.append((kind, png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks
