"""Turning a photo and its cut-out mask into a PNG on disk, never at the cost of the original.

Three kinds of result: the photo with the mask as transparency (RGBA), the mask alone (MASK), or the
subject over a solid colour (BACKGROUND). Results always have the photo's full resolution and bit
depth, and are written atomically (:mod:`cutout_app.core.atomic`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.atomic import atomic_write_bytes, check_writable_folder, os_error_reason
from cutout_app.core.errors import ExportError
from cutout_app.core.filenames import MAX_NAME_BYTES, name_bytes
from cutout_app.core.imageio import Photo

#: zlib level for PNGs: 3 is several times faster than the default on big photos for ~5-10 % more bytes.
PNG_COMPRESSION = 3

#: Rows of about this many pixels are composited at a time in BACKGROUND mode, bounding float memory.
_STRIP_PIXELS = 1 << 20


class ExportMode(StrEnum):
    """What an exported PNG contains."""

    RGBA = "rgba"  #: the photo, transparent where the mask is 0
    MASK = "mask"  #: the mask alone, as an 8-bit grayscale image
    BACKGROUND = "background"  #: the subject composited over a solid colour, no transparency


@dataclass
class ExportOptions:
    """How to export: the mode, and the RGB colour (0..255 each) that BACKGROUND mode fills with."""

    mode: ExportMode = ExportMode.RGBA
    background: tuple[int, int, int] = (255, 255, 255)

    def __post_init__(self) -> None:
        self.mode = ExportMode(self.mode)
        background = tuple(int(c) for c in self.background)
        if len(background) != 3 or not all(0 <= c <= 255 for c in background):
            raise ValueError(f"background must be three values in 0..255, got {self.background!r}")
        self.background = background  # type: ignore[assignment]


def output_path_for(src: str | Path, out_dir: str | Path) -> Path:
    """The result file for photo ``src`` in ``out_dir``: the photo's name with a ``.png`` suffix."""
    return Path(out_dir) / (Path(src).stem + ".png")


def compose(photo: Photo, alpha: np.ndarray, options: ExportOptions | None = None) -> np.ndarray:
    """The pixels to write for ``photo`` cut out by ``alpha`` (uint8 HxW, the photo's full size).

    RGBA mode: HxWx4 RGBA in the photo's depth, alpha = mask times the photo's own alpha (scaled to
    65535 for 16-bit photos). MASK mode: ``alpha`` itself. BACKGROUND mode: HxWx3 RGB in the photo's
    depth, the photo over ``options.background`` weighted by the same alpha. Apart from MASK mode the
    result is a new array. Raises ValueError if ``alpha`` is not uint8 of the photo's height and width.
    """
    options = options or ExportOptions()
    if not isinstance(alpha, np.ndarray) or alpha.dtype != np.uint8 or alpha.ndim != 2:
        raise ValueError(f"alpha must be a 2-D uint8 array, got {getattr(alpha, 'dtype', type(alpha))} "
                         f"{getattr(alpha, 'shape', '')}")  # fmt: skip
    if alpha.shape != (photo.height, photo.width):
        raise ValueError(f"alpha is {alpha.shape[1]}x{alpha.shape[0]} but the photo is {photo.width}x{photo.height}")

    if options.mode is ExportMode.MASK:
        return alpha
    if options.mode is ExportMode.RGBA:
        return _compose_rgba(photo, alpha)
    return _compose_background(photo, alpha, options.background)


