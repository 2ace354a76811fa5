"""Reading photos from disk: JPEG, PNG, WebP, BMP and TIFF, with EXIF orientation applied.

Files are read as bytes and decoded with ``cv2.imdecode`` so that paths with any characters work
(``cv2.imread`` cannot open non-ASCII paths on Windows). Before decoding, a small parser walks the
file's structure: it finds the pixel size (to refuse huge photos before allocating them), the EXIF
orientation (``IMREAD_UNCHANGED`` ignores it) and whether the file is cut short (libjpeg decodes a
truncated JPEG into a half-grey picture with only a warning). It also takes the animation chunks out of
an animated PNG before decoding: only the still image is wanted, and OpenCV's APNG code crashes the
process (SIGSEGV) on some damaged ones, e.g. an ``fdAT`` chunk too short for its sequence number.

Decoding untrusted files in a process that must survive a decoder crash: :mod:`cutout_app.core.files.safe_decode`.
"""

from __future__ import annotations

import errno
import functools
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import icc

#: Photos with more pixels than this are refused (a 250 MP RGB photo is 750 MB decoded).
MAX_PIXELS = 250_000_000

#: libpng refuses PNGs wider or taller than this (its default user limit, PNG_USER_WIDTH/HEIGHT_MAX).
PNG_MAX_SIDE = 1_000_000

#: File name suffixes (lower case, with the dot) of the formats cutout reads.
SUPPORTED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff"})

_ORIENTATION_TAG = 0x0112
_REASON_TRUNCATED = "file is truncated or corrupt"
#: APNG chunks: animation control, frame control, frame data. Without them an APNG is a plain PNG.
_APNG_CHUNKS = frozenset({b"acTL", b"fcTL", b"fdAT"})


@dataclass(eq=False, repr=False)
class Photo:
    """A decoded photo at full resolution.

    ``pixels`` is HxWx3 RGB or HxWx4 RGBA (straight alpha), uint8 or uint16; grayscale files are
    expanded to RGB. ``path`` is the file it came from, or None for an in-memory photo.
    ``icc_profile`` is the file's embedded colour profile (JPEG, PNG, WebP), None if it has none.
    """

    pixels: np.ndarray
    path: Path | None = None
    icc_profile: bytes | None = None

    def __post_init__(self) -> None:
        px = self.pixels
        if not isinstance(px, np.ndarray) or px.ndim != 3 or px.shape[2] not in (3, 4):
            raise ValueError(f"Photo pixels must be HxWx3 or HxWx4, got {getattr(px, 'shape', type(px))}")
        if px.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"Photo pixels must be uint8 or uint16, got {px.dtype}")
        if self.path is not None:
            self.path = Path(self.path)

    @property
    def height(self) -> int:
        """Rows of pixels."""
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        """Columns of pixels."""
        return int(self.pixels.shape[1])

    @property
    def has_alpha(self) -> bool:
        """True if the photo has its own transparency channel."""
        return self.pixels.shape[2] == 4

    @property
    def bit_depth(self) -> int:
        """Bits per channel: 8 or 16."""
        return 16 if self.pixels.dtype == np.uint16 else 8

    def rgb8(self) -> np.ndarray:
        """The photo as HxWx3 uint8 RGB, what the model sees (alpha dropped, 16 bit scaled to 8).

        For an 8-bit RGB photo this is ``pixels`` itself, not a copy: do not modify it.
        """
        px = self.pixels
        if self.has_alpha:
            px = cv2.cvtColor(px, cv2.COLOR_RGBA2RGB)
        if px.dtype == np.uint16:
            px = cv2.convertScaleAbs(px, alpha=255.0 / 65535.0)  # rounds and saturates
        return px

    def __repr__(self) -> str:
        kind = "RGBA" if self.has_alpha else "RGB"
        return f"Photo({self.width}x{self.height} {kind} {self.bit_depth}-bit, path={str(self.path)!r})"


