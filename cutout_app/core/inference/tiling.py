"""The overlap-tile strategy of the U-Net paper: cut a photo into tiles that carry the model's context.

Every tile's input reaches ``margin`` pixels beyond the region it predicts; beyond the photo's borders
that context is filled by mirror reflection. Tile origins are multiples of ``2**depth`` so that each
tile's pooling grid lines up with the grid of a single pass over the whole photo: with a valid-padded
U-Net, stitching the tiles then gives exactly the untiled result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cutout_app.core.inference.model_info import ModelInfo


@dataclass(frozen=True)
class Tile:
    """The region of the photo that one tile predicts: rows ``y:y+h``, columns ``x:x+w``.

    Its input is the plan's ``input_h`` x ``input_w``, or its own where ``input_h`` / ``input_w`` are set (a
    tile fitted to the refiner's uncertain band, ``core.inference.band_cover``).
    """

    y: int
    x: int
    h: int
    w: int
    input_h: int = 0
    input_w: int = 0


@dataclass(frozen=True)
class TilePlan:
    """How a photo of ``height`` x ``width`` is cut: every tile's input is ``input_h`` x ``input_w``."""

    height: int
    width: int
    input_h: int
    input_w: int
    context: int
    """Input pixels before a tile's first predicted pixel (the margin)."""
    output_offset: int
    """Where a tile's predicted region starts inside the model output (0 for valid, margin for same)."""
    tiles: tuple[Tile, ...]

    def __len__(self) -> int:
        return len(self.tiles)

    def input_shape(self, tile: Tile) -> tuple[int, int]:
        """``tile``'s input rows and columns: its own where it has them, else the plan's."""
        return tile.input_h or self.input_h, tile.input_w or self.input_w


def _floor_to(value: int, step: int) -> int:
    return value // step * step


def _ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


def _axis(length: int, info: ModelInfo, tile_size: int) -> tuple[int, int]:
    """(input edge, stride) along one axis of ``length`` pixels."""
    a = info.alignment
    if info.padding == "valid":
        out = info.output_size(tile_size)
        if out is None:
            raise ValueError(f"tile size {tile_size} is not a valid input for this model")
        stride = _floor_to(out, a)
        if stride < a or length <= stride:
            return info.input_for_output(length), length
        return tile_size, stride
    stride = _floor_to(tile_size - 2 * info.margin, a)
    if stride < a or length <= stride:
        return _ceil_to(length + 2 * info.margin, a), length
    return tile_size, stride


def snap_tile_size(info: ModelInfo, tile_size: int) -> int:
    """The largest allowed input edge not above ``tile_size`` (at least the smallest one allowed)."""
    size = max(tile_size, 1)
    if info.padding == "same":
        return max(_ceil_to(2 * info.margin + info.alignment, info.alignment), _floor_to(size, info.alignment))
    smallest = info.input_for_output(1)
    while size > smallest and info.output_size(size) is None:
        size -= 1
    return max(size, smallest)


def plan_tiles(height: int, width: int, info: ModelInfo, tile_size: int | None = None) -> TilePlan:
    """Cut a ``height`` x ``width`` photo into tiles of the model's input ``tile_size`` (default: the model's).

    A photo smaller than a tile along an axis gets one tile just big enough along that axis.
    """
    if height < 1 or width < 1:
        raise ValueError("the image is empty")
    size = snap_tile_size(info, tile_size or info.tile_size)
    input_h, stride_y = _axis(height, info, size)
    input_w, stride_x = _axis(width, info, size)
    tiles = tuple(
        Tile(y, x, min(stride_y, height - y), min(stride_x, width - x))
        for y in range(0, height, stride_y)
        for x in range(0, width, stride_x)
    )
    return TilePlan(
        height=height,
        width=width,
        input_h=input_h,
        input_w=input_w,
        context=info.margin,
        output_offset=0 if info.padding == "valid" else info.margin,
        tiles=tiles,
    )


def reflect_indices(indices: np.ndarray, length: int) -> np.ndarray:
    """Map any integer positions into ``0..length-1`` by mirror reflection without repeating the edge.

    This is numpy's ``reflect`` / OpenCV's ``BORDER_REFLECT_101``, repeated as often as needed, so
    a context wider than the photo itself still works.
    """
    if length == 1:
        return np.zeros_like(indices)
    period = 2 * (length - 1)
    folded = np.abs(indices) % period
    return np.where(folded >= length, period - folded, folded)


def tile_window(plan: TilePlan, tile: Tile) -> tuple[slice | np.ndarray, slice | np.ndarray]:
    """The rows and columns of ``tile``'s input: its region plus context, as slices, or as index arrays
    mirror-reflected where the context reaches beyond the photo."""
    top, left = tile.y - plan.context, tile.x - plan.context
    input_h, input_w = plan.input_shape(tile)
    bottom, right = top + input_h, left + input_w
    rows = slice(top, bottom) if top >= 0 and bottom <= plan.height else reflect_indices(np.arange(top, bottom), plan.height)
    cols = slice(left, right) if left >= 0 and right <= plan.width else reflect_indices(np.arange(left, right), plan.width)
    return rows, cols


def tile_input(image: np.ndarray, plan: TilePlan, tile: Tile) -> np.ndarray:
    """The input pixels of ``tile``: its region plus context, mirror-reflected beyond the photo."""
    rows, cols = tile_window(plan, tile)
    return image[rows][:, cols]

