"""The header scanners against crafted files: each defect a probe found, made byte by byte, read in a child
process so that a decoder crash fails the test instead of ending the run."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import fuzz_support
import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import HeaderError, exif_orientation, read_mask, scan_header, sniff_format
from cutout_app.core.files.imageio import decode_image

ROOT = Path(__file__).resolve().parents[1]

#: Reads one file in a fresh interpreter and says what happened, with the process's peak memory.
_READ = textwrap.dedent(
    """
    import json, sys
    from cutout_app.core.errors import ImageReadError
    from cutout_app.core.files import read_image, read_mask
    try:
        result = (read_mask if sys.argv[2] == "mask" else read_image)(sys.argv[1])
        shape = getattr(result, "pixels", result).shape
        outcome = {"ok": True, "width": int(shape[1]), "height": int(shape[0])}
    except ImageReadError as exc:
        outcome = {"ok": False, "reason": exc.reason}
    # This program's own peak (VmHWM): ru_maxrss would count the parent's memory at the fork too.
    status = open("/proc/self/status").read() if sys.platform == "linux" else ""
    peak = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    outcome["peak_mb"] = int(peak[0]) / 1024 if peak else 0.0
    print(json.dumps(outcome))
    """
)


def read_in_child(path: Path, kind: str = "photo") -> dict:
    """Read ``path`` as a photo or a mask in a child process; fails the test if the child dies."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", _READ, str(path), kind], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, f"the reader died ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def exif(entries: list[tuple[int, int, int, int]], big_endian: bool = True) -> bytes:
    """An EXIF block whose first directory holds ``(tag, type, count, value or offset)`` entries."""
    bo = ">" if big_endian else "<"
    body = struct.pack(bo + "H", len(entries)) + b"".join(struct.pack(bo + "HHII", *e) for e in entries)
    return (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(bo + "I", 8) + body + struct.pack(bo + "I", 0)


#: The probe's bypass: an orientation entry of type SHORT with a value count of 0.
ORIENTATION_WITHOUT_VALUES = exif([(0x0112, 3, 0, 6 << 16)])


def jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", make_photo(60, 80))
    assert ok
    return data.tobytes()


def png() -> bytes:
    ok, data = cv2.imencode(".png", make_photo(60, 80))
    assert ok
    return data.tobytes()


def with_png_chunk(data: bytes, ctype: bytes, body: bytes, at: int = 1) -> bytes:
    chunks, tail = fuzz_support.png_chunks_and_tail(data)
    chunks.insert(at, (ctype, body))
    return fuzz_support.png_from_chunks(chunks) + tail


# --- EXIF: a structure the scanner cannot follow never means skipped checks -------------------------


@pytest.mark.parametrize("name", sorted(fuzz_support.apng_crashers()))
def test_exif_without_values_does_not_keep_the_animation_that_crashes_opencv(tmp_path: Path, name: str) -> None:
    """The APNG sanitiser's bypass: before, the scan raised IndexError, was dropped, and OpenCV got the frames."""
    path = tmp_path / name
    path.write_bytes(with_png_chunk(fuzz_support.apng_crashers()[name], b"eXIf", ORIENTATION_WITHOUT_VALUES))
    for kind in ("photo", "mask"):
        outcome = read_in_child(path, kind)
        if outcome["ok"]:
            assert (outcome["width"], outcome["height"]) == (20, 16)  # the still image
        else:
            assert "truncated or corrupt" in outcome["reason"]


def test_exif_without_values_does_not_skip_the_size_limit(tmp_path: Path) -> None:
    data = fuzz_support.png_from_chunks(
        [(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)), (b"eXIf", ORIENTATION_WITHOUT_VALUES),
         (b"IDAT", b"x" * 10), (b"IEND", b"")])  # fmt: skip
    path = tmp_path / "huge.png"
    path.write_bytes(data)
    assert "too large" in read_in_child(path)["reason"]
    assert "too large" in read_in_child(path, "mask")["reason"]


