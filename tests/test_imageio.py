"""Reading real image files from disk: formats, EXIF orientation, depths, alpha, bad input, size limit."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import imageio
from cutout_app.core.files.imageio import SUPPORTED_EXTENSIONS, Photo, is_supported_image, read_image

# --- building real files byte by byte -----------------------------------------------------------


def encode(ext: str, pixels_rgb: np.ndarray, params: list[int] | None = None) -> bytes:
    """Encode RGB/RGBA/gray pixels with OpenCV (which wants BGR order)."""
    px = pixels_rgb
    if px.ndim == 3:
        px = cv2.cvtColor(px, cv2.COLOR_RGB2BGR if px.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, data = cv2.imencode(ext, px, params or [])
    assert ok
    return data.tobytes()


def exif_block(orientation: int, little_endian: bool = False) -> bytes:
    """A TIFF-structured EXIF block whose IFD0 holds only the orientation tag."""
    bo = "<" if little_endian else ">"
    head = (b"II*\x00" if little_endian else b"MM\x00*") + struct.pack(bo + "I", 8)
    ifd = struct.pack(bo + "H", 1) + struct.pack(bo + "HHIH2x", 0x0112, 3, 1, orientation) + struct.pack(bo + "I", 0)
    return head + ifd


def jpeg_with_exif(jpeg: bytes, orientation: int, little_endian: bool = False, extra: bytes = b"") -> bytes:
    """Splice an APP1 Exif segment right after SOI; ``extra`` is appended inside it (e.g. a fake thumbnail)."""
    payload = b"Exif\x00\x00" + exif_block(orientation, little_endian) + extra
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png_with_exif(png: bytes, orientation: int) -> bytes:
    """Insert an eXIf chunk after IHDR (8-byte signature + 25-byte IHDR chunk)."""
    return png[:33] + png_chunk(b"eXIf", exif_block(orientation)) + png[33:]


def png_raw(samples: np.ndarray, color_type: int, width: int | None = None, height: int | None = None) -> bytes:
    """A PNG written by hand (filter 0 rows); 8 or 16 bit by dtype; IHDR size may be overridden."""
    h, w = samples.shape[:2]
    depth = 16 if samples.dtype == np.uint16 else 8
    rows = samples.astype(">u2" if depth == 16 else np.uint8).reshape(h, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    ihdr = struct.pack(">IIBBBBB", width or w, height or h, depth, color_type, 0, 0, 0)
    chunks = png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def webp_with_exif(webp: bytes, orientation: int, width: int, height: int) -> bytes:
    """Rewrap a simple (VP8L) WebP into the extended format with an EXIF chunk."""
    assert webp[12:16] == b"VP8L"
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x08, 0, 0, 0])
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    exif = exif_block(orientation, little_endian=True)
    body = b"WEBP" + vp8x + webp[12:] + b"EXIF" + struct.pack("<I", len(exif)) + exif
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tiff_raw(pixels: np.ndarray, orientation: int | None = None) -> bytes:
    """A minimal little-endian uncompressed TIFF (1, 3 or 4 channels; 8 or 16 bit)."""
    h, w = pixels.shape[:2]
    c = 1 if pixels.ndim == 2 else pixels.shape[2]
    bits = pixels.dtype.itemsize * 8
    data = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    tags = [(256, 4, 1, w), (257, 4, 1, h), (259, 3, 1, 1), (262, 3, 1, 1 if c == 1 else 2),
            (277, 3, 1, c), (278, 4, 1, h), (279, 4, 1, len(data)), (284, 3, 1, 1)]  # fmt: skip
    if orientation is not None:
        tags.append((274, 3, 1, orientation))
    if c == 4:
        tags.append((338, 3, 1, 2))  # unassociated alpha
    n = len(tags) + 2  # + BitsPerSample, StripOffsets
    extra_at = 8 + 2 + 12 * n + 4
    extra = struct.pack(f"<{c}H", *[bits] * c) if c > 2 else b""
    tags.append((258, 3, c, extra_at) if c > 2 else (258, 3, 1, bits))
    tags.append((273, 4, 1, extra_at + len(extra)))
    ifd = struct.pack("<H", n)
    for tag, typ, count, value in sorted(tags):
        fmt = "<HHIH2x" if typ == 3 and count == 1 else "<HHII"
        ifd += struct.pack(fmt, tag, typ, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + extra + data


def stored_for(display: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that a viewer applying ``orientation`` shows ``display``."""
    return {
        1: lambda d: d,
        2: np.fliplr,
        3: lambda d: np.rot90(d, 2),
        4: np.flipud,
        5: lambda d: d.transpose(1, 0, 2),
        6: lambda d: np.rot90(d, 1),  # shown turned 90 degrees clockwise
        7: lambda d: np.rot90(d, 2).transpose(1, 0, 2),
        8: lambda d: np.rot90(d, -1),  # shown turned 90 degrees counter-clockwise
    }[orientation](display).copy()


