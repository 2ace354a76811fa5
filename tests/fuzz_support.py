"""A seeded mutation fuzzer for cutout's image reader (``imageio.decode_image``).

The seed corpus is built here, from OpenCV's encoders where they exist and from hand-written bytes
where they do not: JPEG (baseline, progressive, EXIF), PNG (8/16-bit, gray+alpha, eXIf), an animated
PNG, WebP (lossy, lossless, EXIF, animated), TIFF (multi-page, 16-bit, CMYK) and BMP. Each case is
one seed file mutated by a few random operations, some of them aware of PNG chunks, RIFF chunks and
TIFF directories so that the mutants get past the first checks.

Cases run in child processes (``python fuzz_support.py worker ...``), a chunk of cases per child, so
that a decoder crash ends only that child: the parent notes the case that was running and starts a
new child after it. Case ``i`` of seed ``s`` is the same bytes on every run, so any finding can be
rebuilt with :func:`case_bytes`. Used by tests/test_fuzz_imageio.py and bench/fuzz_imageio.py.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import struct
import subprocess
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

#: The pixel limit the workers use: mutated headers often claim huge sizes, and decoding those
#: would only measure how fast the machine allocates memory.
WORKER_MAX_PIXELS = 4_000_000

_INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
    chunks, pos = [], 8
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > len(data):
            break
        chunks.append((ctype, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


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
        "rgb.bmp": _encode(".bmp", img),
    }


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
        other = rng.choice(others)
        buf = buf[: rng.randrange(n)] + other[rng.randrange(len(other)) :]
    return buf


def _png_ops(data: bytes, rng: random.Random) -> bytes | None:
    chunks = png_chunks(data)
    if len(chunks) < 2:
        return None
    op = rng.randrange(7)
    i = rng.randrange(len(chunks))
    ctype, body = chunks[i]
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
        kinds = [b"acTL", b"fcTL", b"fdAT", b"IHDR", b"IDAT", b"PLTE", b"tRNS", b"eXIf", b"iCCP", b"IEND"]
        chunks.insert(rng.randrange(len(chunks) + 1), (rng.choice(kinds), rng.randbytes(rng.choice((0, 4, 8, 26)))))
    else:
        chunks[i] = (rng.randbytes(4), body)
    out = png_from_chunks(chunks)
    if rng.random() < 0.1:  # now and then a stale CRC too
        out = bytes(_byte_ops(bytearray(out), rng, [out]))
    return out


def _riff_ops(data: bytes, rng: random.Random) -> bytes | None:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        chunks.append([fourcc, bytearray(data[pos + 8 : pos + 8 + size])])
        pos += 8 + size + (size & 1)
    if not chunks:
        return None
    i = rng.randrange(len(chunks))
    op = rng.randrange(4)
    if op == 0 and len(chunks) > 1:
        del chunks[i]
    elif op == 1:
        chunks.insert(rng.randrange(len(chunks) + 1), [chunks[i][0], bytearray(chunks[i][1])])
    elif op == 2:
        _put_int(chunks[i][1], rng)
    else:
        chunks[i][1] = _byte_ops(chunks[i][1], rng, [data])
    body = b"WEBP" + b"".join(c + struct.pack("<I", len(b)) + bytes(b) + b"\x00" * (len(b) & 1) for c, b in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _tiff_ops(data: bytes, rng: random.Random) -> bytes | None:
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        return None
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack_from(order + "H", data, ifd)
    if count == 0 or ifd + 2 + 12 * count > len(data):
        return None
    buf = bytearray(data)
    entry = ifd + 2 + 12 * rng.randrange(count)
    field_at = entry + rng.choice((2, 4, 8))  # type, count or value/offset
    size = 2 if field_at == entry + 2 else 4
    value = rng.choice(_INTERESTING) & ((1 << (8 * size)) - 1)
    buf[field_at : field_at + size] = value.to_bytes(size, "little" if order == "<" else "big")
    return bytes(buf)


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """``data`` after 1 to 4 random mutations (mostly structure-aware ones for PNG, WebP and TIFF)."""
    for _ in range(rng.randint(1, 4)):
        aware = None
        if rng.random() < 0.7:
            if data[:8] == _PNG_SIGNATURE:
                aware = _png_ops(data, rng)
            elif data[:4] == b"RIFF":
                aware = _riff_ops(data, rng)
            elif data[:2] in (b"II", b"MM"):
                aware = _tiff_ops(data, rng)
        data = aware if aware is not None else bytes(_byte_ops(bytearray(data), rng, others))
    return data


def case_bytes(corpus: list[bytes], seed: int, index: int) -> bytes:
    """The bytes of case ``index`` of a run with ``seed``: the same on every run and machine."""
    rng = random.Random(f"{seed}:{index}")
    return mutate(corpus[index % len(corpus)], rng, corpus)


# --- running cases in child processes -------------------------------------------------------------


@dataclass
class FuzzReport:
    """Counts of a fuzzing run by outcome; crashes and hangs list their case numbers."""

    cases: int = 0
    clean: int = 0
    own_error: int = 0
    other: Counter[str] = field(default_factory=Counter)  # exception type -> count
    other_cases: list[tuple[int, str]] = field(default_factory=list)
    crashes: list[tuple[int, str]] = field(default_factory=list)  # (case, signal or exit status)
    hangs: list[int] = field(default_factory=list)

    def line(self) -> str:
        """A one-line summary."""
        return (f"cases {self.cases}: clean {self.clean}, own error {self.own_error}, "
                f"other exceptions {sum(self.other.values())} {dict(self.other) or ''}, "
                f"crashes {len(self.crashes)}, hangs {len(self.hangs)}")  # fmt: skip


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
    target: str = "cutout",
) -> FuzzReport:
    """Run cases ``start .. start+cases-1`` of ``seed`` over the corpus in ``corpus_dir``, ``chunk`` per child.

    ``target`` is "cutout" (``imageio.decode_image``) or "opencv" (bare ``cv2.imdecode``, to see what
    the reader guards against). A child that dies marks its running case as a crash; one silent for
    ``hang_s`` seconds marks it as a hang and is killed. Either way the next child starts after that case.
    """
    report = FuzzReport()
    stop = start + cases
    while start < stop:
        end = min(stop, start + chunk)
        start = _run_child([str(corpus_dir), str(seed), str(start), str(end), target], start, end, hang_s, report)
    return report


def _run_child(args: list[str], start: int, end: int, hang_s: float, report: FuzzReport) -> int:
    """Run one child over cases ``[start, end)``; returns where the next child must begin."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "worker", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    running: int | None = None
    pending = b""
    try:
        while True:
            if not selector.select(timeout=hang_s):
                proc.kill()
                proc.wait()
                report.cases += 1
                report.hangs.append(running if running is not None else start)
                return (running if running is not None else start) + 1
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # not ours: the protocol has its own descriptor, but be safe
                running = _note(message, report, running)
    finally:
        selector.close()
        proc.stdout.close()
    code = proc.wait()
    if running is None:
        return end
    report.cases += 1
    report.crashes.append((running, _exit_name(code)))
    return running + 1


