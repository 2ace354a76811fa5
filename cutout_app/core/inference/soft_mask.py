"""The editable soft mask from the refiner's probability, a band of rows at a time, so a 250 MP photo never
holds its probability whole (1 GB as float32)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from cutout_app.core.edges.alpha import STRIP_PIXELS, default_radius, refine_mask, to_soft_u8


def soft_mask(
    bands: Iterator[tuple[int, np.ndarray]], rgb: np.ndarray, refine: bool, probability: np.ndarray | None = None
) -> np.ndarray:
    """The soft mask (uint8 H x W) from the probability's bands of rows (``CutoutModel.refine_rows``).

    Each band is edge-refined as soon as the rows below it that the guided filter reaches have come,
    so the probability never exists for the whole photo (a 250 MP one would take 1 GB as float32).
    ``probability`` (float32, the photo's size), when given, receives the probability itself as it comes.
    """
    height, width = rgb.shape[:2]
    radius = default_radius(height, width)
    reach = 2 * radius if refine else 0  # refine_mask's reach: two box filters of the radius
    soft = np.empty((height, width), np.uint8)
    pending, start, done = np.empty((0, width), np.float32), 0, 0  # pending: rows start.. ; soft: rows ..done
    least = max(1, STRIP_PIXELS // width)  # rows per filter call: fewer calls, less overlap filtered twice
    for y0, rows in bands:
        if probability is not None:
            probability[y0 : y0 + len(rows)] = rows
        pending = np.concatenate([pending, rows])
        end = start + len(pending)
        finished = end if end == height else end - reach
        if finished > done and (end == height or finished - done >= least):
            first = max(start, done - reach)
            window = pending[first - start :]
            prob = refine_mask(window, rgb[first:end], radius) if refine else window
            soft[done:finished] = to_soft_u8(prob[done - first : finished - first])
            done = finished
        keep = max(start, done - reach)
        pending, start = pending[keep - start :], keep
    return soft