def quadrants(h: int = 48, w: int = 64) -> np.ndarray:
    """Four flat colours in 16-pixel-aligned quadrants (survive JPEG well) with a white corner mark."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, : w // 2] = (220, 30, 30)
    img[: h // 2, w // 2 :] = (30, 200, 30)
    img[h // 2 :, : w // 2] = (30, 30, 220)
    img[h // 2 :, w // 2 :] = (200, 200, 40)
    img[:16, :16] = 255
    return img


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int32) - b.astype(np.int32)).mean())


# --- formats --------------------------------------------------------------------------------------

LOSSLESS = {
    ".png": [],
    ".bmp": [],
    ".tif": [],
    ".tiff": [],
    ".webp": [cv2.IMWRITE_WEBP_QUALITY, 101],
}


@pytest.mark.parametrize("ext", sorted(LOSSLESS))
def test_lossless_formats_round_trip_exactly_in_rgb_order(tmp_path: Path, ext: str) -> None:
    rgb = make_photo(seed=3)
    path = write(tmp_path / f"photo{ext}", encode(ext, rgb, LOSSLESS[ext]))
    photo = read_image(path)
    assert photo.pixels.dtype == np.uint8 and photo.pixels.shape == (120, 160, 3)
    np.testing.assert_array_equal(photo.pixels, rgb)
    assert photo.path == path
    assert (photo.width, photo.height, photo.bit_depth, photo.has_alpha) == (160, 120, 8, False)
    assert photo.rgb8() is photo.pixels


@pytest.mark.parametrize("ext,params", [(".jpg", []), (".jpeg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), (".webp", [])])
def test_lossy_formats_round_trip_closely_in_rgb_order(tmp_path: Path, ext: str, params: list[int]) -> None:
    rgb = quadrants()
    photo = read_image(write(tmp_path / f"photo{ext}", encode(ext, rgb, params)))
    assert photo.pixels.shape == rgb.shape and photo.pixels.dtype == np.uint8
    assert mean_abs_diff(photo.pixels, rgb) < 4
    assert photo.pixels[30, 5, 2] > 180 and photo.pixels[30, 5, 0] < 70  # blue stays blue (not BGR)


def test_content_decides_the_format_not_the_suffix(tmp_path: Path) -> None:
    rgb = make_photo(seed=4)
    photo = read_image(write(tmp_path / "really-a-png.JPG", encode(".png", rgb)))
    np.testing.assert_array_equal(photo.pixels, rgb)


def test_jpeg_with_data_after_the_end_marker_reads(tmp_path: Path) -> None:
    """Motion photos append a video after EOI: that is not truncation."""
    data = encode(".jpg", quadrants()) + b"ftypmp42" + bytes(range(256)) * 4
    assert read_image(write(tmp_path / "motion.jpg", data)).pixels.shape == (48, 64, 3)


def test_non_ascii_path(tmp_path: Path) -> None:
    rgb = quadrants()
    path = write(tmp_path / "照片" / "猫.jpg", encode(".jpg", rgb))
    photo = read_image(path)
    assert photo.path == path
    assert mean_abs_diff(photo.pixels, rgb) < 4


def test_supported_extensions() -> None:
    assert {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"} <= SUPPORTED_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in SUPPORTED_EXTENSIONS)
    assert is_supported_image(Path("a/B.JPG")) and is_supported_image("x.tiff")
    assert not is_supported_image("notes.txt") and not is_supported_image("noext")


# --- depth, channels ------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_grayscale_becomes_rgb(tmp_path: Path, ext: str) -> None:
    gray = cv2.cvtColor(quadrants(), cv2.COLOR_RGB2GRAY)
    photo = read_image(write(tmp_path / f"gray{ext}", encode(ext, gray)))
    assert photo.pixels.shape == (48, 64, 3) and photo.pixels.dtype == np.uint8
    assert np.array_equal(photo.pixels[..., 0], photo.pixels[..., 1])
    assert np.array_equal(photo.pixels[..., 1], photo.pixels[..., 2])
    assert mean_abs_diff(photo.pixels[..., 0], gray) < 3


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16_bit_rgb_is_kept_and_rgb8_scales(tmp_path: Path, ext: str) -> None:
    rng = np.random.default_rng(5)
    rgb16 = rng.integers(0, 65536, (40, 50, 3), dtype=np.uint16)
    photo = read_image(write(tmp_path / f"deep{ext}", encode(ext, rgb16)))
    assert photo.pixels.dtype == np.uint16 and photo.bit_depth == 16
    np.testing.assert_array_equal(photo.pixels, rgb16)
    rgb8 = photo.rgb8()
    assert rgb8.dtype == np.uint8 and rgb8.shape == (40, 50, 3)
    np.testing.assert_array_equal(rgb8, np.round(rgb16 / 257.0).astype(np.uint8))


def test_16_bit_grayscale_png_becomes_16_bit_rgb(tmp_path: Path) -> None:
    gray16 = np.linspace(0, 65535, 30 * 40).reshape(30, 40).astype(np.uint16)
    photo = read_image(write(tmp_path / "g16.png", encode(".png", gray16)))
    assert photo.pixels.shape == (30, 40, 3) and photo.pixels.dtype == np.uint16
    np.testing.assert_array_equal(photo.pixels[..., 1], gray16)


def test_rgba_png_keeps_alpha_and_rgb8_drops_it(tmp_path: Path) -> None:
    rgb = make_photo(seed=6)
    alpha = np.tile(np.arange(160, dtype=np.uint8), (120, 1))
    rgba = np.dstack([rgb, alpha])
    photo = read_image(write(tmp_path / "rgba.png", encode(".png", rgba)))
    assert photo.has_alpha and photo.pixels.shape == (120, 160, 4)
    np.testing.assert_array_equal(photo.pixels, rgba)
    np.testing.assert_array_equal(photo.rgb8(), rgb)


def test_16_bit_rgba_png_rgb8_drops_alpha_and_scales(tmp_path: Path) -> None:
    rgba16 = np.full((10, 12, 4), 65535, np.uint16)
    rgba16[..., 0] = 257 * 100
    rgba16[..., 3] = 1000
    photo = read_image(write(tmp_path / "rgba16.png", encode(".png", rgba16)))
    assert photo.has_alpha and photo.bit_depth == 16
    np.testing.assert_array_equal(photo.pixels, rgba16)
    assert photo.rgb8().shape == (10, 12, 3) and int(photo.rgb8()[0, 0, 0]) == 100


def test_gray_with_alpha_png_becomes_rgba(tmp_path: Path) -> None:
    ga = np.zeros((8, 10, 2), np.uint8)
    ga[..., 0] = 90
    ga[..., 1] = np.arange(10, dtype=np.uint8) * 20
    photo = read_image(write(tmp_path / "ga.png", png_raw(ga, color_type=4)))
    assert photo.pixels.shape == (8, 10, 4)
    assert (photo.pixels[..., :3] == 90).all()
    np.testing.assert_array_equal(photo.pixels[..., 3], ga[..., 1])


def test_photo_validates_its_pixels() -> None:
    with pytest.raises(ValueError):
        Photo(np.zeros((4, 4), np.uint8), None)
    with pytest.raises(ValueError):
        Photo(np.zeros((4, 4, 3), np.float32), None)
    photo = Photo(np.zeros((4, 5, 3), np.uint8), "x.png")  # type: ignore[arg-type]
    assert photo.path == Path("x.png") and "5x4" in repr(photo)


# --- EXIF orientation -----------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_exif_orientation_all_eight(tmp_path: Path, orientation: int) -> None:
    display = quadrants()
    stored = stored_for(display, orientation)
    data = jpeg_with_exif(encode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 95]), orientation, orientation % 2 == 0)
    photo = read_image(write(tmp_path / f"o{orientation}.jpg", data))
    assert photo.pixels.shape == display.shape
    assert mean_abs_diff(photo.pixels, display) < 4


def test_orientation_6_turns_the_top_left_corner_to_the_top_right(tmp_path: Path) -> None:
    stored = np.zeros((48, 64, 3), np.uint8)
    stored[:16, :16] = (255, 0, 0)  # red square top-left as stored by the sensor
    photo = read_image(write(tmp_path / "o6.jpg", jpeg_with_exif(encode(".jpg", stored), 6)))
    assert photo.pixels.shape == (64, 48, 3)
    assert photo.pixels[4, -4, 0] > 200 and photo.pixels[4, 4, 0] < 50


def test_exif_thumbnail_inside_app1_does_not_hide_truncation(tmp_path: Path) -> None:
    thumb = b"\xff\xd8\xff\xdb" + bytes(20) + b"\xff\xd9"  # EOI of a thumbnail inside the Exif segment
    data = jpeg_with_exif(encode(".jpg", make_photo()), 3, extra=thumb)
    assert read_image(write(tmp_path / "ok.jpg", data)).pixels.shape == (120, 160, 3)
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(write(tmp_path / "cut.jpg", data[: len(data) * 2 // 3]))


def test_png_exif_orientation(tmp_path: Path) -> None:
    display = make_photo(seed=7)
    data = png_with_exif(encode(".png", stored_for(display, 8)), 8)
    np.testing.assert_array_equal(read_image(write(tmp_path / "o8.png", data)).pixels, display)


def test_webp_exif_orientation(tmp_path: Path) -> None:
    display = make_photo(seed=8)
    stored = stored_for(display, 6)
    webp = encode(".webp", stored, [cv2.IMWRITE_WEBP_QUALITY, 101])
    data = webp_with_exif(webp, 6, stored.shape[1], stored.shape[0])
    np.testing.assert_array_equal(read_image(write(tmp_path / "o6.webp", data)).pixels, display)


@pytest.mark.parametrize("orientation", [3, 5, 6])
def test_tiff_orientation(tmp_path: Path, orientation: int) -> None:
    display = make_photo(seed=9)
    data = tiff_raw(stored_for(display, orientation), orientation)
    np.testing.assert_array_equal(read_image(write(tmp_path / "o.tif", data)).pixels, display)


# --- bad input ------------------------------------------------------------------------------------


def expect_error(path: Path, reason: str) -> ImageReadError:
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    message = str(info.value)
    assert path.name in message and reason in message, message
    assert info.value.path == str(path)
    return info.value


def test_empty_file(tmp_path: Path) -> None:
    expect_error(write(tmp_path / "empty.jpg", b""), "file is empty")


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nowhere.jpg", "file not found")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    expect_error(folder, "folder")


def test_random_bytes_with_jpg_suffix(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    expect_error(write(tmp_path / "noise.jpg", noise), "not an image or unsupported format")


def test_text_file(tmp_path: Path) -> None:
    expect_error(write(tmp_path / "notes.png", "hello, 世界\n".encode() * 50), "not an image or unsupported format")


@pytest.mark.parametrize(
    "ext,params",
    [(".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), (".png", []), (".webp", []), (".bmp", []),
     (".tif", [])],  # fmt: skip
)
@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_files(tmp_path: Path, ext: str, params: list[int], keep: float) -> None:
    data = encode(ext, make_photo(seed=10), params)
    expect_error(write(tmp_path / f"cut{ext}", data[: int(len(data) * keep)]), "truncated or corrupt")


def test_jpeg_missing_only_its_end_marker(tmp_path: Path) -> None:
    data = encode(".jpg", make_photo())
    assert data.endswith(b"\xff\xd9")
    expect_error(write(tmp_path / "noeoi.jpg", data[:-2]), "truncated")


def test_png_missing_only_iend(tmp_path: Path) -> None:
    data = encode(".png", make_photo())
    expect_error(write(tmp_path / "noiend.png", data[:-12]), "truncated")


def test_garbage_after_a_valid_header(tmp_path: Path) -> None:
    head = encode(".png", make_photo())[:33]  # signature + IHDR, then nonsense chunks
    bogus_idat = b"\x00\x00\x00\x04IDAT" + b"zzzz" + bytes(4)  # not zlib data, wrong CRC
    expect_error(write(tmp_path / "bad.png", head + bogus_idat + png_chunk(b"IEND", b"")), "truncated or corrupt")


# --- size limit -----------------------------------------------------------------------------------


def test_pixel_limit_after_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "photo.bmp", encode(".bmp", make_photo()))
    monkeypatch.setattr(imageio, "MAX_PIXELS", 160 * 120 - 1)
    error = expect_error(path, "too large")
    assert "160 x 120" in str(error)
    monkeypatch.setattr(imageio, "MAX_PIXELS", 160 * 120)
    assert read_image(path).width == 160


def test_huge_png_is_refused_from_its_header(tmp_path: Path) -> None:
    """An IHDR claiming 100000 x 100000 is refused before any decoding is attempted."""
    data = png_raw(np.zeros((2, 2, 3), np.uint8), color_type=2, width=100_000, height=100_000)
    expect_error(write(tmp_path / "huge.png", data), "too large")


def test_huge_jpeg_is_refused_from_its_header(tmp_path: Path) -> None:
    data = bytearray(encode(".jpg", make_photo()))
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    expect_error(write(tmp_path / "huge.jpg", bytes(data)), "too large")


def test_tiff_with_missing_strip_data(tmp_path: Path) -> None:
    data = tiff_raw(make_photo(seed=11))  # directory first, pixels last
    expect_error(write(tmp_path / "cut.tiff", data[: len(data) - 100]), "truncated or corrupt")


@pytest.mark.parametrize("kind", ["jpg", "png", "tiff"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_masks_are_upright_as_their_photos_are(tmp_path: Path, kind: str, orientation: int) -> None:
    """read_mask goes through the photo's checks and turns the mask by the same EXIF orientation."""
    display = make_photo(seed=12)
    stored = stored_for(display, orientation)
    data = {"jpg": lambda: jpeg_with_exif(encode(".jpg", stored), orientation),
            "png": lambda: png_with_exif(encode(".png", stored), orientation),
            "tiff": lambda: tiff_raw(stored, orientation)}[kind]()  # fmt: skip
    path = write(tmp_path / f"mask.{kind}", data)
    mask = imageio.read_mask(path)
    gray = cv2.cvtColor(read_image(path).pixels, cv2.COLOR_RGB2GRAY)
    assert mask.shape == (120, 160)
    assert np.abs(mask.astype(int) - gray).max() <= (8 if kind == "jpg" else 1)  # libjpeg's own gray for JPEG