@pytest.mark.parametrize(
    "entries",
    [[(0x0112, 3, 0, 0)], [(0x0112, 3, 0xFFFFFFFF, 8)], [(0x0112, 3, 3, 0xFFFFFFF0)], [(0x0112, 12, 1, 6)],
     [(0x0112, 0, 1, 6)], [(0x0112, 3, 1, 0)], [(0x0112, 4, 2, 4000)]],  # fmt: skip
)
def test_exif_that_cannot_be_followed_has_no_orientation_and_never_raises(entries: list) -> None:
    assert exif_orientation(exif(entries)) == 1
    assert exif_orientation(b"Exif\x00\x00" + exif(entries, big_endian=False)) == 1


def test_exif_directory_out_of_the_block_or_with_a_lying_count_has_no_orientation() -> None:
    block = bytearray(exif([(0x0112, 3, 1, 6 << 16)]))
    assert exif_orientation(bytes(block)) == 6
    block[8:10] = struct.pack(">H", 0xFFFF)  # 65535 entries in a 26-byte block
    assert exif_orientation(bytes(block)) == 1
    block[4:8] = struct.pack(">I", 0xFFFFFFF0)  # the directory far past the end
    assert exif_orientation(bytes(block)) == 1


# --- scan the way the decoder reads ---------------------------------------------------------------


def _sof(data: bytes) -> tuple[int, bytes]:
    at = data.find(b"\xff\xc0")
    (length,) = struct.unpack_from(">H", data, at + 2)
    return at, data[at : at + 2 + length]


def _resized(segment: bytes, width: int, height: int) -> bytes:
    return segment[:5] + struct.pack(">HH", height, width) + segment[9:]


@pytest.mark.parametrize("where", ["before", "after", "before EOI"])
def test_a_second_frame_header_is_refused_before_any_allocation(tmp_path: Path, where: str) -> None:
    """libjpeg sizes the image from the first SOF; the scanner used the last one, so 1 KB could claim 240 MP."""
    data = jpeg()
    at, sof = _sof(data)
    huge = _resized(sof, 20_000, 12_000)
    crafted = {
        "before": data[:at] + huge + data[at:],
        "after": data[: at + len(sof)] + huge + data[at + len(sof) :],
        "before EOI": data[:at] + huge + data[at + len(sof) : -2] + sof + b"\xff\xd9",
    }[where]
    path = tmp_path / "two-sof.jpg"
    path.write_bytes(crafted)
    outcome = read_in_child(path)
    assert not outcome["ok"] and "second frame header" in outcome["reason"]
    assert outcome["peak_mb"] < 400  # the 240 MP frame was never allocated


def test_png_chunk_header_after_iend_claiming_gigabytes(tmp_path: Path) -> None:
    """IHDR, IEND, then a header claiming 2.5 GB: OpenCV's reader allocated it looking for IDAT."""
    data = png()
    chunks, _ = fuzz_support.png_chunks_and_tail(data)
    trailer = struct.pack(">I", 2_500_000_000) + b"IDAT"
    no_data = tmp_path / "no-data.png"
    no_data.write_bytes(fuzz_support.png_from_chunks([chunks[0], (b"IEND", b"")]) + trailer)
    outcome = read_in_child(no_data)
    assert not outcome["ok"] and "image data (IDAT) is missing" in outcome["reason"]
    assert outcome["peak_mb"] < 400
    trailing = tmp_path / "trailing.png"
    trailing.write_bytes(data + trailer)
    outcome = read_in_child(trailing)
    assert outcome["ok"] and (outcome["width"], outcome["height"]) == (80, 60) and outcome["peak_mb"] < 400


def test_chunk_lengths_beyond_the_file_or_beyond_png_are_refused() -> None:
    data = bytearray(png())
    data[33:37] = struct.pack(">I", 0x7FFFFFFF)  # the chunk after IHDR claims 2 GB of a small file
    with pytest.raises(ImageReadError, match="past the end of the file"):
        decode_image(bytes(data))
    data[33:37] = struct.pack(">I", 0x80000000)
    with pytest.raises(ImageReadError, match="longer than PNG allows"):
        decode_image(bytes(data))


