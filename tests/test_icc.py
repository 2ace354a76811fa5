"""The photo's ICC colour profile: read from JPEG, PNG and WebP files and carried into the exported PNG."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo
from icc_support import display_p3_profile, jpeg_with_profile, webp_with_profile

from cutout_app.core.files import icc
from cutout_app.core.files.export import export_result
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.files.imageio import read_image
from cutout_app.core.files.safe_decode import read_image_protected

P3 = display_p3_profile()


def _png_with_profile(rgb: np.ndarray, profile: bytes) -> bytes:
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return icc.embed_in_png(png.tobytes(), profile)


def test_the_test_profile_is_a_profile() -> None:
    assert icc.is_profile(P3) and b"D\x00i\x00s\x00p\x00l\x00a\x00y\x00 \x00P\x003" in P3
    assert not icc.is_profile(P3[:-4]) and not icc.is_profile(b"x" * 200) and not icc.is_profile(None)


@pytest.mark.parametrize("kind", ["jpeg", "jpeg in pieces", "png", "webp"])
def test_read_image_finds_the_profile(tmp_path: Path, kind: str) -> None:
    rgb = make_photo()
    data = {
        "jpeg": lambda: jpeg_with_profile(rgb, P3),
        "jpeg in pieces": lambda: jpeg_with_profile(rgb, P3, piece=100),
        "png": lambda: _png_with_profile(rgb, P3),
        "webp": lambda: webp_with_profile(rgb, P3),
    }[kind]()
    path = tmp_path / f"photo.{ {'png': 'png', 'webp': 'webp'}.get(kind, 'jpg') }"
    path.write_bytes(data)
    photo = read_image(path)
    assert photo.icc_profile == P3
    assert read_image_protected(path).icc_profile == P3  # batches decode in a child process: it comes along
    assert photo.pixels.shape == rgb.shape
    if kind in ("png", "webp"):  # lossless: the profile did not disturb the pixels
        np.testing.assert_array_equal(photo.pixels, rgb)


def test_photos_without_or_with_a_broken_profile_have_none(tmp_path: Path) -> None:
    rgb = make_photo()
    ok, jpg = cv2.imencode(".jpg", rgb)
    (tmp_path / "plain.jpg").write_bytes(jpg.tobytes())
    assert read_image(tmp_path / "plain.jpg").icc_profile is None
    broken = jpeg_with_profile(rgb, P3, piece=100)
    broken = broken.replace(icc.JPEG_ICC_MARKER + bytes([2]), icc.JPEG_ICC_MARKER + bytes([1]), 1)  # piece 2 missing
    (tmp_path / "broken.jpg").write_bytes(broken)
    photo = read_image(tmp_path / "broken.jpg")
    assert photo.icc_profile is None and photo.pixels.shape == rgb.shape


@pytest.mark.parametrize("mode", [ExportMode.RGBA, ExportMode.BACKGROUND, ExportMode.MASK])
def test_the_exported_png_keeps_the_profile(tmp_path: Path, mode: ExportMode) -> None:
    src = tmp_path / "p3.jpg"
    src.write_bytes(jpeg_with_profile(make_photo(), P3))
    photo = read_image(src)
    alpha = np.zeros((photo.height, photo.width), np.uint8)
    alpha[20:100, 30:130] = 255
    out = export_result(photo, alpha, tmp_path / "cut.png", ExportOptions(mode=mode))
    data = out.read_bytes()
    # A mask holds no colours: an RGB profile in a grey PNG would be invalid.
    assert icc.png_profile(data) == (None if mode is ExportMode.MASK else P3)
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert back is not None and back.shape[:2] == alpha.shape  # still a PNG that decoders read
    assert read_image(out).icc_profile == (None if mode is ExportMode.MASK else P3)


def test_embedding_twice_is_refused() -> None:
    once = _png_with_profile(make_photo(), P3)
    with pytest.raises(ValueError):
        icc.embed_in_png(once, P3)
    with pytest.raises(ValueError):
        icc.embed_in_png(b"not a png", P3)


def test_a_profile_over_the_cap_is_dropped_with_a_note(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 4 MB profile made a PNG that Pillow refuses to open: it is left out of the photo and so of the export."""
    big = bytearray(P3 + bytes(4 << 20))
    big[:4] = len(big).to_bytes(4, "big")  # still a well-formed profile, only too large
    path = tmp_path / "big-profile.png"
    path.write_bytes(_png_with_profile(make_photo(), bytes(big)))
    with caplog.at_level("WARNING", logger="cutout_app.core.files.icc"):
        photo = read_image(path)
    assert photo.icc_profile is None and "dropped" in caplog.text
    out = export_result(photo, np.full((photo.height, photo.width), 255, np.uint8), tmp_path / "cut.png", ExportOptions())
    assert icc.png_profile(out.read_bytes()) is None
    edge = bytearray(P3 + bytes(icc.MAX_PROFILE_BYTES - len(P3)))
    edge[:4] = len(edge).to_bytes(4, "big")
    assert icc.is_profile(bytes(edge))  # exactly at the cap: carried over
