"""Reading photos from disk: JPEG, PNG, WebP, BMP and TIFF, with EXIF orientation applied.

Files are read as bytes (so that paths with any characters work, and only from regular files) and decoded
from those bytes (:func:`_decode_bytes`: on Linux through a memory file that ``cv2.imread`` fills an
output array from, elsewhere ``cv2.imdecode``). Before decoding, the header scanners
(:mod:`cutout_app.core.files.headers`) walk the file's structure the way the decoder will: the pixel
size (to refuse huge photos before allocating them), the EXIF orientation (``IMREAD_UNCHANGED``
ignores it), whether the file is cut short (libjpeg decodes a truncated JPEG into a half-grey picture
with only a warning), and what to leave out: only the still image of an animated PNG is wanted, and
OpenCV's APNG code crashes the process (SIGSEGV) on some damaged ones. A file whose structure the
scanners cannot follow is refused, never decoded unchecked. Photos and ground-truth masks go through
the same checks.

Decoding untrusted files in a process that must survive a decoder crash: :mod:`cutout_app.core.files.safe_decode`.
"""

from __future__ import annotations

import errno
import functools
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files.headers import Header, HeaderError, scan_header, sniff_format
from cutout_app.core.files.regular import FileTooLargeError, NotRegularFileError, read_regular

#: Photos with more pixels than this are refused (a 250 MP RGB photo is 750 MB decoded).
MAX_PIXELS = 250_000_000

#: The most bytes decoding one file may allocate, as its header tells before any decoder runs: samples
#: (channels x bytes per sample x pixels) and the decoder's working buffers (a progressive JPEG's
#: coefficients, a TIFF tile, an animated WebP's canvases), and the copy that makes them RGB where one is
#: needed. 8-bit RGB at :data:`MAX_PIXELS` (750 MB) fits; 16-bit RGBA at 250 MP (2 GB) does not.
DECODE_BUDGET_BYTES = 1 << 30

#: The largest file read as a photo or a mask: no honest photo within the decode budget is larger, and
#: the file's bytes are held while it decodes.
MAX_FILE_BYTES = DECODE_BUDGET_BYTES

#: libpng refuses PNGs wider or taller than this (its default user limit, PNG_USER_WIDTH/HEIGHT_MAX).
PNG_MAX_SIDE = 1_000_000

#: File name suffixes (lower case, with the dot) of the formats cutout reads.
SUPPORTED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff"})

_REASON_TRUNCATED = "file is truncated or corrupt"


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
    img, header, fmt = _decode_checked(data, name, cv2.IMREAD_UNCHANGED)
    del data
    pixels = _to_rgb(name, img)
    del img
    upright = _apply_orientation(pixels, _orientation_to_apply(header, fmt))
    return Photo(upright, Path(path) if path is not None else None, header.icc_profile())


