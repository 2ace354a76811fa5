"""From the model's probability to an alpha matte: guided-filter edge refinement and the view threshold.

The editable *soft mask* is a uint8 array (0..255). The threshold and softness in :class:`MaskSettings`
are a *view* of it: :func:`alpha_from_soft` maps soft values through a 256-entry table, so changing
them never destroys edits.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from cutout_app.core.edges.band_tiles import band_tiles
from cutout_app.core.edges.edge_shape import edge_reach, shape_edges
from cutout_app.core.edges.settings import MaskSettings

#: Probabilities below/above these count as confident background/foreground; refinement may not
#: move such pixels the wrong way when they lie farther than the filter radius from any uncertain one.
CONFIDENT_LOW = 0.02
CONFIDENT_HIGH = 0.98

#: Pixels per strip in :func:`refine_mask`; about 10 float32 temporaries of this size live at once.
STRIP_PIXELS = 2_000_000
#: The smallest core (pixels) of the tiles that :func:`refine_mask` filters around uncertain pixels.
GUIDED_TILE = 256


def default_radius(height: int, width: int) -> int:
    """Guided-filter radius that scales with the image: 2 px for small images, 8 px at 6000x4000."""
    return max(2, round(min(height, width) / 500))


def _gray01(rgb: np.ndarray) -> np.ndarray:
    """Guide image: luma of an RGB(A) uint8/uint16 strip as float32 in [0, 1]."""
    if rgb.ndim == 3 and rgb.shape[2] == 4:
        rgb = rgb[..., :3]
    if rgb.ndim == 3:
        gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    else:
        gray = rgb
    scale = 1.0 / 65535.0 if gray.dtype == np.uint16 else 1.0 / 255.0
    return gray.astype(np.float32) * np.float32(scale)


def _guided_strip(p: np.ndarray, guide: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter of ``p`` with grey ``guide`` (float32, same shape), then the hole guard."""
    ksize = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, ksize, normalize=True, borderType=cv2.BORDER_REFLECT)

    mean_i = box(guide)
    mean_p = box(p)
    var_i = box(guide * guide)
    var_i -= mean_i * mean_i
    cov_ip = box(guide * p)
    cov_ip -= mean_i * mean_p
    var_i += np.float32(eps)
    a = cov_ip / var_i
    b = mean_p
    b -= a * mean_i
    q = box(a)
    q *= guide
    q += box(b)

    # Far inside confident areas the model is right: the filter must not punch holes there.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, ksize)
    fg_core = cv2.erode((p > CONFIDENT_HIGH).view(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE)
    bg_core = cv2.erode((p < CONFIDENT_LOW).view(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE)
    np.maximum(q, p, out=q, where=fg_core.view(bool))
    np.minimum(q, p, out=q, where=bg_core.view(bool))
    np.clip(q, 0.0, 1.0, out=q)
    return q


def refine_mask(
    prob: np.ndarray,
    rgb: np.ndarray,
    radius: int | None = None,
    eps: float = 1e-3,
    *,
    strip_rows: int | None = None,
) -> np.ndarray:
    """Snap the probability's edges to the photo's edges with a guided filter (grey photo as guide).

    ``prob`` is float32 H x W in [0, 1], ``rgb`` H x W x 3 (or 4) uint8/uint16. ``radius`` defaults
    to :func:`default_radius`; ``eps`` (in guide units, 0..1 squared) sets how strong an image edge
    must be to pull the mask. Work runs in horizontal strips of ``strip_rows`` rows (default: about
    :data:`STRIP_PIXELS` pixels) that overlap by twice the radius (the filter's reach), so memory stays
    bounded for 50 MP photos and the result equals a single pass. Returns float32 H x W in [0, 1].
    """
    prob = np.asarray(prob)
    if prob.ndim != 2:
        raise ValueError(f"prob must be H x W, got shape {prob.shape}")
    if rgb.shape[:2] != prob.shape:
        raise ValueError(f"photo {rgb.shape[:2]} and probability {prob.shape} differ in size")
    height, width = prob.shape
    radius = default_radius(height, width) if radius is None else int(radius)
    if radius < 1:
        raise ValueError(f"radius must be at least 1, got {radius}")
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")
    rows = strip_rows if strip_rows is not None else max(64, STRIP_PIXELS // max(width, 1))
    rows = max(1, int(rows))
    overlap = 2 * radius  # two box filters in a row: a pixel depends on rows up to 2r away

    out = np.empty((height, width), np.float32)
    for y0 in range(0, height, rows):
        y1 = min(height, y0 + rows)
        a0, a1 = max(0, y0 - overlap), min(height, y1 + overlap)
        p = prob[a0:a1].astype(np.float32, copy=True)
        q = _guided_near_edges(p, rgb[a0:a1], radius, eps)
        out[y0:y1] = q[y0 - a0 : y1 - a0]
    return out


def _guided_near_edges(p: np.ndarray, rgb: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """:func:`_guided_strip` on the pixels within the filter's reach (2 ``radius``) of an uncertain one
    (between :data:`CONFIDENT_LOW` and :data:`CONFIDENT_HIGH`), run on tiles around them; every other
    pixel keeps ``p`` (clipped). Far from any edge the filter could only nudge confident values, and
    most of a large photo is far from its subject's outline."""
    reach = 2 * radius
    uncertain = cv2.inRange(p, CONFIDENT_LOW, CONFIDENT_HIGH)
    near = cv2.dilate(uncertain, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    near = near.view(bool)  # inRange and dilate give 0 or 255
    q = np.clip(p, 0.0, 1.0)
    for tile in band_tiles(near, max(GUIDED_TILE, 4 * reach), reach):
        filtered = _guided_strip(p[tile.rows, tile.cols], _gray01(rgb[tile.rows, tile.cols]), radius, eps)
        core = near[tile.core]
        q[tile.core][core] = filtered[tile.core_rows, tile.core_cols][core]
    return q


def to_soft_u8(prob: np.ndarray) -> np.ndarray:
    """Probability (float, 0..1) to the editable soft mask: uint8 0..255, rounded, out-of-range clipped."""
    prob = np.asarray(prob)
    out = np.empty(prob.shape, np.uint8)
    rows = max(1, STRIP_PIXELS // max(1, prob.shape[-1])) if prob.ndim == 2 else len(prob)
    for y0 in range(0, len(prob), rows):  # strips keep the float temporaries small on 50 MP
        clipped = np.clip(prob[y0 : y0 + rows].astype(np.float32), 0.0, 1.0)
        out[y0 : y0 + rows] = cv2.convertScaleAbs(clipped, alpha=255.0).reshape(clipped.shape)
    return out


def threshold_level(threshold: float) -> int:
    """The smallest soft value (0..256) that counts as foreground at ``threshold``: ``soft >= level``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    return int(math.ceil(threshold * 255.0 - 1e-9))


def lut_for(threshold: float, softness: float) -> np.ndarray:
    """The 256-entry uint8 table that :func:`alpha_from_soft` applies.

    A linear ramp of width ``softness`` (in 0..1 soft units) centred at ``threshold``; softness 0 is
    a hard cut at :func:`threshold_level`. ``(0.5, 1.0)`` is the identity.
    """
    if not 0.0 <= softness <= 1.0:
        raise ValueError(f"softness must be between 0 and 1, got {softness}")
    level = threshold_level(threshold)
    values = np.arange(256, dtype=np.float64)
    if softness <= 0.0:
        return np.where(values >= level, 255, 0).astype(np.uint8)
    ramp = (values / 255.0 - threshold) / softness + 0.5
    return np.rint(np.clip(ramp, 0.0, 1.0) * 255.0).astype(np.uint8)


def alpha_from_soft(soft: np.ndarray, threshold: float, softness: float) -> np.ndarray:
    """Alpha (uint8, same shape) of a soft mask (or a region of one) through :func:`lut_for`."""
    if soft.dtype != np.uint8:
        raise ValueError(f"soft mask must be uint8, got {soft.dtype}")
    return cv2.LUT(soft, lut_for(threshold, softness))


def mask_alpha(soft: np.ndarray, settings: MaskSettings, rect: tuple[int, int, int, int] | None = None,
               scale: float = 1.0) -> np.ndarray:
    """The alpha (uint8) that ``settings`` make of a soft mask: what is shown and exported.

    The threshold/softness ramp, then the outline's shift and width. ``rect`` (x, y, w, h) asks for
    that region only: it is computed from a window grown by the edge's reach, so it equals the same
    region of the whole mask's alpha. ``scale`` is the size of ``soft`` relative to the photo (a
    smaller preview level: 0.25), which scales the pixel widths.
    """
    if soft.dtype != np.uint8 or soft.ndim != 2:
        raise ValueError(f"soft mask must be 2-D uint8, got {soft.dtype} {soft.shape}")
    x, y, w, h = rect if rect is not None else (0, 0, soft.shape[1], soft.shape[0])
    if not settings.shapes_edges:
        return cv2.LUT(np.ascontiguousarray(soft[y : y + h, x : x + w]), lut_for(settings.threshold, settings.softness))
    edge, shift = settings.edge_px * scale, settings.shift_px * scale
    pad = edge_reach(edge, shift)
    height, width = soft.shape
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(width, x + w + pad), min(height, y + h + pad)
    ramp = cv2.LUT(np.ascontiguousarray(soft[y0:y1, x0:x1]), lut_for(settings.threshold, settings.softness))
    shaped = shape_edges(ramp, edge, shift)
    return np.ascontiguousarray(shaped[y - y0 : y - y0 + h, x - x0 : x - x0 + w])
