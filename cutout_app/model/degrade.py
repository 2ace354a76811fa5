"""Coarse masks for training the refiner: the true mask degraded the way a global prediction is wrong.

At run time the refiner's coarse input is the global net's probability, computed at a few hundred
pixels and upsampled to the photo: blurred by the upsampling, with its boundary off by a few
low-resolution pixels, sometimes with holes or stray blobs. :func:`degrade_mask` makes such inputs
from a true mask: down 1.5-24x and back up, random erosion or dilation, blur, holes, blobs, noise.
"""

from __future__ import annotations

import cv2
import numpy as np


def _blobs(shape: tuple[int, int], rng: np.random.Generator, count: int) -> np.ndarray:
    """A uint8 map with ``count`` random filled ellipses (1 inside)."""
    h, w = shape
    out = np.zeros(shape, np.uint8)
    for _ in range(count):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(2, max(3, w // 6))), int(rng.integers(2, max(3, h // 6))))
        cv2.ellipse(out, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, thickness=-1)
    return out


def degrade_mask(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A coarse, plausible-but-wrong version (uint8, same size) of the uint8 mask ``mask``."""
    h, w = mask.shape
    coarse = mask.astype(np.float32) / 255.0
    # Boundary shifted: erode or dilate by up to ~4 % of the tile.
    r = int(rng.integers(0, max(1, round(0.04 * min(h, w))) + 1))
    if r:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        coarse = (cv2.erode if rng.random() < 0.5 else cv2.dilate)(coarse, kernel)
    # Holes in the subject and blobs in the background.
    if rng.random() < 0.3:
        coarse[_blobs((h, w), rng, int(rng.integers(1, 4))) > 0] *= float(rng.uniform(0.0, 0.6))
    if rng.random() < 0.3:
        blobs = _blobs((h, w), rng, int(rng.integers(1, 3))) > 0
        coarse[blobs] = np.maximum(coarse[blobs], float(rng.uniform(0.3, 1.0)))
    # Low resolution: down by 1.5-24x (log-uniform) and back up, as the global pass's upsampling.
    factor = float(np.exp(rng.uniform(np.log(1.5), np.log(24.0))))
    small = (max(2, round(w / factor)), max(2, round(h / factor)))
    coarse = cv2.resize(cv2.resize(coarse, small, interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        sigma = float(rng.uniform(0.5, 3.0))
        coarse = cv2.GaussianBlur(coarse, (0, 0), sigma)
    if rng.random() < 0.5:
        coarse = coarse + rng.normal(0, rng.uniform(0.01, 0.08), coarse.shape).astype(np.float32)
    return (np.clip(coarse, 0, 1) * 255 + 0.5).astype(np.uint8)
