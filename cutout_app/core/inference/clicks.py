"""Clicks that guide segmentation: their encoding for the global net and the standard click simulator.

A click is a point of the photo (pixel coordinates, x to the right, y down) that the user marks as
subject (positive) or background (negative). The global net sees clicks as two maps, one per kind,
holding disks of the model's click radius. The simulator is the protocol of interactive-segmentation
papers (Xu et al. 2016; Sofiiuk et al. 2021): the next click goes to the point of the largest error
region that lies farthest from that region's border, positive where the subject was missed and
negative where background was taken. Training and evaluation both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import cv2
import numpy as np

from cutout_app.core.errors import CutoutError


@dataclass(frozen=True)
class Click:
    """One click: ``positive`` marks subject, otherwise background. Coordinates are photo pixels."""

    x: float
    y: float
    positive: bool = True


def parse_point(text: str) -> tuple[float, float]:
    """``"X,Y"`` (pixels) as a pair of floats; raises :class:`CutoutError` for anything else."""
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError
    except ValueError:
        raise CutoutError(f"'{text}' is not a point: write X,Y in pixels, for example 120,80") from None
    return x, y


def parse_box(text: str) -> tuple[float, float, float, float]:
    """``"X0,Y0,X1,Y1"`` (pixels: left, top, right, bottom) as four floats; :class:`CutoutError` for anything else."""
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        values = tuple(float(p) for p in parts)
        if not all(np.isfinite(v) for v in values):
            raise ValueError
    except ValueError:
        raise CutoutError(f"'{text}' is not a box: write X0,Y0,X1,Y1 in pixels (left, top, right, bottom), "
                          "for example 10,20,200,180") from None
    return values  # type: ignore[return-value]


def check_clicks(clicks: Iterable[Click], height: int, width: int) -> list[Click]:
    """The clicks as a list; raises :class:`CutoutError` naming the first one outside the photo."""
    result = list(clicks)
    for c in result:
        if not (0 <= c.x < width and 0 <= c.y < height):
            kind = "keep" if c.positive else "remove"
            raise CutoutError(f"The {kind} click at {c.x:g},{c.y:g} is outside the {width}x{height} photo")
    return result


def click_maps(clicks: Sequence[Click], height: int, width: int, radius: float, scale: float = 1.0) -> np.ndarray:
    """Two float32 maps (2, height, width): disks of ``radius`` at the positive, then the negative clicks.

    ``scale`` maps photo coordinates to the maps' (the global net sees a resized photo).
    """
    maps = np.zeros((2, height, width), np.float32)
    r = max(1, int(round(radius)))
    for c in clicks:
        centre = (int(round(c.x * scale)), int(round(c.y * scale)))
        cv2.circle(maps[0 if c.positive else 1], centre, r, 1.0, thickness=-1)
    return maps


def _farthest_interior(region: np.ndarray) -> tuple[float, int, int]:
    """(distance to the region's border, y, x) of the region's most interior pixel."""
    padded = np.pad(region.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    index = int(np.argmax(dist))
    y, x = divmod(index, region.shape[1])
    return float(dist[y, x]), y, x


def next_click(
    prediction: np.ndarray,
    truth: np.ndarray,
    threshold: float = 0.5,
    *,
    ignore: np.ndarray | None = None,
    clicked: Sequence[Click] = (),
) -> Click | None:
    """The standard simulator's next click for a prediction, or None when nothing is left to click.

    ``prediction`` and ``truth`` are masks of one size (uint8 0..255, or float in 0..1). The click
    goes to the most interior point of the larger of the two error regions (missed subject: positive;
    wrongly taken background: negative), measured by the distance to the region's border. Pixels of
    ``ignore`` (a mask's unknown band) are no error, and no pixel of ``clicked`` is clicked again: a model
    that ignores a click gets the next best pixel, not the same one until the clicks run out.
    """
    pred = _as_bool(prediction, threshold)
    gt = _as_bool(truth, threshold)
    missed, extra = gt & ~pred, pred & ~gt
    if ignore is not None:
        missed &= ~ignore
        extra &= ~ignore
    for c in clicked:
        row, col = int(c.y), int(c.x)
        if 0 <= row < gt.shape[0] and 0 <= col < gt.shape[1]:
            missed[row, col] = extra[row, col] = False
    d_missed, y_m, x_m = _farthest_interior(missed) if missed.any() else (0.0, 0, 0)
    d_extra, y_e, x_e = _farthest_interior(extra) if extra.any() else (0.0, 0, 0)
    if d_missed == 0 and d_extra == 0:
        return None
    if d_missed >= d_extra:
        return Click(float(x_m), float(y_m), True)
    return Click(float(x_e), float(y_e), False)


def _as_bool(mask: np.ndarray, threshold: float) -> np.ndarray:
    values = mask.astype(np.float32) / (255.0 if mask.dtype == np.uint8 else 1.0)
    return values >= threshold