def is_supported_image(path: str | Path) -> bool:
    """True if the file name ends in a suffix of a format cutout reads (the content is not checked)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def read_image(path: str | Path) -> Photo:
    """Read a photo file into a :class:`Photo`, upright according to its EXIF orientation.

    Raises :class:`ImageReadError` naming the file and the reason: not found, a folder, a broken link,
    empty, not an image, truncated or corrupt, or larger than :data:`MAX_PIXELS`.
    """
    path = Path(path)
    return decode_image(_read_bytes(path), path)


def decode_image(data: bytes, path: str | Path | None = None) -> Photo:
    """Decode the bytes of a photo file into a :class:`Photo` (what :func:`read_image` does after reading).

    ``path`` only names the file in errors and in ``Photo.path``. Raises :class:`ImageReadError`.
    """
    name = Path(path) if path is not None else Path("<memory>")
    if not data:
        raise ImageReadError(name, "file is empty")
    fmt = _sniff_format(data)
    if fmt is None:
        raise ImageReadError(name, "not an image or unsupported format")

    try:
        header = _SCANNERS[fmt](data)
    except _Truncated as exc:
        raise ImageReadError(name, f"{_REASON_TRUNCATED} ({exc})") from None
    except (struct.error, IndexError, ValueError):
        header = _Header()  # a structure this parser does not follow: let the decoder judge it
    if header.width and header.height:
        _check_size(name, header.width, header.height)
    if fmt == "png" and max(header.width, header.height) > PNG_MAX_SIDE:
        raise ImageReadError(
            name,
            f"image is too large: {header.width} x {header.height} pixels; "
            f"the PNG decoder reads at most {PNG_MAX_SIDE:,} pixels per side",
        )
    if header.drop:
        data = _without_spans(data, header.drop)

    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        img = None
    except MemoryError:
        raise ImageReadError(name, "not enough memory to decode the image") from None
    del data
    if img is None or img.size == 0:
        raise ImageReadError(name, _REASON_TRUNCATED)
    _check_size(name, img.shape[1], img.shape[0])

    pixels = _to_rgb(name, img)
    del img
    orientation = header.orientation
    if fmt == "tiff" and _cv2_applies_tiff_orientation():
        orientation = 1
    upright = _apply_orientation(pixels, orientation)
    return Photo(upright, Path(path) if path is not None else None, header.icc_profile())


def _without_spans(data: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``data`` with the byte ranges ``[start, end)`` (sorted, not overlapping) left out."""
    parts, pos = [], 0
    for start, end in spans:
        parts.append(data[pos:start])
        pos = end
    parts.append(data[pos:])
    return b"".join(parts)


# --- reading and checking ---------------------------------------------------------------------


def read_mask(path: str | Path) -> np.ndarray:
    """A ground-truth mask file as uint8 H x W with 255 = foreground; 0/1 label images are scaled up.

    Raises :class:`ImageReadError` if the file cannot be read or decoded.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if _sniff_format(raw) == "png":
        try:
            raw = _without_spans(raw, _scan_png(raw).drop)
        except (_Truncated, struct.error):
            pass  # the decoder judges it
    data = np.frombuffer(raw, np.uint8)
    mask = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if mask is None:
        raise ImageReadError(path, "not a readable mask image")
    if mask.max() <= 1:
        mask = mask * np.uint8(255)
    return mask


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise ImageReadError(path, "is a folder, not an image file")
        return path.read_bytes()
    except FileNotFoundError:
        if path.is_symlink():
            raise ImageReadError(path, f"broken link: its target '{os.readlink(path)}' does not exist") from None
        raise ImageReadError(path, "file not found") from None
    except IsADirectoryError:
        raise ImageReadError(path, "is a folder, not an image file") from None
    except PermissionError:
        raise ImageReadError(path, "permission denied") from None
    except MemoryError:
        raise ImageReadError(path, "not enough memory to read the file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageReadError(path, "broken link: it leads back to itself (a symbolic link loop)") from None
        raise ImageReadError(path, f"could not read the file ({exc.strerror or exc})") from None


def _check_size(path: Path, width: int, height: int) -> None:
    pixels = int(width) * int(height)
    if pixels > MAX_PIXELS:
        raise ImageReadError(
            path,
            f"image is too large: {width} x {height} pixels ({pixels / 1e6:.1f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:g} megapixels",
        )


def _to_rgb(path: Path, img: np.ndarray) -> np.ndarray:
    """Decoded cv2 pixels (gray, BGR, BGRA; any depth) to RGB/RGBA uint8/uint16, in place where possible."""
    if img.dtype.kind == "f":
        img = (np.clip(img, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    elif img.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(path, f"unsupported pixel format ({img.dtype} samples)")

    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    channels = img.shape[2]
    if channels == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=img)
    if channels == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA, dst=img)
    if channels == 2:  # gray + alpha
        rgba = cv2.cvtColor(np.ascontiguousarray(img[:, :, 0]), cv2.COLOR_GRAY2RGBA)
        rgba[:, :, 3] = img[:, :, 1]
        return rgba
    raise ImageReadError(path, f"unsupported number of channels ({channels})")


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright according to an EXIF orientation value (1..8)."""
    if orientation == 2:
        return cv2.flip(img, 1)
    if orientation == 3:
        return cv2.rotate(img, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(img, 0)
    if orientation == 5:
        return cv2.transpose(img)
    if orientation == 6:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(img), -1)
    if orientation == 8:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


