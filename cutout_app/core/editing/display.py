"""Display maths: the numpy pixels the GUI draws — mask overlay, cut-out on a checkerboard or a colour, the
outline, a preview pyramid.

Everything works on a region (a slice of the photo/mask plus its offset), so after an edit only the
touched rectangle is recomputed.

Byte order: :func:`overlay_rgba` returns H x W x 4 uint8 in memory order R, G, B, A with colour
premultiplied by alpha, i.e. Qt's ``QImage.Format_RGBA8888_Premultiplied`` on every platform
(``Format_ARGB32_Premultiplied`` would instead be B, G, R, A in memory on little-endian machines).
"""

from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.geometry import Rect

#: Checkerboard greys (light, dark) shown behind transparent pixels.
CHECKER_LIGHT = 255
CHECKER_DARK = 204
CHECKER_CELL = 16


def overlay_lut(
    color: Sequence[int] = (255, 64, 64), opacity: float = 0.5, *, invert: bool = False, view_lut: np.ndarray | None = None
) -> np.ndarray:
    """The (256,) uint32 table behind :func:`overlay_rgba`: soft value -> premultiplied RGBA pixel.

    ``view_lut`` (e.g. :func:`cutout_app.core.edges.alpha.lut_for`) is applied to the soft value first;
    ``invert`` tints where the mask is *empty* (the background) instead of where it is set.
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity}")
    values = np.arange(256, dtype=np.float64)
    if view_lut is not None:
        values = np.asarray(view_lut, dtype=np.float64).reshape(256)
    if invert:
        values = 255.0 - values
    alpha = values * opacity  # 0..255
    table = np.empty((256, 4), np.uint8)
    for ch in range(3):
        table[:, ch] = np.rint(alpha * (int(color[ch]) / 255.0))
    table[:, 3] = np.rint(alpha)
    return table.view(np.uint32).reshape(256)  # native order, so the bytes stay R, G, B, A


def overlay_rgba(
    soft_or_alpha: np.ndarray,
    color: Sequence[int] = (255, 64, 64),
    opacity: float = 0.5,
    *,
    invert: bool = False,
    view_lut: np.ndarray | None = None,
) -> np.ndarray:
    """A premultiplied RGBA overlay (H x W x 4 uint8, bytes R,G,B,A) of a mask region.

    Alpha is ``value * opacity``; colour is ``color * alpha / 255``. Wrap the result in a
    ``QImage(..., Format_RGBA8888_Premultiplied)`` and draw it over the photo.
    """
    if soft_or_alpha.dtype != np.uint8 or soft_or_alpha.ndim != 2:
        raise ValueError(f"mask region must be 2-D uint8, got {soft_or_alpha.dtype} {soft_or_alpha.shape}")
    table = overlay_lut(color, opacity, invert=invert, view_lut=view_lut)
    packed = table[soft_or_alpha]
    return packed.view(np.uint8).reshape(soft_or_alpha.shape[0], soft_or_alpha.shape[1], 4)


def checkerboard(
    height: int, width: int, x0: int = 0, y0: int = 0, cell: int = CHECKER_CELL,
    light: int = CHECKER_LIGHT, dark: int = CHECKER_DARK,
) -> np.ndarray:
    """Greys (H x W uint8) of the checkerboard region whose top-left pixel is ``(x0, y0)`` of the full board.

    Cells are ``cell`` pixels; the cell containing ``(0, 0)`` is light. A region drawn at an offset
    lines up with its neighbours.
    """
    if cell < 1:
        raise ValueError(f"cell must be at least 1, got {cell}")
    cols = ((np.arange(x0, x0 + width) // cell) & 1).astype(bool)
    rows = ((np.arange(y0, y0 + height) // cell) & 1).astype(np.intp)
    even = np.where(cols, np.uint8(dark), np.uint8(light))  # rows whose cell row is even
    odd = np.where(cols, np.uint8(light), np.uint8(dark))
    return np.stack([even, odd])[rows]  # row copies: far faster than a per-pixel where


def composite_on_checker(
    rgb: np.ndarray, alpha: np.ndarray, x0: int = 0, y0: int = 0, cell: int = CHECKER_CELL
) -> np.ndarray:
    """The cut-out region (RGB uint8 H x W x 3) over a checkerboard in phase with offset ``(x0, y0)``.

    ``out = (rgb * a + checker * (255 - a)) / 255``, within 1 of the exact rounded value (alpha 0 and
    255 are exact); done with ``cv2.blendLinear``, about 3x faster than integer numpy maths.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"rgb region must be H x W x 3 uint8, got {rgb.dtype} {rgb.shape}")
    if alpha.shape != rgb.shape[:2] or alpha.dtype != np.uint8:
        raise ValueError(f"alpha {alpha.dtype} {alpha.shape} does not match rgb {rgb.shape[:2]}")
    h, w = alpha.shape
    board = checkerboard(h, w, x0, y0, cell)
    weight = alpha.astype(np.float32)
    weight *= np.float32(1.0 / 255.0)
    return cv2.blendLinear(
        np.ascontiguousarray(rgb[..., :3]), cv2.merge([board, board, board]), weight, np.float32(1.0) - weight
    )


