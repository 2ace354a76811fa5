"""Turning a photo and its cut-out mask into a PNG on disk, never at the cost of the original.

Three kinds of result: the photo with the mask as transparency (RGBA), the mask alone (MASK), or the
subject over a solid colour (BACKGROUND). Results always have the photo's full resolution and bit
depth, keep its ICC colour profile (:mod:`cutout_app.core.files.icc`), and are written atomically
(:mod:`cutout_app.core.files.atomic`).

Edges: by default the colours of partly transparent pixels are *decontaminated*, the subject's own
colour instead of the photo's mix of subject and old background (:mod:`cutout_app.core.edges.foreground`),
after an opaque rim of background colour along the outline has been made partly transparent
(:mod:`cutout_app.core.edges.rim`); fully transparent pixels are written as 0. Optionally, alpha matting
recomputes the alpha along the outline from the photo's colours, for hair and fur
(:mod:`cutout_app.core.edges.trimap_matting`).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.edges.foreground import BandColours, foreground_colours
from cutout_app.core.edges.rim import trim_rim
from cutout_app.core.edges.trimap_matting import matte
from cutout_app.core.errors import ExportError
from cutout_app.core.files.atomic import atomic_write_bytes, os_error_reason
from cutout_app.core.files.destination import check_destination
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.files.imageio import Photo
from cutout_app.core.files.png_writer import encode_png
from cutout_app.core.progress import CancelToken, ProgressCallback

#: Rows of about this many pixels are composited at a time in BACKGROUND mode, bounding float memory.
_STRIP_PIXELS = 1 << 20


def compose(
    photo: Photo,
    alpha: np.ndarray,
    options: ExportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """The pixels to write for ``photo`` cut out by ``alpha`` (uint8 HxW, the photo's full size).

    RGBA mode: HxWx4 RGBA in the photo's depth, alpha = mask times the photo's own alpha (scaled to
    65535 for 16-bit photos), RGB the subject's colours (``options.decontaminate``) or the photo's,
    and 0 where alpha is 0. MASK mode: ``alpha`` itself. BACKGROUND mode: HxWx3 RGB in the photo's
    depth, the same colours over ``options.background`` weighted by the same alpha. Apart from MASK
    mode the result is a new array. ``progress`` counts decontamination tiles. Raises ValueError if
    ``alpha`` is not uint8 of the photo's height and width. :func:`export_result` writes the same
    pixels without ever holding them all.
    """
    options = options or ExportOptions()
    _check_alpha(photo, alpha)
    if options.mode is ExportMode.MASK:
        return alpha
    return _Composer(photo, alpha, options, progress, cancel).rows(0, photo.height)


def export_alpha(
    photo: Photo,
    alpha: np.ndarray,
    options: ExportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """The alpha that an export of ``alpha`` holds: with ``options.matting`` recomputed along the outline by
    :func:`cutout_app.core.edges.trimap_matting.matte`; with ``options.decontaminate`` (RGBA and BACKGROUND
    modes) its opaque rim of background colour made partly transparent
    (:func:`cutout_app.core.edges.rim.trim_rim`); else ``alpha`` itself.

    :func:`compose` of it gives the pixels that :func:`encode_result` and :func:`export_result` write.
    Raises ValueError if ``alpha`` is not uint8 of the photo's height and width.
    """
    options = options or ExportOptions()
    _check_alpha(photo, alpha)
    if options.matting:
        alpha = matte(photo.rgb8(), alpha, progress=progress, cancel=cancel)
    if options.decontaminate and options.mode is not ExportMode.MASK:
        alpha = trim_rim(photo.pixels[:, :, :3], alpha, progress=progress, cancel=cancel)
    return alpha


def encode_result(
    photo: Photo,
    alpha: np.ndarray,
    options: ExportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[bytes]:
    """The PNG file that :func:`export_result` writes, in memory: byte strings to write (or join) in order.

    The pixels are those of :func:`compose` of :func:`export_alpha`, composed, filtered and deflated a
    block of rows at a time on every core (:mod:`cutout_app.core.files.png_writer`), so memory holds the
    photo, the alpha and the PNG, never the composed image. The photo's ICC profile goes into the PNG
    (not in MASK mode: a mask holds no colours). ``progress`` counts the tiles of each edge step in
    turn; ``cancel`` stops between tiles. Raises :class:`ExportError` if memory runs out.
    """
    options = options or ExportOptions()
    alpha = export_alpha(photo, alpha, options, progress, cancel)
    if options.mode is ExportMode.MASK:
        rows, channels, dtype, profile = (lambda y0, y1: alpha[y0:y1]), 1, alpha.dtype, None
    else:
        composer = _Composer(photo, alpha, options, progress, cancel)
        rows, channels, dtype, profile = composer.rows, composer.channels, photo.pixels.dtype, photo.icc_profile
    try:
        return encode_png(rows, photo.height, photo.width, channels, dtype, profile)
    except MemoryError as exc:
        raise ExportError("Cannot encode the result as PNG: not enough memory") from exc


def export_result(
    photo: Photo,
    alpha: np.ndarray,
    out_path: str | Path,
    options: ExportOptions | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Write the PNG of :func:`encode_result` to ``out_path``, atomically, and return the path.

    With ``options.matting`` the alpha is first recomputed (:func:`export_alpha`). Creates the parent
    folder if needed. Raises :class:`ExportError` if ``out_path`` is the photo's own file (never
    overwritten), if a file exists there and ``overwrite`` is False, if the name does not end in
    ``.png``, or if encoding or writing fails (not enough memory, read-only folder, disk full...).
    """
    out_path = Path(out_path)
    check_destination(out_path, photo.path, overwrite)
    encoded = encode_result(photo, alpha, options, progress, cancel)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder '{out_path.parent}': {os_error_reason(exc)}") from exc
    return atomic_write_bytes(out_path, encoded)


class _Composer:
    """The RGBA or BACKGROUND pixels of a cut-out, made a block of rows at a time (from several threads).

    The edge colours are estimated once, up front, over the partly transparent band only.
    """

    def __init__(self, photo: Photo, alpha: np.ndarray, options: ExportOptions, progress: ProgressCallback | None,
                 cancel: CancelToken | None) -> None:  # fmt: skip
        self.photo, self.options = photo, options
        self.channels = 4 if options.mode is ExportMode.RGBA else 3
        self.alpha = _final_alpha(photo, alpha)
        self.colours: BandColours | None = None
        if options.decontaminate:
            self.colours = foreground_colours(photo.pixels[:, :, :3], self.alpha, progress, cancel)

    def rows(self, y0: int, y1: int) -> np.ndarray:
        """Rows ``y0..y1-1`` of the result, a new array."""
        px, alpha = self.photo.pixels[y0:y1], self.alpha[y0:y1]
        if self.options.mode is ExportMode.RGBA:
            out = px.copy() if self.photo.has_alpha else cv2.cvtColor(px, cv2.COLOR_RGB2RGBA)
            out[:, :, 3] = alpha
            rgb = out[:, :, :3]
        else:
            out = rgb = px[:, :, :3].copy()
        if self.colours is not None:
            self.colours.apply(rgb, y0)
        _zero_where_transparent(out, alpha)
        if self.options.mode is ExportMode.RGBA:
            return out
        return _compose_background(rgb, alpha, self.options.background)


def _zero_where_transparent(pixels: np.ndarray, alpha: np.ndarray) -> None:
    """Set every sample of ``pixels`` (H x W x C, contiguous) to 0 where ``alpha`` is 0, in place.

    A multiply by the 0/1 mask, whole pixels at a time where a pixel fits a machine word: boolean
    indexing took 15 times longer on 12 MP.
    """
    keep = alpha != 0
    word = {4: np.uint32, 8: np.uint64}.get(pixels.shape[2] * pixels.itemsize)
    if word is not None:
        pixels = pixels.view(word)[:, :, 0]
    else:
        keep = keep[:, :, None]
    np.multiply(pixels, keep, out=pixels, casting="unsafe")




def _check_alpha(photo: Photo, alpha: np.ndarray) -> None:
    if not isinstance(alpha, np.ndarray) or alpha.dtype != np.uint8 or alpha.ndim != 2:
        raise ValueError(f"alpha must be a 2-D uint8 array, got {getattr(alpha, 'dtype', type(alpha))} "
                         f"{getattr(alpha, 'shape', '')}")  # fmt: skip
    if alpha.shape != (photo.height, photo.width):
        raise ValueError(f"alpha is {alpha.shape[1]}x{alpha.shape[0]} but the photo is {photo.width}x{photo.height}")


def _in_depth(alpha: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """uint8 alpha in ``dtype``: itself for uint8, times 257 for uint16 (255 -> 65535 exactly)."""
    return alpha.astype(np.uint16) * np.uint16(257) if dtype == np.uint16 else alpha


def _final_alpha(photo: Photo, alpha: np.ndarray) -> np.ndarray:
    """The result's alpha in the photo's depth: the mask times the photo's own alpha, if it has one."""
    px = photo.pixels
    mask = _in_depth(alpha, px.dtype)
    if not photo.has_alpha:
        return mask
    own = np.ascontiguousarray(px[:, :, 3])
    return cv2.multiply(own, mask, scale=1.0 / (65535.0 if px.dtype == np.uint16 else 255.0))


def _compose_background(rgb: np.ndarray, alpha: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """``rgb`` over ``background`` weighted by ``alpha`` (both in the photo's depth), strip by strip."""
    full = 65535.0 if rgb.dtype == np.uint16 else 255.0
    bg = np.array(background, np.float32) * np.float32(full / 255.0)
    out = np.empty(rgb.shape, rgb.dtype)
    rows = max(1, _STRIP_PIXELS // max(1, rgb.shape[1]))
    for y0 in range(0, rgb.shape[0], rows):
        strip = slice(y0, y0 + rows)
        a = alpha[strip].astype(np.float32) * np.float32(1.0 / full)
        colours = rgb[strip].astype(np.float32)
        colours -= bg
        colours *= a[:, :, None]
        colours += bg  # bg + (rgb - bg) * a
        np.rint(colours, out=colours)
        out[strip] = colours
    return out
