"""Colour decontamination: where a cut-out is partly transparent, the subject's own colour.

A pixel of hair with alpha 0.4 is 40 % hair and 60 % of the wall behind it. Exporting the photo's
colour there keeps the wall in the cut-out: a green halo on a white page. The foreground colour ``F``
of the compositing equation ``I = alpha F + (1 - alpha) B`` is estimated instead, with Germer et al.'s
multi-level method ("Fast Multi-Level Foreground Estimation", 2020), as pymatting implements it (see
:mod:`cutout_app.core.edges.matting_library` for why that library). It solves for smooth ``F`` and ``B``
from coarse to fine, so colours come from the nearest solid subject, not from a fixed-size window.

It runs tile by tile over the band where ``0 < alpha < 1`` (:mod:`cutout_app.core.edges.band_tiles`): pixels
with alpha 1 keep the photo's colour exactly, pixels with alpha 0 become 0 (invisible either way, and
a PNG of zeros there is several times smaller and faster to write).
"""

from __future__ import annotations

import numpy as np

from cutout_app.core.edges.band_tiles import band_tiles
from cutout_app.core.edges.matting_library import using_pymatting
from cutout_app.core.progress import CancelToken, ProgressCallback

#: Tile core and context (pixels); 64 px of context is more than the reach of the finest levels, where
#: the estimate is decided (bench_edges.py measures tiled against untiled).
TILE = 512
MARGIN = 64


def decontaminate(
    rgb: np.ndarray,
    alpha: np.ndarray,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Replace the colours of ``rgb`` by the subject's own: estimated where alpha is partial, 0 where it is 0.

    ``rgb`` (H x W x 3, uint8 or uint16, e.g. the RGB of an RGBA array) is changed in place; where alpha
    is full it keeps the photo's colour exactly. ``alpha`` is H x W in the same dtype (full = 255 or
    65535). ``progress(done, total)`` counts tiles and is called with 0 before the first, possibly slow,
    use of pymatting (see :mod:`cutout_app.core.edges.matting_library`).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"rgb must be H x W x 3 and alpha H x W, got {rgb.shape} and {alpha.shape}")
    if rgb.dtype not in (np.uint8, np.uint16) or alpha.dtype != rgb.dtype:
        raise ValueError(f"rgb and alpha must both be uint8 or both uint16, got {rgb.dtype} and {alpha.dtype}")
    full = np.iinfo(rgb.dtype).max
    band = (alpha > 0) & (alpha < full)
    tiles = band_tiles(band, TILE, MARGIN)
    if progress:
        progress(0, len(tiles))
    scale = np.float32(1.0 / full)
    # Every tile reads the photo's own colours in its margin, so results are applied after the last tile.
    results = []
    for done, tile in enumerate(tiles, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        image = rgb[tile.rows, tile.cols].astype(np.float32) * scale
        matte = alpha[tile.rows, tile.cols].astype(np.float32) * scale
        with using_pymatting() as library:
            estimate = library.estimate_foreground_ml(image, matte)
        where = band[tile.core]
        core = estimate[tile.core_rows, tile.core_cols][where]
        results.append((tile, where, np.rint(core * np.float32(full)).astype(rgb.dtype)))
        if progress:
            progress(done, len(tiles))
    for tile, where, colours in results:
        rgb[tile.core][where] = colours
    rgb[alpha == 0] = 0
