"""Tiles over the uncertain band of a matte, so that edge work costs memory per tile, not per photo.

Edge refinement only has work where a matte is neither 0 nor 1: a thin band along the subject's
outline. The photo is cut into a grid of square tiles; a tile is worked on only if its core holds a
band pixel, and its crop reaches ``margin`` pixels further so that the methods see context. Each tile
writes back its core only, so tiles never overlap in the result. A caller that can tell which tiles are
busy without a band the photo's size (the rim rule, from each tile's least and largest alpha) passes
those flags to :func:`grid_tiles`; :func:`range_tiles` finds the tiles of a band of values a strip at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
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
    _check(tile, margin)
    band = np.asarray(band, dtype=bool)
    height, width = band.shape
    if not band.any():
        return []
    ys, xs = tile_starts(height, tile), tile_starts(width, tile)
    # Along the rows first (contiguous): in the other order a 12 MP band took 16 times longer.
    busy = np.maximum.reduceat(np.maximum.reduceat(band.view(np.uint8), xs, axis=1), ys, axis=0)
    return grid_tiles(busy.view(bool), (height, width), tile, margin)


def range_tiles(values: np.ndarray, low: int, high: int, tile: int, margin: int) -> list[BandTile]:
    """:func:`band_tiles` of the band where ``low`` <= ``values`` (H x W, uint8 or uint16) <= ``high``, found a
    strip of tiles at a time: no band the photo's size (250 MB at 250 MP)."""
    if values.ndim != 2:
        raise ValueError(f"values must be H x W, got shape {values.shape}")
    _check(tile, margin)
    height, width = values.shape
    ys, xs = tile_starts(height, tile), tile_starts(width, tile)
    busy = np.zeros((len(ys), len(xs)), bool)
    for i, y0 in enumerate(ys):
        inside = cv2.inRange(values[y0:y0 + tile], low, high)
        busy[i] = np.maximum.reduceat(inside.max(axis=0), xs) > 0
    return grid_tiles(busy, (height, width), tile, margin)


def tile_starts(length: int, tile: int) -> np.ndarray:
    """The first row (or column) of each tile of a ``tile``-pixel grid along ``length`` pixels."""
    return np.arange(0, length, tile)


def grid_tiles(busy: np.ndarray, shape: tuple[int, int], tile: int, margin: int) -> list[BandTile]:
    """The tiles of a ``tile``-pixel grid over a photo of ``shape`` (height, width) whose flag in ``busy``
    (bool, one per tile: rows :func:`tile_starts` of the height, columns of the width) is set.

    For callers that find their tiles without a whole-photo band. Crops reach ``margin`` pixels beyond
    the core, clipped to the photo. Row-major order.
    """
    _check(tile, margin)
    height, width = shape
    if busy.shape != (len(tile_starts(height, tile)), len(tile_starts(width, tile))):
        raise ValueError(f"busy must hold one flag per tile of {tile} px over {width}x{height}, got {busy.shape}")
    tiles = []
    for i, j in zip(*np.nonzero(busy)):
        y0, x0 = int(i) * tile, int(j) * tile
        y1, x1 = min(height, y0 + tile), min(width, x0 + tile)
        a0, b0 = max(0, y0 - margin), max(0, x0 - margin)
        a1, b1 = min(height, y1 + margin), min(width, x1 + margin)
        tiles.append(BandTile(slice(a0, a1), slice(b0, b1), slice(y0 - a0, y1 - a0), slice(x0 - b0, x1 - b0)))
    return tiles


def _check(tile: int, margin: int) -> None:
    """Raise ValueError unless ``tile`` is positive and ``margin`` not negative."""
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be positive and margin not negative, got {tile} and {margin}")