def _note(message: dict, report: FuzzReport, running: int | None) -> int | None:
    if "start" in message:
        return int(message["start"])
    report.cases += 1
    outcome = message["outcome"]
    if outcome == "clean":
        report.clean += 1
    elif outcome == "own":
        report.own_error += 1
    else:
        report.other[outcome] += 1
        report.other_cases.append((int(message["case"]), f"{outcome}: {message.get('detail', '')}"))
    return None


def _exit_name(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            pass
    return f"exit status {code}"


def _worker(corpus_dir: Path, seed: int, start: int, end: int, target: str) -> None:
    """Child: decode cases ``start .. end-1``, telling the parent before and after each one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from cutout_app.core.errors import ImageReadError
    from cutout_app.core.files import imageio

    imageio.MAX_PIXELS = WORKER_MAX_PIXELS
    corpus = load_corpus(corpus_dir)
    out = os.fdopen(os.dup(1), "w")  # the protocol's own copy of stdout; stray C output goes to stderr
    os.dup2(2, 1)
    for index in range(start, end):
        data = case_bytes(corpus, seed, index)
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        try:
            if target == "opencv":
                if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is None:
                    raise ImageReadError(index, "not decoded")
            else:
                imageio.decode_image(data, f"case-{index}")
            result = {"outcome": "clean"}
        except ImageReadError:
            result = {"outcome": "own"}
        except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
            if isinstance(exc, cv2.error) and target == "opencv":
                result = {"outcome": "own"}
            else:
                result = {"outcome": type(exc).__name__, "detail": str(exc)[:200]}
        out.write(json.dumps({"case": index, **result}) + "\n")
        out.flush()


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _worker(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
