"""Tiles over the uncertain band of a matte, so that edge work costs memory per tile, not per photo.

Edge refinement only has work where a matte is neither 0 nor 1: a thin band along the subject's
outline. The photo is cut into a grid of square tiles; a tile is worked on only if its core holds a
band pixel, and its crop reaches ``margin`` pixels further so that the methods see context. Each tile
writes back its core only, so tiles never overlap in the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BandTile:
    """One tile: the crop ``rows`` x ``cols`` that is read, and the core inside it that is written."""

    rows: slice
    cols: slice
    core_rows: slice
    core_cols: slice

    @property
    def core(self) -> tuple[slice, slice]:
        """The core in photo coordinates."""
        return (
            slice(self.rows.start + self.core_rows.start, self.rows.start + self.core_rows.stop),
            slice(self.cols.start + self.core_cols.start, self.cols.start + self.core_cols.stop),
        )


def band_tiles(band: np.ndarray, tile: int, margin: int) -> list[BandTile]:
    """The tiles of a ``tile``-pixel grid whose core holds a True pixel of ``band`` (bool H x W).

    Crops reach ``margin`` pixels beyond the core, clipped to the photo. Row-major order.
    """
    if band.ndim != 2:
        raise ValueError(f"band must be H x W, got shape {band.shape}")
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be positive and margin not negative, got {tile} and {margin}")
    band = np.asarray(band, dtype=bool)
    height, width = band.shape
    if not band.any():
        return []
    ys, xs = np.arange(0, height, tile), np.arange(0, width, tile)
    # Along the rows first (contiguous): in the other order a 12 MP band took 16 times longer.
    busy = np.maximum.reduceat(np.maximum.reduceat(band.view(np.uint8), xs, axis=1), ys, axis=0)
    tiles = []
    for i, j in zip(*np.nonzero(busy)):
        y0, x0 = int(ys[i]), int(xs[j])
        y1, x1 = min(height, y0 + tile), min(width, x0 + tile)
        a0, b0 = max(0, y0 - margin), max(0, x0 - margin)
        a1, b1 = min(height, y1 + margin), min(width, x1 + margin)
        tiles.append(BandTile(slice(a0, a1), slice(b0, b1), slice(y0 - a0, y1 - a0), slice(x0 - b0, x1 - b0)))
    return tiles
