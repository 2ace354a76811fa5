"""The outline in pixels: shift it in or out (shrink/grow edge) and give it a width that never reaches the interior.

Both act on an alpha (uint8) made from the soft mask by the threshold/softness ramp:

- ``shift_px`` moves the whole outline by that many pixels, out (positive: grow) or in (negative:
  shrink), keeping the edge's profile (a grey dilation or erosion by a disc);
- ``edge_px`` feathers the outline over about that many pixels (a Gaussian blur of sigma
  ``edge_px / 4``), and then holds every pixel farther than ``edge_px / 2`` from the outline (beyond
  the pixels that touch it) solid inside and clear outside: the edge never makes the subject's
  interior partly transparent, however soft the ramp is.

The outline is where alpha crosses 128. Every step looks at most :func:`edge_reach` pixels away, so
a region is shaped exactly from a window grown by that much: the window's drawing relies on it, and
so does the work itself, which runs on tiles near the outline only (a 24 MP mask's edge costs what
its outline's tiles cost, not what the photo does).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Side of the tiles that the shaping works on.
_TILE = 256


def edge_reach(edge_px: float, shift_px: float) -> int:
    """How many pixels around a pixel :func:`shape_edges` reads to decide its value."""
    if edge_px <= 0 and shift_px == 0:
        return 0
    return int(math.ceil(abs(shift_px))) + int(math.ceil(edge_px / 2)) + 2


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def shift_edges(alpha: np.ndarray, shift_px: float) -> np.ndarray:
    """``alpha`` with its outline moved out by ``shift_px`` pixels (in when negative), rounded to whole pixels."""
    radius = int(round(abs(shift_px)))
    if radius == 0:
        return alpha
    grow = cv2.dilate if shift_px > 0 else cv2.erode
    return grow(alpha, _disc(radius), borderType=cv2.BORDER_REPLICATE)


def _signed_distance(alpha: np.ndarray) -> np.ndarray:
    """Distance (float32 pixels) of each pixel centre from the outline: positive inside, negative outside.

    The pixels on either side of the outline get +0.5 and -0.5.
    """
    inside = np.ascontiguousarray((alpha >= 128).view(np.uint8))
    d_in = cv2.distanceTransform(inside, cv2.DIST_L2, cv2.DIST_MASK_5)
    d_out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, cv2.DIST_MASK_5)
    # Without an outline in sight the transform gives a huge number: any distance past the image will do.
    far = np.float32(sum(alpha.shape))
    return np.where(inside.view(bool), np.minimum(d_in, far) - 0.5, 0.5 - np.minimum(d_out, far)).astype(np.float32)


def feather_edges(alpha: np.ndarray, edge_px: float) -> np.ndarray:
    """``alpha`` feathered over about ``edge_px`` pixels, solid/clear beyond ``edge_px / 2`` from the outline."""
    if edge_px <= 0:
        return alpha
    half = edge_px / 2.0
    radius = int(math.ceil(half))
    blurred = cv2.GaussianBlur(alpha, (2 * radius + 1, 2 * radius + 1), edge_px / 4.0, borderType=cv2.BORDER_REPLICATE)
    s = _signed_distance(alpha)
    # The pixels touching the outline (|s| = 0.5) stay free, so that even a 1 px edge keeps its antialiasing.
    low = np.clip((s - 0.5) / half, 0.0, 1.0) * 255.0
    high = np.clip(1.0 + (s + 0.5) / half, 0.0, 1.0) * 255.0
    out = np.clip(blurred.astype(np.float32), low, high)
    return np.rint(out).astype(np.uint8)


def _shape(alpha: np.ndarray, edge_px: float, shift_px: float) -> np.ndarray:
    return feather_edges(shift_edges(alpha, shift_px), edge_px)


def _busy_tiles(alpha: np.ndarray, reach: int) -> np.ndarray:
    """Which tiles of the grid lie within ``reach`` of a pixel that the shaping can change (bool grid)."""
    kernel = np.ones((3, 3), np.uint8)
    varies = cv2.compare(cv2.dilate(alpha, kernel), cv2.erode(alpha, kernel), cv2.CMP_NE)
    partial = cv2.inRange(alpha, 1, 254)  # a flat area of partial alpha turns solid or clear
    band = cv2.dilate(cv2.bitwise_or(varies, partial), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    height, width = alpha.shape
    rows, cols = -(-height // _TILE), -(-width // _TILE)
    band = cv2.copyMakeBorder(band, 0, rows * _TILE - height, 0, cols * _TILE - width, cv2.BORDER_CONSTANT, value=0)
    return band.reshape(rows, _TILE, cols, _TILE).max(axis=(1, 3)) > 0


def shape_edges(alpha: np.ndarray, edge_px: float = 0.0, shift_px: float = 0.0) -> np.ndarray:
    """``alpha`` (uint8 H x W) with its outline shifted by ``shift_px`` and feathered over ``edge_px`` pixels.

    With neither, ``alpha`` itself is returned; otherwise a new array.
    """
    if alpha.dtype != np.uint8 or alpha.ndim != 2:
        raise ValueError(f"alpha must be 2-D uint8, got {alpha.dtype} {alpha.shape}")
    if edge_px < 0:
        raise ValueError(f"edge width must be 0 or more pixels, got {edge_px}")
    reach = edge_reach(edge_px, shift_px)
    if reach == 0:
        return alpha
    height, width = alpha.shape
    if height * width <= 4 * _TILE * _TILE:
        return _shape(alpha, edge_px, shift_px)
    out = alpha.copy()  # tiles far from any edge stay as they are (all 0 or all 255)
    for i, j in zip(*np.nonzero(_busy_tiles(alpha, reach))):
        y0, x0 = int(i) * _TILE, int(j) * _TILE
        y1, x1 = min(height, y0 + _TILE), min(width, x0 + _TILE)
        a0, b0, a1, b1 = max(0, y0 - reach), max(0, x0 - reach), min(height, y1 + reach), min(width, x1 + reach)
        shaped = _shape(np.ascontiguousarray(alpha[a0:a1, b0:b1]), edge_px, shift_px)
        out[y0:y1, x0:x1] = shaped[y0 - a0 : y1 - a0, x0 - b0 : x1 - b0]
    return out