def read_mask(path: str | Path) -> np.ndarray:
    """A ground-truth mask file as uint8 H x W with 255 = foreground; 0/1 label images are scaled up.

    Read with the same checks and limits as a photo (see :func:`decode_image`), upright by its EXIF
    orientation. Raises :class:`ImageReadError` if the file cannot be read or decoded.
    """
    path = Path(path)
    img, header, fmt = _decode_checked(_read_bytes(path), path, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    if img.ndim != 2 or img.dtype != np.uint8:
        raise ImageReadError(path, "not a readable mask image")
    mask = _apply_orientation(img, _orientation_to_apply(header, fmt))
    if mask.max() <= 1:
        mask = mask * np.uint8(255)
    return mask


def read_labels(path: str | Path) -> np.ndarray:
    """A label map (one uint8 label number a pixel, 0 = background) as uint8 H x W, values as stored.

    The same checks and limits as :func:`read_mask`, without its 0/1 scaling: a label stays a label.
    """
    path = Path(path)
    img, header, fmt = _decode_checked(_read_bytes(path), path, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    if img.ndim != 2 or img.dtype != np.uint8:
        raise ImageReadError(path, "not a readable label map")
    return _apply_orientation(img, _orientation_to_apply(header, fmt))


def _decode_checked(data: bytes, name: Path, flags: int) -> tuple[np.ndarray, Header, str]:
    """The decoded pixels (as ``cv2.imdecode`` gives them with ``flags``), the file's header and its format.

    The header is scanned first and must be sound: a damaged one refuses the file, and the size limits
    apply before and after decoding.
    """
    if not data:
        raise ImageReadError(name, "file is empty")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageReadError(name, "not an image or unsupported format")
    try:
        header = scan_header(data, fmt)
    except HeaderError as exc:
        raise ImageReadError(name, f"{_REASON_TRUNCATED} ({exc})") from None
    _check_size(name, header.width, header.height)
    # OpenCV's TIFF decoder turns a transposing orientation (5-8) upright itself, which imread's output array, sized
    # from the header, does not fit: those few go through imdecode, whose result Python gets as a copy.
    transposed = fmt == "tiff" and header.orientation in (5, 6, 7, 8)
    _check_cost(name, header, header.decoded_bytes() if transposed else 0)
    if fmt == "png" and max(header.width, header.height) > PNG_MAX_SIDE:
        raise ImageReadError(
            name,
            f"image is too large: {header.width} x {header.height} pixels; "
            f"the PNG decoder reads at most {PNG_MAX_SIDE:,} pixels per side",
        )
    if header.short_data:
        raise ImageReadError(name, f"{_REASON_TRUNCATED} ({header.short_data})")
    if header.drop:
        data = _without_spans(data, header.drop)
    try:
        img = _decode_bytes(data, flags, into_output=not transposed)
    except cv2.error:
        img = None
    except MemoryError:
        raise ImageReadError(name, "not enough memory to decode the image") from None
    if img is None or img.size == 0:
        raise ImageReadError(name, _REASON_TRUNCATED)
    _check_size(name, img.shape[1], img.shape[0])
    return img, header, fmt


def _decode_bytes(data: bytes, flags: int, into_output: bool = True) -> np.ndarray | None:
    """``cv2.imdecode(data, flags)``'s pixels, made once.

    OpenCV 5's Python binding copies the image that ``imdecode`` returns into a new numpy array, so a decode
    peaked at twice its pixels (a 714 MB image of a 0.7 MB PNG: 1.47 GB); ``imread`` into an output array
    allocates the numpy array itself. On Linux the bytes (the file as read, with the scanners' cuts) go to an
    anonymous memory file that ``imread`` opens by its ``/proc/self/fd`` name; elsewhere, or without
    ``into_output``, ``imdecode`` is used. Raises cv2.error as they do; None when nothing was decoded.
    """
    fd = os.memfd_create("cutout-decode", os.MFD_CLOEXEC) if into_output and hasattr(os, "memfd_create") else -1
    try:
        name = f"/proc/self/fd/{fd}"
        if fd < 0 or not os.path.exists(name):
            return cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        img = cv2.imread(name, np.empty((0, 0), np.uint8), flags)
        return img if img is not None and img.size else None
    finally:
        if fd >= 0:
            os.close(fd)


def _orientation_to_apply(header: Header, fmt: str) -> int:
    """The EXIF orientation still to apply to the decoded pixels (OpenCV 5 turns TIFFs upright itself)."""
    return 1 if fmt == "tiff" and _cv2_applies_tiff_orientation() else header.orientation


def _without_spans(data: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``data`` with the byte ranges ``[start, end)`` (sorted, not overlapping) left out."""
    parts, pos = [], 0
    for start, end in spans:
        parts.append(data[pos:start])
        pos = end
    parts.append(data[pos:])
    return b"".join(parts)


# --- reading and checking ---------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, if it is a regular file of at most :data:`MAX_FILE_BYTES` (ImageReadError otherwise)."""
    try:
        if path.is_dir():
            raise ImageReadError(path, "is a folder, not an image file")
        return read_regular(path, MAX_FILE_BYTES)
    except (NotRegularFileError, FileTooLargeError) as exc:
        raise ImageReadError(path, f"{exc.strerror}; only image files are read") from None
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
        if exc.errno == errno.ENAMETOOLONG:
            raise ImageReadError(path, "its path is longer than the system allows") from None
        raise ImageReadError(path, f"could not read the file ({exc.strerror or exc})") from None


def _check_size(path: Path, width: int, height: int) -> None:
    pixels = int(width) * int(height)
    if pixels > MAX_PIXELS:
        raise ImageReadError(
            path,
            f"image is too large: {width} x {height} pixels ({pixels / 1e6:.1f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:g} megapixels",
        )


def _check_cost(path: Path, header: Header, copy: int = 0) -> None:
    """Refuse a file whose decoding would allocate more than :data:`DECODE_BUDGET_BYTES` (``copy``: bytes of a copy
    beside the decoder's), or give samples that cannot become a photo, before any decoder sees it."""
    if header.unsupported:
        raise ImageReadError(path, f"unsupported pixel format ({header.unsupported})")
    cost = header.decoded_bytes() + _conversion_bytes(header) + copy
    if cost > DECODE_BUDGET_BYTES:
        raise ImageReadError(
            path,
            f"image is too large to decode: {header.width} x {header.height} pixels of {header.channels} channel(s) "
            f"at {8 * header.sample_bytes} bits need {cost / 2**20:,.0f} MiB; the limit is "
            f"{DECODE_BUDGET_BYTES / 2**20:,.0f} MiB",
        )



def _conversion_bytes(header: Header) -> int:
    """What :func:`_to_rgb` allocates for the photo beside the decoded samples (it converts colour in place)."""
    pixels = header.width * header.height
    if header.float_samples:
        return pixels * max(3, header.channels) * 2  # uint16, made in strips
    if header.channels in (1, 2):
        return pixels * (3 if header.channels == 1 else 4) * header.sample_bytes
    return 0


#: Rows of floating-point samples converted to 16 bits at a time.
_FLOAT_STRIP_ROWS = 64


def _float_to_uint16(img: np.ndarray) -> np.ndarray:
    """Floating-point samples in [0, 1] as uint16, a strip of rows at a time: no float copy of the whole image."""
    out = np.empty(img.shape, np.uint16)
    for y in range(0, img.shape[0], _FLOAT_STRIP_ROWS):
        strip = np.clip(img[y : y + _FLOAT_STRIP_ROWS].astype(np.float64), 0.0, 1.0)  # float16 would overflow
        strip *= 65535.0
        strip += 0.5
        out[y : y + _FLOAT_STRIP_ROWS] = strip  # truncates toward zero: rounds, as the + 0.5 intends
    return out


def _to_rgb(path: Path, img: np.ndarray) -> np.ndarray:
    """Decoded cv2 pixels (gray, BGR, BGRA; any depth) to RGB/RGBA uint8/uint16, in place where possible."""
    if img.dtype.kind == "f":
        img = _float_to_uint16(img)
    elif img.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(path, f"unsupported pixel format ({img.dtype} samples)")

    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    channels = img.shape[2]
    if channels == 3:
        return _in_place(img, cv2.COLOR_BGR2RGB)
    if channels == 4:
        return _in_place(img, cv2.COLOR_BGRA2RGBA)
    if channels == 2:  # gray + alpha
        rgba = cv2.cvtColor(np.ascontiguousarray(img[:, :, 0]), cv2.COLOR_GRAY2RGBA)
        rgba[:, :, 3] = img[:, :, 1]
        return rgba
    raise ImageReadError(path, f"unsupported number of channels ({channels})")


#: Rows converted at a time by :func:`_in_place`.
_SWAP_STRIP_ROWS = 256


def _in_place(img: np.ndarray, code: int) -> np.ndarray:
    """``img`` converted by ``cv2.cvtColor(code)`` in its own memory, a strip of rows at a time: OpenCV copies the
    whole source first when it converts in place, which made a 714 MB decode peak at 1.47 GB."""
    img = np.ascontiguousarray(img)
    for y in range(0, img.shape[0], _SWAP_STRIP_ROWS):
        strip = img[y : y + _SWAP_STRIP_ROWS]
        cv2.cvtColor(strip, code, dst=strip)
    return img


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