def export_result(
    photo: Photo,
    alpha: np.ndarray,
    out_path: str | Path,
    options: ExportOptions | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the result of :func:`compose` to ``out_path`` as a PNG, atomically, and return the path.

    Creates the parent folder if needed. Raises :class:`ExportError` if ``out_path`` is the photo's own
    file (never overwritten), if a file exists there and ``overwrite`` is False, if the name does not end
    in ``.png``, or if writing fails (read-only folder, disk full...).
    """
    options = options or ExportOptions()
    out_path = Path(out_path)
    check_destination(out_path, photo.path, overwrite)
    pixels = compose(photo, alpha, options)
    if pixels.ndim == 3:  # compose returned a new array: reorder to OpenCV's BGR(A) in place
        code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
        pixels = cv2.cvtColor(pixels, code, dst=pixels)
    try:
        ok, encoded = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    except (cv2.error, MemoryError) as exc:
        raise ExportError(f"Cannot encode '{out_path.name}' as PNG: {exc}") from exc
    if not ok:
        raise ExportError(f"Cannot encode '{out_path.name}' as PNG")
    del pixels

    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder '{out_path.parent}': {os_error_reason(exc)}") from exc
    return atomic_write_bytes(out_path, memoryview(encoded))


def check_destination(out_path: str | Path, source: str | Path | None, overwrite: bool = False) -> None:
    """Raise :class:`ExportError` unless a result may be written to ``out_path``.

    Refused: a name not ending in ``.png``, a name too long for the file system, the ``source`` photo
    itself, a folder, an existing file unless ``overwrite``, and a folder where no file can be created.
    Callers check before long work so that a bad name or a read-only folder fails at once.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".png":
        raise ExportError(f"Cannot export to '{out_path}': results are PNG files, the name must end in .png")
    length = name_bytes(out_path.name)
    if length > MAX_NAME_BYTES:
        raise ExportError(f"Cannot export to '{out_path}': the file name is too long ({length} bytes; "
                          f"file systems take at most {MAX_NAME_BYTES}); choose a shorter name")  # fmt: skip
    if source is not None and _same_file(out_path, Path(source)):
        raise ExportError(f"Refusing to overwrite the original photo '{source}': choose another name or folder")
    try:
        if out_path.is_dir():
            raise ExportError(f"Cannot export to '{out_path}': it is a folder")
        if out_path.exists() and not overwrite:
            raise ExportError(f"'{out_path}' already exists; choose another name or allow overwriting")
    except OSError as exc:
        raise ExportError(f"Cannot export to '{out_path}': {os_error_reason(exc)}") from exc
    check_writable_folder(out_path.parent)


def _same_file(a: Path, b: Path) -> bool:
    """True if ``a`` and ``b`` name the same file (following links, case rules of the OS)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    try:
        a, b = a.resolve(), b.resolve()
    except (OSError, RuntimeError):  # e.g. a symlink loop
        a, b = a.absolute(), b.absolute()
    return os.path.normcase(a) == os.path.normcase(b)


def _compose_rgba(photo: Photo, alpha: np.ndarray) -> np.ndarray:
    px = photo.pixels
    sixteen = px.dtype == np.uint16
    mask = alpha.astype(np.uint16) * np.uint16(257) if sixteen else alpha  # 255 -> 65535 exactly
    if photo.has_alpha:
        out = px.copy()
        own = np.ascontiguousarray(px[:, :, 3])
        out[:, :, 3] = cv2.multiply(own, mask, scale=1.0 / (65535.0 if sixteen else 255.0))
    else:
        out = cv2.cvtColor(px, cv2.COLOR_RGB2RGBA)
        out[:, :, 3] = mask
    return out


def _compose_background(photo: Photo, alpha: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    px = photo.pixels
    full = 65535.0 if px.dtype == np.uint16 else 255.0
    bg = np.array(background, np.float32) * np.float32(full / 255.0)
    out = np.empty((photo.height, photo.width, 3), px.dtype)
    rows = max(1, _STRIP_PIXELS // max(1, photo.width))
    for y0 in range(0, photo.height, rows):
        strip = slice(y0, y0 + rows)
        a = alpha[strip].astype(np.float32) * np.float32(1.0 / 255.0)
        if photo.has_alpha:
            a *= px[strip, :, 3] * np.float32(1.0 / full)
        rgb = px[strip, :, :3].astype(np.float32)
        rgb -= bg
        rgb *= a[:, :, None]
        rgb += bg  # bg + (rgb - bg) * a
        np.rint(rgb, out=rgb)
        out[strip] = rgb
    return out
