"""Refiner tiles fitted to the uncertain band: the same refined values for a fraction of the input pixels.

The refiner runs where the global probability is uncertain, which on a large photo is a band a few dozen
pixels wide along the subject's outline. A grid tile that the band crosses is refined whole, its context
margin included (a 260 px CPU tile predicts 172 px), so most of its input is far from the band. Here each
such tile shrinks to the box of its uncertain blocks, and neighbours in a row of tiles merge where one
tile costs less input than two (each tile carries the context margin on every side). A valid-padded
refiner gives every pixel the same value whatever tile computes it, as long as tile origins stay on its
pooling grid (``core.inference.tiling``), so the band's values are the grid's; the pixels the fitted tiles
leave out were sure, and keep the global value, as the grid's unrefined tiles do.
"""

from __future__ import annotations

from typing import Callable, Iterable

from cutout_app.core.geometry import Rect
from cutout_app.core.inference.model_info import ModelInfo
from cutout_app.core.inference.tiling import Tile, TilePlan

#: The band's extent inside a grid tile is found in blocks of this many pixels (a multiple of every
#: refiner's pooling alignment, so a block's start stays on the pooling grid).
BAND_BLOCK = 32

#: ``unsure(rows, cols)``: whether the global probability leaves any pixel of that window uncertain.
Unsure = Callable[[slice, slice], bool]


def fit_to_band(plan: TilePlan, run: Iterable[Tile], unsure: Unsure, info: ModelInfo) -> dict[int, list[Tile]]:
    """The tiles that refine the uncertain pixels of the grid tiles ``run`` of ``plan`` (a valid-padded
    refiner's), by row of grid tiles (keyed by its first photo row), left to right; each carries its own
    input size and lies inside its row. Every pixel of ``run`` that ``unsure`` finds uncertain is covered."""
    rows: dict[int, list[Rect]] = {}
    for tile in sorted(run, key=lambda t: (t.y, t.x)):
        box = _band_box(tile, unsure)
        if box is not None:
            rows.setdefault(tile.y, []).append(box)
    widest = max(info.tile_size, plan.input_w)
    return {y: [_tile(box, info) for box in _merge(boxes, info, widest)] for y, boxes in rows.items()}


def _band_box(tile: Tile, unsure: Unsure) -> Rect | None:
    """The box of ``tile``'s uncertain blocks: columns over the tile's rows, then rows over those columns."""
    bottom, right = tile.y + tile.h, tile.x + tile.w
    rows = slice(tile.y, bottom)
    cols = [x for x in range(tile.x, right, BAND_BLOCK) if unsure(rows, slice(x, min(x + BAND_BLOCK, right)))]
    if not cols:
        return None
    x0, x1 = cols[0], min(cols[-1] + BAND_BLOCK, right)
    found = [y for y in range(tile.y, bottom, BAND_BLOCK) if unsure(slice(y, min(y + BAND_BLOCK, bottom)), slice(x0, x1))]
    if not found:
        return None
    return Rect.from_bounds(x0, found[0], x1, min(found[-1] + BAND_BLOCK, bottom))


def _cost(box: Rect, info: ModelInfo) -> int:
    """The input pixels a tile predicting ``box`` reads."""
    return info.input_for_output(box.h) * info.input_for_output(box.w)


def _merge(boxes: list[Rect], info: ModelInfo, widest: int) -> list[Rect]:
    """Left to right, each box joined to the one before where their bounding box costs no more input and its
    tile's input is at most ``widest`` wide (the model's own tile or the plan's: a tile's memory stays bounded;
    rows of a 50 MP photo merged without a bound took 0.4 GB more)."""
    merged = [boxes[0]]
    for box in boxes[1:]:
        last = merged[-1]
        joined = Rect.from_bounds(last.x, min(last.y, box.y), max(last.right, box.right), max(last.bottom, box.bottom))
        if info.input_for_output(joined.w) <= widest and _cost(joined, info) <= _cost(last, info) + _cost(box, info):
            merged[-1] = joined
        else:
            merged.append(box)
    return merged


def _tile(box: Rect, info: ModelInfo) -> Tile:
    return Tile(box.y, box.x, box.h, box.w, info.input_for_output(box.h), info.input_for_output(box.w))
