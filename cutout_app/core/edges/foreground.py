"""Colour decontamination: where a cut-out is partly transparent, the subject's own colour.

A pixel of hair with alpha 0.4 is 40 % hair and 60 % of the wall behind it. Exporting the photo's
colour there keeps the wall in the cut-out: a green halo on a white page. The foreground colour ``F``
of the compositing equation ``I = alpha F + (1 - alpha) B`` is estimated instead, with Germer et al.'s
multi-level method ("Fast Multi-Level Foreground Estimation", 2020), as pymatting implements it (see
:mod:`cutout_app.core.edges.matting_library` for why that library). It solves for smooth ``F`` and ``B``
from coarse to fine, so colours come from the nearest solid subject, not from a fixed-size window.

It runs on small tiles over the band where ``0 < alpha < 1`` only (:mod:`cutout_app.core.edges.band_tiles`),
and returns the band's colours (:class:`BandColours`), so that the export applies them strip by strip:
pixels with alpha 1 keep the photo's colour exactly, pixels with alpha 0 become 0 (invisible either
way, and a PNG of zeros there is several times smaller and faster to write).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from cutout_app.core.edges.band_tiles import BandTile, band_tiles
from cutout_app.core.edges.matting_library import using_pymatting
from cutout_app.core.progress import CancelToken, ProgressCallback

#: Tile core and context (pixels). Small tiles hug the band, so only its surroundings are solved: on hair
#: composites 128 + 32 scored better than 512 + 64 (the coarse levels start from nearby colours), with or
#: without matting, and on a 12 MP cut-out took half the CPU time (``bench/README.md``).
TILE = 128
MARGIN = 32


@dataclass(frozen=True)
class BandColours:
    """The subject's own colours of the band's pixels: rows ``ys`` (ascending), columns ``xs``, ``colours`` (N x 3)."""

    ys: np.ndarray
    xs: np.ndarray
    colours: np.ndarray

    def apply(self, rgb: np.ndarray, y0: int = 0) -> None:
        """Write the colours that fall into ``rgb`` (H x W x 3, rows ``y0..y0+H-1`` of the photo) in place."""
        lo, hi = np.searchsorted(self.ys, [y0, y0 + rgb.shape[0]])
        rgb[self.ys[lo:hi] - y0, self.xs[lo:hi]] = self.colours[lo:hi]


def foreground_colours(
    rgb: np.ndarray,
    alpha: np.ndarray,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BandColours:
    """The subject's own colours where ``alpha`` is partial, estimated tile by tile over that band only.

    ``rgb`` (H x W x 3, uint8 or uint16) is the photo, ``alpha`` H x W in the same dtype (full = 255
    or 65535); neither is changed. ``progress(done, total)`` counts tiles and is called with 0 before
    the first, possibly slow, use of pymatting (see :mod:`cutout_app.core.edges.matting_library`),
    which is imported only if the band holds a pixel.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"rgb must be H x W x 3 and alpha H x W, got {rgb.shape} and {alpha.shape}")
    if rgb.dtype not in (np.uint8, np.uint16) or alpha.dtype != rgb.dtype:
        raise ValueError(f"rgb and alpha must both be uint8 or both uint16, got {rgb.dtype} and {alpha.dtype}")
    full = np.iinfo(rgb.dtype).max
    band = cv2.inRange(np.ascontiguousarray(alpha), 1, int(full) - 1)  # a byte a pixel, no temporaries (250 MP)
    band = np.minimum(band, 1, out=band).view(bool)
    tiles = band_tiles(band, TILE, MARGIN)
    if progress:
        progress(0, len(tiles))
    scale = np.float32(1.0 / full)

    def estimate(tile: BandTile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        image = rgb[tile.rows, tile.cols].astype(np.float32) * scale
        matte = alpha[tile.rows, tile.cols].astype(np.float32) * scale
        with using_pymatting() as library:
            foreground = library.estimate_foreground_ml(image, matte)
        ys, xs = np.nonzero(band[tile.core])
        core = foreground[tile.core_rows, tile.core_cols][ys, xs]
        return ys + tile.core[0].start, xs + tile.core[1].start, np.rint(core * np.float32(full)).astype(rgb.dtype)

    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # Tiles on every core: the estimate releases the GIL, and numba's layer takes calls from several threads.
    with ThreadPoolExecutor(max(1, min(len(tiles), os.cpu_count() or 1, 4))) as pool:
        for done, result in enumerate(pool.map(estimate, tiles), start=1):
            found.append(result)
            if progress:
                progress(done, len(tiles))
    if not found:
        return BandColours(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros((0, 3), rgb.dtype))
    ys, xs, colours = (np.concatenate(parts) for parts in zip(*found))
    order = np.argsort(ys, kind="stable")
    return BandColours(ys[order], xs[order], colours[order])


def decontaminate(
    rgb: np.ndarray,
    alpha: np.ndarray,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Replace the colours of ``rgb`` by the subject's own: estimated where alpha is partial, 0 where it is 0.

    ``rgb`` (H x W x 3, uint8 or uint16, e.g. the RGB of an RGBA array) is changed in place; where alpha
    is full it keeps the photo's colour exactly. See :func:`foreground_colours` for the arguments.
    """
    foreground_colours(rgb, alpha, progress, cancel).apply(rgb)
    rgb[alpha == 0] = 0
