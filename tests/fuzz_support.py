"""A seeded, structure-aware fuzzer for cutout's readers: ``decode_image``, ``read_mask`` and the autosave loader.

The seed corpus is built here, from OpenCV's encoders where they exist and from hand-written bytes
where they do not: JPEG (baseline, progressive, EXIF), PNG (8/16-bit, gray+alpha, eXIf), an animated
PNG, WebP (lossy, lossless, EXIF, animated), TIFF (multi-page, 16-bit, CMYK) and BMP; and one real
autosave (``meta.json``, base image, journal) written by :class:`AutosaveJournal` itself.

Each case is one seed mutated by a few random operations. Most know the format's structure, so that
the mutants get past the first checks: PNG chunks inserted, deleted and duplicated with their CRCs
fixed, well-formed ``acTL``/``fcTL``/``fdAT``/``eXIf`` chunks injected, chunk lengths and trailing
chunk headers that lie; crafted EXIF (zero and huge counts, odd types, offsets out of the block,
directories that loop) in JPEG, PNG, WebP and TIFF; JPEG frame headers (SOF) duplicated and segment
lengths changed; RIFF/VP8X, VP8 and VP8L sizes; TIFF directory fields and entries. Autosave cases
damage ``meta.json`` field by field (null, lists, dicts, huge numbers), the journal record by record
(with the CRC fixed, so the damage gets past it), and the base image like any PNG.

Cases run in child processes (``python fuzz_support.py worker ...``), a chunk of cases per child and
``jobs`` children at once, so that a crash ends only that child: the parent notes the case that was
running and starts a new child after it. Case ``i`` of seed ``s`` is the same on every run over the
same corpus folder, so any finding can be rebuilt with :func:`case_files`. Used by
tests/test_fuzz_imageio.py and bench/fuzz_imageio.py.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

#: The pixel limit the workers use: mutated headers often claim huge sizes, and decoding those
#: would only measure how fast the machine allocates memory.
WORKER_MAX_PIXELS = 4_000_000

#: What a run can fuzz: the photo reader, the mask reader, pasted clipboard bytes (their signature names the format, the
#: window's loader saves them and reads the file), the autosave loader (meta, base image and journal, replayed into
#: an undo history), a batch manifest, a model's metadata, or bare cv2.imdecode.
TARGETS = ("decode", "mask", "clipboard", "autosave", "manifest", "metadata", "opencv")

_INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_AUTOSAVE_DIR = "autosave"  # the autosave seed's sub-folder of the corpus folder


# --- the seed corpus ------------------------------------------------------------------------------


def _photo(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2] = (200, 40, 40)
    img[h // 2 :] = (40, 40, 200)
    return cv2.add(img, rng.integers(0, 30, img.shape, dtype=np.uint8))


def _encode(ext: str, img: np.ndarray, params: list[int] | None = None) -> bytes:
    ok, data = cv2.imencode(ext, img, params or [])
    assert ok, ext
    return data.tobytes()


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The ``(type, body)`` chunks of a PNG (stops at the first chunk that runs past the end)."""
    return png_chunks_and_tail(data)[0]


def png_from_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG made of ``chunks``, CRCs recomputed."""
    return _PNG_SIGNATURE + b"".join(png_chunk(t, b) for t, b in chunks)


def _exif(orientation: int, little_endian: bool) -> bytes:
    bo = "<" if little_endian else ">"
    head = (b"II*\x00" if little_endian else b"MM\x00*") + struct.pack(bo + "I", 8)
    entry = struct.pack(bo + "HHIH2x", 0x0112, 3, 1, orientation)
    return head + struct.pack(bo + "H", 1) + entry + struct.pack(bo + "I", 0)


def _jpeg_with_exif(jpeg: bytes, orientation: int) -> bytes:
    payload = b"Exif\x00\x00" + _exif(orientation, little_endian=False)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _webp_with_exif(lossless: bytes, width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x08, 0, 0, 0])
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    exif = _exif(6, little_endian=True)
    body = b"WEBP" + vp8x + lossless[12:] + b"EXIF" + struct.pack("<I", len(exif)) + exif
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _tiff_cmyk(h: int = 8, w: int = 12) -> bytes:
    """A hand-built uncompressed CMYK TIFF (OpenCV cannot write one)."""
    pixels = np.random.default_rng(5).integers(0, 256, (h, w, 4), dtype=np.uint8).tobytes()
    tags = [(256, 3, 1, w), (257, 3, 1, h), (259, 3, 1, 1), (262, 3, 1, 5), (277, 3, 1, 4),
            (278, 3, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]  # fmt: skip
    n = len(tags) + 2
    bits_at = 8 + 2 + 12 * n + 4
    bits = struct.pack("<4H", 8, 8, 8, 8)
    tags += [(258, 3, 4, bits_at), (273, 4, 1, bits_at + len(bits))]
    ifd = struct.pack("<H", n)
    for tag, typ, count, value in sorted(tags):
        ifd += struct.pack("<HHIH2x" if typ == 3 and count == 1 else "<HHII", tag, typ, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bits + pixels


def _animation(ext: str, frames: int = 3) -> bytes:
    anim = cv2.Animation()
    anim.frames = [cv2.cvtColor(_photo(16, 20, seed=i), cv2.COLOR_BGR2BGRA) for i in range(frames)]
    anim.durations = [100] * frames
    ok, data = cv2.imencodeanimation(ext, anim)
    assert ok, ext
    return data.tobytes()


def apng() -> bytes:
    """A 3-frame animated PNG (IDAT is frame 0; two fcTL + fdAT frames follow)."""
    data = _animation(".png")
    assert b"acTL" in data and b"fdAT" in data
    return data


def seed_corpus() -> dict[str, bytes]:
    """The fuzzer's seed files, by name (the suffix tells the format)."""
    img = _photo()
    gray16 = (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 80).astype(np.uint16)
    rgb16 = cv2.merge([gray16, gray16[::-1], gray16[:, ::-1]])
    bgra = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    bgra[:, :8, 3] = 0
    ga = png_from_chunks([(b"IHDR", struct.pack(">IIBBBBB", 8, 6, 8, 4, 0, 0, 0)),
                          (b"IDAT", zlib.compress(b"".join(b"\x00" + bytes(range(r, r + 16)) for r in range(6)))),
                          (b"IEND", b"")])  # fmt: skip
    png = _encode(".png", img)
    lossless = _encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 101])
    pages = [_photo(seed=i) for i in range(3)]
    ok, multi = cv2.imencodemulti(".tiff", pages)
    assert ok
    return {
        "base.jpg": _encode(".jpg", img),
        "progressive.jpg": _encode(".jpg", img, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        "exif.jpg": _jpeg_with_exif(_encode(".jpg", img), 6),
        "rgb.png": png,
        "rgba.png": _encode(".png", bgra),
        "deep.png": _encode(".png", rgb16),
        "gray-alpha.png": ga,
        "exif.png": png[:33] + png_chunk(b"eXIf", _exif(8, little_endian=False)) + png[33:],
        "animated.png": apng(),
        "lossy.webp": _encode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 80]),
        "lossless.webp": lossless,
        "exif.webp": _webp_with_exif(lossless, 32, 24),
        "animated.webp": _animation(".webp"),
        "multipage.tiff": multi.tobytes(),
        "deep.tiff": _encode(".tiff", rgb16),
        "cmyk.tiff": _tiff_cmyk(),
        "tiled.tiff": tiled_tiff(40, 30, (16, 16), samples=3),
        "float.tiff": _encode(".tiff", (rgb16 / 65535.0).astype(np.float32)),
        "rgb.bmp": _encode(".bmp", img),
    }


