"""The PNG encoder: every sample comes back exactly, in every depth and channel count, over many blocks."""

from __future__ import annotations

import zlib

import cv2
import numpy as np
import pytest
from conftest import make_photo
from icc_support import display_p3_profile

from cutout_app.core.files import icc, png_writer
from cutout_app.core.files.png_writer import adler32_combine, encode_png


def decoded(parts: list[bytes]) -> np.ndarray:
    """The PNG decoded by OpenCV (libpng), back in RGB(A) order."""
    img = cv2.imdecode(np.frombuffer(b"".join(parts), np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return img


def encode(image: np.ndarray, **kwargs) -> list[bytes]:
    channels = 1 if image.ndim == 2 else image.shape[2]
    return encode_png(lambda y0, y1: image[y0:y1], image.shape[0], image.shape[1], channels, image.dtype, **kwargs)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_round_trip_is_exact_across_blocks(channels: int, dtype: type, monkeypatch: pytest.MonkeyPatch) -> None:
    row_bytes = 61 * channels * np.dtype(dtype).itemsize
    monkeypatch.setattr(png_writer, "BLOCK_BYTES", 7 * row_bytes)  # 14 blocks, the last one shorter
    rng = np.random.default_rng(channels)
    high = np.iinfo(dtype).max
    image = rng.integers(0, high, (97, 61, channels), dtype=np.int64).astype(dtype)
    image[:40, :30] = 0  # runs, as transparent areas give
    image = image[:, :, 0] if channels == 1 else image
    parts = encode(image)
    assert len(parts) == 2 + 14 + 1  # signature, IHDR, an IDAT chunk per block, IEND
    back = decoded(parts)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)


def test_a_real_cut_out_round_trips_and_the_threads_change_nothing() -> None:
    rgba = np.dstack([make_photo(), np.tile(np.clip(np.arange(160) * 2 - 30, 0, 255).astype(np.uint8), (120, 1))])
    rgba[rgba[:, :, 3] == 0] = 0
    one, four = encode(rgba, workers=1), encode(rgba, workers=4)
    assert one == four
    np.testing.assert_array_equal(decoded(one), rgba)


def test_one_row_and_one_block() -> None:
    image = np.arange(12, dtype=np.uint8).reshape(1, 4, 3)
    np.testing.assert_array_equal(decoded(encode(image)), image)


def test_the_icc_profile_is_embedded() -> None:
    profile = display_p3_profile()
    parts = encode(make_photo(), icc_profile=profile)
    assert icc.png_profile(b"".join(parts)) == profile


def test_adler32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(0)
    for n1, n2 in [(0, 5), (5, 0), (1, 1), (70000, 123457), (3, 65521 * 2 + 7)]:
        a, b = rng.bytes(n1), rng.bytes(n2)
        assert adler32_combine(zlib.adler32(a), zlib.adler32(b), n2) == zlib.adler32(a + b)


def test_refuses_what_png_cannot_hold() -> None:
    with pytest.raises(ValueError):
        encode_png(lambda y0, y1: np.zeros((y1 - y0, 4, 2), np.uint8), 3, 4, 2, np.uint8)
    with pytest.raises(ValueError):
        encode_png(lambda y0, y1: np.zeros((y1 - y0, 4), np.float32), 3, 4, 1, np.float32)

