"""Colour decontamination: where a cut-out is partly transparent, the subject's own colour.

A pixel of hair with alpha 0.4 is 40 % hair and 60 % of the wall behind it. Exporting the photo's
colour there keeps the wall in the cut-out: a green halo on a white page. The foreground colour ``F``
of the compositing equation ``I = alpha F + (1 - alpha) B`` is estimated instead, with Forte and
Pitié's *blur fusion* ("Approximate Fast Foreground Colour Estimation", ICIP 2021): box-filtered,
alpha-weighted means of the subject's and of the background's colours around each pixel, then the
correction that makes them satisfy the equation; twice, the second pass at half the radius starting
from the first's estimates. Where a box holds almost no solid subject (a wide soft edge, strands far
from the head), its mean gives way to the nearest solid colours of a coarse grid over the photo
(:class:`FarColours`), as the coarse levels of a multi-level method would give. It is OpenCV filters
only: no numba, no start-up cost.

The radii scale with the photo, as the edge band does (:func:`~cutout_app.core.edges.alpha.default_radius`);
on large photos the box means are computed on blocks of pixels (:func:`means_step`), and only the last,
per-pixel step reads the photo at full resolution.
On ``bench/bench_edges.py``'s hair composites it matched or beat pymatting's multi-level estimate, which
cutout used before, in colour error, on the default alpha, on feathered edges and on matted alpha
(``bench/README.md``).

It runs on tiles over the band where ``0 < alpha < 1`` only (:mod:`cutout_app.core.edges.band_tiles`),
each with the filters' whole reach as context, so a tile's core gets exactly the whole photo's values.
It returns the band's colours (:class:`BandColours`), so that the export applies them strip by strip:
pixels with alpha 1 keep the photo's colour exactly, pixels with alpha 0 become 0 (invisible either
way, and a PNG of zeros there is several times smaller and faster to write).
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
from cutout_app.core.edges.band_tiles import BandTile, range_tiles
from cutout_app.core.progress import CancelToken, ProgressCallback

#: Box-filter sizes of the two passes, in multiples of the photo's guided-filter radius (16 and 8 px at
#: 640 x 480, 48 and 24 px at 12 MP): on the composites of ``bench/README.md`` smaller radii lost on
#: feathered edges, larger ones on the default alpha.
RADII = (8, 4)
#: Where a box holds less than this share of confident pixels, its mean gives way to :class:`FarColours`:
#: hair far from the solid head still gets the head's colour, not the wall's.
SUPPORT = 0.05
#: Confidence is alpha (or 1 - alpha) to the power 2**squarings: 32 for the boxes' share (0.2 at alpha
#: 0.95), 16 for :class:`FarColours`' weights (the values measured in ``bench/README.md``).
TRUST_SQUARINGS = 5
FAR_SQUARINGS = 4
#: :class:`FarColours`' grid cell, in multiples of the guided-filter radius.
FAR_CELL = 4
#: The box means weigh a pixel by alpha**NEAR_POWER (Forte and Pitié: 1); 2 lowered the colour error on
#: feathered edges and wide soft ones, and raised it on matted ones (``bench/README.md``).
NEAR_POWER = 2
#: The smallest tile core (pixels). Cores grow to twice the context on large photos: a tile's cost is
#: its area with context, the band it covers is about as long as its core.
TILE = 128
#: Keeps the filters' denominators above zero where a window holds no subject (or no background).
_EPS = np.float32(1e-5)
_SAMPLE_ROW = 32_000


@dataclass(frozen=True)
class BandColours:
    """The subject's own colours of the band's pixels, a part per band tile: the tile's first row and column,
    its band pixels' rows (ascending) and columns inside it, and their colours (N x 3).

    Kept by tile, with rows and columns of two bytes where a tile allows, rather than as one list of the
    photo's coordinates sorted by row: a 250 MP photo with a wide soft band (12 M pixels) held 0.4 GB more
    for that list, its concatenation and its sort."""

    parts: tuple[tuple[int, int, np.ndarray, np.ndarray, np.ndarray], ...]

    def apply(self, rgb: np.ndarray, y0: int = 0) -> None:
        """Write the colours that fall into ``rgb`` (H x W x 3, rows ``y0..y0+H-1`` of the photo) in place."""
        y1 = y0 + rgb.shape[0]
        for top, left, ys, xs, colours in self.parts:
            if not len(ys) or top >= y1 or top + int(ys[-1]) < y0:
                continue
            lo, hi = np.searchsorted(ys, [max(0, y0 - top), min(y1 - top, int(ys[-1]) + 1)])
            rgb[ys[lo:hi].astype(np.intp) + (top - y0), xs[lo:hi].astype(np.intp) + left] = colours[lo:hi]


def band_part(top: int, left: int, ys: np.ndarray, xs: np.ndarray, colours: np.ndarray) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """One tile's part of :class:`BandColours`: ``ys`` (ascending) and ``xs`` relative to (``top``, ``left``),
    stored in the smallest integer type that holds them."""
    small = np.uint16 if max(ys.max(initial=0), xs.max(initial=0)) <= np.iinfo(np.uint16).max else np.int32
    return top, left, ys.astype(small), xs.astype(small), colours


def means_step(height: int, width: int) -> int:
    """Photo pixels per pixel of the grid on which the box means are computed (1 up to 2,000 px on the
    shorter side): the means are averages over 8 and 4 guided-filter radii, smooth at half a radius."""
    return max(1, default_radius(height, width) // 2)


def blur_radii(height: int, width: int) -> tuple[int, int]:
    """The box-filter sizes (in :func:`means_step` grid pixels) of the two passes for a photo of
    ``height`` x ``width``."""
    radius = default_radius(height, width)
    step = means_step(height, width)
    return max(2, round(RADII[0] * radius / step)), max(2, round(RADII[1] * radius / step))


def tile_and_margin(height: int, width: int) -> tuple[int, int]:
    """The band tiles' core and context (photo pixels, multiples of :func:`means_step`) for a photo of
    ``height`` x ``width``: the context is the passes' whole reach and the upsampling's, so that tiling
    does not change a value."""
    step = means_step(height, width)
    margin = step * (sum(size // 2 for size in blur_radii(height, width)) + 2)
    core = max(TILE, 2 * margin)
    return -(-core // step) * step, margin


@dataclass(frozen=True)
class FarColours:
    """Fallback means for pixels with no solid subject (or background) within a filter's reach: the
    confident colours of a coarse grid over the whole photo, holes filled from ever coarser levels."""

    fg: np.ndarray  # float32 h x w x 3 in [0, 1], the subject's colours
    bg: np.ndarray  # the background's
    scale_y: float  # photo pixels per grid cell
    scale_x: float

    @classmethod
    def of(cls, rgb: np.ndarray, alpha: np.ndarray, cell: int) -> FarColours:
        """The grid of cells of about ``cell`` pixels over ``rgb`` and ``alpha`` (uint8 or uint16)."""
        height, width = alpha.shape
        size = (max(1, round(width / cell)), max(1, round(height / cell)))
        scale = np.float32(1.0 / np.iinfo(rgb.dtype).max)
        image = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32) * scale
        matte = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA).astype(np.float32) * scale
        fg = _filled_means(image, _confidence(matte, FAR_SQUARINGS))
        bg = _filled_means(image, _confidence(1 - matte, FAR_SQUARINGS))
        return cls(fg, bg, height / size[1], width / size[0])

    def at(self, rows: slice, cols: slice, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Both grids interpolated to the photo's pixels ``rows`` x ``cols``, or to the centres of their
        blocks of ``step`` x ``step`` pixels."""
        centre = (step - 1) / 2 + 0.5
        ys = (np.arange(rows.start, rows.stop, step, dtype=np.float32) + centre) / self.scale_y - 0.5
        xs = (np.arange(cols.start, cols.stop, step, dtype=np.float32) + centre) / self.scale_x - 0.5
        map_x, map_y = np.meshgrid(xs, ys)
        return tuple(cv2.remap(grid, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                     for grid in (self.fg, self.bg))  # type: ignore[return-value]


def _confidence(weight: np.ndarray, squarings: int) -> np.ndarray:
    """How surely a pixel is all subject (``weight`` = alpha) or all background (1 - alpha): ``weight`` to
    the power ``2**squarings``, near 1 only close to 1, so that partly transparent pixels, which hold the
    other side's colour, count little."""
    confidence = weight
    for _ in range(squarings):
        confidence = confidence * confidence
    return confidence


def _filled_means(image: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mean colours per pixel, where ``weight`` is below :data:`SUPPORT` the next coarser level's."""
    height, width = weight.shape
    if min(height, width) <= 2:
        mean = (image * weight[..., None]).sum((0, 1)) / (weight.sum() + _EPS)
        return np.broadcast_to(mean.astype(np.float32), image.shape).copy()
    half = ((width + 1) // 2, (height + 1) // 2)
    weighted = image * weight[..., None]
    half_weight = cv2.resize(weight, half, interpolation=cv2.INTER_AREA)
    half_image = cv2.resize(weighted, half, interpolation=cv2.INTER_AREA) / (half_weight[..., None] + _EPS)
    coarser = _filled_means(half_image, half_weight)
    lack = np.maximum(SUPPORT - weight, 0)[..., None]
    up = cv2.resize(coarser, (width, height), interpolation=cv2.INTER_LINEAR)
    return (weighted + lack * up) / (weight[..., None] + lack + _EPS)


def _means(image: np.ndarray, weight: np.ndarray, size: int, far: Callable[[], np.ndarray]) -> np.ndarray:
    """``weight``-weighted box means of ``image``; ``far()``'s colours where the box holds too few confident pixels."""
    kernel = (size, size)
    trust = cv2.blur(_confidence(weight, TRUST_SQUARINGS), kernel)
    trust *= np.float32(1 / SUPPORT)
    weight = weight**NEAR_POWER
    near = cv2.blur(image * weight[..., None], kernel)
    near /= (cv2.blur(weight, kernel) + _EPS)[..., None]
    if trust.min() >= 1:  # the usual tile: solid colour within every box
        return near
    np.minimum(trust, 1, out=trust)
    near += (1 - trust)[..., None] * (far() - near)
    return near


def _fuse(image: np.ndarray, alpha: np.ndarray, fg_mean: np.ndarray, bg_mean: np.ndarray) -> np.ndarray:
    """The foreground colour that fits ``image = alpha F + (1 - alpha) B`` closest to the two means."""
    fg = fg_mean + alpha * (image - alpha * fg_mean - (1 - alpha) * bg_mean)
    return np.clip(fg, 0, 1, out=fg)


def _pass_means(image: np.ndarray, matte: np.ndarray, sizes: tuple[int, int],
                 far: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Both passes up to their last means: the subject's and the background's (float32 H x W x 3)."""
    alpha = matte[..., None]
    far_once = functools.cache(far)  # both sides come from one interpolation, made only if a side asks
    fg_mean = _means(image, matte, sizes[0], lambda: far_once()[0])
    bg_mean = _means(image, 1 - matte, sizes[0], lambda: far_once()[1])
    fg = _fuse(image, alpha, fg_mean, bg_mean)
    kernel = (sizes[1], sizes[1])
    blurred_alpha = cv2.blur(matte, kernel)[..., None]
    fg_mean = cv2.blur(fg * alpha, kernel)
    fg_mean /= blurred_alpha + _EPS
    bg_mean = cv2.blur(bg_mean * (1 - alpha), kernel)
    bg_mean /= (1 - blurred_alpha) + _EPS
    return fg_mean, bg_mean


def blur_fusion(image: np.ndarray, matte: np.ndarray, sizes: tuple[int, int],
                far: Callable[[int], tuple[np.ndarray, np.ndarray]],
                where: tuple[np.ndarray, np.ndarray] | None = None, step: int = 1) -> np.ndarray:
    """The foreground colours (float32 in [0, 1]) of ``image`` (H x W x 3) under ``matte`` (H x W), both
    uint8, uint16 or float32 in [0, 1]: a pass with box filters of ``sizes[0]``, its means falling back
    to ``far(step)``'s (:meth:`FarColours.at`, asked for only where needed), then one of ``sizes[1]``
    from its estimates. H x W x 3, or N x 3 at the pixels ``where`` (rows, columns) only.

    With ``step`` > 1 the passes run on blocks of ``step`` x ``step`` pixels (``sizes`` in blocks), and
    their means are interpolated back for the last, per-pixel step at full resolution: the photo's own
    pixels are read only there.
    """
    if where is None:
        where = tuple(np.indices(matte.shape).reshape(2, -1))  # type: ignore[assignment]
        return blur_fusion(image, matte, sizes, far, where, step).reshape(image.shape)
    if step == 1:
        fg_mean, bg_mean = (mean[where] for mean in _pass_means(unit(image), unit(matte), sizes, lambda: far(1)))
    else:
        small = [unit(block_means(x, step)) for x in (image, matte)]
        means = _pass_means(small[0], small[1], sizes, lambda: far(step))
        # Bilinear, block centres aligned: a pixel's position on the block grid.
        fg_mean, bg_mean = (sample_grid(mean, (where[0] + 0.5) / step - 0.5, (where[1] + 0.5) / step - 0.5)
                            for mean in means)  # fmt: skip
    return _fuse(unit(image[where]), unit(matte[where])[:, None], fg_mean, bg_mean)


def unit(values: np.ndarray) -> np.ndarray:
    """uint8 or uint16 values as float32 in [0, 1]; float32 ones as they are."""
    if values.dtype == np.float32:
        return values
    return np.multiply(values, np.float32(1 / np.iinfo(values.dtype).max), dtype=np.float32)


def block_means(values: np.ndarray, step: int) -> np.ndarray:
    """``values`` (H x W or H x W x C, its own dtype) averaged on blocks of ``step`` x ``step`` pixels; the part
    blocks at the photo's far edges are filled by reflection first, so every block is whole."""
    if step == 1:
        return values
    height, width = values.shape[:2]
    pad_y, pad_x = -height % step, -width % step
    if pad_y or pad_x:
        values = cv2.copyMakeBorder(values, 0, pad_y, 0, pad_x, cv2.BORDER_REFLECT_101)
    return cv2.resize(values, ((width + pad_x) // step, (height + pad_y) // step), interpolation=cv2.INTER_AREA)


def sample_grid(grid: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``grid`` (h x w x C) interpolated bilinearly at the positions (``ys``, ``xs``; as float32): N x C."""
    count = len(ys)
    if not count:
        return np.zeros((0, grid.shape[2]), grid.dtype)
    width = min(count, _SAMPLE_ROW)  # OpenCV's remap takes maps under 32,767 a side
    shape = (-(-count // width), width)
    maps = [np.zeros(shape[0] * shape[1], np.float32) for _ in range(2)]
    for map_, v in zip(maps, (xs, ys)):
        map_[:count] = v
    values = cv2.remap(grid, maps[0].reshape(shape), maps[1].reshape(shape), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return values.reshape(-1, grid.shape[2])[:count]


def foreground_colours(
    rgb: np.ndarray,
    alpha: np.ndarray,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BandColours:
    """The subject's own colours where ``alpha`` is partial, estimated tile by tile over that band only.

    ``rgb`` (H x W x 3, uint8 or uint16) is the photo, ``alpha`` H x W in the same dtype (full = 255
    or 65535); neither is changed. ``progress(done, total)`` counts tiles, from 0.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"rgb must be H x W x 3 and alpha H x W, got {rgb.shape} and {alpha.shape}")
    if rgb.dtype not in (np.uint8, np.uint16) or alpha.dtype != rgb.dtype:
        raise ValueError(f"rgb and alpha must both be uint8 or both uint16, got {rgb.dtype} and {alpha.dtype}")
    full = int(np.iinfo(rgb.dtype).max)
    sizes, step = blur_radii(*alpha.shape), means_step(*alpha.shape)
    tiles = range_tiles(alpha, 1, full - 1, *tile_and_margin(*alpha.shape))  # no band the photo's size (250 MP)
    if progress:
        progress(0, len(tiles))
    if not tiles:
        return BandColours(())
    far = FarColours.of(rgb, alpha, FAR_CELL * default_radius(*alpha.shape))

    def estimate(tile: BandTile) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        ys, xs = np.nonzero(cv2.inRange(alpha[tile.core], 1, full - 1))
        where = (ys + tile.core_rows.start, xs + tile.core_cols.start)
        core = blur_fusion(rgb[tile.rows, tile.cols], alpha[tile.rows, tile.cols], sizes,
                           lambda k: far.at(tile.rows, tile.cols, k), where, step)
        return band_part(tile.core[0].start, tile.core[1].start, ys, xs, np.rint(core * np.float32(full)).astype(rgb.dtype))

    found: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []
    # Tiles on every core: OpenCV's filters release the GIL.
    with ThreadPoolExecutor(max(1, min(len(tiles), os.cpu_count() or 1, 4))) as pool:
        for done, result in enumerate(pool.map(estimate, tiles), start=1):
            found.append(result)
            if progress:
                progress(done, len(tiles))
    return BandColours(tuple(found))


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