def tiff_file(entries: list[tuple[int, int, list[int]]], data: bytes = b"") -> bytes:
    """A little-endian classic TIFF: ``data`` at offset 8, then one directory of ``(tag, type, values)``.

    Values that do not fit in an entry go after the directory. Offsets into ``data`` are ``8 + position``.
    """
    formats = {1: "B", 3: "H", 4: "I", 16: "Q"}
    ifd_at = 8 + len(data) + (len(data) & 1)
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    ifd, extra = struct.pack("<H", len(entries)), b""
    for tag, typ, values in sorted(entries):
        packed = struct.pack(f"<{len(values)}{formats[typ]}", *values)
        if len(packed) <= 4:
            ifd += struct.pack("<HHI", tag, typ, len(values)) + packed.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, typ, len(values), extra_at + len(extra))
            extra += packed + b"\x00" * (len(packed) & 1)
    return b"II*\x00" + struct.pack("<I", ifd_at) + data + b"\x00" * (len(data) & 1) + ifd + b"\x00" * 4 + extra


def tiled_tiff(width: int, height: int, tile: tuple[int, int], bits: int = 8, samples: int = 1, sample_format: int = 1,
               shared: bool = False, tile_bytes: int | None = None) -> bytes:
    """A deflate-compressed tiled TIFF of zeros; ``shared``: every tile points at one compressed blob (a bomb);
    ``tile_bytes``: each tile is that many bytes of its own instead (too few to decode: a header that lies)."""
    tw, th = tile
    count = -(-width // tw) * -(-height // th)
    blob = bytes(tile_bytes) if tile_bytes is not None else zlib.compress(bytes(tw * th * samples * max(1, bits // 8)), 9)
    data = blob if shared else blob * count
    offsets = [8] * count if shared else [8 + k * len(blob) for k in range(count)]
    return tiff_file([(256, 4, [width]), (257, 4, [height]), (258, 3, [bits] * samples), (259, 3, [8]),
                      (262, 3, [2 if samples >= 3 else 1]), (277, 3, [samples]), (322, 4, [tw]), (323, 4, [th]),
                      (324, 4, offsets), (325, 4, [len(blob)] * count), (339, 3, [sample_format] * samples)], data)  # fmt: skip


def jpeg_frame_only(width: int, height: int, components: int = 3, progressive: bool = True, scans: int = 1) -> bytes:
    """A JPEG of a frame header, ``scans`` empty scans and EOI: what the header scanner sees of a bomb."""
    sof = struct.pack(">BHHB", 8, height, width, components) + b"".join(bytes([c + 1, 0x11, 0]) for c in range(components))
    sos = struct.pack(">B", 1) + bytes([1, 0x00]) + bytes([0, 0, 0])
    segment = lambda marker, body: bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body  # noqa: E731
    return (b"\xff\xd8" + segment(0xC2 if progressive else 0xC0, sof)
            + (segment(0xDA, sos) + b"\x00\x3f") * scans + b"\xff\xd9")  # fmt: skip


def animated_webp_canvas(width: int, height: int) -> bytes:
    """A tiny animated WebP whose VP8X canvas is ``width`` x ``height`` (no frames: only the header's claim)."""
    vp8x = bytes([0x12, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", 10) + vp8x + b"ANIM" + struct.pack("<I", 6) + bytes(6)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def apng_crashers() -> dict[str, bytes]:
    """Damaged APNGs that make OpenCV 5.0's decoder crash the process (SIGSEGV), rebuilt from :func:`apng`.

    All have a still image outside the animation (no fcTL before IDAT), then an ``fdAT`` chunk too
    short to hold its 4-byte sequence number, or a second IHDR between the frames. The fuzzer found
    them before the reader took the animation chunks out; they stay as regression cases.
    """
    chunks = png_chunks(apng())
    kinds = [t for t, _ in chunks]
    del chunks[kinds.index(b"fcTL")]  # the still image is no longer frame 0
    kinds = [t for t, _ in chunks]
    fdat = kinds.index(b"fdAT")
    cases = {}
    for length in range(4):
        short = list(chunks)
        short[fdat] = (b"fdAT", chunks[fdat][1][:length])
        cases[f"fdat-{length}-bytes.png"] = png_from_chunks(short)
    second_ihdr = list(chunks)
    second_ihdr.insert(fdat + 1, chunks[0])
    cases["second-ihdr.png"] = png_from_chunks(second_ihdr)
    return cases


# --- mutation -------------------------------------------------------------------------------------


def _interesting(rng: random.Random, bits: int = 32) -> int:
    return rng.choice(_INTERESTING + [rng.getrandbits(bits)]) & ((1 << bits) - 1)


def _put_int(buf: bytearray, rng: random.Random) -> None:
    if len(buf) < 4:
        return
    size = rng.choice((1, 2, 4))
    where = rng.randrange(len(buf) - size + 1)
    value = rng.choice(_INTERESTING) & ((1 << (8 * size)) - 1)
    buf[where : where + size] = value.to_bytes(size, rng.choice(("big", "little")))


def _byte_ops(buf: bytearray, rng: random.Random, others: list[bytes]) -> bytearray:
    op = rng.randrange(8)
    n = len(buf)
    if n == 0:
        return bytearray(rng.randbytes(rng.randrange(1, 64)))
    if op == 0:  # flip bits
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
    elif op == 1:  # random bytes
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(n)] = rng.randrange(256)
    elif op == 2:
        _put_int(buf, rng)
    elif op == 3:  # cut a span out
        a = rng.randrange(n)
        del buf[a : a + rng.randint(1, max(1, n // 8))]
    elif op == 4:  # repeat a span
        a = rng.randrange(n)
        b = min(n, a + rng.randint(1, 64))
        buf[b:b] = buf[a:b] * rng.randint(1, 4)
    elif op == 5:  # insert noise
        a = rng.randrange(n + 1)
        buf[a:a] = rng.randbytes(rng.randint(1, 32))
    elif op == 6:  # truncate
        del buf[rng.randrange(n) :]
    else:  # splice the tail of another seed file
        other = rng.choice(others)  # (a manifest line may have been cut to nothing)
        buf = buf[: rng.randrange(n)] + other[rng.randrange(len(other)) if other else 0 :]
    return buf


def crafted_exif(rng: random.Random, prefix: bool = False) -> bytes:
    """A TIFF-structured EXIF block built to trip its readers.

    Entries with zero or huge value counts, odd and unknown types, offsets out of the block; a
    directory count that lies, a first directory out of the block, a next-directory link to itself.
    ``prefix`` puts JPEG's ``Exif\\0\\0`` in front.
    """
    bo = rng.choice("<>")
    entries = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 6))):
        tag = rng.choice((0x0112, 0x0112, 0x0112, 0x8769, 0x8825, 0x0100, 0x0101, 0x0201, 0x0202, rng.getrandbits(16)))
        typ = rng.choice((3, 3, 4, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 0, 255, rng.getrandbits(16)))
        count = rng.choice((0, 0, 1, 1, 2, 4, 255, 0x3FFFFFFF, 0x7FFFFFFF, 0xFFFFFFFF, rng.getrandbits(32)))
        value = rng.choice((1, 3, 6, 8, 9, 0, 0xFFFF, 8, 26, 0x7FFFFFFF, 0xFFFFFFF0, rng.getrandbits(32)))
        if typ == 3 and count == 1 and rng.random() < 0.5:  # a SHORT where readers look for it
            entries.append(struct.pack(bo + "HHIH2x", tag, typ, count, value & 0xFFFF))
        else:
            entries.append(struct.pack(bo + "HHII", tag, typ, count, value))
    claimed = rng.choice((len(entries),) * 4 + (0, 0xFFFF, len(entries) + 1, rng.getrandbits(16)))
    first = rng.choice((8,) * 6 + (0, 4, 7, 0xFFFFFFFF, 0x7FFFFFF0, rng.getrandbits(8)))
    head = (b"II*\x00" if bo == "<" else b"MM\x00*") + struct.pack(bo + "I", first)
    ifd = struct.pack(bo + "H", claimed) + b"".join(entries)
    ifd += struct.pack(bo + "I", rng.choice((0, 0, 8, 0xFFFFFFFF)))  # next directory: none, itself, far away
    tail = rng.randbytes(rng.choice((0, 0, 2, 16, 64)))
    return (b"Exif\x00\x00" if prefix else b"") + head + ifd + tail


def png_chunks_and_tail(data: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The chunks of a PNG (up to the first that runs past the end) and the bytes after them."""
    chunks, pos = [], 8
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > len(data):
            break
        chunks.append((ctype, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks, data[pos:]


def _apng_chunks(rng: random.Random, chunks: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Well-formed animation chunks (acTL, fcTL, fdAT) with plausible or hostile numbers."""
    ihdr = next((body for ctype, body in chunks if ctype == b"IHDR" and len(body) >= 8), struct.pack(">II", 16, 16))
    w, h = struct.unpack_from(">II", ihdr)
    idat = next((body for ctype, body in chunks if ctype == b"IDAT"), rng.randbytes(16))

    def dim(full: int) -> int:
        return rng.choice((full, full, max(1, full // 2), 0, full + 1, _interesting(rng))) & 0xFFFFFFFF

    made = []
    if rng.random() < 0.7:
        made.append((b"acTL", struct.pack(">II", rng.choice((1, 2, 3, 0, 0xFFFFFFFF)), rng.choice((0, 1)))))
    for seq in range(rng.randint(1, 3)):
        fw, fh = dim(w), dim(h)
        x, y = rng.choice((0, 0, 1, w, _interesting(rng))), rng.choice((0, 0, 1, h, _interesting(rng)))
        fctl = struct.pack(">IIIIIHHBB", 2 * seq, fw, fh, x, y, 1, rng.choice((0, 10, 100)),
                           rng.choice((0, 1, 2, 3)), rng.choice((0, 1, 2)))  # fmt: skip
        made.append((b"fcTL", fctl if rng.random() < 0.9 else fctl[: rng.randrange(len(fctl))]))
        payload = idat if rng.random() < 0.7 else rng.randbytes(rng.randrange(64))
        fdat = struct.pack(">I", 2 * seq + 1) + payload
        made.append((b"fdAT", fdat if rng.random() < 0.8 else fdat[: rng.randrange(5)]))
    return made


def _png_ops(data: bytes, rng: random.Random) -> bytes | None:
    chunks, tail = png_chunks_and_tail(data)
    if len(chunks) < 2:
        return None
    op = rng.randrange(12)
    i = rng.randrange(len(chunks))
    ctype, body = chunks[i]
    if op == 11:  # the pixel format and size: 16-bit RGBA and others, over or within the byte budget
        if chunks[0][0] == b"IHDR" and len(chunks[0][1]) == 13:
            ihdr = bytearray(chunks[0][1])
            ihdr[8:10] = bytes(rng.choice(((16, 6), (16, 2), (16, 0), (8, 3), (1, 0), (8, 4), (16, 4), (4, 2))))
            if rng.random() < 0.5:
                ihdr[0:8] = struct.pack(">II", rng.choice((1, 16, 1000, 16000, 1 << 20)), rng.choice((1, 16, 1000, 15600)))
            chunks[0] = (b"IHDR", bytes(ihdr))
        return png_from_chunks(chunks) + tail
    if op == 0:
        del chunks[i]
    elif op == 1:
        chunks.insert(rng.randrange(len(chunks) + 1), chunks[i])
    elif op == 2:
        j = rng.randrange(len(chunks))
        chunks[i], chunks[j] = chunks[j], chunks[i]
    elif op == 3:
        chunks[i] = (ctype, body[: rng.randrange(len(body) + 1)])
    elif op == 4:
        mutable = bytearray(body)
        if rng.random() < 0.5:
            _put_int(mutable, rng)
        else:
            mutable = _byte_ops(mutable, rng, [body or b"x"])
        chunks[i] = (ctype, bytes(mutable))
    elif op == 5:
        kinds = [b"acTL", b"fcTL", b"fdAT", b"IHDR", b"IDAT", b"PLTE", b"tRNS", b"eXIf", b"iCCP", b"IEND", b"tEXt", b"zTXt"]
        chunks.insert(rng.randrange(len(chunks) + 1), (rng.choice(kinds), rng.randbytes(rng.choice((0, 4, 8, 13, 26)))))
    elif op == 6:
        chunks[i] = (rng.randbytes(4), body)
    elif op == 7:  # animation chunks, well formed, anywhere
        at = rng.randrange(1, len(chunks) + 1)
        chunks[at:at] = _apng_chunks(rng, chunks)
    elif op == 8:  # crafted EXIF
        chunks.insert(rng.randrange(1, len(chunks) + 1), (b"eXIf", crafted_exif(rng, prefix=rng.random() < 0.2)))
    elif op == 9:  # after IEND: a chunk header that claims gigabytes, a whole chunk, or noise
        tail += rng.choice((struct.pack(">I", _interesting(rng)) + rng.choice((b"IDAT", b"IEND", b"fdAT", b"tEXt")),
                            png_chunk(b"IDAT", rng.randbytes(8)), rng.randbytes(rng.randrange(1, 16))))  # fmt: skip
    else:  # a chunk's length field that lies (the CRC does not cover it)
        out = bytearray(png_from_chunks(chunks) + tail)
        at = 8 + sum(12 + len(b) for _, b in chunks[:i])
        out[at : at + 4] = struct.pack(">I", _interesting(rng))
        return bytes(out)
    out = png_from_chunks(chunks) + tail
    if rng.random() < 0.1:  # now and then a stale CRC too
        out = bytes(_byte_ops(bytearray(out), rng, [out]))
    return out


_JPEG_SOF = (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)


def jpeg_segments(data: bytes) -> tuple[list[tuple[int, bytes]], bytes] | None:
    """The marker segments of a JPEG before its first SOS, as ``(marker, payload)``, and the bytes from SOS on."""
    segments, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:
            return segments, data[pos:]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > len(data):
            return None
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return None


def _jpeg_from(segments: list[tuple[int, bytes]], scan: bytes) -> bytes:
    parts = [b"\xff\xd8"] + [bytes([0xFF, m]) + struct.pack(">H", (len(p) + 2) & 0xFFFF) + p for m, p in segments]
    return b"".join(parts) + scan


def _jpeg_ops(data: bytes, rng: random.Random) -> bytes | None:
    parsed = jpeg_segments(data)
    if parsed is None or not parsed[0]:
        return None
    segments, scan = parsed
    op = rng.randrange(9)
    sofs = [k for k, (m, _) in enumerate(segments) if m in _JPEG_SOF]
    if op == 8:  # scans repeated (a CPU bomb when progressive) or a frame made progressive
        if sofs and rng.random() < 0.3:
            marker, payload = segments[sofs[0]]
            segments[sofs[0]] = (rng.choice((0xC2, 0xC6, 0xCA)), payload)
            return _jpeg_from(segments, scan)
        end = scan.rfind(b"\xff\xd9")
        last = scan.rfind(b"\xff\xda", 0, end if end > 0 else len(scan))
        if last < 0 or end <= last:
            return None
        return _jpeg_from(segments, scan[:end] + scan[last:end] * rng.choice((1, 10, 98, 99, 100, 101, 150)) + scan[end:])
    if op <= 1 and sofs:  # a second frame header, before or after the first, after SOS or before EOI
        marker, payload = segments[sofs[0]]
        copy = bytearray(payload)
        if len(copy) >= 5:
            copy[1:5] = struct.pack(">HH", _interesting(rng, 16), _interesting(rng, 16))
        copy_segment = bytes([0xFF, rng.choice((marker,) + _JPEG_SOF)]) + struct.pack(">H", len(copy) + 2) + bytes(copy)
        where = rng.randrange(4)
        if where < 2:
            segments.insert(sofs[0] + where, (copy_segment[1], bytes(copy)))
            return _jpeg_from(segments, scan)
        if where == 2 and scan.endswith(b"\xff\xd9"):
            return _jpeg_from(segments, scan[:-2] + copy_segment + b"\xff\xd9")
        (sos_len,) = struct.unpack_from(">H", scan, 2) if len(scan) >= 4 else (0,)
        return _jpeg_from(segments, scan[: 2 + sos_len] + copy_segment + scan[2 + sos_len :])
    if op == 2 and sofs:  # the frame's size
        marker, payload = segments[sofs[0]]
        copy = bytearray(payload)
        if len(copy) >= 5:
            copy[1:5] = struct.pack(">HH", _interesting(rng, 16), _interesting(rng, 16))
        segments[sofs[0]] = (marker, bytes(copy))
        return _jpeg_from(segments, scan)
    if op == 3:  # a segment length that lies
        out = bytearray(_jpeg_from(segments, scan))
        k = rng.randrange(len(segments))
        at = 2 + sum(4 + len(p) for _, p in segments[:k]) + 2
        out[at : at + 2] = struct.pack(">H", rng.choice((0, 1, 2, 3, 7, 0xFFFF, _interesting(rng, 16))))
        return bytes(out)
    if op == 4:  # crafted EXIF in APP1
        segments.insert(rng.randrange(len(segments) + 1), (0xE1, crafted_exif(rng, prefix=True)[:65533]))
        return _jpeg_from(segments, scan)
    if op == 5:  # delete or duplicate a segment
        k = rng.randrange(len(segments))
        if rng.random() < 0.5:
            del segments[k]
        else:
            segments.insert(k, segments[k])
        return _jpeg_from(segments, scan)
    if op == 6:  # an ICC piece that does not fit the others, or junk tables
        junk = (0xE2, b"ICC_PROFILE\x00" + bytes([rng.randrange(4), rng.randrange(4)]) + rng.randbytes(rng.randrange(64)))
        segments.insert(rng.randrange(len(segments) + 1), rng.choice((junk, (rng.choice((0xDB, 0xC4, 0xDD)), rng.randbytes(rng.randrange(70))))))
        return _jpeg_from(segments, scan)
    # the end: no EOI, bytes after it, or a second image after it
    end = rng.randrange(3)
    if end == 0 and scan.endswith(b"\xff\xd9"):
        return _jpeg_from(segments, scan[:-2])
    return _jpeg_from(segments, scan) + (rng.randbytes(rng.randrange(1, 32)) if end == 1 else data)


def _riff_ops(data: bytes, rng: random.Random) -> bytes | None:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        chunks.append([fourcc, bytearray(data[pos + 8 : pos + 8 + size])])
        pos += 8 + size + (size & 1)
    if not chunks:
        return None
    i = rng.randrange(len(chunks))
    op = rng.randrange(9)
    kinds = [c[0] for c in chunks]
    riff_size = None
    if op == 0 and len(chunks) > 1:
        del chunks[i]
    elif op == 1:
        chunks.insert(rng.randrange(len(chunks) + 1), [chunks[i][0], bytearray(chunks[i][1])])
    elif op == 2:
        _put_int(chunks[i][1], rng)
    elif op == 3 and b"VP8X" in kinds:  # the canvas size (24 bits each, stored minus one), now and then animated
        body = chunks[kinds.index(b"VP8X")][1]
        if body and rng.random() < 0.5:
            body[0] |= rng.choice((0x02, 0x10, 0x12))
        if len(body) >= 10:
            body[4:7] = _interesting(rng, 24).to_bytes(3, "little")
            body[7:10] = _interesting(rng, 24).to_bytes(3, "little")
    elif op == 4:  # a VP8X header where there was none, with a size of its own
        flags = rng.choice((0, 0x08, 0x02, 0x20, 0xFF))
        vp8x = bytes([flags, 0, 0, 0]) + _interesting(rng, 24).to_bytes(3, "little") + _interesting(rng, 24).to_bytes(3, "little")
        chunks.insert(0, [b"VP8X", bytearray(vp8x)])
    elif op == 5 and (b"VP8 " in kinds or b"VP8L" in kinds):  # the bitstream's own size
        k = kinds.index(b"VP8 ") if b"VP8 " in kinds else kinds.index(b"VP8L")
        body = chunks[k][1]
        if chunks[k][0] == b"VP8 " and len(body) >= 10:
            body[6:10] = struct.pack("<HH", _interesting(rng, 16), _interesting(rng, 16))
        elif len(body) >= 5:
            body[1:5] = struct.pack("<I", _interesting(rng))
    elif op == 6:  # crafted EXIF
        chunks.insert(rng.randrange(len(chunks) + 1), [b"EXIF", bytearray(crafted_exif(rng, prefix=rng.random() < 0.3))])
    elif op == 7:  # a RIFF size that lies
        riff_size = _interesting(rng)
    else:
        chunks[i][1] = _byte_ops(chunks[i][1], rng, [data])
    body = b"WEBP" + b"".join(c + struct.pack("<I", len(b)) + bytes(b) + b"\x00" * (len(b) & 1) for c, b in chunks)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


_TIFF_TAGS = (256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 284, 322, 323, 324, 325, 338, 339)


def _tiff_ops(data: bytes, rng: random.Random) -> bytes | None:
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8 or data[2:4] not in (b"*\x00", b"\x00*"):
        return None
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack_from(order + "H", data, ifd)
    if count == 0 or ifd + 2 + 12 * count + 4 > len(data):
        return None
    buf = bytearray(data)
    entry = ifd + 2 + 12 * rng.randrange(count)
    op = rng.randrange(8)
    if op >= 6:  # what the decoder will allocate: samples, bits, sample format, tile sizes, shared blobs
        return _tiff_cost_ops(buf, order, ifd, count, rng)
    if op <= 1:  # one field of an entry: type, count or value/offset
        field_at = entry + rng.choice((2, 4, 8))
        size = 2 if field_at == entry + 2 else 4
        buf[field_at : field_at + size] = _interesting(rng, 8 * size).to_bytes(size, "little" if order == "<" else "big")
    elif op == 2:  # a whole entry: a tag readers use, with an odd type, count or offset
        typ = rng.choice((1, 3, 4, 16, 2, 5, 7, 9, 12, 0, 255))
        buf[entry : entry + 12] = struct.pack(order + "HHII", rng.choice(_TIFF_TAGS), typ, _interesting(rng), _interesting(rng))
    elif op == 3:  # the entry count
        buf[ifd : ifd + 2] = struct.pack(order + "H", rng.choice((0, count - 1, count + 1, 0xFFFF, _interesting(rng, 16))) & 0xFFFF)
    elif op == 4:  # where the first directory is
        buf[4:8] = struct.pack(order + "I", rng.choice((0, 4, 8, ifd + 1, len(data), _interesting(rng))))
    else:  # the next directory: itself (a loop), far away, or garbage
        at = ifd + 2 + 12 * count
        buf[at : at + 4] = struct.pack(order + "I", rng.choice((ifd, 8, _interesting(rng))))
    return bytes(buf)


def _tiff_cost_ops(buf: bytearray, order: str, ifd: int, count: int, rng: random.Random) -> bytes:
    """A TIFF whose directory asks for more than its bytes hold: more samples or bits, float or signed samples,
    huge tiles or strips, every strip or tile pointing at the same bytes (the value of a SHORT/LONG tag)."""
    entries = {}
    for k in range(count):
        at = ifd + 2 + 12 * k
        tag, typ, n = struct.unpack_from(order + "HHI", buf, at)
        entries[tag] = (at, typ, n)
    tag = rng.choice((258, 277, 339, 322, 323, 278, 273, 324))
    if tag not in entries:
        return bytes(buf)
    at, typ, n = entries[tag]
    if tag in (273, 324) and n > 1:  # every block at one offset: the first block's
        size = 2 if typ == 3 else 4
        where = struct.unpack_from(order + "I", buf, at + 8)[0]
        if where + n * size <= len(buf):
            first = bytes(buf[where : where + size])
            buf[where : where + n * size] = first * n
        return bytes(buf)
    value = {258: (1, 8, 16, 32, 64, 128, 0xFFFF), 277: (1, 3, 4, 5, 64, 0xFFFF), 339: (1, 2, 3, 4, 0xFFFF),
             322: (16, 256, 1 << 15, 1 << 24, 0xFFFFFFF0), 323: (16, 256, 1 << 15, 1 << 24, 0xFFFFFFF0),
             278: (1, 0xFFFFFFFF, 1 << 24)}.get(tag, (1,))  # fmt: skip
    chosen = rng.choice(value)
    if n == 1 and typ == 3:
        buf[at + 8 : at + 10] = struct.pack(order + "H", chosen & 0xFFFF)
    elif n == 1 and typ == 4:
        buf[at + 8 : at + 12] = struct.pack(order + "I", chosen)
    elif typ == 3 and n * 2 > 4:  # an array of SHORTs elsewhere (BitsPerSample, SampleFormat)
        where = struct.unpack_from(order + "I", buf, at + 8)[0]
        if where + 2 * n <= len(buf):
            buf[where : where + 2 * n] = struct.pack(order + "H", chosen & 0xFFFF) * n
    return bytes(buf)


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """``data`` after 1 to 4 random mutations (mostly structure-aware ones for JPEG, PNG, WebP and TIFF)."""
    for _ in range(rng.randint(1, 4)):
        aware = None
        if rng.random() < 0.7:
            if data[:8] == _PNG_SIGNATURE:
                aware = _png_ops(data, rng)
            elif data[:3] == b"\xff\xd8\xff":
                aware = _jpeg_ops(data, rng)
            elif data[:4] == b"RIFF":
                aware = _riff_ops(data, rng)
            elif data[:2] in (b"II", b"MM"):
                aware = _tiff_ops(data, rng)
        data = aware if aware is not None else bytes(_byte_ops(bytearray(data), rng, others))
    return data


def case_bytes(corpus: list[bytes], seed: int, index: int) -> bytes:
    """The bytes of image case ``index`` of a run with ``seed``: the same on every run and machine."""
    rng = random.Random(f"{seed}:{index}")
    return mutate(corpus[index % len(corpus)], rng, corpus)


# --- the autosave seed and its cases ----------------------------------------------------------------

#: Values that a damaged or hand-edited meta.json might hold where a number, a list or a string belongs.
_HOSTILE_JSON = [None, [], {}, [1], {"a": 1}, 10**30, -(10**30), -1, 0, 1, 2, 0.5, 1e308, float("inf"), float("nan"),
                 "", "x", "\x1b[2J", True, [10**9, 10**9], [0, 0], [-1, 5], [1.5, 2], [1, 2, 3]]  # fmt: skip
_META_KEYS = ["format", "source", "size", "mtime_ns", "shape", "settings", "created", "updated", "generation"]
_SETTING_KEYS = ["threshold", "softness", "refine", "edge_px", "shift_px", "view"]


def write_autosave_seed(corpus_dir: Path) -> Path:
    """Write a photo and a real autosave of it (base, mask and guidance records) under ``corpus_dir``; return its folder."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cutout_app.core.editing.autosave_journal import AutosaveJournal

    root = corpus_dir / _AUTOSAVE_DIR
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    photo = root / "photo.png"
    photo.write_bytes(_encode(".png", _photo(24, 32)))
    journal = AutosaveJournal.open_for(photo, root / "data")
    soft = np.zeros((24, 32), np.uint8)
    soft[4:20, 6:26] = 200
    journal.start(soft, {"threshold": 0.4, "softness": 0.2, "refine": True}, {"clicks": [[12.0, 9.0, True]], "strokes": []})
    journal.append((2, 3, 5, 4), np.full((4, 5), 255, np.uint8))
    journal.append_guidance({"clicks": [[12.0, 9.0, True], [3.5, 2.0, False]],
                             "strokes": [{"radius": 3.0, "points": [[1.0, 2.0], [5.0, 6.0]]}]})
    journal.append((10, 8, 6, 6), np.arange(36, dtype=np.uint8).reshape(6, 6))
    journal.close()
    return journal.folder


def _autosave_seed(corpus_dir: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """The seed autosave: its photo, its data folder, and its files by name."""
    root = corpus_dir / _AUTOSAVE_DIR
    folder = _autosave_folder(root / "data")
    return root / "photo.png", root / "data", {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _autosave_folder(data_dir: Path) -> Path:
    """The folder of the autosave under ``data_dir`` (the one that holds its meta.json)."""
    return next(p.parent for p in sorted(data_dir.rglob("meta.json")))


def _meta_ops(text: bytes, rng: random.Random) -> bytes:
    try:
        meta = json.loads(text)
    except ValueError:
        return bytes(_byte_ops(bytearray(text), rng, [text]))
    op = rng.randrange(5)
    if not isinstance(meta, dict) or op == 4:
        return bytes(_byte_ops(bytearray(text), rng, [text]))
    if op <= 1:
        settings = meta.get("settings")
        if isinstance(settings, dict):
            settings[rng.choice(_SETTING_KEYS)] = rng.choice(_HOSTILE_JSON)
        else:
            meta["settings"] = rng.choice(_HOSTILE_JSON)
    elif op == 2:
        meta[rng.choice(("shape", "generation", "created", "updated", "format", "settings"))] = rng.choice(_HOSTILE_JSON)
    else:
        meta.pop(rng.choice(_META_KEYS), None)
    return json.dumps(meta).encode()


#: Guidance payloads (the click tool's clicks and strokes, as JSON) that a damaged journal might hold.
_HOSTILE_GUIDANCE = [
    {"clicks": [[float("nan"), 1.0, True]], "strokes": []}, {"clicks": [[1e308, -1e308, False]]},
    {"clicks": [[1, 2, 3]]}, {"clicks": [[1, 2]]}, {"clicks": "x"}, {"clicks": [[2.0, 2.0, True]] * 10_001},
    {"strokes": [{"radius": -1, "points": [[1, 1]]}]}, {"strokes": [{"radius": float("inf"), "points": [[1, 1]]}]},
    {"strokes": [{"radius": 2, "points": []}]}, {"strokes": [{"radius": 2, "points": [[1, 1]] * 100_000}]},
    {"strokes": [{"radius": 2, "points": [[1, "a"]]}]}, [], None, 7, "text", {"clicks": [], "strokes": {}},
]  # fmt: skip


def _journal_ops(data: bytes, rng: random.Random) -> bytes:
    """A journal damaged record by record: fields that lie with the CRC fixed, payloads that inflate to the
    wrong size or to hostile guidance, a header that lies, cuts at and between records."""
    version = struct.unpack_from("<I", data, 4)[0] if len(data) >= 8 else 2
    header, record = (24 if version == 2 else 16), struct.Struct("<4sIIIIII")
    starts, pos = [], header
    while pos + record.size <= len(data):
        starts.append(pos)
        pos += record.size + record.unpack_from(data, pos)[5]
    op = rng.randrange(7)
    if op == 0 or not starts:
        cut = rng.choice((0, 1, header - 1, header, *starts, len(data) - 1))
        return data[: max(0, cut)]
    at = rng.choice(starts)
    magic, x, y, w, h, length, crc = record.unpack_from(data, at)
    payload = data[at + record.size : at + record.size + length]

    def with_record(rect: list[int], new_payload: bytes, kind: bytes = magic, claimed: int | None = None) -> bytes:
        """The journal with this record rewritten, its CRC fixed (``claimed``: a payload length that lies)."""
        head = record.pack(kind, *rect, len(new_payload) if claimed is None else claimed, 0)[:-4]
        fixed = head + struct.pack("<I", zlib.crc32(new_payload, zlib.crc32(head)))
        return data[:at] + fixed + new_payload + data[at + record.size + length :]

    if op <= 2:  # a field that lies, with the CRC fixed so that the damage gets past it
        fields = [x, y, w, h, length]
        fields[rng.randrange(5)] = _interesting(rng)
        return with_record(fields[:4], payload, claimed=fields[4])
    if op == 3:  # a mask payload that inflates to something else (a bomb, junk, nothing), CRC fixed
        raw = rng.choice((bytes(rng.choice((0, 1, min(w * h + 1, 1 << 20), 1 << 20))), rng.randbytes(32)))
        return with_record([x, y, w, h], zlib.compress(raw, 9) if rng.random() < 0.8 else raw)
    if op == 4:  # guidance that is not one, CRC fixed
        raw = json.dumps(rng.choice(_HOSTILE_GUIDANCE)).encode()
        return with_record([0, 0, 0, 0], zlib.compress(raw, 1), rng.choice((b"CGDN", b"CGDN", magic)))
    if op == 5:  # the header: version, generation, records promised
        buf = bytearray(data.ljust(header, b"\x00"))
        buf[4:8] = struct.pack("<I", rng.choice((1, 2, 2, 0, 3)))
        buf[8:16] = struct.pack("<Q", rng.choice((1, 2, 0, _interesting(rng))))
        if header == 24:
            buf[16:24] = struct.pack("<Q", rng.choice((0, len(starts) - 1, len(starts) + 1, _interesting(rng), 1 << 63)))
        return bytes(buf)
    return bytes(_byte_ops(bytearray(data), rng, [data]))


def autosave_case(files: dict[str, bytes], corpus: list[bytes], seed: int, index: int) -> dict[str, bytes | None]:
    """The files of autosave case ``index`` (name -> bytes; None: the file is deleted), from the seed's ``files``."""
    rng = random.Random(f"{seed}:autosave:{index}")
    case: dict[str, bytes | None] = dict(files)
    base = next(n for n in files if n.startswith("base."))
    journal = next(n for n in files if n.startswith("journal."))
    for _ in range(rng.randint(1, 3)):
        which = rng.randrange(10)  # mostly the journal and meta.json: a damaged base leaves them unread
        if which <= 2:
            case["meta.json"] = _meta_ops(case["meta.json"] or b"{}", rng)
        elif which <= 6:
            case[journal] = _journal_ops(case[journal] or b"", rng)
        elif which == 7:
            case[base] = mutate(case[base] or files[base], rng, corpus)
        elif which == 8:  # another image in the base's place: an APNG, a JPEG, a 16-bit PNG...
            case[base] = mutate(rng.choice(corpus), rng, corpus) if rng.random() < 0.5 else rng.choice(corpus)
        else:
            case[rng.choice(list(files))] = None
    return case


# --- manifests and model metadata: text that a folder or a model file brings ------------------------


def manifest_seed() -> bytes:
    """A manifest as batches write it: done, failed (retried or not) and skipped records, hostile names included."""
    records = [
        {"source": "/photos/a.jpg", "output": "a.png", "status": "done", "error": None, "seconds": 0.5},
        {"source": "/photos/sub/b.jpg", "output": "sub/b.png", "status": "failed", "error": "bad", "seconds": 0.1},
        {"source": "/photos/c\u0024(touch x).jpg", "output": "c.png", "status": "skipped", "error": None, "seconds": 0},
        {"source": "/photos/d.jpg", "output": "d.png", "status": "failed", "error": "disk full", "seconds": 1,
         "retry": True},
        {"source": "/photos/\udcff.jpg", "output": "e.png", "status": "done", "error": None, "seconds": 2},
    ]  # fmt: skip
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def metadata_seed() -> bytes:
    """A global net's cutout metadata, as the exporter writes it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cutout_app.core.inference.model_info import ModelInfo

    info = ModelInfo(role="global", padding="same", depth=2, input_size=64, tile_size=64, click_radius=3.0,
                     extra={"val_iou": "0.9"})  # fmt: skip
    return info.to_json().encode()


def _deep(rng: random.Random) -> object:
    """Lists nested a little or a lot (deeper nesting is made as text: the parser must refuse it)."""
    depth = rng.choice((2, 100, 500))
    return json.loads("[" * depth + "]" * depth)


def _json_ops(data: bytes, rng: random.Random, keys: list[str]) -> bytes:
    """JSON text damaged by structure (a field set to a hostile value, dropped, nested deep) or by bytes."""
    op = rng.randrange(6)
    if op == 5:
        return bytes(_byte_ops(bytearray(data), rng, [data]))
    if op == 4:  # nesting beyond what a parser's stack takes, or one deep field
        depth = rng.choice((1000, 20_000, 100_000))
        return (b"[" * depth + b"]" * depth) if rng.random() < 0.5 else data[:-1] + b', "extra": ' + b"[" * depth + b"]" * depth + b"}"
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return bytes(_byte_ops(bytearray(data), rng, [data]))
    if not isinstance(value, dict):
        return data
    key = rng.choice(keys)
    if op <= 2:
        value[key] = rng.choice(_HOSTILE_JSON + [_deep(rng), {"a": [1]}, ["x"] * 3, "\x00", 10**400 // 10**390])
    else:
        value.pop(key, None)
    return json.dumps(value).encode()


_MANIFEST_KEYS = ["source", "output", "status", "error", "seconds", "retry"]
_METADATA_KEYS = ["role", "padding", "depth", "base_width", "tile_size", "mean", "std", "name", "version", "margin",
                  "channels", "format_version", "norm", "input_size", "click_radius", "encoder", "extra", "output"]  # fmt: skip


def text_case(target: str, seed: int, index: int) -> bytes:
    """The bytes of case ``index`` of the ``manifest`` or ``metadata`` target."""
    rng = random.Random(f"{seed}:{target}:{index}")
    if target == "metadata":
        data = metadata_seed()
        for _ in range(rng.randint(1, 3)):
            data = _json_ops(data, rng, _METADATA_KEYS)
        return data
    lines = manifest_seed().splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(lines))
        op = rng.randrange(4)
        if op == 0:
            lines[k] = _json_ops(lines[k].rstrip(b"\n"), rng, _MANIFEST_KEYS) + b"\n"
        elif op == 1:  # a line cut short (a crash), or without its end
            lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)]
        elif op == 2:
            lines.insert(k, lines[rng.randrange(len(lines))])
        else:
            lines[k] = bytes(_byte_ops(bytearray(lines[k]), rng, lines))
    return b"".join(lines)


def case_files(target: str, corpus_dir: Path, seed: int, index: int) -> dict[str, bytes | None]:
    """What case ``index`` of ``target`` puts on disk, by file name (to save a finding)."""
    if target in ("manifest", "metadata"):
        return {"case.jsonl" if target == "manifest" else "metadata.json": text_case(target, seed, index)}
    corpus = load_corpus(corpus_dir)
    if target == "autosave":
        return autosave_case(_autosave_seed(corpus_dir)[2], corpus, seed, index)
    return {"case.bin": case_bytes(corpus, seed, index)}


# --- running cases in child processes -------------------------------------------------------------


@dataclass
class FuzzReport:
    """Counts of a fuzzing run by outcome; crashes and hangs list their case numbers."""

    target: str = "decode"
    cases: int = 0
    clean: int = 0
    own_error: int = 0
    other: Counter[str] = field(default_factory=Counter)  # exception type -> count
    other_cases: list[tuple[int, str]] = field(default_factory=list)
    crashes: list[tuple[int, str]] = field(default_factory=list)  # (case, signal or exit status)
    hangs: list[int] = field(default_factory=list)
    #: Cases the fuzzer itself failed to make (a bug of the fuzzer, not of a reader), with the error.
    fuzzer_errors: list[tuple[int, str]] = field(default_factory=list)
    #: The largest resident memory any child reached, in bytes (as it last said: a crash loses the last case's).
    peak_rss: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """A one-line summary."""
        rate = self.cases / self.seconds if self.seconds else 0.0
        return (f"{self.target}: cases {self.cases}: clean {self.clean}, clear errors {self.own_error}, "
                f"other exceptions {sum(self.other.values())} {dict(self.other) or ''}, "
                f"crashes {len(self.crashes)}, hangs {len(self.hangs)}, peak memory {self.peak_rss / 2**20:.0f} MB, "
                f"{self.seconds:.0f} s ({rate:.0f} cases/s)"
                + (f"; NOT RUN, the fuzzer failed to make {len(self.fuzzer_errors)}" if self.fuzzer_errors else ""))  # fmt: skip


def write_corpus(folder: Path, files: dict[str, bytes]) -> Path:
    """Write the seed files to ``folder`` (sorted by name: that order numbers them) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def load_corpus(folder: Path) -> list[bytes]:
    """The seed files of ``folder`` in name order."""
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()]


def run_fuzzer(
    corpus_dir: Path,
    cases: int,
    seed: int = 0,
    chunk: int = 1000,
    hang_s: float = 20.0,
    start: int = 0,
    target: str = "decode",
    jobs: int = 1,
) -> FuzzReport:
    """Run cases ``start .. start+cases-1`` of ``seed`` for ``target`` (see :data:`TARGETS`), ``chunk`` per child.

    ``jobs`` children run at once. The corpus folder needs :func:`write_corpus` and, for the autosave
    target, :func:`write_autosave_seed`. A child that dies marks its running case as a crash; one
    silent for ``hang_s`` seconds marks it as a hang and is killed. Either way a new child goes on
    after that case.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}")
    report = FuzzReport(target)
    began = time.perf_counter()
    pending = [(s, min(start + cases, s + chunk)) for s in range(start, start + cases, chunk)]
    pending.reverse()
    running: list[_Child] = []
    selector = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                lo, hi = pending.pop()
                child = _Child(corpus_dir, seed, lo, hi, target)
                running.append(child)
                selector.register(child.stdout, selectors.EVENT_READ, child)
            for key, _ in selector.select(timeout=1.0):
                key.data.read(report)
            now = time.monotonic()
            for child in list(running):
                if child.eof or now - child.last > hang_s:
                    selector.unregister(child.stdout)
                    running.remove(child)
                    resume = child.finish(report, hung=not child.eof)
                    if resume is not None and resume < child.end:
                        pending.append((resume, child.end))
    finally:
        for child in running:
            child.kill()
        selector.close()
    report.seconds = time.perf_counter() - began
    return report


class _Child:
    """One worker process over cases ``[start, end)``, with its own scratch folder, and what it has said so far."""

    def __init__(self, corpus_dir: Path, seed: int, start: int, end: int, target: str) -> None:
        self.start, self.end = start, end
        shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # case files on a RAM disk where there is one
        self.scratch = Path(tempfile.mkdtemp(prefix="cutout-fuzz-", dir=shm))
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "worker", str(corpus_dir), str(seed), str(start), str(end), target, str(self.scratch)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout
        self.running: int | None = None  # the case started and not yet finished
        self.next = start  # the first case without a result
        self.pending = b""
        self.eof = False
        self.last = time.monotonic()

    def read(self, report: FuzzReport) -> None:
        data = os.read(self.stdout.fileno(), 65536)
        self.last = time.monotonic()
        if not data:
            self.eof = True
            return
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours: the protocol has its own descriptor, but be safe
            if "start" in message:
                self.running = int(message["start"])
            else:
                _note(message, report)
                report.peak_rss = max(report.peak_rss, int(message.get("peak", 0)))
                self.running, self.next = None, int(message["case"]) + 1

    def finish(self, report: FuzzReport, hung: bool) -> int | None:
        """Reap the child; count the case it died or hung on. Returns where a new child must go on, or None."""
        if hung:
            self.proc.kill()
        _, status = os.waitpid(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.stdout.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.running is None:
            if self.next < self.end:  # died between cases: the fuzzer itself is broken, not a reader
                raise RuntimeError(f"a fuzz worker stopped before case {self.next} ({_exit_name(self.proc.returncode)})")
            return None
        report.cases += 1
        if hung:
            report.hangs.append(self.running)
        else:
            report.crashes.append((self.running, _exit_name(self.proc.returncode)))
        return self.running + 1

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.stdout.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _note(message: dict, report: FuzzReport) -> None:
    outcome = message["outcome"]
    if outcome == "fuzzer":
        report.fuzzer_errors.append((int(message["case"]), message.get("detail", "")))
        return
    report.cases += 1
    if outcome == "clean":
        report.clean += 1
    elif outcome == "own":
        report.own_error += 1
    else:
        report.other[outcome] += 1
        report.other_cases.append((int(message["case"]), f"{outcome}: {message.get('detail', '')}"))


def _exit_name(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            pass
    return f"exit status {code}"


def _worker(corpus_dir: Path, seed: int, start: int, end: int, target: str, scratch: Path) -> None:
    """Child: run cases ``start .. end-1`` in ``scratch``, telling the parent before and after each one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cutout_app.core.batch.manifest import MANIFEST_NAME, Manifest
    from cutout_app.core.editing.autosave_journal import AutosaveJournal
    from cutout_app.core.errors import CutoutError
    from cutout_app.core.files import imageio
    from cutout_app.core.files.headers import sniff_format
    from cutout_app.core.inference.model_info import ModelInfo

    imageio.MAX_PIXELS = WORKER_MAX_PIXELS
    corpus = load_corpus(corpus_dir)
    mask_path = scratch / "mask.png"
    if target == "autosave":
        photo, seed_data, files = _autosave_seed(corpus_dir)
        data_dir = scratch / "data"
        shutil.copytree(seed_data, data_dir)
        folder = _autosave_folder(data_dir)
        if AutosaveJournal.find_restorable(photo, data_dir) is None:
            raise RuntimeError("the autosave seed is not found: the fuzzer would test nothing")
    out = os.fdopen(os.dup(1), "w")  # the protocol's own copy of stdout; stray C output goes to stderr
    os.dup2(2, 1)
    for index in range(start, end):
        # The case is made before it is announced: a failure here is the fuzzer's own, not a finding.
        try:
            if target == "autosave":
                folder.mkdir(parents=True, exist_ok=True)  # the loader may tidy away a slot left with nothing in it
                for name, data in autosave_case(files, corpus, seed, index).items():
                    (folder / name).unlink(missing_ok=True)
                    if data is not None:
                        (folder / name).write_bytes(data)
            elif target in ("manifest", "metadata"):
                data = text_case(target, seed, index)
                if target == "manifest":
                    (scratch / MANIFEST_NAME).write_bytes(data)
            else:
                data = case_bytes(corpus, seed, index)
                if target == "mask":
                    mask_path.write_bytes(data)
        except Exception as exc:  # noqa: BLE001 - reported apart from the findings
            out.write(json.dumps({"case": index, "outcome": "fuzzer", "detail": f"{type(exc).__name__}: {exc}"[:200]}) + "\n")
            out.flush()
            continue
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        try:
            if target == "autosave":
                info = AutosaveJournal.find_restorable(photo, data_dir)
                if info is not None:  # the base is decoded here, not in a decoder child: this worker is one
                    info.recover(read=imageio.read_image).with_mask()  # and the undo history built, as the loader does
            elif target == "clipboard":  # as the window pastes: the signature names the format, the file is read
                kind = sniff_format(data[:16])
                if kind is None:
                    raise CutoutError("the clipboard holds no photo")
                pasted = scratch / f"pasted.{kind}"
                pasted.write_bytes(data)
                imageio.read_image(pasted)
            elif target == "manifest":
                manifest = Manifest(scratch)
                manifest.summary().text()
                manifest.failures()
            elif target == "metadata":
                ModelInfo.from_json(data.decode("utf-8", "surrogateescape"))
            else:
                if target == "opencv":
                    if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is None:
                        raise CutoutError("not decoded")
                elif target == "mask":
                    imageio.read_mask(mask_path)
                else:
                    imageio.decode_image(data, f"case-{index}")
            result = {"outcome": "clean"}
        except CutoutError:
            result = {"outcome": "own"}
        except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
            if isinstance(exc, cv2.error) and target == "opencv":
                result = {"outcome": "own"}
            else:
                result = {"outcome": type(exc).__name__, "detail": str(exc)[:200]}
        out.write(json.dumps({"case": index, **result, "peak": _own_peak()}) + "\n")
        out.flush()


def _own_peak() -> int:
    """This process's peak resident memory in bytes: VmHWM, which starts afresh at exec (ru_maxrss would count
    the parent's memory at the fork); 0 where there is no /proc."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _worker(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], Path(sys.argv[7]))