@functools.cache
def _cv2_applies_tiff_orientation() -> bool:
    """Whether this OpenCV's TIFF decoder turns images upright itself (OpenCV 5 does).

    Decodes a 2x1 gray TIFF tagged "mirrored" (orientation 2) and looks which pixel comes first.
    """
    entries = [(256, 3, 2), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0),
               (274, 3, 2), (277, 3, 1), (278, 3, 1), (279, 4, 2)]  # fmt: skip
    pixel_offset = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, typ, value in entries:
        value = pixel_offset if tag == 273 else value
        ifd += struct.pack("<HHIH2x" if typ == 3 else "<HHII", tag, typ, 1, value)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + bytes([0, 255])
    try:
        img = cv2.imdecode(np.frombuffer(tiff, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return False
    return img is not None and int(img.reshape(-1)[0]) == 255


# --- format sniffing and structure scanning ---------------------------------------------------


class _Truncated(Exception):
    """The file's structure runs past its end."""


@dataclass
class _Header:
    width: int = 0  # 0: unknown
    height: int = 0
    orientation: int = 1
    drop: list[tuple[int, int]] = field(default_factory=list)  # byte ranges to leave out before decoding
    icc_jpeg: list[bytes] = field(default_factory=list)  # APP2 ICC_PROFILE payloads
    icc_png: bytes | None = None  # the iCCP chunk's body
    icc_webp: bytes | None = None  # the ICCP chunk's body

    def icc_profile(self) -> bytes | None:
        """The embedded colour profile, None if there is none or it is broken."""
        if self.icc_jpeg:
            return icc.from_jpeg_segments(self.icc_jpeg)
        if self.icc_png is not None:
            return icc.from_png_iccp(self.icc_png)
        if self.icc_webp is not None:
            return icc.from_webp_iccp(self.icc_webp)
        return None


def _sniff_format(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:2] == b"BM" and len(data) >= 14:
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


def _read_ifd0(block: bytes | memoryview, tags: set[int]) -> dict[int, tuple[int, ...]]:
    """Integer values of ``tags`` in the first IFD of a TIFF-structured block (TIFF file or EXIF).

    Raises struct.error or _Truncated when the block is cut short.
    """
    order = {b"II": "<", b"MM": ">"}.get(bytes(block[:2]))
    if order is None:
        return {}
    (ifd,) = struct.unpack_from(order + "I", block, 4)
    if ifd + 2 > len(block):
        raise _Truncated("directory past the end of the file")
    (count,) = struct.unpack_from(order + "H", block, ifd)
    sizes = {1: ("B", 1), 3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
    found: dict[int, tuple[int, ...]] = {}
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag, typ, n = struct.unpack_from(order + "HHI", block, entry)
        if tag not in tags or typ not in sizes:
            continue
        code, size = sizes[typ]
        where = entry + 8
        if n * size > 4:
            (where,) = struct.unpack_from(order + "I", block, entry + 8)
            if where + n * size > len(block):
                raise _Truncated("tag values past the end of the file")
        found[tag] = struct.unpack_from(f"{order}{n}{code}", block, where)
    return found


def _exif_orientation(block: bytes | memoryview) -> int:
    """The orientation (1..8) in an EXIF block (with or without the ``Exif\\0\\0`` prefix); 1 if none."""
    if bytes(block[:6]) == b"Exif\x00\x00":
        block = block[6:]
    try:
        value = _read_ifd0(block, {_ORIENTATION_TAG}).get(_ORIENTATION_TAG, (1,))[0]
    except (struct.error, _Truncated):
        return 1
    return value if 1 <= value <= 8 else 1


def _scan_jpeg(data: bytes) -> _Header:
    """Walk the JPEG's segments up to EOI: size from SOFn, orientation from APP1 Exif."""
    header = _Header()
    n = len(data)
    view = memoryview(data)
    arr = np.frombuffer(data, np.uint8)
    # Positions of real markers: 0xFF followed by a byte that is not stuffing (00), fill (FF) or RSTn.
    ff = np.flatnonzero(arr[:-1] == 0xFF)
    follow = arr[ff + 1]
    markers = ff[(follow != 0x00) & (follow != 0xFF) & ((follow < 0xD0) | (follow > 0xD7))]
    exif_seen = False
    pos = 2
    while True:
        if pos >= n - 1 or data[pos] != 0xFF or data[pos + 1] in (0x00, 0xFF):
            # Entropy-coded data or stray bytes: skip to the next marker, as libjpeg does.
            i = int(np.searchsorted(markers, pos))
            if i >= len(markers):
                raise _Truncated("the end-of-image marker is missing")
            pos = int(markers[i])
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI
            return header
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            pos += 2
            continue
        if pos + 4 > n:
            raise _Truncated("segment header past the end of the file")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if end > n:
            raise _Truncated("segment past the end of the file")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF) and length >= 7:
            header.height, header.width = struct.unpack_from(">HH", data, pos + 5)
        elif marker == 0xE1 and not exif_seen and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            exif_seen = True
            header.orientation = _exif_orientation(view[pos + 4 : end])
        elif marker == 0xE2 and data[pos + 4 : pos + 4 + len(icc.JPEG_ICC_MARKER)] == icc.JPEG_ICC_MARKER:
            header.icc_jpeg.append(data[pos + 4 : end])
        pos = end


def _scan_png(data: bytes) -> _Header:
    """Walk the PNG's chunks up to IEND: size from IHDR, orientation from eXIf, APNG chunks to drop."""
    header = _Header()
    n = len(data)
    view = memoryview(data)
    pos = 8
    while True:
        if pos + 8 > n:
            raise _Truncated("the IEND chunk is missing")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > n:
            raise _Truncated(f"{ctype.decode('latin-1')} chunk past the end of the file")
        if ctype == b"IHDR" and length >= 8:
            header.width, header.height = struct.unpack_from(">II", data, pos + 8)
        elif ctype == b"eXIf":
            header.orientation = _exif_orientation(view[pos + 8 : pos + 8 + length])
        elif ctype in _APNG_CHUNKS:
            header.drop.append((pos, end))
        elif ctype == b"iCCP" and header.icc_png is None:
            header.icc_png = data[pos + 8 : pos + 8 + length]
        elif ctype == b"IEND":
            return header
        pos = end


def _scan_webp(data: bytes) -> _Header:
    """Walk the WebP's RIFF chunks: size from VP8X/VP8/VP8L, orientation from EXIF."""
    header = _Header()
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end_of_riff = 8 + riff_size
    if end_of_riff > len(data):
        raise _Truncated("RIFF data past the end of the file")
    view = memoryview(data)
    pos = 12
    while pos + 8 <= end_of_riff:
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + size > end_of_riff:
            raise _Truncated(f"{fourcc.decode('latin-1')} chunk past the end of the file")
        if fourcc == b"VP8X" and size >= 10:
            w = int.from_bytes(data[body + 4 : body + 7], "little") + 1
            h = int.from_bytes(data[body + 7 : body + 10], "little") + 1
            header.width, header.height = w, h
        elif fourcc == b"VP8 " and size >= 10 and not header.width:
            w, h = struct.unpack_from("<HH", data, body + 6)
            header.width, header.height = w & 0x3FFF, h & 0x3FFF
        elif fourcc == b"VP8L" and size >= 5 and not header.width:
            (bits,) = struct.unpack_from("<I", data, body + 1)
            header.width, header.height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        elif fourcc == b"EXIF":
            header.orientation = _exif_orientation(view[body : body + size])
        elif fourcc == b"ICCP":
            header.icc_webp = data[body : body + size]
        pos = body + size + (size & 1)
    return header


def _scan_bmp(data: bytes) -> _Header:
    """Read the BMP header's size; check an uncompressed bitmap's pixel rows fit in the file."""
    if len(data) < 26:
        raise _Truncated("header past the end of the file")
    offset, dib_size = struct.unpack_from("<II", data, 10)
    if dib_size == 12:
        w, h = struct.unpack_from("<HH", data, 18)
        return _Header(w, h)
    if dib_size < 40 or len(data) < 34:
        return _Header()
    w, h, _planes, bpp, compression = struct.unpack_from("<iiHHI", data, 18)
    w, h = abs(w), abs(h)
    if compression in (0, 3) and bpp in (1, 4, 8, 16, 24, 32):
        row = (w * bpp + 31) // 32 * 4
        if offset + row * h > len(data):
            raise _Truncated("pixel data past the end of the file")
    return _Header(w, h)


def _scan_tiff(data: bytes) -> _Header:
    """Read IFD0 of a classic TIFF: size, orientation, and whether the strips or tiles fit in the file."""
    if data[2:4] in (b"+\x00", b"\x00+"):  # BigTIFF: left to libtiff
        return _Header()
    wanted = {256, 257, _ORIENTATION_TAG, 273, 279, 324, 325}
    try:
        tags = _read_ifd0(data, wanted)
    except struct.error:
        raise _Truncated("directory past the end of the file") from None
    header = _Header(tags.get(256, (0,))[0], tags.get(257, (0,))[0])
    orientation = tags.get(_ORIENTATION_TAG, (1,))[0]
    header.orientation = orientation if 1 <= orientation <= 8 else 1
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        offsets, counts = tags.get(offsets_tag, ()), tags.get(counts_tag, ())
        if offsets and len(offsets) == len(counts):
            if max(o + c for o, c in zip(offsets, counts)) > len(data):
                raise _Truncated("pixel data past the end of the file")
    return header


_SCANNERS = {"jpeg": _scan_jpeg, "png": _scan_png, "webp": _scan_webp, "bmp": _scan_bmp, "tiff": _scan_tiff}