def test_jpeg_segment_lengths_that_lie_are_refused() -> None:
    data = bytearray(jpeg())
    at, _ = _sof(bytes(data))
    data[at + 2 : at + 4] = struct.pack(">H", 1)
    with pytest.raises(ImageReadError, match="length of 1"):
        decode_image(bytes(data))


def test_tiff_size_tag_without_values_is_refused_and_bigtiff_sizes_are_checked() -> None:
    ok, data = cv2.imencode(".tiff", make_photo(60, 80))
    tiff = bytearray(data.tobytes())
    (ifd,) = struct.unpack_from("<I", tiff, 4)
    (count,) = struct.unpack_from("<H", tiff, ifd)
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", tiff, entry)[0] == 256:  # ImageWidth: no values
            tiff[entry + 4 : entry + 8] = struct.pack("<I", 0)
    with pytest.raises(ImageReadError, match="gives no image size"):
        decode_image(bytes(tiff))
    # A BigTIFF (8-byte offsets) claiming 100000 x 100000 pixels: refused from its header, as a classic one is.
    entries = [(256, 16, 1, 100_000), (257, 16, 1, 100_000), (273, 16, 1, 64), (279, 16, 1, 1)]
    big = b"II+\x00" + struct.pack("<HHQ", 8, 0, 16) + struct.pack("<Q", len(entries))
    big += b"".join(struct.pack("<HHQQ", *e) for e in entries) + struct.pack("<Q", 0)
    big = big.ljust(80, b"\x00")
    with pytest.raises(ImageReadError, match="too large"):
        decode_image(big)


def test_webp_sizes_are_the_largest_any_chunk_claims() -> None:
    webp = fuzz_support.seed_corpus()["exif.webp"]  # VP8X 32 x 24 + VP8L
    at = webp.find(b"VP8X") + 8
    forged = bytearray(webp)
    forged[at + 4 : at + 10] = (20_000 - 1).to_bytes(3, "little") + (20_000 - 1).to_bytes(3, "little")
    with pytest.raises(ImageReadError, match="too large"):
        decode_image(bytes(forged))
    assert scan_header(webp, "webp").width == 32


# --- masks get the photo's checks -----------------------------------------------------------------


def test_masks_get_the_same_limits_and_sanitising_as_photos(tmp_path: Path) -> None:
    """read_mask had no size limit, no sanitising: cv2.error beyond OpenCV's limits, IndexError from EXIF."""
    wide = tmp_path / "wide.png"
    wide.write_bytes(fuzz_support.png_from_chunks(
        [(b"IHDR", struct.pack(">IIBBBBB", 1_500_000, 1, 8, 0, 0, 0, 0)), (b"IDAT", b"x"), (b"IEND", b"")]))
    with pytest.raises(ImageReadError, match="too large"):
        read_mask(wide)
    mask = np.zeros((60, 80), np.uint8)
    mask[10:30, 20:50] = 1  # a 0/1 label image
    ok, data = cv2.imencode(".png", mask)
    labelled = tmp_path / "labels.png"
    labelled.write_bytes(with_png_chunk(data.tobytes(), b"eXIf", ORIENTATION_WITHOUT_VALUES))
    np.testing.assert_array_equal(read_mask(labelled), mask * 255)
    turned = tmp_path / "turned.png"
    turned.write_bytes(with_png_chunk(data.tobytes(), b"eXIf", exif([(0x0112, 3, 1, 6 << 16)])))
    np.testing.assert_array_equal(read_mask(turned), np.rot90(mask * 255, -1))  # upright, as its photo is


def test_every_file_cut_short_is_refused_by_its_scanner() -> None:
    for name, data in fuzz_support.seed_corpus().items():
        if name == "multipage.tiff":
            continue  # only the first page is read: cutting later pages off leaves it whole
        fmt = sniff_format(data)
        assert fmt is not None and scan_header(data, fmt).width > 0, name
        for cut in range(16, len(data) - 1, max(1, len(data) // 50)):
            with pytest.raises(HeaderError):
                scan_header(data[:cut], fmt)
