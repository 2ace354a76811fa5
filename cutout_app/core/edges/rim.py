"""The opaque rim: background colour where alpha is full, just inside the outline, made partly transparent.

Where a subject is fuzzy (a lion's mane against the sky) the model's mask tends to be a few pixels too
wide, and those pixels are fully opaque: decontamination (:mod:`cutout_app.core.edges.foreground`)
only repaints partly transparent ones, so the cut-out keeps a rim of sky. This step peels that rim off.

For every fully opaque pixel within :data:`REACH` guided-filter radii of a pixel that is not, it compares
the pixel's colour with two local means: the **subject's**, from the opaque pixels just beyond that reach
(a shell :data:`SHELL` radii deep, so the rim itself does not pollute it), and the **background's**, from
the fully transparent pixels more than :data:`BACKGROUND_DEPTH` radii outside (strands the mask lost lie
nearer). The pixel's position between them (``t``: 0 at the background, 1 at the subject) sets its
alpha, ``t / TRIM_AT`` capped at 1, but only where the colours can tell: the means differ by at least
:data:`CONTRAST`, the pixel is a mix of the two (within :data:`OFF_LINE` of the line between them: a
dark shaded edge between two light colours is neither) and lies farther from the subject's mean than
:data:`SPREAD` standard deviations of the subject's own colours there (texture, not background).

Two rules keep it from eating the subject: pixels are peeled from the outside in, one ring a step, so it
never opens a hole; and only the rim of parts at least twice the reach wide is touched, so a thin solid
part (a stick, a strap, a strand of a few pixels) keeps its alpha, whatever its colour. (A thin part whose
colour is nearer the background's than the subject's next to it can lose a few pixels where it joins.)

The pixels it lowers then join the partly transparent band that decontamination repaints. It runs on
tiles over the rim only (:mod:`cutout_app.core.edges.band_tiles`), each with the whole reach of its
filters as context, found from each tile's least and largest alpha: no array of the photo's size is made
but the answer (a copy of ``alpha``, made when the tiles are done). Within a tile, the work follows the
rim: like decontamination's, its box means are computed on blocks of
:func:`~cutout_app.core.edges.foreground.means_step` pixels on large photos, and only on the blocks that the
rim's pixels read; a ring is judged only when the peeling reaches it, and a part's width is measured only
where a pixel would go. Each step gives the values the whole photo's rule gives (``tests/test_rim.py``
checks it against that rule, untiled). OpenCV filters only. ``bench/bench_edges.py --too-wide`` measures
its effect, ``--rim-cost`` its cost (``bench/README.md``).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from cutout_app.core.edges.alpha import default_radius
from cutout_app.core.edges.band_tiles import BandTile, grid_tiles, tile_starts
from cutout_app.core.edges.foreground import block_means, means_step, sample_grid, unit
from cutout_app.core.progress import CancelToken, ProgressCallback

#: How deep (guided-filter radii) the rim may be peeled: 4 px at 640 x 480, 12 px at 12 MP.
REACH = 2
#: The subject's colours come from opaque pixels between REACH and REACH + SHELL radii inside.
SHELL = 2
#: The background's from fully transparent pixels more than this many radii outside the subject.
BACKGROUND_DEPTH = 2
#: Side of the box (radii) over which both means are taken.
BOX = 8
#: The least distance (RGB in 0..1) between the two means for the colours to decide anything.
CONTRAST = 0.1
#: A pixel within this many standard deviations of the subject's mean colour is the subject's texture.
SPREAD = 2.0
#: Colour noise (0..1) always allowed around the subject's mean.
NOISE = 0.02
#: A colour farther than this (times the two means' distance) from every mix of them is neither: it stays.
OFF_LINE = 0.3
#: Position between background (0) and subject (1) from which a pixel stays opaque.
TRIM_AT = 0.5
#: The smallest tile core (pixels).
TILE = 128
#: The box means' inputs are made for strips of about this many pixels at a time (a few MB of temporaries).
_STRIP_PIXELS = 1 << 16
_EPS = np.float32(1e-6)
#: Rows and columns (ys, xs) -> whether the rule lowers those pixels, and to what alpha.
_Judge = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
#: The 8 neighbours' row and column offsets.
_NEIGHBOURS = (np.array([-1, -1, -1, 0, 0, 1, 1, 1]), np.array([-1, 0, 1, -1, 1, -1, 0, 1]))


@dataclass(frozen=True)
class RimGeometry:
    """The rule's sizes for one photo, in pixels: the rim's depth, the shell's outer depth, the background's
    depth, the box's side (in grid pixels) and the grid's step (:func:`~cutout_app.core.edges.foreground.means_step`)."""

    reach: int
    shell: int
    background: int
    box: int
    step: int

    @classmethod
    def of(cls, height: int, width: int) -> RimGeometry:
        """The sizes for a photo of ``height`` x ``width``."""
        radius, step = default_radius(height, width), means_step(height, width)
        return cls(REACH * radius, (REACH + SHELL) * radius, BACKGROUND_DEPTH * radius,
                   max(3, round(BOX * radius / step)) | 1, step)

    def tile_and_margin(self) -> tuple[int, int]:
        """The tiles' core and context (multiples of the step): the context reaches as far as the box's
        means read, and as far again as the depths they weigh by, so tiling does not change a value."""
        margin = self.shell + self.step * (self.box // 2 + 2)
        margin = -(-margin // self.step) * self.step
        core = max(TILE, 2 * margin)
        return -(-core // self.step) * self.step, margin


def trim_rim(
    rgb: np.ndarray,
    alpha: np.ndarray,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """``alpha`` (uint8 H x W) with its opaque rim of background colour made partly transparent (a new array).

    ``rgb`` is the photo (H x W x 3, uint8 or uint16); neither is changed. ``progress(done, total)`` counts
    tiles, from 0; ``cancel`` is checked before each.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2] or alpha.dtype != np.uint8:
        raise ValueError(f"rgb must be H x W x 3 and alpha H x W uint8, got {rgb.shape} and {alpha.dtype} {alpha.shape}")
    geometry = RimGeometry.of(*alpha.shape)
    core, margin = geometry.tile_and_margin()
    tiles = grid_tiles(_rim_tiles(alpha, geometry.reach, core), alpha.shape, core, margin)
    if progress:
        progress(0, len(tiles))

    def one(tile: BandTile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        return _trim(rgb[tile.rows, tile.cols], alpha[tile.rows, tile.cols], geometry, tile)

    found = []
    with ThreadPoolExecutor(max(1, min(len(tiles), os.cpu_count() or 1, 4))) as pool:
        for done, changes in enumerate(pool.map(one, tiles), start=1):
            found.append(changes)
            if progress:
                progress(done, len(tiles))
    out = alpha.copy()  # only now: the tiles' temporaries are gone, and their changes are a few pixels
    for ys, xs, values in found:
        out[ys, xs] = values
    return out


def _rim_tiles(alpha: np.ndarray, reach: int, tile: int) -> np.ndarray:
    """Which tiles of a ``tile``-pixel grid (bool, one per tile) hold a fully opaque pixel within ``reach``
    pixels (a square's) of one that is not, from each tile's least and largest alpha: a tile that holds
    both has such a pixel, one that is all opaque has it if a pixel that is not lies within ``reach`` of it
    (``reach`` < ``tile``: in a tile next to it). No array of the photo's size."""
    if reach >= tile:
        raise ValueError(f"reach must be under the tile's side, got {reach} and {tile}")
    height, width = alpha.shape
    ys, xs = tile_starts(height, tile), tile_starts(width, tile)
    least = np.minimum.reduceat(np.minimum.reduceat(alpha, xs, axis=1), ys, axis=0)
    largest = np.maximum.reduceat(np.maximum.reduceat(alpha, xs, axis=1), ys, axis=0)
    busy = (largest == 255) & (least < 255)
    clear = (least == 255).view(np.uint8)
    # All-opaque tiles beside one that is not: look for such a pixel within reach of the core.
    for i, j in zip(*np.nonzero(clear & cv2.dilate((least < 255).view(np.uint8), np.ones((3, 3), np.uint8)))):
        y0, x0 = int(ys[i]), int(xs[j])
        near = alpha[max(0, y0 - reach):y0 + tile + reach, max(0, x0 - reach):x0 + tile + reach]
        busy[i, j] = near.min() < 255
    return busy


def _trim(rgb: np.ndarray, alpha: np.ndarray, geometry: RimGeometry, tile: BandTile
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The rule on one tile's crop (see the module's docstring): the pixels of its core it lowers, in photo
    coordinates, and their new alpha."""
    reach = geometry.reach
    opaque = cv2.compare(alpha, 255, cv2.CMP_EQ)
    depth = cv2.distanceTransform(opaque, cv2.DIST_L2, cv2.DIST_MASK_3)
    # Only pixels within reach of the core take part in peeling it (a pixel a step); one more for the 3 x 3 steps.
    near = _around(tile, reach + 1, alpha.shape)
    rim = cv2.inRange(depth[near], 0.5, reach) > 0  # depth is 0 where not opaque, at least 0.955 where it is
    if not rim.any():
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.uint8)
    outside = cv2.distanceTransform(cv2.compare(alpha, 0, cv2.CMP_EQ), cv2.DIST_L2, cv2.DIST_MASK_3)
    ys, xs = np.nonzero(rim)
    grid = _Grid.of(rgb, depth, outside, geometry, (ys + near[0].start, xs + near[1].start), tile)
    backed = functools.cache(lambda: _backed(depth, near, reach))

    def judge(ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lowered, values = grid.judge(ys + near[0].start, xs + near[1].start)
        if lowered.any():  # the thickness, only where the colours would lower a pixel
            lowered &= backed()[ys, xs]
        return lowered, values

    gone, values = _peel(opaque[near], rim, judge, reach)
    core = tuple(slice(inner.start - outer.start, inner.stop - outer.start)
                 for inner, outer in zip((tile.core_rows, tile.core_cols), near))  # fmt: skip
    ys, xs = np.nonzero(gone[core])
    ys, xs = ys + core[0].start, xs + core[1].start
    return ys + near[0].start + tile.rows.start, xs + near[1].start + tile.cols.start, values[ys, xs]


def _around(tile: BandTile, distance: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The tile's core and ``distance`` pixels around it, in its crop (of ``shape``)."""
    return (slice(max(0, tile.core_rows.start - distance), min(shape[0], tile.core_rows.stop + distance)),
            slice(max(0, tile.core_cols.start - distance), min(shape[1], tile.core_cols.stop + distance)))  # fmt: skip


def _backed(depth: np.ndarray, near: tuple[slice, slice], reach: int) -> np.ndarray:
    """Which pixels of ``near`` (a part of the crop; bool) lie in a part at least 2 ``reach`` wide: within
    ``reach`` + 1 of an opaque pixel deeper than ``reach`` (``depth``). That distance is measured around
    ``near`` only, as far as it compares: a step of OpenCV's 3 x 3 L2 mask costs at least 0.955, so
    2 ``reach`` + 2 pixels cost more than ``reach`` + 1."""
    rows, cols = near
    around = 2 * reach + 2
    top, left = max(0, rows.start - around), max(0, cols.start - around)
    shallow = cv2.compare(depth[top:rows.stop + around, left:cols.stop + around], reach, cv2.CMP_LE)
    deep = cv2.distanceTransform(shallow, cv2.DIST_L2, cv2.DIST_MASK_3)
    return deep[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left] <= reach + 1


@dataclass(frozen=True)
class _Grid:
    """The box means around a tile's rim, blurred on blocks of ``step`` pixels, and what the rule decides
    from them (:meth:`judge`): ``rgb`` is the crop's colours, ``origin`` the first row and column of the
    part of the crop the grids cover (whole blocks)."""

    rgb: np.ndarray
    subject: np.ndarray  # the blurred grid of the subject's means (5 channels)
    background: np.ndarray  # and of the background's (4)
    step: int
    origin: tuple[int, int]

    @classmethod
    def of(cls, rgb: np.ndarray, depth: np.ndarray, outside: np.ndarray, geometry: RimGeometry,
           where: tuple[np.ndarray, np.ndarray], tile: BandTile) -> _Grid:  # fmt: skip
        """The grids of box means over a tile's crop ``rgb`` (uint8 or uint16), given each pixel's ``depth``
        (its distance from a pixel that is not opaque) and how far ``outside`` it lies (from a pixel with
        alpha): the subject's colours (channels 0-2, from the opaque pixels between ``geometry.reach`` and
        ``geometry.shell`` deep), their share of the box (3) and their squared colours' sums (4); the
        background's colours (0-2, from the pixels more than ``geometry.background`` outside) and their share (3).

        Only the blocks that the means at the pixels ``where`` (rows, columns: within ``geometry.reach`` + 1
        of the tile's core) read and that hold such pixels are made, a strip of blocks at a time; the others
        are 0, as they would be."""
        step = geometry.step
        # The part of the crop that those read (whole blocks, and one more for the interpolation).
        part = _around(tile, -(-(geometry.reach + 1) // step) * step + step * (geometry.box // 2 + 2), depth.shape)
        rgb_part, depth, outside = rgb[part], depth[part], outside[part]
        height, width = depth.shape
        blocks = (-(-height // step), -(-width // step))
        fg, bg = np.zeros((*blocks, 5), np.float32), np.zeros((*blocks, 4), np.float32)
        needed = _needed((where[0] - part[0].start, where[1] - part[1].start), blocks, geometry)
        rows = max(1, _STRIP_PIXELS // (width * step))  # blocks
        starts = list(range(0, blocks[0] - 1, rows)) or [0]  # a last strip of one block joins the one before
        for b0, b1 in zip(starts, [*starts[1:], blocks[0]]):
            span = _span(np.flatnonzero(needed[b0:b1].any(axis=0)), blocks[1])
            if span is None:
                continue
            strip = (slice(b0 * step, min(height, b1 * step)), slice(span[0] * step, min(width, span[1] * step)))
            subject = (depth[strip] > geometry.reach) & (depth[strip] <= geometry.shell)
            background = outside[strip] > geometry.background
            for weight, means, channels in ((subject, fg, 5), (background, bg, 4)):
                # Only the blocks the weight reaches: they are 0 elsewhere.
                inner = _span(np.flatnonzero(weight.any(axis=0)) // step + span[0], blocks[1])
                if inner is None:
                    continue
                cols = slice(inner[0] * step, min(width, inner[1] * step))
                image = unit(rgb_part[strip[0], cols])
                weight = weight[:, cols.start - strip[1].start:cols.stop - strip[1].start].astype(np.float32)
                layers = [cv2.multiply(image, cv2.merge([weight] * 3)), weight]
                if channels == 5:
                    squares = cv2.transform(cv2.multiply(image, image), np.ones((1, 3), np.float32))
                    layers.append(cv2.multiply(squares.reshape(weight.shape), weight))
                # Apart, 5 and 4 channels: at 2 pixels a block OpenCV sums some channel counts in another order.
                means[b0:b1, inner[0]:inner[1]] = block_means(cv2.merge(layers), step)
        box = (geometry.box, geometry.box)
        return cls(rgb, cv2.blur(fg, box), cv2.blur(bg, box), step, (part[0].start, part[1].start))

    def judge(self, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the crop's pixels (``ys``, ``xs``): whether the rule lowers them, and to what alpha (uint8)."""
        # Their places on the crop's blocks (as float32, as sample_grid takes them), then on the grids': whole
        # blocks apart, exactly, so that the interpolation's weights do not depend on where the grids begin.
        at = [((where + 0.5) / self.step - 0.5).astype(np.float32) - np.float32(start // self.step)
              for where, start in zip((ys, xs), self.origin)]
        fg, bg = sample_grid(self.subject, *at), sample_grid(self.background, *at)
        fg[:, :3] /= fg[:, 3:4] + _EPS
        fg[:, 4] /= fg[:, 3] + _EPS
        bg[:, :3] /= bg[:, 3:4] + _EPS
        fg, fg_weight, fg_square = fg[:, :3], fg[:, 3], fg[:, 4]
        bg, bg_weight = bg[:, :3], bg[:, 3]
        colour = unit(self.rgb[ys, xs])
        diff = fg - bg
        contrast = (diff * diff).sum(axis=1)
        t = ((colour - bg) * diff).sum(axis=1) / np.maximum(contrast, _EPS)
        # Farther from the subject's mean than its own colours spread (their mean squared distance from it).
        spread = np.maximum(fg_square - (fg * fg).sum(axis=1), 0)
        apart = ((colour - fg) ** 2).sum(axis=1) > SPREAD * SPREAD * spread + NOISE * NOISE
        off_line = colour - bg - t[:, None] * diff  # how far the colour lies from any mix of the two
        on_line = (off_line * off_line).sum(axis=1) <= OFF_LINE * OFF_LINE * contrast
        lower = on_line & apart & (fg_weight > 0.01) & (bg_weight > 0.01) & (contrast >= CONTRAST * CONTRAST)
        return lower & (t < TRIM_AT), np.rint(np.clip(t / TRIM_AT, 0, 1) * 255).astype(np.uint8)


def _peel(solid: np.ndarray, candidate: np.ndarray, judge: _Judge, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule's pixels peeled from the outside in, one ring a step for at most ``reach`` steps: a
    ``candidate`` (bool) that ``judge`` lowers goes as soon as one of its 8 neighbours is not ``solid``
    (uint8 0/255; the edges of its part count as the crop's) or has gone. Which pixels went (bool), and the
    alpha ``judge`` gave each (uint8).

    ``judge`` is asked about the first ring alone first: where it lowers none of them, nothing goes and
    the other candidates' colours are never judged (most of a well-made mask's outline)."""
    gone = np.zeros(solid.shape, bool)
    values = np.zeros(solid.shape, np.uint8)
    first = candidate & (cv2.erode(solid, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE) == 0)
    ys, xs = np.nonzero(first)
    lowered, alphas = judge(ys, xs)
    if not lowered.any():
        return gone, values
    lower = np.zeros(solid.shape, bool)
    ys, xs, alphas = ys[lowered], xs[lowered], alphas[lowered]
    lower[ys, xs], values[ys, xs] = True, alphas
    # The peeling goes on: the other candidates, judged all at once.
    rows, cols = np.nonzero(candidate & ~first)
    keep, others = judge(rows, cols)
    rows, cols = rows[keep], cols[keep]
    lower[rows, cols], values[rows, cols] = True, others[keep]
    height, width = solid.shape
    for _ in range(reach):
        gone[ys, xs] = True
        # The next ring: lowered pixels beside those that went.
        ys, xs = (np.clip((v[:, None] + offsets).ravel(), 0, size - 1)
                  for v, offsets, size in ((ys, _NEIGHBOURS[0], height), (xs, _NEIGHBOURS[1], width)))  # fmt: skip
        fresh = lower[ys, xs] & ~gone[ys, xs]
        if not fresh.any():
            break
        ys, xs = np.unravel_index(np.unique(np.ravel_multi_index((ys[fresh], xs[fresh]), solid.shape)), solid.shape)
    return gone, values


def _needed(where: tuple[np.ndarray, np.ndarray], blocks: tuple[int, int], geometry: RimGeometry) -> np.ndarray:
    """Which of a grid's ``blocks`` (rows, columns; uint8) the means at the pixels ``where`` (rows, columns
    on that grid's pixels) read: the box around the two blocks each is interpolated from."""
    needed = np.zeros(blocks, np.uint8)
    needed[where[0] // geometry.step, where[1] // geometry.step] = 1
    side = 2 * (geometry.box // 2 + 1) + 1
    return cv2.dilate(needed, np.ones((side, side), np.uint8))


def _span(used: np.ndarray, count: int) -> tuple[int, int] | None:
    """The blocks from the first to the last of ``used`` (ascending block indices of ``count``), as a start and
    a stop; from the block before too where it holds the far edge's part block, which is filled by reflecting
    them. None if ``used`` is empty."""
    if not len(used):
        return None
    first, last = int(used[0]), int(used[-1])
    return (min(first, max(0, count - 2)) if last == count - 1 else first), last + 1
