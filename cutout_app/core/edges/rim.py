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
filters as context; like decontamination's, its box means are computed on blocks of
:func:`~cutout_app.core.edges.foreground.means_step` pixels on large photos. OpenCV filters only.
``bench/bench_edges.py --too-wide`` measures it (``bench/README.md``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from cutout_app.core.edges.alpha import default_radius
from cutout_app.core.edges.band_tiles import BandTile, band_tiles
from cutout_app.core.edges.foreground import means_step, sample_grid
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
_EPS = np.float32(1e-6)


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
    reach = geometry.reach
    out = alpha.copy()
    opaque = cv2.compare(alpha, 255, cv2.CMP_EQ)
    # Opaque pixels near one that is not (a square's reach, which holds the disc's: fast on 250 MP).
    square = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    rim = cv2.bitwise_and(opaque, cv2.dilate(cv2.bitwise_not(opaque), square))
    tiles = band_tiles(rim.view(bool), *geometry.tile_and_margin())
    if progress:
        progress(0, len(tiles))

    def one(tile: BandTile) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        trimmed = _trim(rgb[tile.rows, tile.cols], alpha[tile.rows, tile.cols], geometry)
        out[tile.core] = trimmed[tile.core_rows, tile.core_cols]

    with ThreadPoolExecutor(max(1, min(len(tiles), os.cpu_count() or 1, 4))) as pool:
        for done, _ in enumerate(pool.map(one, tiles), start=1):
            if progress:
                progress(done, len(tiles))
    return out


def _trim(rgb: np.ndarray, alpha: np.ndarray, geometry: RimGeometry) -> np.ndarray:
    """The rule on one crop (see the module's docstring): its alpha, trimmed."""
    reach = geometry.reach
    opaque = cv2.compare(alpha, 255, cv2.CMP_EQ)
    depth = cv2.distanceTransform(opaque, cv2.DIST_L2, cv2.DIST_MASK_3)
    # Only the rim of parts at least 2 reach wide: an opaque pixel within reach of a deeper one.
    backed = cv2.distanceTransform(cv2.compare(depth, reach, cv2.CMP_LE), cv2.DIST_L2, cv2.DIST_MASK_3) <= reach + 1
    ys, xs = np.nonzero(backed & (opaque > 0) & (depth <= reach))
    out = alpha.copy()
    if not len(ys):
        return out
    outside = cv2.distanceTransform(cv2.compare(alpha, 0, cv2.CMP_EQ), cv2.DIST_L2, cv2.DIST_MASK_3)
    subject = ((depth > reach) & (depth <= geometry.shell)).astype(np.float32)
    background = (outside > geometry.background).astype(np.float32)
    image = rgb.astype(np.float32)
    image *= np.float32(1 / np.iinfo(rgb.dtype).max)
    squares = cv2.transform(cv2.multiply(image, image), np.ones((1, 3), np.float32)).reshape(subject.shape)
    fg_means = _means(image, subject, geometry, (ys, xs), squares)
    bg_means = _means(image, background, geometry, (ys, xs))
    fg, fg_weight, fg_square = fg_means[:, :3], fg_means[:, 3], fg_means[:, 4]
    bg, bg_weight = bg_means[:, :3], bg_means[:, 3]
    colour = image[ys, xs]
    diff = fg - bg
    contrast = (diff * diff).sum(axis=1)
    t = ((colour - bg) * diff).sum(axis=1) / np.maximum(contrast, _EPS)
    # Farther from the subject's mean than its own colours spread (their mean squared distance from it).
    spread = np.maximum(fg_square - (fg * fg).sum(axis=1), 0)
    apart = ((colour - fg) ** 2).sum(axis=1) > SPREAD * SPREAD * spread + NOISE * NOISE
    off_line = colour - bg - t[:, None] * diff  # how far the colour lies from any mix of the two
    on_line = (off_line * off_line).sum(axis=1) <= OFF_LINE * OFF_LINE * contrast
    decided = on_line & apart & (fg_weight > 0.01) & (bg_weight > 0.01) & (contrast >= CONTRAST * CONTRAST) & (t < TRIM_AT)
    lower = np.zeros(alpha.shape, bool)
    lower[ys[decided], xs[decided]] = True
    values = np.zeros(alpha.shape, np.uint8)
    values[ys, xs] = np.rint(np.clip(t / TRIM_AT, 0, 1) * 255).astype(np.uint8)
    solid = opaque
    ring = np.ones((3, 3), np.uint8)
    for _ in range(reach):  # from the outside in: only pixels next to one that is not opaque (any more)
        edge = lower & (solid > 0) & (cv2.erode(solid, ring, borderType=cv2.BORDER_REPLICATE) == 0)
        if not edge.any():
            break
        out[edge] = values[edge]
        solid[edge] = 0
    return out


def _means(image: np.ndarray, weight: np.ndarray, geometry: RimGeometry, where: tuple[np.ndarray, np.ndarray],
           squares: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """At the pixels ``where``: the ``weight``-weighted box means of ``image``'s colours (columns 0-2), the box's
    mean weight (3), and of ``squares`` if given (4), from box filters on blocks of ``geometry.step`` pixels."""
    layers = [cv2.multiply(image, cv2.merge([weight] * 3)), weight]
    if squares is not None:
        layers.append(cv2.multiply(squares, weight))
    stack = cv2.merge(layers)
    step = geometry.step
    if step > 1:
        height, width = weight.shape
        pad_y, pad_x = -height % step, -width % step  # whole blocks (only at the photo's far edges)
        stack = cv2.copyMakeBorder(stack, 0, pad_y, 0, pad_x, cv2.BORDER_REFLECT_101)
        stack = cv2.resize(stack, ((width + pad_x) // step, (height + pad_y) // step), interpolation=cv2.INTER_AREA)
    stack = cv2.blur(stack, (geometry.box, geometry.box))
    values = sample_grid(stack, (where[0] + 0.5) / step - 0.5, (where[1] + 0.5) / step - 0.5)
    values[:, :3] /= values[:, 3:4] + _EPS
    if squares is not None:
        values[:, 4] /= values[:, 3] + _EPS
    return values
