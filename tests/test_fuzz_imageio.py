"""The readers against a seeded, structure-aware fuzzer: no crash, no hang, no exception but cutout's own.

A short budget for every run of the suite; ``bench/fuzz_imageio.py`` runs the long one.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from pathlib import Path

import cv2
import fuzz_support
import numpy as np
import pytest

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import HeaderError, scan_header, sniff_format
from cutout_app.core.files.headers import MAX_JPEG_SCANS
from cutout_app.core.files.imageio import DECODE_BUDGET_BYTES, decode_image
from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess

SEED = 8
#: Cases per target: a few seconds each on a busy 2-core machine (an autosave case writes three files).
CASES = {"decode": 8000, "mask": 4000, "clipboard": 1500, "autosave": 3000, "manifest": 3000, "metadata": 3000}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = fuzz_support.write_corpus(tmp_path_factory.mktemp("fuzz-corpus"), fuzz_support.seed_corpus())
    fuzz_support.write_autosave_seed(folder)
    return folder


def test_seed_corpus_is_read(corpus_dir: Path) -> None:
    """Every seed file reads; animations and multi-page files give their first image."""
    for path in sorted(p for p in corpus_dir.iterdir() if p.is_file()):
        photo = decode_image(path.read_bytes(), path)
        assert photo.width > 0, path.name
    anim = decode_image((corpus_dir / "animated.png").read_bytes())
    first = cv2.cvtColor(cv2.cvtColor(fuzz_support._photo(16, 20, seed=0), cv2.COLOR_BGR2BGRA), cv2.COLOR_BGRA2RGBA)
    np.testing.assert_array_equal(anim.pixels, first)
    assert decode_image((corpus_dir / "cmyk.tiff").read_bytes()).pixels.shape[2] in (3, 4)


@pytest.mark.parametrize("target", sorted(CASES))
def test_fuzzer_finds_no_crash_hang_or_stray_exception(corpus_dir: Path, target: str) -> None:
    cases = CASES[target]
    report = fuzz_support.run_fuzzer(corpus_dir, cases, seed=SEED, chunk=500, target=target, jobs=2)
    assert report.fuzzer_errors == [], report.fuzzer_errors
    assert report.cases == cases
    assert report.crashes == [], report.line()
    assert report.hangs == [], report.line()
    assert report.other_cases == [], report.line()
    assert report.peak_rss < 2 << 30, report.line()
    if target in ("decode", "mask", "clipboard"):  # the mutants are neither all good nor all junk
        assert report.clean > cases // 20 and report.own_error > cases // 5, report.line()


def test_header_scanners_raise_only_their_own_error(corpus_dir: Path) -> None:
    """The scanners themselves, in this process: 20,000 mutants, nothing but HeaderError ever escapes."""
    corpus = fuzz_support.load_corpus(corpus_dir)
    outcomes: Counter[str] = Counter()
    for index in range(20_000):
        data = fuzz_support.case_bytes(corpus, SEED + 1, index)
        fmt = sniff_format(data)
        if fmt is None:
            continue
        try:
            scan_header(data, fmt)
            outcomes["sound"] += 1
        except HeaderError:
            outcomes["refused"] += 1
    assert outcomes["sound"] > 2000 and outcomes["refused"] > 2000, outcomes


def test_the_mutants_hold_the_structures_that_found_the_defects(corpus_dir: Path) -> None:
    """The structure-aware operations make what they are for: a fuzzer that never makes them finds nothing."""
    corpus = fuzz_support.load_corpus(corpus_dir)
    seen: Counter[str] = Counter()
    for index in range(6000):
        data = fuzz_support.case_bytes(corpus, SEED, index)
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            chunks, tail = fuzz_support.png_chunks_and_tail(data)
            kinds = {t for t, _ in chunks}
            if chunks and chunks[0][0] == b"IHDR" and len(chunks[0][1]) == 13:
                w, h, depth, colour = struct.unpack_from(">IIBB", chunks[0][1])
                seen["png over the byte budget"] += depth == 16 and w * h * 8 > DECODE_BUDGET_BYTES
            if {b"acTL", b"fcTL", b"fdAT"} <= kinds and chunks == fuzz_support.png_chunks_and_tail(
                    fuzz_support.png_from_chunks(chunks))[0]:  # fmt: skip
                seen["png animation"] += 1
            seen["png eXIf"] += b"eXIf" in kinds
            seen["png after IEND"] += bool(chunks) and chunks[-1][0] == b"IEND" and len(tail) >= 8
        elif data[:3] == b"\xff\xd8\xff":
            sofs = sum(data.count(bytes([0xFF, m])) for m in (0xC0, 0xC2))
            seen["jpeg two SOF"] += sofs >= 2
            seen["jpeg over the scan limit"] += data.count(b"\xff\xda") > MAX_JPEG_SCANS
        elif data[:4] == b"RIFF" and b"VP8X" in data:
            at = data.find(b"VP8X") + 8
            seen["webp VP8X beyond 16 MP"] += int.from_bytes(data[at + 4 : at + 7], "little") > 4096
        elif data[:2] in (b"II", b"MM") and data != corpus[index % len(corpus)]:
            seen["tiff changed"] += 1
            try:
                scan_header(data, "tiff")
            except HeaderError as exc:
                seen["tiff shared blocks"] += "share" in str(exc)
    counts = [_first_value_count(fuzz_support.crafted_exif(random.Random(i))) for i in range(400)]
    seen["exif zero count"] = counts.count(0)
    seen["exif huge count"] = sum(c is not None and c >= 0x3FFFFFFF for c in counts)
    assert all(seen[k] >= 5 for k in ("png animation", "png eXIf", "png after IEND", "jpeg two SOF",
                                      "webp VP8X beyond 16 MP", "tiff changed", "exif zero count",
                                      "exif huge count", "png over the byte budget", "jpeg over the scan limit",
                                      "tiff shared blocks")), seen  # fmt: skip


def _first_value_count(block: bytes) -> int | None:
    """The value count of the first entry of an EXIF block whose directory is where it should be, else None."""
    bo = "<" if block[:2] == b"II" else ">"
    if len(block) < 18 or struct.unpack_from(bo + "I", block, 4)[0] != 8 or struct.unpack_from(bo + "H", block, 8)[0] == 0:
        return None
    return struct.unpack_from(bo + "I", block, 14)[0]


@pytest.mark.parametrize("name", sorted(fuzz_support.apng_crashers()))
def test_apngs_that_crashed_opencv_are_read_safely(tmp_path: Path, name: str) -> None:
    """Each of these made cv2.imdecode die with SIGSEGV; read in a child process so a regression shows."""
    path = tmp_path / name
    path.write_bytes(fuzz_support.apng_crashers()[name])
    with DecoderProcess(timeout=60) as decoder:
        try:
            photo = decoder.read(path)
        except ImageReadError as exc:
            assert DECODER_CRASHED not in exc.reason
        else:
            assert (photo.width, photo.height) == (20, 16)  # the still image
