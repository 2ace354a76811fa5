"""Real colour-profile test material: a Display P3 ICC profile built here, and photo files that embed it."""

from __future__ import annotations

import struct

import cv2
import numpy as np

from cutout_app.core.files.icc import JPEG_ICC_MARKER


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _mluc(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return b"mluc" + bytes(4) + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(encoded), 28) + encoded


def display_p3_profile() -> bytes:
    """A v4 matrix/TRC display profile with Display P3's primaries (D50-adapted) and the sRGB curve."""
    srgb_curve = b"para" + bytes(4) + struct.pack(">HH", 3, 0) + b"".join(
        _s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045))
    tags = [
        (b"desc", _mluc("Display P3")),
        (b"cprt", _mluc("No copyright, test material")),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.5151, 0.2412, -0.0011)),
        (b"gXYZ", _xyz(0.2920, 0.6922, 0.0419)),
        (b"bXYZ", _xyz(0.1571, 0.0666, 0.7841)),
        (b"rTRC", srgb_curve),
        (b"gTRC", srgb_curve),
        (b"bTRC", srgb_curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x04300000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + bytes(24) + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(4) + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + table + data


def jpeg_with_profile(rgb: np.ndarray, profile: bytes, piece: int = 65519) -> bytes:
    """A JPEG of ``rgb`` whose profile is stored in APP2 segments of at most ``piece`` bytes each."""
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    pieces = [profile[i : i + piece] for i in range(0, len(profile), piece)]
    marker = JPEG_ICC_MARKER
    segments = b"".join(
        b"\xff\xe2" + struct.pack(">H", 4 + len(marker) + len(p)) + marker + bytes([k, len(pieces)]) + p
        for k, p in enumerate(pieces, start=1)
    )
    data = jpg.tobytes()
    return data[:2] + segments + data[2:]


def webp_with_profile(rgb: np.ndarray, profile: bytes) -> bytes:
    """A lossless WebP of ``rgb`` in the extended format (VP8X) with an ICCP chunk."""
    ok, webp = cv2.imencode(".webp", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert ok
    image_chunk = webp.tobytes()[12:]
    h, w = rgb.shape[:2]
    canvas = (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x20, 0, 0, 0]) + canvas  # 0x20: has an ICC profile
    iccp = b"ICCP" + struct.pack("<I", len(profile)) + profile + bytes(len(profile) & 1)
    body = b"WEBP" + vp8x + iccp + image_chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body