def composite_on_color(rgb: np.ndarray, alpha: np.ndarray, color: Sequence[int]) -> np.ndarray:
    """The cut-out region (RGB uint8 H x W x 3) over a solid ``color``: holes and fringes show against it."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] < 3 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"rgb {rgb.dtype} {rgb.shape} and alpha {alpha.shape} do not match")
    h, w = alpha.shape
    board = np.empty((h, w, 3), np.uint8)
    board[...] = np.asarray(color, np.uint8)[:3]
    weight = alpha.astype(np.float32)
    weight *= np.float32(1.0 / 255.0)
    return cv2.blendLinear(np.ascontiguousarray(rgb[..., :3]), board, weight, np.float32(1.0) - weight)


def outline_rgba(alpha: np.ndarray, color: Sequence[int] = (0, 255, 255)) -> np.ndarray:
    """The mask's outline as premultiplied RGBA (bytes R, G, B, A): opaque ``color`` on the pixels just inside it.

    The outline is where alpha crosses 128, so a hole of a few pixels, invisible in a pale overlay, shows
    as a ring. Like :func:`overlay_rgba` for ``QImage.Format_RGBA8888_Premultiplied``.
    """
    if alpha.dtype != np.uint8 or alpha.ndim != 2:
        raise ValueError(f"alpha must be 2-D uint8, got {alpha.dtype} {alpha.shape}")
    inside = cv2.compare(alpha, 127, cv2.CMP_GT)
    ring = cv2.subtract(inside, cv2.erode(inside, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE))
    out = np.zeros((*alpha.shape, 4), np.uint8)
    out[ring > 0] = (*(int(c) for c in color[:3]), 255)
    return out


def scaled_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A small uint8 mask (a click preview) scaled to ``shape`` (height, width) for display, bilinear."""
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _half(src: np.ndarray) -> np.ndarray:
    """2x2 block means (rounded); an odd last row/column is replicated to complete its block."""
    h, w = src.shape[:2]
    if h % 2 or w % 2:
        src = cv2.copyMakeBorder(src, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    return cv2.resize(src, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)


class PreviewPyramid:
    """Power-of-two downscaled copies of an image or mask for fast zoomed-out drawing.

    Level 0 is the array itself (not copied, so edits to it are seen); level k is ``2**k`` times
    smaller, made by 2x2 averaging of level k-1. After editing a region of level 0, call
    :meth:`update` with its Rect to refresh just that part of every level.
    """

    def __init__(self, base: np.ndarray, min_size: int = 256) -> None:
        self.min_size = min_size
        self.levels: list[np.ndarray] = []
        self.set_base(base)

    def set_base(self, base: np.ndarray) -> None:
        """Use a new level-0 array (e.g. another photo) and rebuild all levels."""
        self.levels = [base]
        while max(self.levels[-1].shape[:2]) > self.min_size:
            self.levels.append(_half(self.levels[-1]))

    @property
    def base(self) -> np.ndarray:
        """Level 0."""
        return self.levels[0]

    def level(self, k: int) -> np.ndarray:
        """Level ``k`` (clamped to the available levels)."""
        return self.levels[max(0, min(k, len(self.levels) - 1))]

    def level_for_scale(self, scale: float) -> int:
        """The smallest level still at least as sharp as a view at ``scale`` (screen px per image px)."""
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        k = int(math.floor(math.log2(1.0 / scale) + 1e-9)) if scale < 1 else 0
        return max(0, min(k, len(self.levels) - 1))

    @staticmethod
    def rect_at_level(rect: Rect, k: int) -> Rect:
        """The level-``k`` rectangle covering level-0 ``rect`` (rounded outwards)."""
        f = 1 << k
        return Rect.from_bounds(rect.x // f, rect.y // f, -(-rect.right // f), -(-rect.bottom // f))

    def update(self, rect: Rect) -> list[Rect]:
        """Recompute the part of every level that depends on level-0 ``rect``; returns the Rect per level."""
        h0, w0 = self.levels[0].shape[:2]
        rect = rect.clip(h0, w0)
        rects = [rect]
        if rect.empty:
            return rects + [rect] * (len(self.levels) - 1)
        for k in range(1, len(self.levels)):
            src, dst = self.levels[k - 1], self.levels[k]
            prev = rects[-1]
            cur = Rect.from_bounds(prev.x // 2, prev.y // 2, -(-prev.right // 2), -(-prev.bottom // 2))
            cur = cur.clip(*dst.shape[:2])
            sh, sw = src.shape[:2]
            block = src[2 * cur.y : min(sh, 2 * cur.bottom), 2 * cur.x : min(sw, 2 * cur.right)]
            dst[cur.slices] = _half(block)
            rects.append(cur)
        return rects
